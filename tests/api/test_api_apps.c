/* SPDX-License-Identifier: MIT */
/*
 * In-process: an app's admin API additions (SPEC §7.1): PATCH (merge
 * patch, If-Match, ETag, 415, 422 per field), the fields GET shows, and the
 * apiKey: shown and rotated only for callers covering POST on it (§3),
 * sealed at rest, made on first use for an app that has none.
 */
#include "harness.h"

TestSuite(api_apps, .init = t_setup, .fini = t_teardown);

#define APP "layflfixkxlhgruitref"
#define APP_URL "/" CID_A "/v2/config/low/services/engage-v2/apps/" APP
#define KEY_URL APP_URL "/apiKey"
#define MERGE "application/merge-patch+json"

static struct t_resp r;
static char admin[96], reader[96], v2[96];

/* Customer A with an app (no key yet) and three callers: *:**, GET:**
 * and a caller limited to v2 paths. */
static void world(void)
{
    char id[CLIENT_ID_LEN + 1], secret[CLIENT_SECRET_LEN + 1], tok[OAUTH_TOKEN_LEN + 1];
    t_customer(CID_A, "[\"*:**\",\"GET:**\",\"*:v2/**\"]", 3600, id, secret);
    t_token(CID_A, id, secret, "*:**", tok);
    snprintf(admin, sizeof admin, "Bearer %s", tok);
    t_token(CID_A, id, secret, "GET:**", tok);
    snprintf(reader, sizeof reader, "Bearer %s", tok);
    t_token(CID_A, id, secret, "*:v2/**", tok);
    snprintf(v2, sizeof v2, "Bearer %s", tok);
    struct login_app app = {.id = APP, .name = "Shop", .realm = "https://r.example"};
    login_app_defaults(&app);
    struct err e = {0};
    cr_assert_eq(store_app_create(T_app.store, CID_A, &app, &e), ST_OK, "%s", e.msg);
}

static void get_key(const char *auth, char out[APP_KEY_LEN + 1])
{
    t_call(&r, "GET", KEY_URL, NULL, auth, NULL);
    cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
    const char *k = t_jstr(r.json, "apiKey");
    cr_assert_eq(strlen(k), APP_KEY_LEN, "%s", k);
    cr_assert_eq(strspn(k, "0123456789abcdef"), APP_KEY_LEN, "%s", k);
    cr_assert_eq(json_object_size(r.json), 1);
    snprintf(out, APP_KEY_LEN + 1, "%s", k);
}

static void assert_insufficient_scope(void)
{
    cr_assert_eq(r.status, 403, "%d %s", r.status, r.body);
    const char *www = t_header(&r, "WWW-Authenticate");
    cr_assert(www && strstr(www, "insufficient_scope"), "%s", www ? www : "(none)");
    cr_assert_null(strstr(r.body, "apiKey"), "%s", r.body);
}

Test(api_apps, get_shows_every_field_with_defaults_and_never_the_key)
{
    world();
    t_call(&r, "GET", APP_URL, NULL, admin, NULL);
    cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
    cr_assert_eq(json_array_size(json_object_get(r.json, "token_urls")), 0);
    json_t *s = json_object_get(r.json, "settings");
    cr_assert(json_is_true(json_object_get(s, "post_tokens_to_token_url")));
    cr_assert_eq(json_integer_value(json_object_get(s, "token_ttl")), 120);
    cr_assert(json_is_false(json_object_get(s, "standard_claims")));
    cr_assert(json_is_false(json_object_get(s, "return_access_credentials")));
    char key[APP_KEY_LEN + 1];
    get_key(admin, key);
    t_call(&r, "GET", APP_URL, NULL, admin, NULL);
    cr_assert_null(json_object_get(r.json, "apiKey"));
    cr_assert_null(strstr(r.body, key), "the app shows its key: %s", r.body);
}

Test(api_apps, patch_answers_the_app_with_a_new_etag_and_get_shows_it)
{
    world();
    t_call(&r, "GET", APP_URL, NULL, admin, NULL);
    char before[80];
    snprintf(before, sizeof before, "%s", t_header(&r, "ETag"));
    t_call(&r, "PATCH", APP_URL, MERGE, admin,
           "{\"name\":\"New\",\"realm\":\"http://localhost:8080\","
           "\"token_urls\":[\"https://shop.example/cb\"],"
           "\"settings\":{\"token_ttl\":600,\"standard_claims\":true}}");
    cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
    const char *etag = t_header(&r, "ETag");
    cr_assert_not_null(etag);
    cr_assert_str_neq(etag, before);
    char after[80];
    snprintf(after, sizeof after, "%s", etag);
    cr_assert_str_eq(t_jstr(r.json, "name"), "New");
    cr_assert_null(json_object_get(r.json, "apiKey"));
    t_call(&r, "GET", APP_URL, NULL, admin, NULL);
    cr_assert_str_eq(t_header(&r, "ETag"), after);
    cr_assert_str_eq(t_jstr(r.json, "realm"), "http://localhost:8080");
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(r.json, "token_urls"), 0)),
                     "https://shop.example/cb");
    json_t *s = json_object_get(r.json, "settings");
    cr_assert_eq(json_integer_value(json_object_get(s, "token_ttl")), 600);
    cr_assert(json_is_true(json_object_get(s, "standard_claims")));
    cr_assert(json_is_true(json_object_get(s, "post_tokens_to_token_url")), "kept its default");
}

