# SPDX-License-Identifier: MIT
"""The sign-in runtime's part of `make bench` (SPEC §7), imported by
bench/run: the identity-provider stub's process, the one-time tokens the
auth_info scenario redeems, and the driver of complete sign-ins. Standard
library only; the stub itself (bench/idp-stub) needs what the black-box
tests' StubIdp needs.
"""

import http.client
import json
import math
import re
import ssl
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

HERE = Path(__file__).resolve().parent
STUB = HERE / "idp-stub"
STUB_TIMEOUT = 30.0  # seconds for the stub to make its CA and keys and listen

# The site a sign-in hands its token to: the app's only token_url. Never
# contacted (the hand-over page is read, not followed).
SITE = "https://site.bench.example/after-login"
REALM = "https://login.bench.example"  # the app's realm; the driver uses paths only
TOKEN_TTL = 600  # the app's settings.token_ttl, its maximum: minted tokens live this long
SUBJECT = "bench-user-1"

# auth_info's tokens: enough for a rate of this share of the baseline's
# req/s through every run, above the target of 0.3 (report.py) by more than
# the answers a run leaves in flight, so a run that meets the target never
# runs out. A faster one runs out and reports a lower bound, marked as
# such. (Each share of 0.1 costs about 400,000 tokens, 270 MB of database
# and 8 s of minting in a full run against a 120,000 req/s baseline.)
TOKENS_SHARE = 0.35
TOKEN_RE = re.compile(r'name="token" value="([0-9a-f]{40})"')

# Complete sign-ins: how many at once, in threads of this process.
SIGNIN_THREADS = 8


class SigninError(Exception):
    """The sign-in scenarios cannot go on."""


# --------------------------------------------------------------------------
# The identity provider


class IdpStub:
    """bench/idp-stub in a process of its own. start() returns self with
    info (the READY line's JSON), or sets why (unavailable) and leaves
    info None."""

    def __init__(self, workdir):
        self.workdir = Path(workdir)
        self.proc, self.info, self.why = None, None, None

    def start(self):
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = open(self.workdir / "idp-stub.log", "ab")
        try:
            self.proc = subprocess.Popen(["/usr/bin/python3", str(STUB), str(self.workdir)],
                                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=log)
        finally:
            log.close()
        line = self._first_line()
        if line.startswith("READY "):
            self.info = json.loads(line[len("READY "):])
        else:
            self.stop()
            self.why = line[len("UNAVAILABLE "):] if line.startswith("UNAVAILABLE ") else \
                f"bench/idp-stub did not start (see {self.workdir / 'idp-stub.log'})"
        return self

    def _first_line(self):
        got = []
        reader = threading.Thread(target=lambda: got.append(self.proc.stdout.readline()),
                                  daemon=True)
        reader.start()
        reader.join(STUB_TIMEOUT)
        return got[0].decode(errors="replace").strip() if got else ""

    @property
    def pid(self):
        return self.proc.pid

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.proc = None

    def provider(self):
        """The custom provider (SPEC §5) that signs in at the stub, mapped
        as the black-box tests map it."""
        i = self.info
        return {"title": "Bench IdP", "protocol": "openidconnect",
                "auth_url": i["authorization_endpoint"], "token_url": i["token_endpoint"],
                "client_id": i["client_id"], "client_secret": i["client_secret"],
                "scopes": ["email"],
                "attribute_map": {"/email": "/email", "/name/givenName": "/given_name",
                                  "/name/familyName": "/family_name"}}


# --------------------------------------------------------------------------
# The app and auth_info's tokens

APP_PATCH = {"realm": REALM, "token_urls": [SITE], "settings": {"token_ttl": TOKEN_TTL}}
START_PROVIDER = {  # start never calls out: the URLs are never contacted
    "title": "Bench start", "protocol": "openidconnect",
    "auth_url": "https://idp.bench.example/authorize",
    "token_url": "https://idp.bench.example/token",
    "client_id": "bench-client", "client_secret": "bench-secret", "scopes": ["email"],
}


def start_path(cid, pid):
    return f"/{cid}.{pid}/start?token_url={quote(SITE, safe='')}"


def token_data(cid, pid):
    """What auth_info answers from, as the callback seals it after a
    sign-in at the stub: the answer as sent, a newline, and what
    extended=true adds to it (the id_token's claims)."""
    spec = f"{cid}.{pid}"
    now = int(time.time())
    claims = {"iss": "https://idp.bench.example", "sub": SUBJECT, "aud": "bench-client",
              "iat": now, "exp": now + 300, "nonce": "n" * 43, "email": "carol@example.com",
              "email_verified": True, "given_name": "Carol", "family_name": "Stub",
              "name": "Carol Stub"}
    answer = {"stat": "ok",
              "profile": {"identifier": f"{REALM}/{spec}/id/{SUBJECT}",
                          "providerName": "Bench start", "providerSpecifier": spec,
                          "email": "carol@example.com",
                          "name": {"givenName": "Carol", "familyName": "Stub",
                                   "formatted": "Carol Stub"}}}
    extended = {"oidc": {"iss": claims["iss"], "sub": SUBJECT, "aud": "bench-client",
                         "claims": claims}}
    return compact(answer) + "\n" + compact(extended)[1:-1]


def compact(doc):
    return json.dumps(doc, separators=(",", ":"))


def token_slices(warmup, runs, seconds, rate):
    """1-based (first, last) line ranges of the token file: the warm-up's
    (when warmup > 0), then one per run, each enough for `rate` per second
    plus one per connection in flight at the end."""
    out, first = [], 1
    for s in ([warmup] if warmup else []) + [seconds] * runs:
        n = math.ceil(rate * s) + 64
        out.append((first, first + n - 1))
        first += n
    return out


