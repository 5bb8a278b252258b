/* SPDX-License-Identifier: MIT */
/*
 * Fault injection and the tenant matrix, over every route of the route
 * table. A request is first made without faults to count its store calls;
 * then once per call position with that call failing: the answer must be a
 * clean JSON 500/503 and the database exactly as before (nothing half
 * written). Under the sanitizer build this also proves no failure path
 * leaks. Then every route with another customer's valid token.
 */
#include "fault_store.h"
#include "harness.h"

#define APP "layflfixkxlhgruitref"
#define OIDC                                                                                       \
    "{\"title\":\"t\",\"protocol\":\"openidconnect\",\"auth_url\":\"https://i.example/a\","        \
    "\"token_url\":\"https://i.example/t\",\"client_id\":\"c\",\"client_secret\":\"s\"}"

static struct fault_store *F;
static char cl_id[CLIENT_ID_LEN + 1], cl_secret[CLIENT_SECRET_LEN + 1];
static char tok[OAUTH_TOKEN_LEN + 1], pol[UUID_LEN + 1], prov[UUID_LEN + 1];
static struct t_resp r;

/* Customer A with a policy, a client, an app, a provider and a token; the
 * store then wrapped for fault injection. */
static void provision(void)
{
    t_setup();
    t_customer(CID_A, "[\"*:**\"]", 3600, cl_id, cl_secret);
    struct login_app app = {.id = APP, .name = "a", .realm = "https://r.example"};
    struct err e = {0};
    cr_assert_eq(store_app_create(T_app.store, CID_A, &app, &e), ST_OK);
    t_token(CID_A, cl_id, cl_secret, "*:**", tok);
    char auth[96];
    snprintf(auth, sizeof auth, "Bearer %s", tok);
    t_call(&r, "POST", "/" CID_A "/v2/config/low/services/engage-v2/apps/" APP "/custom-providers",
           "application/json", auth, OIDC);
    cr_assert_eq(r.status, 201, "%s", r.body);
    snprintf(prov, sizeof prov, "%s", t_jstr(r.json, "id"));
    t_call(&r, "GET", "/" CID_A "/config/tokenPolicies", NULL, auth, NULL);
    snprintf(pol, sizeof pol, "%s",
             t_jstr(json_array_get(
                        json_object_get(json_object_get(r.json, "_embedded"), "tokenPolicies"), 0),
                    "id"));
    F = fault_wrap(T_app.store);
    T_app.store = T_app.api.store = &F->base;
}

static void unprovision(void)
{
    t_resp_free(&r);
    t_teardown();
}

/* A request for route i of the table, on customer cid with ids of A. */
struct request {
    char method[8], path[320], body[512], auth[128];
    const char *ct;
};

