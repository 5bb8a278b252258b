# SPDX-License-Identifier: MIT
# Bearer token checks on the configuration API (SPEC §3): every 403 answer
# with its exact RFC 6750 challenge, token binding to its customer, and the
# METHOD:PATH scope grammar. Expiry is not covered here (shortest lifetime is
# 60 s, too slow for the suite).

import uuid

import pytest

from conftest import (BEARER_CHALLENGE, BEARER_INVALID, BEARER_SCOPE, FORBIDDEN_BODY,
                      assert_forbidden)


def scoped_client(gate, allowed):
    pol = gate.create_policy(allowed=allowed)
    return gate.create_client(policy=pol)


def scoped_token(gate, client, scope):
    tok = gate.token_response(scope=scope, client_id=client["id"], secret=client["secret"])
    assert tok.get("scope") == scope
    return tok["access_token"]


def other_char(c):
    return "A" if c != "A" else "B"


# ---- no, bad or foreign token ----------------------------------------------------------

def test_valid_token_lists_clients(gate):
    r = gate.get("config/clients")
    assert r.status_code == 200, r.text


def test_missing_header_is_403_with_bare_challenge(gate):
    assert_forbidden(gate.get("config/clients", token=None), BEARER_CHALLENGE)


def test_missing_header_on_write_is_403_and_writes_nothing(gate):
    r = gate.call("POST", "config/tokenPolicies", token=None,
                  json={"title": "sneaky", "allowedScopes": ["*:**"]})
    assert_forbidden(r, BEARER_CHALLENGE)
    assert gate.get("config/tokenPolicies").json()["total"] == 1


def test_forbidden_body_is_exactly_error_and_errors(gate):
    r = gate.get("config/tokenPolicies", token=None)
    assert r.status_code == 403
    assert r.headers.get("Content-Type", "").startswith("application/json")
    assert r.json() == FORBIDDEN_BODY


def test_unknown_token_is_invalid_token(gate):
    assert_forbidden(gate.get("config/clients", token="A" * 64), BEARER_INVALID)


def test_garbage_token_is_invalid_token(gate):
    assert_forbidden(gate.get("config/clients", token="not.a/token"), BEARER_INVALID)


def test_tampered_token_is_invalid_token(gate):
    tok = gate.admin
    for i in (0, 31, 63):
        bad = tok[:i] + other_char(tok[i]) + tok[i + 1:]
        assert_forbidden(gate.get("config/clients", token=bad), BEARER_INVALID)


def test_truncated_token_is_invalid_token(gate):
    tok = gate.admin
    assert_forbidden(gate.get("config/clients", token=tok[:-1]), BEARER_INVALID)
    assert_forbidden(gate.get("config/clients", token=tok[:32]), BEARER_INVALID)


def test_extended_token_is_invalid_token(gate):
    assert_forbidden(gate.get("config/clients", token=gate.admin + "A"), BEARER_INVALID)


def test_lower_case_bearer_scheme_is_accepted(gate):
    r = gate.http.get(gate.url("config/clients"), headers={"Authorization": f"bearer {gate.admin}"})
    assert r.status_code == 200, r.text


def test_token_of_customer_a_at_customer_b_is_invalid_token(two_gates):
    a, b = two_gates
    for path in ["config/clients", "config/tokenPolicies", f"config/tokenPolicies/{b.policy_id}"]:
        assert_forbidden(b.get(path, token=a.admin), BEARER_INVALID)


def test_unknown_customer_path_is_invalid_token(gate):
    url = gate.url("config/clients").replace(gate.customer_id, str(uuid.uuid4()))
    r = gate.http.get(url, headers={"Authorization": f"Bearer {gate.admin}"})
    assert_forbidden(r, BEARER_INVALID)


def test_token_of_deleted_client_is_invalid_token(gate):
    c = gate.create_client()
    tok = gate.token(client_id=c["id"], secret=c["secret"])
    assert gate.get("config/clients", token=tok).status_code == 200
    assert gate.call("DELETE", f"config/clients/{c['id']}").status_code == 204
    assert_forbidden(gate.get("config/clients", token=tok), BEARER_INVALID)


# ---- scope grammar ---------------------------------------------------------------

def test_config_glob_scope_works_on_config_clients(gate):
    c = scoped_client(gate, ["*:config/**"])
    tok = scoped_token(gate, c, "*:config/**")
    assert gate.get("config/clients", token=tok).status_code == 200
    assert gate.get(f"config/clients/{c['id']}", token=tok).status_code == 200
    assert gate.get(f"config/clients/{c['id']}/secret", token=tok).status_code == 200
    r = gate.call("POST", "config/tokenPolicies", token=tok,
                  json={"title": "via config scope", "allowedScopes": ["*:config/clients/**"]})
    assert r.status_code == 201, r.text
    # no escalation: a policy wider than the caller's own scopes is refused
    r = gate.call("POST", "config/tokenPolicies", token=tok,
                  json={"title": "via config scope", "allowedScopes": ["*:**"]})
    assert_forbidden(r, BEARER_SCOPE)


