# SPDX-License-Identifier: MIT
# Custom Provider API (SPEC §5 rows 3–7): the full lifecycle of one provider
# of each protocol (openidconnect, oauth2, saml2 with a real DER certificate),
# HAL list and object shapes, absolute hrefs from --public-url, callback URL,
# id/timestamp/ETag formats, merge patch (RFC 7396), JSON Patch (RFC 6902) and
# full replacement, conditional requests (304/412), every error status
# (400/403/404/405/409/412/413/415/422), durability and secrets at rest.
# Concurrency is in test_provider_concurrency.py, apps in test_apps.py.

import base64
import copy
import json
import os
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from conftest import (BEARER_CHALLENGE, BEARER_INVALID, BEARER_SCOPE, ENGAGE, ETAG_RE,
                      JSON_PATCH, MERGE_PATCH, PUBLIC_URL, REALM, TIMESTAMP_RE, UUID4_RE,
                      EngageGate, allow_set, app_add, assert_api_error, assert_forbidden,
                      client_fields, details_fields, init_with, providers_path)

PROTOCOLS = ["openidconnect", "oauth2", "saml2"]
ITEM_KEYS = {"_links", "id", "protocol", "title"}
ZERO_TAG = '"' + "0" * 64 + '"'


# ---- bodies ----------------------------------------------------------------------------

def oidc_body(**over):
    body = {
        "title": "Example OIDC",
        "protocol": "openidconnect",
        "ui": {"title": "Sign in with Example", "icon_url": "https://idp.example.test/icon.png"},
        "auth_url": "https://idp.example.test/authorize",
        "token_url": "https://idp.example.test/token",
        "profile_url": "https://idp.example.test/userinfo",
        "client_id": "rp-client-oidc",
        "client_secret": "rp-oidc-secret-7Qm2xV9kLp",
        "scopes": ["openid", "email"],
        "attribute_map": {"/email": "/email", "/displayName": "/name"},
    }
    body.update(over)
    return {k: v for k, v in body.items() if v is not None}


def oauth2_body(**over):
    body = {
        "title": "Example OAuth 2",
        "protocol": "oauth2",
        "ui": {"title": "Sign in with OAuth"},
        "auth_url": "https://oauth.example.test/authorize",
        "token_url": "https://oauth.example.test/token",
        "profile_url": "https://api.oauth.example.test/me",
        "client_id": "rp-client-oauth",
        "client_secret": "rp-oauth-secret-Zt8wQ1nR4y",
        "scopes": ["user:email"],
        "attribute_map": {"/verifiedEmail": "/emails/0", "/name/givenName": "/first_name"},
    }
    body.update(over)
    return {k: v for k, v in body.items() if v is not None}


def saml_body(cert, **over):
    body = {
        "title": "Corp SAML",
        "protocol": "saml2",
        "ui": {"title": "Corporate login", "icon_url": "https://corp.example.test/logo.svg"},
        "auth_url": "https://idp.corp.example.test/sso",
        "idp_certificate": cert,
        "authn_context": {"comparison": "exact",
                          "class_refs": ["urn:oasis:names:tc:SAML:2.0:ac:classes:Password"]},
        "attribute_map": {"/email": "/mail", "/name/familyName": "/sn"},
    }
    body.update(over)
    return {k: v for k, v in body.items() if v is not None}


def body_for(protocol, certs, **over):
    if protocol == "openidconnect":
        return oidc_body(**over)
    if protocol == "oauth2":
        return oauth2_body(**over)
    return saml_body(certs[0], **over)


def minimal_body(protocol, certs):
    """Only the required fields of a protocol."""
    if protocol == "saml2":
        return {"title": "Minimal SAML", "protocol": "saml2",
                "auth_url": "https://min.example.test/sso", "idp_certificate": certs[1]}
    return {"title": f"Minimal {protocol}", "protocol": protocol,
            "auth_url": "https://min.example.test/auth", "token_url": "https://min.example.test/tok",
            "client_id": "min-client", "client_secret": "min-secret-Hk3Lq0Vb8s"}


def merge(target, patch):
    """RFC 7396 MergePatch, as the reference algorithm in the RFC."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            result.pop(k, None)
        else:
            result[k] = merge(result.get(k), v)
    return result


# ---- helpers ----------------------------------------------------------------------------

def list_href(g, app_id=None):
    return g.href(providers_path(app_id or g.app_id))


def self_href(g, pid, app_id=None):
    return g.href(providers_path(app_id or g.app_id, pid))


def callback_href(g, pid, realm=None):
    return f"{realm or g.realm}/{g.customer_id}.{pid}/callback"


def parse_ts(ts):
    assert TIMESTAMP_RE.match(ts), ts
    return datetime.strptime(ts[:26] + "Z", "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


def assert_full_object(g, obj, sent, app_id=None, realm=None):
    """obj is the full representation of a provider created/modified from
    the client-set fields `sent`."""
    pid = obj["id"]
    assert UUID4_RE.match(pid), pid
    assert client_fields(obj) == sent
    assert obj["_links"] == {
        "self": {"href": self_href(g, pid, app_id)},
        "collection": {"href": list_href(g, app_id)},
        "callback": {"href": callback_href(g, pid, realm)},
    }
    assert TIMESTAMP_RE.match(obj["createdAt"]), obj["createdAt"]
    assert TIMESTAMP_RE.match(obj["updatedAt"]), obj["updatedAt"]


def list_item(g, obj):
    item = {"_links": {"self": {"href": self_href(g, obj["id"])}}, "id": obj["id"],
            "protocol": obj["protocol"], "title": obj["title"]}
    if "ui" in obj:
        item["ui"] = obj["ui"]
    return item


def etag_of(r):
    tag = r.headers.get("ETag")
    assert tag and ETAG_RE.match(tag), f"bad ETag {tag!r}"
    return tag


def view_ok(g, pid, app_id=None):
    r = g.view(pid, app_id)
    assert r.status_code == 200, r.text
    return r.json(), etag_of(r)


def assert_modified(before, after, before_tag, after_tag):
    assert after_tag != before_tag
    assert after["id"] == before["id"]
    assert after["createdAt"] == before["createdAt"]
    assert parse_ts(after["updatedAt"]) > parse_ts(before["updatedAt"])


def assert_error_fields(resp, status, *accepted):
    """Error shape; details name at least one of the `accepted` pointers."""
    body = assert_api_error(resp, status)
    fields = details_fields(body)
    assert any(f in fields for f in accepted), f"none of {accepted} in {fields}: {body}"
    return body


def assert_unchanged(g, pid, obj, tag):
    after, after_tag = view_ok(g, pid)
    assert after == obj
    assert after_tag == tag


@pytest.fixture
def oidc(engage):
    """engage with one OIDC provider: (gate, object, etag)."""
    r = engage.create(oidc_body())
    assert r.status_code == 201, r.text
    return engage, r.json(), etag_of(r)


@pytest.fixture
def saml(engage, idp_certs):
    r = engage.create(saml_body(idp_certs[0]))
    assert r.status_code == 201, r.text
    return engage, r.json(), etag_of(r)


# The many small error-path tests share one server per module (shared_engage)
# and only look at providers of their own, or at counts before and after.

@pytest.fixture
def soidc(shared_engage):
    """shared_engage with a fresh OIDC provider of this test's own."""
    r = shared_engage.create(oidc_body())
    assert r.status_code == 201, r.text
    return shared_engage, r.json(), etag_of(r)


