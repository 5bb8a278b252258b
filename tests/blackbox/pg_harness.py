# SPDX-License-Identifier: MIT
"""A fresh PostgreSQL database for black-box tests.

    with pg_database("sg_lb") as uri:   # postgresql:///sg_lb_<pid>?host=...
        ...

When SOCIALGATE_TEST_PG names a cluster (scripts/pg-cluster sets it), the
database is created there and dropped afterwards. Otherwise a throwaway
cluster of this process's own is started the way scripts/pg-cluster starts
one (its functions, imported), and stopped and removed afterwards. Either
way nothing is left behind on any way out of the with block, a failed
start included. Databases are made and dropped with psql (Debian's
postgresql-client, which the postgresql package installs): Debian's Python
has no PostgreSQL driver here."""

import contextlib
import importlib.machinery
import importlib.util
import os
import subprocess
import urllib.parse
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PG_CLUSTER = REPO_ROOT / "scripts" / "pg-cluster"
ENV = "SOCIALGATE_TEST_PG"
PSQL_TIMEOUT = 60


def _pg_cluster():
    """scripts/pg-cluster as a module (it has no .py suffix, and its
    main() only runs as a script)."""
    loader = importlib.machinery.SourceFileLoader("pg_cluster", str(PG_CLUSTER))
    spec = importlib.util.spec_from_loader("pg_cluster", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def psql(uri, sql):
    """Runs one statement as the cluster's superuser; raises with psql's
    message when it fails."""
    p = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", uri, "-c", sql],
                       capture_output=True, stdin=subprocess.DEVNULL, timeout=PSQL_TIMEOUT)
    if p.returncode != 0:
        raise RuntimeError(f"psql {sql!r}: {p.stderr.decode(errors='replace')}")


def with_dbname(uri, name):
    """The libpq URI uri with its database replaced by name (by hand:
    urlunsplit drops the "//" of an empty host, which libpq needs)."""
    parts = urllib.parse.urlsplit(uri)
    out = f"{parts.scheme}://{parts.netloc}/{name}"
    return out + (f"?{parts.query}" if parts.query else "")


@contextlib.contextmanager
def own_cluster():
    """A cluster started here (scripts/pg-cluster's Cluster); yields the URI
    of its maintenance database."""
    with _pg_cluster().Cluster() as c:
        yield c.admin


@contextlib.contextmanager
def pg_database(prefix):
    """Yields the URI of a new, empty database named prefix_<pid>."""
    with contextlib.ExitStack() as stack:
        admin = os.environ.get(ENV) or stack.enter_context(own_cluster())
        name = f"{prefix}_{os.getpid()}"
        psql(admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")  # a crashed run's
        psql(admin, f"CREATE DATABASE {name}")
        stack.callback(psql, admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        yield with_dbname(admin, name)
