# SPDX-License-Identifier: MIT
"""A socialgate server set up for sign-ins, seen from outside: the app's
realm and token_urls, providers, start, callback, the hand-over page and
auth_info. Shared by the sign-in runtime's black-box tests."""

import re
import time
from urllib.parse import urlsplit

import requests

from conftest import Gate, apps_path, providers_path, MERGE_PATCH
from idp_harness import make_ca, parse_forms, query_of

SITE = "http://127.0.0.1:9/after-login"  # never contacted: the page is read, not followed
TOKEN_RE = re.compile(r"^[0-9a-f]{40}$")


class World:
    """One customer of a server started with the outbound CA and, unless
    told otherwise, --allow-private-network (the IdPs listen on 127.0.0.1);
    env adds to the server's environment."""

    def __init__(self, servers, issued, tmp_path, allow_private=True, token_urls=(SITE,),
                 env=None):
        self.ca = make_ca(tmp_path / "ca")
        db = servers.new_db()
        info = servers.init(db)
        env = {"SOCIALGATE_OUTBOUND_CA_FILE": self.ca.ca, "SOCIALGATE_LOG_LEVEL": "debug",
               **(env or {})}
        if allow_private:
            env["SOCIALGATE_ALLOW_PRIVATE_NETWORK"] = "true"
        self.server = servers.server(db, env=env)
        self.gate = Gate(self.server, info, issued)
        self.issued = issued
        self.app = info["app_id"]
        self.api_key = info["api_key"]
        self.cid = self.gate.customer_id
        self.http = requests.Session()
        self.http.trust_env = False
        r = self.gate.call("PATCH", apps_path(self.app),
                           headers={"Content-Type": MERGE_PATCH},
                           json={"realm": self.server.url, "token_urls": list(token_urls)})
        assert r.status_code == 200, r.text

    # -- providers -------------------------------------------------------------
    def provider(self, **doc):
        """Creates a provider; returns (id, its callback URL)."""
        doc.setdefault("title", "Test IdP")
        r = self.gate.call("POST", providers_path(self.app), json=doc)
        assert r.status_code == 201, r.text
        body = r.json()
        return body["id"], body["_links"]["callback"]["href"]

    def patch_provider(self, pid, **fields):
        r = self.gate.call("PATCH", providers_path(self.app, pid),
                           headers={"Content-Type": MERGE_PATCH}, json=fields)
        assert r.status_code == 200, r.text

    def stub_provider(self, stub, protocol="openidconnect", **extra):
        """An OIDC provider pointing at a StubIdp."""
        doc = dict(protocol=protocol, auth_url=stub.authorization_endpoint,
                   token_url=stub.token_endpoint, client_id=stub.client_id,
                   client_secret=stub.client_secret, scopes=["email"],
                   attribute_map={"/email": "/email", "/name/givenName": "/given_name",
                                  "/name/familyName": "/family_name"})
        if protocol == "oauth2":
            doc["profile_url"] = stub.userinfo_endpoint
        doc.update(extra)
        return self.provider(**doc)

    # -- a sign-in ---------------------------------------------------------------
    def url(self, path):
        return f"{self.server.url}{path}"

    def start(self, pid, token_url=SITE, **params):
        """GET /{c}.{p}/start: the response (redirects not followed)."""
        q = {"token_url": token_url} if token_url is not None else {}
        q.update(params)
        return self.http.get(self.url(f"/{self.cid}.{pid}/start"), params=q,
                             allow_redirects=False, timeout=15)

    def callback(self, url, method="GET", timeout=30):
        """Sends the IdP's redirect back (a URL on our realm) to socialgate."""
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == self.server.url, url
        if method == "POST":
            return self.http.post(self.url(parts.path), data=query_of(url),
                                  allow_redirects=False, timeout=timeout)
        return self.http.get(url, allow_redirects=False, timeout=timeout)

    def stub_sign_in(self, stub, pid, token_url=SITE):
        """start → the stub's /authorize → callback; returns the callback's
        answer (the stub redirects at once, no login page)."""
        r = self.start(pid, token_url)
        assert r.status_code == 302, r.text
        self.issued.add(query_of(r.headers["Location"]).get("state"))  # never in a log line
        back = stub.session().get(r.headers["Location"], allow_redirects=False, timeout=15) \
            if hasattr(stub, "session") else requests.get(r.headers["Location"], verify=self.ca.ca,
                                                          allow_redirects=False, timeout=15)
        assert back.status_code in (302, 303), back.text
        code = query_of(back.headers["Location"]).get("code")
        if code:
            self.issued.add(code)  # never in a log line
        answer = self.callback(back.headers["Location"])
        for t in list(getattr(stub, "access_tokens", {})):
            self.issued.add(t)  # the IdP's tokens neither
        return answer

    def handed(self, r):
        """The fields the answer hands to the site: the auto-POST form's,
        or the 302's query (post_tokens_to_token_url false)."""
        if r.status_code == 302:
            loc = r.headers["Location"]
            return loc.split("?")[0], query_of(loc)
        assert r.status_code == 200, f"{r.status_code} {r.text[:500]}"
        forms = parse_forms(r.text)
        assert len(forms) == 1, r.text
        assert forms[0].method.lower() == "post"
        fields = dict(forms[0].fields)
        if "token" in fields:
            self.issued.add(fields["token"])
        return forms[0].action, fields

    def token_of(self, r, token_url=SITE):
        action, fields = self.handed(r)
        assert action == token_url, action
        assert "error" not in fields, fields
        assert TOKEN_RE.match(fields["token"]), fields
        return fields["token"]

    def error_of(self, r, token_url=SITE):
        """The error handed to the site at its token_url (and no token),
        naming the provider as {c}.{p}."""
        action, fields = self.handed(r)
        assert action == token_url, action
        assert "token" not in fields, fields
        assert fields["provider"].startswith(f"{self.cid}."), fields
        assert fields["error_description"].isascii(), fields
        return fields["error"]

    def logged_check(self, error):
        """The check named by the one log line of a sign-in that failed
        with error (info lines are flushed a few times a second)."""
        lines = []
        for _ in range(50):
            lines = [l for l in self.server.log_tail(20000).splitlines()
                     if f"failed: {error}" in l]
            if lines:
                break
            time.sleep(0.1)
        assert len(lines) == 1, lines
        return lines[0].rsplit("(", 1)[1].rstrip(")")

    def auth_info(self, token, api_key=None, method="GET", **params):
        p = {"apiKey": api_key or self.api_key, "token": token}
        p.update(params)
        if method == "GET":
            r = self.http.get(self.url("/api/v2/auth_info"), params=p, timeout=15)
        else:
            r = self.http.post(self.url("/api/v2/auth_info"), data=p, timeout=15)
        return r
