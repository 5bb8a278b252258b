# SPDX-License-Identifier: MIT
# Signals as a process manager or an operator sends them: SIGTERM, SIGINT
# and SIGQUIT stop the server and exit 0; SIGHUP reopens --log-file
# (logrotate); SIGUSR1, SIGUSR2 and SIGPIPE do not stop the server. No
# signal loses a log line that was written before it.

import os
import signal
import time

import pytest
import requests

from conftest import Gate

UNROUTED = 'route="-" status=404'  # the log line of GET /no-such-thing


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
