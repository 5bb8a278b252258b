/* SPDX-License-Identifier: MIT */
/*
 * In-process test harness: a real app (SQLite in a temp directory, a key
 * file, a settable clock) and a call() that sends one request through the
 * real router and handlers, no sockets. Header-only, for tests/api/ only.
 */
#ifndef SG_TEST_HARNESS_H
#define SG_TEST_HARNESS_H

#include <criterion/criterion.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "app.h"
#include "oauth/oauth.h"

#define CID_A "3cc14467-fd4f-437d-a0c0-0b3888dd2ee4"
#define CID_B "e0a70b4f-1eef-4856-bcdb-f050fee66aae"

static struct app T_app;
static char T_dir[64];
static int64_t T_clock = 1800000000;

static int64_t t_now(void)
{
    return T_clock;
}

/* The answer of one call; body is NUL-terminated, json parsed when JSON. */
struct t_resp {
    int status;
    char body[16384];
    json_t *json;
    char headers[8][2][1024];
    int nheaders;
};

static inline const char *t_header(const struct t_resp *r, const char *name)
{
    for (int i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i][0], name) == 0)
            return r->headers[i][1];
    return NULL;
}

/* Conditional headers for the next t_call only (NULL: not sent). */
static const char *T_if_match, *T_if_none_match;
/* The query (after '?') and the client address of the next t_call only. */
static const char *T_query, *T_remote;

/* One request through api_handle. ct and auth may be NULL. */
static inline void t_call(struct t_resp *out, const char *method, const char *path, const char *ct,
                          const char *auth, const char *body)
{
    struct api_req req = {.method = method,
                          .path = path,
                          .content_type = ct,
                          .authorization = auth,
                          .if_match = T_if_match,
                          .if_none_match = T_if_none_match,
                          .query = T_query ? T_query : "",
                          .remote_addr = T_remote,
                          .remote_net = T_remote,
                          .id = "7",
                          .body = body ? body : "",
                          .body_len = body ? strlen(body) : 0};
    T_if_match = T_if_none_match = T_query = T_remote = NULL;
    struct arena a;
    struct api_resp resp;
    arena_init(&a);
    api_handle(&T_app.api, &a, &req, &resp);
    if (out->json)
        json_decref(out->json);
    memset(out, 0, sizeof *out);
    out->status = resp.status;
    snprintf(out->body, sizeof out->body, "%.*s", (int)resp.body_len, resp.body);
    out->nheaders = resp.nheaders;
    for (int i = 0; i < resp.nheaders && i < 8; i++) {
        snprintf(out->headers[i][0], 1024, "%s", resp.headers[i].name);
        snprintf(out->headers[i][1], 1024, "%s", resp.headers[i].value);
    }
    out->json = resp.body_len ? json_loads(out->body, JSON_DECODE_ANY, NULL) : NULL;
    arena_cleanup(&a);
}

static inline void t_resp_free(struct t_resp *r)
{
    json_decref(r->json);
    r->json = NULL;
}

/* t_call with the path printed from fmt. */
__attribute__((format(printf, 6, 7))) static inline void t_callf(struct t_resp *r,
                                                                 const char *method, const char *ct,
                                                                 const char *auth, const char *body,
                                                                 const char *fmt, ...)
{
    char path[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof path, fmt, ap);
    va_end(ap);
    t_call(r, method, path, ct, auth, body);
}

/* The string member key of o, or NULL. */
static inline const char *t_jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* True when the error body names field in its details, with a reason. */
static inline bool t_has_detail(const struct t_resp *r, const char *field)
{
    json_t *d = json_object_get(r->json, "details"), *v;
    size_t i;
    json_array_foreach(d, i, v)
    {
        if (t_jstr(v, "field") && !strcmp(t_jstr(v, "field"), field) && t_jstr(v, "reason"))
            return true;
    }
    return false;
}

/* Provisions a customer with a policy (scopes as a JSON array text, e.g.
 * "[\"*:**\"]") and one client; writes the client id and secret out. */
