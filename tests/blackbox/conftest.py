# SPDX-License-Identifier: MIT
# Black-box fixtures: run the built `socialgate` binary (init, then serve on a
# free port with a fresh temp database), wait for /healthz, stop it by PID and
# check that it exited 0 and that no secret or token issued during the test
# reached its stderr. Talks to the server over HTTP only; knows nothing of
# its internals and never needs a hand-started server.

import base64
import json
import os
import random
import re
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests

import openapi_check

# Every answer of a server started here is checked against docs/openapi.yaml.
openapi_check.install(requests.Session)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BIN = REPO_ROOT / "build" / "socialgate"

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{64}$")
ID_CHARS_RE = re.compile(r"^[A-Za-z0-9_-]+$")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
BASIC_CHALLENGE = 'Basic realm="socialgate"'
BEARER_CHALLENGE = 'Bearer realm="socialgate"'
BEARER_INVALID = 'Bearer realm="socialgate", error="invalid_token"'
BEARER_SCOPE = 'Bearer realm="socialgate", error="insufficient_scope"'
FORBIDDEN_BODY = {"error": "Forbidden", "errors": "Forbidden"}
READY_TIMEOUT = 5.0
HTTP_TIMEOUT = 5.0
_DEFAULT = object()


def binary_path():
    """The server binary: $SOCIALGATE_BIN or <repo>/build/socialgate."""
    return Path(os.environ.get("SOCIALGATE_BIN") or DEFAULT_BIN).resolve()


def free_port():
    """A port free on every IPv4 address, below the kernel's ephemeral range
    (32768 and up), so no client socket of a concurrent test can take it
    between this check and the server's bind."""
    while True:
        port = random.randrange(20000, 32000)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("0.0.0.0", port))
            except OSError:
                continue
            return port


