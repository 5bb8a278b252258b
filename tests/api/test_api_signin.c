/* SPDX-License-Identifier: MIT */
/*
 * In-process: the sign-in runtime's routes that need no identity provider
 * (SPEC §7.3, §7.5): start (404, 400 for a missing or refused token_url,
 * the 302 and its parameters, the flow it stores) and auth_info with
 * every Engage error code, single use, binding to the app and the
 * token_url, key rotation and the failure limit.
 */
#include "harness.h"

#include <sodium.h>

TestSuite(api_signin, .init = t_setup, .fini = t_teardown);

#define APP "layflfixkxlhgruitref"
#define APP2 "qwertyuiopasdfghjklz"
#define REALM "https://login.shop.example"
#define SITE "https://shop.example/after-login"
#define P "/" CID_A "/v2/config/low/services/engage-v2/apps/"

static struct t_resp r;
static char admin[96], pid[UUID_LEN + 1], key[APP_KEY_LEN + 1];

static void add_app(const char *id, const char *token_urls)
{
    struct login_app app = {.id = "", .name = "Shop", .realm = REALM};
    snprintf(app.id, sizeof app.id, "%s", id);
    login_app_defaults(&app);
    app.token_urls = token_urls;
    struct err e = {0};
    cr_assert_eq(store_app_create(T_app.store, CID_A, &app, &e), ST_OK, "%s", e.msg);
}

/* Customer A, an app allowing SITE, an OIDC provider, the app's key. */
static void world(void)
{
    char id[CLIENT_ID_LEN + 1], secret[CLIENT_SECRET_LEN + 1], tok[OAUTH_TOKEN_LEN + 1];
    t_customer(CID_A, "[\"*:**\"]", 3600, id, secret);
    t_token(CID_A, id, secret, "*:**", tok);
    snprintf(admin, sizeof admin, "Bearer %s", tok);
    add_app(APP, "[\"https://shop.example/\"]");
    add_app(APP2, "[\"https://other.example/\"]");
    t_call(&r, "POST", P APP "/custom-providers", "application/json", admin,
           "{\"title\":\"Example IdP\",\"protocol\":\"openidconnect\","
           "\"auth_url\":\"https://idp.example/authorize?tenant=7\","
           "\"token_url\":\"https://idp.example/token\",\"client_id\":\"shop\","
           "\"client_secret\":\"s3cret\",\"scopes\":[\"profile\"]}");
    cr_assert_eq(r.status, 201, "%d %s", r.status, r.body);
    snprintf(pid, sizeof pid, "%s", t_jstr(r.json, "id"));
    t_call(&r, "GET", P APP "/apiKey", NULL, admin, NULL);
    cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
    snprintf(key, sizeof key, "%s", t_jstr(r.json, "apiKey"));
}

static void start(const char *query)
{
    T_query = query;
    t_callf(&r, "GET", NULL, NULL, NULL, "/%s.%s/start", CID_A, pid);
}

/* The value of name in the query of url (decoded into out), or false. */
static bool param(const char *url, const char *name, char *out, size_t cap)
{
    const char *q = strchr(url, '?');
    struct arena a;
    arena_init(&a);
    struct form f;
    bool ok = q && oauth_form_parse(&a, q + 1, strlen(q + 1), &f, NULL) == ST_OK &&
              oauth_form_get(&f, name);
    if (ok)
        snprintf(out, cap, "%s", oauth_form_get(&f, name));
    arena_cleanup(&a);
    return ok;
}

static void assert_page(int status, const char *code)
{
    cr_assert_eq(r.status, status, "%d %s", r.status, r.body);
    cr_assert(strstr(r.body, code), "%s", r.body);
    const char *csp = t_header(&r, "Content-Security-Policy");
    cr_assert(csp && strstr(csp, "frame-ancestors 'none'"), "%s", csp ? csp : "(none)");
    cr_assert_str_eq(t_header(&r, "X-Frame-Options"), "DENY");
    cr_assert_str_eq(t_header(&r, "Referrer-Policy"), "no-referrer");
}

