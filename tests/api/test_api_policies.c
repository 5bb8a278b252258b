/* SPDX-License-Identifier: MIT */
/*
 * In-process: /{c}/config/tokenPolicies (SPEC §4) with a `*:**` token —
 * list, create, view, replace, delete, their validation and media-type
 * rules, and what a policy change does to tokens already issued.
 */
#include <stdarg.h>

#include "harness.h"

TestSuite(api_policies, .init = t_setup, .fini = t_teardown);

#define PUBLIC "https://sg.example.test"
#define POLICIES "/" CID_A "/config/tokenPolicies"
#define UNKNOWN_UUID "5d0c3a7e-8f21-4b6a-9c4d-1e2f3a4b5c6d"

struct admin {
    char id[CLIENT_ID_LEN + 1];
    char secret[CLIENT_SECRET_LEN + 1];
    char auth[96];
};

/* Provisions CID_A with a `*:**` client and a token for it. */
static void admin_init(struct admin *a)
{
    char tok[OAUTH_TOKEN_LEN + 1];
    t_customer(CID_A, "[\"*:**\"]", 3600, a->id, a->secret);
    t_token(CID_A, a->id, a->secret, NULL, tok);
    snprintf(a->auth, sizeof a->auth, "Bearer %s", tok);
}

/* t_call with a printf-style path. */
/* True when r's body has a detail for field. */
/* Creates a policy from body; writes its id. */
static void policy_create(const struct admin *a, const char *body, char id[UUID_LEN + 1])
{
    struct t_resp r = {0};
    t_call(&r, "POST", POLICIES, "application/json", a->auth, body);
    cr_assert_eq(r.status, 201, "create policy: %d %s", r.status, r.body);
    cr_assert(json_is_string(r.json), "%s", r.body);
    snprintf(id, UUID_LEN + 1, "%s", json_string_value(r.json));
    t_resp_free(&r);
}

/* Creates a client with policy pid via the API; writes its id and secret. */
static void client_create(const struct admin *a, const char *name, const char *pid,
                          char id[CLIENT_ID_LEN + 1], char secret[CLIENT_SECRET_LEN + 1])
{
    char body[256];
    snprintf(body, sizeof body, "{\"name\":\"%s\",\"tokenPolicy\":\"%s\"}", name, pid);
    struct t_resp r = {0};
    t_call(&r, "POST", "/" CID_A "/config/clients", "application/json", a->auth, body);
    cr_assert_eq(r.status, 201, "create client: %d %s", r.status, r.body);
    snprintf(id, CLIENT_ID_LEN + 1, "%s", t_jstr(r.json, "id"));
    snprintf(secret, CLIENT_SECRET_LEN + 1, "%s", t_jstr(r.json, "secret"));
    t_resp_free(&r);
}

static void assert_error(const struct t_resp *r, int status, const char *reason)
{
    cr_assert_eq(r->status, status, "want %d, got %d %s", status, r->status, r->body);
    cr_assert_str_eq(t_jstr(r->json, "error"), reason, "%s", r->body);
    cr_assert_str_eq(t_jstr(r->json, "errors"), reason, "%s", r->body);
}

Test(api_policies, create_is_201_with_location_and_the_id_as_json_string)
{
    struct admin a;
    admin_init(&a);
    struct t_resp r = {0};
    t_call(&r, "POST", POLICIES, "application/json", a.auth,
           "{\"title\":\"ro\",\"allowedScopes\":[\"GET:**\"]}");
    cr_assert_eq(r.status, 201, "%d %s", r.status, r.body);
    cr_assert(json_is_string(r.json), "body %s", r.body);
    const char *id = json_string_value(r.json);
    cr_assert(util_uuid_valid(id), "%s", id);
    char want[256];
    snprintf(want, sizeof want, PUBLIC POLICIES "/%s", id);
    cr_assert_str_eq(t_header(&r, "Location"), want);
    t_resp_free(&r);
}

