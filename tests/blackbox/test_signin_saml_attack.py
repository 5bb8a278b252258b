# SPDX-License-Identifier: MIT
"""Hostile posts to a SAML provider's callback end to end (SPEC §7.4):
what anyone can send after a start of their own. A response built to cost
the parser the most for its size is refused before it is parsed, and the
server goes on signing people in; repeated form fields and a response
carried in the query instead of the HTTP-POST body are refused. Bounds are
asserted as the check named in the log, never as durations. The XML corpus
itself is tests/unit/test_saml_attack.c's."""

import base64
import os
import zlib
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest

from idp_harness import query_of
from saml_harness import idp_post, saml_idp, saml_idps_missing, signing_key
from signin_world import World

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"


@pytest.fixture
def world(servers, issued, tmp_path):
    return World(servers, issued, tmp_path)


def keyless_provider(world, tmp_path):
    """A saml2 provider pinned to a fresh certificate whose key nobody here
    uses: whatever is posted to it is unsigned or signed by someone else."""
    _, _, cert = signing_key(tmp_path)
    pid, callback = world.provider(protocol="saml2", auth_url="https://idp.example.com/sso",
                                   idp_certificate=cert)
    return pid, callback


def flow(world, pid):
    """start: (RelayState, the AuthnRequest's ID)."""
    r = world.start(pid)
    assert r.status_code == 302, r.text
    q = query_of(r.headers["Location"])
    world.issued.add(q["RelayState"])  # the state: never logged
    req = ElementTree.fromstring(zlib.decompress(base64.b64decode(q["SAMLRequest"]), -15))
    return q["RelayState"], req.get("ID")


def wide_response(request_id, callback, size):
    """An unsigned response whose Assertion holds one element with as many
    attributes as fit in size bytes of XML."""
    head = (f'<samlp:Response xmlns:samlp="{SAMLP}" xmlns:saml="{SAML}" ID="_r" Version="2.0" '
            f'Destination="{callback}" InResponseTo="{request_id}">'
            f'<samlp:Status><samlp:StatusCode Value="{SAMLP[:-8]}status:Success"/></samlp:Status>'
            f'<saml:Assertion ID="_a" Version="2.0"><saml:Advice')
    tail = "/></saml:Assertion></samlp:Response>"
    attrs, n, i = [], len(head) + len(tail), 0
    while n < size:
        a = f' a{i:x}=""'
        attrs.append(a)
        n += len(a)
        i += 1
    return head + "".join(attrs) + tail, i


def test_a_response_with_tens_of_thousands_of_attributes_is_refused_unparsed(world, tmp_path):
    """20,000 attributes on one element once cost half a second of CPU per
    callback (libxml2 compares them pairwise) on one of two workers shared
    by every tenant; it is refused by a byte scan now."""
    pid, callback = keyless_provider(world, tmp_path)
    relay, rid = flow(world, pid)
    xml, count = wide_response(rid, callback, 170 * 1024)
    assert count > 15000
    body = {"SAMLResponse": base64.b64encode(xml.encode()).decode(), "RelayState": relay}
    r = world.http.post(world.url(urlsplit(callback).path), data=body, allow_redirects=False,
                        timeout=60)
    assert world.error_of(r) == "login_failed"
    assert world.logged_check("login_failed") == "xml attributes"
    assert world.http.get(world.url("/healthz"), timeout=10).status_code == 200


def test_repeated_saml_fields_are_refused(world, tmp_path):
    pid, callback = keyless_provider(world, tmp_path)
    path = urlsplit(callback).path
    relay, _ = flow(world, pid)
    two_relays = [("SAMLResponse", "PHg+"), ("RelayState", relay), ("RelayState", relay)]
    r = world.http.post(world.url(path), data=two_relays, allow_redirects=False, timeout=15)
    assert r.status_code == 400 and "state_mismatch" in r.text
    relay, _ = flow(world, pid)
    two_responses = [("SAMLResponse", "PHg+"), ("SAMLResponse", "PHg+"), ("RelayState", relay)]
    r = world.http.post(world.url(path), data=two_responses, allow_redirects=False, timeout=15)
    assert world.error_of(r) == "login_failed"
    assert world.logged_check("login_failed") == "SAMLResponse missing or repeated"


