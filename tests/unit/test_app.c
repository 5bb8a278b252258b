/* SPDX-License-Identifier: MIT */
/*
 * Social-login apps (SPEC §7.1): the URL rule of token_urls and realm, the
 * prefix rule a sign-in's token_url must pass (tricky URLs included), the
 * merge patch with its 422 pointers, the shown JSON and the ETag.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "model/model.h"

static struct arena a;

static void setup(void)
{
    arena_init(&a);
}

static void teardown(void)
{
    arena_cleanup(&a);
}

TestSuite(app, .init = setup, .fini = teardown);

static bool url_ok(const char *u)
{
    return app_url_validate(u, "/x", NULL) == ST_OK;
}

Test(app, url_rule_accepts_https_and_loopback_http)
{
    const char *good[] = {
        "https://a.example",    "https://a.example/",       "https://a.example:8443/cb?x=1",
        "HTTPS://A.EXAMPLE/cb", "http://localhost:3000/cb", "http://127.0.0.1/cb",
        "http://[::1]:8080/cb", "https://[2001:db8::1]/cb", "https://a.example/cb%2e%2e"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        cr_assert(url_ok(good[i]), "%s", good[i]);
}

Test(app, url_rule_refuses_http_userinfo_fragment_backslash_and_junk)
{
    const char *bad[] = {"http://a.example/cb",
                         "http://localhost.evil.example/cb",
                         "http://127.0.0.2/cb",
                         "http://[::2]/cb",
                         "https://a@b.example/cb",
                         "https://a:pw@b.example",
                         "https://a\\@b.example",
                         "https://a.example\\cb",
                         "https://a.example/cb#frag",
                         "https://a.example/cb#",
                         "ftp://a.example",
                         "a.example/cb",
                         "//a.example/cb",
                         "https://",
                         "https:///cb",
                         "https://a.example:/cb",
                         "https://a.example:0/cb",
                         "https://a.example:65536/cb",
                         "https://a.example:44x/cb",
                         "https://a_b.example/cb",
                         "https://[::1/cb",
                         "https://a.example/c b",
                         "https://a.example/\"",
                         "javascript:alert(1)",
                         ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_assert_not(url_ok(bad[i]), "%s", bad[i]);
}

Test(app, url_rule_names_the_field_and_why)
{
    struct err e = {0};
    cr_assert_eq(app_url_validate("https://u@h.example", "/token_urls/3", &e), ST_UNPROCESSABLE);
    cr_assert_str_eq(e.details[0].field, "/token_urls/3");
    cr_assert(strstr(e.details[0].reason, "userinfo"), "%s", e.details[0].reason);
}

static bool allowed(const char *urls, const char *url)
{
    struct login_app app = {.id = "abcdefghijabcdefghij", .name = "n", .realm = "https://r"};
    app.token_urls = urls;
    return app_token_url_allowed(&app, url);
}

Test(app, token_url_allowed_by_scheme_host_port_and_path_prefix)
{
    const char *l = "[\"https://shop.example/cb\"]";
    cr_assert(allowed(l, "https://shop.example/cb"));
    cr_assert(allowed(l, "https://shop.example/cb?next=%2Fhome"));
    cr_assert(allowed(l, "https://shop.example/cb/more"));
    cr_assert(allowed(l, "HTTPS://SHOP.EXAMPLE/cb"), "scheme and host are case-insensitive");
    cr_assert(allowed(l, "https://shop.example:443/cb"), "443 is https's default port");
    cr_assert_not(allowed(l, "https://shop.example/cbevil"), "not on a segment boundary");
    cr_assert_not(allowed(l, "https://shop.example/CB"), "the path is case-sensitive");
    cr_assert_not(allowed(l, "https://shop.example/"));
    cr_assert_not(allowed(l, "https://shop.example"));
    cr_assert_not(allowed(l, "https://shop.example:8443/cb"));
    cr_assert_not(allowed(l, "https://evil.example/cb"));
    cr_assert_not(allowed(l, "https://shop.example.evil.example/cb"));
    cr_assert_not(allowed(l, "http://shop.example/cb"));
    cr_assert_not(allowed(l, "https://shop.example@evil.example/cb"));
    cr_assert_not(allowed(l, "https://evil.example\\@shop.example/cb"));
    cr_assert_not(allowed(l, "https://shop.example/cb#frag"));
}

Test(app, token_url_entry_ending_in_slash_allows_below_it_only)
{
    const char *l = "[\"https://shop.example/cb/\"]";
    cr_assert(allowed(l, "https://shop.example/cb/"));
    cr_assert(allowed(l, "https://shop.example/cb/x"));
    cr_assert_not(allowed(l, "https://shop.example/cb"));
    cr_assert_not(allowed(l, "https://shop.example/cbx"));
}

Test(app, token_url_refuses_dot_segments_and_encoded_slashes)
{
    const char *l = "[\"https://shop.example/cb/\"]";
    cr_assert_not(allowed(l, "https://shop.example/cb/../admin"));
    cr_assert_not(allowed(l, "https://shop.example/cb/./x"));
    cr_assert_not(allowed(l, "https://shop.example/cb/%2e%2e/admin"));
    cr_assert_not(allowed(l, "https://shop.example/cb/%2E./admin"));
    cr_assert_not(allowed(l, "https://shop.example/cb/.%2e"));
    cr_assert_not(allowed(l, "https://shop.example/cb/..%2fadmin"));
    cr_assert_not(allowed(l, "https://shop.example/cb/%5c..%5cadmin"));
    cr_assert(allowed(l, "https://shop.example/cb/...x"), "a name with dots is a name");
    cr_assert(allowed(l, "https://shop.example/cb/v1.2"));
}

Test(app, token_url_empty_path_is_root_and_ports_default)
{
    cr_assert(allowed("[\"https://a.example\"]", "https://a.example/any/where"));
    cr_assert(allowed("[\"https://a.example/\"]", "https://a.example"));
    cr_assert(allowed("[\"https://a.example:443\"]", "https://a.example/x"));
    cr_assert(allowed("[\"http://localhost:80/\"]", "http://LOCALHOST/x"));
    cr_assert_not(allowed("[\"http://localhost:3000/\"]", "http://localhost/x"));
    cr_assert(allowed("[\"http://[::1]:3000/cb\"]", "http://[::1]:3000/cb"));
    cr_assert_not(allowed("[\"http://[::1]:3000/cb\"]", "http://127.0.0.1:3000/cb"));
}

Test(app, token_url_with_no_entries_or_any_entry)
{
    cr_assert_not(allowed("[]", "https://a.example/cb"), "default []: no sign-in possible");
    cr_assert_not(allowed(NULL, "https://a.example/cb"));
    const char *two = "[\"https://a.example/one\",\"https://b.example/two\"]";
    cr_assert(allowed(two, "https://b.example/two"));
    cr_assert_not(allowed(two, "https://a.example/two"));
}

/* ---- the patch ------------------------------------------------------------ */

