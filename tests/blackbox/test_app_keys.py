# SPDX-License-Identifier: MIT
# An app's sign-in configuration over real HTTP (SPEC §7.1): the apiKey that
# `init --json` and `app add --json` print, shown and rotated through the API
# and never stored in clear; PATCH of token_urls and settings with its ETag.

import json
import re
import sqlite3

from conftest import (MERGE_PATCH, PUBLIC_URL, REALM, EngageGate, apps_path, assert_api_error,
                      init_with)

KEY_RE = re.compile(r"^[0-9a-f]{40}$")


def key_path(app_id):
    return apps_path(app_id) + "/apiKey"


def app_add_json(servers, db, customer_id, name, realm):
    p = servers.run("app", "add", "--db", db, "--customer-id", customer_id, "--name", name,
                    "--realm", realm, "--json")
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    out = json.loads(p.stdout.decode())
    servers.issued.add(out.get("api_key"))
    return out


def test_init_and_app_add_print_the_key_the_api_shows_and_never_store_it_in_clear(servers, issued):
    db = servers.new_db()
    info = init_with(servers, db, "--realm", REALM)
    assert KEY_RE.match(info["api_key"]), info
    added = app_add_json(servers, db, info["customer_id"], "Shop", "https://shop.example.test")
    assert set(added) == {"app_id", "api_key"}
    assert KEY_RE.match(added["api_key"]) and added["api_key"] != info["api_key"]
    g = EngageGate(servers.server(db, public_url=PUBLIC_URL), info, issued)
    for app_id, key in [(info["app_id"], info["api_key"]), (added["app_id"], added["api_key"])]:
        r = g.get(key_path(app_id))
        assert r.status_code == 200, r.text
        assert r.json() == {"apiKey": key}
    r = g.call("POST", key_path(added["app_id"]))
    assert r.status_code == 200, r.text
    rotated = r.json()["apiKey"]
    assert KEY_RE.match(rotated) and rotated != added["api_key"]
    assert g.get(key_path(added["app_id"])).json() == {"apiKey": rotated}
    data = b""
    for path in [str(db), str(db) + "-wal"]:
        try:
            with open(path, "rb") as f:
                data += f.read()
        except FileNotFoundError:
            pass
    assert data, "the database file was not read"
    for key in (info["api_key"], added["api_key"], rotated):
        assert key.encode() not in data, "an apiKey is stored in clear"


def test_app_add_without_json_prints_only_the_id(servers):
    db = servers.new_db()
    info = init_with(servers, db)
    p = servers.run("app", "add", "--db", db, "--customer-id", info["customer_id"], "--name", "W",
                    "--realm", "https://w.example.test")
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    assert re.match(r"^[a-z]{20}\n$", p.stdout.decode()), p.stdout


def test_read_only_token_may_not_see_or_rotate_the_key(engage):
    g = engage
    pid = g.create_policy(allowed=["GET:**"])
    c = g.create_client(policy=pid)
    ro = g.token(scope="GET:**", client_id=c["id"], secret=c["secret"])
    for method in ("GET", "POST"):
        r = g.call(method, key_path(g.app_id), token=ro)
        assert r.status_code == 403, r.text
        assert "insufficient_scope" in r.headers.get("WWW-Authenticate", "")
        assert "apiKey" not in r.text
    assert g.get(key_path(g.app_id)).json() == {"apiKey": g.info["api_key"]}


def test_patch_changes_settings_and_token_urls_with_a_new_etag(engage):
    g = engage
    e0 = g.get(apps_path(g.app_id)).headers["ETag"]
    body = {"token_urls": ["https://shop.example.test/cb", "http://localhost:3000/"],
            "settings": {"token_ttl": 300, "return_access_credentials": True}}
    r = g.call("PATCH", apps_path(g.app_id), data=json.dumps(body),
               headers={"Content-Type": MERGE_PATCH, "If-Match": e0})
    assert r.status_code == 200, r.text
    assert r.headers["ETag"] != e0
    app = g.get(apps_path(g.app_id)).json()
    assert app["token_urls"] == body["token_urls"]
    assert app["settings"] == {"post_tokens_to_token_url": True, "token_ttl": 300,
                               "standard_claims": False, "return_access_credentials": True}
    assert "apiKey" not in app
    stale = g.call("PATCH", apps_path(g.app_id), data='{"name":"x"}',
                   headers={"Content-Type": MERGE_PATCH, "If-Match": e0})
    assert_api_error(stale, 412)
    bad = g.call("PATCH", apps_path(g.app_id), data='{"token_urls":["http://shop.example.test/"]}',
                 headers={"Content-Type": MERGE_PATCH})
    assert_api_error(bad, 422, "/token_urls/0")


def test_an_app_from_before_keys_gets_one_on_first_read(servers, issued):
    db = servers.new_db()
    info = init_with(servers, db)
    with sqlite3.connect(db) as c:  # as a database written before migration 004
        assert c.execute("PRAGMA user_version").fetchone()[0] == 7
        for index in ("apps_api_key", "apps_by_id", "providers_by_id"):  # 005 first
            c.execute(f"DROP INDEX {index}")
        for table in ("saml_assertions", "issuer_pins", "signin_tokens", "flows"):
            c.execute(f"DROP TABLE {table}")
        for col in ("api_key_sealed", "api_key_verifier", "token_urls", "settings"):
            c.execute(f"ALTER TABLE apps DROP COLUMN {col}")
        c.execute("PRAGMA user_version = 3")
    c.close()
    g = EngageGate(servers.server(db, public_url=PUBLIC_URL), info, issued)
    app = g.get(apps_path(g.app_id)).json()
    assert app["token_urls"] == [] and app["settings"]["token_ttl"] == 120
    first = g.get(key_path(g.app_id))
    assert first.status_code == 200, first.text
    key = first.json()["apiKey"]
    assert KEY_RE.match(key) and key != info["api_key"]
    assert g.get(key_path(g.app_id)).json() == {"apiKey": key}
