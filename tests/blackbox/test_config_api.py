# SPDX-License-Identifier: MIT
# Configuration API (SPEC §4): token policies and configuration clients —
# lifecycle, exact object shapes, absolute hrefs built from --public-url
# (never from Host), validation (400/409/413/415/422 with details), 404/405,
# secret read and rotation, and deletion revoking tokens. Every server here
# runs with a public URL that differs from its listen address.

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from conftest import (BEARER_INVALID, ID_CHARS_RE, PUBLIC_URL, UUID_RE, allow_set,
                      assert_api_error, assert_forbidden, assert_invalid_client)

POLICY_KEYS = {"id", "title", "accessTokenLifetime", "refreshTokenLifetime", "allowedScopes",
               "_links"}
CLIENT_KEYS = {"id", "name", "type", "tokenPolicy", "_links"}


def policy_body(**over):
    body = {"title": "Test policy", "allowedScopes": ["*:**"]}
    body.update(over)
    return body


def post_policy(g, body):
    return g.call("POST", "config/tokenPolicies", json=body)


def post_client(g, body):
    return g.call("POST", "config/clients", json=body)


def self_href(obj):
    return obj["_links"]["self"]["href"]


# ---- token policies -------------------------------------------------------------------

def test_policy_list_has_the_init_policy_with_absolute_href(public_gate):
    g = public_gate
    r = g.get("config/tokenPolicies")
    assert r.status_code == 200, r.text
    assert r.headers.get("Content-Type", "").startswith("application/json")
    body = r.json()
    assert body["total"] == 1
    items = body["_embedded"]["tokenPolicies"]
    assert len(items) == 1
    assert set(items[0]) == {"id", "title", "_links"}
    assert items[0]["id"] == g.policy_id
    assert self_href(items[0]) == f"{PUBLIC_URL}/{g.customer_id}/config/tokenPolicies/{g.policy_id}"


def test_init_policy_is_3600_star_star(public_gate):
    g = public_gate
    p = g.get(f"config/tokenPolicies/{g.policy_id}").json()
    assert p["accessTokenLifetime"] == 3600
    assert p["allowedScopes"] == ["*:**"]
    assert UUID_RE.match(p["id"])


def test_policy_create_returns_201_id_string_and_location(public_gate):
    g = public_gate
    r = post_policy(g, policy_body())
    assert r.status_code == 201, r.text
    pid = r.json()
    assert isinstance(pid, str) and UUID_RE.match(pid)
    expected = f"{PUBLIC_URL}/{g.customer_id}/config/tokenPolicies/{pid}"
    assert r.headers.get("Location") == expected


def test_policy_get_has_exact_members_and_defaults(public_gate):
    g = public_gate
    pid = g.create_policy(allowed=["GET:**", "*:config/**"], title="Defaults")
    r = g.get(f"config/tokenPolicies/{pid}")
    assert r.status_code == 200, r.text
    p = r.json()
    assert set(p) == POLICY_KEYS
    assert p == {"id": pid, "title": "Defaults", "accessTokenLifetime": 3600,
                 "refreshTokenLifetime": 7776000, "allowedScopes": ["GET:**", "*:config/**"],
                 "_links": {"self": {"href": f"{PUBLIC_URL}/{g.customer_id}/config/tokenPolicies/{pid}"}}}


def test_policy_create_stores_given_values(public_gate):
    g = public_gate
    pid = g.create_policy(allowed=[], title="Short", accessTokenLifetime=60,
                          refreshTokenLifetime=1)
    p = g.get(f"config/tokenPolicies/{pid}").json()
    assert (p["title"], p["accessTokenLifetime"], p["refreshTokenLifetime"], p["allowedScopes"]) \
        == ("Short", 60, 1, [])


def test_policy_lifetime_bounds_are_accepted(public_gate):
    for v in (60, 3600):
        assert post_policy(public_gate, policy_body(accessTokenLifetime=v)).status_code == 201


