# SPDX-License-Identifier: MIT
# Raw HTTP/1.1 over a socket, for requests no client library would send
# (ambiguous framing, NUL bytes, escaped slashes) and for seeing exactly
# what came back: every status line, and whether the server closed.

import re
import socket
import time

STATUS_LINE_RE = re.compile(rb"HTTP/1\.[01] (\d{3}) ")


class Reply:
    def __init__(self, data, closed, seconds):
        self.data = data
        self.closed = closed  # the server closed the connection
        self.seconds = seconds
        # a status line starts the reply or follows the previous answer's
        # body (socialgate's bodies never hold "HTTP/1.x NNN ")
        self.statuses = [int(m.group(1)) for m in STATUS_LINE_RE.finditer(data)]

    @property
    def status(self):
        assert len(self.statuses) == 1, f"not exactly one status line: {self.data!r}"
        return self.statuses[0]

    def header(self, name):
        head = self.data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
        for line in head.split("\r\n")[1:]:
            k, _, v = line.partition(":")
            if k.strip().lower() == name.lower():
                return v.strip()
        return None

    @property
    def body(self):
        return self.data.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in self.data else b""


def exchange(port, data, wait=3.0):
    """Sends data, then reads until the server closes or `wait` seconds pass
    without it closing."""
    t0 = time.monotonic()
    out = b""
    closed = False
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as s:
        s.sendall(data)
        deadline = t0 + wait
        while True:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            out += chunk
    return Reply(out, closed, time.monotonic() - t0)


def request(method, target, headers=(), body=b"", version=b"HTTP/1.1", host=b"sg.test"):
    """A request's bytes; target, headers (name, value) and body as bytes."""
    lines = [method + b" " + target + b" " + version]
    if host is not None:
        lines.append(b"Host: " + host)
    lines += [k + b": " + v for k, v in headers]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body
