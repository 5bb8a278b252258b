/* SPDX-License-Identifier: MIT */
/*
 * In-process: no modification (JSON patch, merge patch, full replacement)
 * nor creation stores a provider whose representation would not fit a
 * request body (64 KiB) or would nest deeper than 64, so GET → PUT always
 * works; a patch that grows past them is refused as it applies.
 */
#include "harness.h"

#define APP "layflfixkxlhgruitref"
#define LIST "/" CID_A "/v2/config/low/services/engage-v2/apps/" APP "/custom-providers"
#define OIDC                                                                                       \
    "{\"title\":\"t\",\"protocol\":\"openidconnect\",\"auth_url\":\"https://i.example/a\","        \
    "\"token_url\":\"https://i.example/t\",\"client_id\":\"c\",\"client_secret\":\"s\","           \
    "\"scopes\":[\"openid\"]}"
#include "../test_cert.h"
#define SAML                                                                                       \
    "{\"title\":\"t\",\"protocol\":\"saml2\",\"auth_url\":\"https://i.example/sso\","              \
    "\"idp_certificate\":\"" CERT "\"}"

#define JSON "application/json"
#define JSON_PATCH "application/json-patch+json"
#define MERGE "application/merge-patch+json"

static char auth[128], item[256];

/* An answer of any size (t_call keeps 16 KiB): status, body, ETag. */
struct big {
    int status;
    char *body;
    size_t len;
    json_t *json;
    char etag[80];
};

static void big_free(struct big *b)
{
    free(b->body);
    json_decref(b->json);
    memset(b, 0, sizeof *b);
}

static void call(struct big *out, const char *method, const char *path, const char *ct,
                 const char *body)
{
    struct api_req req = {.method = method,
                          .path = path,
                          .content_type = ct,
                          .authorization = auth,
                          .body = body ? body : "",
                          .body_len = body ? strlen(body) : 0};
    struct arena a;
    struct api_resp resp;
    arena_init(&a);
    api_handle(&T_app.api, &a, &req, &resp);
    big_free(out);
    out->status = resp.status;
    out->len = resp.body_len;
    out->body = malloc(resp.body_len + 1);
    memcpy(out->body, resp.body, resp.body_len);
    out->body[resp.body_len] = '\0';
    out->json = json_loadb(out->body, out->len, JSON_DECODE_ANY, NULL);
    for (int i = 0; i < resp.nheaders; i++)
        if (strcasecmp(resp.headers[i].name, "ETag") == 0)
            snprintf(out->etag, sizeof out->etag, "%s", resp.headers[i].value);
    arena_cleanup(&a);
}

/* Sends v (any JSON) as the body. */
static void call_json(struct big *out, const char *method, const char *path, const char *ct,
                      const json_t *v)
{
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    call(out, method, path, ct, text);
    free(text);
}

/* The field of the one detail of an error answer, or "". */
static const char *field_of(const struct big *b)
{
    json_t *d = json_array_get(json_object_get(b->json, "details"), 0);
    const char *f = json_string_value(json_object_get(d, "field"));
    return f ? f : "";
}

static void setup(void)
{
    t_setup();
    char id[CLIENT_ID_LEN + 1], secret[CLIENT_SECRET_LEN + 1], tok[OAUTH_TOKEN_LEN + 1];
    t_customer(CID_A, "[\"*:**\"]", 3600, id, secret);
    struct login_app app = {.id = APP, .name = "a", .realm = "https://r.example"};
    struct err e = {0};
    cr_assert_eq(store_app_create(T_app.store, CID_A, &app, &e), ST_OK, "%s", e.msg);
    t_token(CID_A, id, secret, "*:**", tok);
    snprintf(auth, sizeof auth, "Bearer %s", tok);
}

TestSuite(api_provider_bounds, .init = setup, .fini = t_teardown);

/* Creates a provider from body; item is its path. */
static void create(const char *body)
{
    struct big b = {0};
    call(&b, "POST", LIST, JSON, body);
    cr_assert_eq(b.status, 201, "%s", b.body);
    snprintf(item, sizeof item, LIST "/%s", json_string_value(json_object_get(b.json, "id")));
    big_free(&b);
}

/* Adds strings to array a that grow its compact text by exactly extra
 * bytes (extra ≥ 4): each string of n bytes adds n + 3 ("…" and a comma). */
static void fill(json_t *a, size_t extra)
{
    while (extra > 0) {
        size_t n = extra - 3 > 4000 ? 4000 : extra - 3, left = extra - n - 3;
        if (left > 0 && left < 4)
            n -= 4;
        char *s = malloc(n + 1);
        memset(s, 's', n);
        s[n] = '\0';
        json_array_append_new(a, json_string(s));
        free(s);
        extra -= n + 3;
    }
}

/* GET item: the status, and the length of what it answered. */
static size_t get_len(struct big *b)
{
    call(b, "GET", item, NULL, NULL);
    cr_assert_eq(b->status, 200, "%s", b->body);
    return b->len;
}

/* The issue 9 attack: 26 copies of "scopes" into itself would double the
 * provider to gigabytes in the write thread. Refused at the operation that
 * passes 64 KiB, nothing stored. */
