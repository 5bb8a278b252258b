/* SPDX-License-Identifier: MIT */
/*
 * The pure parts of idp/: the Engage profile (SPEC §7.5) and its RFC 6901
 * pointers, the oauth2 subject, the authorize URL and PKCE (RFC 7636
 * Appendix B), a flow's random values, reading a stored provider, and the
 * discovery and key set cache's bounds.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "idp/idp.h"
#include "idp/idp_int.h"
#include "model/model.h"

static struct arena a;
static struct idp_provider p;
static json_t *doc, *profile;

static void setup(void)
{
    cr_assert_eq(util_init(), ST_OK);
    arena_init(&a);
    p = (struct idp_provider){
        .cid = "c1",
        .id = "p1",
        .protocol = PROTO_OIDC,
        .client_id = "client-1",
        .auth_url = "https://idp.example/authorize",
        .token_url = "https://idp.example/token",
        .callback = "https://sg.example/c1.p1/callback",
        .scope = "openid email",
        .title = "Example IdP",
    };
}

static void teardown(void)
{
    json_decref(p.attribute_map);
    json_decref(doc);
    json_decref(profile);
    arena_cleanup(&a);
}

TestSuite(idp_profile, .init = setup, .fini = teardown);

static json_t *parse(const char *text)
{
    json_error_t je;
    json_t *v = json_loads(text, 0, &je);
    cr_assert_not_null(v, "bad test JSON: %s (%s)", je.text, text);
    return v;
}

/* The profile of subject "s" from the JSON doc text under map text. */
static const json_t *map(const char *map_text, const char *doc_text, bool standard)
{
    json_decref(p.attribute_map);
    json_decref(doc);
    json_decref(profile);
    p.attribute_map = map_text ? parse(map_text) : NULL;
    doc = parse(doc_text);
    profile = idp_profile(&p, "https://login.example", "s", doc, standard);
    cr_assert(json_is_object(profile));
    return profile;
}

static const char *field(const char *ptr)
{
    return json_string_value(idp_pointer_find(profile, ptr));
}

/* ---- the profile ---------------------------------------------------------- */

Test(idp_profile, identifier_names_and_nothing_unmapped)
{
    map(NULL, "{\"email\":\"a@example.com\",\"name\":\"A\"}", false);
    cr_expect_str_eq(field("/identifier"), "https://login.example/c1.p1/id/s");
    cr_expect_str_eq(field("/providerName"), "Example IdP");
    cr_expect_str_eq(field("/providerSpecifier"), "c1.p1");
    cr_expect_eq(json_object_size(profile), 3, "only what attribute_map maps is copied");
}

Test(idp_profile, the_subject_is_percent_encoded_but_unreserved_bytes)
{
    profile = idp_profile(&p, "https://r", "a b/c?d%e~f_g.h-i\xc3\xbc", NULL, false);
    cr_expect_str_eq(field("/identifier"), "https://r/c1.p1/id/a%20b%2Fc%3Fd%25e~f_g.h-i%C3%BC");
}

Test(idp_profile, mapped_pointers_reach_nested_members_escapes_and_arrays)
{
    map("{\"/email\":\"/emails/1/value\",\"/displayName\":\"/a~1b/m~0n\","
        "\"/name/givenName\":\"/names/first\",\"/name/familyName\":\"/names/last\"}",
        "{\"emails\":[{\"value\":\"x@example.com\"},{\"value\":\"y@example.com\"}],"
        "\"a/b\":{\"m~n\":\"Esc\"},\"names\":{\"first\":\"Ada\",\"last\":\"Lovelace\"}}",
        false);
    cr_expect_str_eq(field("/email"), "y@example.com");
    cr_expect_str_eq(field("/displayName"), "Esc");
    cr_expect_str_eq(field("/name/givenName"), "Ada");
    cr_expect_str_eq(field("/name/familyName"), "Lovelace");
    cr_expect_str_eq(field("/name/formatted"), "Ada Lovelace");
}

