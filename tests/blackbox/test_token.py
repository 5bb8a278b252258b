# SPDX-License-Identifier: MIT
# Token endpoint (SPEC §2): real OAuth 2.0 clients (requests-oauthlib, curl as
# the seed shows it), client authentication, every error answer, scope
# intersection, token shape and headers. Bearer use of tokens is only touched
# where it proves a grant; test_bearer.py covers it.

import base64
import json
import shutil
import subprocess
import uuid

import pytest
from oauthlib.oauth2 import BackendApplicationClient
from requests_oauthlib import OAuth2Session

from conftest import (BEARER_SCOPE, TOKEN_RE, assert_forbidden, assert_invalid_client,
                      assert_oauth_error, basic_header)


@pytest.fixture
def oauth_env(monkeypatch):
    # the server under test speaks plain HTTP on 127.0.0.1
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def oauth_session(gate):
    s = OAuth2Session(client=BackendApplicationClient(client_id=gate.client_id))
    s.hooks["response"].append(gate.issued.hook)
    return s


def curl(*args):
    exe = shutil.which("curl")
    assert exe, "curl is required by the black-box suite"
    p = subprocess.run([exe, "-sS", "-w", "\n%{http_code}", *args], capture_output=True,
                       timeout=10)
    assert p.returncode == 0, p.stderr
    body, _, code = p.stdout.decode().rpartition("\n")
    return int(code), body


# ---- real clients -----------------------------------------------------------------

def test_oauthlib_client_with_basic_auth_gets_a_working_token(gate, oauth_env):
    s = oauth_session(gate)
    tok = s.fetch_token(gate.token_url, client_id=gate.client_id,
                        client_secret=gate.client_secret, scope=["*:**"])
    assert TOKEN_RE.match(tok["access_token"])
    assert tok["token_type"] == "Bearer"
    assert tok["expires_in"] == 3600
    assert tok["scope"] == ["*:**"]
    assert "refresh_token" not in tok
    # the session then authenticates API calls with the token it got
    r = s.get(gate.url("config/clients"), timeout=5)
    assert r.status_code == 200, r.text


def test_oauthlib_client_with_client_secret_post_gets_a_working_token(gate, oauth_env):
    s = oauth_session(gate)
    tok = s.fetch_token(gate.token_url, client_id=gate.client_id,
                        client_secret=gate.client_secret, include_client_id=True,
                        scope=["*:**"])
    assert TOKEN_RE.match(tok["access_token"])
    assert tok["scope"] == ["*:**"]
    r = s.get(gate.url("config/tokenPolicies"), timeout=5)
    assert r.status_code == 200, r.text


def test_oauthlib_client_with_wrong_secret_raises(gate, oauth_env):
    from oauthlib.oauth2.rfc6749.errors import InvalidClientError
    bad = "not-the-secret-" + uuid.uuid4().hex
    gate.issued.add(bad)
    s = oauth_session(gate)
    with pytest.raises(InvalidClientError):
        s.fetch_token(gate.token_url, client_id=gate.client_id, client_secret=bad,
                      scope=["*:**"])


def test_seed_curl_basic_form_urlencoded_gets_star_star_token(gate):
    code, body = curl("-u", f"{gate.client_id}:{gate.client_secret}",
                      "-d", "grant_type=client_credentials", "-d", "scope=*:**",
                      gate.token_url)
    assert code == 200, body
    tok = json.loads(body)
    gate.issued.add(tok.get("access_token"))
    assert TOKEN_RE.match(tok["access_token"])
    assert tok["expires_in"] == 3600
    assert tok["token_type"] == "Bearer"
    assert tok["scope"] == "*:**"
    assert gate.get("config/clients", token=tok["access_token"]).status_code == 200


def test_seed_curl_multipart_form_gets_star_star_token(gate):
    code, body = curl("-u", f"{gate.client_id}:{gate.client_secret}",
                      "-F", "grant_type=client_credentials", "-F", "scope=*:**",
                      gate.token_url)
    assert code == 200, body
    tok = json.loads(body)
    gate.issued.add(tok.get("access_token"))
    assert TOKEN_RE.match(tok["access_token"])
    assert tok["scope"] == "*:**"
    assert gate.get("config/clients", token=tok["access_token"]).status_code == 200