@pytest.fixture
def ssaml(shared_engage, idp_certs):
    r = shared_engage.create(saml_body(idp_certs[0]))
    assert r.status_code == 201, r.text
    return shared_engage, r.json(), etag_of(r)


def count(g):
    """Number of providers of g's app."""
    r = g.get(g.plist())
    assert r.status_code == 200, r.text
    return len(r.json()["_embedded"]["item"])


# ---- the lifecycle, one provider of each protocol ------------------------------------------

MERGE_PATCHES = {
    "openidconnect": {"title": "Renamed OIDC", "ui": {"icon_url": None},
                      "scopes": ["openid"], "profile_url": None,
                      "attribute_map": {"/displayName": None, "/name/givenName": "/given_name"}},
    "oauth2": {"title": "Renamed OAuth", "ui": None, "scopes": ["read:user", "user:email"],
               "client_secret": "rp-oauth-rotated-Pa5sW0rdX"},
    "saml2": {"title": "Renamed SAML", "authn_context": {"comparison": "minimum"},
              "attribute_map": {"/displayName": "/displayName"}},
}

# (JSON Patch array, function making the expected client fields from the old ones)
JSON_PATCHES = {
    "openidconnect": (
        [{"op": "test", "path": "/title", "value": "Renamed OIDC"},
         {"op": "replace", "path": "/title", "value": "Patched OIDC"},
         {"op": "add", "path": "/ui/icon_url", "value": "https://cdn.example.test/i.png"},
         {"op": "add", "path": "/scopes/-", "value": "profile"}],
        lambda f: merge(f, {"title": "Patched OIDC", "ui": {"icon_url": "https://cdn.example.test/i.png"},
                            "scopes": f["scopes"] + ["profile"]})),
    "oauth2": (
        [{"op": "add", "path": "/ui", "value": {"title": "Back again"}},
         {"op": "replace", "path": "/scopes/0", "value": "repo"},
         {"op": "remove", "path": "/attribute_map/~1verifiedEmail"}],
        lambda f: merge(f, {"ui": {"title": "Back again"}, "scopes": ["repo"] + f["scopes"][1:],
                            "attribute_map": {"/verifiedEmail": None}})),
    "saml2": (
        [{"op": "copy", "from": "/title", "path": "/ui/title"},
         {"op": "remove", "path": "/authn_context/comparison"},
         {"op": "move", "from": "/attribute_map/~1displayName",
          "path": "/attribute_map/~1name~1givenName"}],
        lambda f: merge(f, {"ui": {"title": f["title"]}, "authn_context": {"comparison": None},
                            "attribute_map": {"/displayName": None,
                                              "/name/givenName": f["attribute_map"]["/displayName"]}})),
}


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_provider_lifecycle(engage, idp_certs, protocol):
    g = engage
    sent = body_for(protocol, idp_certs)

    # create
    r = g.create(sent)
    assert r.status_code == 201, r.text
    created, tag0 = r.json(), etag_of(r)
    assert_full_object(g, created, sent)
    pid = created["id"]
    assert r.headers.get("Location") == self_href(g, pid)
    assert created["protocol"] == protocol

    # list
    r = g.get(g.plist())
    assert r.status_code == 200, r.text
    assert r.json()["_embedded"]["item"] == [list_item(g, created)]

    # view
    viewed, tag = view_ok(g, pid)
    assert viewed == created
    assert tag == tag0

    # conditional GET
    r = g.view(pid, headers={"If-None-Match": tag0})
    assert r.status_code == 304
    assert r.content == b""

    # merge patch
    mp = MERGE_PATCHES[protocol]
    r = g.modify(pid, mp, MERGE_PATCH)
    assert r.status_code == 200, r.text
    merged, tag1 = r.json(), etag_of(r)
    assert_full_object(g, merged, merge(sent, mp))
    assert_modified(created, merged, tag0, tag1)
    assert view_ok(g, pid) == (merged, tag1)

    # JSON Patch (array)
    ops, expect = JSON_PATCHES[protocol]
    r = g.modify(pid, ops, JSON_PATCH)
    assert r.status_code == 200, r.text
    patched, tag2 = r.json(), etag_of(r)
    assert_full_object(g, patched, expect(client_fields(merged)))
    assert_modified(merged, patched, tag1, tag2)
    assert view_ok(g, pid) == (patched, tag2)

    # JSON Patch with an object: full replacement; server fields in it are ignored
    repl = minimal_body(protocol, idp_certs)
    r = g.modify(pid, {**repl, "id": str(uuid.uuid4()), "createdAt": "2001-01-01T00:00:00.000000000Z",
                       "updatedAt": "2001-01-01T00:00:00.000000000Z",
                       "_links": {"self": {"href": "https://evil.example/x"}}},
                 JSON_PATCH, method="PUT")
    assert r.status_code == 200, r.text
    replaced, tag3 = r.json(), etag_of(r)
    assert_full_object(g, replaced, repl)
    assert_modified(patched, replaced, tag2, tag3)

    # stale If-Match: 412 and nothing changes
    r = g.modify(pid, {"title": "Lost update"}, MERGE_PATCH, headers={"If-Match": tag2})
    assert_api_error(r, 412)
    assert_unchanged(g, pid, replaced, tag3)
    assert_api_error(g.call("DELETE", g.ppath(pid), headers={"If-Match": tag0}), 412)
    assert_unchanged(g, pid, replaced, tag3)

    # delete
    r = g.call("DELETE", g.ppath(pid), headers={"If-Match": tag3})
    assert r.status_code == 204, r.text
    assert r.content == b""
    assert_api_error(g.view(pid), 404)
    assert g.get(g.plist()).json()["_embedded"]["item"] == []
    assert_api_error(g.call("DELETE", g.ppath(pid)), 404)