def clean_env(extra=None):
    """The test runner's environment without any SOCIALGATE_* setting but
    one: no metrics listener, whose default port (127.0.0.1:9464) servers
    started side by side would contend for; a test of the metrics gives
    --metrics-listen, which wins over the environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIALGATE_")}
    env["SOCIALGATE_METRICS_LISTEN"] = "off"
    env.update(extra or {})
    return env


def basic_header(user, password, encode=True):
    """Authorization value for HTTP Basic, form-urlencoding id and secret
    first as RFC 6749 §2.3.1 says (identity for [A-Za-z0-9_-])."""
    from urllib.parse import quote_plus

    if encode:
        user, password = quote_plus(user), quote_plus(password)
    raw = f"{user}:{password}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def allow_set(resp):
    """The methods of an Allow header, upper-cased."""
    return {m.strip().upper() for m in resp.headers.get("Allow", "").split(",") if m.strip()}


class Issued:
    """Every client secret and access token seen during one test, so the
    server's log can be checked for them. Responses passing through a
    Session with `hook` attached are scanned automatically."""

    KEYS = ("access_token", "secret", "client_secret", "apiKey")

    def __init__(self):
        self.values = []

    def add(self, value):
        if isinstance(value, str) and len(value) >= 8 and value not in self.values:
            self.values.append(value)

    def scan(self, obj):
        if isinstance(obj, dict):
            for k, v in obj.items():
                if k in self.KEYS and isinstance(v, str):
                    self.add(v)
                else:
                    self.scan(v)
        elif isinstance(obj, list):
            for v in obj:
                self.scan(v)

    def hook(self, resp, *args, **kwargs):
        if "json" in resp.headers.get("Content-Type", ""):
            try:
                self.scan(resp.json())
            except ValueError:
                pass
        return resp

    def __iter__(self):
        return iter(list(self.values))

    def __len__(self):
        return len(self.values)


class Session(requests.Session):
    """requests.Session with a default timeout and the Issued hook."""

    def __init__(self, issued):
        super().__init__()
        self.hooks["response"].append(issued.hook)

    def request(self, method, url, **kw):
        kw.setdefault("timeout", HTTP_TIMEOUT)
        return super().request(method, url, **kw)


class Server:
    """One `socialgate serve` process. stderr (the log) is appended to
    workdir/server.log (shared by every (re)start of this object), stdout to
    workdir/server.stdout. db is a SQLite path or a postgresql:// URI (kept
    as given: a Path would fold its "//"); args are appended to the command
    line of every start."""

    def __init__(self, binary, workdir, db, public_url=None, key_file=None, name="server",
                 args=()):
        self.binary = binary
        self.workdir = Path(workdir)
        self.db = db if str(db).startswith("postgresql://") else Path(db)
        self.key_file = key_file
        self.args = list(args)
        self.fixed_public_url = public_url
        self.log_path = self.workdir / f"{name}.log"
        self.stdout_path = self.workdir / f"{name}.stdout"
        self.proc = None
        self.port = None
        self.env = {}

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def listen(self):
        return f"127.0.0.1:{self.port}"

    @property
    def public_url(self):
        return self.fixed_public_url or self.url

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self, via_env=False, new_port=True, env=None):
        assert not self.running, "server already running"
        if new_port or self.port is None:
            self.port = free_port()
        args = [str(self.binary), "serve"]
        if env is not None:
            self.env = dict(env)  # kept for restarts
        extra = dict(self.env)
        if via_env:
            extra.update({
                "SOCIALGATE_DB": str(self.db),
                "SOCIALGATE_LISTEN": self.listen,
                "SOCIALGATE_PUBLIC_URL": self.public_url,
            })
            if self.key_file:
                extra["SOCIALGATE_KEY_FILE"] = str(self.key_file)
        else:
            args += ["--db", str(self.db), "--listen", self.listen,
                     "--public-url", self.public_url]
            if self.key_file:
                args += ["--key-file", str(self.key_file)]
        args += self.args
        with open(self.log_path, "ab") as err, open(self.stdout_path, "ab") as out:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=err, env=clean_env(extra),
                                         cwd=str(self.workdir))
        openapi_check.watch(self.url)
        self.wait_ready()
        return self

    def log_tail(self, n=2000):
        try:
            return self.log_path.read_bytes()[-n:].decode(errors="replace")
        except OSError:
            return ""

    def wait_ready(self, timeout=READY_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"socialgate serve exited with {self.proc.returncode} "
                            f"before it was ready; log:\n{self.log_tail()}")
            try:
                r = requests.get(self.url + "/healthz", timeout=0.5)
                if r.status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.02)
        self.proc.kill()
        self.proc.wait()
        pytest.fail(f"socialgate serve not ready within {timeout}s; log:\n{self.log_tail()}")

    def stop(self, sig=signal.SIGTERM, timeout=5.0):
        """Signals the process by PID and returns its exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"socialgate did not exit within {timeout}s after signal {sig}")

    def kill9(self):
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=5)

    def restart(self, **kw):
        rc = self.stop()
        assert rc == 0, f"serve exited {rc} on SIGTERM; log:\n{self.log_tail()}"
        return self.start(**kw)


class Servers:
    """Factory for databases, `init` runs and servers of one test."""

    def __init__(self, binary, tmp_path, issued):
        self.binary = binary
        self.tmp = Path(tmp_path)
        self.issued = issued
        self.all = []
        self._n = 0

    def new_db(self, name=None):
        self._n += 1
        return self.tmp / (name or f"sg{self._n}.db")

    def run(self, *args, env=None, timeout=15):
        return subprocess.run([str(self.binary), *map(str, args)], capture_output=True,
                              stdin=subprocess.DEVNULL, env=clean_env(env),
                              cwd=str(self.tmp), timeout=timeout)

    def init(self, db, customer_id=None, key_file=None):
        """`socialgate init --db DB --json`; returns the parsed object."""
        args = ["init", "--db", db, "--json"]
        if customer_id:
            args += ["--customer-id", customer_id]
        if key_file:
            args += ["--key-file", key_file]
        p = self.run(*args)
        assert p.returncode == 0, f"init failed ({p.returncode}): {p.stderr.decode(errors='replace')}"
        info = json.loads(p.stdout.decode())
        assert isinstance(info, dict), p.stdout
        self.issued.add(info.get("client_secret"))
        self.issued.add(info.get("api_key"))
        return info

    def server(self, db, public_url=None, key_file=None, start=True, via_env=False, env=None,
               args=()):
        self._n += 1
        srv = Server(self.binary, self.tmp, db, public_url=public_url, key_file=key_file,
                     name=f"server{self._n}", args=args)
        self.all.append(srv)
        if start:
            srv.start(via_env=via_env, env=env)
        return srv

    def log_paths(self):
        paths = []
        for s in self.all:
            paths += [s.log_path, s.stdout_path]
        return [p for p in paths if p.exists()]

    def leaked(self):
        """(path, value) for every issued secret/token found in any output."""
        found = []
        for path in self.log_paths():
            data = path.read_bytes()
            for v in self.issued:
                if v.encode() in data:
                    found.append((path.name, v))
        return found

    def close(self):
        problems = []
        for s in self.all:
            if s.running:
                rc = s.stop()
                if rc != 0:
                    problems.append(f"{s.log_path.name}: exit {rc} on SIGTERM:\n{s.log_tail()}")
        for name, v in self.leaked():
            problems.append(f"{name} contains an issued secret/token {v[:6]}...")
        assert not problems, "\n".join(problems)


