# SPDX-License-Identifier: MIT
# The sign-in runtime's test identity providers and browser, proven on their
# own (no socialgate): an authorization code flow with PKCE by hand against
# node oidc-provider for several signing algorithms and a plain OAuth 2.0
# client, every knob of the stub IdP seen from a plain HTTP client, and
# headless chromium posting a form and passing the real login pages.

import base64
import json
import os
import subprocess
import time
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode
from xml.etree import ElementTree

import jwt
import pytest
import requests

from idp_harness import (Browser, LoginError, OidcProvider, StubIdp, b64url, browser_missing,
                         login, make_ca, oidc_client, parse_forms, pkce_pair, query_of,
                         with_query)
from saml_harness import XMLSEC1, idp_post, response_xml, saml_idp, saml_idps_missing

CALLBACK = "http://127.0.0.1:9/callback"  # never requested: login() stops before it
SECRET = "harness-client-secret"
OAUTH2_SCOPE = "profile email"


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return make_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def op(ca):
    clients = [oidc_client(f"rp-{alg.lower()}", [CALLBACK], SECRET, alg=alg)
               for alg in ("RS256", "PS256", "ES256", "EdDSA")]
    clients.append(oidc_client("rp-oauth2", [CALLBACK], SECRET))
    with OidcProvider(ca, clients, keys=("RS256", "PS256", "ES256", "EdDSA")) as p:
        yield p


def verify_id_token(id_token, jwks, **expect):
    """The id_token's claims after PyJWT verified it against the JWKS."""
    header = jwt.get_unverified_header(id_token)
    jwk = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    key = jwt.PyJWK.from_dict(jwk).key
    return jwt.decode(id_token, key, algorithms=[header["alg"]], **expect)


def redeem(token_endpoint, ca_file, code, verifier, client_id, redirect_uri=CALLBACK, **kw):
    return requests.post(token_endpoint, auth=(client_id, SECRET), verify=ca_file, timeout=10,
                         data={"grant_type": "authorization_code", "code": code,
                               "redirect_uri": redirect_uri, "code_verifier": verifier}, **kw)


# --------------------------------------------------------------------------
# make_ca

def test_ca_signs_a_certificate_for_both_loopback_names(ca):
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(open(ca.cert, "rb").read())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(i) for i in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    ca_cert = x509.load_pem_x509_certificate(open(ca.ca, "rb").read())
    assert cert.issuer == ca_cert.subject != cert.subject


# --------------------------------------------------------------------------
# OidcProvider + login

@pytest.mark.parametrize("alg", ["RS256", "PS256", "ES256", "EdDSA"])
def test_code_flow_with_pkce_by_hand(op, ca, alg):
    client_id = f"rp-{alg.lower()}"
    url, sent = op.authorize_url(client_id)
    back = login(op.session(), url, user="alice")
    q = query_of(back)
    assert back.startswith(CALLBACK + "?")
    assert q["state"] == sent["state"] and q["iss"] == op.issuer and q["code"]

    r = redeem(op.token_endpoint, ca.ca, q["code"], sent["code_verifier"], client_id)
    assert r.status_code == 200, r.text
    tok = r.json()
    assert jwt.get_unverified_header(tok["id_token"])["alg"] == alg
    claims = verify_id_token(tok["id_token"], op.jwks(), audience=client_id, issuer=op.issuer)
    assert claims["sub"] == "alice" and claims["nonce"] == sent["nonce"]
    assert claims["email"] == "alice@example.com" and claims["email_verified"] is True

    r = requests.get(op.userinfo_endpoint, verify=ca.ca, timeout=10,
                     headers={"Authorization": "Bearer " + tok["access_token"]})
    assert r.status_code == 200, r.text
    assert r.json() == {"sub": "alice", "email": "alice@example.com", "email_verified": True,
                        "name": "Alice Liddell", "given_name": "Alice", "family_name": "Liddell",
                        "preferred_username": "alice"}
    # The code is single use.
    again = redeem(op.token_endpoint, ca.ca, q["code"], sent["code_verifier"], client_id)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_pkce_is_required_and_checked(op, ca):
    url, sent = op.authorize_url("rp-rs256")
    q = query_of(url)
    bare = with_query(op.authorization_endpoint,
                      **{k: v for k, v in q.items() if not k.startswith("code_challenge")})
    refused = query_of(login(op.session(), bare))
    assert refused["error"] == "invalid_request" and "PKCE" in refused["error_description"]

    code = query_of(login(op.session(), url))["code"]
    wrong, _ = pkce_pair()
    r = redeem(op.token_endpoint, ca.ca, code, wrong, "rp-rs256")
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


