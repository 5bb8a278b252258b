/* SPDX-License-Identifier: MIT */
/*
 * Custom-provider validation per protocol (SPEC §5): required fields,
 * https URLs, unknown and other-family fields, attribute_map rules, the
 * certificate, and that a 422 names every offending field.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "model/model.h"

#include "../test_cert.h"

#include "cert_fixtures.h"

#define OIDC                                                                                       \
    "{\"title\":\"t\",\"protocol\":\"openidconnect\",\"auth_url\":\"https://i.example/a\","        \
    "\"token_url\":\"https://i.example/t\",\"client_id\":\"c\",\"client_secret\":\"s\""

#define SAML "{\"title\":\"t\",\"protocol\":\"saml2\",\"auth_url\":\"https://i.example/sso\","

static struct err e;
static json_t *doc;

static void teardown(void)
{
    json_decref(doc);
    doc = NULL;
}

TestSuite(provider, .fini = teardown);

static enum st check(const char *text)
{
    json_error_t je;
    json_decref(doc);
    doc = json_loads(text, 0, &je);
    cr_assert_not_null(doc, "bad test JSON: %s (%s)", je.text, text);
    err_clear(&e);
    return provider_validate(doc, &e);
}

static bool named(const char *field)
{
    for (int i = 0; i < e.ndetails; i++)
        if (strcmp(e.details[i].field, field) == 0)
            return true;
    return false;
}

Test(provider, minimal_oidc_oauth2_and_saml2_are_valid)
{
    cr_assert_eq(check(OIDC "}"), ST_OK, "%s", e.msg);
    cr_assert_eq(
        check("{\"title\":\"t\",\"protocol\":\"oauth2\",\"auth_url\":\"https://i.example/a\","
              "\"token_url\":\"https://i.example/t\",\"client_id\":\"c\","
              "\"client_secret\":\"s\"}"),
        ST_OK);
    cr_assert_eq(check(SAML "\"idp_certificate\":\"" CERT "\"}"), ST_OK, "%s", e.msg);
}

Test(provider, every_optional_field_is_accepted)
{
    cr_assert_eq(check(OIDC
                       ",\"profile_url\":\"https://i.example/me\",\"scopes\":[\"openid\"],"
                       "\"ui\":{\"title\":\"Log in\",\"icon_url\":\"https://i.example/i.png\"},"
                       "\"attribute_map\":{\"/email\":\"/mail\",\"/verifiedEmail\":\"/mail\","
                       "\"/displayName\":\"/n\",\"/name/givenName\":\"/g\","
                       "\"/name/familyName\":\"/f\"}}"),
                 ST_OK, "%s", e.msg);
    cr_assert_eq(
        check(SAML "\"idp_certificate\":\"" CERT "\",\"authn_context\":{\"enabled\":true}}"),
        ST_OK);
}

Test(provider, missing_required_fields_are_each_named)
{
    cr_assert_eq(check("{\"protocol\":\"openidconnect\"}"), ST_UNPROCESSABLE);
    cr_assert(named("/title"));
    cr_assert(named("/auth_url"));
    cr_assert(named("/token_url"));
    cr_assert(named("/client_id"));
    cr_assert(named("/client_secret"));
    cr_assert_eq(check("{\"title\":\"t\",\"auth_url\":\"https://i.example/a\"}"), ST_UNPROCESSABLE);
    cr_assert(named("/protocol"));
}

Test(provider, unknown_protocol_is_rejected)
{
    cr_assert_eq(
        check("{\"title\":\"t\",\"protocol\":\"oauth1\",\"auth_url\":\"https://x.example\"}"),
        ST_UNPROCESSABLE);
    cr_assert(named("/protocol"));
}

Test(provider, http_urls_are_rejected)
{
    cr_assert_eq(check("{\"title\":\"t\",\"protocol\":\"openidconnect\","
                       "\"auth_url\":\"http://i.example/a\",\"token_url\":\"https://\","
                       "\"profile_url\":\"https://i.example/a b\",\"client_id\":\"c\","
                       "\"client_secret\":\"s\",\"ui\":{\"icon_url\":\"ftp://i/x.png\"}}"),
                 ST_UNPROCESSABLE);
    cr_assert(named("/auth_url"));
    cr_assert(named("/token_url"));
    cr_assert(named("/profile_url"));
    cr_assert(named("/ui/icon_url"));
}

Test(provider, urls_follow_the_app_url_rule_https_only)
{
    static const char *const bad[] = {
        "http://localhost/a",
        "https://user@i.example/a",
        "https://i.example/a#f",
        "https://i.example\\\\@x/a",
        "https://i.example:0/a",
        "https://i.example:99999/a",
        "https://[::1/a",
        "https://i_e.example/a",
        "https:///a",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "{\"title\":\"t\",\"protocol\":\"openidconnect\",\"auth_url\":\"%s\","
                 "\"token_url\":\"https://i.example/t\",\"client_id\":\"c\","
                 "\"client_secret\":\"s\"}",
                 bad[i]);
        cr_expect_eq(check(text), ST_UNPROCESSABLE, "%s", bad[i]);
        cr_expect(named("/auth_url"), "%s", bad[i]);
    }
    cr_expect_eq(check("{\"title\":\"t\",\"protocol\":\"openidconnect\","
                       "\"auth_url\":\"HTTPS://I.Example:8443/a?x=1&y=%20\","
                       "\"token_url\":\"https://[::1]/t\",\"client_id\":\"c\","
                       "\"client_secret\":\"s\"}"),
                 ST_OK, "%s", e.msg);
}

Test(provider, misspelled_and_wrong_case_fields_are_unknown)
{
    cr_assert_eq(check(OIDC ",\"titel\":\"x\",\"auth_URL\":\"https://i.example/a\"}"),
                 ST_UNPROCESSABLE);
    cr_assert(named("/titel"));
    cr_assert(named("/auth_URL"));
}

Test(provider, fields_of_the_other_family_are_rejected)
{
    cr_assert_eq(check(OIDC ",\"idp_certificate\":\"" CERT "\"}"), ST_UNPROCESSABLE);
    cr_assert(named("/idp_certificate"));
    cr_assert_eq(check(SAML "\"idp_certificate\":\"" CERT "\",\"token_url\":\"https://i.example\","
                            "\"scopes\":[]}"),
                 ST_UNPROCESSABLE);
    cr_assert(named("/token_url"));
    cr_assert(named("/scopes"));
}

Test(provider, attribute_map_keys_and_values_are_checked)
{
    cr_assert_eq(check(OIDC ",\"attribute_map\":{\"/nickname\":\"/n\",\"/email\":\"email\"}}"),
                 ST_UNPROCESSABLE);
    cr_assert(named("/attribute_map/~1nickname"));
    cr_assert(named("/attribute_map/~1email"));
    cr_assert_eq(check(OIDC ",\"attribute_map\":[]}"), ST_UNPROCESSABLE);
    cr_assert(named("/attribute_map"));
}

Test(provider, certificate_must_parse)
{
    cr_assert_eq(check(SAML "\"idp_certificate\":\"bm90IGEgY2VydGlmaWNhdGU=\"}"), ST_UNPROCESSABLE);
    cr_assert(named("/idp_certificate"));
    cr_assert_eq(check(SAML "\"idp_certificate\":\"%%%\"}"), ST_UNPROCESSABLE);
    cr_assert_eq(check(SAML "\"idp_certificate\":\"" CERT "\"}"), ST_OK);
}

Test(provider, a_certificate_key_must_be_strong_and_cheap_to_check)
{
    cr_assert_eq(check(SAML "\"idp_certificate\":\"" CERT_EC_P384 "\"}"), ST_OK, "%s", e.msg);
    const char *refused[] = {CERT_RSA_1024, CERT_RSA_BIG_EXPONENT, CERT_ED25519, CERT_EC_SECP256K1};
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        char text[4096];
        snprintf(text, sizeof text, SAML "\"idp_certificate\":\"%s\"}", refused[i]);
        cr_assert_eq(check(text), ST_UNPROCESSABLE, "certificate %zu", i);
        cr_assert(named("/idp_certificate"));
    }
}

Test(provider, wrong_types_are_rejected)
{
    cr_assert_eq(check("{\"title\":1,\"protocol\":\"openidconnect\",\"auth_url\":\"https://i.e/a\","
                       "\"token_url\":\"https://i.e/t\",\"client_id\":[],\"client_secret\":\"s\","
                       "\"scopes\":[\"a\",2],\"ui\":\"x\"}"),
                 ST_UNPROCESSABLE);
    cr_assert(named("/title"));
    cr_assert(named("/client_id"));
    cr_assert(named("/scopes/1"));
    cr_assert(named("/ui"));
}

Test(provider, non_object_is_invalid)
{
    cr_assert_eq(check("[]"), ST_INVALID);
}

Test(provider, server_fields_are_stripped_and_changes_detected)
{
    check("{\"id\":\"x\",\"createdAt\":\"a\",\"updatedAt\":\"b\",\"_links\":{},\"title\":\"t\"}");
    json_t *before = json_deep_copy(doc);
    json_t *after = json_deep_copy(doc);
    cr_assert_null(provider_server_changed(before, after));
    json_object_set_new(after, "updatedAt", json_string("c"));
    cr_assert_str_eq(provider_server_changed(before, after), "updatedAt");
    provider_strip_server(after);
    cr_assert_eq(json_object_size(after), 1);
    cr_assert_not_null(json_object_get(after, "title"));
    json_decref(before);
    json_decref(after);
}

Test(provider, representation_has_links_meta_and_fields)
{
    check(OIDC "}");
    struct provider_meta m = {"7fad4d59-5ad7-44ee-801a-6d126fa3737c",
                              "2026-01-01T00:00:00.000000001Z", "2026-01-01T00:00:00.000000002Z"};
    struct provider_links l = {"https://h/self", "https://h/list", "https://r/c.p/callback"};
    json_t *o = provider_to_json(doc, &m, &l);
    cr_assert_str_eq(json_string_value(json_object_get(o, "id")), m.id);
    cr_assert_str_eq(json_string_value(json_object_get(o, "client_secret")), "s");
    json_t *links = json_object_get(o, "_links");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(links, "callback"), "href")),
                     l.callback);
    cr_assert_str_eq(
        json_string_value(json_object_get(json_object_get(links, "collection"), "href")),
        l.collection);
    json_t *item = provider_summary(doc);
    cr_assert_null(json_object_get(item, "client_secret"));
    cr_assert_null(json_object_get(item, "id"));
    cr_assert_str_eq(json_string_value(json_object_get(item, "protocol")), "openidconnect");
    cr_assert_str_eq(json_string_value(json_object_get(item, "title")), "t");
    json_decref(o);
    json_decref(item);
}

/* Checks doc (set directly: deeper than the parser's own test JSON). */
static enum st check_doc(json_t *v)
{
    json_decref(doc);
    doc = v;
    err_clear(&e);
    return provider_validate(doc, &e);
}