Test(api_policies, get_has_exactly_the_documented_members)
{
    struct admin a;
    admin_init(&a);
    char id[UUID_LEN + 1];
    policy_create(&a,
                  "{\"title\":\"Read only\",\"accessTokenLifetime\":600,"
                  "\"refreshTokenLifetime\":1000,\"allowedScopes\":[\"GET:**\",\"*:config/**\"]}",
                  id);
    char href[256];
    snprintf(href, sizeof href, PUBLIC POLICIES "/%s", id);
    json_t *want =
        json_pack("{s:s,s:s,s:i,s:i,s:[s,s],s:{s:{s:s}}}", "id", id, "title", "Read only",
                  "accessTokenLifetime", 600, "refreshTokenLifetime", 1000, "allowedScopes",
                  "GET:**", "*:config/**", "_links", "self", "href", href);
    struct t_resp r = {0};
    t_callf(&r, "GET", NULL, a.auth, NULL, POLICIES "/%s", id);
    cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
    cr_assert(json_equal(r.json, want), "got %s", r.body);
    json_decref(want);
    t_resp_free(&r);
}

Test(api_policies, create_applies_default_lifetimes)
{
    struct admin a;
    admin_init(&a);
    char id[UUID_LEN + 1];
    policy_create(&a, "{\"title\":\"d\",\"allowedScopes\":[]}", id);
    struct t_resp r = {0};
    t_callf(&r, "GET", NULL, a.auth, NULL, POLICIES "/%s", id);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(json_integer_value(json_object_get(r.json, "accessTokenLifetime")), 3600);
    cr_assert_eq(json_integer_value(json_object_get(r.json, "refreshTokenLifetime")), 7776000);
    cr_assert_eq(json_array_size(json_object_get(r.json, "allowedScopes")), 0);
    t_resp_free(&r);
}

Test(api_policies, list_has_total_and_embedded_summaries)
{
    struct admin a;
    admin_init(&a); /* t_customer made one policy */
    char id[UUID_LEN + 1];
    policy_create(&a, "{\"title\":\"second\",\"allowedScopes\":[\"GET:**\"]}", id);
    struct t_resp r = {0};
    t_call(&r, "GET", POLICIES, NULL, a.auth, NULL);
    cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
    cr_assert_eq(json_object_size(r.json), 2, "%s", r.body);
    cr_assert_eq(json_integer_value(json_object_get(r.json, "total")), 2, "%s", r.body);
    json_t *emb = json_object_get(r.json, "_embedded");
    cr_assert_eq(json_object_size(emb), 1, "%s", r.body);
    json_t *items = json_object_get(emb, "tokenPolicies");
    cr_assert_eq(json_array_size(items), 2, "%s", r.body);
    bool found = false;
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        char href[256];
        snprintf(href, sizeof href, PUBLIC POLICIES "/%s", t_jstr(it, "id"));
        json_t *want = json_pack("{s:s,s:s,s:{s:{s:s}}}", "id", t_jstr(it, "id"), "title",
                                 t_jstr(it, "title"), "_links", "self", "href", href);
        cr_assert(json_equal(it, want), "item %s", r.body);
        json_decref(want);
        found |= !strcmp(t_jstr(it, "id"), id) && !strcmp(t_jstr(it, "title"), "second");
    }
    cr_assert(found, "new policy not listed: %s", r.body);
    t_resp_free(&r);
}

Test(api_policies, put_replaces_every_member_and_ignores_id_and_links)
{
    struct admin a;
    admin_init(&a);
    char id[UUID_LEN + 1];
    policy_create(&a,
                  "{\"title\":\"old\",\"accessTokenLifetime\":600,\"refreshTokenLifetime\":1000,"
                  "\"allowedScopes\":[\"GET:**\"]}",
                  id);
    char body[512];
    snprintf(body, sizeof body,
             "{\"id\":\"%s\",\"_links\":{\"self\":{\"href\":\"https://evil.test/x\"}},"
             "\"title\":\"new\",\"allowedScopes\":[\"*:config/**\",\"GET:**\"]}",
             UNKNOWN_UUID);
    struct t_resp r = {0};
    t_callf(&r, "PUT", "application/json", a.auth, body, POLICIES "/%s", id);
    cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
    char href[256];
    snprintf(href, sizeof href, PUBLIC POLICIES "/%s", id);
    /* omitted lifetimes fall back to the defaults: a replacement, not a patch */
    json_t *want =
        json_pack("{s:s,s:s,s:i,s:i,s:[s,s],s:{s:{s:s}}}", "id", id, "title", "new",
                  "accessTokenLifetime", 3600, "refreshTokenLifetime", 7776000, "allowedScopes",
                  "*:config/**", "GET:**", "_links", "self", "href", href);
    cr_assert(json_equal(r.json, want), "PUT answered %s", r.body);
    t_callf(&r, "GET", NULL, a.auth, NULL, POLICIES "/%s", id);
    cr_assert_eq(r.status, 200);
    cr_assert(json_equal(r.json, want), "GET after PUT %s", r.body);
    t_callf(&r, "GET", NULL, a.auth, NULL, POLICIES "/%s", UNKNOWN_UUID);
    cr_assert_eq(r.status, 404, "the body's id created something: %s", r.body);
    json_decref(want);
    t_resp_free(&r);
}