Test(api_signin, start_refuses_unknown_providers_and_bad_token_urls_reflecting_nothing)
{
    world();
    T_query = "token_url=" SITE;
    t_callf(&r, "GET", NULL, NULL, NULL, "/%s.%s/start", CID_A,
            "0b7c9a4e-0000-4000-8000-000000000000");
    assert_page(404, "unknown_provider");
    T_query = "token_url=" SITE;
    t_callf(&r, "GET", NULL, NULL, NULL, "/%s.%s/start", CID_B, pid);
    assert_page(404, "unknown_provider");
    start("");
    assert_page(400, "bad_token_url");
    start("token_url=https://evil.example/%3Cscript%3E");
    assert_page(400, "bad_token_url");
    cr_assert_null(strstr(r.body, "evil"), "%s", r.body);
    cr_assert_null(strstr(r.body, "<script"), "%s", r.body);
    start("token_url=https://user@shop.example/x");
    assert_page(400, "bad_token_url");
    start("token_url=https://shop.example/x%23frag&token_url=" SITE);
    assert_page(400, "bad_token_url");
    start("token_url=https://shop.example%5C@evil.example/");
    assert_page(400, "bad_token_url");
    start("token_url=https://other.example/"); /* the other app's */
    assert_page(400, "bad_token_url");
    cr_assert_null(t_header(&r, "Location"));
}

Test(api_signin, start_redirects_with_every_parameter_and_stores_the_flow)
{
    world();
    start("token_url=" SITE "&force_reauth=true&language_preference=de-CH");
    cr_assert_eq(r.status, 302, "%d %s", r.status, r.body);
    const char *loc = t_header(&r, "Location");
    cr_assert(!strncmp(loc, "https://idp.example/authorize?tenant=7&", 39), "%s", loc);
    char v[512], state[128], challenge[128];
    cr_assert(param(loc, "response_type", v, sizeof v) && !strcmp(v, "code"), "%s", loc);
    cr_assert(param(loc, "client_id", v, sizeof v) && !strcmp(v, "shop"), "%s", loc);
    char cb[256];
    snprintf(cb, sizeof cb, REALM "/%s.%s/callback", CID_A, pid);
    cr_assert(param(loc, "redirect_uri", v, sizeof v) && !strcmp(v, cb), "%s", loc);
    cr_assert(param(loc, "scope", v, sizeof v) && !strcmp(v, "openid profile"), "%s", v);
    cr_assert(param(loc, "prompt", v, sizeof v) && !strcmp(v, "login"), "%s", loc);
    cr_assert(param(loc, "ui_locales", v, sizeof v) && !strcmp(v, "de-CH"), "%s", loc);
    cr_assert(param(loc, "code_challenge_method", v, sizeof v) && !strcmp(v, "S256"));
    cr_assert(param(loc, "nonce", v, sizeof v) && strlen(v) >= 22, "%s", loc);
    cr_assert(param(loc, "state", state, sizeof state) && strlen(state) >= 43, "%s", loc);
    cr_assert(param(loc, "code_challenge", challenge, sizeof challenge));
    cr_assert_null(strstr(loc, "s3cret"), "%s", loc);
    cr_assert_str_eq(t_header(&r, "Referrer-Policy"), "no-referrer");
    /* The flow: stored under the state's prefix and hash, bound to the
     * token_url, its verifier the one the challenge commits to. The
     * prefix is expires_at, so that flows are stored in time order. */
    cr_assert_eq(strlen(state), 54, "%s", state);
    unsigned char h[FLOW_KEY_LEN], raw[40];
    cr_assert(util_b64url_decode(raw, sizeof raw, state, strlen(state)));
    memcpy(h, raw, FLOW_PREFIX_LEN);
    uint64_t prefix = 0;
    for (int i = 0; i < FLOW_PREFIX_LEN; i++)
        prefix = prefix << 8 | raw[i];
    cr_assert_eq((int64_t)(prefix >> 24), T_clock + 600);
    crypto_hash_sha256(h + FLOW_PREFIX_LEN, (const unsigned char *)state, strlen(state));
    struct arena a;
    arena_init(&a);
    struct flow_rec f;
    struct err e = {0};
    cr_assert_eq(store_flow_take(T_app.store, &a, h, &f, &e), ST_OK, "%s", e.msg);
    cr_assert_str_eq(f.token_url, SITE);
    cr_assert_str_eq(f.provider_id, pid);
    cr_assert_str_eq(f.app_id, APP);
    cr_assert_eq(f.expires_at, T_clock + 600);
    unsigned char d[32];
    crypto_hash_sha256(d, (const unsigned char *)f.verifier, strlen(f.verifier));
    char want[64];
    util_b64url_encode(want, d, 32);
    cr_assert_str_eq(challenge, want);
    cr_assert(param(loc, "nonce", v, sizeof v) && !strcmp(v, f.nonce));
    arena_cleanup(&a);
    /* Each start is a flow of its own: many tabs work. */
    start("token_url=" SITE);
    char state2[128];
    cr_assert(param(t_header(&r, "Location"), "state", state2, sizeof state2));
    cr_assert_str_neq(state, state2);
}