# ---- shapes, links, formats -----------------------------------------------------------------

def test_empty_provider_list_is_exact_hal(engage):
    g = engage
    r = g.get(g.plist())
    assert r.status_code == 200, r.text
    assert r.headers.get("Content-Type", "").startswith("application/json")
    assert r.json() == {
        "_links": {"self": {"href": list_href(g)},
                   "item": {"href": list_href(g) + "{/id}", "templated": True}},
        "_embedded": {"item": []},
    }


def test_list_is_in_creation_order_and_ui_only_when_set(engage, idp_certs):
    g = engage
    objs = [g.create_ok(b) for b in (saml_body(idp_certs[0]), oidc_body(ui=None, title="No UI"),
                                     oauth2_body(), minimal_body("oauth2", idp_certs))]
    items = g.get(g.plist()).json()["_embedded"]["item"]
    assert items == [list_item(g, o) for o in objs]
    assert "ui" not in items[1] and "ui" not in items[3]
    assert set(items[0]) == ITEM_KEYS | {"ui"}


def test_ids_are_distinct_lower_case_uuid_v4(engage):
    g = engage
    ids = [g.create_ok(oidc_body(title=f"p{i}"))["id"] for i in range(5)]
    assert len(set(ids)) == 5
    for pid in ids:
        assert UUID4_RE.match(pid), pid


def test_timestamps_are_rfc3339_utc_nanoseconds_and_now(oidc):
    g, obj, _ = oidc
    now = datetime.now(timezone.utc)
    for key in ("createdAt", "updatedAt"):
        assert TIMESTAMP_RE.match(obj[key]), obj[key]
        assert abs(parse_ts(obj[key]) - now) < timedelta(minutes=2), obj[key]
    assert parse_ts(obj["updatedAt"]) >= parse_ts(obj["createdAt"])


def test_etag_is_strong_quoted_64_hex_and_stable(oidc):
    g, obj, tag = oidc
    assert ETAG_RE.match(tag)
    assert etag_of(g.view(obj["id"])) == tag
    assert etag_of(g.view(obj["id"])) == tag


def test_distinct_providers_have_distinct_etags(engage):
    g = engage
    tags = {etag_of(g.create(oidc_body(title=f"t{i}"))) for i in range(3)}
    assert len(tags) == 3


def test_callback_uses_realm_customer_and_provider_id(oidc):
    g, obj, _ = oidc
    assert obj["_links"]["callback"]["href"] == \
        f"{REALM}/{g.customer_id}.{obj['id']}/callback"
    assert view_ok(g, obj["id"])[0]["_links"]["callback"] == obj["_links"]["callback"]


def test_callback_uses_the_realm_of_the_providers_own_app(servers, issued):
    db = servers.new_db()
    info = init_with(servers, db, "--realm", REALM)
    p = app_add(servers, db, info["customer_id"], "Second", "http://localhost:3000")
    assert p.returncode == 0, p.stderr
    second = p.stdout.decode().strip()
    g = EngageGate(servers.server(db, public_url=PUBLIC_URL), info, issued)
    obj = g.create_ok(oidc_body(), app_id=second)
    assert_full_object(g, obj, oidc_body(), app_id=second, realm="http://localhost:3000")
    assert obj["_links"]["callback"]["href"] == \
        f"http://localhost:3000/{g.customer_id}.{obj['id']}/callback"
    # providers belong to one app
    assert g.get(g.plist()).json()["_embedded"]["item"] == []
    assert_api_error(g.view(obj["id"]), 404)
    assert_api_error(g.modify(obj["id"], {"title": "x"}), 404)
    assert_api_error(g.call("DELETE", g.ppath(obj["id"])), 404)
    assert view_ok(g, obj["id"], app_id=second)[0] == obj


def test_hrefs_come_from_public_url_not_host_header(engage):
    g = engage
    assert g.server.url != PUBLIC_URL
    h = {"Host": "attacker.example:1234", "X-Forwarded-Host": "attacker.example",
         "X-Forwarded-Proto": "https"}
    r = g.create(oidc_body(), headers=h)
    assert r.status_code == 201, r.text
    obj = r.json()
    assert r.headers["Location"] == f"{PUBLIC_URL}/{g.customer_id}/{ENGAGE}/apps/{g.app_id}" \
                                    f"/custom-providers/{obj['id']}"
    assert_full_object(g, obj, oidc_body())
    lst = g.get(g.plist(), headers=h).json()
    assert lst["_links"]["self"]["href"] == list_href(g)
    assert lst["_embedded"]["item"] == [list_item(g, obj)]
    r = g.modify(obj["id"], {"title": "via host"}, headers=h)
    assert_full_object(g, r.json(), oidc_body(title="via host"))
    assert "attacker" not in r.text + g.view(obj["id"], headers=h).text + str(lst)


def test_client_secret_is_returned_in_clear(oidc):
    g, obj, _ = oidc
    assert obj["client_secret"] == oidc_body()["client_secret"]
    assert view_ok(g, obj["id"])[0]["client_secret"] == oidc_body()["client_secret"]


def test_create_ignores_server_set_fields(engage):
    g = engage
    fake = str(uuid.uuid4())
    body = oidc_body(id=fake, createdAt="2001-01-01T00:00:00.000000000Z",
                     updatedAt="2001-01-01T00:00:00.000000000Z",
                     _links={"self": {"href": "https://evil.example/"}})
    r = g.create(body)
    assert r.status_code == 201, r.text
    obj = r.json()
    assert obj["id"] != fake
    assert_full_object(g, obj, oidc_body())
    assert parse_ts(obj["createdAt"]).year > 2001
    assert_api_error(g.view(fake), 404)


def test_get_edit_put_round_trips(oidc):
    g, obj, tag = oidc
    edited = dict(obj, title="Round trip")
    r = g.modify(obj["id"], edited, JSON_PATCH, method="PUT")
    assert r.status_code == 200, r.text
    got = r.json()
    assert_modified(obj, got, tag, etag_of(r))
    assert client_fields(got) == client_fields(edited)
    assert got["_links"] == obj["_links"]


