# SPDX-License-Identifier: MIT
"""kill -9 of one of three instances on one PostgreSQL database under write
load (SPEC §8): no write acknowledged by any instance is lost, and the
other two never answer 5xx, before, during or after."""

import signal
import threading
import time

import requests

from conftest import EngageGate
from pg_harness import pg_database

INSTANCES = 3
WRITERS_PER_INSTANCE = 2
LOAD_SECONDS = 2.0
KILL_AFTER = 0.7  # seconds into the load

OIDC = {"protocol": "openidconnect", "auth_url": "https://idp.example.test/a",
        "token_url": "https://idp.example.test/t", "client_id": "c", "client_secret": "s",
        "scopes": ["openid"]}


def test_kill_9_of_one_instance_under_write_load_loses_no_acknowledged_write(servers, issued,
                                                                           tmp_path):
    key = tmp_path / "shared.key"
    with pg_database("sg_kill") as db:
        info = servers.init(db, key_file=key)
        gates = [EngageGate(servers.server(db, key_file=key), info, issued)
                 for _ in range(INSTANCES)]
        token = gates[0].token()
        for g in gates:
            g._admin = token
        acked, bad, lock = [], [], threading.Lock()
        stop = time.monotonic() + LOAD_SECONDS

        def write(i, w):
            g, n = gates[i], 0
            while time.monotonic() < stop:
                title = f"i{i}w{w}n{n}"
                n += 1
                try:
                    r = g.create(dict(OIDC, title=title), timeout=10)
                except requests.RequestException:
                    if i != 0:  # only the killed instance may stop answering
                        with lock:
                            bad.append(f"instance {i}: no answer")
                    continue
                with lock:
                    if r.status_code == 201:
                        acked.append((r.json()["id"], title))
                    elif r.status_code >= 500:
                        bad.append(f"instance {i}: {r.status_code} {r.text[:200]}")

        threads = [threading.Thread(target=write, args=(i, w))
                   for i in range(INSTANCES) for w in range(WRITERS_PER_INSTANCE)]
        for t in threads:
            t.start()
        time.sleep(KILL_AFTER)
        victim = gates[0].server
        victim.proc.send_signal(signal.SIGKILL)
        victim.proc.wait(timeout=10)
        for t in threads:
            t.join()
        assert not bad, bad[:5]
        assert acked, "no write was acknowledged"
        assert any(title.startswith("i0") for _, title in acked), "the victim took no write"
        survivor = gates[1]
        for pid, title in acked:  # every acknowledged write, whichever instance took it
            r = survivor.view(pid, timeout=10)
            assert r.status_code == 200 and r.json()["title"] == title, (pid, r.status_code)
        listed = survivor.get(survivor.plist(), timeout=10).json()["_embedded"]["item"]
        assert {p["id"] for p in listed} >= {pid for pid, _ in acked}
        for g in gates[1:]:
            assert g.server.stop() == 0