/* What a callback seals: the answer, a newline, what extended=true adds. */
#define DATA_ANSWER                                                                                \
    "{\"stat\":\"ok\",\"profile\":{\"identifier\":\"" REALM "/x/id/alice\"},"                      \
    "\"accessCredentials\":{\"accessToken\":\"at\"}}\n"
#define DATA_OIDC DATA_ANSWER "\"oidc\":{\"iss\":\"https://idp.example\",\"sub\":\"alice\"}"

/* A one-time token for app (cid A) with data, as a callback stores it. */
static void mint_data(const char *app, const char *token, const char *token_url, int64_t ttl,
                      const char *data)
{
    struct signin_token_rec t = {.token_url = token_url, .expires_at = T_clock + ttl};
    snprintf(t.cid, sizeof t.cid, "%s", CID_A);
    snprintf(t.app_id, sizeof t.app_id, "%s", app);
    snprintf(t.provider_id, sizeof t.provider_id, "%s", pid);
    crypto_hash_sha256(t.hash, (const unsigned char *)token, strlen(token));
    unsigned char *blob;
    size_t n;
    keys_seal(&T_app.keys, data, strlen(data), &blob, &n);
    t.data = blob;
    t.data_len = n;
    struct err e = {0};
    cr_assert_eq(store_signin_token_create(T_app.store, &t, &e), ST_OK, "%s", e.msg);
    free(blob);
}

static void mint(const char *app, const char *token, const char *token_url, int64_t ttl)
{
    mint_data(app, token, token_url, ttl, DATA_OIDC);
}

#define TOK1 "1111111111111111111111111111111111111111"
#define TOK2 "2222222222222222222222222222222222222222"
#define TOK3 "3333333333333333333333333333333333333333"
#define TOK4 "4444444444444444444444444444444444444444"
#define TOK5 "5555555555555555555555555555555555555555"

static void auth_info(const char *query)
{
    T_query = query;
    T_remote = "192.0.2.1";
    t_call(&r, "GET", "/api/v2/auth_info", NULL, NULL, NULL);
}

static void assert_fail(int code, const char *msg)
{
    cr_assert_eq(r.status, 400, "%d %s", r.status, r.body);
    cr_assert_str_eq(t_jstr(r.json, "stat"), "fail", "%s", r.body);
    json_t *err = json_object_get(r.json, "err");
    cr_assert_eq(json_integer_value(json_object_get(err, "code")), code, "%s", r.body);
    cr_assert_str_eq(json_string_value(json_object_get(err, "msg")), msg, "%s", r.body);
}

