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
    api_housekeep(&T_app);
    int purged = -1;
    cr_assert_eq(store_revocation_purge(T_app.store, T_clock, &purged, &e), ST_OK);
    cr_assert_eq(purged, 0, "an expired revocation was left behind");
    bool revoked = false;
    cr_assert_eq(store_revocation_find(T_app.store, tag, &revoked, &e), ST_OK);
    cr_assert(revoked, "a revocation still needed was purged");
}