def test_requests_multipart_body_is_accepted(gate):
    r = gate.http.post(gate.token_url, auth=(gate.client_id, gate.client_secret),
                       files={"grant_type": (None, "client_credentials"),
                              "scope": (None, "*:**")})
    assert r.status_code == 200, r.text
    assert r.json()["scope"] == "*:**"


def test_curl_with_wrong_secret_is_401(gate):
    bad = "wrong-" + uuid.uuid4().hex
    gate.issued.add(bad)
    code, body = curl("-u", f"{gate.client_id}:{bad}", "-d", "grant_type=client_credentials",
                      gate.token_url)
    assert code == 401
    assert json.loads(body)["error"] == "invalid_client"


# ---- client authentication ----------------------------------------------------------

def test_basic_with_quote_plus_encoded_credentials_works(gate):
    r = gate.post_token(auth=None, headers={
        "Authorization": basic_header(gate.client_id, gate.client_secret, encode=True)})
    assert r.status_code == 200, r.text


def test_basic_with_raw_credentials_works(gate):
    r = gate.post_token(auth=None, headers={
        "Authorization": basic_header(gate.client_id, gate.client_secret, encode=False)})
    assert r.status_code == 200, r.text


def test_basic_credentials_are_form_urldecoded_before_lookup(gate):
    # RFC 6749 §2.3.1: the server form-urldecodes id and secret; a client may
    # percent-encode any octet, so %XX of every byte must still authenticate
    def pct(s):
        return "".join(f"%{b:02X}" for b in s.encode())
    raw = f"{pct(gate.client_id)}:{pct(gate.client_secret)}".encode()
    r = gate.post_token(auth=None, headers={
        "Authorization": "Basic " + base64.b64encode(raw).decode()})
    assert r.status_code == 200, r.text


def test_client_secret_post_works(gate):
    r = gate.post_token(auth=None, data={"grant_type": "client_credentials",
                                          "client_id": gate.client_id,
                                          "client_secret": gate.client_secret})
    assert r.status_code == 200, r.text
    assert TOKEN_RE.match(r.json()["access_token"])


def test_wrong_secret_is_invalid_client(gate):
    bad = gate.client_secret[:-1] + ("A" if gate.client_secret[-1] != "A" else "B")
    gate.issued.add(bad)
    assert_invalid_client(gate.post_token(auth=(gate.client_id, bad)))


def test_unknown_client_is_invalid_client(gate):
    assert_invalid_client(gate.post_token(auth=("no-such-client", gate.client_secret)))


def test_unknown_customer_is_invalid_client_like_a_wrong_secret(gate):
    url = gate.token_url.replace(gate.customer_id, str(uuid.uuid4()))
    r = gate.http.post(url, data={"grant_type": "client_credentials"},
                       auth=(gate.client_id, gate.client_secret))
    assert_invalid_client(r)


def test_no_credentials_is_invalid_client(gate):
    assert_invalid_client(gate.post_token(auth=None))


def test_empty_basic_password_is_invalid_client(gate):
    assert_invalid_client(gate.post_token(auth=(gate.client_id, "")))


def test_client_secret_post_wrong_secret_is_invalid_client(gate):
    bad = "wrong-" + uuid.uuid4().hex
    gate.issued.add(bad)
    r = gate.post_token(auth=None, data={"grant_type": "client_credentials",
                                          "client_id": gate.client_id, "client_secret": bad})
    assert_invalid_client(r)


def test_client_secret_post_unknown_client_is_invalid_client(gate):
    r = gate.post_token(auth=None, data={"grant_type": "client_credentials",
                                          "client_id": "no-such-client",
                                          "client_secret": gate.client_secret})
    assert_invalid_client(r)


def test_client_id_without_secret_in_body_is_invalid_client(gate):
    r = gate.post_token(auth=None, data={"grant_type": "client_credentials",
                                          "client_id": gate.client_id})
    assert_invalid_client(r)


