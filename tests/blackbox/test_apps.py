# SPDX-License-Identifier: MIT
# Social-login applications (SPEC §1, §5 rows 1–2, §6): the app that `init`
# makes, `socialgate app add`, the HAL list and the single view with its ETag
# (304 on If-None-Match), 403/404/405, absolute hrefs from --public-url and
# tenant isolation. Providers themselves are in test_providers.py.

import uuid

import pytest

from conftest import (APP_ID_RE, BEARER_CHALLENGE, BEARER_INVALID, BEARER_SCOPE, ENGAGE,
                      ETAG_RE, PUBLIC_URL, REALM, EngageGate, allow_set, app_add,
                      apps_path, assert_api_error, assert_forbidden, init_with)

APP_KEYS = {"_links", "id", "name", "realm", "token_urls", "settings"}
DEFAULT_SETTINGS = {"post_tokens_to_token_url": True, "token_ttl": 120, "standard_claims": False,
                    "return_access_credentials": False}


def apps_href(g, app_id=None):
    return g.href(apps_path(app_id))


def expected_app_list(g, apps):
    """The exact list document for `apps` = [(id, name), ...]."""
    return {
        "_links": {"self": {"href": apps_href(g)},
                   "item": {"href": apps_href(g) + "{/id}", "templated": True}},
        "_embedded": {"item": [{"_links": {"self": {"href": apps_href(g, i)}}, "id": i, "name": n}
                               for i, n in apps]},
    }


def list_sorted(body):
    body["_embedded"]["item"].sort(key=lambda it: it["id"])
    return body


@pytest.fixture
def three_apps(servers, issued):
    """One customer with the init app and two added with `app add` before serving."""
    db = servers.new_db()
    info = init_with(servers, db, "--realm", REALM)
    added = []
    for name, realm in [("Shop", "https://shop.example.test"),
                        ("Local dev", "http://localhost:3000")]:
        p = app_add(servers, db, info["customer_id"], name, realm)
        assert p.returncode == 0, p.stderr.decode(errors="replace")
        app_id = p.stdout.decode().strip()
        assert APP_ID_RE.match(app_id), p.stdout
        added.append((app_id, name, realm))
    g = EngageGate(servers.server(db, public_url=PUBLIC_URL), info, issued)
    return g, added


# ---- init's app -----------------------------------------------------------------------

def test_init_json_reports_a_20_letter_app_id(engage):
    assert APP_ID_RE.match(engage.app_id), engage.info


def test_app_list_has_the_init_app_with_absolute_hrefs(engage):
    g = engage
    r = g.get(apps_path())
    assert r.status_code == 200, r.text
    assert r.headers.get("Content-Type", "").startswith("application/json")
    body = r.json()
    items = body["_embedded"]["item"]
    assert len(items) == 1 and isinstance(items[0].get("name"), str) and items[0]["name"]
    assert body == expected_app_list(g, [(g.app_id, items[0]["name"])])


def test_app_view_has_exactly_its_fields_and_self(engage):
    g = engage
    r = g.get(apps_path(g.app_id))
    assert r.status_code == 200, r.text
    app = r.json()
    assert set(app) == APP_KEYS
    assert app["id"] == g.app_id
    assert app["realm"] == REALM
    assert app["token_urls"] == [] and app["settings"] == DEFAULT_SETTINGS
    assert app["_links"] == {"self": {"href": f"{PUBLIC_URL}/{g.customer_id}/{ENGAGE}/apps/{g.app_id}"}}
    listed = g.get(apps_path()).json()["_embedded"]["item"][0]
    assert listed["name"] == app["name"]


def test_app_view_etag_is_strong_64_hex_and_stable(shared_engage):
    g = shared_engage
    e1 = g.get(apps_path(g.app_id)).headers.get("ETag")
    e2 = g.get(apps_path(g.app_id)).headers.get("ETag")
    assert e1 and ETAG_RE.match(e1), e1
    assert e1 == e2


def test_init_realm_defaults_to_public_url(servers, issued):
    db = servers.new_db()
    info = init_with(servers, db, "--public-url", "https://pub.example.test:8443")
    g = EngageGate(servers.server(db), info, issued)
    assert g.get(apps_path(g.app_id)).json()["realm"] == "https://pub.example.test:8443"


