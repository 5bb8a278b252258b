/* SPDX-License-Identifier: MIT */
/*
 * In-process: the token service through the real router with a settable
 * clock, so expiry can be checked to the second without waiting.
 */
#include "harness.h"

TestSuite(api_token, .init = t_setup, .fini = t_teardown);

Test(api_token, token_expires_exactly_at_lifetime)
{
    char id[CLIENT_ID_LEN + 1], secret[CLIENT_SECRET_LEN + 1], tok[OAUTH_TOKEN_LEN + 1];
    t_customer(CID_A, "[\"*:**\"]", 3600, id, secret);
    t_token(CID_A, id, secret, "*:**", tok);
    char auth[128];
    snprintf(auth, sizeof auth, "Bearer %s", tok);
    struct t_resp r = {0};
    T_clock += 3599; /* 08:59:59 */
    t_call(&r, "GET", "/" CID_A "/config/clients", NULL, auth, NULL);
    cr_assert_eq(r.status, 200);
    T_clock += 1; /* 09:00:00 */
    t_call(&r, "GET", "/" CID_A "/config/clients", NULL, auth, NULL);
    cr_assert_eq(r.status, 403);
    cr_assert_str_eq(t_header(&r, "WWW-Authenticate"),
                     "Bearer realm=\"socialgate\", error=\"invalid_token\"");
    t_resp_free(&r);
}

Test(api_token, expires_in_follows_the_policy_lifetime)
{
    char id[CLIENT_ID_LEN + 1], secret[CLIENT_SECRET_LEN + 1], tok[OAUTH_TOKEN_LEN + 1];
    t_customer(CID_A, "[\"*:**\"]", 60, id, secret);
    t_token(CID_A, id, secret, NULL, tok);
    char auth[128];
    snprintf(auth, sizeof auth, "Bearer %s", tok);
    struct t_resp r = {0};
    T_clock += 59;
    t_call(&r, "GET", "/" CID_A "/config/clients", NULL, auth, NULL);
    cr_assert_eq(r.status, 200);
    T_clock += 1;
    t_call(&r, "GET", "/" CID_A "/config/clients", NULL, auth, NULL);
    cr_assert_eq(r.status, 403);
    t_resp_free(&r);
}

Test(api_token, housekeeping_purges_expired_revocations_in_batches_and_keeps_live_ones)
{
    struct err e = {0};
    unsigned char tag[16] = {0};
    for (int i = 0; i < 2 * STORE_PURGE_BATCH + 7; i++) { /* expired */
        memcpy(tag, &i, sizeof i);
        cr_assert_eq(store_revocation_add(T_app.store, tag, T_clock - 1, &e), ST_OK);
    }
    tag[15] = 1; /* one still needed */
    cr_assert_eq(store_revocation_add(T_app.store, tag, T_clock + 60, &e), ST_OK);
    api_housekeep(&T_app.api);
    int purged = -1;
    cr_assert_eq(store_revocation_purge(T_app.store, T_clock, &purged, &e), ST_OK);
    cr_assert_eq(purged, 0, "an expired revocation was left behind");
    bool revoked = false;
    cr_assert_eq(store_revocation_find(T_app.store, tag, &revoked, &e), ST_OK);
    cr_assert(revoked, "a revocation still needed was purged");
}

/* Sign-in flows and one-time tokens live minutes; the periodic
 * housekeeping removes the expired ones, however many, and no other. */
Test(api_token, housekeeping_purges_expired_sign_in_flows_and_tokens)
{
    struct err e = {0};
    struct arena a;
    arena_init(&a);
    struct flow_rec f = {.token_url = "https://site.example/cb", .verifier = "v", .nonce = "n"};
    struct signin_token_rec t = {.token_url = "https://site.example/cb", .data_len = 0};
    snprintf(f.cid, sizeof f.cid, "%s", CID_A);
    snprintf(t.cid, sizeof t.cid, "%s", CID_A);
    snprintf(t.app_id, sizeof t.app_id, "app");
    for (int i = 0; i < STORE_PURGE_BATCH + 7; i++) { /* expired */
        memcpy(f.key, &i, sizeof i);
        memcpy(t.hash, &i, sizeof i);
        f.expires_at = t.expires_at = T_clock - 1;
        cr_assert_eq(store_flow_create(T_app.store, &f, &e), ST_OK);
        cr_assert_eq(store_signin_token_create(T_app.store, &t, &e), ST_OK);
    }
    f.key[FLOW_KEY_LEN - 1] = t.hash[31] = 1; /* still valid */
    f.expires_at = t.expires_at = T_clock + 60;
    cr_assert_eq(store_flow_create(T_app.store, &f, &e), ST_OK);
    cr_assert_eq(store_signin_token_create(T_app.store, &t, &e), ST_OK);
    api_housekeep(&T_app.api);
    int purged = -1;
    cr_assert_eq(store_signin_purge(T_app.store, T_clock, &purged, &e), ST_OK);
    cr_assert_eq(purged, 0, "an expired flow or token was left behind");
    struct flow_rec gf;
    struct signin_token_rec gt;
    cr_assert_eq(store_flow_take(T_app.store, &a, f.key, &gf, &e), ST_OK,
                 "a valid flow was purged");
    cr_assert_eq(
        store_signin_token_take(T_app.store, &a, (struct row_key){CID_A, "app"}, t.hash, &gt, &e),
        ST_OK, "a valid token was purged");
    arena_cleanup(&a);
}

/* SPEC §3: a scope string that does not follow the grammar is left out of
 * the grant, requested or not, even when a policy stored before the
 * grammar was enforced lists it. */
Test(api_token, scope_not_following_the_grammar_is_never_granted)
{
    char id[CLIENT_ID_LEN + 1], secret[CLIENT_SECRET_LEN + 1];
    t_customer(CID_A, "[\"foo\",\"GET:**\",\"get:**\",\"GET:\"]", 3600, id, secret);
    const char *requests[][2] = {
        {"foo", NULL},    {"get:**", NULL}, {"GET:", NULL}, {"foo+get:**+GET:**", "GET:**"},
        {NULL, "GET:**"}, /* omitted: every allowed scope that follows the grammar */
    };
    for (size_t i = 0; i < sizeof requests / sizeof *requests; i++) {
        char body[512];
        snprintf(body, sizeof body,
                 "grant_type=client_credentials&client_id=%s&client_secret=%s%s%s", id, secret,
                 requests[i][0] ? "&scope=" : "", requests[i][0] ? requests[i][0] : "");
        struct t_resp r = {0};
        t_call(&r, "POST", "/" CID_A "/login/token", "application/x-www-form-urlencoded", NULL,
               body);
        cr_assert_eq(r.status, 200, "%s: %d %s", requests[i][0], r.status, r.body);
        const char *granted = t_jstr(r.json, "scope");
        if (requests[i][1])
            cr_expect(granted && !strcmp(granted, requests[i][1]), "%s: %s", requests[i][0],
                      r.body);
        else
            cr_expect_null(json_object_get(r.json, "scope"), "%s: %s", requests[i][0], r.body);
        t_resp_free(&r);
    }
}