Test(api_apps, patch_honours_if_match)
{
    world();
    t_call(&r, "GET", APP_URL, NULL, admin, NULL);
    char etag[80];
    snprintf(etag, sizeof etag, "%s", t_header(&r, "ETag"));
    T_if_match = "\"0000\"";
    t_call(&r, "PATCH", APP_URL, MERGE, admin, "{\"name\":\"Lost\"}");
    cr_assert_eq(r.status, 412, "%d %s", r.status, r.body);
    T_if_match = etag;
    t_call(&r, "PATCH", APP_URL, MERGE, admin, "{\"name\":\"Won\"}");
    cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
    T_if_match = etag; /* stale now */
    t_call(&r, "PATCH", APP_URL, MERGE, admin, "{\"name\":\"Lost\"}");
    cr_assert_eq(r.status, 412, "%d %s", r.status, r.body);
    t_call(&r, "GET", APP_URL, NULL, admin, NULL);
    cr_assert_str_eq(t_jstr(r.json, "name"), "Won");
}

Test(api_apps, patch_needs_merge_patch_media)
{
    world();
    t_call(&r, "PATCH", APP_URL, "application/json", admin, "{\"name\":\"x\"}");
    cr_assert_eq(r.status, 415, "%d %s", r.status, r.body);
    t_call(&r, "PATCH", APP_URL, "application/json-patch+json", admin, "[]");
    cr_assert_eq(r.status, 415, "%d %s", r.status, r.body);
}

static void refused(const char *body, const char *field)
{
    unsigned char before[32], after[32];
    t_digest(before);
    t_call(&r, "PATCH", APP_URL, MERGE, admin, body);
    cr_assert_eq(r.status, 422, "%s: %d %s", body, r.status, r.body);
    cr_assert(t_has_detail(&r, field), "%s: no %s in %s", body, field, r.body);
    t_digest(after);
    cr_assert(!memcmp(before, after, 32), "%s: written", body);
}

Test(api_apps, patch_refuses_bad_fields_with_pointers_and_writes_nothing)
{
    world();
    refused("{\"token_urls\":[\"not a url\"]}", "/token_urls/0");
    refused("{\"token_urls\":[\"http://shop.example/cb\"]}", "/token_urls/0");
    refused("{\"token_urls\":[\"https://ok.example\",\"https://u@shop.example/cb\"]}",
            "/token_urls/1");
    refused("{\"token_urls\":[\"https://shop.example/cb#x\"]}", "/token_urls/0");
    refused("{\"token_urls\":[\"https://shop.example\\\\@evil.example/cb\"]}", "/token_urls/0");
    refused("{\"settings\":{\"token_ttl\":29}}", "/settings/token_ttl");
    refused("{\"settings\":{\"token_ttl\":601}}", "/settings/token_ttl");
    refused("{\"settings\":{\"standard_claims\":\"yes\"}}", "/settings/standard_claims");
    refused("{\"settings\":{\"post_tokens\":true}}", "/settings/post_tokens");
    refused("{\"tokenUrls\":[]}", "/tokenUrls");
    refused("{\"name\":\"\"}", "/name");
    refused("{\"realm\":\"http://r.example\"}", "/realm");
    refused("{\"id\":\"aaaaaaaaaaaaaaaaaaaa\"}", "/id");
    t_call(&r, "PATCH", APP_URL, MERGE, admin, "[]");
    cr_assert_eq(r.status, 400, "%d %s", r.status, r.body);
    t_call(&r, "PATCH", APP_URL, MERGE, admin, "{\"name\":");
    cr_assert_eq(r.status, 400, "%d %s", r.status, r.body);
}

Test(api_apps, patch_of_an_unknown_app_is_404_and_read_only_token_is_403)
{
    world();
    t_call(&r, "PATCH", "/" CID_A "/v2/config/low/services/engage-v2/apps/nosuchappnosuchappxx",
           MERGE, admin, "{\"name\":\"x\"}");
    cr_assert_eq(r.status, 404, "%d %s", r.status, r.body);
    t_call(&r, "PATCH", APP_URL, MERGE, reader, "{\"name\":\"x\"}");
    assert_insufficient_scope();
}

