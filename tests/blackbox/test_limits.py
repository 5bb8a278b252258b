# SPDX-License-Identifier: MIT
# Limits and slow clients: oversized headers and bodies, deep JSON, too many
# form parts, a connection limit, and 500 slow or idle connections
# (slowloris) that must not keep a normal client from getting a token.

import socket
import time

import pytest
import requests

from conftest import Gate, assert_api_error

SLOW_CONNECTIONS = 500


def open_slow(url_port, n):
    """n connections that send half a request line and then nothing."""
    socks = []
    for i in range(n):
        s = socket.create_connection(("127.0.0.1", url_port), timeout=5)
        s.sendall(b"POST /x/login/token HTTP/1.1\r\nHost: a\r\nX-Slow-%d: " % i)
        socks.append(s)
    return socks


def token_status(gate, timeout):
    r = requests.post(gate.token_url, data={"grant_type": "client_credentials"},
                      auth=(gate.client_id, gate.client_secret), timeout=timeout)
    return r.status_code


def test_500_slow_connections_do_not_starve_a_normal_client(servers, issued):
    db = servers.new_db()
    info = servers.init(db)
    gate = Gate(servers.server(db), info, issued)
    socks = open_slow(gate.server.port, SLOW_CONNECTIONS)
    try:
        started = time.monotonic()
        assert token_status(gate, timeout=1.0) == 200
        assert time.monotonic() - started < 1.0
    finally:
        for s in socks:
            s.close()
    # and it recovers once they are gone
    assert token_status(gate, timeout=5.0) == 200
    assert requests.get(gate.server.url + "/healthz", timeout=5).status_code == 200


def test_connections_over_the_limit_are_refused_and_the_server_recovers(servers, issued):
    db = servers.new_db()
    info = servers.init(db)
    gate = Gate(servers.server(db, env={"SOCIALGATE_MAX_CONNECTIONS": "20"}), info, issued)
    socks = open_slow(gate.server.port, 20)
    try:
        # the 21st connection is accepted by the kernel but closed by the server
        with pytest.raises(requests.exceptions.RequestException):
            requests.get(gate.server.url + "/healthz", timeout=2)
    finally:
        for s in socks:
            s.close()
    deadline = time.monotonic() + 5
    while True:
        try:
            if requests.get(gate.server.url + "/healthz", timeout=2).status_code == 200:
                break
        except requests.exceptions.RequestException:
            pass
        assert time.monotonic() < deadline, "the server did not recover"
        time.sleep(0.05)
    assert token_status(gate, timeout=5.0) == 200


def test_oversized_header_is_431(gate):
    r = requests.get(gate.server.url + "/healthz", headers={"X-Big": "a" * 40000}, timeout=5)
    assert r.status_code == 431
    assert requests.get(gate.server.url + "/healthz", timeout=5).status_code == 200


def test_too_many_form_fields_is_invalid_request(gate):
    body = "grant_type=client_credentials&" + "&".join(f"x{i}=1" for i in range(40))
    r = requests.post(gate.token_url, data=body, auth=(gate.client_id, gate.client_secret),
                      headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=5)
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_request"


def test_too_many_multipart_parts_is_invalid_request(gate):
    files = {f"x{i}": (None, "1") for i in range(40)}
    files["grant_type"] = (None, "client_credentials")
    r = requests.post(gate.token_url, files=files, auth=(gate.client_id, gate.client_secret),
                      timeout=5)
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_request"


def test_json_nested_deeper_than_64_is_400(gate):
    body = '{"title":' + "[" * 65 + "]" * 65 + "}"
    r = gate.call("POST", "config/tokenPolicies", data=body,
                  headers={"Content-Type": "application/json"})
    assert_api_error(r, 400)
    body = '{"title":' + "[" * 63 + "]" * 63 + "}"
    r = gate.call("POST", "config/tokenPolicies", data=body,
                  headers={"Content-Type": "application/json"})
    assert r.status_code == 422  # parsed; then refused for its values, not its depth


def test_body_over_64_kib_is_413_and_the_server_answers_next(gate):
    r = gate.call("POST", "config/tokenPolicies", data="x" * (64 * 1024 + 1),
                  headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert requests.get(gate.server.url + "/healthz", timeout=5).status_code == 200