def test_create_accepts_json_with_charset(engage):
    r = engage.call("POST", engage.plist(), data=json.dumps(oidc_body()).encode(),
                    headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 201, r.text
    assert_full_object(engage, r.json(), oidc_body())


def test_utf8_values_round_trip(engage):
    g = engage
    body = oidc_body(title="Connexion « Élan » 日本 🚀", ui={"title": "Ωmega"})
    obj = g.create_ok(body)
    assert client_fields(view_ok(g, obj["id"])[0]) == body


def test_provider_survives_kill_9(servers, issued):
    db = servers.new_db()
    info = init_with(servers, db, "--realm", REALM)
    srv = servers.server(db, public_url=PUBLIC_URL)
    g = EngageGate(srv, info, issued)
    obj = g.create_ok(oidc_body())
    r = g.modify(obj["id"], {"title": "durable"})
    assert r.status_code == 200, r.text
    patched, tag = r.json(), etag_of(r)
    gone = g.create_ok(oauth2_body())
    assert g.call("DELETE", g.ppath(gone["id"])).status_code == 204
    srv.kill9()
    srv.start()
    g._admin = None
    assert view_ok(g, obj["id"]) == (patched, tag)
    assert_api_error(g.view(gone["id"]), 404)


def test_client_secret_is_not_stored_in_clear(servers, issued):
    db = servers.new_db()
    info = init_with(servers, db, "--realm", REALM)
    srv = servers.server(db, public_url=PUBLIC_URL)
    g = EngageGate(srv, info, issued)
    obj = g.create_ok(oidc_body())
    rotated = "rp-rotated-secret-Xq7Jd2Wm"
    assert g.modify(obj["id"], {"client_secret": rotated}).status_code == 200
    assert srv.stop() == 0
    secrets = [oidc_body()["client_secret"].encode(), rotated.encode()]
    files = [p for p in db.parent.iterdir() if p.name.startswith(db.name)]
    assert files
    for path in files:
        data = path.read_bytes()
        for s in secrets:
            assert s not in data, f"{path.name} holds a client_secret in clear"


# ---- merge patch (RFC 7396) -----------------------------------------------------------------

def test_merge_patch_null_removes_and_objects_merge(oidc):
    g, obj, tag = oidc
    r = g.modify(obj["id"], {"ui": {"title": "New"}, "profile_url": None,
                             "attribute_map": {"/email": None}})
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["ui"] == {"title": "New", "icon_url": "https://idp.example.test/icon.png"}
    assert "profile_url" not in got
    assert got["attribute_map"] == {"/displayName": "/name"}
    assert_modified(obj, got, tag, etag_of(r))


def test_merge_patch_replaces_arrays_whole(oidc):
    g, obj, _ = oidc
    r = g.modify(obj["id"], {"scopes": ["profile"]})
    assert r.status_code == 200, r.text
    assert r.json()["scopes"] == ["profile"]
    assert view_ok(g, obj["id"])[0]["scopes"] == ["profile"]


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
def test_merge_patch_works_with_put_and_charset(oidc, method):
    g, obj, tag = oidc
    r = g.modify(obj["id"], {"title": method}, MERGE_PATCH + "; charset=utf-8", method=method)
    assert r.status_code == 200, r.text
    assert_full_object(g, r.json(), oidc_body(title=method))
    assert_modified(obj, r.json(), tag, etag_of(r))


def test_merge_patch_can_add_optional_fields(engage, idp_certs):
    g = engage
    obj = g.create_ok(minimal_body("saml2", idp_certs))
    r = g.modify(obj["id"], {"ui": {"icon_url": "https://x.example.test/a.png"},
                             "authn_context": {"a": {"b": [1, 2]}},
                             "attribute_map": {"/email": "/e"}})
    assert r.status_code == 200, r.text
    assert client_fields(r.json()) == dict(minimal_body("saml2", idp_certs),
                                           ui={"icon_url": "https://x.example.test/a.png"},
                                           authn_context={"a": {"b": [1, 2]}},
                                           attribute_map={"/email": "/e"})


def test_saml_certificate_can_be_replaced_by_merge_patch(saml, idp_certs):
    g, obj, _ = saml
    r = g.modify(obj["id"], {"idp_certificate": idp_certs[1]})
    assert r.status_code == 200, r.text
    assert view_ok(g, obj["id"])[0]["idp_certificate"] == idp_certs[1]


# ---- JSON Patch (RFC 6902) ---------------------------------------------------------------------

def test_json_patch_test_failure_is_409_and_nothing_applies(oidc):
    g, obj, tag = oidc
    ops = [{"op": "replace", "path": "/title", "value": "should not stick"},
           {"op": "test", "path": "/client_id", "value": "someone-else"}]
    assert_api_error(g.modify(obj["id"], ops, JSON_PATCH), 409)
    assert_unchanged(g, obj["id"], obj, tag)


def test_json_patch_test_success_applies(oidc):
    g, obj, tag = oidc
    ops = [{"op": "test", "path": "/scopes", "value": ["openid", "email"]},
           {"op": "test", "path": "/ui/title", "value": "Sign in with Example"},
           {"op": "remove", "path": "/scopes/1"}]
    r = g.modify(obj["id"], ops, JSON_PATCH)
    assert r.status_code == 200, r.text
    assert r.json()["scopes"] == ["openid"]
    assert_modified(obj, r.json(), tag, etag_of(r))


def test_json_patch_works_with_put(oidc):
    g, obj, _ = oidc
    r = g.modify(obj["id"], [{"op": "replace", "path": "/title", "value": "put-patched"}],
                 JSON_PATCH + "; charset=utf-8", method="PUT")
    assert r.status_code == 200, r.text
    assert client_fields(r.json()) == oidc_body(title="put-patched")


@pytest.mark.parametrize("ops", [
    [{"op": "remove", "path": "/nope"}],
    [{"op": "replace", "path": "/ui/nope", "value": "x"}],
    [{"op": "add", "path": "/nope/deeper", "value": 1}],
    [{"op": "replace", "path": "/scopes/9", "value": "x"}],
    [{"op": "move", "from": "/nope", "path": "/title"}],
    [{"op": "copy", "from": "/ui/nope", "path": "/title"}],
])
def test_json_patch_missing_path_is_422(soidc, ops):
    g, obj, tag = soidc
    assert_api_error(g.modify(obj["id"], [{"op": "replace", "path": "/title", "value": "x"}] + ops,
                              JSON_PATCH), 422)
    assert_unchanged(g, obj["id"], obj, tag)


@pytest.mark.parametrize("doc", [
    [{"op": "spam", "path": "/x"}],
    [{"path": "/title"}],
    [{"op": "replace", "value": "x"}],
    [{"op": "add", "path": "/title"}],
    [{"op": "move", "path": "/title"}],
    [{"op": "replace", "path": "title", "value": "x"}],
    [{"op": "replace", "path": 5, "value": "x"}],
    ["not an operation"],
    [[]],
    "a string",
    42,
])
def test_invalid_json_patch_document_is_400(soidc, doc):
    g, obj, tag = soidc
    body = doc if not isinstance(doc, list) else \
        [{"op": "replace", "path": "/title", "value": "x"}] + doc
    assert_api_error(g.modify(obj["id"], body, JSON_PATCH), 400)
    assert_unchanged(g, obj["id"], obj, tag)


def test_json_patch_result_is_validated(soidc):
    g, obj, tag = soidc
    cases = [
        ([{"op": "remove", "path": "/title"}], "/title"),
        ([{"op": "remove", "path": "/token_url"}], "/token_url"),
        ([{"op": "replace", "path": "/auth_url", "value": "http://idp.example.test/a"}], "/auth_url"),
        ([{"op": "add", "path": "/idp_certificate", "value": "AAAA"}], "/idp_certificate"),
        ([{"op": "add", "path": "/attribute_map/~1nickname", "value": "/nick"}],
         "/attribute_map/~1nickname"),
        ([{"op": "replace", "path": "/protocol", "value": "oauth2"}], "/protocol"),
    ]
    for ops, field in cases:
        r = g.modify(obj["id"], ops, JSON_PATCH)
        if field.startswith("/attribute_map"):
            assert_error_fields(r, 422, field, "/attribute_map")
        else:
            assert_error_fields(r, 422, field)
    assert_unchanged(g, obj["id"], obj, tag)


@pytest.mark.parametrize("member, value", [
    ("id", "00000000-0000-4000-8000-000000000000"),
    ("createdAt", "2001-01-01T00:00:00.000000000Z"),
    ("updatedAt", "2001-01-01T00:00:00.000000000Z"),
])
def test_patch_changing_a_server_field_is_422(soidc, member, value):
    g, obj, tag = soidc
    assert_error_fields(g.modify(obj["id"], {member: value}, MERGE_PATCH), 422, "/" + member)
    assert_error_fields(g.modify(obj["id"], [{"op": "replace", "path": "/" + member, "value": value}],
                                 JSON_PATCH), 422, "/" + member)
    assert_unchanged(g, obj["id"], obj, tag)


# ---- full replacement ---------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_json_patch_object_replaces_and_removes_omitted_fields(oidc, idp_certs, method):
    g, obj, tag = oidc
    repl = minimal_body("openidconnect", idp_certs)
    r = g.modify(obj["id"], repl, JSON_PATCH, method=method)
    assert r.status_code == 200, r.text
    got = r.json()
    assert_full_object(g, got, repl)
    for gone in ("ui", "profile_url", "scopes", "attribute_map"):
        assert gone not in got
    assert_modified(obj, got, tag, etag_of(r))
    assert view_ok(g, obj["id"])[0] == got


def test_replacement_changing_protocol_is_422(oidc, idp_certs):
    g, obj, tag = oidc
    assert_error_fields(g.modify(obj["id"], minimal_body("oauth2", idp_certs), JSON_PATCH,
                                 method="PUT"), 422, "/protocol")
    assert_error_fields(g.modify(obj["id"], minimal_body("saml2", idp_certs), JSON_PATCH,
                                 method="PUT"), 422, "/protocol")
    no_protocol = {k: v for k, v in minimal_body("openidconnect", idp_certs).items()
                   if k != "protocol"}
    assert_error_fields(g.modify(obj["id"], no_protocol, JSON_PATCH, method="PUT"), 422,
                        "/protocol")
    assert_unchanged(g, obj["id"], obj, tag)


def test_replacement_missing_required_field_is_422(oidc):
    g, obj, tag = oidc
    body = oidc_body(client_secret=None)
    assert_error_fields(g.modify(obj["id"], body, JSON_PATCH, method="PUT"), 422, "/client_secret")
    assert_unchanged(g, obj["id"], obj, tag)


def test_merge_patch_changing_protocol_is_422(oidc, saml):
    g, obj, tag = oidc
    assert_error_fields(g.modify(obj["id"], {"protocol": "oauth2"}), 422, "/protocol")
    assert_unchanged(g, obj["id"], obj, tag)
    _, sobj, stag = saml
    assert_error_fields(g.modify(sobj["id"], {"protocol": "openidconnect"}), 422, "/protocol")
    assert_unchanged(g, sobj["id"], sobj, stag)


# ---- conditional requests ---------------------------------------------------------------------

@pytest.mark.parametrize("form", ["exact", "weak", "star", "list"])
def test_if_none_match_is_304_without_body(soidc, form):
    g, obj, tag = soidc
    value = {"exact": tag, "weak": "W/" + tag, "star": "*", "list": f"{ZERO_TAG}, {tag}"}[form]
    r = g.view(obj["id"], headers={"If-None-Match": value})
    assert r.status_code == 304, r.text
    assert r.content == b""
    assert r.headers.get("ETag") == tag


def test_if_none_match_with_old_tag_is_200(oidc):
    g, obj, tag = oidc
    r = g.modify(obj["id"], {"title": "changed"})
    assert r.status_code == 200
    r = g.view(obj["id"], headers={"If-None-Match": tag})
    assert r.status_code == 200
    assert r.json()["title"] == "changed"
    assert etag_of(r) != tag


@pytest.mark.parametrize("method, ctype, body", [
    ("PATCH", MERGE_PATCH, {"title": "stale"}),
    ("PUT", MERGE_PATCH, {"title": "stale"}),
    ("PATCH", JSON_PATCH, [{"op": "replace", "path": "/title", "value": "stale"}]),
    ("PUT", JSON_PATCH, oidc_body(title="stale")),
])
def test_stale_if_match_is_412_and_nothing_changes(soidc, method, ctype, body):
    g, obj, tag = soidc
    r = g.modify(obj["id"], body, ctype, method=method, headers={"If-Match": ZERO_TAG})
    assert_api_error(r, 412)
    assert_unchanged(g, obj["id"], obj, tag)


def test_stale_if_match_on_delete_is_412_and_provider_stays(soidc):
    g, obj, tag = soidc
    assert_api_error(g.call("DELETE", g.ppath(obj["id"]), headers={"If-Match": ZERO_TAG}), 412)
    assert_unchanged(g, obj["id"], obj, tag)


def test_current_if_match_applies(oidc):
    g, obj, tag = oidc
    r = g.modify(obj["id"], {"title": "guarded"}, headers={"If-Match": tag})
    assert r.status_code == 200, r.text
    tag2 = etag_of(r)
    assert tag2 != tag
    # the old tag is now stale
    assert_api_error(g.modify(obj["id"], {"title": "late"}, headers={"If-Match": tag}), 412)
    assert view_ok(g, obj["id"])[0]["title"] == "guarded"
    r = g.modify(obj["id"], oidc_body(title="replaced"), JSON_PATCH, method="PUT",
                 headers={"If-Match": tag2})
    assert r.status_code == 200, r.text
    r = g.call("DELETE", g.ppath(obj["id"]), headers={"If-Match": etag_of(r)})
    assert r.status_code == 204
    assert_api_error(g.view(obj["id"]), 404)


def test_if_match_star_applies_when_provider_exists(oidc):
    g, obj, _ = oidc
    r = g.modify(obj["id"], {"title": "starred"}, headers={"If-Match": "*"})
    assert r.status_code == 200, r.text
    assert r.json()["title"] == "starred"
    assert g.call("DELETE", g.ppath(obj["id"]), headers={"If-Match": "*"}).status_code == 204
    assert_api_error(g.view(obj["id"]), 404)


def test_if_match_list_containing_current_tag_applies(oidc):
    g, obj, tag = oidc
    r = g.modify(obj["id"], {"title": "listed"}, headers={"If-Match": f"{ZERO_TAG}, {tag}"})
    assert r.status_code == 200, r.text


# ---- 400 --------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw", [b'{"title": "x",', b"not json", b'{"title": "x"} trailing',
                                 b'{"title": "\xff\xfe"}', b'{"title": "\xc3\x28"}',
                                 b"", b'{"title": "a", "title": "b"'])
