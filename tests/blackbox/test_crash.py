# SPDX-License-Identifier: MIT
# Crash safety: 30 cycles of concurrent creates, patches, deletes and token
# revocations, kill -9 at a random moment, restart; then every write that got
# a 2xx is there, every revoked token is refused, tokens issued before the
# crash still work, and SQLite's integrity_check is ok.

import random
import sqlite3
import threading
import time

import requests

from conftest import EngageGate, init_with, REALM, PUBLIC_URL

CYCLES = 30
WORKERS = 6


def test_kill_9_at_random_loses_no_acknowledged_write(servers, issued, idp_certs):
    db = servers.new_db()
    info = init_with(servers, db, "--realm", REALM)
    gate = EngageGate(servers.server(db, public_url=PUBLIC_URL), info, issued)
    rng = random.Random(20261126)
    created, deleted, patched, revoked, live = set(), set(), {}, [], []
    tried_delete = set()  # a delete whose answer the crash ate may have happened
    lock = threading.Lock()
    saml = {"title": "t", "protocol": "saml2", "auth_url": "https://idp.example.com/sso",
            "idp_certificate": idp_certs[0]}

    def work(seed, stop):
        r = random.Random(seed)
        s = requests.Session()
        auth = {"Authorization": "Bearer " + gate.token()}
        url = gate.url(gate.plist())
        while not stop.is_set():
            try:
                op = r.random()
                with lock:
                    ids = sorted(created - deleted)
                if op < 0.4 or not ids:
                    resp = s.post(url, json=saml, headers=auth, timeout=2)
                    if resp.status_code == 201:
                        with lock:
                            created.add(resp.json()["id"])
                elif op < 0.8:
                    pid, key = r.choice(ids), f"k{r.randrange(1 << 30)}"
                    resp = s.patch(f"{url}/{pid}", data='{"authn_context":{"%s":1}}' % key,
                                   headers={**auth, "Content-Type": "application/merge-patch+json"},
                                   timeout=2)
                    if resp.status_code == 200:
                        with lock:
                            patched.setdefault(pid, set()).add(key)
                elif op < 0.9:
                    pid = r.choice(ids)
                    with lock:
                        tried_delete.add(pid)
                    if s.delete(f"{url}/{pid}", headers=auth, timeout=2).status_code == 204:
                        with lock:
                            deleted.add(pid)
                else:
                    tok = gate.token()
                    if gate.revoke(tok).status_code == 200:
                        with lock:
                            revoked.append(tok)
            except requests.exceptions.RequestException:
                pass  # the server died under us: expected

    for cycle in range(CYCLES):
        live.append(gate.token())
        stop = threading.Event()
        threads = [threading.Thread(target=work, args=(cycle * 100 + i, stop))
                   for i in range(WORKERS)]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.05, 0.4))
        gate.server.kill9()
        stop.set()
        for t in threads:
            t.join(timeout=10)
        gate.server.start(new_port=False)

    # every acknowledged write is there
    for pid in created - tried_delete:
        r = gate.call("GET", gate.ppath(pid))
        assert r.status_code == 200, f"acknowledged provider {pid} lost: {r.status_code}"
        have = set(r.json().get("authn_context", {}))
        assert patched.get(pid, set()) <= have, f"acknowledged patches of {pid} lost"
    for pid in deleted:
        assert gate.call("GET", gate.ppath(pid)).status_code == 404
    for tok in revoked:
        assert gate.call("GET", "config/clients", token=tok).status_code == 403
    for tok in live:
        assert gate.call("GET", "config/clients", token=tok).status_code == 200
    assert len(created - tried_delete) > CYCLES, "the load did too little to prove anything"
    assert sum(map(len, patched.values())) > CYCLES and deleted and revoked
    con = sqlite3.connect(str(db))
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
