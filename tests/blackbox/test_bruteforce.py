# SPDX-License-Identifier: MIT
# RFC 6749 §2.3.1 asks the token endpoint to resist brute force: after 20
# failed client authentications in 60 s, that (client id, source address)
# pair gets 429 with Retry-After; the same client from another address and
# other clients are unaffected. After 100 failures from one address, whatever
# the client ids, that address gets 429 for every client. Behind a trusted
# proxy (--trusted-proxy) the address counted is the one its
# X-Forwarded-For or Forwarded header names; from other peers those headers
# are ignored.

import base64
import http.client
import json
from urllib.parse import urlencode

import pytest

from conftest import Gate, free_port

FAILURES_ALLOWED = 20
ADDRESS_FAILURES_ALLOWED = 100
PROXY = "127.0.0.2"  # the trusted proxy of the tests below


def post_token(gate, client_id, secret, source="127.0.0.1", headers=None):
    """The token request from a chosen loopback source address."""
    conn = http.client.HTTPConnection("127.0.0.1", gate.server.port, timeout=5,
                                      source_address=(source, 0))
    auth = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    conn.request("POST", f"/{gate.customer_id}/login/token",
                 body=urlencode({"grant_type": "client_credentials"}),
                 headers={"Authorization": "Basic " + auth,
                          "Content-Type": "application/x-www-form-urlencoded",
                          **(headers or {})})
    r = conn.getresponse()
    body = json.loads(r.read() or b"null")
    headers = {k.lower(): v for k, v in r.getheaders()}
    conn.close()
    return r.status, headers, body


def test_twenty_failures_block_the_pair_with_429_and_retry_after(gate):
    other = gate.create_client()  # another client of the same customer
    for _ in range(FAILURES_ALLOWED):
        status, _, body = post_token(gate, gate.client_id, "wrong")
        assert status == 401 and body["error"] == "invalid_client"
    # the pair is now blocked, even with the right secret
    status, headers, body = post_token(gate, gate.client_id, gate.client_secret)
    assert status == 429
    assert body["error"] == "temporarily_unavailable"
    assert 0 < int(headers["retry-after"]) <= 60
    # the same client from another address is unaffected
    status, _, body = post_token(gate, gate.client_id, gate.client_secret, source="127.0.0.2")
    assert status == 200 and len(body["access_token"]) == 64
    gate.issued.add(body["access_token"])
    # and so is another client from the blocked address
    status, _, body = post_token(gate, other["id"], other["secret"])
    assert status == 200
    gate.issued.add(body["access_token"])


def test_nineteen_failures_do_not_block(gate):
    for _ in range(FAILURES_ALLOWED - 1):
        assert post_token(gate, gate.client_id, "wrong")[0] == 401
    status, _, body = post_token(gate, gate.client_id, gate.client_secret)
    assert status == 200
    gate.issued.add(body["access_token"])


def test_one_address_spraying_client_ids_is_limited_across_all_of_them(gate):
    for i in range(ADDRESS_FAILURES_ALLOWED):
        status, _, _ = post_token(gate, f"spray-{i}", "wrong", source="127.0.0.3")
        assert status == 401
    # every client id from that address now waits, even the right secret
    for client_id, secret in ((gate.client_id, gate.client_secret), ("spray-new", "wrong")):
        status, headers, body = post_token(gate, client_id, secret, source="127.0.0.3")
        assert status == 429 and body["error"] == "temporarily_unavailable"
        assert 0 < int(headers["retry-after"]) <= 60
    # other addresses are unaffected
    status, _, body = post_token(gate, gate.client_id, gate.client_secret)
    assert status == 200
    gate.issued.add(body["access_token"])


@pytest.fixture
def proxied(servers, issued):
    """A server that trusts 127.0.0.2 as a proxy (and no other peer)."""
    db = servers.new_db()
    info = servers.init(db)
    srv = servers.server(db, env={"SOCIALGATE_TRUSTED_PROXIES": PROXY + "/32"})
    return Gate(srv, info, issued)


