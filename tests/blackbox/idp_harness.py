# SPDX-License-Identifier: MIT
# Identity providers and a browser for the sign-in runtime's black-box tests.
#
#   make_ca(dir)       throwaway CA and a server certificate for 127.0.0.1
#                      and localhost, made with the openssl command
#   OidcProvider       the real thing: node oidc-provider (tests/idp) over
#                      HTTPS, with development login and consent pages
#   login(...)         drives those pages with a requests.Session and stops
#                      at the redirect back to the client
#   StubIdp            a scriptable OpenID Provider in this process, for
#                      answers no honest IdP gives: slow, malformed, forged
#   Browser            headless Debian chromium through selenium
#   parse_forms(html)  the forms of a page (socialgate's hand-over page)
#
# Every server and browser here stops on every exit path: use them as
# context managers (a finaliser is the fallback when a test forgets).
# Nothing here knows socialgate; test_idp_harness.py proves it alone.

import base64
import collections
import hashlib
import html.parser
import importlib.util
import json
import os
import queue
import secrets
import shutil
import signal
import ssl
import subprocess
import tempfile
import threading
import time
import weakref
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
IDP_DIR = REPO_ROOT / "tests" / "idp"
START_TIMEOUT = 20.0
HTTP_TIMEOUT = 10.0
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


# --------------------------------------------------------------------------
# Small helpers

def b64url(data):
    """Base64url without padding, of bytes or of a str's UTF-8."""
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def pkce_pair():
    """(code_verifier, code_challenge) for PKCE S256."""
    verifier = b64url(secrets.token_bytes(32))
    return verifier, b64url(hashlib.sha256(verifier.encode()).digest())


def query_of(url):
    """The query of a URL as {name: first value}."""
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def with_query(url, **params):
    """The URL with params added to its own query."""
    parts = urlsplit(url)
    extra = urlencode(params)
    q = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit(parts._replace(query=q))


