# SPDX-License-Identifier: MIT
# Every answer, success or error, carries Cache-Control: no-store and
# X-Content-Type-Options: nosniff; answers with a token or a secret also
# Pragma: no-cache.

import requests


def check(r):
    assert r.headers.get("Cache-Control") == "no-store", (r.request.url, r.status_code)
    assert r.headers.get("X-Content-Type-Options") == "nosniff", (r.request.url, r.status_code)


def test_every_kind_of_answer_has_no_store_and_nosniff(gate):
    url = gate.server.url
    check(requests.get(url + "/healthz", timeout=5))                       # 200, open
    check(requests.get(url + "/nope", timeout=5))                          # 404
    check(requests.get(gate.token_url, timeout=5))                         # 405
    check(requests.post(gate.token_url, data={"grant_type": "x"}, timeout=5))  # 401
    tok = gate.post_token()
    check(tok)                                                             # 200 token
    assert tok.headers.get("Pragma") == "no-cache"
    check(gate.call("GET", "config/clients", token=None))                  # 403
    check(gate.call("GET", "config/clients"))                              # 200 API
    made = gate.create_client()
    sec = gate.call("GET", f"config/clients/{made['id']}/secret")
    check(sec)                                                             # 200 with a secret
    assert sec.headers.get("Pragma") == "no-cache"
    gate.issued.add(made["secret"])
