/* SPDX-License-Identifier: MIT */
/*
 * In-process: tenant isolation (SPEC §1, §3) — two customers in one
 * database; nothing of one is reachable with the other's tokens or
 * credentials, by path or by id.
 */
#include <stdarg.h>

#include "harness.h"

TestSuite(api_isolation, .init = t_setup, .fini = t_teardown);

/* One provisioned customer: its client, a `*:**` token, and its ids. */
struct tenant {
    const char *cid;
    char id[CLIENT_ID_LEN + 1];
    char secret[CLIENT_SECRET_LEN + 1];
    char tok[OAUTH_TOKEN_LEN + 1];
    char auth[96];
    char policy[UUID_LEN + 1];
};

static void tenant_init(struct tenant *t, const char *cid)
{
    t->cid = cid;
    t_customer(cid, "[\"*:**\"]", 3600, t->id, t->secret);
    t_token(cid, t->id, t->secret, NULL, t->tok);
    snprintf(t->auth, sizeof t->auth, "Bearer %s", t->tok);
    struct t_resp r = {0};
    t_callf(&r, "GET", NULL, t->auth, NULL, "/%s/config/tokenPolicies", cid);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *first =
        json_array_get(json_object_get(json_object_get(r.json, "_embedded"), "tokenPolicies"), 0);
    cr_assert_not_null(t_jstr(first, "id"), "%s", r.body);
    snprintf(t->policy, sizeof t->policy, "%s", t_jstr(first, "id"));
    t_resp_free(&r);
}

/* pattern with {c} = t's customer and {id} = t's policy or client. */
static void instantiate(const char *pattern, const struct tenant *t, char *out, size_t cap)
{
    const char *id = strstr(pattern, "tokenPolicies") ? t->policy : t->id;
    size_t n = 0;
    out[0] = '\0';
    for (const char *p = pattern; *p && n + 1 < cap;) {
        if (!strncmp(p, "{c}", 3)) {
            n += (size_t)snprintf(out + n, cap - n, "%s", t->cid);
            p += 3;
        } else if (!strncmp(p, "{id}", 4)) {
            n += (size_t)snprintf(out + n, cap - n, "%s", id);
            p += 4;
        } else {
            out[n++] = *p++;
            out[n] = '\0';
        }
    }
    cr_assert_lt(n, cap);
}

/* POST to a token endpoint of cid with (id, secret) in the body. */
static void token_post(struct t_resp *r, const char *cid, const char *endpoint, const char *id,
                       const char *secret, const char *extra)
{
    char path[160], body[512];
    snprintf(path, sizeof path, "/%s/login/token%s", cid, endpoint);
    snprintf(body, sizeof body, "client_id=%s&client_secret=%s&%s", id, secret, extra);
    t_call(r, "POST", path, MEDIA_FORM, NULL, body);
}

Test(api_isolation, a_token_is_refused_at_every_config_route_of_another_customer)
{
    struct tenant a, b;
    tenant_init(&a, CID_A);
    tenant_init(&b, CID_B);
    struct t_resp r = {0};
    int checked = 0;
    for (int i = 0; i < api_route_count(); i++) {
        const char *method, *pattern, *s;
        api_route_info(i, &method, &pattern, &s);
        if (strncmp(pattern, "/{c}/config", strlen("/{c}/config")) != 0)
            continue;
        char path[256], body[256];
        instantiate(pattern, &b, path, sizeof path);
        snprintf(body, sizeof body, "{\"name\":\"x\",\"title\":\"x\",\"tokenPolicy\":\"%s\"}",
                 b.policy);
        t_call(&r, method, path, "application/json", a.auth, body);
        cr_assert_eq(r.status, 403, "%s %s with A's token: %d %s", method, path, r.status, r.body);
        cr_assert_str_eq(t_header(&r, "WWW-Authenticate"),
                         "Bearer realm=\"socialgate\", error=\"invalid_token\"", "%s %s", method,
                         path);
        checked++;
    }
    cr_assert_geq(checked, 12);
    /* B's things are intact */
    t_callf(&r, "GET", NULL, b.auth, NULL, "/%s/config/clients/%s", CID_B, b.id);
    cr_assert_eq(r.status, 200, "%s", r.body);
    t_callf(&r, "GET", NULL, b.auth, NULL, "/%s/config/tokenPolicies/%s", CID_B, b.policy);
    cr_assert_eq(r.status, 200, "%s", r.body);
    t_resp_free(&r);
}