def _kill_group(proc):
    """SIGTERM to the process group, then SIGKILL after 5 s. Safe to call
    twice and from a finaliser."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
    except ProcessLookupError:
        proc.wait(timeout=5)


# --------------------------------------------------------------------------
# (a) certificates

CaFiles = collections.namedtuple("CaFiles", "ca cert key")
CaFiles.__doc__ = "Paths (str) of the CA certificate, server certificate and server key, PEM."


def make_ca(tmpdir):
    """A throwaway ECDSA P-256 CA and a server certificate it signed, valid
    two days, for IP:127.0.0.1 and DNS:localhost. Returns CaFiles(ca, cert,
    key): give `ca` to clients (requests' verify=, socialgate's
    --outbound-ca-file) and cert/key to servers."""
    d = Path(tmpdir)
    d.mkdir(parents=True, exist_ok=True)
    ca_key, ca, key, csr, cert, ext = (str(d / n) for n in
                                       ("ca.key", "ca.pem", "key.pem", "leaf.csr",
                                        "cert.pem", "leaf.ext"))
    Path(ext).write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                         "basicConstraints=critical,CA:FALSE\n"
                         "keyUsage=critical,digitalSignature\n"
                         "extendedKeyUsage=serverAuth\n"
                         "subjectKeyIdentifier=hash\n"
                         "authorityKeyIdentifier=keyid\n")
    ec = ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]
    serial = "0x" + secrets.token_hex(8)
    for cmd in (["genpkey", *ec, "-out", ca_key],
                ["req", "-x509", "-new", "-key", ca_key, "-days", "2",
                 "-subj", "/CN=socialgate test CA " + secrets.token_hex(4),
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", ca],
                ["genpkey", *ec, "-out", key],
                ["req", "-new", "-key", key, "-subj", "/CN=localhost", "-out", csr],
                ["x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-set_serial", serial,
                 "-days", "2", "-extfile", ext, "-out", cert]):
        p = subprocess.run(["openssl", *cmd], capture_output=True, timeout=30)
        if p.returncode != 0:
            raise RuntimeError(f"openssl {cmd[0]} failed: {p.stderr.decode(errors='replace')}")
    return CaFiles(ca, cert, key)


# --------------------------------------------------------------------------
# (b) the real OpenID Provider

def idp_missing():
    """Why OidcProvider cannot start here (node or tests/idp/node_modules
    missing), or None."""
    if not shutil.which("node"):
        return "node is not installed (scripts/install-deps installs it)"
    if not (IDP_DIR / "node_modules" / "oidc-provider" / "package.json").exists():
        return "tests/idp/node_modules is missing (scripts/install-deps runs npm ci there)"
    return None


def oidc_client(client_id, redirect_uris, client_secret=None, alg=None, **metadata):
    """Client metadata for OidcProvider: a confidential client_secret_basic
    client of the authorization code grant. alg sets
    id_token_signed_response_alg; metadata adds or overrides fields."""
    c = {"client_id": client_id,
         "client_secret": client_secret or secrets.token_urlsafe(24),
         "redirect_uris": list(redirect_uris),
         "grant_types": ["authorization_code"],
         "response_types": ["code"],
         "token_endpoint_auth_method": "client_secret_basic"}
    if alg:
        c["id_token_signed_response_alg"] = alg
    c.update(metadata)
    return c


class StartTimeout(RuntimeError):
    """The test IdP printed no ready line in time."""


class OidcProvider:
    """tests/idp/server.js: node oidc-provider over HTTPS, PKCE required,
    development login (any login, any password) and consent pages.

        with OidcProvider(ca, [oidc_client("rp", ["http://127.0.0.1:8/cb"])],
                          keys=("RS256", "EdDSA")) as op:
            op.issuer, op.authorization_endpoint, op.token_endpoint, ...

    ca: CaFiles. clients: list of client metadata (oidc_client()). keys:
    signing algorithms, one generated key each (RS256, RS384, RS512, PS256,
    PS384, PS512, ES256, ES384, ES512, EdDSA). accounts: {login: {claim:
    value}} overriding the built-in people (alice: alice@example.com,
    verified, Alice Liddell; bob: bob@example.com, not verified, Bob
    Builder; any other login: login@example.com, verified). hostname:
    "127.0.0.1" or "localhost", the issuer's host (it always listens on
    127.0.0.1). The account's sub is the login name.

    URLs besides discovery's: profile_endpoint (/profile) answers any
    access token, openid scope or not, with {id, login, email, name, ...}:
    the profile_url of an `oauth2` provider; userinfo (/me) wants openid."""

    def __init__(self, ca, clients, keys=("RS256",), accounts=None, hostname="127.0.0.1",
                 workdir=None):
        self.ca = ca
        self.clients = list(clients)
        self.keys = list(keys)
        self.accounts = dict(accounts or {})
        self.hostname = hostname
        self._own_dir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="idp-"))
        self.log_path = self.workdir / "idp.log"
        self.proc = None
        self.port = None
        self.issuer = None
        self.kids = []
        self.discovery = {}
        self._lines = queue.Queue()
        self._reader = None
        self._finalizer = None

    # -- life ----------------------------------------------------------------
    def start(self):
        """Starts the provider and waits for its ready line and discovery.
        A start that gives no ready line in time is killed and tried once
        more: on a loaded 2-core machine (the sanitizer suites run beside
        this one) node has been seen to stall past the timeout once in a
        few hundred starts. Returns self."""
        for attempt in (1, 2):
            try:
                return self._start_once()
            except StartTimeout:
                if attempt == 2:
                    self.stop()
                    raise
                self._kill()
            except BaseException:
                self.stop()
                raise

    def _kill(self):
        """Ends the process, keeping the workdir, for another start."""
        _kill_group(self.proc)
        self._finalizer.detach()
        self._reader.join(timeout=5)
        self.proc.stdout.close()
        self.proc = None
        self._lines = queue.Queue()

    def _start_once(self):
        why = idp_missing()
        if why:
            raise RuntimeError(f"cannot start the test IdP: {why}")
        assert self.proc is None, "already started"
        cfg = {"host": "127.0.0.1", "port": 0,
               "issuer": f"https://{self.hostname}:{{port}}",
               "tls": {"cert": str(self.ca.cert), "key": str(self.ca.key)},
               "keys": self.keys, "clients": self.clients, "accounts": self.accounts}
        cfg_path = self.workdir / "idp.json"
        cfg_path.write_text(json.dumps(cfg))
        with open(self.log_path, "ab") as err:
            self.proc = subprocess.Popen(["node", str(IDP_DIR / "server.js"), str(cfg_path)],
                                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=err, cwd=str(IDP_DIR), start_new_session=True)
        self._finalizer = weakref.finalize(self, _kill_group, self.proc)
        self._reader = threading.Thread(target=self._read_stdout, args=(self.proc.stdout,),
                                        daemon=True)
        self._reader.start()
        ready = self._expect("READY", START_TIMEOUT)
        self.issuer, self.port, self.kids = ready["issuer"], ready["port"], ready["kids"]
        r = requests.get(self.issuer + "/.well-known/openid-configuration",
                         verify=self.ca.ca, timeout=HTTP_TIMEOUT)
        r.raise_for_status()
        self.discovery = r.json()
        return self

    def _read_stdout(self, stream):
        for line in stream:
            self._lines.put(line.decode(errors="replace").rstrip("\n"))
        self._lines.put(None)

    def _expect(self, word, timeout):
        """The JSON after `word` on the next stdout line starting with it."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._lines.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                raise StartTimeout(f"test IdP gave no {word} line within {timeout}s; "
                                   f"log:\n{self.log()}") from None
            if line is None:
                raise RuntimeError(f"test IdP exited; log:\n{self.log()}")
            if line.startswith(word + " "):
                return json.loads(line[len(word) + 1:])

    def stop(self):
        """Stops the process group (SIGTERM, SIGKILL after 5 s) and, when
        no workdir was given, removes its files (log included). Idempotent."""
        if self.proc is not None:
            self._kill()
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self._own_dir = False

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def rotate_keys(self):
        """Replaces every signing key by a new one with a new kid (SIGHUP);
        sessions, codes and tokens survive. Returns the new kids."""
        os.kill(self.proc.pid, signal.SIGHUP)
        self.kids = self._expect("ROTATED", START_TIMEOUT)["kids"]
        return self.kids

    def log(self):
        """The provider's stderr so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    # -- URLs and documents --------------------------------------------------
    @property
    def base_url(self):
        return self.issuer

    @property
    def authorization_endpoint(self):
        return self.discovery["authorization_endpoint"]

    @property
    def token_endpoint(self):
        return self.discovery["token_endpoint"]

    @property
    def userinfo_endpoint(self):
        return self.discovery["userinfo_endpoint"]

    @property
    def jwks_uri(self):
        return self.discovery["jwks_uri"]

    @property
    def profile_endpoint(self):
        return self.issuer + "/profile"

    def jwks(self):
        """The published JWKS, fetched now."""
        r = requests.get(self.jwks_uri, verify=self.ca.ca, timeout=HTTP_TIMEOUT)
        r.raise_for_status()
        return r.json()

    def session(self):
        """A new requests.Session that trusts the CA and ignores the
        environment's CA bundle and proxy settings."""
        s = requests.Session()
        s.verify = self.ca.ca
        s.trust_env = False
        return s

    def client(self, client_id):
        return next(c for c in self.clients if c["client_id"] == client_id)

    def authorize_url(self, client_id, redirect_uri=None, scope="openid email profile", **extra):
        """An authorization request URL with state, PKCE S256 and, when the
        scope has openid, nonce. Returns (url, {"state", "code_verifier"[,
        "nonce"]}). extra adds or overrides parameters."""
        verifier, challenge = pkce_pair()
        sent = {"state": secrets.token_urlsafe(16), "code_verifier": verifier}
        params = {"response_type": "code", "client_id": client_id,
                  "redirect_uri": redirect_uri or self.client(client_id)["redirect_uris"][0],
                  "scope": scope, "state": sent["state"],
                  "code_challenge": challenge, "code_challenge_method": "S256"}
        # oidc-provider refuses a nonce without the openid scope.
        if "openid" in scope.split():
            sent["nonce"] = params["nonce"] = secrets.token_urlsafe(16)
        params.update(extra)
        return with_query(self.authorization_endpoint, **params), sent