Test(idp_profile, numbers_and_booleans_become_text_other_values_map_nothing)
{
    map("{\"/email\":\"/n\",\"/displayName\":\"/t\",\"/name/givenName\":\"/r\","
        "\"/name/familyName\":\"/o\",\"/verifiedEmail\":\"/z\"}",
        "{\"n\":42,\"t\":false,\"r\":1.5,\"o\":{\"x\":1},\"z\":null}", false);
    cr_expect_str_eq(field("/email"), "42");
    cr_expect_str_eq(field("/displayName"), "false");
    cr_expect_str_eq(field("/name/givenName"), "1.5");
    cr_expect_null(idp_pointer_find(profile, "/name/familyName"));
    cr_expect_null(idp_pointer_find(profile, "/verifiedEmail"));
    cr_expect_str_eq(field("/name/formatted"), "1.5");
}

Test(idp_profile, pointers_that_find_nothing_map_nothing)
{
    map("{\"/email\":\"/list/01\",\"/displayName\":\"/list/-\",\"/name/givenName\":\"/x~2y\","
        "\"/name/familyName\":\"/list/9\"}",
        "{\"list\":[\"a\",\"b\"],\"x~2y\":\"no\"}", false);
    cr_expect_eq(json_object_size(profile), 3);
}

Test(idp_profile, identifier_and_provider_names_are_never_mapped_over)
{
    map("{\"/identifier\":\"/email\",\"/providerName\":\"/email\",\"/email\":\"/email\"}",
        "{\"email\":\"a@example.com\"}", true);
    cr_expect_str_eq(field("/identifier"), "https://login.example/c1.p1/id/s");
    cr_expect_str_eq(field("/providerName"), "Example IdP");
    cr_expect_str_eq(field("/email"), "a@example.com");
}

Test(idp_profile, standard_claims_fill_unmapped_fields)
{
    static const char *claims =
        "{\"email\":\"a@example.com\",\"email_verified\":true,\"name\":\"Ada L\","
        "\"given_name\":\"Ada\",\"family_name\":\"Lovelace\",\"preferred_username\":\"ada\","
        "\"picture\":\"https://p/a.png\",\"profile\":\"https://p/ada\",\"mail\":\"m@example.com\"}";
    map(NULL, claims, false);
    cr_expect_eq(json_object_size(profile), 3, "off: nothing");
    map(NULL, claims, true);
    cr_expect_str_eq(field("/email"), "a@example.com");
    cr_expect_str_eq(field("/verifiedEmail"), "a@example.com");
    cr_expect_str_eq(field("/displayName"), "Ada L");
    cr_expect_str_eq(field("/name/givenName"), "Ada");
    cr_expect_str_eq(field("/name/familyName"), "Lovelace");
    cr_expect_str_eq(field("/name/formatted"), "Ada Lovelace");
    cr_expect_str_eq(field("/preferredUsername"), "ada");
    cr_expect_str_eq(field("/photo"), "https://p/a.png");
    cr_expect_str_eq(field("/url"), "https://p/ada");
    /* a mapped field keeps its mapping, even when it finds nothing */
    map("{\"/email\":\"/mail\",\"/displayName\":\"/nothing\"}", claims, true);
    cr_expect_str_eq(field("/email"), "m@example.com");
    cr_expect_null(idp_pointer_find(profile, "/displayName"));
}

Test(idp_profile, verified_email_only_when_email_verified_is_true)
{
    map(NULL, "{\"email\":\"a@example.com\",\"email_verified\":false}", true);
    cr_expect_null(idp_pointer_find(profile, "/verifiedEmail"));
    map(NULL, "{\"email\":\"a@example.com\",\"email_verified\":\"true\"}", true);
    cr_expect_null(idp_pointer_find(profile, "/verifiedEmail"), "a string is not true");
    map(NULL, "{\"email\":\"a@example.com\"}", true);
    cr_expect_null(idp_pointer_find(profile, "/verifiedEmail"));
    map(NULL, "{\"email\":\"a@example.com\",\"email_verified\":true}", true);
    cr_expect_str_eq(field("/verifiedEmail"), "a@example.com");
    map("{\"/verifiedEmail\":\"/other\"}",
        "{\"email\":\"a@example.com\",\"email_verified\":true,\"other\":\"o@example.com\"}", true);
    cr_expect_str_eq(field("/verifiedEmail"), "o@example.com");
}

