# SPDX-License-Identifier: MIT
"""One sign-in in a real browser (Debian chromium through chromium-driver):
the chooser page, the provider's login and consent pages (oidc-provider),
the auto-POST of the token to the site, and the site's auth_info call."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
import requests

from conftest import free_port
from idp_harness import Browser, OidcProvider, browser_missing, idp_missing, oidc_client
from signin_world import World

pytestmark = pytest.mark.skipif(idp_missing() or browser_missing(),
                                reason=str(idp_missing() or browser_missing()))


class Site:
    """The site a person signs in to: its token_url takes the POSTed token,
    asks socialgate's auth_info with the app's key, and greets the person."""

    def __init__(self, world, port):
        self.world = world
        self.profiles = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(n).decode())
                token = form.get("token", [""])[0]
                site.world.issued.add(token)
                r = requests.post(site.world.url("/api/v2/auth_info"),
                                  data={"apiKey": site.world.api_key, "token": token,
                                        "tokenURL": site.token_url}, timeout=15)
                body = r.json()
                site.profiles.append(body)
                name = body.get("profile", {}).get("displayName", "?")
                page = f"<html><body><p id='hello'>Hello {name}</p></body></html>".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

        self.port = port
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.token_url = f"http://127.0.0.1:{self.port}/after-login"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_sign_in_in_a_real_browser(servers, issued, tmp_path):
    port = free_port()
    site_url = f"http://127.0.0.1:{port}/after-login"
    world = World(servers, issued, tmp_path, token_urls=(f"http://127.0.0.1:{port}/",))
    secret = "op-secret-browser-0123"
    issued.add(secret)
    pid, callback = world.provider(
        protocol="openidconnect", auth_url="https://127.0.0.1:1/a",
        token_url="https://127.0.0.1:1/t", client_id="socialgate", client_secret=secret,
        scopes=["email", "profile"], ui={"title": "Wonderland ID"},
        attribute_map={"/displayName": "/name", "/email": "/email"})
    with OidcProvider(world.ca, [oidc_client("socialgate", [callback],
                                             client_secret=secret)]) as op:
        world.patch_provider(pid, auth_url=op.authorization_endpoint,
                             token_url=op.token_endpoint)
        site = Site(world, port)
        try:
            with Browser() as b:
                b.get(world.url(f"/signin/{world.app}?token_url={site_url}"))
                b.wait_for("a").click()
                b.oidc_login(op.base_url, user="alice")
                b.wait_url(lambda u: u.startswith(site_url))
                assert "Hello Alice Liddell" in b.wait_for("#hello").text
        finally:
            site.close()
    assert len(site.profiles) == 1
    p = site.profiles[0]
    assert p["stat"] == "ok", p
    assert p["profile"]["email"] == "alice@example.com"
    assert p["profile"]["providerName"] == "Wonderland ID"