Test(api_policies, lifetime_outside_60_to_3600_or_not_integer_is_422)
{
    struct admin a;
    admin_init(&a);
    const char *const bad[] = {"59", "3601", "\"3600\"", "0", "-1", "60.5"};
    struct t_resp r = {0};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char body[256];
        snprintf(body, sizeof body,
                 "{\"title\":\"t\",\"accessTokenLifetime\":%s,\"allowedScopes\":[]}", bad[i]);
        t_call(&r, "POST", POLICIES, "application/json", a.auth, body);
        assert_error(&r, 422, "Unprocessable Entity");
        cr_assert(t_has_detail(&r, "/accessTokenLifetime"), "%s → %s", bad[i], r.body);
    }
    /* the bounds themselves are fine */
    t_call(&r, "POST", POLICIES, "application/json", a.auth,
           "{\"title\":\"t\",\"accessTokenLifetime\":60,\"allowedScopes\":[]}");
    cr_assert_eq(r.status, 201, "60: %s", r.body);
    t_call(&r, "POST", POLICIES, "application/json", a.auth,
           "{\"title\":\"t\",\"accessTokenLifetime\":3600,\"allowedScopes\":[]}");
    cr_assert_eq(r.status, 201, "3600: %s", r.body);
    t_resp_free(&r);
}

Test(api_policies, put_with_bad_lifetime_is_422_and_changes_nothing)
{
    struct admin a;
    admin_init(&a);
    char id[UUID_LEN + 1];
    policy_create(&a, "{\"title\":\"keep\",\"accessTokenLifetime\":600,\"allowedScopes\":[]}", id);
    struct t_resp r = {0};
    t_callf(&r, "PUT", "application/json", a.auth,
            "{\"title\":\"changed\",\"accessTokenLifetime\":3601,\"allowedScopes\":[]}",
            POLICIES "/%s", id);
    assert_error(&r, 422, "Unprocessable Entity");
    cr_assert(t_has_detail(&r, "/accessTokenLifetime"), "%s", r.body);
    t_callf(&r, "GET", NULL, a.auth, NULL, POLICIES "/%s", id);
    cr_assert_str_eq(t_jstr(r.json, "title"), "keep");
    cr_assert_eq(json_integer_value(json_object_get(r.json, "accessTokenLifetime")), 600);
    t_resp_free(&r);
}

Test(api_policies, unknown_field_is_422_naming_it)
{
    struct admin a;
    admin_init(&a);
    struct t_resp r = {0};
    t_call(&r, "POST", POLICIES, "application/json", a.auth,
           "{\"title\":\"t\",\"allowedScopes\":[],\"accesstokenlifetime\":600}");
    assert_error(&r, 422, "Unprocessable Entity");
    cr_assert(t_has_detail(&r, "/accesstokenlifetime"), "%s", r.body);
    t_resp_free(&r);
}

Test(api_policies, missing_title_is_422_naming_it)
{
    struct admin a;
    admin_init(&a);
    struct t_resp r = {0};
    t_call(&r, "POST", POLICIES, "application/json", a.auth, "{\"allowedScopes\":[\"GET:**\"]}");
    assert_error(&r, 422, "Unprocessable Entity");
    cr_assert(t_has_detail(&r, "/title"), "%s", r.body);
    t_call(&r, "POST", POLICIES, "application/json", a.auth,
           "{\"title\":\"\",\"allowedScopes\":[\"GET:**\"]}");
    assert_error(&r, 422, "Unprocessable Entity");
    cr_assert(t_has_detail(&r, "/title"), "empty title: %s", r.body);
    t_resp_free(&r);
}