Test(idp_profile, formatted_name_from_either_part)
{
    map(NULL, "{\"given_name\":\"Ada\"}", true);
    cr_expect_str_eq(field("/name/formatted"), "Ada");
    map(NULL, "{\"family_name\":\"Lovelace\"}", true);
    cr_expect_str_eq(field("/name/formatted"), "Lovelace");
    map(NULL, "{\"name\":\"Ada\"}", true);
    cr_expect_null(idp_pointer_find(profile, "/name"), "displayName is not a name part");
}

Test(idp_profile, the_email_is_never_the_identifier)
{
    map("{\"/email\":\"/email\"}", "{\"email\":\"a@example.com\",\"sub\":\"s\"}", true);
    cr_expect_null(strstr(field("/identifier"), "example.com"));
}

/* n bytes of c, from the test's arena. */
static const char *run_of(char c, size_t n)
{
    char *s = arena_alloc(&a, n + 1);
    memset(s, c, n);
    return s;
}

Test(idp_profile, values_over_1_kib_are_left_out_and_the_rest_kept)
{
    const char *kib = run_of('k', IDP_PROFILE_VALUE_MAX), *over = run_of('o', 1025);
    const char *email = arena_printf(&a, "%s@example.com", run_of('e', 1013)); /* 1025 bytes */
    /* standard claims: the over-long email, and so verifiedEmail, left out */
    map(NULL,
        arena_printf(&a,
                     "{\"email\":\"%s\",\"email_verified\":true,\"name\":\"%s\","
                     "\"picture\":\"https://p.example/%s\",\"given_name\":\"%s\","
                     "\"family_name\":\"Doe\"}",
                     email, kib, over, run_of('g', 1000)),
        true);
    cr_expect_null(field("/email"));
    cr_expect_null(field("/verifiedEmail"));
    cr_expect_null(field("/photo"));
    cr_expect_eq(strlen(field("/displayName")), IDP_PROFILE_VALUE_MAX, "exactly 1 KiB is kept");
    cr_expect_eq(strlen(field("/name/givenName")), 1000);
    cr_expect_str_eq(field("/name/familyName"), "Doe");
    cr_expect_eq(strlen(field("/name/formatted")), 1004);
    /* two names that fit, joined into one that does not: the parts stay */
    map(NULL, arena_printf(&a, "{\"given_name\":\"%s\",\"family_name\":\"Doe\"}", kib), true);
    cr_expect_eq(strlen(field("/name/givenName")), IDP_PROFILE_VALUE_MAX);
    cr_expect_str_eq(field("/name/familyName"), "Doe");
    cr_expect_null(field("/name/formatted"));
    /* mapped fields the same */
    map("{\"/email\":\"/a\",\"/url\":\"/b\",\"/displayName\":\"/c/0\"}",
        arena_printf(&a, "{\"a\":\"%s\",\"b\":\"%s\",\"c\":[\"%s\"]}", over, kib, over), false);
    cr_expect_null(field("/email"));
    cr_expect_null(field("/displayName"));
    cr_expect_eq(strlen(field("/url")), IDP_PROFILE_VALUE_MAX);
    cr_expect_eq(json_object_size(profile), 4, "identifier, names and url");
}

/* ---- pointers and subjects -------------------------------------------------- */