def test_oauth2_client_without_openid_reads_the_profile_endpoint(op, ca):
    url, sent = op.authorize_url("rp-oauth2", scope=OAUTH2_SCOPE)
    q = query_of(login(op.session(), url, user="bob"))
    r = redeem(op.token_endpoint, ca.ca, q["code"], sent["code_verifier"], "rp-oauth2")
    assert r.status_code == 200, r.text
    tok = r.json()
    assert "id_token" not in tok and tok["token_type"] == "Bearer"
    bearer = {"Authorization": "Bearer " + tok["access_token"]}
    # oidc-provider's userinfo wants the openid scope; /profile does not.
    assert requests.get(op.userinfo_endpoint, headers=bearer, verify=ca.ca,
                        timeout=10).status_code in (401, 403)
    r = requests.get(op.profile_endpoint, headers=bearer, verify=ca.ca, timeout=10)
    assert r.status_code == 200, r.text
    assert r.json() == {"id": "bob", "login": "bob", "preferred_username": "bob",
                        "email": "bob@example.com", "email_verified": False,
                        "given_name": "Bob", "family_name": "Builder", "name": "Bob Builder"}
    r = requests.get(op.profile_endpoint, headers={"Authorization": "Bearer nope"},
                     verify=ca.ca, timeout=10)
    assert r.status_code == 401 and r.json() == {"error": "invalid_token"}


def test_deny_ends_in_access_denied_and_a_live_session_skips_login(op):
    url, sent = op.authorize_url("rp-rs256")
    q = query_of(login(op.session(), url, deny=True))
    assert q["error"] == "access_denied" and q["state"] == sent["state"]

    s = op.session()
    login(s, op.authorize_url("rp-rs256")[0], user="carol")
    # Signed in and consented: the second request goes straight back.
    url, sent = op.authorize_url("rp-rs256")
    r = s.get(url, allow_redirects=False, timeout=10)
    assert r.is_redirect and r.headers["Location"].startswith(CALLBACK)
    assert query_of(r.headers["Location"])["state"] == sent["state"]


def test_login_raises_on_a_page_it_does_not_know(op):
    with pytest.raises(LoginError):
        login(op.session(), op.issuer + "/.well-known/openid-configuration")


def test_key_rotation_changes_the_kid_and_keeps_sessions(op, ca):
    s = op.session()
    login(s, op.authorize_url("rp-es256")[0])
    before = {k["kid"] for k in op.jwks()["keys"]}
    kids = op.rotate_keys()
    after = {k["kid"] for k in op.jwks()["keys"]}
    assert after == set(kids) and not (after & before) and len(after) == 4

    url, sent = op.authorize_url("rp-es256")
    q = query_of(login(s, url))  # same session, no login page needed
    tok = redeem(op.token_endpoint, ca.ca, q["code"], sent["code_verifier"], "rp-es256").json()
    assert jwt.get_unverified_header(tok["id_token"])["kid"] in after
    assert verify_id_token(tok["id_token"], op.jwks(), audience="rp-es256")["sub"] == "alice"


def test_localhost_issuer(ca):
    with OidcProvider(ca, [oidc_client("rp", [CALLBACK], SECRET)], hostname="localhost") as p:
        assert p.issuer == f"https://localhost:{p.port}"
        assert p.discovery["issuer"] == p.issuer
        assert p.token_endpoint.startswith(p.issuer + "/")
        assert p.running
    assert not p.running