def test_literal_path_scope_covers_only_that_path(gate):
    c = scoped_client(gate, ["GET:config/tokenPolicies"])
    tok = scoped_token(gate, c, "GET:config/tokenPolicies")
    assert gate.get("config/tokenPolicies", token=tok).status_code == 200
    assert_forbidden(gate.get("config/clients", token=tok), BEARER_SCOPE)
    assert_forbidden(gate.get(f"config/tokenPolicies/{gate.policy_id}", token=tok), BEARER_SCOPE)
    assert_forbidden(gate.call("POST", "config/tokenPolicies", token=tok,
                               json={"title": "x", "allowedScopes": []}), BEARER_SCOPE)


def test_single_star_matches_one_segment_only(gate):
    c = scoped_client(gate, ["*:config/*"])
    tok = scoped_token(gate, c, "*:config/*")
    assert gate.get("config/clients", token=tok).status_code == 200
    assert gate.get("config/tokenPolicies", token=tok).status_code == 200
    assert_forbidden(gate.get(f"config/clients/{c['id']}", token=tok), BEARER_SCOPE)


def test_get_star_star_can_read_but_not_write(gate):
    c = scoped_client(gate, ["GET:**"])
    tok = scoped_token(gate, c, "GET:**")
    assert gate.get("config/clients", token=tok).status_code == 200
    assert gate.get(f"config/tokenPolicies/{gate.policy_id}", token=tok).status_code == 200
    assert_forbidden(gate.call("POST", "config/tokenPolicies", token=tok,
                               json={"title": "x", "allowedScopes": ["*:**"]}), BEARER_SCOPE)
    assert_forbidden(gate.call("DELETE", f"config/clients/{c['id']}", token=tok), BEARER_SCOPE)
    assert_forbidden(gate.call("POST", f"config/clients/{c['id']}/secret", token=tok),
                     BEARER_SCOPE)
    # nothing was changed by the refused calls
    assert gate.get(f"config/clients/{c['id']}").status_code == 200
    assert gate.get("config/tokenPolicies").json()["total"] == 2
    assert gate.token(client_id=c["id"], secret=c["secret"], scope="GET:**")


def test_method_scope_does_not_cover_other_methods(gate):
    c = scoped_client(gate, ["POST:**"])
    tok = scoped_token(gate, c, "POST:**")
    assert_forbidden(gate.get("config/clients", token=tok), BEARER_SCOPE)


def test_scope_paths_are_relative_to_the_customer(gate):
    # "GET:config/clients" would not cover "/{c}/config/clients" if the
    # customer id were part of the matched path
    c = scoped_client(gate, ["GET:config/clients"])
    tok = scoped_token(gate, c, "GET:config/clients")
    assert gate.get("config/clients", token=tok).status_code == 200


def test_any_granted_scope_may_cover_the_call(gate):
    c = scoped_client(gate, ["GET:config/tokenPolicies", "GET:config/clients"])
    tok = gate.token_response(scope="GET:config/tokenPolicies GET:config/clients",
                              client_id=c["id"], secret=c["secret"])
    assert tok["scope"] == "GET:config/tokenPolicies GET:config/clients"
    assert gate.get("config/clients", token=tok["access_token"]).status_code == 200
    assert gate.get("config/tokenPolicies", token=tok["access_token"]).status_code == 200


@pytest.mark.parametrize("scheme", ["Basic", "Token"])
def test_other_auth_scheme_is_not_a_bearer_token(gate, scheme):
    r = gate.http.get(gate.url("config/clients"),
                      headers={"Authorization": f"{scheme} {gate.admin}"})
    assert r.status_code == 403
    assert r.json() == FORBIDDEN_BODY
    assert r.headers.get("WWW-Authenticate", "").startswith("Bearer realm=\"socialgate\"")


def test_star_inside_a_path_matches_one_segment(gate):
    # secrets need POST on their path (no escalation), hence "*:" here
    c = scoped_client(gate, ["*:config/clients/*/secret"])
    tok = scoped_token(gate, c, "*:config/clients/*/secret")
    r = gate.get(f"config/clients/{c['id']}/secret", token=tok)
    assert r.status_code == 200, r.text
    assert_forbidden(gate.get(f"config/clients/{c['id']}", token=tok), BEARER_SCOPE)
    assert_forbidden(gate.get("config/clients", token=tok), BEARER_SCOPE)


def test_double_star_inside_a_path_matches_several_segments(gate):
    c = scoped_client(gate, ["*:**/secret"])
    tok = scoped_token(gate, c, "*:**/secret")
    assert gate.get(f"config/clients/{c['id']}/secret", token=tok).status_code == 200
    assert_forbidden(gate.get(f"config/clients/{c['id']}", token=tok), BEARER_SCOPE)
    assert_forbidden(gate.call("DELETE", f"config/clients/{c['id']}", token=tok), BEARER_SCOPE)


def test_trailing_star_needs_one_more_segment(gate):
    # "config/tokenPolicies/*" covers an item, not the collection itself
    c = scoped_client(gate, ["GET:config/tokenPolicies/*"])
    tok = scoped_token(gate, c, "GET:config/tokenPolicies/*")
    assert gate.get(f"config/tokenPolicies/{gate.policy_id}", token=tok).status_code == 200
    assert_forbidden(gate.get("config/tokenPolicies", token=tok), BEARER_SCOPE)
