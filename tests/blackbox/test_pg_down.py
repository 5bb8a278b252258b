# SPDX-License-Identifier: MIT
"""PostgreSQL stopped under a running server, then started again (SPEC §8):
while it is down, a request that needs it gets a JSON 503 at once (never a
hang), /readyz answers 503 while /healthz stays 200 (the process lives);
once it is back, service resumes by itself, with no restart of socialgate,
and every write acknowledged is there, under a load of writes that runs
through the stop and the start.

The cluster is this module's own (scripts/pg-cluster's steps), whatever
SOCIALGATE_TEST_PG says: the test stops and starts its server."""

import threading
import time

import pytest
import requests

from conftest import EngageGate, Issued
from pg_harness import _pg_cluster, psql, with_dbname

DOWN_ANSWER_SECONDS = 6.0  # a refused connection is immediate; 5 s is libpq's connect_timeout
BACK_SECONDS = 10.0

OIDC = {"title": "t", "protocol": "openidconnect", "auth_url": "https://idp.example.test/a",
        "token_url": "https://idp.example.test/t", "client_id": "c", "client_secret": "s",
        "scopes": ["openid"]}


@pytest.fixture
def cluster():
    """A cluster whose server this test stops and starts. The test
    clusters' settings trade durability for speed; this one is stopped
    under load, so a commit must be written (to the OS; no machine crash
    here) before it returns, as socialgate expects."""
    pg = _pg_cluster()
    if pg.bindir() is None:
        pytest.skip("no PostgreSQL server (scripts/install-deps installs it)")
    with pg.Cluster(settings={"synchronous_commit": "on"}) as c:
        yield c


class Writer(threading.Thread):
    """Creates providers in a loop until told to stop: each answer must be
    a 201 or a JSON 503, in time; the 201s are what must survive."""

    def __init__(self, gate):
        super().__init__()
        self.gate, self.acked, self.bad, self.refused = gate, [], [], 0
        self.done = threading.Event()

    def run(self):
        n = 0
        while not self.done.is_set():
            title = f"load{n}"
            n += 1
            try:
                r = self.gate.create(dict(OIDC, title=title), timeout=DOWN_ANSWER_SECONDS + 5)
            except requests.RequestException as exc:
                self.bad.append(f"{title}: no answer: {exc}")
                continue
            if r.status_code == 201:
                self.acked.append((r.json()["id"], title))
            elif r.status_code == 503 and r.headers["Content-Type"].startswith("application/json"):
                self.refused += 1
                time.sleep(0.01)
            else:
                self.bad.append(f"{title}: {r.status_code} {r.text[:200]}")


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
    load = Writer(EngageGate(gate.server, info, Issued()))
    load.gate._admin = token
    load.start()
    time.sleep(0.3)

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
    time.sleep(0.3)  # the load goes on after the database is back
    load.done.set()
    load.join()
    assert not load.bad, load.bad[:5]
    assert load.refused > 0, "no write was refused while the database was down"
    assert any(t == "load0" for _, t in load.acked), "no write was taken before the stop"
    for pid, title in load.acked:  # acknowledged under load, before, during or after
        got = gate.view(pid, token=token, timeout=5)
        assert got.status_code == 200 and got.json()["title"] == title, (title, got.status_code)
    assert gate.create(dict(OIDC, title="after")).status_code == 201
    listed = gate.get(gate.plist(), token=token, timeout=5)
    titles = {p["title"] for p in listed.json()["_embedded"]["item"]}
    assert "while down" not in titles and "after" in titles, titles