Test(api_policies, invalid_json_is_400_with_details)
{
    struct admin a;
    admin_init(&a);
    const char *const bad[] = {"{\"title\":", "", "{\"title\":\"a\",\"title\":\"b\"}",
                               "{\"title\":\"\xff\",\"allowedScopes\":[]}"};
    struct t_resp r = {0};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        t_call(&r, "POST", POLICIES, "application/json", a.auth, bad[i]);
        assert_error(&r, 400, "Bad Request");
        cr_assert(json_array_size(json_object_get(r.json, "details")) > 0, "%s", r.body);
    }
    t_resp_free(&r);
}

/* {"title":"t","allowedScopes":[],"x":[[...]]} nested depth levels in all. */
static char *nested_body(int depth)
{
    size_t cap = 128 + 2 * (size_t)depth;
    char *b = malloc(cap);
    cr_assert_not_null(b);
    size_t n = (size_t)snprintf(b, cap, "{\"title\":\"t\",\"allowedScopes\":[],\"x\":");
    for (int i = 1; i < depth; i++)
        b[n++] = '[';
    for (int i = 1; i < depth; i++)
        b[n++] = ']';
    b[n++] = '}';
    b[n] = '\0';
    return b;
}

Test(api_policies, nesting_deeper_than_64_is_400)
{
    struct admin a;
    admin_init(&a);
    struct t_resp r = {0};
    char *deep = nested_body(65), *ok = nested_body(64);
    t_call(&r, "POST", POLICIES, "application/json", a.auth, deep);
    assert_error(&r, 400, "Bad Request");
    /* 64 levels parse: the unknown member "x" is what is wrong then */
    t_call(&r, "POST", POLICIES, "application/json", a.auth, ok);
    assert_error(&r, 422, "Unprocessable Entity");
    cr_assert(t_has_detail(&r, "/x"), "%s", r.body);
    free(deep);
    free(ok);
    t_resp_free(&r);
}

Test(api_policies, non_json_or_missing_content_type_is_415)
{
    struct admin a;
    admin_init(&a);
    char id[UUID_LEN + 1];
    policy_create(&a, "{\"title\":\"t\",\"allowedScopes\":[]}", id);
    const char *body = "{\"title\":\"t\",\"allowedScopes\":[]}";
    struct t_resp r = {0};
    t_call(&r, "POST", POLICIES, "text/plain", a.auth, body);
    assert_error(&r, 415, "Unsupported Media Type");
    t_call(&r, "POST", POLICIES, NULL, a.auth, body);
    assert_error(&r, 415, "Unsupported Media Type");
    t_call(&r, "POST", POLICIES, "application/jsonx", a.auth, body);
    assert_error(&r, 415, "Unsupported Media Type");
    t_callf(&r, "PUT", "application/x-www-form-urlencoded", a.auth, body, POLICIES "/%s", id);
    assert_error(&r, 415, "Unsupported Media Type");
    t_callf(&r, "PUT", NULL, a.auth, body, POLICIES "/%s", id);
    assert_error(&r, 415, "Unsupported Media Type");
    t_resp_free(&r);
}

Test(api_policies, json_with_charset_parameter_is_accepted)
{
    struct admin a;
    admin_init(&a);
    struct t_resp r = {0};
    t_call(&r, "POST", POLICIES, "application/json; charset=utf-8", a.auth,
           "{\"title\":\"cs\",\"allowedScopes\":[]}");
    cr_assert_eq(r.status, 201, "%d %s", r.status, r.body);
    char id[UUID_LEN + 1];
    snprintf(id, sizeof id, "%s", json_string_value(r.json));
    t_callf(&r, "PUT", "Application/JSON;charset=UTF-8", a.auth,
            "{\"title\":\"cs2\",\"allowedScopes\":[]}", POLICIES "/%s", id);
    cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
    cr_assert_str_eq(t_jstr(r.json, "title"), "cs2");
    t_resp_free(&r);
}

Test(api_policies, unknown_or_non_uuid_id_is_404_on_get_put_delete)
{
    struct admin a;
    admin_init(&a);
    const char *const ids[] = {UNKNOWN_UUID, "not-a-uuid", "5D0C3A7E-8F21-4B6A-9C4D-1E2F3A4B5C6"};
    const char *body = "{\"title\":\"t\",\"allowedScopes\":[]}";
    struct t_resp r = {0};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
        t_callf(&r, "GET", NULL, a.auth, NULL, POLICIES "/%s", ids[i]);
        assert_error(&r, 404, "Not Found");
        t_callf(&r, "PUT", "application/json", a.auth, body, POLICIES "/%s", ids[i]);
        assert_error(&r, 404, "Not Found");
        t_callf(&r, "DELETE", NULL, a.auth, NULL, POLICIES "/%s", ids[i]);
        assert_error(&r, 404, "Not Found");
    }
    /* a PUT to an unknown id creates nothing */
    t_call(&r, "GET", POLICIES, NULL, a.auth, NULL);
    cr_assert_eq(json_integer_value(json_object_get(r.json, "total")), 1, "%s", r.body);
    t_resp_free(&r);
}