Test(api_provider_bounds, doubling_copy_patch_is_422_naming_the_operation_and_stores_nothing)
{
    create(OIDC);
    struct big b = {0};
    call(&b, "GET", item, NULL, NULL);
    char etag[80];
    snprintf(etag, sizeof etag, "%s", b.etag);
    json_t *patch = json_array();
    for (int i = 0; i < 26; i++)
        json_array_append_new(patch, json_pack("{s:s,s:s,s:s}", "op", "copy", "from", "/scopes",
                                               "path", "/scopes/-"));
    call_json(&b, "PATCH", item, JSON_PATCH, patch);
    cr_assert_eq(b.status, 422, "%s", b.body);
    int index = -1;
    cr_assert_eq(sscanf(field_of(&b), "/%d", &index), 1, "%s", b.body);
    cr_expect(index > 5 && index < 26, "%d", index);
    cr_expect(strstr(b.body, "65536"), "%s", b.body);
    call(&b, "GET", item, NULL, NULL);
    cr_expect_str_eq(b.etag, etag, "nothing was stored");
    json_decref(patch);
    big_free(&b);
}

/* A chain of n objects {"a": {"a": … {}}}. */
static json_t *chain(int n)
{
    json_t *v = json_object();
    for (int i = 1; i < n; i++)
        v = json_pack("{s:o}", "a", v);
    return v;
}

/* "replace" into a deep pointer of authn_context, which once stored 120
 * levels: a result 64 deep is stored, and round-trips through GET → PUT;
 * one level more is 422 naming the operation. */
Test(api_provider_bounds, replace_into_a_deep_pointer_past_depth_64_is_422)
{
    json_t *doc = json_loads(SAML, 0, NULL);
    json_object_set_new(doc, "authn_context", chain(40));
    char *text = json_dumps(doc, JSON_COMPACT);
    create(text);
    free(text);
    char ptr[256] = "/authn_context";
    for (int i = 1; i < 40; i++)
        strcat(ptr, "/a"); /* the innermost object: 40 levels down */
    struct big b = {0};
    json_t *patch = json_pack("[{s:s,s:s,s:o}]", "op", "replace", "path", ptr, "value", chain(25));
    call_json(&b, "PATCH", item, JSON_PATCH, patch);
    cr_expect_eq(b.status, 422, "%s", b.body);
    cr_expect_str_eq(field_of(&b), "/0");
    json_decref(patch);
    patch = json_pack("[{s:s,s:s,s:o}]", "op", "replace", "path", ptr, "value", chain(24));
    call_json(&b, "PATCH", item, JSON_PATCH, patch);
    cr_assert_eq(b.status, 200, "%s", b.body);
    struct big got = {0};
    get_len(&got);
    call(&b, "PUT", item, JSON_PATCH, got.body);
    cr_expect_eq(b.status, 200, "GET → PUT at depth 64: %s", b.body);
    json_decref(patch);
    json_decref(doc);
    big_free(&got);
    big_free(&b);
}

/* A body under 64 KiB whose provider would not be: its representation
 * (links, id, timestamps added) would not come back through PUT. Refused
 * on create, full replacement and merge patch alike. */
Test(api_provider_bounds, a_result_past_64_kib_is_422_on_create_put_and_merge_patch)
{
    create(OIDC);
    json_t *doc = json_loads(OIDC, 0, NULL), *scopes = json_object_get(doc, "scopes");
    char *text = json_dumps(doc, JSON_COMPACT);
    fill(scopes, API_BODY_LIMIT - 16 - strlen(text));
    free(text);
    text = json_dumps(doc, JSON_COMPACT);
    cr_assert(strlen(text) <= API_BODY_LIMIT);
    struct big b = {0};
    call(&b, "POST", LIST, JSON, text);
    cr_expect_eq(b.status, 422, "create: %s", b.body);
    call(&b, "PUT", item, JSON_PATCH, text);
    cr_expect_eq(b.status, 422, "put: %s", b.body);
    json_t *merge = json_pack("{s:O}", "scopes", scopes);
    call_json(&b, "PATCH", item, MERGE, merge);
    cr_expect_eq(b.status, 422, "merge patch: %s", b.body);
    cr_expect(strstr(b.body, "65536"), "%s", b.body);
    json_decref(merge);
    json_decref(doc);
    free(text);
    big_free(&b);
}

/* The largest provider allowed answers GET with exactly 64 KiB, and that
 * answer, PUT back as it is, is accepted; one byte more is not. */
Test(api_provider_bounds, get_then_put_round_trips_at_exactly_64_kib)
{
    create(OIDC);
    struct big got = {0}, b = {0};
    size_t start = get_len(&got);
    json_t *scopes = json_array();
    json_array_append_new(scopes, json_string("openid"));
    fill(scopes, API_BODY_LIMIT - start);
    json_t *merge = json_pack("{s:O}", "scopes", scopes);
    call_json(&b, "PATCH", item, MERGE, merge);
    cr_assert_eq(b.status, 200, "%s", b.body);
    cr_assert_eq(get_len(&got), API_BODY_LIMIT);
    call(&b, "PUT", item, JSON_PATCH, got.body);
    cr_expect_eq(b.status, 200, "GET → PUT: %s", b.body);
    cr_expect_eq(get_len(&got), API_BODY_LIMIT);
    json_t *patch = json_pack("[{s:s,s:s,s:s}]", "op", "add", "path", "/scopes/0", "value", "");
    call_json(&b, "PATCH", item, JSON_PATCH, patch);
    cr_expect_eq(b.status, 422, "one more scope: %s", b.body);
    cr_expect_str_eq(field_of(&b), "/0");
    json_decref(patch);
    json_decref(merge);
    json_decref(scopes);
    big_free(&got);
    big_free(&b);
}
