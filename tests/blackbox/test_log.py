# SPDX-License-Identifier: MIT
# The log is not the client's to write: a request line made to look like a
# log entry, or to carry terminal escapes, comes out escaped and cut.

import json
import socket

import requests

from conftest import Gate


def raw(port, data):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(data)
        try:
            return s.recv(4096)
        except OSError:
            return b""


def test_hostile_method_and_path_cannot_forge_or_color_log_lines(gate):
    evil = b"FAKE" * 60  # a 240-character method
    answer = raw(gate.server.port, evil + b" /\x1b[31mred%0a2026-01-01T00:00:00Z%20error%20forged"
                 b" HTTP/1.1\r\nHost: a\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 "), answer
    assert gate.server.stop() == 0
    log = gate.server.log_path.read_bytes()
    assert b"\x1b" not in log  # no terminal escape reached the log
    assert b"forged" not in log  # the path is never logged, only the route pattern
    assert b"FAKE" * 10 not in log  # the method is cut
    for line in log.splitlines():
        assert not line.startswith(b"2026-01-01T00:00:00Z"), line


def json_lines(server):
    """Every line of server's log, each parsed as one JSON object."""
    lines = server.log_path.read_bytes().splitlines()
    assert lines, "empty log"
    out = []
    for line in lines:
        obj = json.loads(line.decode("ascii"))  # escaped: plain ASCII, one object a line
        assert isinstance(obj, dict), line
        assert {"time", "level", "msg"} <= set(obj), line
        assert obj["level"] in ("debug", "info", "warn", "error"), line
        out.append(obj)
    return out


def test_json_log_lines_parse_and_carry_the_request_and_sign_in_fields(servers, issued):
    db = servers.new_db()
    info = servers.init(db)
    srv = servers.server(db, args=("--log-format", "json"))
    gate = Gate(srv, info, issued)
    assert gate.call("GET", "config/tokenPolicies").status_code == 200
    evil = b"/\x1b[31m\xff\"}{\"level\":\"error\"}"
    raw(srv.port, b"GET " + evil + b" HTTP/1.1\r\nHost: a\r\n\r\n")
    r = requests.get(f"{srv.url}/{gate.customer_id}.nosuchprovider/start",
                     params={"token_url": "https://site.example/t"}, timeout=5)
    assert r.status_code == 404
    assert srv.stop() == 0
    lines = json_lines(srv)
    reqs = [o for o in lines if "route" in o]
    listed = [o for o in reqs if o["route"] == "/{c}/config/tokenPolicies"]
    assert len(listed) == 1, reqs
    one = listed[0]
    assert one["status"] == 200 and one["method"] == "GET"
    assert isinstance(one["us"], int) and one["us"] >= 0
    assert one["request_id"].isdigit()
    assert all(o["level"] != "error" for o in lines), lines  # nothing forged one
    refused = [o for o in lines if o.get("check") == "no such provider"]
    assert len(refused) == 1, lines
    assert refused[0]["provider"] == f"{gate.customer_id}.nosuchprovider"
    assert refused[0]["request_id"] in {o["request_id"] for o in reqs}
    assert {o["msg"] for o in lines if "route" not in o and "check" not in o}, lines  # start, stop


def test_a_log_format_outside_text_and_json_is_refused(servers):
    p = servers.run("serve", "--db", servers.new_db(), "--log-format", "xml")
    assert p.returncode == 2
    assert b"text|json" in p.stderr