# --------------------------------------------------------------------------
# (c) driving the development login and consent pages

class LoginError(AssertionError):
    """The login pages did not lead back to the client."""


class _FormParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms = []
        self.links = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append(Form(a.get("action") or "", (a.get("method") or "get").lower(), {}))
        elif tag in ("input", "button", "textarea") and self.forms and a.get("name"):
            self.forms[-1].fields.setdefault(a["name"], a.get("value") or "")
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])


Form = collections.namedtuple("Form", "action method fields")
Form.__doc__ = "A form: action as written (resolve it), method lower-case, {name: value}."


def parse_forms(page):
    """The forms of an HTML page, in order: [Form(action, method, fields)]."""
    p = _FormParser()
    p.feed(page)
    return p.forms


def _links(page):
    p = _FormParser()
    p.feed(page)
    return p.links


def _same_endpoint(a, b):
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.netloc, pa.path) == (pb.scheme, pb.netloc, pb.path)


def login(session, authorize_url, user="alice", password="x", redirect_uri=None, deny=False,
          max_steps=20):
    """Follows redirects from authorize_url (the IdP's authorization URL, or
    socialgate's start URL that leads there) through oidc-provider's login
    and consent pages, answering them as `user`, and returns the absolute
    URL of the redirect back to the client WITHOUT requesting it (it holds
    code, state and iss, or error). session: a requests.Session keeping
    cookies (verify= the CA). redirect_uri: where to stop; by default the
    redirect_uri parameter of the first authorization request passed
    through. deny=True cancels at the first page (error=access_denied).
    Pages already satisfied (a live session, a previous consent) are
    skipped as the IdP skips them. Raises LoginError on anything else."""
    url, method, data = authorize_url, "GET", None
    trail = []
    for _ in range(max_steps):
        if redirect_uri is None and "redirect_uri" in query_of(url):
            redirect_uri = query_of(url)["redirect_uri"]
        # verify= given explicitly: requests lets REQUESTS_CA_BUNDLE override
        # a Session's own verify otherwise.
        r = session.request(method, url, data=data, allow_redirects=False, timeout=HTTP_TIMEOUT,
                            verify=session.verify)
        trail.append(f"{method} {url} -> {r.status_code}")
        if r.is_redirect:
            loc = urljoin(url, r.headers["Location"])
            if redirect_uri and _same_endpoint(loc, redirect_uri):
                return loc
            url, method, data = loc, "GET", None
            continue
        forms = [f for f in parse_forms(r.text) if f.fields.get("prompt") in ("login", "consent")]
        if r.status_code != 200 or not forms:
            raise LoginError("no login, consent or redirect back; trail:\n  " + "\n  ".join(trail)
                             + f"\nlast page:\n{r.text[:1500]}")
        form = forms[0]
        if deny:
            abort = next((h for h in _links(r.text) if h.rstrip("/").endswith("/abort")), None)
            if abort is None:
                raise LoginError("no abort link on the page:\n" + r.text[:1500])
            url, method, data = urljoin(url, abort), "GET", None
            continue
        data = {"prompt": form.fields["prompt"]}
        if data["prompt"] == "login":
            data.update(login=user, password=password)
        url, method = urljoin(url, form.action or url), form.method.upper()
    raise LoginError("too many steps; trail:\n  " + "\n  ".join(trail))


