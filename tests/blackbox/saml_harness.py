# SPDX-License-Identifier: MIT
# SAML 2.0 identity providers for the sign-in runtime's black-box tests,
# two that no one here wrote and that sign differently:
#
#   Pysaml2Idp   Debian's python3-pysaml2 in the IdP role, in this process
#                (it signs with the xmlsec1 command)
#   SamlifyIdp   npm samlify in the IdP role (tests/idp/saml-idp.js)
#
# Both listen on https://127.0.0.1:PORT (a make_ca certificate), take an
# AuthnRequest by the HTTP-Redirect binding at /sso and answer with the
# HTTP-POST binding's page: a form posting SAMLResponse and RelayState to
# the SP's assertion consumer service, which they learn, with its entity
# id, from the SP's metadata (sp_metadata(xml), before the first
# sign-in). Every request signs in the configured person; no login page.
#
#   with SamlifyIdp(ca, sign="response") as idp:
#       idp.sp_metadata(requests.get(metadata_url).text)
#       provider = {"auth_url": idp.sso_url, "idp_certificate": idp.certificate, ...}
#       page = session.get(start_url).text  # follows the redirect to /sso
#       action, fields = idp_post(page)     # the form the browser would post
#
# sign: "assertion" (default), "response" or "both"; sha1=True signs with
# RSA-SHA1 and SHA-1 digests (both IdPs default to SHA-256 here). Each IdP
# has its own signing key and self-signed certificate (RSA 2048):
# certificate is its Base64 DER, what a saml2 provider's idp_certificate
# holds. attribute(name) is the Name an attribute of the person goes by
# (pysaml2 names them by its URN map). Every server stops on every exit path: use them as context
# managers. Nothing here knows socialgate; test_idp_harness.py proves it
# alone.

import base64
import contextlib
import json
import queue
import shutil
import ssl
import subprocess
import tempfile
import threading
import time
import weakref
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from idp_harness import IDP_DIR, START_TIMEOUT, _kill_group, parse_forms

XMLSEC1 = "/usr/bin/xmlsec1"
PERSON = {"name_id": "alice@example.com",
          "attributes": {"email": ["alice@example.com"], "givenName": ["Alice"],
                         "surname": ["Liddell"]}}


def saml_idps_missing():
    """Why the SAML IdPs cannot start here, or None."""
    try:
        import saml2  # noqa: F401  (Debian python3-pysaml2)
    except ImportError:
        return "python3-pysaml2 is not installed (scripts/install-deps installs it)"
    if not Path(XMLSEC1).exists():
        return "xmlsec1 is not installed (scripts/install-deps installs it)"
    if not shutil.which("node") or not (IDP_DIR / "node_modules" / "samlify").is_dir():
        return "node or tests/idp/node_modules/samlify is missing (scripts/install-deps)"
    return None


def signing_key(workdir):
    """A fresh RSA 2048 key and a self-signed certificate for it, made with
    the openssl command: (key path, certificate path, Base64 DER)."""
    key, cert = Path(workdir) / "signing.key", Path(workdir) / "signing.pem"
    p = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-keyout", str(key), "-out", str(cert), "-days", "2",
                        "-subj", "/CN=socialgate test SAML IdP"],
                       capture_output=True, timeout=30)
    if p.returncode != 0:
        raise RuntimeError(f"openssl req failed: {p.stderr.decode(errors='replace')}")
    pem = cert.read_text()
    body = pem.split("-----BEGIN CERTIFICATE-----")[1].split("-----END CERTIFICATE-----")[0]
    return key, cert, "".join(body.split())


def idp_post(page):
    """(action, {name: value}) of the one form of an IdP's HTTP-POST page."""
    forms = parse_forms(page)
    assert len(forms) == 1, page[:2000]
    assert forms[0].method == "post" and "SAMLResponse" in forms[0].fields, page[:2000]
    return forms[0].action, forms[0].fields


def response_xml(fields):
    """The XML text of a posted SAMLResponse."""
    return base64.b64decode(fields["SAMLResponse"]).decode()


# --------------------------------------------------------------------------
# npm samlify

class SamlifyIdp:
    """tests/idp/saml-idp.js: samlify as IdP over HTTPS."""

    def __init__(self, ca, sign="assertion", sha1=False, person=None):
        self.ca = ca
        self.sign = sign
        self.sha1 = sha1
        self.person = dict(person or PERSON)
        self.workdir = Path(tempfile.mkdtemp(prefix="saml-idp-"))
        self.log_path = self.workdir / "idp.log"
        self.proc = None
        self._finalizer = None
        self.port = self.entity_id = self.sso_url = None
        self.key, self.cert, self.certificate = signing_key(self.workdir)

    def start(self):
        why = saml_idps_missing()
        if why:
            raise RuntimeError(f"cannot start the SAML IdP: {why}")
        cfg = {"port": 0, "tls": {"cert": str(self.ca.cert), "key": str(self.ca.key)},
               "signing": {"cert": str(self.cert), "key": str(self.key)},
               "sign": self.sign, "sha1": self.sha1, **self.person}
        cfg_path = self.workdir / "idp.json"
        cfg_path.write_text(json.dumps(cfg))
        try:
            with open(self.log_path, "ab") as err:
                self.proc = subprocess.Popen(["node", str(IDP_DIR / "saml-idp.js"), str(cfg_path)],
                                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                             stderr=err, cwd=str(IDP_DIR),
                                             start_new_session=True)
            self._finalizer = weakref.finalize(self, _kill_group, self.proc)
            ready = self._ready()
        except BaseException:
            self.stop()
            raise
        self.port, self.entity_id, self.sso_url = ready["port"], ready["entity_id"], ready["sso"]
        return self

    def _ready(self):
        lines = queue.Queue()

        def read():
            for line in self.proc.stdout:
                lines.put(line.decode(errors="replace"))
            lines.put(None)

        threading.Thread(target=read, daemon=True).start()
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                line = lines.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                raise RuntimeError(f"the SAML IdP gave no READY line; log:\n{self.log()}") from None
            if line is None:
                raise RuntimeError(f"the SAML IdP exited; log:\n{self.log()}")
            if line.startswith("READY "):
                return json.loads(line[len("READY "):])

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def attribute(self, name):
        return name

    def sp_metadata(self, xml):
        import requests
        r = requests.post(f"https://127.0.0.1:{self.port}/control/sp", data=xml.encode(),
                          verify=self.ca.ca, timeout=10)
        assert r.status_code == 204, f"{r.status_code} {r.text}; log:\n{self.log()}"

    def stop(self):
        if self.proc is not None:
            _kill_group(self.proc)
            self._finalizer.detach()
            self.proc.stdout.close()
            self.proc = None
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# --------------------------------------------------------------------------
# Debian python3-pysaml2

