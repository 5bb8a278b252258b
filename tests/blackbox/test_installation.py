# SPDX-License-Identifier: MIT
# One installation = one SQLite database, its key file and at most one
# `serve` process: a second server on the same file is refused (several
# instances are what PostgreSQL is for, SPEC §8) while the CLI may still
# write beside the server and is seen at once; a key file of another
# installation, or one readable by group or others, stops the server before
# it answers anything.

import json
import os
import sqlite3
import stat
import subprocess
import time
import uuid

import pytest
import requests

from conftest import ENGAGE, REALM, Gate, app_add, clean_env, free_port

REFUSE_TIMEOUT = 10  # seconds: a refused start exits at once; a started server never does


def serve_refused(servers, db, *extra, env=None):
    """Runs `serve` on db and a free port, expecting it to exit by itself;
    returns (exit code, stderr text). Fails if it is still running after
    REFUSE_TIMEOUT, which is what a server that started does."""
    port = free_port()
    try:
        p = servers.run("serve", "--db", db, "--listen", f"127.0.0.1:{port}", *extra,
                        env=env, timeout=REFUSE_TIMEOUT)
    except subprocess.TimeoutExpired as exc:  # it is serving
        pytest.fail(f"serve did not refuse to start: {exc}")
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
    return p.returncode, p.stderr.decode(errors="replace")


def key_of(db):
    return db.with_name(db.name + ".key")


# ---- one server per SQLite database -------------------------------------------------

def spellings(db):
    """Other names of the same database file a second server might be given."""
    tmp = db.parent
    link = tmp / "link-to.db"
    link.symlink_to(db)
    linkdir = tmp / "dirlink"
    linkdir.symlink_to(tmp, target_is_directory=True)
    return [str(db), f"sqlite:{db}", os.path.relpath(db, tmp), str(tmp / "." / db.name),
            str(link), str(linkdir / db.name)]


def test_second_serve_on_one_sqlite_database_exits_1_whatever_its_path(gate, servers):
    db = gate.server.db
    lock = os.path.realpath(db) + "-serve.lock"
    for name in spellings(db):
        rc, err = serve_refused(servers, name, "--key-file", key_of(db))
        assert rc == 1, f"{name}: exit {rc}: {err}"
        assert "another server" in err and "PostgreSQL" in err, err
        assert lock in err, err
    # the first server is unharmed
    assert gate.get("config/clients").status_code == 200
    assert gate.server.stop() == 0
    # once it has stopped, a server starts again (also after kill -9)
    gate.server.start()
    assert gate.get("config/clients").status_code == 200
    gate.server.kill9()
    gate.server.start()
    assert gate.token()


def test_cli_writes_beside_a_server_are_seen_at_once(gate, servers):
    db = gate.server.db
    # a customer asked for before it exists is not remembered as missing
    cid = str(uuid.uuid4())
    probe = Gate(gate.server, {"customer_id": cid, "client_id": "x", "client_secret": "y",
                               "token_policy_id": ""}, gate.issued)
    assert probe.post_token().status_code == 401
    info = servers.init(db, customer_id=cid)
    assert Gate(gate.server, info, gate.issued).token()  # no wait
    other = servers.init(db)
    assert Gate(gate.server, other, gate.issued).token()
    # an app added beside the server is listed and readable at once
    before = gate.get(f"{ENGAGE}/apps").json()["_embedded"]["item"]
    p = app_add(servers, db, gate.customer_id, "added-beside", REALM)
    assert p.returncode == 0, p.stderr
    app_id = p.stdout.decode().strip()
    after = gate.get(f"{ENGAGE}/apps").json()["_embedded"]["item"]
    assert sorted(a["id"] for a in after) == sorted([a["id"] for a in before] + [app_id])
    r = gate.get(f"{ENGAGE}/apps/{app_id}")
    assert r.status_code == 200 and r.json()["name"] == "added-beside", r.text


# ---- the key file belongs to its database ----------------------------------------------

def test_key_file_of_another_installation_is_refused_naming_it(servers):
    a, b = servers.new_db(), servers.new_db()
    info = servers.init(a)
    servers.init(b)
    rc, err = serve_refused(servers, a, "--key-file", key_of(b))
    assert rc == 1, err
    assert str(key_of(b)) in err and "does not belong" in err, err
    # init with it would seal a new customer's secret under the wrong key
    p = servers.run("init", "--db", a, "--json", "--key-file", key_of(b))
    assert p.returncode == 1 and str(key_of(b)).encode() in p.stderr, p.stderr
    assert p.stdout == b""
    # nor may init make a new key file for it (it is not left behind)
    fresh = a.with_name("fresh.key")
    p = servers.run("init", "--db", a, "--json", "--key-file", fresh)
    assert p.returncode == 1 and str(fresh).encode() in p.stderr, p.stderr
    assert not fresh.exists()
    # the right key still works, also after a restart
    srv = servers.server(a)
    g = Gate(srv, info, servers.issued)
    tok = g.token()
    srv.restart()
    assert g.get("config/clients", token=tok).status_code == 200
    assert g.token()