def test_policy_list_grows_and_shrinks(public_gate):
    g = public_gate
    pid = g.create_policy()
    body = g.get("config/tokenPolicies").json()
    assert body["total"] == 2 == len(body["_embedded"]["tokenPolicies"])
    assert pid in [p["id"] for p in body["_embedded"]["tokenPolicies"]]
    assert g.call("DELETE", f"config/tokenPolicies/{pid}").status_code == 204
    body = g.get("config/tokenPolicies").json()
    assert body["total"] == 1
    assert pid not in [p["id"] for p in body["_embedded"]["tokenPolicies"]]


def test_policy_put_is_full_replacement(public_gate):
    g = public_gate
    pid = g.create_policy(title="Before", accessTokenLifetime=120, refreshTokenLifetime=5)
    r = g.call("PUT", f"config/tokenPolicies/{pid}",
               json={"title": "After", "allowedScopes": ["GET:**"]})
    assert r.status_code == 200, r.text
    p = g.get(f"config/tokenPolicies/{pid}").json()
    assert r.json() == p
    # omitted optional members fall back to their defaults
    assert (p["title"], p["accessTokenLifetime"], p["refreshTokenLifetime"], p["allowedScopes"]) \
        == ("After", 3600, 7776000, ["GET:**"])


def test_policy_get_edit_put_round_trips(public_gate):
    g = public_gate
    pid = g.create_policy(title="Round")
    p = g.get(f"config/tokenPolicies/{pid}").json()
    p["title"] = "Tripped"
    p["accessTokenLifetime"] = 600
    r = g.call("PUT", f"config/tokenPolicies/{pid}", json=p)
    assert r.status_code == 200, r.text
    assert r.json() == p
    assert g.get(f"config/tokenPolicies/{pid}").json() == p


def test_policy_put_ignores_server_set_id(public_gate):
    g = public_gate
    pid = g.create_policy()
    other = str(uuid.uuid4())
    r = g.call("PUT", f"config/tokenPolicies/{pid}",
               json=policy_body(id=other, _links={"self": {"href": "http://evil/"}}))
    assert r.status_code == 200, r.text
    assert r.json()["id"] == pid
    assert self_href(r.json()).startswith(PUBLIC_URL + "/")
    assert g.get(f"config/tokenPolicies/{other}").status_code == 404


def test_policy_lifetime_change_applies_to_new_tokens(public_gate):
    g = public_gate
    pid = g.create_policy()
    c = g.create_client(policy=pid)
    assert g.token_response(client_id=c["id"], secret=c["secret"])["expires_in"] == 3600
    r = g.call("PUT", f"config/tokenPolicies/{pid}", json=policy_body(accessTokenLifetime=300))
    assert r.status_code == 200, r.text
    assert g.token_response(client_id=c["id"], secret=c["secret"])["expires_in"] == 300


def test_policy_delete_then_404(public_gate):
    g = public_gate
    pid = g.create_policy()
    r = g.call("DELETE", f"config/tokenPolicies/{pid}")
    assert r.status_code == 204
    assert r.content == b""
    assert_api_error(g.get(f"config/tokenPolicies/{pid}"), 404)
    assert_api_error(g.call("DELETE", f"config/tokenPolicies/{pid}"), 404)


@pytest.mark.parametrize("pid", [str(uuid.uuid4()), "not-a-uuid", "1"])
def test_unknown_policy_id_is_404(public_gate, pid):
    g = public_gate
    assert_api_error(g.get(f"config/tokenPolicies/{pid}"), 404)
    assert_api_error(g.call("PUT", f"config/tokenPolicies/{pid}", json=policy_body()), 404)
    assert_api_error(g.call("DELETE", f"config/tokenPolicies/{pid}"), 404)


def test_policy_in_use_cannot_be_deleted(public_gate):
    g = public_gate
    assert_api_error(g.call("DELETE", f"config/tokenPolicies/{g.policy_id}"), 409)
    assert g.get(f"config/tokenPolicies/{g.policy_id}").status_code == 200
    pid = g.create_policy()
    c = g.create_client(policy=pid)
    assert_api_error(g.call("DELETE", f"config/tokenPolicies/{pid}"), 409)
    assert g.call("DELETE", f"config/clients/{c['id']}").status_code == 204
    assert g.call("DELETE", f"config/tokenPolicies/{pid}").status_code == 204