class Pysaml2Idp:
    """pysaml2's saml2.server.Server as IdP, over HTTPS in a thread of this
    process."""

    def __init__(self, ca, sign="assertion", sha1=False, person=None):
        self.ca = ca
        self.sign = sign
        self.sha1 = sha1
        self.person = dict(person or PERSON)
        self.workdir = Path(tempfile.mkdtemp(prefix="pysaml2-idp-"))
        self.key, self.cert, self.certificate = signing_key(self.workdir)
        self.httpd = None
        self.thread = None
        self.server = None  # the pysaml2 IdP, once the SP's metadata is known
        self.errors = []
        self.port = self.entity_id = self.sso_url = None

    def start(self):
        why = saml_idps_missing()
        if why:
            raise RuntimeError(f"cannot start the SAML IdP: {why}")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.ca.cert, self.ca.key)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Pysaml2Handler)
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.httpd.idp = self
        self.port = self.httpd.server_address[1]
        self.entity_id = f"https://127.0.0.1:{self.port}/metadata"
        self.sso_url = f"https://127.0.0.1:{self.port}/sso"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def attribute(self, name):
        """pysaml2 sends the person's attributes by their urn:mace names."""
        return "urn:mace:dir:attribute-def:" + name

    def sp_metadata(self, xml):
        from saml2 import BINDING_HTTP_REDIRECT
        from saml2.config import IdPConfig
        from saml2.saml import NAME_FORMAT_BASIC, NAMEID_FORMAT_EMAILADDRESS
        from saml2.server import Server
        md = self.workdir / "sp.xml"
        md.write_text(xml)
        conf = IdPConfig()
        conf.load({
            "entityid": self.entity_id,
            "service": {"idp": {
                "endpoints": {"single_sign_on_service": [(self.sso_url, BINDING_HTTP_REDIRECT)]},
                "policy": {"default": {"lifetime": {"minutes": 5}, "attribute_restrictions": None,
                                       "name_form": NAME_FORMAT_BASIC}},
                "name_id_format": [NAMEID_FORMAT_EMAILADDRESS]}},
            "key_file": str(self.key), "cert_file": str(self.cert),
            "metadata": {"local": [str(md)]},
            "xmlsec_binary": XMLSEC1,
        })
        self.server = Server(config=conf)

    def respond(self, query):
        """The HTTP-POST page answering the query of a GET /sso."""
        from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
        from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NameID
        from saml2.xmldsig import (DIGEST_SHA1, DIGEST_SHA256, SIG_RSA_SHA1,
                                   SIG_RSA_SHA256)
        if self.server is None:
            raise RuntimeError("no SP metadata yet (sp_metadata)")
        req = self.server.parse_authn_request(query["SAMLRequest"], BINDING_HTTP_REDIRECT).message
        acs = req.assertion_consumer_service_url
        resp = self.server.create_authn_response(
            self.person["attributes"], req.id, acs, req.issuer.text,
            name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=self.person["name_id"]),
            authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"},
            sign_assertion=self.sign in ("assertion", "both"),
            sign_response=self.sign in ("response", "both"),
            sign_alg=SIG_RSA_SHA1 if self.sha1 else SIG_RSA_SHA256,
            digest_alg=DIGEST_SHA1 if self.sha1 else DIGEST_SHA256)
        http = self.server.apply_binding(BINDING_HTTP_POST, str(resp), acs,
                                         query.get("RelayState", ""), response=True)
        return http["data"]

    def stop(self):
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.thread.join(timeout=5)
            self.httpd = None
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class _Pysaml2Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        idp = self.server.idp
        url = urlsplit(self.path)
        if url.path != "/sso":
            self._send(404, b"")
            return
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        try:
            page = idp.respond(query).encode()
        except Exception as exc:  # a test reads idp.errors to learn why
            idp.errors.append(repr(exc))
            self._send(400, repr(exc).encode(), "text/plain")
            return
        self._send(200, page, "text/html; charset=utf-8")

    def _send(self, status, body, ctype="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextlib.contextmanager
def saml_idp(kind, ca, **kw):
    """A started IdP of kind "pysaml2" or "samlify"."""
    cls = {"pysaml2": Pysaml2Idp, "samlify": SamlifyIdp}[kind]
    with cls(ca, **kw) as idp:
        yield idp
