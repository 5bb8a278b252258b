# SPDX-License-Identifier: MIT
# Token introspection (RFC 7662) and revocation (RFC 7009) at
# /{c}/login/token/introspect and /{c}/login/token/revoke: client
# authentication, answers for active/unknown/revoked/foreign tokens, and the
# immediate effect of a revocation on the API.

import time
import uuid

import pytest

from conftest import BEARER_INVALID, assert_forbidden, assert_invalid_client, assert_oauth_error


# ---- introspection ----------------------------------------------------------------

def test_introspect_active_token(gate):
    before = int(time.time())
    tok = gate.token_response(scope="*:**")
    after = int(time.time())
    r = gate.introspect(tok["access_token"])
    assert r.status_code == 200, r.text
    assert r.headers.get("Content-Type", "").startswith("application/json")
    body = r.json()
    assert set(body) == {"active", "scope", "client_id", "token_type", "exp", "iat"}
    assert body["active"] is True
    assert body["scope"] == "*:**"
    assert body["client_id"] == gate.client_id
    assert body["token_type"] == "Bearer"
    assert before - 2 <= body["iat"] <= after + 2
    assert body["exp"] - body["iat"] == tok["expires_in"] == 3600


def test_introspect_exp_follows_policy_lifetime(gate):
    pol = gate.create_policy(accessTokenLifetime=60)
    c = gate.create_client(policy=pol)
    tok = gate.token_response(client_id=c["id"], secret=c["secret"])
    body = gate.introspect(tok["access_token"]).json()
    assert body["active"] is True
    assert body["client_id"] == c["id"]
    assert body["exp"] - body["iat"] == 60 == tok["expires_in"]


def test_introspect_token_without_scope_omits_scope(gate):
    tok = gate.token_response(scope="GET:**")
    assert "scope" not in tok
    body = gate.introspect(tok["access_token"]).json()
    assert body["active"] is True
    assert "scope" not in body


@pytest.mark.parametrize("token", ["A" * 64, "garbage", "x" * 500, "%%%"])
def test_introspect_unknown_token_is_exactly_inactive(gate, token):
    r = gate.introspect(token)
    assert r.status_code == 200, r.text
    assert r.json() == {"active": False}


def test_introspect_tampered_token_is_inactive(gate):
    tok = gate.admin
    bad = tok[:-1] + ("A" if tok[-1] != "A" else "B")
    assert gate.introspect(bad).json() == {"active": False}


def test_introspect_revoked_token_is_inactive(gate):
    tok = gate.token()
    assert gate.introspect(tok).json()["active"] is True
    assert gate.revoke(tok).status_code == 200
    assert gate.introspect(tok).json() == {"active": False}


def test_introspect_other_customers_token_is_inactive(two_gates):
    a, b = two_gates
    assert a.introspect(a.admin).json()["active"] is True
    r = b.introspect(a.admin)
    assert r.status_code == 200
    assert r.json() == {"active": False}


def test_introspect_token_of_deleted_client_is_inactive(gate):
    c = gate.create_client()
    tok = gate.token(client_id=c["id"], secret=c["secret"])
    assert gate.call("DELETE", f"config/clients/{c['id']}").status_code == 204
    assert gate.introspect(tok).json() == {"active": False}


def test_introspect_missing_token_is_invalid_request(gate):
    assert_oauth_error(gate.introspect(None, data={"token_type_hint": "access_token"}),
                       400, "invalid_request")


def test_introspect_without_client_auth_is_401(gate):
    assert_invalid_client(gate.introspect(gate.admin, auth=None))


def test_introspect_with_wrong_secret_is_401(gate):
    bad = "wrong-" + uuid.uuid4().hex
    gate.issued.add(bad)
    assert_invalid_client(gate.introspect(gate.admin, auth=(gate.client_id, bad)))


def test_introspect_accepts_client_secret_post(gate):
    tok = gate.admin
    r = gate.introspect(None, auth=None, data={"token": tok, "client_id": gate.client_id,
                                               "client_secret": gate.client_secret})
    assert r.status_code == 200, r.text
    assert r.json()["active"] is True


def test_introspect_with_both_auth_methods_is_invalid_request(gate):
    r = gate.introspect(None, data={"token": gate.admin, "client_id": gate.client_id,
                                    "client_secret": gate.client_secret})
    assert_oauth_error(r, 400, "invalid_request")


def test_introspect_at_unknown_customer_is_401(gate):
    url = gate.url("login/token/introspect").replace(gate.customer_id, str(uuid.uuid4()))
    r = gate.http.post(url, data={"token": gate.admin}, auth=(gate.client_id, gate.client_secret))
    assert_invalid_client(r)


