# SPDX-License-Identifier: MIT
"""Two `serve` instances on one PostgreSQL database behind a real nginx
(Debian's, started unprivileged in the foreground): tokens, the
configuration API, providers and a sign-in through it, state written by one
instance read by the other within 100 ms (SPEC §8: each caches, and
learns of the other's writes by a change notification), and the client
address the brute-force
limiter counts behind the proxy (--trusted-proxy 127.0.0.1).

nginx balances round robin over the two instances (one worker, so the
order is strict) and adds X-Upstream (the instance that answered) to every
answer, so a test can tell which instance served a request. Two more
listeners each reach one instance only ("pinned"): the sign-in is started
through the one to instance 1 and its callback sent through the one to
instance 2, both with nginx's public URL. The configuration is
scripts/nginx-front's, which docs/DEPLOYMENT.md shows (checked below) and
`make bench` measures."""

import contextlib
import importlib.machinery
import importlib.util
import re
import time
import uuid
from pathlib import Path

import pytest
import requests

from conftest import (BEARER_INVALID, MERGE_PATCH, TOKEN_RE, EngageGate, Issued, Servers,
                      apps_path, assert_forbidden)
from idp_harness import StubIdp, make_ca, query_of
from pg_harness import pg_database
from signin_world import SITE, World

NGINX_FRONT = Path(__file__).resolve().parents[2] / "scripts" / "nginx-front"


