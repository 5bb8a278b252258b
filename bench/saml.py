# SPDX-License-Identifier: MIT
"""The SAML 2.0 part of `make bench` (SPEC §7), imported by bench/run: what
socialgate's callback costs per verified response.

The identity provider is the black-box tests' samlify IdP
(tests/idp/saml-idp.js, started by tests/blackbox/saml_harness.py's
SamlifyIdp over HTTPS with a throwaway CA), signing the assertion with
RSA-SHA256 as the tests' default. It knows socialgate's SP from the
provider's /metadata, as a real IdP is configured. One phase at a time,
each with socialgate otherwise idle:

  1. starts: GET /{c}.{p}/start for every flow (302 to the IdP with a
     deflated AuthnRequest): socialgate's CPU measured around this phase;
  2. signing: each flow's redirect followed to the IdP, which answers the
     HTTP-POST page with the signed response for that flow (its
     InResponseTo, a fresh assertion id): the client's cost, not measured,
     socialgate takes no part in it;
  3. callbacks: every page's form (SAMLResponse, RelayState) POSTed to
     socialgate's callback: socialgate's CPU measured around this phase
     alone, each answer checked for the auto-POST page with a token.

A few flows go through all three first, discarded (the first callback
parses the pinned certificate's key, then cached). Standard library only
here; the IdP needs node, tests/idp/node_modules (samlify) and what
saml_harness.py imports (python3-requests, -pysaml2, xmlsec1): without
them the part is skipped with the reason.
"""

import http.client
import math
import re
import ssl
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import signin

HERE = Path(__file__).resolve().parent
BLACKBOX = HERE.parent / "tests" / "blackbox"
SIGN = "assertion"  # what the IdP signs: the tests' default, most IdPs' too
THREADS = 8  # callbacks (and starts, and signings) at a time, one keep-alive connection each
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
ERROR_RE = re.compile(r'name="(error(?:_description)?)" value="([^"]*)"')


class Idp:
    """The samlify IdP for the bench. start() sets idp (a started
    SamlifyIdp) or why (it cannot run here); stop() may be called on any
    path, twice included."""

    def __init__(self, workdir):
        self.workdir = Path(workdir)
        self.idp = self.ca = self.why = None

    def start(self):
        try:
            if str(BLACKBOX) not in sys.path:
                sys.path.insert(0, str(BLACKBOX))
            from idp_harness import make_ca
            from saml_harness import SamlifyIdp
        except ImportError as e:  # python3-requests, the black-box tests' need
            self.why = f"the SAML IdP harness cannot be imported ({e})"
            return self
        try:
            self.ca = make_ca(self.workdir / "saml-ca")
            self.idp = SamlifyIdp(self.ca, sign=SIGN).start()
        except (OSError, RuntimeError) as e:
            self.stop()
            self.why = str(e).splitlines()[0]
        return self

    def stop(self):
        idp, self.idp = self.idp, None
        if idp is not None:
            idp.stop()

    def provider(self):
        """The saml2 custom provider (SPEC §5) at this IdP, mapped as the
        black-box tests map samlify's attributes."""
        return {"title": "Bench SAML IdP", "protocol": "saml2", "auth_url": self.idp.sso_url,
                "idp_certificate": self.idp.certificate,
                "attribute_map": {"/email": "/email", "/name/givenName": "/givenName",
                                  "/name/familyName": "/surname"}}


@dataclass
class SamlRun:
    """Verified SAML responses: starts, then signed responses, then callbacks."""
    count: int  # flows measured
    warmup: int
    threads: int = THREADS
    started: int = 0
    completed: int = 0  # callbacks answered with the site's page and a token
    failed: int = 0  # starts, signings or callbacks that went wrong
    failures: list = field(default_factory=list)  # the first few, as text
    start_seconds: float = 0.0
    start_cpu_us: float = 0.0  # socialgate's CPU per start
    sign_seconds: float = 0.0
    seconds: float = 0.0  # the callback phase
    cpu_us: float = 0.0  # socialgate's CPU per verified response
    callback_ms: list = field(default_factory=list)

    @property
    def ok(self):
        return self.count > 0 and self.completed == self.count and not self.failed

    def percentile(self, q):
        v = sorted(self.callback_ms)
        if not v:
            return 0.0
        return v[min(len(v) - 1, max(0, math.ceil(q / 100 * len(v)) - 1))]

    def fail(self, why):
        self.failed += 1
        if len(self.failures) < 5:
            self.failures.append(why)

    def to_json(self):
        return {"threads": self.threads, "warmup": self.warmup, "count": self.count,
                "started": self.started, "completed": self.completed, "failed": self.failed,
                "start_seconds": self.start_seconds, "start_cpu_us": self.start_cpu_us,
                "sign_seconds": self.sign_seconds, "seconds": self.seconds,
                "cpu_us": self.cpu_us, "callback_p50_ms": self.percentile(50),
                "callback_p99_ms": self.percentile(99), "sign": SIGN,
                "failures": self.failures}