# --------------------------------------------------------------------------
# (d) the scriptable stub IdP

STUB_ENDPOINTS = ("discovery", "jwks", "authorize", "token", "userinfo")

StubRequest = collections.namedtuple("StubRequest", "endpoint method path query headers body")
StubRequest.__doc__ = ("One request the stub received: endpoint name, method, raw path, "
                       "{query name: first value}, {header lower-case: value}, body bytes.")


def _jwk_of(public_key, alg, kid):
    import jwt.algorithms as ja

    cls = {"RS": ja.RSAAlgorithm, "PS": ja.RSAAlgorithm, "ES": ja.ECAlgorithm,
           "Ed": ja.OKPAlgorithm}[alg[:2]]
    jwk = json.loads(cls.to_jwk(public_key))
    if alg[:2] == "ES":  # PyJWT 2.6 drops leading zero bytes of x and y (1 key in 128):
        # RFC 7518 §6.2.1.2 wants the curve's full length, and readers refuse less
        n = (public_key.curve.key_size + 7) // 8
        nums = public_key.public_numbers()
        jwk["x"] = b64url(nums.x.to_bytes(n, "big"))
        jwk["y"] = b64url(nums.y.to_bytes(n, "big"))
    jwk.update(kid=kid, alg=alg, use="sig")
    return jwk


def _new_key(alg):
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    if alg.startswith(("RS", "PS")):
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if alg.startswith("ES"):
        curve = {"ES256": ec.SECP256R1, "ES384": ec.SECP384R1, "ES512": ec.SECP521R1}[alg]
        return ec.generate_private_key(curve())
    if alg == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError(f"unsupported alg {alg}")


class _StubKey:
    def __init__(self, alg):
        self.alg = alg
        self.kid = f"stub-{alg.lower()}-{secrets.token_hex(4)}"
        self.private = _new_key(alg)
        self.jwk = _jwk_of(self.private.public_key(), alg, self.kid)