Test(api_isolation, another_customers_policy_is_404_under_ones_own_path)
{
    struct tenant a, b;
    tenant_init(&a, CID_A);
    tenant_init(&b, CID_B);
    struct t_resp r = {0};
    const char *body = "{\"title\":\"hijack\",\"allowedScopes\":[\"*:**\"]}";
    t_callf(&r, "GET", NULL, a.auth, NULL, "/%s/config/tokenPolicies/%s", CID_A, b.policy);
    cr_assert_eq(r.status, 404, "GET: %d %s", r.status, r.body);
    t_callf(&r, "PUT", "application/json", a.auth, body, "/%s/config/tokenPolicies/%s", CID_A,
            b.policy);
    cr_assert_eq(r.status, 404, "PUT: %d %s", r.status, r.body);
    t_callf(&r, "DELETE", NULL, a.auth, NULL, "/%s/config/tokenPolicies/%s", CID_A, b.policy);
    cr_assert_eq(r.status, 404, "DELETE: %d %s", r.status, r.body);
    t_callf(&r, "GET", NULL, a.auth, NULL, "/%s/config/tokenPolicies", CID_A);
    cr_assert_null(strstr(r.body, b.policy), "A's list shows B's policy: %s", r.body);
    t_callf(&r, "GET", NULL, b.auth, NULL, "/%s/config/tokenPolicies/%s", CID_B, b.policy);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(t_jstr(r.json, "title"), "p", "B's policy changed: %s", r.body);
    t_resp_free(&r);
}

Test(api_isolation, another_customers_client_is_404_under_ones_own_path)
{
    struct tenant a, b;
    tenant_init(&a, CID_A);
    tenant_init(&b, CID_B);
    struct t_resp r = {0};
    char body[256];
    snprintf(body, sizeof body, "{\"name\":\"hijack\",\"tokenPolicy\":\"%s\"}", a.policy);
    t_callf(&r, "GET", NULL, a.auth, NULL, "/%s/config/clients/%s", CID_A, b.id);
    cr_assert_eq(r.status, 404, "GET: %d %s", r.status, r.body);
    t_callf(&r, "PUT", "application/json", a.auth, body, "/%s/config/clients/%s", CID_A, b.id);
    cr_assert_eq(r.status, 404, "PUT: %d %s", r.status, r.body);
    t_callf(&r, "GET", NULL, a.auth, NULL, "/%s/config/clients/%s/secret", CID_A, b.id);
    cr_assert_eq(r.status, 404, "GET secret: %d %s", r.status, r.body);
    cr_assert_null(strstr(r.body, b.secret), "B's secret leaked");
    t_callf(&r, "POST", NULL, a.auth, NULL, "/%s/config/clients/%s/secret", CID_A, b.id);
    cr_assert_eq(r.status, 404, "rotate: %d %s", r.status, r.body);
    t_callf(&r, "DELETE", NULL, a.auth, NULL, "/%s/config/clients/%s", CID_A, b.id);
    cr_assert_eq(r.status, 404, "DELETE: %d %s", r.status, r.body);
    t_callf(&r, "GET", NULL, a.auth, NULL, "/%s/config/clients", CID_A);
    cr_assert_null(strstr(r.body, b.id), "A's list shows B's client: %s", r.body);
    /* B's client is untouched: same name, same secret, same token */
    t_callf(&r, "GET", NULL, b.auth, NULL, "/%s/config/clients/%s", CID_B, b.id);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(t_jstr(r.json, "name"), "c", "%s", r.body);
    token_post(&r, CID_B, "", b.id, b.secret, "grant_type=client_credentials");
    cr_assert_eq(r.status, 200, "B's secret changed: %s", r.body);
    t_resp_free(&r);
}