def test_invalid_json_is_400_on_create_and_patch(soidc, raw):
    g, obj, tag = soidc
    before = count(g)
    r = g.call("POST", g.plist(), data=raw, headers={"Content-Type": "application/json"})
    assert_api_error(r, 400)
    assert_api_error(g.modify(obj["id"], None, MERGE_PATCH, raw=raw), 400)
    assert_api_error(g.modify(obj["id"], None, JSON_PATCH, raw=raw), 400)
    assert_unchanged(g, obj["id"], obj, tag)
    assert count(g) == before


def test_invalid_utf8_inside_a_valid_looking_body_is_400(shared_engage):
    g = shared_engage
    before = count(g)
    raw = json.dumps(oidc_body(title="PLACEHOLDER")).encode().replace(b"PLACEHOLDER", b"bad\xed\xa0\x80")
    r = g.call("POST", g.plist(), data=raw, headers={"Content-Type": "application/json"})
    assert_api_error(r, 400)
    assert count(g) == before


@pytest.mark.parametrize("depth", [70, 200, 5000])
def test_nesting_deeper_than_64_is_400(ssaml, idp_certs, depth):
    g, obj, tag = ssaml
    body = json.dumps(saml_body(idp_certs[0]))[:-1] + ', "deep": ' + \
        "[" * depth + "]" * depth + "}"
    r = g.call("POST", g.plist(), data=body.encode(), headers={"Content-Type": "application/json"})
    assert_api_error(r, 400)
    patch = '{"authn_context": {"deep": ' + "[" * depth + "]" * depth + "}}"
    assert_api_error(g.modify(obj["id"], None, raw=patch.encode()), 400)
    assert_unchanged(g, obj["id"], obj, tag)


