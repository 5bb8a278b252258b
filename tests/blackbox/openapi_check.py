# SPDX-License-Identifier: MIT
# Every answer a black-box test receives from socialgate, checked against
# docs/openapi.yaml: for a route of the document, its status must be one the
# operation lists; a body must be of a media type the response lists, and a
# JSON body must validate against that media type's schema (python3-jsonschema,
# each schema compiled once). conftest.py watches the address of every server
# it starts, patches requests so that every response passes through check(),
# and fails the test that received a mismatch.
#
# Paths of the document are the route table's patterns: a parameter matches
# one or more characters other than "/", a literal segment wins over a
# parameter, as in the router.

import json
import re
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jsonschema
import yaml

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
METHODS = ("get", "put", "post", "delete", "patch", "options", "trace", "head")


def _regex(template):
    out, pos = "^", 0
    for m in re.finditer(r"\{[^}]+\}", template):
        out += re.escape(template[pos:m.start()]) + "[^/]+?"
        pos = m.end()
    return re.compile(out + re.escape(template[pos:]) + "$")


def _media(ctype, content):
    """The key of content that the Content-Type ctype falls under (exact,
    then type/*, then */*), or None. An answer without a Content-Type falls
    under */* only."""
    media = (ctype or "").split(";")[0].strip().lower()
    if not media:
        return "*/*" if "*/*" in content else None
    for key in (media, media.split("/")[0] + "/*", "*/*"):
        if key in content:
            return key
    return None


class Description:
    """docs/openapi.yaml, loaded once, with its validators compiled on first use."""

    def __init__(self, path=DOC_PATH):
        with open(path, encoding="utf-8") as f:
            self.doc = yaml.safe_load(f)
        self.resolver = jsonschema.RefResolver.from_schema(self.doc)
        # Most literal first: the router prefers "/signin/{app}" to "/{c}.{id}/...".
        paths = sorted(self.doc["paths"].items(),
                       key=lambda kv: (kv[0].count("{"), -len(kv[0])))
        self.paths = [(_regex(p), p, item) for p, item in paths]
        self._validators = {}
        self._lock = threading.Lock()

    def deref(self, obj):
        while isinstance(obj, dict) and "$ref" in obj:
            _, obj = self.resolver.resolve(obj["$ref"])
        return obj

    def operation(self, method, path):
        """(template, operation) of the document for method and path, or None."""
        for rx, template, item in self.paths:
            if rx.match(path):
                op = item.get(method.lower())
                return (template, op) if op is not None else None
        return None

    def validator(self, key, schema):
        with self._lock:
            v = self._validators.get(key)
            if v is None:
                cls = jsonschema.validators.validator_for(schema, jsonschema.Draft202012Validator)
                v = cls(schema, resolver=self.resolver)
                self._validators[key] = v
            return v

    def problems(self, method, path, status, ctype, body, streamed=False):
        """What the answer has that the document does not say (a list of strings)."""
        found = self.operation(method, path)
        if found is None:
            return []
        template, op = found
        where = f"{method} {template} -> {status}"
        resp = op["responses"].get(str(status))
        if resp is None:
            return [f"{where}: status not in the document (has {sorted(op['responses'])})"]
        resp = self.deref(resp)
        content = resp.get("content") or {}
        if streamed or method.upper() == "HEAD" or status == 304:
            return []
        if not body:
            return [f"{where}: no body, the document has {sorted(content)}"] if content else []
        media = _media(ctype, content)
        if media is None:
            return [f"{where}: body of type {ctype!r}, the document has {sorted(content)}"]
        schema = content[media].get("schema")
        if schema is None or not media.endswith("json"):
            return []
        try:
            value = json.loads(body)
        except ValueError as e:
            return [f"{where}: {media} body does not parse: {e}"]
        v = self.validator((template, method.lower(), str(status), media), schema)
        errors = sorted(v.iter_errors(value), key=lambda e: list(e.absolute_path))
        return [f"{where}: at /{'/'.join(map(str, e.absolute_path))}: {e.message}"
                for e in errors[:5]]


_description = None
_watched = set()
mismatches = []


def description():
    global _description
    if _description is None:
        _description = Description()
    return _description


def watch(url):
    """Checks, from now on, every answer from url's host and port."""
    _watched.add(urlsplit(url).netloc)


def check(resp, streamed=False):
    """Records the mismatches of one requests.Response from a watched server
    (streamed: its body is the caller's to read; status only)."""
    req = resp.request
    if req is None:
        return
    parts = urlsplit(req.url)
    if parts.netloc not in _watched:
        return
    body = b"" if streamed else resp.content
    for p in description().problems(req.method, unquote(parts.path), resp.status_code,
                                    resp.headers.get("Content-Type"), body, streamed):
        mismatches.append(p)


def install(session_cls):
    """Makes every send of session_cls (requests.Session: requests.get too)
    pass its answer through check()."""
    send = session_cls.send
    if getattr(send, "_sg_openapi", False):
        return

    def checked_send(self, request, **kw):
        resp = send(self, request, **kw)
        check(resp, streamed=bool(kw.get("stream")))
        return resp

    checked_send._sg_openapi = True
    session_cls.send = checked_send
