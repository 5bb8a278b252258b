# SPDX-License-Identifier: MIT
"""Three `serve` instances started at the same moment on an empty
PostgreSQL database (SPEC §8): migrations run under an advisory lock, so
all three come up, the schema is made once, and each serves. All share one
key file: an instance given another one refuses to start, naming it."""

import subprocess
import threading

import pytest
import requests

from conftest import free_port
from pg_harness import REPO_ROOT, pg_database, psql


def test_three_instances_started_at_once_on_an_empty_database_all_come_up(servers, tmp_path):
    key = tmp_path / "shared.key"
    servers.init(servers.new_db(), key_file=key)  # a key file: any installation's will do
    with pg_database("sg_start") as db:
        instances = [servers.server(db, key_file=key, start=False) for _ in range(3)]
        go = threading.Barrier(len(instances))
        failed = []

        def start(s):
            go.wait()
            try:
                s.start()
            except BaseException as exc:  # pytest.fail inside a thread: report it here
                failed.append(f"{s.log_path.name}: {exc}")

        threads = [threading.Thread(target=start, args=(s,)) for s in instances]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not failed, failed
        for s in instances:
            assert requests.get(s.url + "/readyz", timeout=5).json() == {"status": "ok"}
        out = tmp_path / "versions.txt"
        psql(db, f"\\copy (SELECT count(*), count(DISTINCT version) FROM schema_version) TO '{out}'")
        count, distinct = out.read_text().split()
        migrations = len(list((REPO_ROOT / "src" / "store" / "sql" / "pg").glob("*.sql")))
        assert int(count) == int(distinct) == migrations, out.read_text()  # all, each once
        other = tmp_path / "other.key"
        servers.init(servers.new_db(), key_file=other)
        rc, err = refused(servers, db, other)
        assert rc == 1 and str(other) in err and "does not belong" in err, err
        for s in instances:  # and the refused one changed nothing
            assert requests.get(s.url + "/readyz", timeout=5).json() == {"status": "ok"}
            assert s.stop() == 0


def refused(servers, db, key):
    """Runs `serve` on db with key, expecting it to exit by itself; returns
    (exit code, stderr text)."""
    port = free_port()
    try:
        p = servers.run("serve", "--db", db, "--key-file", key, "--listen", f"127.0.0.1:{port}",
                        timeout=30)
    except subprocess.TimeoutExpired as exc:  # it is serving
        pytest.fail(f"serve started with another installation's key file: {exc}")
    return p.returncode, p.stderr.decode(errors="replace")
