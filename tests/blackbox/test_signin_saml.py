# SPDX-License-Identifier: MIT
"""SAML 2.0 sign-ins end to end (SPEC §7), through two identity providers
no one here wrote (saml_harness.py: Debian's pysaml2 and npm samlify, each
signing the assertion or the whole response): the SP metadata they are
configured from, start's AuthnRequest (HTTP-Redirect), the response posted
to the callback, the token handed to the site and auth_info. Then what is
refused: another key, SHA-1 unless allowed, a replay, a response without
a flow. The hostile XML corpus (signature wrapping, entities, ...) is
tests/unit/test_saml.c's."""

import base64
import zlib
from urllib.parse import quote, urlsplit
from xml.etree import ElementTree

import pytest

from idp_harness import query_of
from saml_harness import idp_post, response_xml, saml_idp, saml_idps_missing
from signin_world import SITE, World

pytestmark = pytest.mark.skipif(saml_idps_missing() is not None, reason=str(saml_idps_missing()))

SAMLP = "{urn:oasis:names:tc:SAML:2.0:protocol}"
SAML = "{urn:oasis:names:tc:SAML:2.0:assertion}"
MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"
POST_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
EMAIL_FORMAT = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
KINDS = ["pysaml2", "samlify"]


def schema_valid(xml):
    """Validates xml (a metadata or protocol document) against the SAML 2.0
    schemas pysaml2 ships (xmlschema, with their imports resolved locally);
    raises when it does not."""
    from saml2.xml.schema import node_to_schema
    root = ElementTree.fromstring(xml)
    ns, name = root.tag[1:].split("}")
    node_to_schema[f"{ns}:{name}"].validate(xml)


@pytest.fixture
def world(servers, issued, tmp_path):
    return World(servers, issued, tmp_path)


def saml_provider(world, idp, **extra):
    """A saml2 provider of idp, which learns it from the provider's metadata;
    returns (id, callback URL)."""
    a = idp.attribute
    doc = dict(protocol="saml2", auth_url=idp.sso_url, idp_certificate=idp.certificate,
               attribute_map={"/email": "/" + a("email"), "/name/givenName": "/" + a("givenName"),
                              "/name/familyName": "/" + a("surname")})
    doc.update(extra)
    pid, callback = world.provider(**doc)
    r = world.http.get(world.url(f"/{world.cid}.{pid}/metadata"), timeout=10)
    assert r.status_code == 200, r.text
    idp.sp_metadata(r.text)
    return pid, callback


def authn_request(location):
    """The AuthnRequest of start's redirect, inflated and parsed."""
    q = query_of(location)
    xml = zlib.decompress(base64.b64decode(q["SAMLRequest"]), -15).decode()
    return ElementTree.fromstring(xml), xml, q


def post_back(world, idp, pid):
    """start → the IdP's /sso → the form it answers with; returns (form
    action, fields) as the browser would post them."""
    r = world.start(pid)
    assert r.status_code == 302, r.text
    world.issued.add(query_of(r.headers["Location"])["RelayState"])  # the state: never logged
    page = world.http.get(r.headers["Location"], verify=world.ca.ca, timeout=15)
    assert page.status_code == 200, page.text
    return idp_post(page.text)


def callback_post(world, action, fields):
    parts = urlsplit(action)
    assert f"{parts.scheme}://{parts.netloc}" == world.server.url, action
    return world.http.post(world.url(parts.path), data=fields, allow_redirects=False, timeout=30)


@pytest.mark.parametrize("sign", ["assertion", "response"])
@pytest.mark.parametrize("kind", KINDS)
def test_saml_sign_in_through_a_real_identity_provider(world, kind, sign):
    with saml_idp(kind, world.ca, sign=sign) as idp:
        pid, callback = saml_provider(world, idp)
        action, fields = post_back(world, idp, pid)
        assert action == callback
        r = callback_post(world, action, fields)
        for h, v in (("Referrer-Policy", "no-referrer"), ("Cache-Control", "no-store")):
            assert r.headers.get(h) == v, r.headers
        token = world.token_of(r)
        a = world.auth_info(token, extended="true", tokenURL=SITE)
        assert a.status_code == 200, a.text
        body = a.json()
        p = body["profile"]
        assert p["identifier"] == (f"{world.server.url}/{world.cid}.{pid}/id/"
                                   + quote("alice@example.com", safe=""))
        assert p["providerSpecifier"] == f"{world.cid}.{pid}"
        assert p["email"] == "alice@example.com"
        assert p["name"] == {"givenName": "Alice", "familyName": "Liddell",
                             "formatted": "Alice Liddell"}
        s = body["saml"]
        assert s["issuer"] == idp.entity_id and s["nameId"] == "alice@example.com"
        assert s["nameIdFormat"] == EMAIL_FORMAT
        assert s["attributes"][idp.attribute("email")] == ["alice@example.com"]
        assert "accessCredentials" not in body and "oidc" not in body
        # the same response again: its flow is gone
        again = callback_post(world, action, fields)
        assert again.status_code == 400 and "state_mismatch" in again.text
        # and a second sign-in works (a fresh flow, a fresh assertion)
        world.token_of(callback_post(world, *post_back(world, idp, pid)))