@pytest.mark.parametrize("body, field", [
    ({"titel": "typo", "title": "x", "allowedScopes": ["*:**"]}, "/titel"),
    ({"allowedScopes": ["*:**"]}, "/title"),
    ({"title": "", "allowedScopes": ["*:**"]}, "/title"),
    ({"title": 5, "allowedScopes": ["*:**"]}, "/title"),
    ({"title": "x"}, "/allowedScopes"),
    ({"title": "x", "allowedScopes": "*:**"}, "/allowedScopes"),
    (policy_body(accessTokenLifetime=59), "/accessTokenLifetime"),
    (policy_body(accessTokenLifetime=3601), "/accessTokenLifetime"),
    (policy_body(accessTokenLifetime="3600"), "/accessTokenLifetime"),
    (policy_body(accessTokenLifetime=600.5), "/accessTokenLifetime"),
    (policy_body(refreshTokenLifetime=0), "/refreshTokenLifetime"),
    (policy_body(refreshTokenLifetime=-1), "/refreshTokenLifetime"),
    (policy_body(refreshTokenLifetime="7776000"), "/refreshTokenLifetime"),
])
def test_invalid_policy_is_422_naming_the_field(public_gate, body, field):
    g = public_gate
    assert_api_error(post_policy(g, body), 422, field)
    assert_api_error(g.call("PUT", f"config/tokenPolicies/{g.policy_id}", json=body), 422, field)
    # nothing was created or changed
    assert g.get("config/tokenPolicies").json()["total"] == 1
    p = g.get(f"config/tokenPolicies/{g.policy_id}").json()
    assert p["accessTokenLifetime"] == 3600 and p["allowedScopes"] == ["*:**"]


def test_non_string_scope_is_422(public_gate):
    r = post_policy(public_gate, policy_body(allowedScopes=["*:**", 5]))
    body = assert_api_error(r, 422)
    assert any(d["field"].startswith("/allowedScopes") for d in body["details"]), body


@pytest.mark.parametrize("raw", ['{"title": "x",', "not json", '{"title": "x"} trailing',
                                 '{"title": "\xff"}'])
def test_invalid_json_is_400(public_gate, raw):
    g = public_gate
    r = g.call("POST", "config/tokenPolicies", data=raw.encode("latin-1"),
               headers={"Content-Type": "application/json"})
    assert_api_error(r, 400)


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded",
                                          "application/merge-patch+json"])
def test_policy_write_with_wrong_content_type_is_415(public_gate, content_type):
    g = public_gate
    headers = {"Content-Type": content_type} if content_type else {}
    data = b'{"title": "x", "allowedScopes": ["*:**"]}'
    assert_api_error(g.call("POST", "config/tokenPolicies", data=data, headers=headers), 415)
    assert_api_error(g.call("PUT", f"config/tokenPolicies/{g.policy_id}", data=data,
                            headers=headers), 415)
    assert g.get("config/tokenPolicies").json()["total"] == 1