def test_init_realm_without_public_url_is_the_default_listen_url(servers, issued):
    db = servers.new_db()
    info = init_with(servers, db)
    g = EngageGate(servers.server(db), info, issued)
    assert g.get(apps_path(g.app_id)).json()["realm"] == "http://127.0.0.1:8080"


def test_init_rejects_a_realm_with_trailing_slash(servers):
    p = servers.run("init", "--db", servers.new_db(), "--json", "--realm", "https://x.example/")
    assert p.returncode != 0
    assert b"realm" in (p.stderr + p.stdout).lower()


# ---- conditional GET ------------------------------------------------------------------

@pytest.mark.parametrize("form", ["exact", "weak", "star", "list"])
def test_app_if_none_match_is_304_without_body(shared_engage, form):
    g = shared_engage
    etag = g.get(apps_path(g.app_id)).headers["ETag"]
    value = {"exact": etag, "weak": "W/" + etag, "star": "*",
             "list": f'"{"0" * 64}", {etag}'}[form]
    r = g.get(apps_path(g.app_id), headers={"If-None-Match": value})
    assert r.status_code == 304, r.text
    assert r.content == b""
    assert r.headers.get("ETag") == etag


def test_app_if_none_match_other_tag_is_200(shared_engage):
    g = shared_engage
    r = g.get(apps_path(g.app_id), headers={"If-None-Match": f'"{"0" * 64}"'})
    assert r.status_code == 200
    assert r.json()["id"] == g.app_id


# ---- app add ---------------------------------------------------------------------------

def test_app_add_prints_a_new_id_and_exits_0(servers):
    db = servers.new_db()
    info = init_with(servers, db)
    p = app_add(servers, db, info["customer_id"], "Web", "https://web.example.test")
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    app_id = p.stdout.decode().strip()
    assert APP_ID_RE.match(app_id), p.stdout
    assert app_id != info["app_id"]


def test_added_apps_are_listed_and_viewable(three_apps):
    g, added = three_apps
    body = g.get(apps_path()).json()
    init_name = [i["name"] for i in body["_embedded"]["item"] if i["id"] == g.app_id]
    assert len(init_name) == 1
    expected = expected_app_list(g, [(g.app_id, init_name[0])] + [(i, n) for i, n, _ in added])
    assert list_sorted(body) == list_sorted(expected)
    for app_id, name, realm in added:
        r = g.get(apps_path(app_id))
        assert r.status_code == 200, r.text
        assert r.json() == {"_links": {"self": {"href": apps_href(g, app_id)}},
                            "id": app_id, "name": name, "realm": realm, "token_urls": [],
                            "settings": DEFAULT_SETTINGS}


def test_apps_have_distinct_etags(three_apps):
    g, added = three_apps
    tags = {g.get(apps_path(a)).headers.get("ETag") for a in [g.app_id] + [i for i, _, _ in added]}
    assert len(tags) == 3 and all(t and ETAG_RE.match(t) for t in tags), tags


@pytest.mark.parametrize("realm", ["https://x.example/", "ftp://x.example", "x.example",
                                   "https://", "", "javascript:alert(1)"])
def test_app_add_with_bad_realm_fails_naming_realm(servers, issued, realm):
    db = servers.new_db()
    info = init_with(servers, db)
    p = app_add(servers, db, info["customer_id"], "Bad", realm)
    assert p.returncode != 0
    assert b"realm" in (p.stderr + p.stdout).lower(), p.stderr
    # and nothing was added
    g = EngageGate(servers.server(db), info, issued)
    assert [i["id"] for i in g.get(apps_path()).json()["_embedded"]["item"]] == [g.app_id]


def test_app_add_for_unknown_customer_fails(servers):
    db = servers.new_db()
    init_with(servers, db)
    p = app_add(servers, db, str(uuid.uuid4()), "Orphan", "https://o.example.test")
    assert p.returncode != 0
    assert not APP_ID_RE.match(p.stdout.decode().strip())


