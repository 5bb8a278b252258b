# SPDX-License-Identifier: MIT
# GET /openapi.json serves docs/openapi.yaml, publicly; and the checker that
# holds every answer of this suite to that document (openapi_check.py)
# does catch what the document does not say.

import openapi_check
import yaml

from conftest import HTTP_TIMEOUT


def test_openapi_json_is_the_repository_document_without_a_token(gate):
    r = gate.http.get(gate.server.url + "/openapi.json", timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text[:200]
    assert r.headers["Content-Type"].split(";")[0] == "application/json"
    with open(openapi_check.DOC_PATH, encoding="utf-8") as f:
        assert r.json() == yaml.safe_load(f)


def test_checker_accepts_what_the_document_says():
    d = openapi_check.description()
    assert d.problems("GET", "/healthz", 200, "application/json", b'{"status":"ok"}') == []
    assert d.problems("GET", "/signin/abcdefghijklmnopqrst", 400, "text/html; charset=utf-8",
                      b"<!DOCTYPE html>") == []
    # an answer without a Content-Type, where the document allows any
    assert d.problems("GET", "/healthz", 431, None, b"<html>too big</html>") == []
    # Not a route of the document: nothing to hold it to.
    assert d.problems("GET", "/nowhere", 404, "application/json", b"{}") == []


def test_checker_refuses_what_the_document_does_not_say():
    d = openapi_check.description()
    cid = "7b1f0a52-3c1e-4c8e-9d0b-2f4a6e8c1d3f"
    # a status the operation does not list
    assert d.problems("GET", "/healthz", 418, "application/json", b'{"status":"ok"}')
    # a media type the response does not list
    assert d.problems("GET", "/healthz", 200, "text/plain", b"ok")
    # a body without a Content-Type where the document names one
    assert d.problems("GET", "/healthz", 200, None, b'{"status":"ok"}')
    # a body off its schema: a member too many, a member missing
    assert d.problems("GET", "/healthz", 200, "application/json", b'{"status":"ok","x":1}')
    assert d.problems("GET", f"/{cid}/config/clients", 403, "application/json",
                      b'{"error":"Forbidden"}')
    # the sign-in routes: one segment, two parameters
    assert d.problems("GET", f"/{cid}.{cid}/start", 200, "text/html", b"<p>")