def test_basic_and_client_secret_post_together_is_invalid_request(gate):
    r = gate.post_token(data={"grant_type": "client_credentials",
                              "client_id": gate.client_id,
                              "client_secret": gate.client_secret})
    assert_oauth_error(r, 400, "invalid_request")


# ---- request errors ------------------------------------------------------------------

def form(gate, body, content_type="application/x-www-form-urlencoded"):
    return gate.post_token(data=body, headers={"Content-Type": content_type})


def test_missing_grant_type_is_invalid_request(gate):
    assert_oauth_error(form(gate, "scope=*:**"), 400, "invalid_request")


def test_empty_body_is_invalid_request(gate):
    assert_oauth_error(form(gate, ""), 400, "invalid_request")


@pytest.mark.parametrize("body", [
    "grant_type=client_credentials&grant_type=client_credentials",
    "grant_type=client_credentials&scope=*:**&scope=*:**",
])
def test_repeated_parameter_is_invalid_request(gate, body):
    assert_oauth_error(form(gate, body), 400, "invalid_request")


@pytest.mark.parametrize("body", [
    "grant_type=client_credentials&scope=%zz",
    "grant_type=client_credentials&scope=%2",
    "grant_type=client%_credentials",
])
def test_bad_percent_encoding_is_invalid_request(gate, body):
    assert_oauth_error(form(gate, body), 400, "invalid_request")


@pytest.mark.parametrize("content_type, body", [
    ("text/plain", "grant_type=client_credentials"),
    ("application/json", '{"grant_type": "client_credentials"}'),
])
def test_non_form_content_type_is_invalid_request(gate, content_type, body):
    assert_oauth_error(form(gate, body, content_type), 400, "invalid_request")


def test_form_content_type_with_charset_is_accepted(gate):
    r = form(gate, "grant_type=client_credentials&scope=%2A%3A%2A%2A",
             "application/x-www-form-urlencoded; charset=UTF-8")
    assert r.status_code == 200, r.text
    assert r.json()["scope"] == "*:**"


@pytest.mark.parametrize("grant", ["password", "authorization_code", "refresh_token",
                                   "CLIENT_CREDENTIALS"])
def test_other_grant_type_is_unsupported_grant_type(gate, grant):
    r = gate.post_token(data={"grant_type": grant, "username": "u", "password": "p",
                              "code": "c", "refresh_token": "r"})
    assert_oauth_error(r, 400, "unsupported_grant_type")


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_other_methods_are_405_allow_post(gate, method):
    r = gate.http.request(method, gate.token_url, auth=(gate.client_id, gate.client_secret))
    assert r.status_code == 405
    assert r.headers.get("Allow", "").replace(" ", "") == "POST"


# ---- scope --------------------------------------------------------------------------

def test_scope_is_intersected_with_policy(gate):
    tok = gate.token_response(scope="*:** GET:**")
    assert tok["scope"] == "*:**"


def test_scope_must_match_verbatim_not_by_coverage(gate):
    # "*:config/**" is covered by "*:**" but is not listed in the policy
    tok = gate.token_response(scope="*:config/**")
    assert "scope" not in tok


def test_only_unallowed_scope_gives_token_without_scope_that_is_refused(gate):
    tok = gate.token_response(scope="GET:**")
    assert TOKEN_RE.match(tok["access_token"])
    assert "scope" not in tok
    for method, path in [("GET", "config/clients"), ("GET", "config/tokenPolicies"),
                         ("POST", "config/tokenPolicies")]:
        kw = {"json": {"title": "x", "allowedScopes": []}} if method == "POST" else {}
        assert_forbidden(gate.call(method, path, token=tok["access_token"], **kw), BEARER_SCOPE)


def test_omitted_scope_grants_all_allowed_scopes_in_policy_order(gate):
    allowed = ["GET:**", "*:config/**", "*:**"]
    pol = gate.create_policy(allowed=allowed)
    c = gate.create_client(policy=pol)
    tok = gate.token_response(scope=None, client_id=c["id"], secret=c["secret"])
    assert tok["scope"] == "GET:** *:config/** *:**"


