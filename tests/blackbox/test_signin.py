# SPDX-License-Identifier: MIT
"""The sign-in runtime end to end (SPEC §7), against a real OpenID
Provider (node oidc-provider over HTTPS with a throwaway CA) and a
scriptable hostile one (StubIdp): start, callback, hand-over, auth_info,
and the negative matrix of §7 and its checklist."""

import concurrent.futures
import contextlib
import time

import pytest
import requests

from idp_harness import OidcProvider, StubIdp, idp_missing, login, oidc_client
from signin_world import SITE, World

pytestmark = pytest.mark.skipif(idp_missing() is not None, reason=str(idp_missing()))

MAP = {"/email": "/email", "/name/givenName": "/given_name", "/name/familyName": "/family_name",
       "/displayName": "/name"}


@pytest.fixture
def world(servers, issued, tmp_path):
    return World(servers, issued, tmp_path)


def real_idp(world, protocol="openidconnect", keys=("RS256",), alg=None, scopes=("email", "profile")):
    """An oidc-provider whose one client is a provider of ours."""
    secret = "op-secret-0123456789"
    world.issued.add(secret)
    doc = dict(protocol=protocol, auth_url="https://127.0.0.1:1/a", token_url="https://127.0.0.1:1/t",
               client_id="socialgate", client_secret=secret, scopes=list(scopes),
               attribute_map=MAP)
    if protocol == "oauth2":
        doc["profile_url"] = "https://127.0.0.1:1/p"
        doc["attribute_map"] = dict(MAP, **{"/identifier": "/id"})
    pid, callback = world.provider(**doc)
    op = OidcProvider(world.ca, [oidc_client("socialgate", [callback], client_secret=secret,
                                             alg=alg)], keys=keys).start()
    fields = dict(auth_url=op.authorization_endpoint, token_url=op.token_endpoint)
    if protocol == "oauth2":
        fields["profile_url"] = op.profile_endpoint
    world.patch_provider(pid, **fields)
    return op, pid


@contextlib.contextmanager
def running(op):
    """Stops a started provider on every exit path."""
    try:
        yield op
    finally:
        op.stop()


def sign_in_at(world, op, pid, user="alice"):
    r = world.start(pid)
    assert r.status_code == 302, r.text
    assert r.headers["Location"].startswith(op.authorization_endpoint)
    back = login(op.session(), r.headers["Location"], user=user)
    return world.callback(back)


@pytest.mark.parametrize("alg", ["RS256", "ES256", "PS256", "EdDSA"])
def test_openid_connect_sign_in_with_a_real_provider(world, alg):
    op, pid = real_idp(world, keys=(alg,), alg=alg)
    with running(op):
        r = sign_in_at(world, op, pid)
        for h, v in (("Referrer-Policy", "no-referrer"), ("X-Frame-Options", "DENY"),
                     ("Cache-Control", "no-store")):
            assert r.headers.get(h) == v, r.headers
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
        token = world.token_of(r)
        a = world.auth_info(token, extended="true", tokenURL=SITE)
        assert a.status_code == 200, a.text
        body = a.json()
        assert body["stat"] == "ok"
        p = body["profile"]
        assert p["identifier"] == f"{world.server.url}/{world.cid}.{pid}/id/alice"
        assert p["providerSpecifier"] == f"{world.cid}.{pid}"
        assert p["providerName"] == "Test IdP"
        assert p["email"] == "alice@example.com"
        assert p["name"] == {"givenName": "Alice", "familyName": "Liddell",
                             "formatted": "Alice Liddell"}
        assert "verifiedEmail" not in p  # not mapped, standard_claims off
        assert body["oidc"]["iss"] == op.issuer and body["oidc"]["sub"] == "alice"
        assert "accessCredentials" not in body
        # the token redeems once; the callback replays nothing
        again = world.auth_info(token)
        assert again.status_code == 400 and again.json()["err"]["code"] == 2