def test_app_add_without_name_fails(servers):
    db = servers.new_db()
    info = init_with(servers, db)
    p = servers.run("app", "add", "--db", db, "--customer-id", info["customer_id"],
                    "--realm", "https://n.example.test")
    assert p.returncode != 0


# ---- errors ------------------------------------------------------------------------------

@pytest.mark.parametrize("app_id", ["zzzzzzzzzzzzzzzzzzzz", "short", "ABCDEFGHIJKLMNOPQRST",
                                    "abcdefghijklmnopqrstu", str(uuid.uuid4())])
def test_unknown_app_is_404(shared_engage, app_id):
    g = shared_engage
    assert_api_error(g.get(apps_path(app_id)), 404)


def test_upper_case_of_a_real_app_id_is_404(shared_engage):
    assert_api_error(shared_engage.get(apps_path(shared_engage.app_id.upper())), 404)


@pytest.mark.parametrize("method, which", [
    ("PATCH", "list"), ("POST", "list"), ("PUT", "list"), ("DELETE", "list"),
    ("POST", "one"), ("PUT", "one"), ("DELETE", "one"),
])
def test_app_write_methods_are_405_allow_get_and_patch(shared_engage, method, which):
    g = shared_engage
    path = apps_path() if which == "list" else apps_path(g.app_id)
    r = g.call(method, path, json={"name": "x", "realm": "https://x.example"})
    assert_api_error(r, 405)
    allowed = allow_set(r)
    assert "GET" in allowed and method not in allowed, allowed
    # nothing changed
    assert len(g.get(apps_path()).json()["_embedded"]["item"]) == 1
    assert g.get(apps_path(g.app_id)).json()["realm"] == REALM


def test_apps_without_token_are_403(shared_engage):
    g = shared_engage
    assert_forbidden(g.get(apps_path(), token=None), BEARER_CHALLENGE)
    assert_forbidden(g.get(apps_path(g.app_id), token=None), BEARER_CHALLENGE)
    assert_forbidden(g.get(apps_path(g.app_id), token="x" * 64), BEARER_INVALID)


def test_config_only_scope_does_not_cover_apps(engage):
    g = engage
    pid = g.create_policy(allowed=["*:config/**", "GET:**"])
    c = g.create_client(policy=pid)
    config_only = g.token(scope="*:config/**", client_id=c["id"], secret=c["secret"])
    assert_forbidden(g.get(apps_path(), token=config_only), BEARER_SCOPE)
    read_only = g.token(scope="GET:**", client_id=c["id"], secret=c["secret"])
    assert g.get(apps_path(), token=read_only).status_code == 200
    assert g.get(apps_path(g.app_id), token=read_only).status_code == 200


def test_app_hrefs_come_from_public_url_not_host_header(engage):
    g = engage
    h = {"Host": "attacker.example:1234", "X-Forwarded-Host": "attacker.example",
         "X-Forwarded-Proto": "https"}
    body = g.get(apps_path(), headers=h).json()
    assert body == expected_app_list(g, [(g.app_id, body["_embedded"]["item"][0]["name"])])
    app = g.get(apps_path(g.app_id), headers=h).json()
    assert app["_links"]["self"]["href"] == apps_href(g, g.app_id)
    assert "attacker" not in str(body) + str(app)


# ---- tenant isolation ----------------------------------------------------------------------

def test_a_token_on_b_app_paths_is_403(engage_two):
    a, b = engage_two
    assert_forbidden(b.get(apps_path(), token=a.admin), BEARER_INVALID)
    assert_forbidden(b.get(apps_path(b.app_id), token=a.admin), BEARER_INVALID)
    assert_forbidden(b.get(apps_path(a.app_id), token=a.admin), BEARER_INVALID)


def test_a_path_with_b_app_id_is_404(engage_two):
    a, b = engage_two
    assert a.app_id != b.app_id
    assert_api_error(a.get(apps_path(b.app_id)), 404)
    assert [i["id"] for i in a.get(apps_path()).json()["_embedded"]["item"]] == [a.app_id]
    assert [i["id"] for i in b.get(apps_path()).json()["_embedded"]["item"]] == [b.app_id]
    assert b.get(apps_path(b.app_id)).json()["realm"] == "https://b.example.test"