static inline void t_customer(const char *cid, const char *scopes_json, int lifetime,
                              char id[CLIENT_ID_LEN + 1], char secret[CLIENT_SECRET_LEN + 1])
{
    struct err e = {0};
    cr_assert_eq(store_customer_create(T_app.store, cid, &e), ST_OK, "%s", e.msg);
    json_t *scopes = json_loads(scopes_json, 0, NULL);
    cr_assert_not_null(scopes);
    const char *v[32];
    size_t n = json_array_size(scopes);
    for (size_t i = 0; i < n && i < 32; i++)
        v[i] = json_string_value(json_array_get(scopes, i));
    struct policy p = {.title = "p",
                       .access_lifetime = lifetime,
                       .refresh_lifetime = 7776000,
                       .nscopes = (int)n,
                       .scopes = v};
    util_uuid_v4(p.id);
    cr_assert_eq(store_policy_create(T_app.store, cid, &p, &e), ST_OK, "%s", e.msg);
    struct client c = {.name = "c", .type = "confidential"};
    client_id_generate(c.id);
    memcpy(c.policy_id, p.id, sizeof c.policy_id);
    client_secret_generate(secret);
    struct sealed_secret sec = {0};
    keys_seal(&T_app.keys, secret, CLIENT_SECRET_LEN, &sec.blob, &sec.len);
    keys_verifier(&T_app.keys, secret, CLIENT_SECRET_LEN, sec.verifier);
    cr_assert_eq(store_client_create(T_app.store, cid, &c, &sec, &e), ST_OK, "%s", e.msg);
    free(sec.blob);
    json_decref(scopes);
    memcpy(id, c.id, CLIENT_ID_LEN + 1);
}

/* A token for (id, secret) at customer cid with the requested scope. */
static inline void t_token(const char *cid, const char *id, const char *secret, const char *scope,
                           char out[OAUTH_TOKEN_LEN + 1])
{
    char path[128], body[512];
    snprintf(path, sizeof path, "/%s/login/token", cid);
    snprintf(body, sizeof body, "grant_type=client_credentials&client_id=%s&client_secret=%s%s%s",
             id, secret, scope ? "&scope=" : "", scope ? scope : "");
    struct t_resp r = {0};
    t_call(&r, "POST", path, "application/x-www-form-urlencoded", NULL, body);
    cr_assert_eq(r.status, 200, "token: %d %s", r.status, r.body);
    snprintf(out, OAUTH_TOKEN_LEN + 1, "%s",
             json_string_value(json_object_get(r.json, "access_token")));
    t_resp_free(&r);
}

/* A hash of every row of every table: equal hashes, same database. */
static inline void t_digest(unsigned char out[32])
{
    static const char *const tables[] = {"customers", "token_policies", "clients",
                                         "apps",      "providers",      "revocations"};
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open(T_app.cfg.db, &db), SQLITE_OK);
    crypto_generichash_state h;
    crypto_generichash_init(&h, NULL, 0, 32);
    for (size_t t = 0; t < sizeof tables / sizeof *tables; t++) {
        char sql[96];
        snprintf(sql, sizeof sql, "SELECT * FROM %s ORDER BY 1, 2", tables[t]);
        sqlite3_stmt *q = NULL;
        cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK, "%s", sql);
        while (sqlite3_step(q) == SQLITE_ROW)
            for (int c = 0; c < sqlite3_column_count(q); c++) {
                const void *v = sqlite3_column_blob(q, c);
                int n = sqlite3_column_bytes(q, c);
                crypto_generichash_update(&h, v ? v : (const void *)"", (size_t)n);
                crypto_generichash_update(&h, (const unsigned char *)"\x1f", 1);
            }
        sqlite3_finalize(q);
    }
    crypto_generichash_final(&h, out, 32);
    sqlite3_close(db);
}

static inline void t_setup(void)
{
    cr_assert_eq(util_init(), ST_OK);
    snprintf(T_dir, sizeof T_dir, "/tmp/sg-api-XXXXXX");
    cr_assert_not_null(mkdtemp(T_dir));
    memset(&T_app, 0, sizeof T_app);
    T_app.cfg.db = malloc(128);
    T_app.cfg.key_file = malloc(128);
    snprintf(T_app.cfg.db, 128, "%s/t.db", T_dir);
    snprintf(T_app.cfg.key_file, 128, "%s/t.key", T_dir);
    T_app.cfg.public_url = strdup("https://sg.example.test");
    T_app.now = t_now;
    T_clock = 1800000000;
    struct err e = {0};
    cr_assert_eq(app_open(&T_app, true, &e), ST_OK, "%s", e.msg);
}

static inline void t_teardown(void)
{
    app_close(&T_app);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", T_dir);
    cr_assert_eq(system(cmd), 0);
    free(T_app.cfg.db);
    free(T_app.cfg.key_file);
    free(T_app.cfg.public_url);
}

#endif
