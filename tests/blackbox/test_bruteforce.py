# SPDX-License-Identifier: MIT
# RFC 6749 §2.3.1 asks the token endpoint to resist brute force: after 20
# failed client authentications in 60 s, that (client id, source address)
# pair gets 429 with Retry-After; the same client from another address and
# other clients are unaffected. After 100 failures from one address, whatever
# the client ids, that address gets 429 for every client.

import base64
import http.client
import json
from urllib.parse import urlencode

FAILURES_ALLOWED = 20
ADDRESS_FAILURES_ALLOWED = 100


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