Test(api_policies, delete_is_204_then_404)
{
    struct admin a;
    admin_init(&a);
    char id[UUID_LEN + 1];
    policy_create(&a, "{\"title\":\"gone\",\"allowedScopes\":[]}", id);
    struct t_resp r = {0};
    t_callf(&r, "DELETE", NULL, a.auth, NULL, POLICIES "/%s", id);
    cr_assert_eq(r.status, 204, "%d %s", r.status, r.body);
    cr_assert_str_eq(r.body, "");
    t_callf(&r, "GET", NULL, a.auth, NULL, POLICIES "/%s", id);
    assert_error(&r, 404, "Not Found");
    t_callf(&r, "DELETE", NULL, a.auth, NULL, POLICIES "/%s", id);
    assert_error(&r, 404, "Not Found");
    t_resp_free(&r);
}

Test(api_policies, delete_of_a_policy_used_by_a_client_is_409)
{
    struct admin a;
    admin_init(&a);
    char pid[UUID_LEN + 1], cid[CLIENT_ID_LEN + 1], csecret[CLIENT_SECRET_LEN + 1];
    policy_create(&a, "{\"title\":\"used\",\"allowedScopes\":[\"GET:**\"]}", pid);
    client_create(&a, "user", pid, cid, csecret);
    struct t_resp r = {0};
    t_callf(&r, "DELETE", NULL, a.auth, NULL, POLICIES "/%s", pid);
    assert_error(&r, 409, "Conflict");
    t_callf(&r, "GET", NULL, a.auth, NULL, POLICIES "/%s", pid);
    cr_assert_eq(r.status, 200, "the policy went away: %s", r.body);
    /* once the client is gone, the policy can go */
    t_callf(&r, "DELETE", NULL, a.auth, NULL, "/" CID_A "/config/clients/%s", cid);
    cr_assert_eq(r.status, 204, "%s", r.body);
    t_callf(&r, "DELETE", NULL, a.auth, NULL, POLICIES "/%s", pid);
    cr_assert_eq(r.status, 204, "%d %s", r.status, r.body);
    t_resp_free(&r);
}

Test(api_policies, narrowing_a_policy_makes_its_tokens_invalid_at_once)
{
    struct admin a;
    admin_init(&a);
    char pid[UUID_LEN + 1], cid[CLIENT_ID_LEN + 1], csecret[CLIENT_SECRET_LEN + 1];
    char tok[OAUTH_TOKEN_LEN + 1], auth[96];
    policy_create(&a, "{\"title\":\"wide\",\"allowedScopes\":[\"*:**\",\"GET:**\"]}", pid);
    client_create(&a, "narrowed", pid, cid, csecret);
    t_token(CID_A, cid, csecret, "*:**", tok);
    snprintf(auth, sizeof auth, "Bearer %s", tok);
    struct t_resp r = {0};
    t_call(&r, "GET", "/" CID_A "/config/clients", NULL, auth, NULL);
    cr_assert_eq(r.status, 200, "before: %d %s", r.status, r.body);
    t_callf(&r, "PUT", "application/json", a.auth,
            "{\"title\":\"narrow\",\"allowedScopes\":[\"GET:**\"]}", POLICIES "/%s", pid);
    cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
    t_call(&r, "GET", "/" CID_A "/config/clients", NULL, auth, NULL);
    assert_error(&r, 403, "Forbidden");
    cr_assert_str_eq(t_header(&r, "WWW-Authenticate"),
                     "Bearer realm=\"socialgate\", error=\"invalid_token\"");
    t_resp_free(&r);
}