Test(idp_profile, rfc6901_pointers)
{
    /* RFC 6901 §5 */
    doc = parse("{\"foo\":[\"bar\",\"baz\"],\"\":0,\"a/b\":1,\"c%d\":2,\"e^f\":3,\"g|h\":4,"
                "\"i\\\\j\":5,\"k\\\"l\":6,\" \":7,\"m~n\":8}");
    cr_expect_eq(idp_pointer_find(doc, ""), doc);
    cr_expect_str_eq(json_string_value(idp_pointer_find(doc, "/foo/0")), "bar");
    static const struct {
        const char *ptr;
        int value;
    } ints[] = {{"/", 0},     {"/a~1b", 1}, {"/c%d", 2}, {"/e^f", 3}, {"/g|h", 4},
                {"/i\\j", 5}, {"/k\"l", 6}, {"/ ", 7},   {"/m~0n", 8}};
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++)
        cr_expect_eq(json_integer_value(idp_pointer_find(doc, ints[i].ptr)), ints[i].value, "%s",
                     ints[i].ptr);
    static const char *const none[] = {"foo",   "/foo/2", "/foo/-", "/foo/01",  "/foo/+1", "/foo/",
                                       "/m~2n", "/m~",    "/x",     "/foo/0/x", "/a~1b/c"};
    for (size_t i = 0; i < sizeof none / sizeof *none; i++)
        cr_expect_null(idp_pointer_find(doc, none[i]), "%s", none[i]);
    cr_expect_null(idp_pointer_find(NULL, "/x"));
}

Test(idp_profile, oauth2_subject_is_sub_then_id_then_user_id)
{
    doc = parse("{\"sub\":\"s\",\"id\":1,\"user_id\":\"u\"}");
    cr_expect_str_eq(idp_subject(&a, &p, doc), "s");
    json_object_del(doc, "sub");
    cr_expect_str_eq(idp_subject(&a, &p, doc), "1");
    json_object_set_new(doc, "id", json_real(1.5)); /* not an integer: skipped */
    cr_expect_str_eq(idp_subject(&a, &p, doc), "u");
    json_object_set_new(doc, "user_id", json_string("")); /* empty: skipped */
    cr_expect_null(idp_subject(&a, &p, doc));
    json_object_set_new(doc, "id", json_integer(-9007199254740993LL));
    cr_expect_str_eq(idp_subject(&a, &p, doc), "-9007199254740993");
}

Test(idp_profile, oauth2_subject_mapped_by_identifier)
{
    p.attribute_map = parse("{\"/identifier\":\"/data/0/uid\"}");
    doc = parse("{\"sub\":\"s\",\"data\":[{\"uid\":77}]}");
    cr_expect_str_eq(idp_subject(&a, &p, doc), "77");
    json_t *long_sub = json_object();
    char text[257];
    memset(text, 'x', 256);
    text[256] = '\0';
    json_object_set_new(long_sub, "uid", json_string(text));
    json_array_set_new(json_object_get(doc, "data"), 0, long_sub);
    cr_expect_null(idp_subject(&a, &p, doc), "over 255 bytes, and no fallback to /sub");
}

/* ---- start: the flow and the authorize URL ---------------------------------- */