static void instantiate(int i, const char *cid, const char *token, struct request *q)
{
    const char *method, *pattern, *summary;
    api_route_info(i, &method, &pattern, &summary);
    snprintf(q->method, sizeof q->method, "%s", method);
    const char *id = strstr(pattern, "tokenPolicies") ? pol
                     : strstr(pattern, "clients")     ? cl_id
                                                      : prov;
    char *o = q->path;
    for (const char *p = pattern; *p && o < q->path + sizeof q->path - 64;) {
        const char *sub = !strncmp(p, "{c}", 3)     ? cid
                          : !strncmp(p, "{app}", 5) ? APP
                          : !strncmp(p, "{id}", 4)  ? id
                                                    : NULL;
        if (sub) {
            o += sprintf(o, "%s", sub);
            p = strchr(p, '}') + 1;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    q->ct = NULL;
    q->body[0] = '\0';
    snprintf(q->auth, sizeof q->auth, "Bearer %s", token);
    bool client = strstr(pattern, "/login/token") != NULL;
    if (client) {
        q->ct = "application/x-www-form-urlencoded";
        q->auth[0] = '\0';
        snprintf(q->body, sizeof q->body,
                 "grant_type=client_credentials&token=%s&client_id=%s"
                 "&client_secret=%s",
                 token, cl_id, cl_secret);
    } else if (strstr(pattern, "tokenPolicies") && strcmp(method, "DELETE") &&
               strcmp(method, "GET")) {
        q->ct = "application/json";
        snprintf(q->body, sizeof q->body, "{\"title\":\"p2\",\"allowedScopes\":[\"*:**\"]}");
    } else if (strstr(pattern, "clients") && !strstr(pattern, "secret") &&
               (!strcmp(method, "POST") || !strcmp(method, "PUT"))) {
        q->ct = "application/json";
        snprintf(q->body, sizeof q->body, "{\"name\":\"c2\",\"tokenPolicy\":\"%s\"}", pol);
    } else if (strstr(pattern, "custom-providers") && !strcmp(method, "POST")) {
        q->ct = "application/json";
        snprintf(q->body, sizeof q->body, "%s", OIDC);
    } else if (!strcmp(method, "PATCH") && !strstr(pattern, "custom-providers")) { /* an app */
        q->ct = "application/merge-patch+json";
        snprintf(q->body, sizeof q->body,
                 "{\"name\":\"x\",\"token_urls\":[\"https://a.example/cb\"]}");
    } else if (!strcmp(method, "PATCH") || !strcmp(method, "PUT")) {
        q->ct = "application/merge-patch+json";
        snprintf(q->body, sizeof q->body, "{\"title\":\"x\"}");
    }
}

/* The sign-in runtime's public routes (SPEC §7): their failures are pages
 * or Engage's JSON, and no token is asked of them. */
static bool runtime(const char *path)
{
    return strstr(path, "/start") || strstr(path, "/callback") || strstr(path, "/metadata") ||
           !strncmp(path, "/signin/", 8) || !strncmp(path, "/api/v2/", 8);
}

/* The health routes, open to all: their answers say {"status": ...}. */
static bool health(const char *path)
{
    return !strcmp(path, "/healthz") || !strcmp(path, "/readyz");
}

static void send(const struct request *q)
{
    t_call(&r, q->method, q->path, q->ct, q->auth[0] ? q->auth : NULL, q->body[0] ? q->body : NULL);
}

Test(api_faults, every_route_fails_cleanly_at_every_store_call_and_writes_nothing)
{
    int checked = 0;
    for (int i = 0; i < api_route_count(); i++) {
        struct request q;
        provision();
        instantiate(i, CID_A, tok, &q);
        F->calls = 0;
        send(&q);
        int calls = F->calls;
        unprovision();
        for (int k = 0; k < calls; k++) {
            unsigned char before[32], after[32];
            provision();
            instantiate(i, CID_A, tok, &q);
            t_digest(before);
            F->calls = 0;
            F->fail_at = k;
            send(&q);
            cr_assert(r.status == 500 || r.status == 503, "%s %s, call %d failing: %d %s", q.method,
                      q.path, k, r.status, r.body);
            if (health(q.path)) { /* readyz: the database does not answer */
                cr_assert_eq(r.status, 503, "%s: %d", q.path, r.status);
                cr_assert_str_eq(t_jstr(r.json, "status"), "database unavailable", "%s", r.body);
            } else if (!runtime(q.path)) {
                cr_assert_not_null(r.json, "%s %s: the error body is not JSON", q.method, q.path);
                cr_assert_not_null(json_object_get(r.json, "error"));
            }
            t_digest(after);
            cr_assert(!memcmp(before, after, 32), "%s %s, call %d failing: half written", q.method,
                      q.path, k);
            unprovision();
            checked++;
        }
    }
    cr_assert_gt(checked, api_route_count(), "too few store calls were failed");
}

Test(api_faults, every_route_refuses_another_customers_valid_token)
{
    provision();
    char b_id[CLIENT_ID_LEN + 1], b_secret[CLIENT_SECRET_LEN + 1], b_tok[OAUTH_TOKEN_LEN + 1];
    t_customer(CID_B, "[\"*:**\"]", 3600, b_id, b_secret);
    t_token(CID_B, b_id, b_secret, "*:**", b_tok);
    for (int i = 0; i < api_route_count(); i++) {
        struct request q;
        instantiate(i, CID_A, b_tok, &q);
        if (health(q.path) || runtime(q.path) || !strcmp(q.path, "/openapi.json"))
            continue;                         /* public: no token is asked */
        if (strstr(q.path, "/login/token")) { /* B's credentials at A's endpoint */
            snprintf(q.body, sizeof q.body,
                     "grant_type=client_credentials&token=%s&client_id=%s"
                     "&client_secret=%s",
                     b_tok, b_id, b_secret);
            send(&q);
            cr_assert_eq(r.status, 401, "%s %s: %d", q.method, q.path, r.status);
            continue;
        }
        send(&q);
        cr_assert_eq(r.status, 403, "%s %s: %d %s", q.method, q.path, r.status, r.body);
        cr_assert_str_eq(r.body, "{\"error\":\"Forbidden\",\"errors\":\"Forbidden\"}");
    }
    unprovision();
}