Test(api_policies, widening_a_policy_grants_nothing_to_tokens_already_issued)
{
    struct admin a;
    admin_init(&a);
    char pid[UUID_LEN + 1], cid[CLIENT_ID_LEN + 1], csecret[CLIENT_SECRET_LEN + 1];
    char tok[OAUTH_TOKEN_LEN + 1], auth[96];
    policy_create(&a, "{\"title\":\"ro\",\"allowedScopes\":[\"GET:**\"]}", pid);
    client_create(&a, "widened", pid, cid, csecret);
    t_token(CID_A, cid, csecret, NULL, tok);
    snprintf(auth, sizeof auth, "Bearer %s", tok);
    struct t_resp r = {0};
    t_call(&r, "POST", POLICIES, "application/json", auth,
           "{\"title\":\"x\",\"allowedScopes\":[]}");
    cr_assert_eq(r.status, 403, "read-only token wrote: %s", r.body);
    t_callf(&r, "PUT", "application/json", a.auth,
            "{\"title\":\"rw\",\"allowedScopes\":[\"*:**\"]}", POLICIES "/%s", pid);
    cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
    t_call(&r, "POST", POLICIES, "application/json", auth,
           "{\"title\":\"x\",\"allowedScopes\":[]}");
    cr_assert_eq(r.status, 403, "old token gained a scope: %d %s", r.status, r.body);
    t_resp_free(&r);
}

/* SPEC §3: every allowedScopes entry follows METHOD:PATH; POST and PUT
 * name the offending index, and a refused PUT changes nothing. */
Test(api_policies, scope_not_following_the_grammar_is_422_naming_its_index)
{
    struct admin a;
    admin_init(&a);
    char id[UUID_LEN + 1];
    policy_create(&a, "{\"title\":\"keep\",\"allowedScopes\":[\"GET:**\"]}", id);
    const char *bad[] = {
        "foo",     "get:**",       "GET:",      ":x",      ":",           "*",       "**",
        "Get:**",  "G-T:**",       "GET:/x",    "GET:x/",  "GET:a//b",    "GET:a**", "GET:**x",
        "GET:***", "*:config/**/", "GET:**:**", "GET:a b", "GET:\\u00e9", "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char body[256];
        snprintf(body, sizeof body, "{\"title\":\"t\",\"allowedScopes\":[\"*:**\",\"%s\"]}",
                 bad[i]);
        struct t_resp r = {0};
        t_call(&r, "POST", POLICIES, "application/json", a.auth, body);
        assert_error(&r, 422, "Unprocessable Entity");
        cr_expect(t_has_detail(&r, "/allowedScopes/1"), "%s: %s", bad[i], r.body);
        t_resp_free(&r);
        t_callf(&r, "PUT", "application/json", a.auth, body, POLICIES "/%s", id);
        assert_error(&r, 422, "Unprocessable Entity");
        cr_expect(t_has_detail(&r, "/allowedScopes/1"), "%s: %s", bad[i], r.body);
        t_resp_free(&r);
    }
    struct t_resp r = {0};
    t_callf(&r, "GET", NULL, a.auth, NULL, POLICIES "/%s", id);
    cr_assert_str_eq(t_jstr(r.json, "title"), "keep", "%s", r.body);
    t_resp_free(&r);
}

Test(api_policies, repeated_scope_is_422_naming_the_repeat)
{
    struct admin a;
    admin_init(&a);
    struct t_resp r = {0};
    t_call(&r, "POST", POLICIES, "application/json", a.auth,
           "{\"title\":\"t\",\"allowedScopes\":[\"GET:**\",\"*:config/**\",\"GET:**\"]}");
    assert_error(&r, 422, "Unprocessable Entity");
    cr_expect(t_has_detail(&r, "/allowedScopes/2"), "%s", r.body);
    cr_expect_not(t_has_detail(&r, "/allowedScopes/0"), "%s", r.body);
    t_resp_free(&r);
}

Test(api_policies, scopes_following_the_grammar_are_201)
{
    struct admin a;
    admin_init(&a);
    char id[UUID_LEN + 1];
    policy_create(&a,
                  "{\"title\":\"ok\",\"allowedScopes\":[\"*:**\",\"GET:**\",\"*:config/**\","
                  "\"POST:config/clients\",\"GET:config/clients/*\",\"DELETE:config/*s/x*y\","
                  "\"PATCH:v2/**/custom-providers/*\",\"GET:a:b\",\"GET:**/secret\"]}",
                  id);
    cr_assert(util_uuid_valid(id));
}