def test_oauth2_provider_profile_from_its_profile_url(world):
    op, pid = real_idp(world, protocol="oauth2", scopes=("email",))
    with running(op):
        r = sign_in_at(world, op, pid)
        token = world.token_of(r)
        p = world.auth_info(token).json()["profile"]
        assert p["identifier"].endswith(f"/{world.cid}.{pid}/id/alice"), p
        assert p["email"] == "alice@example.com"


def test_key_rotation_at_the_provider_is_followed(world):
    op, pid = real_idp(world)
    with running(op):
        world.token_of(sign_in_at(world, op, pid))
        op.rotate_keys()
        world.token_of(sign_in_at(world, op, pid))


def test_access_denied_at_the_provider_is_posted_to_the_site(world):
    op, pid = real_idp(world)
    with running(op):
        r = world.start(pid)
        back = login(op.session(), r.headers["Location"], deny=True)
        answer = world.callback(back)
        assert world.error_of(answer) == "access_denied"
        _, fields = world.handed(answer)
        assert fields["provider"] == f"{world.cid}.{pid}"


# ---- the negative matrix, against a provider that misbehaves on purpose ----------------

@pytest.fixture
def stub(world):
    with StubIdp(world.ca) as s:
        world.issued.add(s.client_secret)
        yield s


@pytest.mark.parametrize("mode,check", [
    ("other_key", "id_token signature"), ("unknown_kid", "id_token signature"),
    ("none", "id_token malformed"), ("wrong_aud", "audience"), ("wrong_nonce", "nonce"),
    ("no_nonce", "nonce"), ("expired", "expired"), ("wrong_iss", "issuer"),
    ("garbage", "id_token malformed"), ("missing", "id_token missing"),
])
def test_id_token_checks(world, stub, mode, check):
    """Each refused id_token: login_failed posted to the site, no token, and
    one log line naming the check that failed."""
    pid, _ = world.stub_provider(stub)
    if mode == "wrong_iss":  # the issuer is pinned on the first success
        world.token_of(world.stub_sign_in(stub, pid))
    stub.id_token = mode
    r = world.stub_sign_in(stub, pid)
    assert world.error_of(r) == "login_failed"
    lines = []
    for _ in range(50):  # info lines are flushed a few times a second
        lines = [l for l in world.server.log_tail(20000).splitlines() if "login_failed" in l]
        if lines:
            break
        time.sleep(0.1)
    assert len(lines) == 1 and lines[0].endswith(f"({check})"), lines
    assert stub.counts["token"] >= 1


def test_an_expired_flow_is_posted_to_the_site(world, stub):
    """A flow older than 10 minutes: flow_expired goes to its token_url."""
    import base64
    import hashlib
    import sqlite3
    pid, _ = world.stub_provider(stub)
    expires = int(time.time()) - 1
    prefix = (expires << 24).to_bytes(8, "big")  # the state's first bytes, as start makes them
    state = base64.urlsafe_b64encode(prefix + b"E" * 32).decode().rstrip("=")
    with sqlite3.connect(world.server.db, timeout=10) as c:
        c.execute("INSERT INTO flows VALUES (?,?,?,?,?,?,?,?,?)",
                  (prefix + hashlib.sha256(state.encode()).digest(), world.cid, world.app, pid,
                   SITE, "v" * 43, "n" * 22, "", expires))
    r = world.http.get(world.url(f"/{world.cid}.{pid}/callback"),
                       params={"state": state, "code": "c"}, timeout=15)
    assert world.error_of(r) == "flow_expired"
    assert stub.counts["token"] == 0


def test_hs256_only_with_the_client_secret(world, stub):
    pid, _ = world.stub_provider(stub)
    stub.id_token = "hs256"
    stub.hs256_secret = stub.jwks()["keys"][0]["n"].encode()  # a public value as the key
    assert world.error_of(world.stub_sign_in(stub, pid)) == "login_failed"
    stub.hs256_secret = stub.client_secret.encode()
    world.token_of(world.stub_sign_in(stub, pid))


def test_discovery_must_name_our_token_endpoint(world, stub):
    pid, _ = world.stub_provider(stub)
    stub.discovery_overrides = {"token_endpoint": stub.base_url + "/elsewhere"}
    assert world.error_of(world.stub_sign_in(stub, pid)) == "login_failed"


