# SPDX-License-Identifier: MIT
# The request path is decoded once, strictly: a NUL or other control byte,
# raw or percent-encoded, is 400 (never a shorter path that runs), and an
# escaped slash stays inside its segment (never a route of more segments).
# Raw sockets, so that the bytes sent are exactly the ones under test.

import pytest

from rawhttp import exchange, request

PROVIDER = {
    "title": "Example OIDC",
    "protocol": "openidconnect",
    "auth_url": "https://idp.example.test/authorize",
    "token_url": "https://idp.example.test/token",
    "client_id": "rp-client-oidc",
    "client_secret": "rp-oidc-secret-7Qm2xV9kLp",
}

# every control byte (0x00-0x1f, 0x7f), percent-encoded either case
CONTROL_ESCAPES = [b"%%%02x" % c for c in list(range(0x20)) + [0x7f]] + [b"%0A", b"%1F", b"%7F"]


def call(gate, method, target, extra=b""):
    path = f"/{gate.customer_id}/".encode() + target + extra
    return exchange(gate.server.port, request(
        method, path, [(b"Authorization", f"Bearer {gate.admin}".encode()),
                       (b"Connection", b"close")]))


@pytest.fixture
def provider(engage):
    created = engage.create_ok(PROVIDER)
    return engage, engage.ppath(created["id"]).encode()


def still_there(engage, ppath):
    return engage.get(ppath.decode()).status_code == 200


@pytest.mark.parametrize("escape", CONTROL_ESCAPES)
def test_control_byte_escape_in_the_path_is_400_and_deletes_nothing(provider, escape):
    engage, ppath = provider
    reply = call(engage, b"DELETE", ppath, escape + b"anything")
    assert reply.status == 400, reply.data
    assert still_there(engage, ppath)


def test_control_byte_escape_at_the_end_of_the_path_is_400(provider):
    engage, ppath = provider
    for escape in (b"%00", b"%0a", b"%7f"):
        assert call(engage, b"DELETE", ppath, escape).status == 400
    assert still_there(engage, ppath)


@pytest.mark.parametrize("raw", [b"\x00", b"\x01", b"\x7f", b"\x00anything", b"\x00?x=1"])
def test_raw_control_byte_in_the_target_is_400_and_deletes_nothing(provider, raw):
    engage, ppath = provider
    reply = call(engage, b"DELETE", ppath, raw)
    assert reply.status == 400, reply.data
    assert still_there(engage, ppath)


@pytest.mark.parametrize("slash", [b"%2F", b"%2f"])
def test_escaped_slash_stays_in_its_segment(provider, slash):
    engage, ppath = provider
    # {id}%2Fx is one segment that is not a provider id: 404, nothing deleted
    reply = call(engage, b"DELETE", ppath, slash + b"x")
    assert reply.status == 404, reply.data
    assert still_there(engage, ppath)
    # a route of two segments is not reached through one: config%2FtokenPolicies
    assert call(engage, b"GET", b"config" + slash + b"tokenPolicies").status == 404
    # nor a route of fewer: the provider list is not .../custom-providers%2F
    lst = ppath.rsplit(b"/", 1)[0]
    assert call(engage, b"GET", lst.replace(b"/custom-providers", slash + b"custom-providers")
                ).status == 404


def test_escaped_unreserved_characters_still_decode(provider):
    engage, ppath = provider
    assert call(engage, b"GET", b"config/tokenPolici%65s").status == 200
    pid = ppath.rsplit(b"/", 1)[1]
    escaped = b"".join(b"%%%02X" % c for c in pid)
    assert call(engage, b"GET", ppath.rsplit(b"/", 1)[0] + b"/" + escaped).status == 200


@pytest.mark.parametrize("bad", [b"%zz", b"%", b"%4", b"%%30"])
def test_bad_escape_in_the_path_is_400(gate, bad):
    assert call(gate, b"GET", b"config/tokenPolicies" + bad).status == 400


def test_path_errors_are_json_with_details(gate):
    reply = call(gate, b"GET", b"config/%00")
    assert reply.status == 400
    assert reply.header("Content-Type") == "application/json"
    assert b'"details"' in reply.body