# --------------------------------------------------------------------------
# StubIdp

@pytest.fixture
def stub(ca):
    with StubIdp(ca, client_secret=SECRET) as s:
        yield s


def stub_code(stub, scope="openid email", **extra):
    """Drives /authorize; returns (code, sent params, redirect URL)."""
    verifier, challenge = pkce_pair()
    sent = {"response_type": "code", "client_id": stub.client_id, "redirect_uri": CALLBACK,
            "scope": scope, "state": "st-" + b64url(b"1"), "nonce": "n-" + b64url(b"2"),
            "code_challenge": challenge, "code_challenge_method": "S256", **extra}
    r = requests.get(with_query(stub.authorization_endpoint, **sent), allow_redirects=False,
                     verify=stub.ca.ca, timeout=10)
    assert r.status_code == 302
    loc = r.headers["Location"]
    return query_of(loc).get("code"), dict(sent, code_verifier=verifier), loc


def stub_token(stub, code, sent, auth="basic", secret=SECRET):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK,
            "code_verifier": sent["code_verifier"]}
    kw = {}
    if auth == "basic":
        kw["auth"] = (stub.client_id, secret)
    else:
        data.update(client_id=stub.client_id, client_secret=secret)
    return requests.post(stub.token_endpoint, data=data, verify=stub.ca.ca, timeout=10, **kw)


def stub_id_token(stub, **knobs):
    for k, v in knobs.items():
        setattr(stub, k, v)
    code, sent, _ = stub_code(stub)
    r = stub_token(stub, code, sent)
    assert r.status_code == 200, r.text
    return r.json().get("id_token"), sent


def test_stub_honest_flow(stub):
    disc = requests.get(stub.discovery_url, verify=stub.ca.ca, timeout=10).json()
    assert disc["issuer"] == stub.issuer and disc["token_endpoint"] == stub.token_endpoint
    code, sent, loc = stub_code(stub)
    assert loc.startswith(CALLBACK + "?") and query_of(loc)["state"] == sent["state"]
    assert stub.codes[code]["nonce"] == sent["nonce"]
    assert stub.last_authorize()["code_challenge"] == sent["code_challenge"]

    tok = stub_token(stub, code, sent).json()
    jwks = requests.get(disc["jwks_uri"], verify=stub.ca.ca, timeout=10).json()
    claims = verify_id_token(tok["id_token"], jwks, audience=stub.client_id, issuer=stub.issuer)
    assert claims["nonce"] == sent["nonce"] and claims["sub"] == stub.sub
    info = requests.get(stub.userinfo_endpoint, verify=stub.ca.ca, timeout=10,
                        headers={"Authorization": "Bearer " + tok["access_token"]}).json()
    assert info["sub"] == stub.sub and info["email"] == "carol@example.com"
    assert stub_token(stub, code, sent).json() == {"error": "invalid_grant"}  # single use
    assert stub.counts == {"discovery": 1, "authorize": 1, "token": 2, "jwks": 1, "userinfo": 1}
    assert stub.token_auth_seen == ["basic", "basic"]


def test_stub_checks_the_pkce_verifier_and_the_client(stub):
    code, sent, _ = stub_code(stub)
    assert stub_token(stub, code, dict(sent, code_verifier="x" * 43)).status_code == 400
    code, sent, _ = stub_code(stub)
    r = stub_token(stub, code, sent, secret="wrong")
    assert r.status_code == 401 and r.json() == {"error": "invalid_client"}


@pytest.mark.parametrize("mode,error", [
    ("other_key", jwt.InvalidSignatureError),
    ("wrong_aud", jwt.InvalidAudienceError),
    ("expired", jwt.ExpiredSignatureError),
    ("wrong_iss", jwt.InvalidIssuerError),
    ("garbage", jwt.DecodeError),
])
def test_stub_forged_id_tokens_fail_verification(stub, mode, error):
    idt, _ = stub_id_token(stub, id_token=mode)
    jwks = stub.jwks()
    with pytest.raises(error):
        if mode == "garbage":
            jwt.get_unverified_header(idt)
        verify_id_token(idt, jwks, audience=stub.client_id, issuer=stub.issuer)