static struct login_app base(void)
{
    struct login_app app = {
        .id = "abcdefghijabcdefghij", .name = "Shop", .realm = "https://login.shop.example"};
    login_app_defaults(&app);
    return app;
}

static enum st patch(const char *text, struct login_app *out, struct err *e)
{
    json_t *p = json_loads(text, 0, NULL);
    cr_assert_not_null(p, "%s", text);
    struct login_app cur = base();
    enum st st = login_app_patch(&a, &cur, p, out, e);
    json_decref(p);
    return st;
}

static void refused(const char *text, const char *field)
{
    struct login_app out;
    struct err e = {0};
    cr_assert_eq(patch(text, &out, &e), ST_UNPROCESSABLE, "%s", text);
    bool named = false;
    for (int i = 0; i < e.ndetails; i++)
        named = named || strcmp(e.details[i].field, field) == 0;
    cr_assert(named, "%s: no detail %s (first: %s)", text, field, e.details[0].field);
}

Test(app, patch_changes_members_and_fills_settings_defaults)
{
    struct login_app out;
    cr_assert_eq(patch("{\"name\":\"New\",\"token_urls\":[\"https://s.example/cb\"],"
                       "\"settings\":{\"token_ttl\":30}}",
                       &out, NULL),
                 ST_OK);
    cr_assert_str_eq(out.name, "New");
    cr_assert_str_eq(out.realm, "https://login.shop.example");
    cr_assert_str_eq(out.id, "abcdefghijabcdefghij");
    cr_assert_str_eq(out.token_urls, "[\"https://s.example/cb\"]");
    struct app_settings s;
    cr_assert_eq(app_settings_get(&out, &s), ST_OK);
    cr_assert_eq(s.token_ttl, 30);
    cr_assert(s.post_tokens_to_token_url);
    cr_assert_not(s.standard_claims);
    cr_assert_not(s.return_access_credentials);
    cr_assert_eq(login_app_validate(&out, NULL), ST_OK);
}

Test(app, patch_with_null_restores_a_default)
{
    struct login_app out;
    cr_assert_eq(patch("{\"token_urls\":null,\"settings\":{\"token_ttl\":null}}", &out, NULL),
                 ST_OK);
    cr_assert_str_eq(out.token_urls, "[]");
    struct app_settings s;
    app_settings_get(&out, &s);
    cr_assert_eq(s.token_ttl, APP_TOKEN_TTL_DEFAULT);
}