Test(api_apps, key_is_made_once_and_shown_only_to_callers_covering_post)
{
    world();
    char k1[APP_KEY_LEN + 1], k2[APP_KEY_LEN + 1];
    get_key(admin, k1); /* the app had none: made now */
    get_key(admin, k2);
    cr_assert_str_eq(k1, k2);
    cr_assert_not_null(t_header(&r, "Pragma"));
    get_key(v2, k2); /* a v2-only caller covers POST on the key path */
    cr_assert_str_eq(k1, k2);
    t_call(&r, "GET", APP_URL, NULL, reader, NULL);
    cr_assert_eq(r.status, 200, "the read-only token works: %d %s", r.status, r.body);
    t_call(&r, "GET", KEY_URL, NULL, reader, NULL);
    assert_insufficient_scope();
    t_call(&r, "POST", KEY_URL, NULL, reader, NULL);
    assert_insufficient_scope();
    get_key(admin, k2);
    cr_assert_str_eq(k1, k2, "a refused rotation changed the key");
}

Test(api_apps, key_is_sealed_at_rest_and_rotation_retires_the_old_one)
{
    world();
    char old[APP_KEY_LEN + 1], now[APP_KEY_LEN + 1];
    get_key(admin, old);
    struct sealed_secret sec = {0};
    struct row_key k = {CID_A, APP};
    cr_assert_eq(store_app_key_get(T_app.store, k, &sec, NULL), ST_OK);
    cr_assert_null(memmem(sec.blob, sec.len, old, APP_KEY_LEN), "stored in clear");
    unsigned char v[32];
    keys_verifier(&T_app.keys, old, APP_KEY_LEN, v);
    cr_assert(secret_equal(v, sec.verifier, 32));
    free(sec.blob);

    t_call(&r, "POST", KEY_URL, NULL, admin, NULL);
    cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
    snprintf(now, sizeof now, "%s", t_jstr(r.json, "apiKey"));
    cr_assert_eq(strlen(now), APP_KEY_LEN);
    cr_assert_str_neq(now, old);
    cr_assert_eq(store_app_key_get(T_app.store, k, &sec, NULL), ST_OK);
    cr_assert_not(secret_equal(v, sec.verifier, 32), "the old key still verifies");
    keys_verifier(&T_app.keys, now, APP_KEY_LEN, v);
    cr_assert(secret_equal(v, sec.verifier, 32));
    free(sec.blob);
    get_key(admin, old);
    cr_assert_str_eq(old, now);
}

Test(api_apps, key_of_an_unknown_app_is_404)
{
    world();
    t_call(&r, "GET",
           "/" CID_A "/v2/config/low/services/engage-v2/apps/nosuchappnosuchappxx/apiKey", NULL,
           admin, NULL);
    cr_assert_eq(r.status, 404, "%d %s", r.status, r.body);
    t_call(&r, "POST",
           "/" CID_A "/v2/config/low/services/engage-v2/apps/nosuchappnosuchappxx/apiKey", NULL,
           admin, NULL);
    cr_assert_eq(r.status, 404, "%d %s", r.status, r.body);
}

Test(api_apps, another_customers_token_reaches_no_app)
{
    world();
    char id[CLIENT_ID_LEN + 1], secret[CLIENT_SECRET_LEN + 1], tok[OAUTH_TOKEN_LEN + 1], b[96];
    t_customer(CID_B, "[\"*:**\"]", 3600, id, secret);
    t_token(CID_B, id, secret, NULL, tok);
    snprintf(b, sizeof b, "Bearer %s", tok);
    unsigned char before[32], after[32];
    t_digest(before);
    t_call(&r, "GET", KEY_URL, NULL, b, NULL);
    cr_assert_eq(r.status, 403, "%d %s", r.status, r.body);
    t_call(&r, "POST", KEY_URL, NULL, b, NULL);
    cr_assert_eq(r.status, 403, "%d %s", r.status, r.body);
    t_call(&r, "PATCH", APP_URL, MERGE, b, "{\"name\":\"x\"}");
    cr_assert_eq(r.status, 403, "%d %s", r.status, r.body);
    t_digest(after);
    cr_assert(!memcmp(before, after, 32));
    /* under B's own prefix, A's app does not exist */
    t_call(&r, "GET", "/" CID_B "/v2/config/low/services/engage-v2/apps/" APP "/apiKey", NULL, b,
           NULL);
    cr_assert_eq(r.status, 404, "%d %s", r.status, r.body);
    t_call(&r, "PATCH", "/" CID_B "/v2/config/low/services/engage-v2/apps/" APP, MERGE, b,
           "{\"name\":\"x\"}");
    cr_assert_eq(r.status, 404, "%d %s", r.status, r.body);
}