def mint(mint_bin, db, cid, app, pid, count, out_path):
    """count tokens of app into db (no server may be running on it) with
    bench-mint; their values, one a line, into out_path. Seconds taken."""
    data = Path(out_path).with_suffix(".data")
    data.write_text(token_data(cid, pid))
    t0 = time.monotonic()
    with open(out_path, "w") as out:
        r = subprocess.run([str(mint_bin), "--db", str(db), "--customer", cid, "--app", app,
                            "--provider", pid, "--token-url", SITE, "--ttl", str(TOKEN_TTL),
                            "--count", str(count), "--data", str(data)],
                           stdout=out, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise SigninError(f"bench-mint exited {r.returncode}: {r.stderr.strip()}")
    return time.monotonic() - t0


# --------------------------------------------------------------------------
# Complete sign-ins


@dataclass
class SignIns:
    """Complete sign-ins: start → the stub's /authorize → callback."""
    threads: int
    completed: int = 0
    failed: int = 0
    seconds: float = 0.0
    cpu_us: float = 0.0  # socialgate's CPU per completed sign-in
    callback_ms: list = field(default_factory=list)
    failures: list = field(default_factory=list)  # the first few, as text
    warmup: int = 0

    def percentile(self, q):
        v = sorted(self.callback_ms)
        if not v:
            return 0.0
        return v[min(len(v) - 1, max(0, math.ceil(q / 100 * len(v)) - 1))]

    @property
    def rate(self):
        return self.completed / self.seconds if self.seconds else 0.0

    def to_json(self):
        return {"threads": self.threads, "warmup": self.warmup, "completed": self.completed,
                "failed": self.failed, "seconds": self.seconds, "per_s": self.rate,
                "cpu_us": self.cpu_us, "callback_p50_ms": self.percentile(50),
                "callback_p99_ms": self.percentile(99),
                "callback_median_ms": statistics.median(self.callback_ms)
                if self.callback_ms else 0.0, "failures": self.failures}


class _Client:
    """One thread's keep-alive connections: to socialgate, and over TLS to
    the stub (trusting its CA), as a browser would hold them."""

    def __init__(self, port, stub):
        self.sg = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        idp = urlsplit(stub.info["authorization_endpoint"])
        ctx = ssl.create_default_context(cafile=stub.info["ca"])
        self.idp = http.client.HTTPSConnection(idp.hostname, idp.port, context=ctx, timeout=30)
        self.idp_base = f"{idp.scheme}://{idp.netloc}"

    @staticmethod
    def get(conn, path):
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.getheader("Location", ""), r.read()

    def sign_in(self, start):
        """One sign-in: (callback seconds, None) or (None, why it failed)."""
        status, loc, _ = self.get(self.sg, start)
        if status != 302 or not loc.startswith(self.idp_base + "/"):
            return None, f"start answered {status} to {loc[:60]!r}"
        status, loc, _ = self.get(self.idp, loc[len(self.idp_base):])
        back = urlsplit(loc)
        if status not in (302, 303) or "code=" not in back.query:
            return None, f"the IdP's authorize answered {status}"
        t0 = time.perf_counter()
        status, _, body = self.get(self.sg, f"{back.path}?{back.query}")
        dt = time.perf_counter() - t0
        page = body.decode(errors="replace")
        if status != 200 or not TOKEN_RE.search(page) or 'name="error"' in page:
            return None, f"callback answered {status}: {page[:200]!r}"
        return dt, None

    def close(self):
        self.sg.close()
        self.idp.close()


def _drive(port, stub, start, count, seconds, threads, out):
    """count sign-ins (or as many as `seconds` allow) in `threads` threads,
    into out (a SignIns)."""
    lock, left = threading.Lock(), [count]
    deadline = time.monotonic() + seconds

    def worker():
        c = _Client(port, stub)
        try:
            while time.monotonic() < deadline:
                with lock:
                    if left[0] <= 0:
                        return
                    left[0] -= 1
                try:
                    dt, why = c.sign_in(start)
                except (OSError, http.client.HTTPException) as e:
                    dt, why = None, f"{type(e).__name__}: {e}"
                    c.close()
                    c = _Client(port, stub)
                with lock:
                    if why:
                        out.failed += 1
                        if len(out.failures) < 5:
                            out.failures.append(why)
                    else:
                        out.completed += 1
                        out.callback_ms.append(dt * 1000)
        finally:
            c.close()

    ws = [threading.Thread(target=worker) for _ in range(threads)]
    for w in ws:
        w.start()
    for w in ws:
        w.join()


def sign_ins(server, stub, cid, pid, count, seconds, warmup=0, threads=SIGNIN_THREADS):
    """A discarded warm-up of `warmup` sign-ins (the first one fetches
    discovery and JWKS), then `count` complete sign-ins, or as many as
    `seconds` allow, with socialgate's CPU (server.cpu(), seconds) read
    before and after."""
    start = start_path(cid, pid)
    if warmup:
        w = SignIns(threads)
        _drive(server.port, stub, start, warmup, seconds, threads, w)
        if w.failed or not w.completed:
            raise SigninError(f"warm-up sign-ins: {w.failed} failed, first: "
                              f"{(w.failures or ['none completed'])[0]}")
    res = SignIns(threads, warmup=warmup)
    c0, t0 = server.cpu(), time.monotonic()
    _drive(server.port, stub, start, count, seconds, threads, res)
    res.seconds = time.monotonic() - t0
    cpu = server.cpu() - c0
    res.cpu_us = cpu * 1e6 / res.completed if res.completed else 0.0
    return res