Test(app, patch_refuses_each_bad_field_with_its_pointer)
{
    refused("{\"token_urls\":[\"not a url\"]}", "/token_urls/0");
    refused("{\"token_urls\":[\"https://ok.example\",\"http://a.example/cb\"]}", "/token_urls/1");
    refused("{\"token_urls\":[\"https://u@a.example/cb\"]}", "/token_urls/0");
    refused("{\"token_urls\":[\"https://a.example/cb#f\"]}", "/token_urls/0");
    refused("{\"token_urls\":[\"https://a.example\\\\cb\"]}", "/token_urls/0");
    refused("{\"token_urls\":[42]}", "/token_urls/0");
    refused("{\"token_urls\":\"https://a.example\"}", "/token_urls");
    refused("{\"settings\":{\"token_ttl\":29}}", "/settings/token_ttl");
    refused("{\"settings\":{\"token_ttl\":601}}", "/settings/token_ttl");
    refused("{\"settings\":{\"token_ttl\":\"60\"}}", "/settings/token_ttl");
    refused("{\"settings\":{\"token_ttl\":60.5}}", "/settings/token_ttl");
    refused("{\"settings\":{\"standard_claims\":1}}", "/settings/standard_claims");
    refused("{\"settings\":{\"post_tokens_to_token_url\":\"true\"}}",
            "/settings/post_tokens_to_token_url");
    refused("{\"settings\":{\"return_access_credentials\":null,\"nope\":true}}", "/settings/nope");
    refused("{\"settings\":[]}", "/settings");
    refused("{\"nmae\":\"x\"}", "/nmae");
    refused("{\"Name\":\"x\"}", "/Name");
    refused("{\"name\":\"\"}", "/name");
    refused("{\"name\":null}", "/name");
    refused("{\"name\":7}", "/name");
    refused("{\"realm\":\"http://login.shop.example\"}", "/realm");
    refused("{\"realm\":\"https://login.shop.example/\"}", "/realm");
    refused("{\"realm\":\"https://u@login.shop.example\"}", "/realm");
    refused("{\"id\":\"zzzzzzzzzzzzzzzzzzzz\"}", "/id");
}

Test(app, patch_accepts_loopback_http_realm_and_the_same_id)
{
    struct login_app out;
    cr_assert_eq(
        patch("{\"realm\":\"http://localhost:8080\",\"id\":\"abcdefghijabcdefghij\"}", &out, NULL),
        ST_OK);
    cr_assert_str_eq(out.realm, "http://localhost:8080");
}

Test(app, patch_names_every_bad_field_at_once)
{
    struct login_app out;
    struct err e = {0};
    cr_assert_eq(patch("{\"name\":\"\",\"settings\":{\"token_ttl\":1},\"x\":1}", &out, &e),
                 ST_UNPROCESSABLE);
    cr_assert_eq(e.ndetails, 3);
}

Test(app, patch_body_not_an_object_is_invalid)
{
    struct login_app out;
    cr_assert_eq(patch("[1]", &out, NULL), ST_INVALID);
}

Test(app, shown_json_has_every_member_and_never_a_key)
{
    struct login_app app = base();
    json_t *j = login_app_to_json(&app, "https://h/self");
    cr_assert_eq(json_object_size(j), 6);
    cr_assert(json_is_array(json_object_get(j, "token_urls")));
    json_t *s = json_object_get(j, "settings");
    cr_assert_eq(json_object_size(s), 4);
    cr_assert_eq(json_integer_value(json_object_get(s, "token_ttl")), 120);
    cr_assert(json_is_true(json_object_get(s, "post_tokens_to_token_url")));
    cr_assert_null(json_object_get(j, "apiKey"));
    json_decref(j);
}

Test(app, etag_changes_with_what_is_shown_only)
{
    struct login_app x = base(), y = base();
    char e1[65], e2[65];
    login_app_etag(&x, e1);
    y.settings = "{}"; /* reads as the defaults: shown the same */
    login_app_etag(&y, e2);
    cr_assert_str_eq(e1, e2);
    y.token_urls = "[\"https://a.example\"]";
    login_app_etag(&y, e2);
    cr_assert_str_neq(e1, e2);
}

Test(app, validate_checks_stored_token_urls_and_settings)
{
    struct login_app app = base();
    cr_assert_eq(login_app_validate(&app, NULL), ST_OK);
    app.token_urls = "[\"http://a.example\"]";
    cr_assert_eq(login_app_validate(&app, NULL), ST_UNPROCESSABLE);
    app = base();
    app.settings = "{\"token_ttl\":5}";
    cr_assert_eq(login_app_validate(&app, NULL), ST_UNPROCESSABLE);
}

Test(app, key_is_40_lower_hex_and_fresh)
{
    char k1[APP_KEY_LEN + 1], k2[APP_KEY_LEN + 1];
    app_key_generate(k1);
    app_key_generate(k2);
    cr_assert_eq(strlen(k1), 40);
    cr_assert_eq(strspn(k1, "0123456789abcdef"), 40);
    cr_assert_str_neq(k1, k2);
}
