# SPDX-License-Identifier: MIT
# Limits and slow clients: oversized headers and bodies, deep JSON, too many
# form parts, a connection limit, 500 slow or idle connections and
# connections that trickle their request head line by line (slowloris),
# which must not keep a normal client from getting a token: a request head
# has a deadline, and one address may hold only so many connections.

import http.client
import socket
import threading
import time
from urllib.parse import urlencode

import pytest
import requests

import json

from conftest import Gate, assert_api_error, basic_header

SLOW_CONNECTIONS = 500


def open_slow(url_port, n, sources=10):
    """n connections that send half a request line and then nothing, from
    127.0.0.10 and up (n / sources each, below the per-address limit)."""
    socks = []
    for i in range(n):
        s = socket.create_connection(("127.0.0.1", url_port), timeout=5,
                                     source_address=(f"127.0.0.{10 + i % sources}", 0))
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


def chunks(n, size=16 * 1024):
    """n bytes of a form body, sent in chunks (no Content-Length): the
    server learns the size only as it reads."""
    yield b"state=x&SAMLResponse="
    for i in range(0, n, size):
        yield b"A" * min(size, n - i)


CALLBACK_MAX = 256 * 1024  # a SAML response (SPEC §7.4); every other route 64 KiB


@pytest.mark.parametrize("chunked", [False, True])
def test_a_callback_takes_a_body_of_256_kib_and_no_more(gate, chunked):
    url = f"{gate.server.url}/{gate.customer_id}.00000000-0000-4000-8000-000000000000/callback"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    head = len(b"state=x&SAMLResponse=")
    for n, status in ((CALLBACK_MAX - head, 400), (CALLBACK_MAX - head + 1, 413)):
        body = chunks(n) if chunked else b"".join(chunks(n))
        r = requests.post(url, data=body, headers=form, timeout=10)
        # 400: read whole, then refused for its state (no flow); 413: never read whole
        assert r.status_code == status, (n, r.status_code, r.text[:200])
    r = gate.call("POST", "config/tokenPolicies", headers={"Content-Type": "application/json"},
                  data=chunks(64 * 1024) if chunked else b"x" * (64 * 1024 + 1))
    assert r.status_code == 413  # the callback's limit is its own
    assert requests.get(gate.server.url + "/healthz", timeout=5).status_code == 200


MAX_CONNECTIONS = 64
TRICKLE_EVERY = 0.5  # seconds between the header lines of a trickling client


def closed_by_server(sock, wait):
    """True when the server closed (or reset) sock within wait seconds."""
    sock.settimeout(max(wait, 0.01))
    try:
        return sock.recv(1) == b""
    except socket.timeout:
        return False
    except OSError:
        return True


def token_from(gate, source, timeout):
    """A token request on a new connection from a chosen loopback address."""
    conn = http.client.HTTPConnection("127.0.0.1", gate.server.port, timeout=timeout,
                                      source_address=(source, 0))
    try:
        conn.request("POST", f"/{gate.customer_id}/login/token",
                     body=urlencode({"grant_type": "client_credentials"}),
                     headers={"Authorization": basic_header(gate.client_id, gate.client_secret),
                              "Content-Type": "application/x-www-form-urlencoded"})
        r = conn.getresponse()
        body = r.read()
        if r.status == 200:
            gate.issued.add(json.loads(body)["access_token"])
        return r.status
    finally:
        conn.close()


class Trickler:
    """Connections that each send a request line, then one header line
    every TRICKLE_EVERY seconds, never finishing the head."""

    def __init__(self, port, sources, per_source):
        self.socks = []
        for src in sources:
            for _ in range(per_source):
                s = socket.create_connection(("127.0.0.1", port), timeout=5,
                                             source_address=(src, 0))
                try:
                    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\n")
                except OSError:
                    pass  # refused at once
                self.socks.append(s)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        i = 0
        while not self.stop.wait(TRICKLE_EVERY):
            i += 1
            for s in self.socks:
                try:
                    s.sendall(b"X-Trickle-%d: x\r\n" % i)
                except OSError:
                    pass

    def close(self):
        self.stop.set()
        self.thread.join()
        for s in self.socks:
            s.close()


def limited_server(servers, issued, **env):
    db = servers.new_db()
    info = servers.init(db)
    env = {"SOCIALGATE_MAX_CONNECTIONS": str(MAX_CONNECTIONS), **env}
    return Gate(servers.server(db, env=env), info, issued)


def test_trickled_heads_are_cut_at_the_head_deadline(servers, issued):
    gate = limited_server(servers, issued, SOCIALGATE_REQUEST_HEAD_TIMEOUT="2")
    # more connections than --max-connections, from 5 addresses (16 each),
    # each sending a header line twice a second
    t = Trickler(gate.server.port, [f"127.0.0.{i}" for i in range(3, 8)], 16)
    try:
        started = time.monotonic()
        assert len(t.socks) > MAX_CONNECTIONS
        # within the deadline, the first --max-connections are still open
        # (those over it were closed at once by the accept thread)
        time.sleep(1.0)
        assert not any(closed_by_server(s, 0.0) for s in t.socks[:MAX_CONNECTIONS])
        # the idle timer (30 s) never fires; the head deadline (2 s) does
        for s in t.socks:
            assert closed_by_server(s, max(0.01, started + 6 - time.monotonic())), \
                "a trickling connection outlived the head deadline"
        # and a normal client from another address gets a token within 1 s
        # (a connection over --max-connections is closed at once: the slots
        # freed by the deadline may take a moment to be counted free, so it
        # retries, as a client does)
        t0 = time.monotonic()
        status = None
        while status is None and time.monotonic() - t0 < 1.0:
            try:
                status = token_from(gate, "127.0.0.2", timeout=1.0)
            except OSError:
                time.sleep(0.01)
        assert status == 200
        assert time.monotonic() - t0 < 1.0
    finally:
        t.close()


def test_one_address_cannot_hold_more_than_its_connections(servers, issued):
    gate = limited_server(servers, issued, SOCIALGATE_MAX_CONNECTIONS_PER_ADDRESS="16")
    # 100 trickling connections from one address: more than --max-connections
    t = Trickler(gate.server.port, ["127.0.0.3"], 100)
    try:
        assert len(t.socks) > MAX_CONNECTIONS
        # connection #17 and every later one is closed at once ...
        for s in t.socks[16:]:
            assert closed_by_server(s, 1.0), "a connection over the per-address limit was kept"
        # ... the first 16 are still being read (the head deadline is 10 s) ...
        assert not any(closed_by_server(s, 0.0) for s in t.socks[:16])
        # ... and another address is served within 1 s while they trickle
        t0 = time.monotonic()
        assert token_from(gate, "127.0.0.2", timeout=1.0) == 200
        assert time.monotonic() - t0 < 1.0
        with pytest.raises(OSError):
            token_from(gate, "127.0.0.3", timeout=1.0)
    finally:
        t.close()
    # once they are gone, that address is served again
    deadline = time.monotonic() + 5
    while True:
        try:
            if token_from(gate, "127.0.0.3", timeout=1.0) == 200:
                break
        except OSError:
            pass
        assert time.monotonic() < deadline, "the address was not served again"
        time.sleep(0.05)