class StubIdp:
    """A scriptable OpenID Provider over HTTPS (ThreadingHTTPServer, one
    thread per connection, so 50+ slow answers run at once).

    Endpoints (name → path): discovery → {issuer}/.well-known/openid-
    configuration, jwks → /jwks, authorize → /authorize, token → /token,
    userinfo → /userinfo. /authorize needs no login: it keeps
    its query (nonce, state, code_challenge, redirect_uri...) under a fresh
    code and redirects back at once with code and state (a test drives it
    with requests, allow_redirects=False). /token checks client
    authentication, the code (single use, same client), redirect_uri and
    the PKCE verifier like an honest IdP, then answers access_token and,
    for the openid scope, an id_token signed with the current key.
    /userinfo wants one of the access tokens it issued.

    Knobs (plain attributes, change them any time):
      delay[endpoint] = seconds       answer only after that long
      hold[endpoint] = Event          answer only once the event is set
      answer[endpoint] = mode         "html" (200 text/html page), "huge"
                                      (2 MiB of valid JSON), "huge_unsized"
                                      (2 MiB, no Content-Length, closed),
                                      "invalid_json", "empty", or
                                      (status, dict|bytes|str) as is
      discovery_overrides = {...}     merged into the discovery document,
                                      e.g. {"token_endpoint": other URL}
      issuer_path = "/x"              the issuer becomes base_url + "/x"
                                      (discovery there; id_token iss too)
      id_token = mode                 "ok", "other_key" (same kid, another
                                      key), "unknown_kid", "hs256" (key:
                                      hs256_secret, default the client
                                      secret), "none" (alg none, empty
                                      signature), "wrong_aud", "wrong_nonce",
                                      "no_nonce", "expired", "wrong_iss",
                                      "garbage" (segments not base64url
                                      JSON), "missing" (no id_token)
      id_token_claims = {...}         merged last into the id_token claims
                                      (a value None removes the claim)
      userinfo_sub = "x"              userinfo's sub differs from the id_token's
      userinfo_doc = {...}            the whole userinfo answer instead
      token_auth = mode               "any" (basic or post), "post_only"
                                      (basic → 401 invalid_client, post ok),
                                      "reject" (always invalid_client)
      token_form = True               token answer form-encoded, not JSON
      token_extra = {...}             merged into the token answer (None removes)
      iss_param = None|True|"url"     add iss= to the authorize redirect
                                      (True: the issuer)
      authorize_error = "code"        redirect back with error= instead
      sub, claims                     the person: sub, and the claims added
                                      to id_token and userinfo
    Observations: counts (Counter by endpoint), received (list of
    StubRequest; received_by(endpoint), last_authorize()), codes ({code:
    the authorize request's query}, until redeemed), token_auth_seen
    ("basic"/"post"/"none" per token request). rotate_key() switches to a
    new key with a new kid. stop() also cuts open connections."""

    def __init__(self, ca, client_id="stub-client", client_secret="stub-secret", alg="RS256",
                 hostname="127.0.0.1"):
        self.ca = ca
        self.client_id = client_id
        self.client_secret = client_secret
        self.hostname = hostname
        self.alg = alg
        self.key = _StubKey(alg)
        self.old_keys = []
        self.sub = "stub-user-1"
        self.claims = {"email": "carol@example.com", "email_verified": True,
                       "given_name": "Carol", "family_name": "Stub", "name": "Carol Stub"}
        self.reset_knobs()
        self.counts = collections.Counter()
        self.received = []
        self.codes = {}
        self.token_auth_seen = []
        self.access_tokens = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = None
        self._thread = None
        self.port = None

    def reset_knobs(self):
        """Every knob back to an honest IdP's behaviour."""
        self.delay = {}
        self.hold = {}
        self.answer = {}
        self.discovery_overrides = {}
        self.issuer_path = ""
        self.id_token = "ok"
        self.id_token_claims = {}
        self.hs256_secret = None
        self.userinfo_sub = None
        self.userinfo_doc = None
        self.token_auth = "any"
        self.token_form = False
        self.token_extra = {}
        self.iss_param = None
        self.authorize_error = None

    # -- life ----------------------------------------------------------------
    def start(self):
        """Listens on a free port of 127.0.0.1. Returns self."""
        self._stopping.clear()
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.ca.cert, self.ca.key)
        self._httpd = _StubServer(("127.0.0.1", 0), _StubHandler, self, ctx)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Stops serving; delayed answers are cut short. Idempotent."""
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd.cut_connections()
            self._httpd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- URLs ----------------------------------------------------------------
    @property
    def base_url(self):
        return f"https://{self.hostname}:{self.port}"

    @property
    def issuer(self):
        return self.base_url + self.issuer_path

    @property
    def discovery_url(self):
        return self.issuer + "/.well-known/openid-configuration"

    @property
    def authorization_endpoint(self):
        return self.base_url + "/authorize"

    @property
    def token_endpoint(self):
        return self.base_url + "/token"

    @property
    def userinfo_endpoint(self):
        return self.base_url + "/userinfo"

    @property
    def jwks_uri(self):
        return self.base_url + "/jwks"

    # -- keys and tokens -----------------------------------------------------
    def rotate_key(self, keep_old=False):
        """A new signing key with a new kid; the JWKS shows the old ones too
        when keep_old. Returns the new kid."""
        with self._lock:
            if keep_old:
                self.old_keys.append(self.key)
            else:
                self.old_keys = []
            self.key = _StubKey(self.alg)
        return self.key.kid

    def jwks(self):
        return {"keys": [self.key.jwk] + [k.jwk for k in self.old_keys]}

    def discovery(self, issuer=None):
        doc = {"issuer": issuer or self.issuer,
               "authorization_endpoint": self.authorization_endpoint,
               "token_endpoint": self.token_endpoint,
               "userinfo_endpoint": self.userinfo_endpoint,
               "jwks_uri": self.jwks_uri,
               "response_types_supported": ["code"],
               "subject_types_supported": ["public"],
               "id_token_signing_alg_values_supported": [self.alg],
               "code_challenge_methods_supported": ["S256"],
               "token_endpoint_auth_methods_supported": ["client_secret_basic",
                                                         "client_secret_post"],
               "authorization_response_iss_parameter_supported": self.iss_param is not None}
        doc.update(self.discovery_overrides)
        return doc

    def id_token_for(self, nonce, mode=None, **overrides):
        """The id_token the token endpoint would answer now for a code
        whose authorization request carried nonce, per the id_token knob
        (or mode). None for mode "missing"."""
        import jwt

        mode = mode or self.id_token
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": self.sub, "aud": self.client_id,
                  "iat": now, "exp": now + 300, "nonce": nonce, **self.claims}
        claims.update({"wrong_aud": {"aud": "someone-else"},
                       "wrong_nonce": {"nonce": "not-the-nonce"},
                       "no_nonce": {"nonce": None},
                       "expired": {"iat": now - 7200, "exp": now - 3600},
                       "wrong_iss": {"iss": self.base_url + "/not-the-issuer"}}.get(mode, {}))
        claims.update(self.id_token_claims)
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        if mode == "missing":
            return None
        if mode == "garbage":
            return "eyJ!!!." + b64url("{not json") + ".%%%"
        if mode == "none":
            return b64url(json.dumps({"alg": "none", "typ": "JWT"})) + "." + \
                b64url(json.dumps(claims)) + "."
        if mode == "hs256":
            secret = self.hs256_secret if self.hs256_secret is not None else self.client_secret
            return jwt.encode(claims, secret, algorithm="HS256", headers={"kid": self.key.kid})
        key, kid = self.key.private, self.key.kid
        if mode == "other_key":
            key = _new_key(self.alg)
        elif mode == "unknown_kid":
            key, kid = _new_key(self.alg), "stub-unknown-" + secrets.token_hex(4)
        return jwt.encode(claims, key, algorithm=self.alg, headers={"kid": kid})

    def last_authorize(self):
        """The query of the most recent /authorize request (or None)."""
        reqs = self.received_by("authorize")
        return reqs[-1].query if reqs else None

    def received_by(self, endpoint):
        """The StubRequests an endpoint received, oldest first."""
        with self._lock:
            return [r for r in self.received if r.endpoint == endpoint]

    def _record(self, rec):
        with self._lock:
            self.counts[rec.endpoint] += 1
            self.received.append(rec)

    def wait(self, seconds):
        """Sleeps, cut short by stop(); True when cut short."""
        return self._stopping.wait(seconds)

    def wait_for(self, event):
        """Waits for event, cut short by stop(); True when cut short."""
        while not event.wait(0.05):
            if self._stopping.is_set():
                return True
        return False


class _StubServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 256

    def __init__(self, addr, handler, stub, ctx):
        self.stub = stub
        self.ctx = ctx
        self.live = set()
        self.live_lock = threading.Lock()
        super().__init__(addr, handler)

    def cut_connections(self):
        with self.live_lock:
            for sock in self.live:
                try:
                    sock.shutdown(2)  # SHUT_RDWR
                except OSError:
                    pass

    def finish_request(self, request, client_address):
        # The TLS handshake runs in the connection's own thread, so a slow or
        # silent client never holds up accept().
        request.settimeout(30)
        with self.live_lock:
            self.live.add(request)
        try:
            tls = self.ctx.wrap_socket(request, server_side=True)
            try:
                super().finish_request(tls, client_address)
            finally:
                tls.close()
        except OSError:
            pass
        finally:
            with self.live_lock:
                self.live.discard(request)

    def handle_error(self, request, client_address):
        pass  # clients that hang up mid-answer are part of the tests


class _StubHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "StubIdp"
    sys_version = ""

    def log_message(self, *args):
        pass

    @property
    def stub(self):
        return self.server.stub

    def _endpoint(self, path):
        if path.endswith("/.well-known/openid-configuration"):
            return "discovery"
        return {"/jwks": "jwks", "/authorize": "authorize", "/token": "token",
                "/userinfo": "userinfo"}.get(path, "other")

    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        self._serve("POST")

    def _serve(self, method):
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length > 1 << 20:
            self.close_connection = True  # the rest stays unread
        body = self.rfile.read(min(length, 1 << 20)) if length else b""
        ep = self._endpoint(parts.path)
        rec = StubRequest(ep, method, self.path, query_of(self.path),
                          {k.lower(): v for k, v in self.headers.items()}, body)
        stub = self.stub
        stub._record(rec)
        if stub.delay.get(ep) and stub.wait(stub.delay[ep]):
            self.close_connection = True
            return
        if ep in stub.hold and stub.wait_for(stub.hold[ep]):
            self.close_connection = True
            return
        mode = stub.answer.get(ep)
        if mode is not None:
            return self._canned(mode)
        if ep == "discovery":
            prefix = parts.path[:-len("/.well-known/openid-configuration")]
            return self._json(200, stub.discovery(stub.base_url + prefix))
        if ep == "jwks":
            return self._json(200, stub.jwks())
        if ep == "authorize":
            return self._authorize(rec)
        if ep == "token" and method == "POST":
            return self._token(rec)
        if ep == "userinfo":
            return self._userinfo(rec)
        return self._json(404, {"error": "not_found"})

    # -- answers -------------------------------------------------------------
    def _send(self, status, body, ctype, headers=None, sized=True):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Cache-Control", "no-store")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if sized:
            self.send_header("Content-Length", str(len(body)))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            self.close_connection = True

    def _json(self, status, obj, headers=None):
        self._send(status, json.dumps(obj).encode(), "application/json", headers)

    def _canned(self, mode):
        huge = json.dumps({"padding": "x" * (2 << 20)}).encode()
        if mode == "html":
            return self._send(200, b"<!doctype html><html><body><h1>Sign in</h1>"
                              b"<script>alert(1)</script></body></html>", "text/html")
        if mode == "huge":
            return self._send(200, huge, "application/json")
        if mode == "huge_unsized":
            return self._send(200, huge, "application/json", sized=False)
        if mode == "invalid_json":
            return self._send(200, b'{"access_token": "abc", "token_type": ', "application/json")
        if mode == "empty":
            return self._send(200, b"", "application/json")
        status, body = mode
        if isinstance(body, (dict, list)):
            return self._json(status, body)
        return self._send(status, body.encode() if isinstance(body, str) else body,
                          "application/json")

    def _authorize(self, rec):
        q, stub = rec.query, self.stub
        back = q.get("redirect_uri")
        if not back:
            return self._json(400, {"error": "invalid_request",
                                    "error_description": "no redirect_uri"})
        out = {}
        if stub.authorize_error:
            out["error"] = stub.authorize_error
        elif q.get("response_type") != "code" or q.get("code_challenge_method") != "S256":
            out["error"] = "invalid_request"
        else:
            code = secrets.token_urlsafe(24)
            with stub._lock:
                stub.codes[code] = dict(q)
            out["code"] = code
        if "state" in q:
            out["state"] = q["state"]
        if stub.iss_param is not None:
            out["iss"] = stub.issuer if stub.iss_param is True else stub.iss_param
        self._send(302, b"", "text/plain", {"Location": with_query(back, **out)})

    def _client_auth(self, form):
        """("basic"|"post"|"none", client_id, secret) of a token request."""
        h = self.headers.get("Authorization", "")
        if h.startswith("Basic "):
            from urllib.parse import unquote_plus
            try:
                raw = base64.b64decode(h[6:], validate=True).decode()
                cid, _, secret = raw.partition(":")
                return "basic", unquote_plus(cid), unquote_plus(secret)
            except ValueError:
                return "basic", None, None
        if "client_secret" in form:
            return "post", form.get("client_id"), form["client_secret"]
        return "none", form.get("client_id"), None

    def _token(self, rec):
        stub = self.stub
        form = {k: v[0] for k, v in parse_qs(rec.body.decode(errors="replace"),
                                             keep_blank_values=True).items()}
        how, cid, secret = self._client_auth(form)
        with stub._lock:
            stub.token_auth_seen.append(how)
        bad_client = (cid != stub.client_id or secret != stub.client_secret or how == "none"
                      or stub.token_auth == "reject"
                      or (stub.token_auth == "post_only" and how == "basic"))
        if bad_client:
            return self._json(401, {"error": "invalid_client"},
                              {"WWW-Authenticate": 'Basic realm="stub"'})
        with stub._lock:
            grant = stub.codes.pop(form.get("code", ""), None)
        challenge = b64url(hashlib.sha256(form.get("code_verifier", "").encode()).digest())
        if (form.get("grant_type") != "authorization_code" or grant is None
                or grant.get("client_id") != cid
                or form.get("redirect_uri") != grant.get("redirect_uri")
                or challenge != grant.get("code_challenge")):
            return self._json(400, {"error": "invalid_grant"})
        access = secrets.token_urlsafe(32)
        with stub._lock:
            stub.access_tokens[access] = grant
        out = {"access_token": access, "token_type": "Bearer", "expires_in": 3600,
               "scope": grant.get("scope", "")}
        idt = stub.id_token_for(grant.get("nonce"))
        if idt is not None and "openid" in grant.get("scope", "").split():
            out["id_token"] = idt
        out.update(stub.token_extra)
        out = {k: v for k, v in out.items() if v is not None}
        if stub.token_form:
            return self._send(200, urlencode(out).encode(), "application/x-www-form-urlencoded")
        return self._json(200, out)

    def _userinfo(self, rec):
        stub = self.stub
        h = rec.headers.get("authorization", "")
        if not h.startswith("Bearer ") or h[7:] not in stub.access_tokens:
            return self._json(401, {"error": "invalid_token"},
                              {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        if stub.userinfo_doc is not None:
            return self._json(200, stub.userinfo_doc)
        return self._json(200, {"sub": stub.userinfo_sub or stub.sub, **stub.claims})


# --------------------------------------------------------------------------
# (e) the browser

def browser_missing():
    """Why Browser cannot start here (chromium, chromedriver or selenium
    missing), or None."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            return f"{path} is not installed (scripts/install-deps installs it)"
    if importlib.util.find_spec("selenium") is None:
        return "python3-selenium is not installed (scripts/install-deps installs it)"
    return None