def test_userinfo_sub_must_match(world, stub):
    pid, _ = world.stub_provider(stub, profile_url=stub.userinfo_endpoint)
    stub.userinfo_sub = "somebody-else"
    assert world.error_of(world.stub_sign_in(stub, pid)) == "login_failed"


@pytest.mark.parametrize("answer", ["html", "huge", "huge_unsized", "invalid_json", "empty",
                                    (500, {"error": "server_error"})])
def test_a_bad_token_answer_is_a_provider_error(world, stub, answer):
    pid, _ = world.stub_provider(stub)
    stub.answer["token"] = answer
    assert world.error_of(world.stub_sign_in(stub, pid)) == "provider_error"
    assert world.server.running


# ---- what a hostile provider's answers may cost (docs/SECURITY.md) ---------------

def test_an_answer_over_64_kib_is_refused_unread(world, stub):
    """A userinfo answer of a 500 kB address and a 500 kB name (a 1 MB
    one-time token before the caps): provider_error, nothing stored."""
    pid, _ = world.stub_provider(stub, protocol="oauth2")
    stub.claims = {"email": "e" * 500_000 + "@example.com", "name": "n" * 500_000}
    assert world.error_of(world.stub_sign_in(stub, pid)) == "provider_error"
    assert world.logged_check("provider_error") == "userinfo answer too large"


def test_a_profile_value_over_1_kib_is_left_out(world, stub):
    pid, _ = world.stub_provider(stub, protocol="oauth2")
    stub.claims = {"email": "e" * 1100 + "@example.com", "given_name": "g" * 1024,
                   "family_name": "Stub"}
    token = world.token_of(world.stub_sign_in(stub, pid))
    p = world.auth_info(token).json()["profile"]
    assert "email" not in p, p.keys()
    assert p["name"]["givenName"] == "g" * 1024 and p["name"]["familyName"] == "Stub"
    assert "formatted" not in p["name"]  # 1029 bytes joined


def test_sign_in_data_over_256_kib_is_refused(world, stub):
    """An id_token under every cap whose claims grow when written out again
    (0.1 is written 0.10000000000000001), in aud, which the extended data
    repeats: ~440 KiB of data, refused rather than stored."""
    pid, _ = world.stub_provider(stub)
    stub.id_token_claims = {"aud": [stub.client_id] + [0.1] * 11_000, "azp": stub.client_id}
    assert world.error_of(world.stub_sign_in(stub, pid)) == "provider_error"
    assert world.logged_check("provider_error") == "sign-in data too large"
    stub.id_token_claims = {"aud": [stub.client_id] + [0.1] * 3_000, "azp": stub.client_id}
    world.token_of(world.stub_sign_in(stub, pid))  # ~120 KiB passes


def test_invalid_client_on_basic_retries_with_post(world, stub):
    pid, _ = world.stub_provider(stub)
    stub.token_auth = "post_only"
    world.token_of(world.stub_sign_in(stub, pid))
    assert stub.token_auth_seen[-2:] == ["basic", "post"]


def test_issuer_parameter_must_match(world, stub):
    pid, _ = world.stub_provider(stub)
    stub.iss_param = "https://evil.example"
    assert world.error_of(world.stub_sign_in(stub, pid)) == "login_failed"


def test_forged_and_replayed_state(world, stub):
    pid, _ = world.stub_provider(stub)
    forged = world.http.get(world.url(f"/{world.cid}.{pid}/callback"),
                            params={"state": "A" * 43, "code": "x"}, timeout=15)
    assert forged.status_code == 400 and "state_mismatch" in forged.text
    assert "A" * 43 not in forged.text
    r = world.start(pid)
    back = requests.get(r.headers["Location"], verify=world.ca.ca, allow_redirects=False)
    first = world.callback(back.headers["Location"])
    world.token_of(first)
    replay = world.callback(back.headers["Location"])
    assert replay.status_code == 400 and "state_mismatch" in replay.text
    assert stub.counts["token"] == 1  # the replay never reached the provider


