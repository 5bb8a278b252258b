# SPDX-License-Identifier: MIT
# `socialgate copy` (SPEC §8): an installation moved from SQLite to
# PostgreSQL and back to a new SQLite file answers every GET the same, its
# rotated secrets and keys still work, a token issued before the copy is
# accepted after it and a revoked one stays refused. A database with rows
# is never copied into.

from conftest import (PUBLIC_URL, REALM, EngageGate, apps_path, assert_invalid_client,
                      init_with, providers_path)
from pg_harness import pg_database
from test_providers import oauth2_body, oidc_body

MERGE_PATCH = "application/merge-patch+json"


def fill(g):
    """Every kind of row through the API; returns the GET paths that show
    them and the tokens and secrets the copy must keep working."""
    pid = g.create_policy(allowed=("*:**",), accessTokenLifetime=900)
    c = g.create_client(policy=pid)
    r = g.call("POST", f"config/clients/{c['id']}/secret")
    assert r.status_code == 200, r.text
    rotated = r.json()["secret"]
    g.issued.add(rotated)
    r = g.call("POST", apps_path(g.app_id) + "/apiKey")
    assert r.status_code == 200, r.text
    g.issued.add(r.json()["apiKey"])
    p1 = g.create_ok(oidc_body())["id"]
    p2 = g.create_ok(oauth2_body())["id"]
    r = g.modify(p1, {"title": "Renamed"}, ctype=MERGE_PATCH)
    assert r.status_code == 200, r.text
    revoked = g.token()
    assert g.revoke(revoked).status_code == 200
    assert g.get("config/clients", token=revoked).status_code == 403
    paths = ["config/tokenPolicies", f"config/tokenPolicies/{pid}",
             f"config/tokenPolicies/{g.policy_id}", "config/clients",
             f"config/clients/{c['id']}", f"config/clients/{c['id']}/secret",
             f"config/clients/{g.client_id}", apps_path(), apps_path(g.app_id),
             apps_path(g.app_id) + "/apiKey", providers_path(g.app_id),
             providers_path(g.app_id, p1), providers_path(g.app_id, p2)]
    return paths, {"client": c["id"], "secret": rotated, "old": c["secret"],
                   "revoked": revoked, "before": g.token(client_id=c["id"], secret=rotated)}


def answers(g, paths, token):
    """Status, ETag and JSON of every GET (the volatile headers left out)."""
    out = {}
    for path in paths:
        r = g.get(path, token=token)
        assert r.status_code == 200, f"{path}: {r.status_code} {r.text}"
        out[path] = (r.status_code, r.headers.get("ETag"), r.json())
    return out


def expect_same(servers, issued, info, db, key_file, paths, want, kept):
    """Serves db and checks it against what the original answered."""
    g = EngageGate(servers.server(db, public_url=PUBLIC_URL, key_file=key_file), info, issued)
    got = answers(g, paths, kept["before"])
    for path in paths:
        assert got[path] == want[path], f"{path} differs after the copy"
    r = g.get("config/clients", token=kept["revoked"])
    assert r.status_code == 403, "a token revoked before the copy stays revoked"
    assert g.introspect(kept["revoked"]).json() == {"active": False}
    assert g.introspect(kept["before"]).json()["active"] is True
    assert g.token(client_id=kept["client"], secret=kept["secret"])
    assert_invalid_client(g.post_token(auth=(kept["client"], kept["old"])))
    assert g.token(), "the init client's secret"
    g.server.stop()


def test_sqlite_to_postgresql_and_back_answers_the_same(servers, issued):
    db = servers.new_db()
    key_file = f"{db}.key"
    info = init_with(servers, db, "--realm", REALM)
    g = EngageGate(servers.server(db, public_url=PUBLIC_URL), info, issued)
    paths, kept = fill(g)
    want = answers(g, paths, kept["before"])
    g.server.stop()  # copy claims the SQLite database as serve does
    with pg_database("sg_copy") as uri:
        p = servers.run("copy", "--from", db, "--to", uri, "--key-file", key_file)
        assert p.returncode == 0, p.stderr.decode(errors="replace")
        assert b"2 clients" in p.stdout and b"2 providers" in p.stdout, p.stdout
        expect_same(servers, issued, info, uri, key_file, paths, want, kept)

        back = servers.new_db("back.db")
        p = servers.run("copy", "--from", uri, "--to", back, "--key-file", key_file)
        assert p.returncode == 0, p.stderr.decode(errors="replace")
        expect_same(servers, issued, info, back, key_file, paths, want, kept)

        p = servers.run("copy", "--from", db, "--to", uri, "--key-file", key_file)
        assert p.returncode == 1
        assert b"not empty" in p.stderr, p.stderr


def test_copy_refuses_a_key_file_of_another_database(servers):
    db = servers.new_db()
    init_with(servers, db, "--realm", REALM)
    other = servers.new_db()
    init_with(servers, other, "--realm", REALM)
    p = servers.run("copy", "--from", db, "--to", servers.new_db("to.db"), "--key-file",
                    f"{other}.key")
    assert p.returncode == 1
    assert b"does not belong" in p.stderr, p.stderr


def test_copy_from_a_missing_database_makes_none(servers, tmp_path):
    p = servers.run("copy", "--from", tmp_path / "missing.db", "--to", tmp_path / "to.db")
    assert p.returncode == 1
    assert b"no database" in p.stderr, p.stderr
    assert not (tmp_path / "missing.db").exists() and not (tmp_path / "to.db").exists()