def test_moderate_nesting_is_accepted(engage, idp_certs):
    g = engage
    deep = {}
    cur = deep
    for i in range(20):
        cur["n"] = {}
        cur = cur["n"]
    obj = g.create_ok(saml_body(idp_certs[0], authn_context=deep))
    assert view_ok(g, obj["id"])[0]["authn_context"] == deep


# ---- 403 --------------------------------------------------------------------------------------

def test_every_provider_route_without_token_is_403(oidc):
    g, obj, tag = oidc
    for method, path in [("GET", g.plist()), ("POST", g.plist()), ("GET", g.ppath(obj["id"])),
                         ("PATCH", g.ppath(obj["id"])), ("PUT", g.ppath(obj["id"])),
                         ("DELETE", g.ppath(obj["id"]))]:
        r = g.call(method, path, token=None, data=b'{"title": "x"}',
                   headers={"Content-Type": MERGE_PATCH if method in ("PATCH", "PUT")
                            else "application/json"})
        assert_forbidden(r, BEARER_CHALLENGE)
    assert_unchanged(g, obj["id"], obj, tag)


def test_read_only_token_can_read_but_not_write(oidc):
    g, obj, tag = oidc
    pol = g.create_policy(allowed=["GET:**", "*:config/**", f"*:{ENGAGE}/**"])
    c = g.create_client(policy=pol)
    ro = g.token(scope="GET:**", client_id=c["id"], secret=c["secret"])
    assert g.get(g.plist(), token=ro).status_code == 200
    assert g.view(obj["id"], token=ro).status_code == 200
    assert_forbidden(g.create(oidc_body(), token=ro), BEARER_SCOPE)
    assert_forbidden(g.modify(obj["id"], {"title": "x"}, token=ro), BEARER_SCOPE)
    assert_forbidden(g.call("DELETE", g.ppath(obj["id"]), token=ro), BEARER_SCOPE)
    cfg = g.token(scope="*:config/**", client_id=c["id"], secret=c["secret"])
    assert_forbidden(g.get(g.plist(), token=cfg), BEARER_SCOPE)
    assert_forbidden(g.create(oidc_body(), token=cfg), BEARER_SCOPE)
    assert_unchanged(g, obj["id"], obj, tag)
    # a scope over the engage-v2 subtree covers writes
    sub = g.token(scope=f"*:{ENGAGE}/**", client_id=c["id"], secret=c["secret"])
    assert g.create(oidc_body(), token=sub).status_code == 201


def test_revoked_token_is_403(oidc):
    g, obj, _ = oidc
    tok = g.token()
    assert g.view(obj["id"], token=tok).status_code == 200
    assert g.revoke(tok).status_code == 200
    assert_forbidden(g.view(obj["id"], token=tok), BEARER_INVALID)