def test_fifty_concurrent_callbacks_with_one_state_one_wins(world, stub):
    pid, _ = world.stub_provider(stub)
    r = world.start(pid)
    back = requests.get(r.headers["Location"], verify=world.ca.ca, allow_redirects=False)
    url = back.headers["Location"]
    with concurrent.futures.ThreadPoolExecutor(50) as ex:
        answers = list(ex.map(lambda _: world.callback(url), range(50)))
    wins = [a for a in answers if a.status_code == 200 and "name=\"token\"" in a.text]
    assert len(wins) == 1, [a.status_code for a in answers]
    assert all(a.status_code == 400 for a in answers if a not in wins)
    token = world.token_of(wins[0])
    with concurrent.futures.ThreadPoolExecutor(50) as ex:
        infos = list(ex.map(lambda _: world.auth_info(token), range(50)))
    assert sum(1 for a in infos if a.status_code == 200) == 1, [a.status_code for a in infos]


def test_post_tokens_off_redirects_with_the_token(world, stub):
    from conftest import apps_path, MERGE_PATCH
    r = world.gate.call("PATCH", apps_path(world.app), headers={"Content-Type": MERGE_PATCH},
                        json={"settings": {"post_tokens_to_token_url": False,
                                           "return_access_credentials": True}})
    assert r.status_code == 200, r.text
    pid, _ = world.stub_provider(stub)
    answer = world.stub_sign_in(stub, pid)
    assert answer.status_code == 302
    token = world.token_of(answer)
    body = world.auth_info(token, method="POST").json()
    assert body["accessCredentials"]["accessToken"]


def test_a_slow_provider_does_not_stall_the_server(world, stub):
    """50 sign-ins wait 8 s at the token endpoint; meanwhile the token
    service answers within 1 s each, and all 50 sign-ins then succeed."""
    pid, _ = world.stub_provider(stub)
    urls = []
    for _ in range(50):
        r = world.start(pid)
        back = requests.get(r.headers["Location"], verify=world.ca.ca, allow_redirects=False)
        urls.append(back.headers["Location"])
    stub.delay["token"] = 8
    with concurrent.futures.ThreadPoolExecutor(50) as ex:
        parked = [ex.submit(world.callback, u, "GET", 60) for u in urls]
        deadline = time.monotonic() + 30
        while stub.counts["token"] < 50 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert stub.counts["token"] == 50  # all 50 are waiting at the provider now
        for _ in range(10):
            t0 = time.monotonic()
            r = world.gate.post_token(timeout=5)
            assert r.status_code == 200
            assert time.monotonic() - t0 < 1.0
        done = [f.result() for f in parked]
    assert all(world.token_of(d) for d in done)


def test_a_provider_on_a_private_address_is_refused_without_the_flag(servers, issued, tmp_path):
    w = World(servers, issued, tmp_path, allow_private=False)
    with StubIdp(w.ca) as s:
        issued.add(s.client_secret)
        pid, _ = w.stub_provider(s)
        answer = w.stub_sign_in(s, pid)
        assert w.error_of(answer) == "provider_error"
        assert s.counts["token"] == 0


def test_chooser_lists_the_providers(world, stub):
    pid, _ = world.stub_provider(stub, ui={"title": "Stub <b>IdP</b>",
                                           "icon_url": "https://cdn.example/i.png"})
    r = world.http.get(world.url(f"/signin/{world.app}"), params={"token_url": SITE}, timeout=15)
    assert r.status_code == 200, r.text
    assert "Stub &lt;b&gt;IdP&lt;/b&gt;" in r.text
    assert f"/{world.cid}.{pid}/start?token_url=" in r.text
    assert "img-src https://cdn.example/i.png" in r.headers["Content-Security-Policy"]
    bad = world.http.get(world.url(f"/signin/{world.app}"),
                         params={"token_url": "https://evil.example/"}, timeout=15)
    assert bad.status_code == 400 and "evil" not in bad.text