Test(api_isolation, credentials_of_one_customer_are_401_at_anothers_token_endpoint)
{
    struct tenant a, b;
    tenant_init(&a, CID_A);
    tenant_init(&b, CID_B);
    struct t_resp r = {0};
    const char *const endpoints[] = {"", "/introspect", "/revoke"};
    char extra[160];
    snprintf(extra, sizeof extra, "grant_type=client_credentials&token=%s", b.tok);
    for (size_t i = 0; i < sizeof endpoints / sizeof *endpoints; i++) {
        token_post(&r, CID_B, endpoints[i], a.id, a.secret, extra);
        cr_assert_eq(r.status, 401, "login/token%s: %d %s", endpoints[i], r.status, r.body);
        cr_assert_str_eq(t_jstr(r.json, "error"), "invalid_client", "%s", r.body);
        cr_assert_str_eq(t_header(&r, "WWW-Authenticate"), "Basic realm=\"socialgate\"");
    }
    /* B's token was not revoked by that */
    t_callf(&r, "GET", NULL, b.auth, NULL, "/%s/config/clients", CID_B);
    cr_assert_eq(r.status, 200, "%s", r.body);
    t_resp_free(&r);
}

Test(api_isolation, introspection_at_another_customer_says_inactive)
{
    struct tenant a, b;
    tenant_init(&a, CID_A);
    tenant_init(&b, CID_B);
    struct t_resp r = {0};
    char extra[160];
    snprintf(extra, sizeof extra, "token=%s", a.tok);
    token_post(&r, CID_B, "/introspect", b.id, b.secret, extra);
    cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
    json_t *want = json_pack("{s:b}", "active", 0);
    cr_assert(json_equal(r.json, want), "B learned about A's token: %s", r.body);
    /* the same token at home is active */
    token_post(&r, CID_A, "/introspect", a.id, a.secret, extra);
    cr_assert_eq(json_is_true(json_object_get(r.json, "active")), 1, "%s", r.body);
    json_decref(want);
    t_resp_free(&r);
}

Test(api_isolation, revocation_at_another_customer_is_200_and_revokes_nothing)
{
    struct tenant a, b;
    tenant_init(&a, CID_A);
    tenant_init(&b, CID_B);
    struct t_resp r = {0};
    char extra[160];
    snprintf(extra, sizeof extra, "token=%s", a.tok);
    token_post(&r, CID_B, "/revoke", b.id, b.secret, extra);
    cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
    t_callf(&r, "GET", NULL, a.auth, NULL, "/%s/config/clients", CID_A);
    cr_assert_eq(r.status, 200, "A's token was revoked by B: %d %s", r.status, r.body);
    token_post(&r, CID_A, "/introspect", a.id, a.secret, extra);
    cr_assert_eq(json_is_true(json_object_get(r.json, "active")), 1, "%s", r.body);
    t_resp_free(&r);
}

Test(api_isolation, path_with_unknown_customer_is_403_even_with_a_valid_token)
{
    struct tenant a;
    tenant_init(&a, CID_A);
    struct t_resp r = {0};
    t_call(&r, "GET", "/00000000-0000-4000-8000-000000000000/config/clients", NULL, a.auth, NULL);
    cr_assert_eq(r.status, 403, "%d %s", r.status, r.body);
    cr_assert_str_eq(t_header(&r, "WWW-Authenticate"),
                     "Bearer realm=\"socialgate\", error=\"invalid_token\"");
    t_resp_free(&r);
}