class Gate:
    """One customer of a running server, seen from outside."""

    def __init__(self, server, info, issued):
        self.server = server
        self.info = info
        self.issued = issued
        self.customer_id = info["customer_id"]
        self.client_id = info["client_id"]
        self.client_secret = info["client_secret"]
        self.policy_id = info["token_policy_id"]
        self.http = Session(issued)
        self._admin = None

    # -- URLs ----------------------------------------------------------------
    def url(self, path=""):
        return f"{self.server.url}/{self.customer_id}/{path.lstrip('/')}"

    def href(self, path=""):
        """The absolute URL the server must build from --public-url."""
        return f"{self.server.public_url}/{self.customer_id}/{path.lstrip('/')}"

    @property
    def token_url(self):
        return self.url("login/token")

    # -- token endpoint -------------------------------------------------------
    def post_token(self, data=_DEFAULT, auth=_DEFAULT, path="login/token", **kw):
        if data is _DEFAULT:
            data = {"grant_type": "client_credentials"}
        if auth is _DEFAULT:
            auth = (self.client_id, self.client_secret)
        return self.http.post(self.url(path), data=data, auth=auth, **kw)

    def token_response(self, scope="*:**", client_id=None, secret=None):
        data = {"grant_type": "client_credentials"}
        if scope is not None:
            data["scope"] = scope
        r = self.post_token(data=data, auth=(client_id or self.client_id,
                                             secret or self.client_secret))
        assert r.status_code == 200, f"token request failed: {r.status_code} {r.text}"
        return r.json()

    def token(self, scope="*:**", client_id=None, secret=None):
        return self.token_response(scope, client_id, secret)["access_token"]

    @property
    def admin(self):
        """A lazily fetched `*:**` token of the init client."""
        if self._admin is None:
            self._admin = self.token("*:**")
        return self._admin

    def introspect(self, token, auth=_DEFAULT, data=None):
        return self.post_token(data=data if data is not None else {"token": token},
                               auth=auth, path="login/token/introspect")

    def revoke(self, token, auth=_DEFAULT, data=None):
        return self.post_token(data=data if data is not None else {"token": token},
                               auth=auth, path="login/token/revoke")

    # -- bearer calls ------------------------------------------------------------
    def call(self, method, path, token=_DEFAULT, headers=None, **kw):
        h = dict(headers or {})
        if token is _DEFAULT:
            token = self.admin
        if token is not None:
            h["Authorization"] = f"Bearer {token}"
        return self.http.request(method, self.url(path), headers=h, **kw)

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def create_policy(self, allowed=("*:**",), title=None, **fields):
        body = {"title": title or f"policy-{uuid.uuid4().hex[:8]}",
                "allowedScopes": list(allowed), **fields}
        r = self.call("POST", "config/tokenPolicies", json=body)
        assert r.status_code == 201, f"policy create: {r.status_code} {r.text}"
        return r.json()

    def create_client(self, policy=None, name=None):
        body = {"name": name or f"client-{uuid.uuid4().hex[:8]}",
                "tokenPolicy": policy or self.policy_id}
        r = self.call("POST", "config/clients", json=body)
        assert r.status_code == 201, f"client create: {r.status_code} {r.text}"
        return r.json()


def assert_forbidden(resp, challenge):
    assert resp.status_code == 403, f"{resp.status_code} {resp.text}"
    assert resp.json() == FORBIDDEN_BODY
    assert resp.headers.get("WWW-Authenticate") == challenge