def test_stub_id_token_variants(stub):
    idt, sent = stub_id_token(stub, id_token="wrong_nonce")
    assert jwt.decode(idt, options={"verify_signature": False})["nonce"] != sent["nonce"]
    idt, _ = stub_id_token(stub, id_token="no_nonce")
    assert "nonce" not in jwt.decode(idt, options={"verify_signature": False})
    idt, _ = stub_id_token(stub, id_token="unknown_kid")
    assert jwt.get_unverified_header(idt)["kid"] not in {k["kid"] for k in stub.jwks()["keys"]}
    idt, _ = stub_id_token(stub, id_token="none")
    assert jwt.get_unverified_header(idt)["alg"] == "none" and idt.endswith(".")
    idt, _ = stub_id_token(stub, id_token="hs256")
    assert jwt.decode(idt, SECRET, algorithms=["HS256"], audience=stub.client_id)["sub"]
    idt, _ = stub_id_token(stub, id_token="hs256", hs256_secret="another")
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(idt, SECRET, algorithms=["HS256"], audience=stub.client_id)
    idt, _ = stub_id_token(stub, id_token="missing")
    assert idt is None
    idt, _ = stub_id_token(stub, id_token="ok", id_token_claims={"aud": ["a", stub.client_id],
                                                                 "azp": "a", "email": None})
    c = verify_id_token(idt, stub.jwks(), audience=stub.client_id)
    assert c["azp"] == "a" and "email" not in c


def test_stub_answers_other_algorithms(ca):
    for alg in ("ES256", "EdDSA", "PS256"):
        with StubIdp(ca, client_secret=SECRET, alg=alg) as s:
            idt, _ = stub_id_token(s)
            assert jwt.get_unverified_header(idt)["alg"] == alg
            assert verify_id_token(idt, s.jwks(), audience=s.client_id)["sub"] == s.sub


def test_stub_key_rotation(stub):
    old = stub.key.kid
    new = stub.rotate_key()
    assert new != old and [k["kid"] for k in stub.jwks()["keys"]] == [new]
    idt, _ = stub_id_token(stub)
    assert jwt.get_unverified_header(idt)["kid"] == new
    newer = stub.rotate_key(keep_old=True)
    assert [k["kid"] for k in stub.jwks()["keys"]] == [newer, new]


def test_stub_canned_answers(stub):
    get = lambda ep: requests.get(getattr(stub, ep), verify=stub.ca.ca, timeout=10)  # noqa: E731
    stub.answer["discovery"] = "html"
    r = get("discovery_url")
    assert r.headers["Content-Type"] == "text/html" and r.text.startswith("<!doctype html>")
    stub.answer["jwks"] = "huge"
    r = get("jwks_uri")
    assert len(r.content) > 2 << 20 and int(r.headers["Content-Length"]) == len(r.content)
    assert len(r.json()["padding"]) == 2 << 20
    stub.answer["jwks"] = "huge_unsized"
    r = get("jwks_uri")
    assert "Content-Length" not in r.headers and len(r.content) > 2 << 20
    stub.answer["userinfo"] = "invalid_json"
    with pytest.raises(ValueError):
        get("userinfo_endpoint").json()
    stub.answer["userinfo"] = "empty"
    assert get("userinfo_endpoint").content == b""
    stub.answer["token"] = (503, {"error": "temporarily_unavailable"})
    r = requests.post(stub.token_endpoint, verify=stub.ca.ca, timeout=10)
    assert r.status_code == 503 and r.json() == {"error": "temporarily_unavailable"}
    stub.answer["token"] = (200, "<b>not json</b>")
    r = requests.post(stub.token_endpoint, verify=stub.ca.ca, timeout=10)
    assert r.status_code == 200 and r.text == "<b>not json</b>"
    assert stub.counts["jwks"] == 2 and stub.counts["token"] == 2


