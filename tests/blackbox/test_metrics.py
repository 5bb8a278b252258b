# SPDX-License-Identifier: MIT
# GET /metrics on the metrics listener (--metrics-listen): the Prometheus
# text format as promtool checks it, on a live server's output; the
# counters move by exactly what the requests made did; no id or secret
# appears in it; and the API's own listener does not serve it.

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from conftest import (REPO_ROOT, EngageGate, HTTP_TIMEOUT, PUBLIC_URL, REALM, free_port,
                      init_with)
from idp_harness import StubIdp
from signin_world import World

SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
TOKEN = ("POST", "/{c}/login/token")
PROVIDERS = ("POST", "/{c}/v2/config/low/services/engage-v2/apps/{app}/custom-providers")


def oidc_provider():
    return {
        "title": "Metrics OIDC",
        "protocol": "openidconnect",
        "auth_url": "https://idp.example.test/authorize",
        "token_url": "https://idp.example.test/token",
        "client_id": "rp-client-metrics",
        "client_secret": "rp-metrics-secret-Zq81",
        "scopes": ["openid"],
    }


def parse(text):
    """{(name, ((label, value), ...)): float} of every sample line."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE_RE.match(line)
        assert m, f"not a sample line: {line!r}"
        labels = tuple(sorted(LABEL_RE.findall(m.group(2) or "")))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def val(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def requests_of(samples, route, code):
    method, pattern = route
    return val(samples, "socialgate_http_requests_total", method=method, route=pattern, code=code)


class Metered:
    """A customer with one app, served with a metrics listener of its own."""

    def __init__(self, servers, issued):
        db = servers.new_db()
        self.info = init_with(servers, db, "--realm", REALM)
        self.port = free_port()
        srv = servers.server(db, public_url=PUBLIC_URL,
                             args=("--metrics-listen", f"127.0.0.1:{self.port}"))
        self.gate = EngageGate(srv, self.info, issued)
        self.url = f"http://127.0.0.1:{self.port}/metrics"

    def scrape_text(self):
        r = requests.get(self.url, timeout=HTTP_TIMEOUT)
        assert r.status_code == 200, r.text
        assert r.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
        return r.text

    def scrape(self):
        return parse(self.scrape_text())


@pytest.fixture
def metered(servers, issued):
    return Metered(servers, issued)


def test_counters_move_by_what_the_requests_did(metered):
    g = metered.gate
    before = metered.scrape()
    tok = g.token()  # one token issued
    bad = g.post_token(auth=(g.client_id, "not-the-secret"))
    assert bad.status_code == 401
    assert g.http.get(g.server.url + "/no/such/route", timeout=HTTP_TIMEOUT).status_code == 404
    created = g.call("POST", g.plist(), token=tok, json=oidc_provider())
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    # a callback whose state names no flow: the error page, counted as a sign-in
    cb = g.http.get(f"{g.server.url}/{g.customer_id}.{pid}/callback?state=nonsense&code=x",
                    timeout=HTTP_TIMEOUT)
    assert cb.status_code == 400, cb.text
    after = metered.scrape()

    def moved(name, **labels):
        return val(after, name, **labels) - val(before, name, **labels)

    assert moved("socialgate_tokens_issued_total") == 1
    assert moved("socialgate_client_auth_failures_total") == 1
    assert requests_of(after, TOKEN, "2xx") - requests_of(before, TOKEN, "2xx") == 1
    assert requests_of(after, TOKEN, "4xx") - requests_of(before, TOKEN, "4xx") == 1
    assert requests_of(after, ("-", "-"), "4xx") - requests_of(before, ("-", "-"), "4xx") == 1
    assert requests_of(after, PROVIDERS, "2xx") - requests_of(before, PROVIDERS, "2xx") == 1
    assert moved("socialgate_http_request_duration_seconds_count",
                 method="POST", route="/{c}/login/token") == 2
    assert moved("socialgate_http_request_duration_seconds_bucket",
                 method="POST", route="/{c}/login/token", le="+Inf") == 2
    assert moved("socialgate_sign_ins_total", protocol="unknown", outcome="error_page",
                 check="flow unknown or used") == 1
    # the provider's write went through group commit: one batch at least
    assert moved("socialgate_write_batch_size_count") >= 1
    assert moved("socialgate_write_batch_size_sum") >= 1
    assert moved("socialgate_write_commit_duration_seconds_count") >= 1
    # the token and bearer checks read clients through the cache
    assert moved("socialgate_cache_hits_total") + moved("socialgate_cache_misses_total") >= 2
    # the session's keep-alive connection is open while we scrape
    assert val(after, "socialgate_open_connections") >= 1
    for proto in ("openidconnect", "oauth2", "saml2"):
        assert ("socialgate_sign_ins_total",
                (("check", "none"), ("outcome", "ok"), ("protocol", proto))) in after


def test_limiter_trips_are_counted(metered):
    g = metered.gate
    before = metered.scrape()
    codes = [g.post_token(auth=(g.client_id, "wrong")).status_code for _ in range(21)]
    assert codes == [401] * 20 + [429], codes
    after = metered.scrape()
    assert (val(after, "socialgate_limiter_trips_total", limiter="client_auth")
            - val(before, "socialgate_limiter_trips_total", limiter="client_auth")) == 1
    assert (val(after, "socialgate_client_auth_failures_total")
            - val(before, "socialgate_client_auth_failures_total")) == 20


def test_output_passes_promtool(metered):
    promtool = shutil.which("promtool")
    if not promtool:
        pytest.skip("promtool (Debian package prometheus) is not installed")
    g = metered.gate
    g.token()
    g.post_token(auth=(g.client_id, "not-the-secret"))
    text = metered.scrape_text()
    p = subprocess.run([promtool, "check", "metrics"], input=text.encode(), capture_output=True,
                       timeout=60)
    assert p.returncode == 0, (p.stdout + p.stderr).decode(errors="replace")


def test_no_id_or_secret_is_a_label(metered):
    g = metered.gate
    tok = g.token()
    created = g.call("POST", g.plist(), token=tok, json=oidc_provider())
    assert created.status_code == 201, created.text
    g.call("GET", g.ppath(created.json()["id"]), token=tok)
    text = metered.scrape_text()
    secrets = [g.customer_id, g.client_id, g.client_secret, g.info["api_key"], g.app_id,
               g.policy_id, created.json()["id"], tok, "rp-client-metrics",
               "rp-metrics-secret-Zq81"]
    for s in secrets:
        assert s not in text, f"{s[:8]}... appears in /metrics"


def test_metrics_only_on_the_metrics_listener(metered):
    g = metered.gate
    r = g.http.get(g.server.url + "/metrics", timeout=HTTP_TIMEOUT)
    assert r.status_code == 404
    assert "socialgate_" not in r.text
    other = requests.get(f"http://127.0.0.1:{metered.port}/", timeout=HTTP_TIMEOUT)
    assert other.status_code == 404
    head = requests.head(metered.url, timeout=HTTP_TIMEOUT)
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["Content-Length"]) > 1000
    post = requests.post(metered.url, data="x", timeout=HTTP_TIMEOUT)
    assert post.status_code == 405
    assert post.headers["Allow"] == "GET, HEAD"
    # a loopback listener starts without a warning (libmicrohttpd printed
    # one when its logger was not the first option)
    assert not [l for l in g.server.log_tail(20000).splitlines() if " warn " in l]


def test_a_bad_metrics_address_stops_serve(servers):
    db = servers.new_db()
    servers.init(db)
    p = servers.run("serve", "--db", db, "--listen", f"127.0.0.1:{free_port()}",
                    "--metrics-listen", "127.0.0.1:99999")
    assert p.returncode == 2, p.stderr
    assert b"metrics-listen" in p.stderr


def listening_ports(pid):
    """The TCP ports process pid listens on (from /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            f = line.split()
            if f[3] == "0A" and f[9] in inodes:  # LISTEN
                ports.add(int(f[1].rsplit(":", 1)[1], 16))
    return ports


def test_metrics_listener_can_be_off(servers, metered):
    assert listening_ports(metered.gate.server.proc.pid) == {metered.gate.server.port,
                                                             metered.port}
    db = servers.new_db()
    servers.init(db)
    srv = servers.server(db, args=("--metrics-listen", "off"))
    assert listening_ports(srv.proc.pid) == {srv.port}


def test_sign_ins_are_counted_by_protocol_outcome_and_check(servers, issued, tmp_path):
    """Against the stub IdP: one sign-in that succeeds and one whose
    id_token carries the wrong nonce, counted under the protocol (never the
    provider's id) with the check that failed."""
    port = free_port()
    world = World(servers, issued, tmp_path,
                  env={"SOCIALGATE_METRICS_LISTEN": f"127.0.0.1:{port}"})
    url = f"http://127.0.0.1:{port}/metrics"

    def scrape():
        r = requests.get(url, timeout=HTTP_TIMEOUT)
        assert r.status_code == 200
        return r.text

    with StubIdp(world.ca) as stub:
        world.issued.add(stub.client_secret)
        pid, _ = world.stub_provider(stub)
        before = parse(scrape())
        world.token_of(world.stub_sign_in(stub, pid))
        stub.id_token = "wrong_nonce"
        assert world.error_of(world.stub_sign_in(stub, pid)) == "login_failed"
        text = scrape()
    after = parse(text)

    def moved(**labels):
        return (val(after, "socialgate_sign_ins_total", **labels)
                - val(before, "socialgate_sign_ins_total", **labels))

    assert moved(protocol="openidconnect", outcome="ok", check="none") == 1
    assert moved(protocol="openidconnect", outcome="login_failed", check="nonce") == 1
    assert pid not in text and world.cid not in text and world.app not in text


# The places a failed check is named in the sources: idp_run_fail's literal,
# an assignment to a check, saml's fail(), a check function's return, and the
# callback's own fail_to_site/fail_here.
CHECK_SITES = [
    r'idp_run_fail\(r,\s*\w+,\s*"([^"]+)"\)', r'check = "([^"]+)"', r'fail\(v, "([^"]+)"\)',
    r'return "([a-z][^"]*)";', r'fail_to_site\(cb,[^;]*?"([^"]+)"\);',
    r'fail_here\(cb,[^;]*?"([^"]+)"\);', r'\? "([^"]+)"\s*:\s*"([^"]+)"\)',
    r'res\.check : "([^"]+)"',
]


def test_every_check_the_sources_name_has_its_label():
    """signin_checks (the check label's values) keeps in step with the
    checks idp/, saml/ and the callback name: a check left out would be
    counted as "other"."""
    src = REPO_ROOT / "src"
    table = (src / "signin" / "callback.c").read_text()
    m = re.search(r"signin_checks\[\] = \{(.*?)\};", table, re.S)
    assert m, "no signin_checks table in src/signin/callback.c"
    listed = set(re.findall(r'"([^"]+)"', m.group(1)))
    named = set()
    files = sorted((src / "idp").glob("*.c")) + sorted((src / "saml").glob("*.c"))
    for f in files + [src / "signin" / "callback.c"]:
        text = f.read_text()
        for pattern in CHECK_SITES:
            for groups in re.findall(pattern, text, re.S):
                named.update(g for g in ([groups] if isinstance(groups, str) else groups) if g)
    named -= {"true", "false"}  # profile.c's JSON text of a boolean, not a check
    assert len(named) > 60, sorted(named)
    assert named <= listed, sorted(named - listed)