/* No provider is valid that a request body could not carry back: past
 * 64 levels (authn_context is free-form) or 64 KiB (scopes is a list). */
Test(provider, a_document_past_64_levels_or_64_kib_is_refused)
{
    json_t *saml = json_loads(SAML "\"idp_certificate\":\"" CERT "\"}", 0, NULL), *inner;
    cr_assert_not_null(saml);
    for (int levels = 63; levels <= 64; levels++) { /* and the document around them */
        inner = json_object();
        for (int i = 1; i < levels; i++)
            inner = json_pack("{s:o}", "a", inner);
        json_t *v = json_deep_copy(saml);
        json_object_set_new(v, "authn_context", inner);
        cr_expect_eq(check_doc(v), levels == 63 ? ST_OK : ST_UNPROCESSABLE, "%d: %s", levels + 1,
                     e.msg);
    }
    cr_expect(named(""), "the document is named");
    json_t *oidc = json_loads(OIDC ",\"scopes\":[]}", 0, NULL), *scopes = json_array();
    char s[4001];
    memset(s, 's', 4000);
    s[4000] = '\0';
    for (int i = 0; i < 17; i++) /* 17 × 4003 bytes */
        json_array_append_new(scopes, json_string(s));
    json_object_set_new(oidc, "scopes", scopes);
    cr_expect_eq(check_doc(oidc), ST_UNPROCESSABLE);
    cr_expect(named(""), "the document is named");
    json_decref(saml);
}
