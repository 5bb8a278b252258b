# SPDX-License-Identifier: MIT
# Tenant isolation (SPEC §1): two customers created by two `init` runs on one
# database, behind one server. Nothing of one is visible to, usable by or
# changeable by the other — tokens, client credentials, ids.

import uuid

from conftest import BEARER_INVALID, assert_api_error, assert_forbidden, assert_invalid_client


def test_two_inits_make_two_distinct_customers(two_gates):
    a, b = two_gates
    assert a.customer_id != b.customer_id
    assert a.client_id != b.client_id
    assert a.client_secret != b.client_secret
    assert a.policy_id != b.policy_id
    assert a.get("config/clients").status_code == 200
    assert b.get("config/clients").status_code == 200


def test_a_token_on_b_paths_is_403(two_gates):
    a, b = two_gates
    for method, path, body in [
        ("GET", "config/clients", None),
        ("GET", "config/tokenPolicies", None),
        ("GET", f"config/clients/{b.client_id}", None),
        ("GET", f"config/clients/{b.client_id}/secret", None),
        ("POST", f"config/clients/{b.client_id}/secret", None),
        ("POST", "config/tokenPolicies", {"title": "x", "allowedScopes": ["*:**"]}),
        ("DELETE", f"config/clients/{b.client_id}", None),
    ]:
        r = b.call(method, path, token=a.admin, json=body)
        assert_forbidden(r, BEARER_INVALID)
    # B is untouched
    assert b.get(f"config/clients/{b.client_id}/secret").json() == {"secret": b.client_secret}
    assert b.get("config/tokenPolicies").json()["total"] == 1


def test_a_clients_are_not_in_b_list(two_gates):
    a, b = two_gates
    c = a.create_client(name="only-in-a")
    ids = [i["id"] for i in b.get("config/clients").json()["_embedded"]["clients"]]
    assert ids == [b.client_id]
    assert c["id"] not in ids and a.client_id not in ids
    pols = [i["id"] for i in b.get("config/tokenPolicies").json()["_embedded"]["tokenPolicies"]]
    assert pols == [b.policy_id]


def test_client_names_are_unique_per_customer_only(two_gates):
    a, b = two_gates
    a.create_client(name="shared-name")
    r = b.call("POST", "config/clients", json={"name": "shared-name", "tokenPolicy": b.policy_id})
    assert r.status_code == 201, r.text


def test_a_credentials_at_b_token_endpoint_are_401(two_gates):
    a, b = two_gates
    assert_invalid_client(b.post_token(auth=(a.client_id, a.client_secret)))
    r = b.post_token(auth=None, data={"grant_type": "client_credentials",
                                      "client_id": a.client_id,
                                      "client_secret": a.client_secret})
    assert_invalid_client(r)


def test_a_credentials_at_b_introspect_and_revoke_are_401(two_gates):
    a, b = two_gates
    assert_invalid_client(b.introspect(b.admin, auth=(a.client_id, a.client_secret)))
    assert_invalid_client(b.revoke(b.admin, auth=(a.client_id, a.client_secret)))
    assert b.get("config/clients").status_code == 200


def test_b_policy_id_in_a_client_create_is_422(two_gates):
    a, b = two_gates
    r = a.call("POST", "config/clients", json={"name": "x", "tokenPolicy": b.policy_id})
    assert_api_error(r, 422, "/tokenPolicy")
    r = a.call("PUT", f"config/clients/{a.client_id}",
               json={"name": "x", "tokenPolicy": b.policy_id})
    assert_api_error(r, 422, "/tokenPolicy")
    assert a.get(f"config/clients/{a.client_id}").json()["tokenPolicy"] == a.policy_id


def test_b_ids_under_a_path_are_404(two_gates):
    a, b = two_gates
    assert_api_error(a.get(f"config/tokenPolicies/{b.policy_id}"), 404)
    assert_api_error(a.get(f"config/clients/{b.client_id}"), 404)
    assert_api_error(a.get(f"config/clients/{b.client_id}/secret"), 404)
    assert_api_error(a.call("POST", f"config/clients/{b.client_id}/secret"), 404)
    assert_api_error(a.call("PUT", f"config/tokenPolicies/{b.policy_id}",
                            json={"title": "hijack", "allowedScopes": ["*:**"]}), 404)
    assert_api_error(a.call("DELETE", f"config/clients/{b.client_id}"), 404)
    # B's objects are intact and B's credentials still work
    assert b.get(f"config/tokenPolicies/{b.policy_id}").json()["title"] != "hijack"
    assert b.token()


def test_same_token_endpoint_answers_identically_for_unknown_customer_and_wrong_secret(two_gates):
    a, _ = two_gates
    bad = "wrong-" + uuid.uuid4().hex
    a.issued.add(bad)
    wrong = a.post_token(auth=(a.client_id, bad))
    url = a.token_url.replace(a.customer_id, str(uuid.uuid4()))
    unknown = a.http.post(url, data={"grant_type": "client_credentials"},
                          auth=(a.client_id, a.client_secret))
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    assert wrong.json() == unknown.json()  # no tenant enumeration
    assert wrong.headers.get("WWW-Authenticate") == unknown.headers.get("WWW-Authenticate")