def test_introspect_token_of_other_client_of_same_customer_is_active(gate):
    c = gate.create_client()
    tok = gate.token(client_id=c["id"], secret=c["secret"])
    body = gate.introspect(tok).json()
    assert body["active"] is True
    assert body["client_id"] == c["id"]


def test_introspect_still_active_after_secret_rotation(gate):
    tok = gate.token()
    r = gate.call("POST", f"config/clients/{gate.client_id}/secret")
    assert r.status_code == 200, r.text
    new = r.json()["secret"]
    body = gate.introspect(tok, auth=(gate.client_id, new)).json()
    assert body["active"] is True


# ---- revocation -----------------------------------------------------------------------

def test_revoke_makes_token_invalid_at_once(gate):
    tok = gate.token()
    assert gate.get("config/clients", token=tok).status_code == 200
    r = gate.revoke(tok)
    assert r.status_code == 200, r.text
    assert_forbidden(gate.get("config/clients", token=tok), BEARER_INVALID)
    assert gate.introspect(tok).json() == {"active": False}


def test_revoke_only_that_token(gate):
    keep, drop = gate.token(), gate.token()
    assert gate.revoke(drop).status_code == 200
    assert gate.get("config/clients", token=keep).status_code == 200
    assert gate.introspect(keep).json()["active"] is True


def test_revoke_with_access_token_hint(gate):
    tok = gate.token()
    r = gate.revoke(None, data={"token": tok, "token_type_hint": "access_token"})
    assert r.status_code == 200, r.text
    assert_forbidden(gate.get("config/clients", token=tok), BEARER_INVALID)


@pytest.mark.parametrize("token", ["A" * 64, "garbage"])
def test_revoke_unknown_token_is_200(gate, token):
    assert gate.revoke(token).status_code == 200


def test_revoke_twice_is_200(gate):
    tok = gate.token()
    assert gate.revoke(tok).status_code == 200
    assert gate.revoke(tok).status_code == 200


def test_revoke_missing_token_is_invalid_request(gate):
    assert_oauth_error(gate.revoke(None, data={"token_type_hint": "access_token"}),
                       400, "invalid_request")


def test_revoke_without_client_auth_is_401_and_revokes_nothing(gate):
    tok = gate.token()
    assert_invalid_client(gate.revoke(tok, auth=None))
    assert gate.get("config/clients", token=tok).status_code == 200


def test_revoke_with_wrong_secret_is_401_and_revokes_nothing(gate):
    tok = gate.token()
    bad = "wrong-" + uuid.uuid4().hex
    gate.issued.add(bad)
    assert_invalid_client(gate.revoke(tok, auth=(gate.client_id, bad)))
    assert gate.get("config/clients", token=tok).status_code == 200


def test_revoke_accepts_client_secret_post(gate):
    tok = gate.token()
    r = gate.revoke(None, auth=None, data={"token": tok, "client_id": gate.client_id,
                                           "client_secret": gate.client_secret})
    assert r.status_code == 200, r.text
    assert_forbidden(gate.get("config/clients", token=tok), BEARER_INVALID)


def test_revoke_token_of_another_client_is_unauthorized_client(gate):
    c = gate.create_client()
    tok = gate.token(client_id=c["id"], secret=c["secret"])
    r = gate.revoke(tok)  # authenticated as the init client
    assert r.status_code == 400
    assert r.json()["error"] == "unauthorized_client"
    assert gate.get("config/clients", token=tok).status_code == 200
    assert gate.introspect(tok).json()["active"] is True
    # its own client may revoke it
    assert gate.revoke(tok, auth=(c["id"], c["secret"])).status_code == 200
    assert_forbidden(gate.get("config/clients", token=tok), BEARER_INVALID)


def test_revoke_other_customers_token_has_no_effect(two_gates):
    a, b = two_gates
    tok = a.admin
    r = b.revoke(tok)
    assert r.status_code == 200, r.text
    assert a.get("config/clients", token=tok).status_code == 200
    assert a.introspect(tok).json()["active"] is True


@pytest.mark.parametrize("endpoint", ["login/token/introspect", "login/token/revoke"])
def test_introspect_and_revoke_reject_get(gate, endpoint):
    r = gate.http.get(gate.url(endpoint), auth=(gate.client_id, gate.client_secret))
    assert r.status_code == 405
    assert "POST" in r.headers.get("Allow", "")
    assert gate.get("config/clients").status_code == 200