# ---- 404 --------------------------------------------------------------------------------------

@pytest.mark.parametrize("pid", [str(uuid.uuid4()), "not-a-uuid", "1",
                                 "00000000-0000-0000-0000-00000000000g"])
def test_unknown_or_non_uuid_provider_is_404(soidc, pid):
    g, obj, tag = soidc
    assert_api_error(g.view(pid), 404)
    assert_api_error(g.modify(pid, {"title": "x"}), 404)
    assert_api_error(g.modify(pid, oidc_body(), JSON_PATCH, method="PUT"), 404)
    assert_api_error(g.call("DELETE", g.ppath(pid)), 404)
    assert_unchanged(g, obj["id"], obj, tag)


@pytest.mark.parametrize("app_id", ["zzzzzzzzzzzzzzzzzzzz", "nope"])
def test_unknown_app_is_404_for_every_provider_route(soidc, app_id):
    g, obj, tag = soidc
    assert_api_error(g.get(g.plist(app_id)), 404)
    assert_api_error(g.create(oidc_body(), app_id=app_id), 404)
    assert_api_error(g.view(obj["id"], app_id=app_id), 404)
    assert_api_error(g.modify(obj["id"], {"title": "x"}, app_id=app_id), 404)
    assert_api_error(g.call("DELETE", g.ppath(obj["id"], app_id)), 404)
    assert_unchanged(g, obj["id"], obj, tag)


# ---- 405 --------------------------------------------------------------------------------------

@pytest.mark.parametrize("method, which, expected", [
    ("DELETE", "list", {"GET", "POST"}),
    ("PUT", "list", {"GET", "POST"}),
    ("PATCH", "list", {"GET", "POST"}),
    ("POST", "one", {"GET", "PATCH", "PUT", "DELETE"}),
])
def test_method_not_in_table_is_405_with_allow(soidc, method, which, expected):
    g, obj, tag = soidc
    before = count(g)
    path = g.plist() if which == "list" else g.ppath(obj["id"])
    r = g.call(method, path, json=oidc_body())
    assert_api_error(r, 405)
    allowed = allow_set(r)
    assert expected <= allowed and method not in allowed, allowed
    assert_unchanged(g, obj["id"], obj, tag)
    assert count(g) == before


# ---- 413 --------------------------------------------------------------------------------------

def test_body_over_64_kib_is_413(oidc):
    g, obj, tag = oidc
    big = "x" * (65 * 1024)
    assert_api_error(g.create(oidc_body(title=big)), 413)
    assert_api_error(g.modify(obj["id"], {"title": big}), 413)
    assert_api_error(g.modify(obj["id"], oidc_body(title=big), JSON_PATCH, method="PUT"), 413)
    assert_unchanged(g, obj["id"], obj, tag)
    assert len(g.get(g.plist()).json()["_embedded"]["item"]) == 1


def test_body_limit_is_exactly_64_kib(shared_engage):
    g = shared_engage
    before = count(g)

    def post(size):
        head = json.dumps(oidc_body(title="PAD")).encode()
        pad = b"x" * (size - len(head) + len(b"PAD"))
        data = head.replace(b"PAD", pad)
        assert len(data) == size
        return g.call("POST", g.plist(), data=data, headers={"Content-Type": "application/json"})

    at_limit = post(64 * 1024)
    # a length limit on title may make it 422, but the body itself is within bounds
    assert at_limit.status_code in (201, 422), at_limit.text
    assert_api_error(post(64 * 1024 + 1), 413)
    assert count(g) == before + (1 if at_limit.status_code == 201 else 0)


# ---- 415 --------------------------------------------------------------------------------------

@pytest.mark.parametrize("ctype", [None, "text/plain", MERGE_PATCH, JSON_PATCH,
                                   "application/x-www-form-urlencoded"])
def test_create_without_application_json_is_415(shared_engage, ctype):
    g = shared_engage
    before = count(g)
    h = {"Content-Type": ctype} if ctype else {}
    r = g.call("POST", g.plist(), data=json.dumps(oidc_body()).encode(), headers=h)
    assert_api_error(r, 415)
    assert count(g) == before


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
@pytest.mark.parametrize("ctype", [None, "application/json", "text/plain",
                                   "application/json; charset=utf-8", "application/xml"])
def test_modify_with_other_content_type_is_415(soidc, method, ctype):
    g, obj, tag = soidc
    assert_api_error(g.modify(obj["id"], {"title": "x"}, ctype, method=method), 415)
    assert_unchanged(g, obj["id"], obj, tag)


# ---- 422 --------------------------------------------------------------------------------------

INVALID_OIDC = [
    (oidc_body(titel="typo"), "/titel"),
    (dict(oidc_body(auth_url=None), auth_URL="https://idp.example.test/a"), "/auth_URL"),
    (oidc_body(Title="Case"), "/Title"),
    (oidc_body(idp_certificate="MIIB"), "/idp_certificate"),
    (oidc_body(authn_context={}), "/authn_context"),
    (oidc_body(title=None), "/title"),
    (oidc_body(title=""), "/title"),
    (oidc_body(title=5), "/title"),
    (oidc_body(protocol=None), "/protocol"),
    (oidc_body(protocol="oauth1"), "/protocol"),
    (oidc_body(protocol="OpenIDConnect"), "/protocol"),
    (oidc_body(auth_url=None), "/auth_url"),
    (oidc_body(auth_url="http://idp.example.test/authorize"), "/auth_url"),
    (oidc_body(auth_url="not a url"), "/auth_url"),
    (oidc_body(auth_url="https://"), "/auth_url"),
    (oidc_body(auth_url=7), "/auth_url"),
    (oidc_body(token_url=None), "/token_url"),
    (oidc_body(token_url="http://idp.example.test/token"), "/token_url"),
    (oidc_body(profile_url="ftp://idp.example.test/me"), "/profile_url"),
    (oidc_body(client_id=None), "/client_id"),
    (oidc_body(client_id=""), "/client_id"),
    (oidc_body(client_secret=None), "/client_secret"),
    (oidc_body(client_secret=""), "/client_secret"),
    (oidc_body(scopes="openid"), "/scopes"),
    (oidc_body(ui="Sign in"), "/ui"),
    (oidc_body(ui={"icon_url": "http://idp.example.test/i.png"}), "/ui/icon_url"),
    (oidc_body(ui={"title": 5}), "/ui/title"),
    (oidc_body(attribute_map=["/email"]), "/attribute_map"),
]


