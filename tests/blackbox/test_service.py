# SPDX-License-Identifier: MIT
# Running under a service manager: serve tells systemd (Type=notify) that
# it is ready once it answers, and that it stops, through $NOTIFY_SOCKET.

import socket

import requests


def test_serve_notifies_ready_once_it_answers_and_stopping_on_sigterm(servers, tmp_path):
    path = str(tmp_path / "notify.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(path)
        sock.settimeout(10)
        db = servers.new_db()
        servers.init(db)
        srv = servers.server(db, env={"NOTIFY_SOCKET": path})
        assert sock.recv(256) == b"READY=1"
        assert requests.get(srv.url + "/healthz", timeout=5).status_code == 200
        assert srv.stop() == 0
        assert sock.recv(256) == b"STOPPING=1"


def test_a_notify_socket_nobody_listens_on_does_not_stop_serve(servers, tmp_path):
    db = servers.new_db()
    servers.init(db)
    srv = servers.server(db, env={"NOTIFY_SOCKET": str(tmp_path / "nobody.sock")})
    assert requests.get(srv.url + "/healthz", timeout=5).status_code == 200
    assert srv.stop() == 0
