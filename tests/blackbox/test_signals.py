# SPDX-License-Identifier: MIT
# Signals as a process manager or an operator sends them: SIGTERM, SIGINT
# and SIGQUIT stop accepting at once, answer 503 on /healthz to connections
# already open, finish the requests in flight and exit 0; SIGHUP reopens
# --log-file (logrotate); SIGUSR1, SIGUSR2 and SIGPIPE do not stop the
# server. No signal loses a log line that was written before it.

import base64
import json
import os
import signal
import socket
import time

import pytest
import requests

from conftest import Gate

UNROUTED = 'route="-" status=404'  # the log line of GET /no-such-thing


def read_response(sock):
    """One HTTP/1.1 response from sock: (status code, headers dict, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a response: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip()
               for k, _, v in (line.partition(":") for line in lines[1:])}
    want = int(headers.get("content-length", "0"))
    while len(body) < want:
        chunk = sock.recv(65536)
        assert chunk, "connection closed in the body"
        body += chunk
    return int(lines[0].split()[1]), headers, body


def healthz(sock, port):
    sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    return read_response(sock)


def refused(port):
    """True when a new TCP connection to port is refused."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return False
    except ConnectionRefusedError:
        return True
    except ConnectionResetError:  # queued as the listening socket closed
        return False


def unrouted(url, n):
    with requests.Session() as s:
        for _ in range(n):
            assert s.get(url + "/no-such-thing", timeout=5).status_code == 404


def count(path, text=UNROUTED):
    return path.read_text(errors="replace").count(text) if path.exists() else 0


def logging_server(servers, issued, log_file):
    db = servers.new_db()
    info = servers.init(db)
    srv = servers.server(db, env={"SOCIALGATE_LOG_FILE": str(log_file)})
    return Gate(srv, info, issued)


def test_drain_refuses_new_connections_and_healthz_answers_503(gate):
    port = gate.server.port
    body = b"grant_type=client_credentials&scope=*:**"
    auth = base64.b64encode(f"{gate.client_id}:{gate.client_secret}".encode()).decode()
    head = (f"POST /{gate.customer_id}/login/token HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\nAuthorization: Basic {auth}\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as idle, \
            socket.create_connection(("127.0.0.1", port), timeout=5) as slow:
        assert healthz(idle, port)[0] == 200  # a keep-alive connection, open
        slow.sendall(head + body[:10])  # a request in flight: its body is late
        time.sleep(0.2)
        os.kill(gate.server.proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 3
        while not refused(port) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert refused(port), "a new connection was accepted during the drain"
        status, headers, answer = healthz(idle, port)
        assert status == 503, answer
        assert headers["content-type"].startswith("application/json")
        assert json.loads(answer) == {"status": "draining"}
        assert gate.server.running  # still draining: the slow request holds it
        slow.sendall(body[10:])
        status, _, answer = read_response(slow)
    assert status == 200, answer
    gate.issued.add(json.loads(answer)["access_token"])
    assert gate.server.proc.wait(timeout=5) == 0


def test_sighup_reopens_the_log_file_and_loses_no_line(servers, issued, tmp_path):
    log = tmp_path / "sg.log"
    rotated = tmp_path / "sg.log.1"
    g = logging_server(servers, issued, log)
    unrouted(g.server.url, 40)
    log.rename(rotated)
    os.kill(g.server.proc.pid, signal.SIGHUP)
    deadline = time.monotonic() + 3
    while not log.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert log.exists(), "SIGHUP did not reopen the log file"
    unrouted(g.server.url, 60)
    assert g.server.stop() == 0
    assert count(rotated) == 40  # written to the old file before the reopen
    assert count(log) == 60  # every later line in the new one
    assert "stopped" in log.read_text()


@pytest.mark.parametrize("sig", [signal.SIGUSR1, signal.SIGUSR2, signal.SIGHUP, signal.SIGPIPE],
                         ids=lambda s: s.name)
def test_signal_neither_stops_the_server_nor_loses_lines(gate, sig):
    unrouted(gate.server.url, 30)
    os.kill(gate.server.proc.pid, sig)
    time.sleep(0.5)
    assert gate.server.running, f"{sig.name} stopped the server"
    unrouted(gate.server.url, 20)
    assert gate.server.stop() == 0
    assert count(gate.server.log_path) == 50


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGQUIT],
                         ids=lambda s: s.name)
def test_lines_written_just_before_a_stop_signal_are_all_kept(servers, issued, tmp_path, sig):
    log = tmp_path / "sg.log"
    g = logging_server(servers, issued, log)
    unrouted(g.server.url, 100)
    assert g.server.stop(sig) == 0  # at once: the lines are still buffered
    assert count(log) == 100
    assert "stopped" in log.read_text()