@pytest.mark.parametrize("body, field", INVALID_OIDC)
def test_invalid_oidc_create_is_422_naming_the_field(shared_engage, body, field):
    g = shared_engage
    before = count(g)
    assert_error_fields(g.create(body), 422, field)
    assert count(g) == before


@pytest.mark.parametrize("body, accepted", [
    (oidc_body(scopes=["openid", 5]), ("/scopes/1", "/scopes")),
    (oidc_body(ui={"title": "x", "colour": "red"}), ("/ui/colour", "/ui")),
    (oidc_body(attribute_map={"/nickname": "/nick"}), ("/attribute_map/~1nickname", "/attribute_map")),
    (oidc_body(attribute_map={"email": "/email"}), ("/attribute_map/email", "/attribute_map")),
    (oidc_body(attribute_map={"/email": "email"}), ("/attribute_map/~1email", "/attribute_map")),
    (oidc_body(attribute_map={"/email": 5}), ("/attribute_map/~1email", "/attribute_map")),
])
def test_invalid_nested_value_is_422_naming_it(shared_engage, body, accepted):
    g = shared_engage
    before = count(g)
    assert_error_fields(g.create(body), 422, *accepted)
    assert count(g) == before


def test_422_details_name_every_offending_field(shared_engage):
    g = shared_engage
    before = count(g)
    body = dict(oidc_body(auth_url=None, token_url="http://x.example.test/t"),
                titel="typo", auth_URL="https://x.example.test/a")
    errs = assert_api_error(g.create(body), 422)
    fields = details_fields(errs)
    for f in ("/titel", "/auth_URL", "/auth_url", "/token_url"):
        assert f in fields, errs
    assert count(g) == before


@pytest.mark.parametrize("over, field", [
    ({"token_url": "https://idp.example.test/token"}, "/token_url"),
    ({"client_id": "c"}, "/client_id"),
    ({"client_secret": "s-Ab9Ab9Ab9"}, "/client_secret"),
    ({"scopes": ["openid"]}, "/scopes"),
    ({"profile_url": "https://idp.example.test/me"}, "/profile_url"),
    ({"idp_certificate": None}, "/idp_certificate"),
    ({"idp_certificate": "bm90IGEgY2VydGlmaWNhdGUgYXQgYWxs"}, "/idp_certificate"),
    ({"idp_certificate": "!!! not base64 !!!"}, "/idp_certificate"),
    ({"idp_certificate": ""}, "/idp_certificate"),
    ({"idp_certificate": 5}, "/idp_certificate"),
    ({"authn_context": "exact"}, "/authn_context"),
    ({"auth_url": "http://idp.corp.example.test/sso"}, "/auth_url"),
])
def test_invalid_saml_create_is_422_naming_the_field(shared_engage, idp_certs, over, field):
    g = shared_engage
    before = count(g)
    assert_error_fields(g.create(saml_body(idp_certs[0], **over)), 422, field)
    assert count(g) == before


def test_random_base64_certificate_is_422(shared_engage, idp_certs):
    g = shared_engage
    before = count(g)
    junk = base64.b64encode(os.urandom(600)).decode()
    assert_error_fields(g.create(saml_body(idp_certs[0], idp_certificate=junk)), 422,
                        "/idp_certificate")
    assert count(g) == before


def test_truncated_certificate_is_422(shared_engage, idp_certs):
    g = shared_engage
    before = count(g)
    der = base64.b64decode(idp_certs[0])
    cut = base64.b64encode(der[: len(der) // 2]).decode()
    assert_error_fields(g.create(saml_body(idp_certs[0], idp_certificate=cut)), 422,
                        "/idp_certificate")
    assert count(g) == before


def test_pem_armoured_certificate_is_422(shared_engage, idp_certs):
    g = shared_engage
    before = count(g)
    pem = "-----BEGIN CERTIFICATE-----\n" + idp_certs[0] + "\n-----END CERTIFICATE-----\n"
    assert_error_fields(g.create(saml_body(idp_certs[0], idp_certificate=pem)), 422,
                        "/idp_certificate")
    assert count(g) == before


@pytest.mark.parametrize("body, field", INVALID_OIDC)
def test_invalid_merge_patch_is_422_and_nothing_changes(soidc, body, field):
    g, obj, tag = soidc
    # make the patch produce exactly `body` (removing what `body` lacks)
    patch = {k: None for k in oidc_body() if k not in body}
    patch.update(body)
    assert_error_fields(g.modify(obj["id"], patch), 422, field)
    assert_unchanged(g, obj["id"], obj, tag)


# ---- tenant isolation ----------------------------------------------------------------------------

def test_a_token_on_b_provider_paths_is_403(engage_two):
    a, b = engage_two
    obj = b.create_ok(oidc_body())
    tag = etag_of(b.view(obj["id"]))
    for method, path in [("GET", b.plist()), ("POST", b.plist()), ("GET", b.ppath(obj["id"])),
                         ("PATCH", b.ppath(obj["id"])), ("DELETE", b.ppath(obj["id"]))]:
        r = b.call(method, path, token=a.admin, data=b'{"title": "x"}',
                   headers={"Content-Type": MERGE_PATCH if method == "PATCH"
                            else "application/json"})
        assert_forbidden(r, BEARER_INVALID)
    assert_unchanged(b, obj["id"], obj, tag)


def test_a_path_with_b_app_is_404(engage_two):
    a, b = engage_two
    obj = b.create_ok(oidc_body())
    tag = etag_of(b.view(obj["id"]))
    assert_api_error(a.get(a.plist(b.app_id)), 404)
    assert_api_error(a.create(oidc_body(), app_id=b.app_id), 404)
    assert_api_error(a.view(obj["id"], app_id=b.app_id), 404)
    assert_api_error(a.modify(obj["id"], {"title": "x"}, app_id=b.app_id), 404)
    assert_api_error(a.call("DELETE", a.ppath(obj["id"], b.app_id)), 404)
    # nor under A's own app
    assert_api_error(a.view(obj["id"]), 404)
    assert_api_error(a.call("DELETE", a.ppath(obj["id"])), 404)
    assert_unchanged(b, obj["id"], obj, tag)
    assert a.get(a.plist()).json()["_embedded"]["item"] == []
    # B's callback uses B's realm
    assert obj["_links"]["callback"]["href"] == \
        f"https://b.example.test/{b.customer_id}.{obj['id']}/callback"