def _nginx_front():
    """scripts/nginx-front as a module (it has no .py suffix, and its main()
    only runs as a script): the configuration, and nginx run with it."""
    loader = importlib.machinery.SourceFileLoader("nginx_front", str(NGINX_FRONT))
    spec = importlib.util.spec_from_loader("nginx_front", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


front = _nginx_front()
pytestmark = pytest.mark.skipif(front.binary() is None,
                                reason="nginx is not installed (scripts/install-deps installs it)")

FAILURES_ALLOWED = 20  # per (client id, address) and instance: test_bruteforce.py
INSTANCES = 2
VISIBLE_SECONDS = 0.1  # SPEC §8: one instance's write is seen by every other within 100 ms


def within(seconds, fn):
    """Calls fn until it returns a true value, for at most seconds (the
    bound is the test: a cached instance learns of another's write by a
    change notification, a fraction of a millisecond later); returns its
    last value."""
    deadline = time.monotonic() + seconds
    while True:
        v = fn()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(0.002)


class Nginx(front.Nginx):
    """scripts/nginx-front's nginx (the configuration docs/DEPLOYMENT.md
    shows), with pytest's failures: a start that fails fails the test;
    stop() asserts exit 0 and no [alert] or [emerg] in nginx's log."""

    def start(self, upstreams):  # pylint: disable=arguments-differ
        self.upstreams = list(upstreams)
        try:
            return super().start()
        except RuntimeError as e:
            pytest.fail(str(e))

    def stop(self):
        if self.proc is None:
            return
        rc = super().stop()
        log = self.log()
        assert rc is not None, f"nginx did not exit within {front.STOP_SECONDS}s of SIGTERM"
        assert rc == 0, f"nginx exited {rc}:\n{log}"
        assert "[alert]" not in log and "[emerg]" not in log, log


class Front:
    """Where a Gate sends requests: nginx's URL, which is also the public one."""

    def __init__(self, url):
        self.url = url
        self.public_url = url


class Lb:
    """The running set-up: nginx, the instances (conftest Servers) and the
    customer `init` made."""

    def __init__(self, nginx, instances, info, issued, ca):
        self.nginx = nginx
        self.instances = instances
        self.info = info
        self.issued = issued
        self.ca = ca
        self.front = EngageGate(Front(nginx.url), info, issued)
        self.direct = [EngageGate(s, info, issued) for s in instances]

    @property
    def listens(self):
        return {s.listen for s in self.instances}


@pytest.fixture(scope="module")
def lb(sg_bin, tmp_path_factory):
    """A fresh PostgreSQL database (pg_harness), `init` run once, two
    instances on it sharing one key file, and nginx in front. Everything is
    stopped on every way out, a failed start included; the instances must
    exit 0 and their logs hold no secret or token of the module."""
    tmp = tmp_path_factory.mktemp("lb")
    issued = Issued()
    with contextlib.ExitStack() as stack:
        db = stack.enter_context(pg_database("sg_lb"))
        f = Servers(sg_bin, tmp, issued)
        stack.callback(f.close)
        key = tmp / "socialgate.key"
        info = f.init(db, key_file=key)
        ca = make_ca(tmp / "ca")
        nginx = Nginx(tmp / "nginx")
        args = ["--trusted-proxy", "127.0.0.1", "--outbound-ca-file", ca.ca,
                "--allow-private-network"]
        instances = [f.server(db, public_url=nginx.url, key_file=key, args=args)
                     for _ in range(INSTANCES)]
        stack.callback(nginx.stop)
        nginx.start(s.listen for s in instances)
        yield Lb(nginx, instances, info, issued, ca)


def upstream_of(r):
    return r.headers.get("X-Upstream")


def test_token_config_and_providers_through_nginx_reach_both_instances(lb):
    g = lb.front
    seen = set()
    tokens = []
    for _ in range(2 * INSTANCES):
        r = g.post_token(data={"grant_type": "client_credentials", "scope": "*:**"})
        assert r.status_code == 200, r.text
        tokens.append(r.json()["access_token"])
        seen.add(upstream_of(r))
    assert seen == lb.listens  # round robin: each instance issued tokens
    for t in tokens:  # every token is good on every instance
        assert TOKEN_RE.match(t)
        r = g.introspect(t)
        assert r.status_code == 200 and r.json()["active"] is True, r.text
        for d in lb.direct:
            assert d.introspect(t).json()["active"] is True

    g._admin = tokens[0]
    body = {"title": f"LB OIDC {uuid.uuid4().hex[:6]}", "protocol": "openidconnect",
            "auth_url": "https://idp.example.test/authorize",
            "token_url": "https://idp.example.test/token",
            "client_id": "rp-lb", "client_secret": "rp-lb-secret-4Fq9Zt",
            "scopes": ["openid", "email"], "attribute_map": {"/email": "/email"}}
    lb.issued.add(body["client_secret"])
    created = g.create_ok(body)
    assert created["_links"]["self"]["href"].startswith(lb.nginx.url + "/")
    pid = created["id"]
    seen = set()
    for _ in range(INSTANCES):
        r = g.view(pid)
        assert r.status_code == 200 and r.json() == created
        seen.add(upstream_of(r))
    assert seen == lb.listens  # both read the write at once: a new row is in no cache

    # a patch through one instance is what the other serves next
    first, second = lb.direct
    first._admin = second._admin = tokens[1]
    r = first.modify(pid, {"title": "Patched on one"})
    assert r.status_code == 200, r.text
    etag = r.headers["ETag"]
    r = within(VISIBLE_SECONDS,
               lambda: (lambda v: v if v.json().get("title") == "Patched on one" else None)(
                   second.view(pid)))
    assert r is not None, "the patch was not seen on the other instance within 100 ms"
    assert r.status_code == 200 and r.headers["ETag"] == etag
    r = second.modify(pid, {"title": "Patched on two"}, headers={"If-Match": etag})
    assert r.status_code == 200, r.text
    # the first instance's ETag is stale now: no lost update across instances
    r = first.modify(pid, {"title": "Lost"}, headers={"If-Match": etag})
    assert r.status_code == 412, r.text

    seen = set()
    for _ in range(INSTANCES):
        r = g.get(g.plist())
        assert r.status_code == 200, r.text
        seen.add(upstream_of(r))
    assert seen == lb.listens
    for d in lb.direct:  # each instance lists the second patch within the bound
        d._admin = tokens[1]
        r = within(VISIBLE_SECONDS, lambda d=d: (lambda v: v if {
            i["id"]: i["title"] for i in v.json()["_embedded"]["item"]}.get(pid)
            == "Patched on two" else None)(d.get(d.plist())))
        assert r is not None, "the second patch was not listed within 100 ms"


def test_revoked_on_one_instance_is_inactive_on_the_other_within_100ms(lb):
    first, second = lb.direct
    token = first.token("*:**")
    assert second.introspect(token).json()["active"] is True
    assert second.get(apps_path(), token=token).status_code == 200  # "not revoked" cached
    r = first.revoke(token)
    assert r.status_code == 200, r.text
    assert within(VISIBLE_SECONDS,
                  lambda: second.introspect(token).json() == {"active": False}), \
        "the revocation was not seen on the other instance within 100 ms"
    assert_forbidden(second.get(apps_path(), token=token), BEARER_INVALID)
    for _ in range(INSTANCES):  # and through nginx, on either instance
        assert lb.front.introspect(token).json() == {"active": False}


class LbWorld(World):
    """signin_world.World over the load balancer: requests go to nginx
    (whose URL is the app's realm and every instance's --public-url)."""

    def __init__(self, lb):  # pylint: disable=super-init-not-called
        self.ca = lb.ca
        self.server = lb.front.server
        self.gate = lb.front
        self.issued = lb.issued
        self.app = lb.info["app_id"]
        self.api_key = lb.info["api_key"]
        self.cid = self.gate.customer_id
        self.http = requests.Session()
        self.http.trust_env = False
        r = self.gate.call("PATCH", apps_path(self.app), headers={"Content-Type": MERGE_PATCH},
                           json={"realm": self.server.url, "token_urls": [SITE]})
        assert r.status_code == 200, r.text


def test_sign_in_started_on_one_instance_completes_on_the_other(lb):
    world = LbWorld(lb)
    with StubIdp(lb.ca) as stub:
        lb.issued.add(stub.client_secret)
        pid, callback = world.stub_provider(stub)
        assert callback.startswith(lb.nginx.url + "/")
        # the start, through the listener pinned to instance 1
        r = world.http.get(f"{lb.nginx.pinned_url(0)}/{world.cid}.{pid}/start",
                           params={"token_url": SITE}, allow_redirects=False, timeout=15)
        assert r.status_code == 302, r.text
        assert upstream_of(r) == lb.instances[0].listen
        assert r.headers["Location"].startswith(stub.authorization_endpoint)
        lb.issued.add(query_of(r.headers["Location"]).get("state"))
        back = requests.get(r.headers["Location"], verify=lb.ca.ca, allow_redirects=False,
                            timeout=15)
        assert back.status_code in (302, 303), back.text
        lb.issued.add(query_of(back.headers["Location"]).get("code"))
        # the IdP sends the browser to the public callback (nginx); it is
        # sent through the listener pinned to instance 2
        url = back.headers["Location"]
        assert url.startswith(callback + "?"), url
        answer = world.http.get(lb.nginx.pinned_url(1) + url[len(lb.nginx.url):],
                                allow_redirects=False, timeout=30)
        assert upstream_of(answer) == lb.instances[1].listen
        token = world.token_of(answer)
        assert stub.counts["token"] == 1  # instance 2 redeemed the code instance 1 asked for
        for t in stub.access_tokens:
            lb.issued.add(t)
    r = world.auth_info(token)  # through nginx
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["stat"] == "ok", body
    p = body["profile"]
    assert p["providerSpecifier"] == f"{world.cid}.{pid}"
    assert p["identifier"] == f"{lb.nginx.url}/{world.cid}.{pid}/id/{stub.sub}"
    assert p["email"] == "carol@example.com"
    # redeemed once, whichever instance is asked next
    for _ in range(INSTANCES):
        again = world.auth_info(token)
        assert again.status_code == 400 and again.json()["err"]["code"] == 2


def post_token_from(base, client, secret, forwarded_for=None):
    """A token request to base (nginx or an instance) on behalf of a client
    at forwarded_for (sent as X-Forwarded-For; nginx appends 127.0.0.1)."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return requests.post(f"{base}/{client.customer_id}/login/token",
                         data={"grant_type": "client_credentials"}, auth=(client.id, secret),
                         headers=headers, timeout=15)


class Client:
    def __init__(self, customer_id, doc):
        self.customer_id = customer_id
        self.id = doc["id"]
        self.secret = doc["secret"]


def test_the_limiter_counts_the_client_behind_nginx_not_nginx(lb):
    client = Client(lb.front.customer_id, lb.front.create_client())
    lb.issued.add(client.secret)
    attacker, neighbour = "198.51.100.7", "198.51.100.8"
    # Each instance keeps its own count: through round robin the pair is
    # refused once both have seen FAILURES_ALLOWED failures.
    failures, refused = 0, None
    for _ in range(INSTANCES * FAILURES_ALLOWED + 1):
        r = post_token_from(lb.nginx.url, client, "wrong", attacker)
        if r.status_code == 429:
            refused = r
            break
        assert r.status_code == 401 and r.json()["error"] == "invalid_client", r.text
        failures += 1
    assert refused is not None, "the attacker was never limited"
    assert failures == INSTANCES * FAILURES_ALLOWED
    assert refused.json()["error"] == "temporarily_unavailable"
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    # the attacker's address is locked on both instances, right secret or not
    for s in lb.instances:
        r = post_token_from(s.url, client, client.secret, attacker)
        assert r.status_code == 429, r.text
    # the neighbour behind the same nginx is not, on either instance
    seen = set()
    for _ in range(INSTANCES):
        r = post_token_from(lb.nginx.url, client, client.secret, neighbour)
        assert r.status_code == 200, r.text
        lb.issued.add(r.json()["access_token"])
        seen.add(upstream_of(r))
    assert seen == lb.listens
    # nor is nginx's own address (a client that sent no X-Forwarded-For)
    for _ in range(INSTANCES):
        r = post_token_from(lb.nginx.url, client, client.secret)
        assert r.status_code == 200, r.text
        lb.issued.add(r.json()["access_token"])


def test_with_one_instance_stopped_nginx_sends_everything_to_the_other(lb):
    """The last test that uses lb: nginx then leaves the stopped instance out of the
    rotation for fail_timeout (10 s), which the round-robin checks above
    would see. GETs only: nginx retries an idempotent request on the other
    instance when a kept-alive connection to the stopped one fails, never
    a POST it has sent."""
    stopped, other = lb.instances
    lb.front.admin  # pylint: disable=pointless-statement  (fetched while both run)
    rc = stopped.stop()
    assert rc == 0, stopped.log_tail()
    try:
        for _ in range(2 * INSTANCES):
            r = lb.front.get(apps_path())
            assert r.status_code == 200, r.text
            assert upstream_of(r).split(", ")[-1] == other.listen
    finally:
        stopped.start(new_port=False)
    # the restarted instance serves on its old port at once
    r = requests.get(lb.nginx.pinned_url(0) + "/healthz", timeout=15)
    assert r.status_code == 200 and upstream_of(r) == stopped.listen


def test_the_configuration_in_the_deployment_guide_is_the_one_tested():
    """docs/DEPLOYMENT.md shows this module's nginx.conf, with DIR for the
    prefix and the ports 8080 (nginx), 8081 and 8082 (the instances), 8091
    and 8092 (the pinned listeners)."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "DEPLOYMENT.md").read_text()
    blocks = re.findall(r"```nginx\n(.*?)```", doc, re.S)
    conf = front.config("DIR", 8080, ["127.0.0.1:8081", "127.0.0.1:8082"], [8091, 8092],
                        as_root=True)
    assert conf in blocks
