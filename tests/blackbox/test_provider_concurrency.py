# SPDX-License-Identifier: MIT
# Custom providers under concurrent writers (SPEC §5 "the whole change
# applies or nothing does", If-Match lost-update protection): many clients,
# each on its own connection, patching one provider at once. No update may
# be lost, the writes must be serialisable, and If-Match must let exactly one
# of several writers holding the same tag win.

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from conftest import (ETAG_RE, MERGE_PATCH, PUBLIC_URL, REALM, EngageGate, apps_path,
                      init_with)

WRITERS = 50
RIVALS = 20


@pytest.fixture
def busy(servers, issued):
    """An EngageGate whose server has several HTTP worker threads."""
    db = servers.new_db()
    info = init_with(servers, db, "--realm", REALM)
    srv = servers.server(db, public_url=PUBLIC_URL, env={"SOCIALGATE_THREADS": "8"})
    return EngageGate(srv, info, issued)


def saml_provider(g, cert, title="Concurrent SAML"):
    r = g.create({"title": title, "protocol": "saml2", "auth_url": "https://idp.example.test/sso",
                  "idp_certificate": cert, "authn_context": {"base": "yes"}})
    assert r.status_code == 201, r.text
    return r.json(), r.headers["ETag"]


def run_together(n, fn):
    """Runs fn(i, session) for i in range(n) on n threads released together,
    each with its own requests.Session (so its own connection)."""
    barrier = threading.Barrier(n)

    def one(i):
        with requests.Session() as s:
            barrier.wait(timeout=10)
            return fn(i, s)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n)))


def test_concurrent_merge_patches_of_distinct_keys_lose_nothing(busy, idp_certs):
    g = busy
    obj, _ = saml_provider(g, idp_certs[0])
    url, tok = g.url(g.ppath(obj["id"])), g.admin

    def patch(i, s):
        return s.patch(url, data=json.dumps({"authn_context": {f"k{i}": f"v{i}"}}), timeout=20,
                       headers={"Authorization": f"Bearer {tok}", "Content-Type": MERGE_PATCH})

    results = run_together(WRITERS, patch)
    codes = [r.status_code for r in results]
    assert codes == [200] * WRITERS, [(r.status_code, r.text[:200]) for r in results if r.status_code != 200]

    final = g.view(obj["id"]).json()["authn_context"]
    expected = {"base": "yes", **{f"k{i}": f"v{i}" for i in range(WRITERS)}}
    missing = sorted(set(expected) - set(final), key=lambda k: int(k[1:]) if k != "base" else -1)
    assert not missing, f"lost updates: {missing}"
    assert final == expected

    # each answer shows its own change, and the answers form one serial order:
    # the i-th write to apply saw i-1 earlier ones
    for i, r in enumerate(results):
        assert r.json()["authn_context"].get(f"k{i}") == f"v{i}"
    sizes = sorted(len(r.json()["authn_context"]) for r in results)
    assert sizes == list(range(2, WRITERS + 2)), sizes
    tags = [r.headers.get("ETag") for r in results]
    assert all(t and ETAG_RE.match(t) for t in tags)
    assert len(set(tags)) == WRITERS
    stamps = sorted(r.json()["updatedAt"] for r in results)
    assert len(set(stamps)) == WRITERS
    assert g.view(obj["id"]).json()["updatedAt"] == stamps[-1]


def test_concurrent_patches_with_one_if_match_let_exactly_one_win(busy, idp_certs):
    g = busy
    obj, tag = saml_provider(g, idp_certs[0])
    url, tok = g.url(g.ppath(obj["id"])), g.admin

    def patch(i, s):
        return s.patch(url, data=json.dumps({"title": f"writer-{i}"}), timeout=20,
                       headers={"Authorization": f"Bearer {tok}", "Content-Type": MERGE_PATCH,
                                "If-Match": tag})

    results = run_together(RIVALS, patch)
    codes = sorted(r.status_code for r in results)
    assert codes == [200] + [412] * (RIVALS - 1), codes
    winner = [i for i, r in enumerate(results) if r.status_code == 200][0]
    final = g.view(obj["id"])
    assert final.json()["title"] == f"writer-{winner}"
    assert final.headers["ETag"] == results[winner].headers["ETag"] != tag
    for r in results:
        if r.status_code == 412:
            body = r.json()
            assert body.get("error") and body.get("errors") == body["error"]


def test_concurrent_creates_all_succeed_with_distinct_ids(busy, idp_certs):
    g = busy
    url, tok = g.url(g.plist()), g.admin

    def create(i, s):
        return s.post(url, timeout=20, headers={"Authorization": f"Bearer {tok}"},
                      json={"title": f"par-{i}", "protocol": "oauth2",
                            "auth_url": "https://o.example.test/a",
                            "token_url": "https://o.example.test/t",
                            "client_id": f"c{i}", "client_secret": f"concurrent-secret-{i:04d}"})

    results = run_together(30, create)
    for r in results:
        g.issued.hook(r)
    assert [r.status_code for r in results] == [201] * 30, [r.text[:200] for r in results]
    ids = {r.json()["id"] for r in results}
    assert len(ids) == 30
    items = g.get(g.plist()).json()["_embedded"]["item"]
    assert {i["id"] for i in items} == ids
    assert sorted(i["title"] for i in items) == sorted(f"par-{i}" for i in range(30))


def test_concurrent_deletes_with_one_if_match_delete_once(busy, idp_certs):
    g = busy
    obj, tag = saml_provider(g, idp_certs[0])
    url, tok = g.url(g.ppath(obj["id"])), g.admin

    def delete(i, s):
        return s.delete(url, timeout=20, headers={"Authorization": f"Bearer {tok}",
                                                  "If-Match": tag})

    results = run_together(10, delete)
    codes = sorted(r.status_code for r in results)
    assert codes.count(204) == 1, codes
    assert set(codes) <= {204, 404, 412}, codes
    assert g.view(obj["id"]).status_code == 404


def test_concurrent_app_patches_all_land_in_turn(busy):
    # an app is modified inside the write transaction too: writers that do
    # not send If-Match never get 412, however many share one batch
    g = busy
    url, tok = g.url(apps_path(g.app_id)), g.admin
    urls = [f"https://shop{i}.example.test/after" for i in range(RIVALS)]

    def patch(i, s):
        body = {"token_urls": [urls[i]], "settings": {"token_ttl": 30 + i}}
        return s.patch(url, data=json.dumps(body), timeout=20,
                       headers={"Authorization": f"Bearer {tok}", "Content-Type": MERGE_PATCH})

    results = run_together(RIVALS, patch)
    assert [r.status_code for r in results] == [200] * RIVALS, [r.text for r in results]
    final = g.get(apps_path(g.app_id)).json()
    # the last writer's whole change stands, not a mix of two
    i = urls.index(final["token_urls"][0])
    assert final["settings"]["token_ttl"] == 30 + i