def assert_invalid_client(resp):
    assert resp.status_code == 401, f"{resp.status_code} {resp.text}"
    assert resp.json()["error"] == "invalid_client"
    assert resp.headers.get("WWW-Authenticate") == BASIC_CHALLENGE


def assert_oauth_error(resp, status, error):
    assert resp.status_code == status, f"{resp.status_code} {resp.text}"
    assert resp.headers.get("Content-Type", "").startswith("application/json")
    body = resp.json()
    assert body["error"] == error
    assert isinstance(body.get("error_description"), str)


def assert_api_error(resp, status, field=None):
    """Configuration API error shape; `field` must be named in details."""
    assert resp.status_code == status, f"{resp.status_code} {resp.text}"
    body = resp.json()
    assert isinstance(body.get("error"), str) and body["error"]
    assert body.get("errors") == body["error"]
    if status in (400, 422):
        details = body.get("details")
        assert isinstance(details, list), body
        for d in details:
            assert isinstance(d.get("field"), str) and isinstance(d.get("reason"), str), d
        if field is not None:
            assert field in [d["field"] for d in details], body
    return body


# ---- fixtures ------------------------------------------------------------------

@pytest.fixture(autouse=True)
def openapi_conformance():
    """Fails a test that received an answer docs/openapi.yaml does not
    describe (openapi_check.py)."""
    start = len(openapi_check.mismatches)
    yield
    found = openapi_check.mismatches[start:]
    del openapi_check.mismatches[start:]
    if found:
        pytest.fail("answers not as docs/openapi.yaml says:\n" + "\n".join(sorted(set(found))))


@pytest.fixture(scope="session")
def sg_bin():
    path = binary_path()
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"socialgate binary not found at {path} (build it, or set SOCIALGATE_BIN)")
    return path


@pytest.fixture
def issued():
    """Every client secret and access token issued (or tried) in this test."""
    return Issued()


@pytest.fixture
def servers(sg_bin, tmp_path, issued):
    """Factory: servers.new_db(), servers.init(db), servers.server(db, ...).
    Teardown stops every running server with SIGTERM, asserts exit 0 and that
    no issued secret/token appears in any captured output."""
    f = Servers(sg_bin, tmp_path, issued)
    yield f
    f.close()


@pytest.fixture
def gate(servers, issued):
    """A fresh database with one customer, served on 127.0.0.1:<free port>."""
    db = servers.new_db()
    info = servers.init(db)
    return Gate(servers.server(db), info, issued)


PUBLIC_URL = "http://sg.example.test:9999"


@pytest.fixture
def public_gate(servers, issued):
    """Like gate, but served with --public-url different from the listen address."""
    db = servers.new_db()
    info = servers.init(db)
    return Gate(servers.server(db, public_url=PUBLIC_URL), info, issued)


@pytest.fixture
def two_gates(servers, issued):
    """Two customers (init twice on one database) behind one server."""
    db = servers.new_db()
    a = servers.init(db)
    b = servers.init(db)
    srv = servers.server(db)
    return Gate(srv, a, issued), Gate(srv, b, issued)


@pytest.fixture
def server_log(gate):
    """Path of the captured stderr of the `gate` server."""
    return gate.server.log_path


# ---- SPEC §5: social-login apps and custom providers --------------------------------
# Added for test_apps.py, test_providers.py and test_provider_concurrency.py; the
# fixtures above are unchanged.

ENGAGE = "v2/config/low/services/engage-v2"
REALM = "https://login.example.test"
APP_ID_RE = re.compile(r"^[a-z]{20}$")
UUID4_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
ETAG_RE = re.compile(r'^"[0-9a-f]{64}"$')
TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$")
SERVER_FIELDS = ("id", "createdAt", "updatedAt", "_links")
MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"


def apps_path(app_id=None):
    """Path of the app list, or of one app, below /{customerId}/."""
    return f"{ENGAGE}/apps" + (f"/{app_id}" if app_id is not None else "")


def providers_path(app_id, provider_id=None):
    """Path of an app's provider list, or of one provider, below /{customerId}/."""
    path = f"{ENGAGE}/apps/{app_id}/custom-providers"
    return path + (f"/{provider_id}" if provider_id is not None else "")


