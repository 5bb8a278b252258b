# SPDX-License-Identifier: MIT
# The log is not the client's to write: a request line made to look like a
# log entry, or to carry terminal escapes, comes out escaped and cut.

import socket


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
