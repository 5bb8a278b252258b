# SPDX-License-Identifier: MIT
# The binary as an operator runs it (SPEC §6): --version/--help, init output
# and key file, serve via flags or environment, SIGTERM/SIGINT exit 0,
# restart and kill -9 keeping tokens, revocations and writes, and the log
# never containing a secret or a token. One server per database, and the key
# file's checks: test_installation.py.

import base64
import json
import os
import re
import signal
import stat
import uuid

import requests

from conftest import (BEARER_INVALID, ID_CHARS_RE, UUID_RE, Gate, assert_forbidden,
                      assert_invalid_client)


# ---- command line -----------------------------------------------------------------

def test_version_prints_a_version_line(servers):
    p = servers.run("--version")
    assert p.returncode == 0, p.stderr
    out = p.stdout.decode().strip()
    assert len(out.splitlines()) == 1, out
    assert re.search(r"\d+\.\d+", out), out


def test_help_prints_usage(servers):
    p = servers.run("--help")
    assert p.returncode == 0, p.stderr
    out = p.stdout.decode()
    assert "init" in out and "serve" in out, out


def test_unknown_command_fails(servers):
    p = servers.run("frobnicate")
    assert p.returncode != 0


def test_init_json_prints_one_object_and_a_0600_key_file(servers):
    db = servers.new_db()
    p = servers.run("init", "--db", db, "--json")
    assert p.returncode == 0, p.stderr
    info = json.loads(p.stdout.decode())  # exactly one JSON document
    servers.issued.add(info["client_secret"])
    servers.issued.add(info["api_key"])
    assert set(info) == {"customer_id", "token_endpoint", "client_id", "client_secret",
                         "token_policy_id", "app_id", "api_key"}
    assert UUID_RE.match(info["customer_id"])
    assert info["token_endpoint"] == f"/{info['customer_id']}/login/token"
    assert ID_CHARS_RE.match(info["client_id"]) and ID_CHARS_RE.match(info["client_secret"])
    assert len(info["client_secret"]) >= 43
    assert UUID_RE.match(info["token_policy_id"])
    assert re.fullmatch(r"[a-z]{20}", info["app_id"])
    assert re.fullmatch(r"[0-9a-f]{40}", info["api_key"])
    key = db.with_name(db.name + ".key")
    assert key.is_file()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert db.is_file()
    # the secret is not written to stderr
    assert info["client_secret"].encode() not in p.stderr


def test_init_with_customer_id_uses_it(servers):
    db = servers.new_db()
    cid = str(uuid.uuid4())
    info = servers.init(db, customer_id=cid)
    assert info["customer_id"] == cid
    assert info["token_endpoint"] == f"/{cid}/login/token"
    g = Gate(servers.server(db), info, servers.issued)
    assert g.token()


def test_init_with_non_uuid_customer_id_fails(servers):
    db = servers.new_db()
    p = servers.run("init", "--db", db, "--json", "--customer-id", "not-a-uuid")
    assert p.returncode != 0


def test_init_without_json_prints_a_curl_line(servers):
    db = servers.new_db()
    p = servers.run("init", "--db", db)
    assert p.returncode == 0, p.stderr
    out = p.stdout.decode()
    m = re.search(r"curl .*", out)
    assert m, out
    cid = re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", out)
    assert cid and f"/{cid.group(0)}/login/token" in out, out


def test_second_init_adds_a_customer_and_both_work(servers):
    db = servers.new_db()
    a, b = servers.init(db), servers.init(db)
    assert a["customer_id"] != b["customer_id"]
    srv = servers.server(db)
    assert Gate(srv, a, servers.issued).token()
    assert Gate(srv, b, servers.issued).token()


# ---- signals and restart --------------------------------------------------------------

def test_sigterm_exits_0(gate):
    assert gate.get("config/clients").status_code == 200
    assert gate.server.stop(signal.SIGTERM) == 0


def test_sigint_exits_0(gate):
    assert gate.get("config/clients").status_code == 200
    assert gate.server.stop(signal.SIGINT) == 0


def test_readyz_answers_like_healthz_while_the_database_answers(gate):
    for path in ("/healthz", "/readyz"):
        r = requests.get(gate.server.url + path, timeout=2)
        assert r.status_code == 200 and r.json() == {"status": "ok"}, (path, r.text)
        assert r.headers["Cache-Control"] == "no-store"


def test_stopped_server_no_longer_listens(gate):
    url = gate.server.url + "/healthz"
    assert requests.get(url, timeout=2).status_code == 200
    assert gate.server.stop() == 0
    try:
        requests.get(url, timeout=2)
        answered = True
    except requests.ConnectionError:
        answered = False
    assert not answered


def test_restart_keeps_tokens_revocations_clients_and_rotated_secrets(gate):
    kept, revoked = gate.token(), gate.token()
    assert gate.revoke(revoked).status_code == 200
    c = gate.create_client(name="survivor")
    rot = gate.call("POST", f"config/clients/{c['id']}/secret")
    assert rot.status_code == 200, rot.text
    new_secret = rot.json()["secret"]

    gate.server.restart()

    assert gate.get("config/clients", token=kept).status_code == 200
    assert_forbidden(gate.get("config/clients", token=revoked), BEARER_INVALID)
    names = [i["name"] for i in gate.get("config/clients", token=kept).json()["_embedded"]["clients"]]
    assert "survivor" in names
    assert_invalid_client(gate.post_token(auth=(c["id"], c["secret"])))
    assert gate.token(client_id=c["id"], secret=new_secret)
    assert gate.token()  # the init client too (its secret decrypts with the key file)