def init_with(servers, db, *extra):
    """`socialgate init --db DB --json EXTRA...` (e.g. --realm URL); returns the
    parsed object and records its secret for the log-leak check."""
    p = servers.run("init", "--db", db, "--json", *extra)
    assert p.returncode == 0, f"init failed ({p.returncode}): {p.stderr.decode(errors='replace')}"
    info = json.loads(p.stdout.decode())
    assert isinstance(info, dict) and "app_id" in info, info
    servers.issued.add(info.get("client_secret"))
    servers.issued.add(info.get("api_key"))
    return info


def app_add(servers, db, customer_id, name, realm):
    """`socialgate app add ...`; returns the CompletedProcess."""
    return servers.run("app", "add", "--db", db, "--customer-id", customer_id, "--name", name,
                       "--realm", realm)


def client_fields(obj):
    """A provider object without its server-set members."""
    return {k: v for k, v in obj.items() if k not in SERVER_FIELDS}


def details_fields(body):
    return [d.get("field") for d in body.get("details", [])]


class EngageGate(Gate):
    """A customer with one social-login app (`app_id`, realm REALM unless
    told), served with --public-url PUBLIC_URL; helpers for SPEC §5 calls."""

    def __init__(self, server, info, issued, realm=REALM):
        super().__init__(server, info, issued)
        self.app_id = info["app_id"]
        self.realm = realm

    def plist(self, app_id=None):
        return providers_path(app_id or self.app_id)

    def ppath(self, provider_id, app_id=None):
        return providers_path(app_id or self.app_id, provider_id)

    def create(self, body, app_id=None, **kw):
        return self.call("POST", self.plist(app_id), json=body, **kw)

    def create_ok(self, body, app_id=None):
        r = self.create(body, app_id)
        assert r.status_code == 201, f"provider create: {r.status_code} {r.text}"
        return r.json()

    def view(self, provider_id, app_id=None, **kw):
        return self.get(self.ppath(provider_id, app_id), **kw)

    def modify(self, provider_id, body, ctype=MERGE_PATCH, method="PATCH", headers=None,
               app_id=None, raw=None, **kw):
        """PATCH (or PUT) a provider with `body` serialised as JSON, or with raw
        bytes, under the given Content-Type (None: no Content-Type)."""
        h = dict(headers or {})
        if ctype is not None:
            h["Content-Type"] = ctype
        data = raw if raw is not None else json.dumps(body).encode()
        return self.call(method, self.ppath(provider_id, app_id), data=data, headers=h, **kw)


@pytest.fixture(scope="session")
def idp_certs(tmp_path_factory):
    """Two distinct self-signed X.509 certificates, as standard Base64 of DER
    (what a saml2 provider's idp_certificate holds), made with the openssl CLI."""
    d = tmp_path_factory.mktemp("certs")
    certs = []
    for i in range(2):
        out = d / f"idp{i}.der"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-subj", f"/CN=idp{i}", "-days", "30", "-outform", "DER",
                        "-keyout", str(d / f"idp{i}.key"), "-out", str(out)],
                       check=True, capture_output=True, timeout=60)
        certs.append(base64.b64encode(out.read_bytes()).decode())
    assert certs[0] != certs[1]
    return certs


@pytest.fixture
def engage(servers, issued):
    """One customer whose app has realm REALM, served with --public-url PUBLIC_URL."""
    db = servers.new_db()
    info = init_with(servers, db, "--realm", REALM)
    return EngageGate(servers.server(db, public_url=PUBLIC_URL), info, issued)


@pytest.fixture
def engage_two(servers, issued):
    """Two customers (each with its own app) behind one server."""
    db = servers.new_db()
    a = init_with(servers, db, "--realm", REALM)
    b = init_with(servers, db, "--realm", "https://b.example.test")
    srv = servers.server(db, public_url=PUBLIC_URL)
    return (EngageGate(srv, a, issued),
            EngageGate(srv, b, issued, realm="https://b.example.test"))


@pytest.fixture(scope="module")
def shared_engage(sg_bin, tmp_path_factory):
    """Like engage, but one server for a whole test module (for the many
    small validation tests, which only add providers of their own and never
    depend on what other tests did). The log-leak and exit-0 checks run when
    the module ends."""
    issued = Issued()
    f = Servers(sg_bin, tmp_path_factory.mktemp("shared"), issued)
    db = f.new_db()
    info = init_with(f, db, "--realm", REALM)
    g = EngageGate(f.server(db, public_url=PUBLIC_URL), info, issued)
    yield g
    f.close()