Test(api_signin, auth_info_answers_every_engage_error_code)
{
    world();
    mint(APP, TOK1, SITE, 120);
    char q[512];
    auth_info("token=" TOK1);
    assert_fail(0, "Missing parameter: apiKey");
    snprintf(q, sizeof q, "apiKey=%s", key);
    auth_info(q);
    assert_fail(0, "Missing parameter: token");
    auth_info("apiKey=0000000000000000000000000000000000000000&token=" TOK1);
    assert_fail(1, "Invalid parameter: apiKey");
    auth_info("apiKey=short&token=" TOK1);
    assert_fail(1, "Invalid parameter: apiKey");
    snprintf(q, sizeof q, "apiKey=%s&token=" TOK1 "&extended=yes", key);
    auth_info(q);
    assert_fail(1, "Invalid parameter: extended");
    snprintf(q, sizeof q, "apiKey=%s&token=nothex", key);
    auth_info(q);
    assert_fail(2, "Data not found");
    snprintf(q, sizeof q, "apiKey=%s&token=" TOK2, key);
    auth_info(q);
    assert_fail(2, "Data not found");
    /* none of that consumed the token */
    snprintf(q, sizeof q, "apiKey=%s&token=" TOK1 "&tokenURL=" SITE, key);
    auth_info(q);
    cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
    cr_assert_str_eq(t_jstr(r.json, "stat"), "ok");
    json_t *profile = json_object_get(r.json, "profile");
    cr_assert_str_eq(t_jstr(profile, "identifier"), REALM "/x/id/alice");
    cr_assert_null(json_object_get(r.json, "oidc"), "%s", r.body); /* not extended */
    cr_assert_eq(json_object_size(r.json), 3, "%s", r.body);
    /* single use */
    auth_info(q);
    assert_fail(2, "Data not found");
}

Test(api_signin, auth_info_extended_mismatch_expiry_and_other_apps)
{
    world();
    char q[512];
    mint(APP, TOK1, SITE, 120);
    snprintf(q, sizeof q, "apiKey=%s&token=" TOK1 "&tokenUrl=https://shop.example/other", key);
    auth_info(q);
    assert_fail(3, "Token URL mismatch: (https://shop.example/other) (" SITE ")");
    snprintf(q, sizeof q, "apiKey=%s&token=" TOK1, key);
    auth_info(q);
    assert_fail(2, "Data not found"); /* a mismatch consumes it */
    mint(APP, TOK3, SITE, 120);
    snprintf(q, sizeof q, "apiKey=%s&token=" TOK3 "&extended=true", key);
    auth_info(q);
    cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
    cr_assert_str_eq(t_jstr(json_object_get(r.json, "oidc"), "sub"), "alice", "%s", r.body);
    /* the sealed answer with the extended members spliced in: all of it */
    cr_assert_str_eq(t_jstr(r.json, "stat"), "ok", "%s", r.body);
    cr_assert_str_eq(t_jstr(json_object_get(r.json, "accessCredentials"), "accessToken"), "at");
    cr_assert_str_eq(t_jstr(json_object_get(r.json, "profile"), "identifier"), REALM "/x/id/alice");
    cr_assert_eq(json_object_size(r.json), 4, "%s", r.body);
    mint_data(APP, TOK5, SITE, 120, DATA_ANSWER); /* an OAuth 2.0 sign-in: nothing to add */
    snprintf(q, sizeof q, "apiKey=%s&token=" TOK5 "&extended=true", key);
    auth_info(q);
    cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
    cr_assert_eq(json_object_size(r.json), 3, "%s", r.body);
    mint(APP, TOK2, SITE, 30);
    T_clock += 30;
    snprintf(q, sizeof q, "apiKey=%s&token=" TOK2, key);
    auth_info(q);
    assert_fail(2, "Data not found"); /* expired */
    /* A token of the other app: not found with this key, and left alone. */
    mint(APP2, TOK4, "https://other.example/", 120);
    snprintf(q, sizeof q, "apiKey=%s&token=" TOK4, key);
    auth_info(q);
    assert_fail(2, "Data not found");
    struct arena a;
    arena_init(&a);
    struct signin_token_rec t;
    unsigned char h[32];
    crypto_hash_sha256(h, (const unsigned char *)TOK4, 40);
    struct err e = {0};
    cr_assert_eq(store_signin_token_take(T_app.store, &a, (struct row_key){CID_A, APP2}, h, &t, &e),
                 ST_OK, "%s", e.msg);
    arena_cleanup(&a);
}

