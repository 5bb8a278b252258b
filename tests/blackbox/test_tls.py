# SPDX-License-Identifier: MIT
# HTTPS with --tls-cert/--tls-key: a freshly generated self-signed certificate
# (openssl CLI) is served, a client that verifies it gets tokens, a client
# trusting only the system CAs, a plain-HTTP client and a TLS 1.1 client are
# refused. Plain HTTP on a non-loopback address needs --insecure-http; a
# certificate without its key, or an unreadable file, stops serve at start.

import signal
import socket
import ssl
import subprocess
import threading
import time
import warnings

import pytest
import requests

from conftest import (READY_TIMEOUT, TOKEN_RE, Gate, Server, Session, apps_path, clean_env,
                      free_port)

START_TIMEOUT = 10  # a serve that should refuse to start, given this long to exit


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    """(certificate, key): a self-signed RSA certificate for 127.0.0.1 (CN and
    IP SAN), valid two days, made fresh for this module."""
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "c.pem", d / "k.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-days", "2", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key


class TlsServer(Server):
    """A `socialgate serve` that conftest's Server cannot express: HTTPS
    (checked against `ca`), a listen host other than 127.0.0.1, extra
    arguments, or no --public-url. Clients connect to 127.0.0.1 when it
    listens on a wildcard address, else to its listen host."""

    def __init__(self, *a, ca=None, host="127.0.0.1", extra=(), public_url_flag=True, **kw):
        super().__init__(*a, **kw)
        self.ca = ca
        self.host = host
        self.extra = list(extra)
        self.public_url_flag = public_url_flag

    @property
    def url(self):
        host = "127.0.0.1" if self.host in ("0.0.0.0", "[::]") else self.host
        return f"{'https' if self.ca else 'http'}://{host}:{self.port}"

    @property
    def listen(self):
        return f"{self.host}:{self.port}"

    def start(self, via_env=False, new_port=True, env=None):
        assert not self.running and not via_env
        self.port = free_port() if new_port or self.port is None else self.port
        self.env = dict(env) if env is not None else self.env
        args = [str(self.binary), "serve", "--db", str(self.db), "--listen", self.listen,
                *self.extra]
        if self.public_url_flag:
            args += ["--public-url", self.public_url]
        with open(self.log_path, "ab") as err, open(self.stdout_path, "ab") as out:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=err, env=clean_env(self.env),
                                         cwd=str(self.workdir))
        self.wait_ready()
        return self

    def wait_ready(self, timeout=READY_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"socialgate serve exited with {self.proc.returncode} "
                            f"before it was ready; log:\n{self.log_tail()}")
            try:
                r = requests.get(self.url + "/healthz", timeout=0.5,
                                 verify=str(self.ca) if self.ca else True)
                if r.status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.02)
        self.proc.kill()
        self.proc.wait()
        pytest.fail(f"socialgate serve not ready within {timeout}s; log:\n{self.log_tail()}")


def new_server(servers, db, env=None, **kw):
    """A started TlsServer, stopped (exit 0 required) and log-checked by the
    `servers` fixture's teardown like every other server."""
    srv = TlsServer(servers.binary, servers.tmp, db, name=f"tls-server{len(servers.all) + 1}",
                    **kw)
    servers.all.append(srv)
    return srv.start(env=env)


class VerifyingSession(Session):
    """conftest's Session checking the server against `ca` on every request
    (Session.verify alone would lose to $REQUESTS_CA_BUNDLE)."""

    def __init__(self, issued, ca):
        super().__init__(issued)
        self.ca = str(ca)

    def request(self, method, url, **kw):
        kw.setdefault("verify", self.ca)
        return super().request(method, url, **kw)


def https_gate(server, info, issued):
    """A Gate whose requests verify the server's certificate."""
    g = Gate(server, info, issued)
    g.http = VerifyingSession(issued, server.ca)
    return g


def https_server(servers, db, tls_files, via_env=False, **kw):
    cert, key = tls_files
    if via_env:
        return new_server(servers, db, ca=cert, **kw,
                          env={"SOCIALGATE_TLS_CERT": str(cert), "SOCIALGATE_TLS_KEY": str(key)})
    return new_server(servers, db, ca=cert, extra=["--tls-cert", cert, "--tls-key", key], **kw)