def lock(gate, source, headers):
    for _ in range(FAILURES_ALLOWED):
        assert post_token(gate, gate.client_id, "wrong", source, headers)[0] == 401


def token_ok(gate, source, headers=None):
    status, _, body = post_token(gate, gate.client_id, gate.client_secret, source, headers)
    if status == 200:
        gate.issued.add(body["access_token"])
    return status == 200


def test_behind_a_trusted_proxy_the_forwarded_client_is_limited_not_the_proxy(proxied):
    lock(proxied, PROXY, {"X-Forwarded-For": "198.51.100.7"})
    assert not token_ok(proxied, PROXY, {"X-Forwarded-For": "198.51.100.7"})
    # a client cannot escape by prepending addresses: the rightmost counts
    assert not token_ok(proxied, PROXY, {"X-Forwarded-For": "203.0.113.1, 198.51.100.7"})
    assert not token_ok(proxied, PROXY, {"Forwarded": 'for="198.51.100.7:4711"'})
    # everybody else behind the same proxy still gets tokens
    assert token_ok(proxied, PROXY, {"X-Forwarded-For": "198.51.100.8"})
    assert token_ok(proxied, PROXY, {"X-Forwarded-For": "198.51.100.7, 198.51.100.8"})
    assert token_ok(proxied, PROXY, {"Forwarded": 'for="[2001:db8::1]:4711"'})
    assert token_ok(proxied, PROXY)


def test_forwarding_headers_from_an_untrusted_peer_are_ignored(proxied):
    for i in range(FAILURES_ALLOWED):
        headers = {"X-Forwarded-For": f"198.51.100.{i}", "Forwarded": f"for=198.51.100.{i}"}
        assert post_token(proxied, proxied.client_id, "wrong", "127.0.0.1", headers)[0] == 401
    # the peer itself was counted, whatever the headers said
    assert not token_ok(proxied, "127.0.0.1", {"X-Forwarded-For": "198.51.100.99"})
    assert not token_ok(proxied, "127.0.0.1")
    assert token_ok(proxied, "127.0.0.3")


@pytest.mark.parametrize("value", [
    "garbage", "198.51.100.7,", "unknown", "999.1.1.1", "198.51.100.7 198.51.100.8",
    "\"198.51.100.7\"", ",,,", "198.51.100." + "7" * 300,
])
def test_a_malformed_forwarding_header_counts_against_the_proxy(proxied, value):
    lock(proxied, PROXY, {"X-Forwarded-For": value})
    assert not token_ok(proxied, PROXY)
    assert not token_ok(proxied, PROXY, {"X-Forwarded-For": "garbage"})
    # the addresses the header could have named are not locked
    assert token_ok(proxied, PROXY, {"X-Forwarded-For": "198.51.100.7"})
    assert token_ok(proxied, PROXY, {"X-Forwarded-For": "198.51.100.8"})


def test_trusted_proxy_must_be_an_address_or_cidr(servers):
    db = servers.new_db()
    servers.init(db)
    for bad in ("proxy.example", "10.0.0.0/33", "10.0.0.1/", "", "10.0.0.1,,x"):
        p = servers.run("serve", "--db", db, "--listen", f"127.0.0.1:{free_port()}",
                        "--trusted-proxy", bad)
        assert p.returncode != 0
        assert b"trusted-proxy" in p.stderr


def test_an_ipv6_client_is_limited_by_its_slash_64(proxied):
    # one holder controls a whole /64: spraying from its addresses adds up
    for i in range(ADDRESS_FAILURES_ALLOWED):
        headers = {"X-Forwarded-For": f"2001:db8:1:2::{i + 1:x}"}
        assert post_token(proxied, f"spray-{i}", "wrong", PROXY, headers)[0] == 401
    assert not token_ok(proxied, PROXY, {"X-Forwarded-For": "2001:db8:1:2:ffff::1"})
    assert token_ok(proxied, PROXY, {"X-Forwarded-For": "2001:db8:1:3::1"})