class Browser:
    """Headless Debian chromium driven by selenium, with a throwaway
    profile, HOME and XDG directories (removed on quit). It accepts any
    TLS certificate (--ignore-certificate-errors): what it talks to are
    this machine's test IdPs, and the certificate checks under test are
    socialgate's own, not the browser's.

        with Browser() as b:
            b.get(url); b.wait_url(lambda u: "/done" in u); b.driver...

    driver: the selenium WebDriver, for anything not wrapped here."""

    def __init__(self, timeout=15.0):
        self.timeout = timeout
        self.driver = None
        self.home = None

    def start(self):
        """Launches chromedriver and chromium. Returns self."""
        why = browser_missing()
        if why:
            raise RuntimeError(f"cannot start the browser: {why}")
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        self.home = tempfile.mkdtemp(prefix="browser-")
        env = {"HOME": self.home, "XDG_CONFIG_HOME": self.home + "/config",
               "XDG_CACHE_HOME": self.home + "/cache", "XDG_DATA_HOME": self.home + "/data"}
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                  "--ignore-certificate-errors", "--no-first-run", "--disable-gpu",
                  "--disable-extensions", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--window-size=1024,768",
                  # Names other than the loopback ones resolve to nothing, so
                  # a page's third-party fonts or scripts never leave the host.
                  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, "
                  "EXCLUDE *.localhost, EXCLUDE 127.0.0.1",
                  f"--user-data-dir={self.home}/profile"):
            opts.add_argument(a)
        service = Service(CHROMEDRIVER, env={**os.environ, **env},
                          popen_kw={"start_new_session": True})
        try:
            self.driver = webdriver.Chrome(service=service, options=opts)
        except BaseException:
            if getattr(service, "process", None) is not None:
                _kill_group(service.process)
            self.quit()
            raise
        self.driver.set_page_load_timeout(self.timeout)
        self._finalizer = weakref.finalize(self, _quit_driver, self.driver, self.home)
        return self

    def quit(self):
        """Closes the browser and its driver and removes the profile. Idempotent."""
        if self.driver is not None:
            self._finalizer.detach()
            _quit_driver(self.driver, self.home)
            self.driver = None
        elif self.home:
            shutil.rmtree(self.home, ignore_errors=True)
        self.home = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.quit()

    @property
    def url(self):
        return self.driver.current_url

    @property
    def page(self):
        return self.driver.page_source

    def get(self, url):
        self.driver.get(url)
        return self

    def wait_url(self, pred, timeout=None):
        """Waits until pred(current URL) (or, for a str, until the URL
        contains it); returns the URL."""
        from selenium.webdriver.support.ui import WebDriverWait

        test = (lambda u: pred in u) if isinstance(pred, str) else pred
        WebDriverWait(self.driver, timeout or self.timeout).until(lambda d: test(d.current_url))
        return self.driver.current_url

    def wait_for(self, css, timeout=None):
        """Waits for an element matching the CSS selector; returns it."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as EC
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, timeout or self.timeout).until(
            EC.presence_of_element_located((By.CSS_SELECTOR, css)))

    def oidc_login(self, idp_origin, user="alice", password="x", timeout=None):
        """Answers oidc-provider's login and consent pages as a person
        would, as long as the browser is on idp_origin (the issuer), and
        returns the first URL off it."""
        from selenium.common.exceptions import StaleElementReferenceException
        from selenium.webdriver.common.by import By

        deadline = time.monotonic() + (timeout or self.timeout)
        while time.monotonic() < deadline:
            if not self.url.startswith(idp_origin):
                return self.url
            try:
                prompts = self.driver.find_elements(By.CSS_SELECTOR, "input[name=prompt]")
                if not prompts:
                    time.sleep(0.05)
                    continue
                page = self.url
                form = prompts[0].find_element(By.XPATH, "./ancestor::form")
                if prompts[0].get_attribute("value") == "login":
                    form.find_element(By.NAME, "login").send_keys(user)
                    form.find_element(By.NAME, "password").send_keys(password)
                form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
                self.wait_url(lambda u: u != page, max(deadline - time.monotonic(), 0.1))
            except StaleElementReferenceException:
                continue
        raise LoginError(f"still on the IdP after the timeout: {self.url}")


def _quit_driver(driver, home):
    try:
        driver.quit()
    except Exception:  # noqa: BLE001 - the browser may be gone already
        pass
    finally:
        # chromedriver leads its own process group (start_new_session):
        # whatever of it and its browser outlived quit() goes with it.
        proc = getattr(getattr(driver, "service", None), "process", None)
        if proc is not None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            proc.poll()
        if home:
            shutil.rmtree(home, ignore_errors=True)