def test_kill_9_loses_no_acknowledged_write(gate):
    pid = gate.create_policy(title="durable", accessTokenLifetime=77)
    c = gate.create_client(policy=pid, name="durable-client")
    tok = gate.token(client_id=c["id"], secret=c["secret"])
    revoked = gate.token()
    assert gate.revoke(revoked).status_code == 200
    gate.server.kill9()
    gate.server.start()
    assert gate.get(f"config/tokenPolicies/{pid}").json()["accessTokenLifetime"] == 77
    assert gate.get("config/clients", token=tok).status_code == 200
    assert gate.token_response(client_id=c["id"], secret=c["secret"])["expires_in"] == 77
    assert_forbidden(gate.get("config/clients", token=revoked), BEARER_INVALID)


# ---- environment ----------------------------------------------------------------

def test_environment_variables_instead_of_flags(servers):
    db = servers.new_db()
    key = db.with_name("custom.key")
    info = servers.init(db, key_file=key)
    assert key.is_file() and stat.S_IMODE(key.stat().st_mode) == 0o600
    assert not db.with_name(db.name + ".key").exists()
    public = "http://env.example.test:7777"
    srv = servers.server(db, public_url=public, key_file=key, via_env=True)
    g = Gate(srv, info, servers.issued)
    assert g.get("config/clients").status_code == 200
    r = g.call("POST", "config/tokenPolicies", json={"title": "env", "allowedScopes": []})
    assert r.status_code == 201, r.text
    assert r.headers["Location"].startswith(public + f"/{info['customer_id']}/")
    # the init client's secret is readable, so the env key file was used
    assert g.get(f"config/clients/{g.client_id}/secret").json() == {"secret": g.client_secret}
    assert srv.stop() == 0


# ---- logs -----------------------------------------------------------------------

def test_serve_writes_nothing_to_stdout(gate):
    assert gate.token()
    assert gate.get("config/clients").status_code == 200
    assert gate.server.stop() == 0
    assert gate.server.stdout_path.read_bytes() == b""


def exercise_secrets(g, issued):
    """Issues, uses, rotates, revokes and mistypes secrets and tokens by every
    path, restarts once, stops, and returns the log path."""
    t1 = g.token()
    t2 = g.token_response(scope="GET:**")["access_token"]
    g.introspect(t1)
    g.revoke(t2)
    g.get("config/clients", token=t2)
    g.get("config/clients", token=t1[:-1] + ("x" if t1[-1] != "x" else "y"))
    bad = "wrong-secret-" + uuid.uuid4().hex
    issued.add(bad)
    g.post_token(auth=(g.client_id, bad))
    g.post_token(auth=None, data={"grant_type": "client_credentials", "client_id": g.client_id,
                                  "client_secret": bad})
    g.post_token(data="grant_type=client_credentials&scope=%zz",
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    c = g.create_client(name="logged")
    g.get(f"config/clients/{c['id']}/secret")
    new = g.call("POST", f"config/clients/{c['id']}/secret").json()["secret"]
    t3 = g.token(client_id=c["id"], secret=new)
    g.call("POST", f"config/clients/{g.client_id}/secret", token=t3)
    g.call("DELETE", f"config/clients/{c['id']}", token=t1)
    g.get("config/clients", token=t3)
    g.server.restart()
    g.get("config/clients", token=t1)
    assert g.server.stop() == 0
    assert {t1, t2, t3, new, bad, c["secret"], g.client_secret} <= set(issued)
    assert len(issued) >= 9  # plus the admin token and the rotated init secret
    return g.server.log_path


def assert_no_leak(log, issued):
    assert log.exists()
    data = log.read_bytes()
    assert data, "the server logged nothing at all"
    leaked = [v[:6] + "..." for v in issued if v.encode() in data]
    assert leaked == [], f"{log.name} contains secrets/tokens: {leaked}"


def test_no_secret_or_token_in_server_log(gate, issued):
    assert_no_leak(exercise_secrets(gate, issued), issued)


def test_no_secret_or_token_in_debug_log(servers, issued):
    db = servers.new_db()
    info = servers.init(db)
    srv = servers.server(db, env={"SOCIALGATE_LOG_LEVEL": "debug"})
    assert_no_leak(exercise_secrets(Gate(srv, info, issued), issued), issued)


def test_sigterm_finishes_a_request_in_flight(gate):
    import socket
    import time
    body = b"grant_type=client_credentials&scope=*:**"
    auth = base64.b64encode(f"{gate.client_id}:{gate.client_secret}".encode()).decode()
    head = (f"POST /{gate.customer_id}/login/token HTTP/1.1\r\n"
            f"Host: {gate.server.listen}\r\nAuthorization: Basic {auth}\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", gate.server.port), timeout=5) as s:
        s.sendall(head + body[:10])
        time.sleep(0.2)
        os.kill(gate.server.proc.pid, signal.SIGTERM)
        time.sleep(0.2)
        s.sendall(body[10:])
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    status, _, rest = data.partition(b"\r\n")
    assert status.startswith(b"HTTP/1.1 200"), data[:200]
    tok = json.loads(rest.partition(b"\r\n\r\n")[2])["access_token"]
    gate.issued.add(tok)
    assert gate.server.proc.wait(timeout=5) == 0