Test(api_signin, auth_info_mismatch_message_stays_json_whatever_the_url_holds)
{
    world();
    char q[512];
    mint(APP, TOK1, SITE, 120);
    snprintf(q, sizeof q,
             "apiKey=%s&token=" TOK1 "&tokenURL=https://shop.example/%%FF%%01x%%C3%%A9", key);
    auth_info(q);
    assert_fail(3, "Token URL mismatch: (https://shop.example/%FF%01x%C3%A9) (" SITE ")");
    cr_assert_eq(r.json ? 0 : 1, 0, "not JSON: %s", r.body);
}

Test(api_signin, auth_info_takes_forms_and_a_rotated_key_stops_at_once)
{
    world();
    mint(APP, TOK1, SITE, 120);
    char body[512];
    snprintf(body, sizeof body, "apiKey=%s&token=" TOK1, key);
    T_remote = "192.0.2.1";
    t_call(&r, "POST", "/api/v2/auth_info", "application/x-www-form-urlencoded", NULL, body);
    cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
    t_call(&r, "POST", P APP "/apiKey", NULL, admin, NULL);
    cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
    mint(APP, TOK2, SITE, 120);
    snprintf(body, sizeof body, "apiKey=%s&token=" TOK2, key); /* the old key */
    T_remote = "192.0.2.1";
    t_call(&r, "POST", "/api/v2/auth_info", "application/x-www-form-urlencoded", NULL, body);
    assert_fail(1, "Invalid parameter: apiKey");
}

Test(api_signin, token_failures_with_a_good_key_lock_nobody_out)
{
    /* Anyone can POST junk to a site's token_url, and the site redeems it:
     * with the site's good key, such failures must not count. */
    world();
    char q[512];
    for (int i = 0; i < 150; i++) {
        snprintf(q, sizeof q, "apiKey=%s&token=%s", key, i % 2 ? TOK2 : "junk");
        auth_info(q);
        assert_fail(2, "Data not found");
    }
    mint(APP, TOK1, SITE, 120);
    snprintf(q, sizeof q, "apiKey=%s&token=" TOK1, key);
    auth_info(q);
    cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
}

Test(api_signin, auth_info_failures_are_limited_per_address)
{
    world();
    int limited = 0;
    for (int i = 0; i < 120 && !limited; i++) {
        auth_info("apiKey=0000000000000000000000000000000000000000&token=" TOK1);
        if (r.status == 429)
            limited = i;
    }
    cr_assert_eq(limited, 100, "limited after %d failures", limited);
    cr_assert_not_null(t_header(&r, "Retry-After"));
    cr_assert_str_eq(t_jstr(r.json, "stat"), "fail");
    /* another address is not held back */
    T_query = "apiKey=0000000000000000000000000000000000000000&token=" TOK1;
    T_remote = "198.51.100.7";
    t_call(&r, "GET", "/api/v2/auth_info", NULL, NULL, NULL);
    cr_assert_eq(r.status, 400, "%d %s", r.status, r.body);
}

Test(api_signin, start_is_limited_per_address)
{
    world();
    int limited = 0;
    for (int i = 0; i < 700 && !limited; i++) {
        T_remote = "192.0.2.9";
        start("token_url=" SITE);
        if (r.status == 429)
            limited = i;
        else
            cr_assert_eq(r.status, 302, "%d %s", r.status, r.body);
    }
    cr_assert_eq(limited, 600, "limited after %d sign-ins", limited);
    assert_page(429, "too_many_sign_ins");
    cr_assert_not_null(t_header(&r, "Retry-After"));
    T_remote = "198.51.100.7"; /* another address is not held back */
    start("token_url=" SITE);
    cr_assert_eq(r.status, 302, "%d %s", r.status, r.body);
}