@pytest.fixture
def tls_gate(servers, issued, tls_files):
    """One customer behind an HTTPS server; its session verifies the certificate."""
    db = servers.new_db()
    info = servers.init(db)
    return https_gate(https_server(servers, db, tls_files), info, issued)


def refused(servers, *args, env=None):
    """Runs `socialgate serve ARGS` that must exit at start; returns
    (exit code, stderr text). A serve that does start fails the test. The
    codes are exact (1: serve refuses, 2: a bad setting), so a sanitizer's
    leak report (another code) fails too."""
    try:
        p = servers.run("serve", *args, env=env, timeout=START_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"serve {args} started instead of refusing")
    return p.returncode, p.stderr.decode(errors="replace")


# ---- HTTPS ----------------------------------------------------------------------------

@pytest.mark.parametrize("via_env", [False, True], ids=["flags", "environment"])
def test_token_over_https_with_the_certificate_verified(servers, issued, tls_files, via_env):
    db = servers.new_db()
    info = servers.init(db)
    g = https_gate(https_server(servers, db, tls_files, via_env=via_env), info, issued)
    assert g.token_url.startswith("https://127.0.0.1:")
    r = g.post_token(data={"grant_type": "client_credentials", "scope": "*:**"})
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    assert TOKEN_RE.match(token) and len(token) == 64
    # and the token works as a bearer token over the same HTTPS connection
    assert g.get("config/clients", token=token).status_code == 200


def test_https_negotiates_tls_1_3_or_1_2(tls_gate):
    cert = str(tls_gate.server.ca)
    for cap, want in ((None, "TLSv1.3"), (ssl.TLSVersion.TLSv1_2, "TLSv1.2")):
        ctx = ssl.create_default_context(cafile=cert)
        if cap:
            ctx.maximum_version = cap
        with socket.create_connection(("127.0.0.1", tls_gate.server.port), timeout=5) as s:
            with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
                assert t.version() == want


def test_client_trusting_only_system_cas_rejects_the_self_signed_certificate(tls_gate):
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(tls_gate.server.url + "/healthz", verify=True, timeout=5)
    with pytest.raises(requests.exceptions.SSLError):
        tls_gate.post_token(verify=True)


def test_plain_http_to_the_tls_port_gets_no_http_answer(tls_gate):
    port = tls_gate.server.port
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        reply = b""
        try:
            while chunk := s.recv(4096):
                reply += chunk
        except (ConnectionResetError, socket.timeout):
            pass
    assert not reply.startswith(b"HTTP/"), reply[:200]
    assert b'"status"' not in reply
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
    # the server is unharmed: HTTPS still answers
    assert tls_gate.http.get(tls_gate.server.url + "/healthz").status_code == 200