Test(idp_profile, pkce_challenge_is_rfc7636_appendix_b)
{
    char c[IDP_CHALLENGE_LEN + 1];
    idp_pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", c);
    cr_expect_str_eq(c, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

static bool b64url_chars(const char *s)
{
    return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
           strlen(s);
}

Test(idp_profile, a_flow_has_fresh_256_bit_values)
{
    struct idp_flow f1, f2;
    idp_flow_new(&a, &f1);
    idp_flow_new(&a, &f2);
    cr_expect_null(f1.state); /* the caller's */
    const char *v1[] = {f1.verifier, f1.nonce}, *v2[] = {f2.verifier, f2.nonce};
    for (int i = 0; i < 2; i++) {
        cr_expect_eq(strlen(v1[i]), 43);
        cr_expect(b64url_chars(v1[i]), "%s", v1[i]);
        cr_expect_str_neq(v1[i], v2[i]);
        for (int j = 0; j < i; j++)
            cr_expect_str_neq(v1[i], v1[j]);
    }
    cr_expect_eq(strlen(f1.request_id), 41);
    cr_expect_eq(f1.request_id[0], '_');
    cr_expect_eq(strspn(f1.request_id + 1, "0123456789abcdef"), 40);
    cr_expect_str_neq(f1.request_id, f2.request_id);
}

static bool starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static const struct idp_flow flow = {.state = "st/1+", .verifier = "ver", .nonce = "n 1"};

Test(idp_profile, authorize_url_keeps_the_endpoint_query_and_encodes_every_value)
{
    p.auth_url = "https://idp.example/authorize?tenant=x&y=1#frag";
    p.client_id = "a b&c";
    char challenge[IDP_CHALLENGE_LEN + 1];
    idp_pkce_challenge("ver", challenge);
    const struct idp_begin o = {.force_reauth = true, .ui_locales = "fr-CA en"};
    const char *url = idp_authorize_url(&a, &p, &flow, &o);
    cr_expect_str_eq(url, arena_printf(&a,
                                       "https://idp.example/authorize?tenant=x&y=1"
                                       "&response_type=code&client_id=a%%20b%%26c"
                                       "&redirect_uri=https%%3A%%2F%%2Fsg.example%%2Fc1.p1%%"
                                       "2Fcallback&scope=openid%%20email&state=st%%2F1%%2B"
                                       "&nonce=n%%201&code_challenge=%s"
                                       "&code_challenge_method=S256&prompt=login"
                                       "&ui_locales=fr-CA%%20en",
                                       challenge));
}

Test(idp_profile, authorize_url_of_oauth2_has_no_nonce_and_no_empty_scope)
{
    p.protocol = PROTO_OAUTH2;
    p.scope = "";
    p.auth_url = "https://gh.example/login/oauth/authorize?";
    const char *url = idp_authorize_url(&a, &p, &flow, NULL);
    cr_expect(starts(url, "https://gh.example/login/oauth/authorize?response_type=code&"), "%s",
              url);
    cr_expect_null(strstr(url, "nonce="));
    cr_expect_null(strstr(url, "scope="));
    cr_expect_null(strstr(url, "prompt="));
    cr_expect_null(strstr(url, "ui_locales="));
    cr_expect(strstr(url, "&code_challenge_method=S256") != NULL);
    p.auth_url = "https://gh.example/authorize";
    url = idp_authorize_url(&a, &p, &flow, NULL);
    cr_expect(starts(url, "https://gh.example/authorize?response_type=code&"), "%s", url);
}

/* ---- reading a stored provider ------------------------------------------- */

Test(idp_profile, provider_read_builds_scope_callback_title_and_endpoints)
{
    struct idp_provider q;
    const char *text =
        "{\"title\":\"T\",\"protocol\":\"openidconnect\",\"auth_url\":\"https://i.example/a\","
        "\"token_url\":\"https://i.example/t\",\"client_id\":\"c\",\"scopes\":[\"email\","
        "\"openid\",\"profile\"],\"ui\":{\"title\":\"UI\",\"icon_url\":\"https://i.example/i\"},"
        "\"attribute_map\":{\"/email\":\"/mail\"}}";
    cr_assert_eq(
        idp_provider_read(&a, "https://sg.example", "c1", "app1", "p1", text, "sec", 3, &q, NULL),
        ST_OK);
    cr_expect_str_eq(q.protocol, PROTO_OIDC);
    cr_expect_str_eq(q.scope, "openid email profile");
    cr_expect_str_eq(q.callback, "https://sg.example/c1.p1/callback");
    cr_expect_str_eq(q.title, "UI");
    cr_expect_str_eq(q.icon_url, "https://i.example/i");
    cr_expect_str_eq(q.client_secret, "sec");
    cr_expect_eq(q.secret_len, 3);
    cr_expect_null(q.profile_url);
    cr_expect_str_eq(json_string_value(json_object_get(q.attribute_map, "/email")), "/mail");
    char hex[65];
    util_sha256_hex("https://i.example/a\nhttps://i.example/t", 39, hex);
    cr_expect_str_eq(q.endpoints, hex);
    idp_provider_cleanup(&q);
    cr_expect_null(q.attribute_map);
}

Test(idp_profile, provider_read_of_oauth2_keeps_the_scopes_and_the_plain_title)
{
    struct idp_provider q;
    const char *text =
        "{\"title\":\"GitHub\",\"protocol\":\"oauth2\",\"auth_url\":\"https://g.example/a\","
        "\"token_url\":\"https://g.example/t\",\"profile_url\":\"https://api.g.example/user\","
        "\"client_id\":\"c\",\"scopes\":[\"read:user\",\"user:email\"]}";
    cr_assert_eq(idp_provider_read(&a, "https://sg", "c1", "app1", "p1", text, NULL, 0, &q, NULL),
                 ST_OK);
    cr_expect_str_eq(q.scope, "read:user user:email");
    cr_expect_str_eq(q.title, "GitHub");
    cr_expect_null(q.icon_url);
    cr_expect_null(q.client_secret);
    cr_expect_null(q.attribute_map);
    cr_expect_str_eq(q.profile_url, "https://api.g.example/user");
    idp_provider_cleanup(&q);
}

Test(idp_profile, provider_read_refuses_documents_it_cannot_use)
{
    static const char *const bad[] = {
        "",
        "[]",
        "{\"protocol\":\"oauth2\"",
        "{\"protocol\":\"cas\",\"auth_url\":\"https://x\"}",
        "{\"auth_url\":\"https://x\"}",
        "{\"protocol\":\"openidconnect\",\"auth_url\":\"https://x\",\"client_id\":\"c\"}",
        "{\"protocol\":\"oauth2\",\"token_url\":\"https://x\",\"client_id\":\"c\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct idp_provider q;
        cr_expect_eq(idp_provider_read(&a, "https://sg", "c", "a", "p", bad[i], NULL, 0, &q, NULL),
                     ST_INVALID, "%s", bad[i]);
        cr_expect_null(q.attribute_map);
    }
    struct idp_provider q;
    cr_expect_eq(idp_provider_read(&a, "https://sg", "c", "a", "p",
                                   "{\"protocol\":\"saml2\",\"auth_url\":\"https://x\"}", NULL, 0,
                                   &q, NULL),
                 ST_INVALID, "a SAML provider without idp_certificate");
    cr_expect_eq(idp_provider_read(&a, "https://sg", "c", "a", "p",
                                   "{\"protocol\":\"saml2\",\"auth_url\":\"https://x\","
                                   "\"idp_certificate\":\"MIIB\",\"authn_context\":{}}",
                                   NULL, 0, &q, NULL),
                 ST_OK, "a SAML provider reads without token_url");
    cr_expect_str_eq(q.metadata, "https://sg/c.p/metadata");
    cr_expect_str_eq(q.idp_certificate, "MIIB");
    char hex[65]; /* a new certificate resets the pin as a new auth_url does */
    util_sha256_hex("https://x\nMIIB", 14, hex);
    cr_expect_str_eq(q.endpoints, hex);
    cr_expect(json_is_object(q.authn_context));
    idp_provider_cleanup(&q);
}

/* ---- the cache --------------------------------------------------------------- */

static const struct idp_discovery disc = {"https://i", "https://i/t", "https://i/k"};

Test(idp_profile, cache_entries_live_ten_minutes)
{
    struct idp_cache *c = idp_cache_new();
    struct idp_discovery d;
    cr_expect_not(idp_cache_discovery_find(c, "https://i", 100, &a, &d));
    idp_cache_discovery_put(c, "https://i", &disc, 100);
    cr_assert(idp_cache_discovery_find(c, "https://i", 699, &a, &d));
    cr_expect_str_eq(d.token_endpoint, "https://i/t");
    cr_expect_str_eq(d.jwks_uri, "https://i/k");
    cr_expect_not(idp_cache_discovery_find(c, "https://i", 700, &a, &d));
    struct jose_jwks *k = NULL;
    json_t *set = parse("{\"keys\":[]}");
    cr_assert_eq(jose_jwks_parse(set, &k, NULL), ST_OK);
    json_decref(set);
    idp_keys_release(idp_cache_keys_put(c, "https://i", "https://i/k", k, 100));
    struct idp_keys *got = idp_cache_keys_find(c, "https://i", "https://i/k", 699);
    cr_expect_not_null(got);
    idp_keys_release(got);
    cr_expect_null(idp_cache_keys_find(c, "https://i", "https://i/other", 200),
                   "a set is kept for its own jwks_uri");
    cr_expect_null(idp_cache_keys_find(c, "https://i", "https://i/k", 700));
    idp_cache_free(c);
}

Test(idp_profile, cache_refetch_once_per_minute_per_issuer)
{
    struct idp_cache *c = idp_cache_new();
    cr_expect(idp_cache_refetch_allowed(c, "https://i", 1000));
    cr_expect_not(idp_cache_refetch_allowed(c, "https://i", 1059));
    cr_expect(idp_cache_refetch_allowed(c, "https://j", 1059), "another issuer");
    cr_expect(idp_cache_refetch_allowed(c, "https://i", 1060));
    idp_cache_free(c);
}

Test(idp_profile, cache_holds_256_issuers_and_drops_the_least_recently_used)
{
    struct idp_cache *c = idp_cache_new();
    struct idp_discovery d;
    for (int i = 0; i < 256; i++)
        idp_cache_discovery_put(c, arena_printf(&a, "https://i%d", i), &disc, 100);
    cr_assert(idp_cache_discovery_find(c, "https://i0", 100, &a, &d)); /* i0 used again */
    idp_cache_discovery_put(c, "https://new", &disc, 100);
    cr_expect(idp_cache_discovery_find(c, "https://new", 100, &a, &d));
    cr_expect(idp_cache_discovery_find(c, "https://i0", 100, &a, &d));
    cr_expect_not(idp_cache_discovery_find(c, "https://i1", 100, &a, &d), "i1 was the oldest");
    cr_expect(idp_cache_discovery_find(c, "https://i2", 100, &a, &d));
    idp_cache_free(c);
}

/* ---- text helpers ------------------------------------------------------------ */

Test(idp_profile, https_urls_an_issuer_may_be)
{
    cr_expect(idp_https_url("https://idp.example"));
    cr_expect(idp_https_url("https://idp.example:8443/tenant/v2.0/"));
    static const char *const bad[] = {"http://idp.example", "https://",    "https:///x",
                                      "https://a b",        "https://a#f", "https://u@a/",
                                      "https://a\\b",       "HTTPS://a",   NULL};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_expect_not(idp_https_url(bad[i]), "%s", bad[i] ? bad[i] : "NULL");
}

Test(idp_profile, https_urls_are_at_most_2048_bytes)
{
    char url[IDP_URL_MAX + 2];
    memset(url, 'a', sizeof url - 1);
    url[sizeof url - 1] = '\0';
    memcpy(url, "https://idp.example/", 20);
    cr_expect_not(idp_https_url(url), "2049 bytes");
    url[IDP_URL_MAX] = '\0';
    cr_expect(idp_https_url(url), "2048 bytes");
}

Test(idp_profile, media_types_compare_without_case_and_parameters)
{
    cr_expect(util_media_is("application/x-www-form-urlencoded", MEDIA_FORM));
    cr_expect(util_media_is("Application/X-WWW-Form-Urlencoded ; charset=utf-8", MEDIA_FORM));
    cr_expect_not(util_media_is("application/x-www-form-urlencodedx", MEDIA_FORM));
    cr_expect_not(util_media_is("application/json", MEDIA_FORM));
    cr_expect_not(util_media_is("", MEDIA_FORM));
}
