# SPDX-License-Identifier: MIT
"""PostgreSQL stopped under a running server, then started again (SPEC §8):
while it is down, a request that needs it gets a JSON 503 at once (never a
hang), /readyz answers 503 while /healthz stays 200 (the process lives);
once it is back, service resumes by itself, with no restart of socialgate,
and every write acknowledged before the stop is there.

The cluster is this module's own (scripts/pg-cluster's steps), whatever
SOCIALGATE_TEST_PG says: the test stops and starts its server."""

import shutil
import tempfile
import time
import types
import urllib.parse

import pytest
import requests

from conftest import EngageGate, Issued
from pg_harness import _pg_cluster, psql, with_dbname

DOWN_ANSWER_SECONDS = 6.0  # a refused connection is immediate; 5 s is libpq's connect_timeout
BACK_SECONDS = 10.0

OIDC = {"title": "t", "protocol": "openidconnect", "auth_url": "https://idp.example.test/a",
        "token_url": "https://idp.example.test/t", "client_id": "c", "client_secret": "s",
        "scopes": ["openid"]}


class Cluster:
    """A throwaway cluster whose server this test may stop and start."""

    def __init__(self):
        self.pg = _pg_cluster()
        # The test clusters' settings trade durability for speed; this one
        # is stopped under load, so a commit must be written (to the OS;
        # no machine crash here) before it returns, as socialgate expects.
        self.pg.SERVER_SETTINGS = dict(self.pg.SERVER_SETTINGS, synchronous_commit="on")
        self.bin = self.pg.bindir()
        if self.bin is None:
            pytest.skip("no PostgreSQL server (scripts/install-deps installs it)")
        self.tmp = tempfile.mkdtemp(prefix="socialgate-pg.", dir=self.pg.parent_dir())
        self.as_user = self.pg.server_user()
        self.server = None
        if not self.pg.initdb(self.bin, self.tmp, self.as_user):
            self.remove()
            raise RuntimeError("initdb failed")
        self.start()
        host = urllib.parse.quote(self.tmp, safe="/")
        self.admin = f"postgresql:///postgres?host={host}&port={self.pg.PORT}&user=postgres"

    def start(self):
        self.server = self.pg.launch(self.bin, self.tmp, self.as_user)
        if not self.pg.wait_ready(self.server, self.tmp, types.SimpleNamespace(received=None)):
            self.pg.show_log(self.tmp)
            raise RuntimeError("the PostgreSQL server did not start")

    def stop(self):
        self.pg.stop(self.server)  # immediate shutdown: recovery from the WAL at the next start
        self.server = None

    def remove(self):
        self.pg.stop(self.server)
        shutil.rmtree(self.tmp, ignore_errors=True)


@pytest.fixture
def cluster():
    c = Cluster()
    try:
        yield c
    finally:
        c.remove()


def test_database_down_503_at_once_then_service_resumes_by_itself(servers, cluster, tmp_path):
    psql(cluster.admin, "CREATE DATABASE sg_down")
    db, key = with_dbname(cluster.admin, "sg_down"), tmp_path / "sg.key"
    info = servers.init(db, key_file=key)
    gate = EngageGate(servers.server(db, key_file=key), info, Issued())
    created = [gate.create(dict(OIDC, title=f"p{i}")) for i in range(5)]
    assert all(r.status_code == 201 for r in created), [r.text for r in created]
    token = gate.token()
    base = gate.server.url
    assert requests.get(base + "/readyz", timeout=5).json() == {"status": "ok"}

    cluster.stop()
    t0 = time.monotonic()
    r = gate.view(created[0].json()["id"], token=token, timeout=DOWN_ANSWER_SECONDS + 5)
    took = time.monotonic() - t0
    assert r.status_code == 503 and r.headers["Content-Type"].startswith("application/json"), \
        (r.status_code, r.text)
    assert took < DOWN_ANSWER_SECONDS, took
    w = gate.create(dict(OIDC, title="while down"))
    assert w.status_code == 503, (w.status_code, w.text)
    ready = requests.get(base + "/readyz", timeout=DOWN_ANSWER_SECONDS + 5)
    assert ready.status_code == 503 and ready.json() == {"status": "database unavailable"}
    assert requests.get(base + "/healthz", timeout=5).status_code == 200  # the process lives

    cluster.start()
    deadline = time.monotonic() + BACK_SECONDS
    while requests.get(base + "/readyz", timeout=5).status_code != 200:
        assert time.monotonic() < deadline, "service did not resume by itself"
        time.sleep(0.05)
    assert gate.server.running  # the same process: nothing restarted it
    for c in created:  # every write acknowledged before the stop
        got = gate.view(c.json()["id"], token=token, timeout=5)
        assert got.status_code == 200 and got.json()["title"] == c.json()["title"], got.text
    assert gate.create(dict(OIDC, title="after")).status_code == 201
    listed = gate.get(gate.plist(), token=token, timeout=5)
    titles = {p["title"] for p in listed.json()["_embedded"]["item"]}
    assert "while down" not in titles and "after" in titles, titles