def downgrade(db):
    """Makes db look like one written before the key check existed."""
    with sqlite3.connect(db) as c:
        version = c.execute("PRAGMA user_version").fetchone()[0]
        names = [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        assert "meta" in names, names
        assert version == 7, version  # 003 meta, 004 apps' sign-in columns, 005-007 sign-in tables
        for index in ("apps_api_key", "apps_by_id", "providers_by_id"):
            c.execute(f"DROP INDEX {index}")
        for table in ("saml_assertions", "issuer_pins", "signin_tokens", "flows", "meta"):
            c.execute(f"DROP TABLE {table}")
        for col in ("api_key_sealed", "api_key_verifier", "token_urls", "settings"):
            c.execute(f"ALTER TABLE apps DROP COLUMN {col}")
        c.execute("PRAGMA user_version = 2")
    c.close()


def test_database_without_key_check_is_checked_against_its_secrets(servers):
    a, b = servers.new_db(), servers.new_db()
    info = servers.init(a)
    servers.init(b)
    downgrade(a)
    rc, err = serve_refused(servers, a, "--key-file", key_of(b))
    assert rc == 1, err
    assert str(key_of(b)) in err and "does not belong" in err, err
    # the right key starts, records the check, and from then on the check holds
    srv = servers.server(a)
    assert Gate(srv, info, servers.issued).token()
    assert srv.stop() == 0
    rc, err = serve_refused(servers, a, "--key-file", key_of(b))
    assert rc == 1 and str(key_of(b)) in err, err


def test_empty_database_is_bound_to_its_first_key(servers):
    a, b = servers.new_db(), servers.new_db()
    servers.init(b)
    p = servers.run("init", "--db", a, "--json")  # a database, then delete its only client
    assert p.returncode == 0, p.stderr
    servers.issued.add(json.loads(p.stdout)["client_secret"])
    with sqlite3.connect(a) as c:
        c.execute("DELETE FROM clients")
    c.close()
    rc, err = serve_refused(servers, a, "--key-file", key_of(b))
    assert rc == 1 and str(key_of(b)) in err, err


# ---- the key file is private -----------------------------------------------------------

@pytest.mark.parametrize("mode", [0o640, 0o604, 0o620, 0o602, 0o610, 0o601, 0o644, 0o666])
def test_key_file_open_to_group_or_others_is_refused(servers, mode):
    db = servers.new_db()
    info = servers.init(db)
    key = key_of(db)
    key.chmod(mode)
    rc, err = serve_refused(servers, db)
    assert rc == 1, err
    assert str(key) in err and "chmod 600" in err and "--allow-open-key-file" in err, err
    p = servers.run("init", "--db", db, "--json")
    assert p.returncode == 1 and str(key).encode() in p.stderr, p.stderr
    # allowed on request, by flag or environment
    srv = servers.server(db, start=False)
    srv.start(env={"SOCIALGATE_ALLOW_OPEN_KEY_FILE": "1"})
    assert Gate(srv, info, servers.issued).token()
    assert srv.stop() == 0
    key.chmod(0o600)
    srv.start(env={})
    assert Gate(srv, info, servers.issued).token()


def test_allow_open_key_file_flag(servers):
    db = servers.new_db()
    info = servers.init(db)
    key_of(db).chmod(0o644)
    port = free_port()
    proc = subprocess.Popen([str(servers.binary), "serve", "--db", str(db), "--listen",
                             f"127.0.0.1:{port}", "--allow-open-key-file"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=clean_env(), cwd=str(servers.tmp))
    try:
        deadline = time.monotonic() + 5
        ok = False
        while time.monotonic() < deadline and proc.poll() is None and not ok:
            try:
                ok = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5).ok
            except requests.RequestException:
                time.sleep(0.05)
        assert ok, "serve --allow-open-key-file did not start"
        r = requests.post(f"http://127.0.0.1:{port}/{info['customer_id']}/login/token",
                          auth=(info["client_id"], info["client_secret"]),
                          data={"grant_type": "client_credentials"}, timeout=5)
        assert r.status_code == 200, r.text
        servers.issued.add(r.json()["access_token"])
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert b"group or others" in err  # started, but says so
    for v in servers.issued:
        assert v.encode() not in err


def test_private_key_file_modes_are_accepted(servers):
    db = servers.new_db()
    info = servers.init(db)
    for mode in (0o600, 0o400, 0o700):
        key_of(db).chmod(mode)
        srv = servers.server(db)
        assert Gate(srv, info, servers.issued).token()
        assert srv.stop() == 0
    assert stat.S_IMODE(key_of(db).stat().st_mode) == 0o700