def test_stub_discovery_overrides_and_issuer_path(stub):
    stub.discovery_overrides["token_endpoint"] = stub.base_url + "/elsewhere"
    disc = requests.get(stub.discovery_url, verify=stub.ca.ca, timeout=10).json()
    assert disc["token_endpoint"] == stub.base_url + "/elsewhere" != stub.token_endpoint
    stub.issuer_path = "/tenant-b"
    assert stub.issuer == stub.base_url + "/tenant-b"
    disc = requests.get(stub.discovery_url, verify=stub.ca.ca, timeout=10).json()
    assert disc["issuer"] == stub.issuer
    idt, _ = stub_id_token(stub)
    assert verify_id_token(idt, stub.jwks(), audience=stub.client_id, issuer=stub.issuer)


def test_stub_userinfo_knobs(stub):
    code, sent, _ = stub_code(stub)
    bearer = {"Authorization": "Bearer " + stub_token(stub, code, sent).json()["access_token"]}
    stub.userinfo_sub = "someone-else"
    info = requests.get(stub.userinfo_endpoint, headers=bearer, verify=stub.ca.ca, timeout=10)
    assert info.json()["sub"] == "someone-else" != stub.sub
    stub.userinfo_doc = {"id": 42, "login": "carol"}
    info = requests.get(stub.userinfo_endpoint, headers=bearer, verify=stub.ca.ca, timeout=10)
    assert info.json() == {"id": 42, "login": "carol"}
    r = requests.get(stub.userinfo_endpoint, verify=stub.ca.ca, timeout=10,
                     headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401


def test_stub_client_secret_post_after_invalid_client(stub):
    stub.token_auth = "post_only"
    code, sent, _ = stub_code(stub)
    r = stub_token(stub, code, sent, auth="basic")
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    r = stub_token(stub, code, sent, auth="post")  # the code was not consumed
    assert r.status_code == 200 and r.json()["access_token"]
    assert stub.token_auth_seen == ["basic", "post"]
    stub.token_auth = "reject"
    code, sent, _ = stub_code(stub)
    assert stub_token(stub, code, sent, auth="post").status_code == 401


def test_stub_form_encoded_token_answer_and_extra_fields(stub):
    stub.token_form = True
    stub.token_extra = {"token_type": "mac", "scope": None}
    code, sent, _ = stub_code(stub)
    r = stub_token(stub, code, sent)
    assert r.headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = {k: v[0] for k, v in parse_qs(r.text).items()}
    assert form["token_type"] == "mac" and "scope" not in form and form["id_token"].count(".") == 2


def test_stub_authorize_iss_and_error(stub):
    stub.iss_param = True
    _, _, loc = stub_code(stub)
    assert query_of(loc)["iss"] == stub.issuer
    stub.iss_param = "https://evil.example"
    assert query_of(stub_code(stub)[2])["iss"] == "https://evil.example"
    stub.authorize_error = "access_denied"
    code, sent, loc = stub_code(stub)
    assert code is None and query_of(loc) == {"error": "access_denied", "state": sent["state"],
                                              "iss": "https://evil.example"}


def test_stub_delay_holds_the_answer(stub):

    stub.delay["jwks"] = 1.0
    t0 = time.monotonic()
    assert requests.get(stub.jwks_uri, verify=stub.ca.ca, timeout=10).status_code == 200
    assert time.monotonic() - t0 >= 1.0  # a lower bound: never flaky


def test_stub_serves_sixty_held_requests_at_once(stub):
    """60 token requests are all inside the stub at the same moment (none
    can finish before the event), then all are answered."""
    gate = threading.Event()
    stub.hold["token"] = gate
    codes = [stub_code(stub) for _ in range(60)]
    with ThreadPoolExecutor(60) as pool:
        futures = [pool.submit(stub_token, stub, c, s) for c, s, _ in codes]
        deadline = time.monotonic() + 30
        while stub.counts["token"] < 60 and time.monotonic() < deadline:
            gate.wait(0.05)
        assert stub.counts["token"] == 60 and not any(f.done() for f in futures)
        gate.set()
        assert [f.result().status_code for f in futures] == [200] * 60


def test_stub_stop_cuts_a_delayed_answer_short(ca):
    s = StubIdp(ca).start()
    s.delay["discovery"] = 60
    with ThreadPoolExecutor(1) as pool:
        f = pool.submit(requests.get, s.discovery_url, verify=ca.ca, timeout=30)
        while s.counts["discovery"] == 0:
            threading.Event().wait(0.02)
        s.stop()
        with pytest.raises(requests.ConnectionError):
            f.result()


# --------------------------------------------------------------------------
# Browser

needs_browser = pytest.mark.skipif(browser_missing() is not None,
                                   reason=f"no headless browser: {browser_missing()}")


class _Recorder(BaseHTTPRequestHandler):
    """Serves an auto-posting form at /, records every request."""

    seen = []

    def log_message(self, *args):
        pass

    def _answer(self, body):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.seen.append(("GET", self.path, b""))
        if self.path == "/":
            return self._answer(b'<!doctype html><form method="post" action="/done">'
                                b'<input type="hidden" name="token" value="abc123"></form>'
                                b"<script>document.forms[0].submit()</script>")
        self._answer(b"<!doctype html><h1>got it</h1>")

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.seen.append(("POST", self.path, body))
        self._answer(b"<!doctype html><h1>posted</h1>")


@pytest.fixture(scope="module")
def site():
    _Recorder.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", _Recorder.seen
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    with Browser() as b:
        yield b


@needs_browser
def test_browser_posts_an_auto_submitted_form(browser, site):
    base, seen = site
    browser.get(base + "/")
    browser.wait_for("h1")
    assert ("POST", "/done", b"token=abc123") in seen
    assert browser.url == base + "/done"
    forms = parse_forms('<form method="post" action="/done"><input name="token" value="abc123">')
    assert forms[0].fields == {"token": "abc123"} and forms[0].method == "post"


@needs_browser
def test_browser_signs_in_at_the_oidc_provider(browser, site, ca):
    base, seen = site
    back = base + "/cb"
    with OidcProvider(ca, [oidc_client("rp", [back], SECRET)]) as p:
        url, sent = p.authorize_url("rp")
        browser.get(url)
        landed = browser.oidc_login(p.issuer, user="alice")
    assert landed.startswith(back + "?")
    q = query_of(landed)
    assert q["state"] == sent["state"] and q["code"]
    assert any(m == "GET" and path.startswith("/cb?") and json.dumps(q["state"]).strip('"') in path
               for m, path, _ in seen)


def test_browser_quits_and_removes_its_profile():
    if browser_missing():
        pytest.skip(f"no headless browser: {browser_missing()}")
    b = Browser().start()
    home, group = b.home, b.driver.service.process.pid
    assert live_in_group(group)  # chromedriver and chromium
    b.quit()
    b.quit()
    assert not os.path.exists(home)
    assert live_in_group(group) == []


def live_in_group(pgid):
    """PIDs of the processes of a process group that are not zombies
    (zombies wait for whoever reaps orphans here)."""
    pids = []
    for d in os.listdir("/proc"):
        try:
            stat = open(f"/proc/{d}/stat").read()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            pids.append(int(d))
    return pids


# ---- the SAML identity providers (saml_harness.py) ------------------------------------

SP_ENTITY = "https://sp.example/c.p/metadata"
SP_ACS = "https://sp.example/c.p/callback"
SP_METADATA = f"""<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{SP_ENTITY}">
  <md:SPSSODescriptor AuthnRequestsSigned="false" WantAssertionsSigned="true"
      protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:AssertionConsumerService index="0" isDefault="true"
        Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{SP_ACS}"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>
"""
SAMLP = "{urn:oasis:names:tc:SAML:2.0:protocol}"
SAML = "{urn:oasis:names:tc:SAML:2.0:assertion}"
DS = "{http://www.w3.org/2000/09/xmldsig#}"


def authn_request(idp, request_id):
    """An HTTP-Redirect binding URL of a minimal AuthnRequest to idp."""
    xml = (f'<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
           f'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{request_id}" Version="2.0" '
           f'IssueInstant="{time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}" '
           f'Destination="{idp.sso_url}" AssertionConsumerServiceURL="{SP_ACS}" '
           f'ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST">'
           f'<saml:Issuer>{SP_ENTITY}</saml:Issuer></samlp:AuthnRequest>')
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflated = c.compress(xml.encode()) + c.flush()
    return idp.sso_url + "?" + urlencode({"SAMLRequest": base64.b64encode(deflated).decode(),
                                          "RelayState": "relay-1"})


def xmlsec_verify(xml, cert_pem, tmp_path):
    """True when the xmlsec1 command verifies every signature of xml with
    the certificate alone (IDs: the ID attribute of Response and
    Assertion)."""
    doc = tmp_path / "response.xml"
    doc.write_text(xml)
    p = subprocess.run([XMLSEC1, "--verify", "--enabled-key-data", "x509",
                        "--pubkey-cert-pem", str(cert_pem),
                        "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response",
                        "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
                        str(doc)], capture_output=True, timeout=30)
    return p.returncode == 0


@pytest.fixture(scope="module")
def saml_ca(tmp_path_factory):
    return make_ca(tmp_path_factory.mktemp("saml-ca"))


@pytest.mark.skipif(saml_idps_missing() is not None, reason=str(saml_idps_missing()))
@pytest.mark.parametrize("kind", ["pysaml2", "samlify"])
@pytest.mark.parametrize("sign", ["assertion", "response"])
def test_saml_idp_answers_an_authn_request_signed_as_asked(saml_ca, kind, sign, tmp_path):
    with saml_idp(kind, saml_ca, sign=sign) as idp:
        idp.sp_metadata(SP_METADATA)
        r = requests.get(authn_request(idp, "_req42"), verify=saml_ca.ca, timeout=10)
        assert r.status_code == 200, r.text
        action, fields = idp_post(r.text)
        assert action == SP_ACS and fields["RelayState"] == "relay-1"
        xml = response_xml(fields)
        root = ElementTree.fromstring(xml)
        assert root.tag == SAMLP + "Response" and root.get("InResponseTo") == "_req42"
        assert root.get("Destination") == SP_ACS
        assertions = root.findall(SAML + "Assertion")
        assert len(assertions) == 1
        a = assertions[0]
        assert a.find(f"{SAML}Subject/{SAML}NameID").text == "alice@example.com"
        assert a.find(f"{SAML}Conditions/{SAML}AudienceRestriction/{SAML}Audience").text == SP_ENTITY
        assert a.find(SAML + "AuthnStatement") is not None
        names = {x.get("Name") for x in a.iter(SAML + "Attribute")}
        assert {idp.attribute(n) for n in ("email", "givenName", "surname")} == names, names
        signed = {"response": root.find(DS + "Signature") is not None,
                  "assertion": a.find(DS + "Signature") is not None}
        assert signed == {"response": sign == "response", "assertion": sign == "assertion"}
        method = root.find(f".//{DS}SignatureMethod").get("Algorithm")
        assert method.endswith("rsa-sha256"), method
        assert xmlsec_verify(xml, idp.cert, tmp_path)
        assert not xmlsec_verify(xml.replace("alice@example.com", "mallory@example.com"),
                                 idp.cert, tmp_path)


@pytest.mark.skipif(saml_idps_missing() is not None, reason=str(saml_idps_missing()))
@pytest.mark.parametrize("kind", ["pysaml2", "samlify"])
def test_saml_idp_signs_with_sha1_when_asked(saml_ca, kind, tmp_path):
    with saml_idp(kind, saml_ca, sha1=True) as idp:
        idp.sp_metadata(SP_METADATA)
        r = requests.get(authn_request(idp, "_req43"), verify=saml_ca.ca, timeout=10)
        xml = response_xml(idp_post(r.text)[1])
        assert "xmldsig#rsa-sha1" in xml and xmlsec_verify(xml, idp.cert, tmp_path)