def test_omitted_scope_with_default_policy_is_star_star(gate):
    assert gate.token_response(scope=None)["scope"] == "*:**"


def test_requested_subset_of_policy_is_granted(gate):
    pol = gate.create_policy(allowed=["GET:**", "*:config/**", "*:**"])
    c = gate.create_client(policy=pol)
    tok = gate.token_response(scope="*:config/** POST:**", client_id=c["id"],
                              secret=c["secret"])
    assert tok["scope"] == "*:config/**"


def test_expires_in_is_the_policy_lifetime(gate):
    pol = gate.create_policy(accessTokenLifetime=120)
    c = gate.create_client(policy=pol)
    tok = gate.token_response(client_id=c["id"], secret=c["secret"])
    assert tok["expires_in"] == 120


# ---- shape and headers ------------------------------------------------------------------

def test_success_response_shape_and_headers(gate):
    r = gate.post_token(data={"grant_type": "client_credentials", "scope": "*:**"})
    assert r.status_code == 200
    assert r.headers.get("Content-Type", "").startswith("application/json")
    assert r.headers.get("Cache-Control") == "no-store"
    assert r.headers.get("Pragma") == "no-cache"
    body = r.json()
    assert set(body) == {"access_token", "expires_in", "token_type", "scope"}
    assert TOKEN_RE.match(body["access_token"])
    assert body["expires_in"] == 3600 and isinstance(body["expires_in"], int)
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "*:**"


def test_every_token_is_different(gate):
    tokens = {gate.token() for _ in range(5)}
    assert len(tokens) == 5


def test_init_client_credentials_have_the_documented_shape(gate):
    from conftest import ID_CHARS_RE
    assert ID_CHARS_RE.match(gate.client_id)
    assert ID_CHARS_RE.match(gate.client_secret)
    assert len(gate.client_secret) >= 43  # >= 256 bits in base64url


def test_token_is_not_stored_in_clear(gate):
    tok = gate.token()
    assert gate.get("config/clients", token=tok).status_code == 200
    db = gate.server.db
    for p in [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-journal")]:
        if p.exists():
            assert tok.encode() not in p.read_bytes(), p.name


# ---- robustness ------------------------------------------------------------------------

def test_multipart_repeated_parameter_is_invalid_request(gate):
    r = gate.http.post(gate.token_url, auth=(gate.client_id, gate.client_secret),
                       files=[("grant_type", (None, "client_credentials")),
                              ("grant_type", (None, "client_credentials"))])
    assert_oauth_error(r, 400, "invalid_request")


@pytest.mark.parametrize("value", ["Basic !!!not-base64!!!", "Basic " + base64.b64encode(b"no-colon").decode(),
                                   "Basic", "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode()])
def test_malformed_basic_header_is_refused_without_crash(gate, value):
    r = gate.post_token(auth=None, headers={"Authorization": value})
    assert r.status_code in (400, 401), r.text
    assert r.json()["error"] in ("invalid_request", "invalid_client")
    assert gate.post_token().status_code == 200


def test_huge_token_request_body_is_refused_without_crash(gate):
    body = "grant_type=client_credentials&scope=" + "a" * (1024 * 1024)
    r = form(gate, body)
    assert r.status_code in (400, 413), r.status_code
    assert gate.post_token().status_code == 200


def test_concurrent_token_requests_all_succeed_with_distinct_tokens(gate):
    from concurrent.futures import ThreadPoolExecutor
    import requests

    def fetch(_):
        return requests.post(gate.token_url, auth=(gate.client_id, gate.client_secret),
                             data={"grant_type": "client_credentials"}, timeout=10)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(fetch, range(32)))
    for r in results:
        gate.issued.hook(r)
    assert [r.status_code for r in results] == [200] * 32
    tokens = {r.json()["access_token"] for r in results}
    assert len(tokens) == 32
    for t in list(tokens)[:4]:
        assert gate.get("config/clients", token=t).status_code == 200