def _parallel(items, connect, work, threads=THREADS):
    """work(conn, item) for every item, in `threads` threads, each with a
    connection of its own from connect() (kept alive, made again after an
    error). Returns [(result, None) or (None, why)] in the items' order.
    When the wait is interrupted (^C, SIGTERM), the threads stop after the
    request in hand, so the servers can be stopped under them quietly."""
    out, lock, nxt, stop = [None] * len(items), threading.Lock(), [0], threading.Event()

    def worker():
        conn = connect()
        try:
            while True:
                with lock:
                    i = nxt[0]
                    nxt[0] += 1
                if i >= len(items) or stop.is_set():
                    return
                try:
                    out[i] = work(conn, items[i])
                except (OSError, http.client.HTTPException) as e:
                    out[i] = (None, f"{type(e).__name__}: {e}")
                    conn.close()
                    conn = connect()
        finally:
            conn.close()

    ws = [threading.Thread(target=worker, daemon=True) for _ in range(min(threads, len(items)))]
    for w in ws:
        w.start()
    try:
        for w in ws:
            w.join()
    except BaseException:
        stop.set()
        raise
    return out


def _start(sso):
    def work(conn, path):
        conn.request("GET", path)
        r = conn.getresponse()
        r.read()
        loc = r.getheader("Location", "")
        if r.status != 302 or not loc.startswith(sso + "?"):
            return None, f"start answered {r.status} to {loc[:60]!r}"
        return urlsplit(loc)._replace(scheme="", netloc="").geturl(), None
    return work


def _sign(callback_path):
    from idp_harness import parse_forms  # importable: Idp.start imported its module

    def work(conn, path):
        conn.request("GET", path)
        r = conn.getresponse()
        page = r.read().decode(errors="replace")
        forms = parse_forms(page) if r.status == 200 else []
        if len(forms) != 1 or "SAMLResponse" not in forms[0].fields:
            return None, f"the IdP's /sso answered {r.status}: {page[:200]!r}"
        if urlsplit(forms[0].action).path != callback_path:
            return None, f"the IdP posts to {forms[0].action!r}"
        return urlencode(forms[0].fields), None
    return work


def _callback(path):
    def work(conn, body):
        t0 = time.perf_counter()
        conn.request("POST", path, body=body, headers=FORM)
        r = conn.getresponse()
        page = r.read().decode(errors="replace")
        dt = time.perf_counter() - t0
        if r.status == 200 and signin.TOKEN_RE.search(page) and 'name="error"' not in page:
            return dt, None
        errors = "; ".join(f"{k}={v}" for k, v in ERROR_RE.findall(page))
        return None, f"callback answered {r.status}: {errors or repr(page[:200])}"
    return work


def _flows(server, idp, cid, pid, n, run, measure):
    """n flows through starts and signing: their callback bodies (None for a
    flow that failed, counted in run). measure: socialgate's CPU around the
    starts goes into run."""
    sg = lambda: http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)  # noqa: E731
    ctx, port = ssl.create_default_context(cafile=idp.ca.ca), idp.idp.port
    to_idp = lambda: http.client.HTTPSConnection("127.0.0.1", port,  # noqa: E731
                                                 context=ctx, timeout=30)
    c0, t0 = server.cpu(), time.monotonic()
    starts = _parallel([signin.start_path(cid, pid)] * n, sg, _start(idp.idp.sso_url))
    if measure:
        run.start_seconds = time.monotonic() - t0
        run.started = sum(1 for x, _ in starts if x)
        run.start_cpu_us = (server.cpu() - c0) * 1e6 / run.started if run.started else 0.0
    t0 = time.monotonic()
    paths = [x for x, _ in starts if x]
    signed = iter(_parallel(paths, to_idp, _sign(f"/{cid}.{pid}/callback")))
    if measure:
        run.sign_seconds = time.monotonic() - t0
    bodies = []
    for path, why in starts:
        body, why = next(signed) if path else (None, why)
        if why:
            run.fail(why)
        bodies.append(body)
    return bodies


def callbacks(server, idp, cid, pid, count, warmup=0):
    """The SAML measurement on a running socialgate (bench/run's Server):
    the IdP learns the SP from /metadata, then `warmup` flows go through
    start, signing and callback, discarded (a failure among them is
    counted), then `count` flows the same way, phase by phase, with
    socialgate's CPU read around the starts and around the callbacks."""
    run = SamlRun(count, warmup)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request("GET", f"/{cid}.{pid}/metadata")
        r = conn.getresponse()
        xml = r.read().decode()
    finally:
        conn.close()
    if r.status != 200:
        run.fail(f"metadata answered {r.status}: {xml[:200]!r}")
        return run
    try:
        idp.idp.sp_metadata(xml)
    except (AssertionError, OSError) as e:  # the harness asserts a 204; requests' errors
        run.fail(f"the IdP refused the SP metadata: {str(e).splitlines()[0]}")
        return run
    sg = lambda: http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)  # noqa: E731
    post = _callback(f"/{cid}.{pid}/callback")
    if warmup:
        bodies = [b for b in _flows(server, idp, cid, pid, warmup, run, False) if b]
        for _, why in _parallel(bodies, sg, post):
            if why:
                run.fail(f"warm-up: {why}")
    bodies = [b for b in _flows(server, idp, cid, pid, count, run, True) if b]
    c0, t0 = server.cpu(), time.monotonic()
    answers = _parallel(bodies, sg, post)
    run.seconds = time.monotonic() - t0
    cpu = server.cpu() - c0
    for dt, why in answers:
        if why:
            run.fail(why)
        else:
            run.completed += 1
            run.callback_ms.append(dt * 1000)
    run.cpu_us = cpu * 1e6 / run.completed if run.completed else 0.0
    return run