@pytest.mark.skipif(saml_idps_missing() is not None, reason=str(saml_idps_missing()))
def test_a_saml_response_in_the_query_is_refused(world):
    """The SAML assertion consumer is POST only (SPEC §7.2; SAML bindings
    allow no response by HTTP-Redirect): a valid response carried in a GET
    query would put a bearer assertion in access logs, browser history and
    Referer headers."""
    with saml_idp("samlify", world.ca) as idp:
        a = idp.attribute
        pid, callback = world.provider(protocol="saml2", auth_url=idp.sso_url,
                                       idp_certificate=idp.certificate,
                                       attribute_map={"/email": "/" + a("email")})
        idp.sp_metadata(world.http.get(world.url(f"/{world.cid}.{pid}/metadata"),
                                       timeout=10).text)
        r = world.start(pid)
        assert r.status_code == 302, r.text
        world.issued.add(query_of(r.headers["Location"])["RelayState"])
        page = world.http.get(r.headers["Location"], verify=world.ca.ca, timeout=15)
        action, fields = idp_post(page.text)
        path = urlsplit(action).path
        got = world.http.get(world.url(path), params=fields, allow_redirects=False, timeout=30)
        assert world.error_of(got) == "login_failed"
        assert world.logged_check("login_failed") == "SAML response not posted"
        # the flow is spent: what leaked into a log cannot be posted after
        again = world.http.post(world.url(path), data=fields, allow_redirects=False, timeout=30)
        assert again.status_code == 400 and "state_mismatch" in again.text


def test_the_server_still_signs_people_in_after_hostile_callbacks(world, tmp_path):
    """A burst of the costliest responses that pass the byte bounds, then
    an ordinary start: the server answers it, and every hostile post got
    its own refusal."""
    pid, callback = keyless_provider(world, tmp_path)
    path = urlsplit(callback).path
    for _ in range(int(os.environ.get("SG_SAML_BURST", "4"))):
        relay, rid = flow(world, pid)
        xml = nested_namespaces(rid, callback, 170 * 1024)
        body = {"SAMLResponse": base64.b64encode(xml.encode()).decode(), "RelayState": relay}
        r = world.http.post(world.url(path), data=body, allow_redirects=False, timeout=60)
        assert world.error_of(r) == "login_failed"
    assert world.start(pid).status_code == 302


def nested_namespaces(request_id, callback, size):
    """26 levels of 60 namespace declarations each, then elements with 60
    attributes each in the outermost prefixes: what costs libxml2 the most
    within 64 attributes per element and 32 levels."""
    head = (f'<samlp:Response xmlns:samlp="{SAMLP}" xmlns:saml="{SAML}" ID="_r" Version="2.0" '
            f'Destination="{callback}" InResponseTo="{request_id}">'
            f'<samlp:Status><samlp:StatusCode Value="{SAMLP[:-8]}status:Success"/></samlp:Status>'
            f'<saml:Assertion ID="_a" Version="2.0">')
    opens = "".join("<a" + "".join(f' xmlns:p{d}_{i}="urn:u"' for i in range(60)) + ">"
                    for d in range(26))
    closes = "</a>" * 26 + "</saml:Assertion></samlp:Response>"
    leaves, n, j = [], len(head) + len(opens) + len(closes), 0
    while n < size:
        leaf = f"<p0_{j % 60}:b" + "".join(f' p0_{(i + j) % 60}:a{i}=""' for i in range(60)) + "/>"
        leaves.append(leaf)
        n += len(leaf)
        j += 1
    return head + opens + "".join(leaves) + closes