def tls_1_1_context(cafile):
    """A client context limited to TLS 1.1 (security level 0, so OpenSSL 3
    may offer it at all)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # that is the point
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    return ctx


def offered_version(ctx):
    """The client_version of the ClientHello ctx sends (captured by a local
    listener that answers nothing), or None when it sends none."""
    got = {}
    with socket.create_server(("127.0.0.1", 0)) as ls:
        ls.settimeout(5)

        def accept():
            try:
                c, _ = ls.accept()
            except OSError:
                return
            with c:
                c.settimeout(3)
                try:
                    got["hello"] = c.recv(16384)
                except OSError:
                    pass
        t = threading.Thread(target=accept)
        t.start()
        try:
            with socket.create_connection(ls.getsockname(), timeout=3) as s:
                ctx.wrap_socket(s, server_hostname="127.0.0.1")
        except (ssl.SSLError, OSError):
            pass
        t.join(5)
    hello = got.get("hello", b"")
    # record: type 0x16, version(2), length(2); handshake: type 1, length(3), client_version(2)
    if len(hello) < 11 or hello[0] != 0x16 or hello[5] != 1:
        return None
    return (hello[9], hello[10])


def test_tls_1_1_client_cannot_handshake(tls_gate):
    ctx = tls_1_1_context(str(tls_gate.server.ca))
    offered = offered_version(ctx)
    if offered is None:
        pytest.skip("the local OpenSSL refuses to send a TLS 1.1 ClientHello at all")
    assert offered == (3, 2), f"client not limited to TLS 1.1: offers {offered}"
    with socket.create_connection(("127.0.0.1", tls_gate.server.port), timeout=5) as s:
        with pytest.raises((ssl.SSLError, ConnectionError)):
            with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
                pytest.fail(f"handshake succeeded with {t.version()}")
    # the same client allowed TLS 1.2 gets through: only the version was refused
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    with socket.create_connection(("127.0.0.1", tls_gate.server.port), timeout=5) as s:
        with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
            assert t.version() == "TLSv1.2"


def test_default_public_url_is_https_with_tls(servers, issued, tls_files):
    db = servers.new_db()
    info = servers.init(db)
    srv = https_server(servers, db, tls_files, public_url_flag=False)
    g = https_gate(srv, info, issued)
    r = g.get(apps_path(info["app_id"]))
    assert r.status_code == 200, r.text
    want = f"https://127.0.0.1:{srv.port}/{info['customer_id']}/{apps_path(info['app_id'])}"
    assert r.json()["_links"]["self"]["href"] == want


def test_sigterm_stops_an_https_server_with_exit_0(tls_gate):
    assert tls_gate.token()
    assert tls_gate.server.stop(signal.SIGTERM) == 0


# ---- plain HTTP only on loopback, unless --insecure-http ---------------------------------

@pytest.mark.parametrize("host", ["0.0.0.0", "[::]"])
def test_plain_http_on_a_non_loopback_address_is_refused(servers, host):
    db = servers.new_db()
    servers.init(db)
    port = free_port()
    rc, err = refused(servers, "--db", db, "--listen", f"{host}:{port}")
    assert rc == 1, err
    assert "loopback" in err and "clear" in err, err
    for opt in ("--insecure-http", "--tls-cert", "--tls-key"):
        assert opt in err, err
    with pytest.raises(OSError):  # nothing listens
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_insecure_http_serves_plain_http_on_a_wildcard_address(servers, issued, how):
    db = servers.new_db()
    info = servers.init(db)
    if how == "flag":
        srv = new_server(servers, db, host="0.0.0.0", extra=["--insecure-http"])
    else:
        srv = new_server(servers, db, host="0.0.0.0", env={"SOCIALGATE_INSECURE_HTTP": "1"})
    assert TOKEN_RE.match(Gate(srv, info, issued).token())


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost"])
def test_plain_http_on_loopback_needs_no_flag(servers, issued, host):
    db = servers.new_db()
    info = servers.init(db)
    srv = new_server(servers, db, host=host)
    assert TOKEN_RE.match(Gate(srv, info, issued).token())


def test_tls_serves_on_a_wildcard_address_without_insecure_http(servers, issued, tls_files):
    db = servers.new_db()
    info = servers.init(db)
    g = https_gate(https_server(servers, db, tls_files, host="0.0.0.0"), info, issued)
    assert TOKEN_RE.match(g.token())


# ---- bad TLS settings stop serve at start --------------------------------------------------

@pytest.mark.parametrize("given", ["cert", "key", "cert-env"])
def test_certificate_without_key_or_key_without_certificate_is_refused(servers, tls_files,
                                                                        given):
    cert, key = tls_files
    db = servers.new_db()
    servers.init(db)
    args, env = ["--db", db], None
    if given == "cert":
        args += ["--tls-cert", cert]
    elif given == "key":
        args += ["--tls-key", key]
    else:
        env = {"SOCIALGATE_TLS_CERT": str(cert)}
    rc, err = refused(servers, *args, env=env)
    assert rc == 2, err
    assert "--tls-cert" in err and "--tls-key" in err, err


@pytest.mark.parametrize("missing", ["cert", "key"])
def test_unreadable_pem_file_is_named(servers, tls_files, missing):
    cert, key = tls_files
    db = servers.new_db()
    servers.init(db)
    gone = servers.tmp / f"no-such-{missing}.pem"
    args = ["--tls-cert", gone if missing == "cert" else cert,
            "--tls-key", gone if missing == "key" else key]
    rc, err = refused(servers, "--db", db, *args)
    assert rc == 1, err
    assert str(gone) in err, err


def test_key_of_another_certificate_is_refused(servers, tls_files, tmp_path):
    other = tmp_path / "other.key"
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                    "-out", str(other)], check=True, capture_output=True, timeout=60)
    db = servers.new_db()
    servers.init(db)
    rc, err = refused(servers, "--db", db, "--tls-cert", tls_files[0], "--tls-key", other)
    assert rc == 1, err
    assert "HTTPS" in err and "key" in err, err
    assert "PRIVATE KEY" not in err  # the key's text is never echoed