def test_json_content_type_with_charset_is_accepted(public_gate):
    g = public_gate
    r = g.call("POST", "config/tokenPolicies", data=b'{"title": "x", "allowedScopes": []}',
               headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 201, r.text


def test_body_over_64_kib_is_413(public_gate):
    g = public_gate
    r = post_policy(g, policy_body(title="x" * (70 * 1024)))
    assert_api_error(r, 413)
    assert g.get("config/tokenPolicies").json()["total"] == 1


@pytest.mark.parametrize("method, path, expected", [
    ("PATCH", "config/tokenPolicies/{pid}", {"GET", "PUT", "DELETE"}),
    ("POST", "config/tokenPolicies/{pid}", {"GET", "PUT", "DELETE"}),
    ("DELETE", "config/tokenPolicies", {"GET", "POST"}),
    ("PUT", "config/tokenPolicies", {"GET", "POST"}),
    ("DELETE", "config/clients", {"GET", "POST"}),
    ("PATCH", "config/clients/{cid}", {"GET", "PUT", "DELETE"}),
    ("PUT", "config/clients/{cid}/secret", {"GET", "POST"}),
    ("DELETE", "config/clients/{cid}/secret", {"GET", "POST"}),
])
def test_method_not_in_table_is_405_with_allow(public_gate, method, path, expected):
    g = public_gate
    path = path.format(pid=g.policy_id, cid=g.client_id)
    r = g.call(method, path, json={})
    assert_api_error(r, 405)
    allowed = allow_set(r)
    assert expected <= allowed, allowed
    assert method not in allowed


# ---- clients -------------------------------------------------------------------------

def test_client_list_has_the_init_client(public_gate):
    g = public_gate
    body = g.get("config/clients").json()
    assert body["total"] == 1
    items = body["_embedded"]["clients"]
    assert len(items) == 1
    assert set(items[0]) == {"id", "name", "_links"}
    assert items[0]["id"] == g.client_id
    assert self_href(items[0]) == f"{PUBLIC_URL}/{g.customer_id}/config/clients/{g.client_id}"


def test_client_create_returns_full_object_with_secret(public_gate):
    g = public_gate
    r = post_client(g, {"name": "ci-bot", "type": "confidential", "tokenPolicy": g.policy_id})
    assert r.status_code == 201, r.text
    c = r.json()
    assert set(c) == CLIENT_KEYS | {"secret"}
    assert (c["name"], c["type"], c["tokenPolicy"]) == ("ci-bot", "confidential", g.policy_id)
    assert ID_CHARS_RE.match(c["id"])
    assert ID_CHARS_RE.match(c["secret"]) and len(c["secret"]) >= 43
    href = f"{PUBLIC_URL}/{g.customer_id}/config/clients/{c['id']}"
    assert self_href(c) == href
    assert r.headers.get("Location") == href
    # its credentials work at once
    tok = g.token_response(client_id=c["id"], secret=c["secret"])
    assert tok["scope"] == "*:**"


def test_client_type_defaults_to_confidential(public_gate):
    g = public_gate
    c = g.create_client()
    assert c["type"] == "confidential"


def test_client_get_has_no_secret(public_gate):
    g = public_gate
    c = g.create_client(name="reader")
    r = g.get(f"config/clients/{c['id']}")
    assert r.status_code == 200, r.text
    got = r.json()
    assert set(got) == CLIENT_KEYS
    assert got == {k: v for k, v in c.items() if k != "secret"}
    assert c["secret"] not in r.text


def test_client_list_contains_new_client(public_gate):
    g = public_gate
    c = g.create_client(name="listed")
    body = g.get("config/clients").json()
    assert body["total"] == 2 == len(body["_embedded"]["clients"])
    item = [i for i in body["_embedded"]["clients"] if i["id"] == c["id"]]
    assert item == [{"id": c["id"], "name": "listed", "_links": c["_links"]}]
    assert c["secret"] not in g.get("config/clients").text


def test_client_secret_can_be_read(public_gate):
    g = public_gate
    c = g.create_client()
    r = g.get(f"config/clients/{c['id']}/secret")
    assert r.status_code == 200, r.text
    assert r.json() == {"secret": c["secret"]}
    init = g.get(f"config/clients/{g.client_id}/secret").json()
    assert init == {"secret": g.client_secret}


def test_secret_rotation_switches_secrets_at_once_and_keeps_tokens(public_gate):
    g = public_gate
    c = g.create_client()
    old = c["secret"]
    tok = g.token(client_id=c["id"], secret=old)
    r = g.call("POST", f"config/clients/{c['id']}/secret")
    assert r.status_code == 200, r.text
    new = r.json()["secret"]
    assert set(r.json()) == {"secret"}
    assert new != old and ID_CHARS_RE.match(new) and len(new) >= 43
    assert_invalid_client(g.post_token(auth=(c["id"], old)))
    assert g.token(client_id=c["id"], secret=new)
    assert g.get(f"config/clients/{c['id']}/secret").json() == {"secret": new}
    # rotating does not revoke tokens issued before
    assert g.get("config/clients", token=tok).status_code == 200


def test_client_put_is_full_replacement(public_gate):
    g = public_gate
    pid = g.create_policy(accessTokenLifetime=90)
    c = g.create_client(name="before")
    r = g.call("PUT", f"config/clients/{c['id']}", json={"name": "after", "tokenPolicy": pid})
    assert r.status_code == 200, r.text
    got = r.json()
    assert set(got) == CLIENT_KEYS
    assert (got["id"], got["name"], got["type"], got["tokenPolicy"]) == \
        (c["id"], "after", "confidential", pid)
    assert g.get(f"config/clients/{c['id']}").json() == got
    # the secret is kept and the new policy applies
    assert g.token_response(client_id=c["id"], secret=c["secret"])["expires_in"] == 90


def test_client_get_edit_put_round_trips(public_gate):
    g = public_gate
    c = g.create_client(name="round")
    got = g.get(f"config/clients/{c['id']}").json()
    got["name"] = "tripped"
    r = g.call("PUT", f"config/clients/{c['id']}", json=got)
    assert r.status_code == 200, r.text
    assert r.json() == got
    assert g.get(f"config/clients/{c['id']}").json() == got


def test_client_put_same_name_is_ok(public_gate):
    g = public_gate
    c = g.create_client(name="same")
    r = g.call("PUT", f"config/clients/{c['id']}", json={"name": "same", "tokenPolicy": g.policy_id})
    assert r.status_code == 200, r.text


def test_duplicate_client_name_is_409(public_gate):
    g = public_gate
    g.create_client(name="dup")
    assert_api_error(post_client(g, {"name": "dup", "tokenPolicy": g.policy_id}), 409)
    names = [c["name"] for c in g.get("config/clients").json()["_embedded"]["clients"]]
    assert names.count("dup") == 1


def test_put_renaming_onto_another_clients_name_is_409(public_gate):
    g = public_gate
    g.create_client(name="taken")
    c = g.create_client(name="mine")
    r = g.call("PUT", f"config/clients/{c['id']}", json={"name": "taken", "tokenPolicy": g.policy_id})
    assert_api_error(r, 409)
    assert g.get(f"config/clients/{c['id']}").json()["name"] == "mine"


@pytest.mark.parametrize("body, field", [
    ({"name": "x", "tokenPolicy": "00000000-0000-4000-8000-000000000000"}, "/tokenPolicy"),
    ({"name": "x", "tokenPolicy": "not-a-uuid"}, "/tokenPolicy"),
    ({"name": "x"}, "/tokenPolicy"),
    ({"tokenPolicy": None}, "/name"),
    ({"name": "x", "tokenPolicy": None, "type": "public"}, "/type"),
    ({"nmae": "x", "name": "y", "tokenPolicy": None}, "/nmae"),
])
def test_invalid_client_is_422_naming_the_field(public_gate, body, field):
    g = public_gate
    body = {k: (g.policy_id if k == "tokenPolicy" and v is None else v) for k, v in body.items()}
    assert_api_error(post_client(g, body), 422, field)
    assert_api_error(g.call("PUT", f"config/clients/{g.client_id}", json=body), 422, field)
    assert g.get("config/clients").json()["total"] == 1
    assert g.get(f"config/clients/{g.client_id}").json()["tokenPolicy"] == g.policy_id


@pytest.mark.parametrize("content_type", [None, "text/plain"])
def test_client_write_with_wrong_content_type_is_415(public_gate, content_type):
    g = public_gate
    headers = {"Content-Type": content_type} if content_type else {}
    data = ('{"name": "x", "tokenPolicy": "%s"}' % g.policy_id).encode()
    assert_api_error(g.call("POST", "config/clients", data=data, headers=headers), 415)
    assert g.get("config/clients").json()["total"] == 1


def test_client_delete_revokes_tokens_and_credentials(public_gate):
    g = public_gate
    c = g.create_client()
    tok = g.token(client_id=c["id"], secret=c["secret"])
    assert g.get("config/clients", token=tok).status_code == 200
    r = g.call("DELETE", f"config/clients/{c['id']}")
    assert r.status_code == 204
    assert r.content == b""
    assert_forbidden(g.get("config/clients", token=tok), BEARER_INVALID)
    assert_invalid_client(g.post_token(auth=(c["id"], c["secret"])))
    assert_api_error(g.get(f"config/clients/{c['id']}"), 404)
    assert_api_error(g.get(f"config/clients/{c['id']}/secret"), 404)
    assert g.get("config/clients").json()["total"] == 1


@pytest.mark.parametrize("cid", [str(uuid.uuid4()), "no-such-client"])
def test_unknown_client_id_is_404(public_gate, cid):
    g = public_gate
    assert_api_error(g.get(f"config/clients/{cid}"), 404)
    assert_api_error(g.call("PUT", f"config/clients/{cid}",
                            json={"name": "x", "tokenPolicy": g.policy_id}), 404)
    assert_api_error(g.call("DELETE", f"config/clients/{cid}"), 404)
    assert_api_error(g.get(f"config/clients/{cid}/secret"), 404)
    assert_api_error(g.call("POST", f"config/clients/{cid}/secret"), 404)


def test_hrefs_come_from_public_url_not_host_header(public_gate):
    g = public_gate
    h = {"Host": "attacker.example:1234", "X-Forwarded-Host": "attacker.example"}
    r = g.call("POST", "config/tokenPolicies", json=policy_body(), headers=h)
    assert r.status_code == 201, r.text
    assert r.headers["Location"].startswith(PUBLIC_URL + "/")
    for path, key in [("config/tokenPolicies", "tokenPolicies"), ("config/clients", "clients")]:
        items = g.get(path, headers=h).json()["_embedded"][key]
        for item in items:
            assert self_href(item) == f"{PUBLIC_URL}/{g.customer_id}/{path}/{item['id']}"
    c = g.get(f"config/clients/{g.client_id}", headers=h).json()
    assert "attacker" not in self_href(c) and self_href(c).startswith(PUBLIC_URL + "/")


# ---- transport and concurrency ------------------------------------------------------------

def chunks(data, size=1000):
    for i in range(0, len(data), size):
        yield data[i:i + size]


def test_chunked_request_body_is_accepted(public_gate):
    g = public_gate
    data = json.dumps(policy_body(title="chunked")).encode()
    r = g.call("POST", "config/tokenPolicies", data=chunks(data, 7),
               headers={"Content-Type": "application/json"})
    assert r.request.headers.get("Transfer-Encoding") == "chunked"
    assert r.status_code == 201, r.text
    assert g.get(f"config/tokenPolicies/{r.json()}").json()["title"] == "chunked"


def test_chunked_body_over_64_kib_is_413(public_gate):
    g = public_gate
    data = json.dumps(policy_body(title="x" * (70 * 1024))).encode()
    r = g.call("POST", "config/tokenPolicies", data=chunks(data, 4096),
               headers={"Content-Type": "application/json"})
    assert_api_error(r, 413)
    assert g.get("config/tokenPolicies").json()["total"] == 1


def test_concurrent_creates_with_one_name_make_exactly_one_client(public_gate):
    g = public_gate
    tok = g.admin
    body = {"name": "race", "tokenPolicy": g.policy_id}

    def create(_):
        s = requests.Session()
        return s.post(g.url("config/clients"), json=body, timeout=10,
                      headers={"Authorization": f"Bearer {tok}"})

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(create, range(10)))
    for r in results:
        g.issued.hook(r)
    codes = sorted(r.status_code for r in results)
    assert codes == [201] + [409] * 9, codes
    names = [c["name"] for c in g.get("config/clients").json()["_embedded"]["clients"]]
    assert names.count("race") == 1


def test_concurrent_creates_with_distinct_names_all_succeed(public_gate):
    g = public_gate
    tok = g.admin

    def create(i):
        return requests.post(g.url("config/clients"), timeout=10,
                             json={"name": f"par-{i}", "tokenPolicy": g.policy_id},
                             headers={"Authorization": f"Bearer {tok}"})

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(create, range(24)))
    for r in results:
        g.issued.hook(r)
    assert [r.status_code for r in results] == [201] * 24
    assert g.get("config/clients").json()["total"] == 25
    assert len({r.json()["id"] for r in results}) == 24