def test_metadata_is_schema_valid_and_names_this_url_and_the_callback(world):
    with saml_idp("samlify", world.ca) as idp:
        pid, callback = saml_provider(world, idp)
        url = world.url(f"/{world.cid}.{pid}/metadata")
        r = world.http.get(url, timeout=10)
        assert r.headers["Content-Type"].startswith("application/samlmetadata+xml")
        assert r.headers.get("Cache-Control") == "no-store"
        schema_valid(r.text)
        root = ElementTree.fromstring(r.text)
        assert root.tag == MD + "EntityDescriptor" and root.get("entityID") == url
        acs = root.findall(f"{MD}SPSSODescriptor/{MD}AssertionConsumerService")
        assert [(x.get("Binding"), x.get("Location")) for x in acs] == [(POST_BINDING, callback)]
    oidc, _ = world.provider(protocol="openidconnect", auth_url="https://idp.example/a",
                             token_url="https://idp.example/t", client_id="c", client_secret="s")
    r = world.http.get(world.url(f"/{world.cid}.{oidc}/metadata"), timeout=10)
    assert r.status_code == 404  # only a SAML provider has metadata
    r = world.http.get(world.url(f"/{world.cid}.00000000-0000-4000-8000-000000000000/metadata"),
                       timeout=10)
    assert r.status_code == 404


def test_start_sends_a_schema_valid_authn_request_by_the_redirect_binding(world):
    with saml_idp("samlify", world.ca) as idp:
        pid, callback = saml_provider(world, idp, authn_context={"enabled": True})
        r = world.start(pid, force_reauth="true")
        assert r.status_code == 302
        loc = r.headers["Location"]
        assert loc.startswith(idp.sso_url + "?")
        req, xml, q = authn_request(loc)
        world.issued.add(q["RelayState"])
        schema_valid(xml)
        assert len(q["RelayState"].encode()) <= 80
        assert req.tag == SAMLP + "AuthnRequest" and req.get("Version") == "2.0"
        assert req.get("ID").startswith("_") and len(req.get("ID")) == 41
        assert req.get("Destination") == idp.sso_url
        assert req.get("AssertionConsumerServiceURL") == callback
        assert req.get("ProtocolBinding") == POST_BINDING
        assert req.get("ForceAuthn") == "true"
        assert req.find(SAML + "Issuer").text == world.url(f"/{world.cid}.{pid}/metadata")
        assert req.find(SAMLP + "RequestedAuthnContext") is not None
        other, _, q2 = authn_request(world.start(pid).headers["Location"])
        world.issued.add(q2["RelayState"])
        assert other.get("ID") != req.get("ID") and q2["RelayState"] != q["RelayState"]
        assert other.get("ForceAuthn") in (None, "false")
        assert r.headers.get("Cache-Control") == "no-store"


def test_a_response_signed_by_another_key_is_refused(world):
    with saml_idp("samlify", world.ca) as idp, saml_idp("samlify", world.ca) as other:
        pid, _ = saml_provider(world, idp)
        other.sp_metadata(world.http.get(world.url(f"/{world.cid}.{pid}/metadata")).text)
        world.patch_provider(pid, auth_url=other.sso_url)  # still pinned to idp's certificate
        r = callback_post(world, *post_back(world, other, pid))
        assert world.error_of(r) == "login_failed"
        assert world.logged_check("login_failed") in ("signature", "issuer")


def test_sha1_is_refused_unless_the_server_allows_it(servers, issued, tmp_path):
    w = World(servers, issued, tmp_path / "strict")
    with saml_idp("pysaml2", w.ca, sha1=True) as idp:
        pid, _ = saml_provider(w, idp)
        r = callback_post(w, *post_back(w, idp, pid))
        assert w.error_of(r) == "login_failed"
        assert w.logged_check("login_failed") == "signature algorithm"
    lax = World(servers, issued, tmp_path / "lax", env={"SOCIALGATE_SAML_ALLOW_SHA1": "true"})
    with saml_idp("pysaml2", lax.ca, sha1=True) as idp:
        pid, _ = saml_provider(lax, idp)
        lax.token_of(callback_post(lax, *post_back(lax, idp, pid)))


def test_an_unsolicited_response_is_refused(world):
    """IdP-initiated: a response with no flow (no RelayState, or one that
    names none) never signs anyone in."""
    with saml_idp("samlify", world.ca) as idp:
        pid, _ = saml_provider(world, idp)
        action, fields = post_back(world, idp, pid)
        for relay in (None, "x" * 54):
            f = {k: v for k, v in fields.items() if k != "RelayState"}
            if relay:
                f["RelayState"] = relay
            r = callback_post(world, action, f)
            assert r.status_code == 400 and "state_mismatch" in r.text, r.text[:300]
        world.token_of(callback_post(world, action, fields))  # the real flow still works


def test_a_response_for_another_flow_is_refused(world):
    """A response made for flow A posted with flow B's RelayState: its
    InResponseTo names A's request."""
    with saml_idp("samlify", world.ca) as idp:
        pid, _ = saml_provider(world, idp)
        action, fields_a = post_back(world, idp, pid)
        _, fields_b = post_back(world, idp, pid)
        mixed = dict(fields_a, RelayState=fields_b["RelayState"])
        r = callback_post(world, action, mixed)
        assert world.error_of(r) == "login_failed"
        assert world.logged_check("login_failed") == "in response to"
        assert "InResponseTo" in response_xml(fields_a)
