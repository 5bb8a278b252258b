/* SPDX-License-Identifier: MIT */
/*
 * The SQLite backend's operations: one function per store call, each a
 * single statement or one IMMEDIATE transaction. Uniqueness and reference
 * rules are checked inside the transaction that writes.
 */
#include "sqlite_int.h"

#include <string.h>

/* Splits the stored "a b c" scope list into an arena array. */
static void split_scopes(struct arena *a, const char *text, const char ***out, int *n)
{
    int count = 0;
    for (const char *p = text; *p; p++)
        if (*p != ' ' && (p == text || p[-1] == ' '))
            count++;
    const char **v = arena_alloc(a, (size_t)(count + 1) * sizeof *v);
    char *copy = arena_strdup(a, text);
    int i = 0;
    for (char *save = NULL, *tok = strtok_r(copy, " ", &save); tok && i < count;
         tok = strtok_r(NULL, " ", &save))
        v[i++] = tok;
    *out = v;
    *n = i;
}

static char *join_scopes(struct arena *a, const struct policy *p)
{
    size_t len = 1;
    for (int i = 0; i < p->nscopes; i++)
        len += strlen(p->scopes[i]) + 1;
    char *out = arena_alloc(a, len);
    for (int i = 0; i < p->nscopes; i++) {
        if (i)
            strcat(out, " ");
        strcat(out, p->scopes[i]);
    }
    return out;
}

static enum st do_customer_create(struct conn *c, const void *args, struct err *e)
{
    const struct wargs *w = args;
    sqlite3_stmt *q = sq_stmt(c, Q_CUSTOMER_INSERT);
    sq_bind_text(q, 1, w->cid);
    sqlite3_bind_int64(q, 2, util_now());
    return sq_step_write(c, q, ST_CONFLICT, e);
}

enum st sq_customer_create(struct store *s, const char *cid, struct err *e)
{
    struct wargs w = {.cid = cid};
    return sq_write(s, do_customer_create, &w, e);
}

static void bind_policy(struct arena *a, sqlite3_stmt *q, const char *cid, const struct policy *p)
{
    sq_bind_text(q, 1, cid);
    sq_bind_text(q, 2, p->id);
    sq_bind_text(q, 3, p->title);
    sqlite3_bind_int64(q, 4, p->access_lifetime);
    sqlite3_bind_int64(q, 5, p->refresh_lifetime);
    sqlite3_bind_text(q, 6, join_scopes(a, p), -1, SQLITE_TRANSIENT);
}

static enum st do_policy_create(struct conn *c, const void *args, struct err *e)
{
    const struct wargs *w = args;
    struct arena a;
    arena_init(&a);
    sqlite3_stmt *q = sq_stmt(c, Q_POLICY_INSERT);
    bind_policy(&a, q, w->cid, w->policy);
    sqlite3_bind_int64(q, 7, util_now());
    arena_cleanup(&a); /* bind_policy's scope text was copied by SQLite */
    return sq_step_write(c, q, ST_NOT_FOUND, e);
}

enum st sq_policy_create(struct store *s, const char *cid, const struct policy *p, struct err *e)
{
    struct wargs w = {.cid = cid, .policy = p};
    return sq_write(s, do_policy_create, &w, e);
}

static enum st read_policy(struct arena *a, sqlite3_stmt *q, void *out, struct err *e)
{
    (void)e;
    struct policy *p = out;
    sq_col_copy(p->id, sizeof p->id, q, 0);
    p->title = sq_col_text(a, q, 1);
    p->access_lifetime = sqlite3_column_int64(q, 2);
    p->refresh_lifetime = sqlite3_column_int64(q, 3);
    split_scopes(a, sq_col_text(a, q, 4), &p->scopes, &p->nscopes);
    return ST_OK;
}

enum st sq_policy_get(struct store *s, struct arena *a, struct row_key k, struct policy *out,
                      struct err *e)
{
    struct sq_read r = {.q = Q_POLICY_GET,
                        .text = {k.cid, k.id},
                        .row = read_policy,
                        .a = a,
                        .what = "token policy"};
    return sq_query_one(s, &r, out, e);
}

enum st sq_policy_list(struct store *s, struct arena *a, const char *cid, struct policy_list *out,
                       struct err *e)
{
    struct sq_read r = {
        .q = Q_POLICY_LIST, .text = {cid}, .row = read_policy, .a = a, .size = sizeof *out->v};
    struct sq_rows rows;
    enum st st = sq_query_list(s, &r, &rows, e);
    *out = (struct policy_list){rows.v, rows.n};
    return st;
}

static enum st do_policy_update(struct conn *c, const void *args, struct err *e)
{
    const struct wargs *w = args;
    struct arena a;
    arena_init(&a);
    sqlite3_stmt *q = sq_stmt(c, Q_POLICY_UPDATE);
    bind_policy(&a, q, w->cid, w->policy);
    arena_cleanup(&a);
    return sq_changed_one(c, q, "token policy", e);
}

enum st sq_policy_update(struct store *s, const char *cid, const struct policy *p, struct err *e)
{
    struct wargs w = {.cid = cid, .policy = p};
    return sq_write(s, do_policy_update, &w, e);
}

static enum st do_policy_delete(struct conn *c, const void *args, struct err *e)
{
    const struct wargs *w = args;
    bool used = false;
    sqlite3_stmt *q = sq_stmt(c, Q_POLICY_IN_USE);
    sq_bind_text(q, 1, w->cid);
    sq_bind_text(q, 2, w->id);
    enum st st = sq_exists(c, q, &used, e);
    if (st == ST_OK && used)
        st = ERR(e, ST_CONFLICT, NULL, "token policy is used by a client");
    if (st != ST_OK)
        return st;
    q = sq_stmt(c, Q_POLICY_DELETE);
    sq_bind_text(q, 1, w->cid);
    sq_bind_text(q, 2, w->id);
    return sq_changed_one(c, q, "token policy", e);
}

enum st sq_policy_delete(struct store *s, struct row_key k, struct err *e)
{
    struct wargs w = {.cid = k.cid, .id = k.id};
    return sq_write(s, do_policy_delete, &w, e);
}

/* Inside a transaction: the name is free and the policy exists. */
static enum st client_check(struct conn *c, const char *cid, const struct client *cl, struct err *e)
{
    bool found = false;
    sqlite3_stmt *q = sq_stmt(c, Q_CLIENT_NAME_TAKEN);
    sq_bind_text(q, 1, cid);
    sq_bind_text(q, 2, cl->name);
    sq_bind_text(q, 3, cl->id);
    enum st st = sq_exists(c, q, &found, e);
    if (st != ST_OK)
        return st;
    if (found)
        return ERR(e, ST_CONFLICT, "/" F_NAME, "a client with this name exists");
    q = sq_stmt(c, Q_POLICY_EXISTS);
    sq_bind_text(q, 1, cid);
    sq_bind_text(q, 2, cl->policy_id);
    st = sq_exists(c, q, &found, e);
    if (st == ST_OK && !found)
        st = ERR(e, ST_UNPROCESSABLE, "/" F_TOKEN_POLICY, "unknown token policy");
    return st;
}

static enum st do_client_create(struct conn *c, const void *args, struct err *e)
{
    const struct wargs *w = args;
    const struct client *cl = w->client;
    enum st st = client_check(c, w->cid, cl, e);
    if (st != ST_OK)
        return st;
    sqlite3_stmt *q = sq_stmt(c, Q_CLIENT_INSERT);
    sq_bind_text(q, 1, w->cid);
    sq_bind_text(q, 2, cl->id);
    sq_bind_text(q, 3, cl->name);
    sq_bind_text(q, 4, cl->type);
    sq_bind_text(q, 5, cl->policy_id);
    sqlite3_bind_blob(q, 6, w->sec->blob, (int)w->sec->len, SQLITE_STATIC);
    sqlite3_bind_blob(q, 7, w->sec->verifier, sizeof w->sec->verifier, SQLITE_STATIC);
    sqlite3_bind_int64(q, 8, util_now());
    return sq_step_write(c, q, ST_CONFLICT, e);
}

enum st sq_client_create(struct store *s, const char *cid, const struct client *cl,
                         const struct sealed_secret *sec, struct err *e)
{
    struct wargs w = {.cid = cid, .client = cl, .sec = sec};
    return sq_write(s, do_client_create, &w, e);
}

static enum st read_client(struct arena *a, sqlite3_stmt *q, void *out, struct err *e)
{
    (void)e;
    struct client *cl = out;
    sq_col_copy(cl->id, sizeof cl->id, q, 0);
    cl->name = sq_col_text(a, q, 1);
    cl->type = sq_col_text(a, q, 2);
    sq_col_copy(cl->policy_id, sizeof cl->policy_id, q, 3);
    return ST_OK;
}

enum st sq_client_get(struct store *s, struct arena *a, struct row_key k, struct client *out,
                      struct err *e)
{
    struct sq_read r = {
        .q = Q_CLIENT_GET, .text = {k.cid, k.id}, .row = read_client, .a = a, .what = "client"};
    return sq_query_one(s, &r, out, e);
}

enum st sq_client_list(struct store *s, struct arena *a, const char *cid, struct client_list *out,
                       struct err *e)
{
    struct sq_read r = {
        .q = Q_CLIENT_LIST, .text = {cid}, .row = read_client, .a = a, .size = sizeof *out->v};
    struct sq_rows rows;
    enum st st = sq_query_list(s, &r, &rows, e);
    *out = (struct client_list){rows.v, rows.n};
    return st;
}

static enum st do_client_update(struct conn *c, const void *args, struct err *e)
{
    const struct wargs *w = args;
    const struct client *cl = w->client;
    enum st st = client_check(c, w->cid, cl, e);
    if (st != ST_OK)
        return st;
    sqlite3_stmt *q = sq_stmt(c, Q_CLIENT_UPDATE);
    sq_bind_text(q, 1, w->cid);
    sq_bind_text(q, 2, cl->id);
    sq_bind_text(q, 3, cl->name);
    sq_bind_text(q, 4, cl->type);
    sq_bind_text(q, 5, cl->policy_id);
    return sq_changed_one(c, q, "client", e);
}

enum st sq_client_update(struct store *s, const char *cid, const struct client *cl, struct err *e)
{
    struct wargs w = {.cid = cid, .client = cl};
    return sq_write(s, do_client_update, &w, e);
}

static enum st do_client_delete(struct conn *c, const void *args, struct err *e)
{
    const struct wargs *w = args;
    sqlite3_stmt *q = sq_stmt(c, Q_CLIENT_DELETE);
    sq_bind_text(q, 1, w->cid);
    sq_bind_text(q, 2, w->id);
    return sq_changed_one(c, q, "client", e);
}

enum st sq_client_delete(struct store *s, struct row_key k, struct err *e)
{
    struct wargs w = {.cid = k.cid, .id = k.id};
    return sq_write(s, do_client_delete, &w, e);
}

/* Reads a row of columns (sealed secret, verifier) into out. */
static enum st read_sealed(struct arena *a, sqlite3_stmt *q, void *v, struct err *e)
{
    (void)a;
    struct sealed_secret *out = v;
    if (sqlite3_column_bytes(q, 1) != (int)sizeof out->verifier)
        return ERR(e, ST_STORAGE, NULL, "a client's secret verifier is damaged");
    out->len = (size_t)sqlite3_column_bytes(q, 0);
    out->blob = xmalloc(out->len ? out->len : 1);
    memcpy(out->blob, sqlite3_column_blob(q, 0), out->len);
    memcpy(out->verifier, sqlite3_column_blob(q, 1), sizeof out->verifier);
    return ST_OK;
}

enum st sq_secret_get(struct store *s, struct row_key k, struct sealed_secret *out, struct err *e)
{
    struct sq_read r = {
        .q = Q_SECRET_GET, .text = {k.cid, k.id}, .row = read_sealed, .what = "client"};
    return sq_query_one(s, &r, out, e);
}

enum st sq_secret_find_any(struct store *s, struct sealed_secret *out, struct err *e)
{
    struct sq_read r = {.q = Q_SECRET_ANY, .row = read_sealed, .what = "client"};
    return sq_query_one(s, &r, out, e);
}

static enum st do_secret_set(struct conn *c, const void *args, struct err *e)
{
    const struct wargs *w = args;
    sqlite3_stmt *q = sq_stmt(c, Q_SECRET_SET);
    sq_bind_text(q, 1, w->cid);
    sq_bind_text(q, 2, w->id);
    sqlite3_bind_blob(q, 3, w->sec->blob, (int)w->sec->len, SQLITE_STATIC);
    sqlite3_bind_blob(q, 4, w->sec->verifier, sizeof w->sec->verifier, SQLITE_STATIC);
    return sq_changed_one(c, q, "client", e);
}

enum st sq_secret_set(struct store *s, struct row_key k, const struct sealed_secret *sec,
                      struct err *e)
{
    struct wargs w = {.cid = k.cid, .id = k.id, .sec = sec};
    return sq_write(s, do_secret_set, &w, e);
}

static enum st read_auth(struct arena *a, sqlite3_stmt *q, void *v, struct err *e)
{
    struct client_auth *out = v;
    if (sqlite3_column_bytes(q, 3) != (int)sizeof out->verifier)
        return ERR(e, ST_STORAGE, NULL, "a client's secret verifier is damaged");
    out->seq = (uint64_t)sqlite3_column_int64(q, 0);
    sq_col_copy(out->customer_id, sizeof out->customer_id, q, 1);
    sq_col_copy(out->client_id, sizeof out->client_id, q, 2);
    memcpy(out->verifier, sqlite3_column_blob(q, 3), sizeof out->verifier);
    out->lifetime = sqlite3_column_int64(q, 4);
    split_scopes(a, sq_col_text(a, q, 5), &out->scopes, &out->nscopes);
    return ST_OK;
}

enum st sq_auth_find(struct store *s, struct arena *a, struct row_key k, struct client_auth *out,
                     struct err *e)
{
    struct sq_read r = {
        .q = Q_AUTH_FIND, .text = {k.cid, k.id}, .row = read_auth, .a = a, .what = "client"};
    return sq_query_one(s, &r, out, e);
}

enum st sq_auth_by_seq(struct store *s, struct arena *a, uint64_t seq, struct client_auth *out,
                       struct err *e)
{
    struct sq_read r = {.q = Q_AUTH_SEQ,
                        .by_num = true,
                        .num = (sqlite3_int64)seq,
                        .row = read_auth,
                        .a = a,
                        .what = "client"};
    return sq_query_one(s, &r, out, e);
}

static enum st do_revocation_add(struct conn *c, const void *args, struct err *e)
{
    const struct wargs *w = args;
    sqlite3_stmt *q = sq_stmt(c, Q_REVOKE_ADD);
    sqlite3_bind_blob(q, 1, w->tag, 16, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, w->num);
    return sq_step_write(c, q, ST_CONFLICT, e);
}

enum st sq_revocation_add(struct store *s, const unsigned char tag[16], int64_t exp, struct err *e)
{
    struct wargs w = {.tag = tag, .num = exp};
    return sq_write(s, do_revocation_add, &w, e);
}

static enum st read_found(struct arena *a, sqlite3_stmt *q, void *out, struct err *e)
{
    (void)a, (void)q, (void)e;
    *(bool *)out = true;
    return ST_OK;
}

enum st sq_revocation_find(struct store *s, const unsigned char tag[16], bool *revoked,
                           struct err *e)
{
    struct sq_read r = {.q = Q_REVOKE_FIND, .tag = tag, .tag_len = 16, .row = read_found};
    *revoked = false;
    return sq_query_one(s, &r, revoked, e);
}

static enum st do_revocation_purge(struct conn *c, const void *args, struct err *e)
{
    const struct wargs *w = args;
    sqlite3_stmt *q = sq_stmt(c, Q_REVOKE_PURGE);
    sqlite3_bind_int64(q, 1, w->num);
    sqlite3_bind_int(q, 2, STORE_PURGE_BATCH);
    enum st st = sq_step_write(c, q, ST_CONFLICT, e);
    *w->count = st == ST_OK ? sqlite3_changes(c->db) : 0;
    return st;
}

enum st sq_revocation_purge(struct store *s, int64_t now, int *purged, struct err *e)
{
    struct wargs w = {.num = now, .count = purged};
    return sq_write(s, do_revocation_purge, &w, e);
}

static enum st do_app_create(struct conn *c, const void *args, struct err *e)
{
    const struct wargs *w = args;
    sqlite3_stmt *q = sq_stmt(c, Q_APP_INSERT);
    sq_bind_text(q, 1, w->cid);
    sq_bind_text(q, 2, w->app->id);
    sq_bind_text(q, 3, w->app->name);
    sq_bind_text(q, 4, w->app->realm);
    sqlite3_bind_int64(q, 5, util_now());
    sq_bind_text(q, 6, w->app->token_urls);
    sq_bind_text(q, 7, w->app->settings);
    return sq_step_write(c, q, ST_CONFLICT, e);
}

enum st sq_app_create(struct store *s, const char *cid, const struct login_app *app, struct err *e)
{
    struct wargs w = {.cid = cid, .app = app};
    return sq_write(s, do_app_create, &w, e);
}

static enum st read_key_check(struct arena *a, sqlite3_stmt *q, void *out, struct err *e)
{
    (void)a;
    if (sqlite3_column_bytes(q, 0) != STORE_KEY_CHECK_LEN)
        return ERR(e, ST_STORAGE, NULL, "the database's key check value is damaged");
    memcpy(out, sqlite3_column_blob(q, 0), STORE_KEY_CHECK_LEN);
    return ST_OK;
}

enum st sq_key_check_find(struct store *s, unsigned char out[STORE_KEY_CHECK_LEN], struct err *e)
{
    struct sq_read r = {.q = Q_META_GET,
                        .text = {META_KEY_CHECK},
                        .row = read_key_check,
                        .what = "key check value"};
    return sq_query_one(s, &r, out, e);
}

static enum st do_key_check_create(struct conn *c, const void *args, struct err *e)
{
    const struct wargs *w = args;
    sqlite3_stmt *q = sq_stmt(c, Q_META_INSERT);
    sq_bind_text(q, 1, META_KEY_CHECK);
    sqlite3_bind_blob(q, 2, w->tag, STORE_KEY_CHECK_LEN, SQLITE_STATIC);
    return sq_step_write(c, q, ST_CONFLICT, e);
}

enum st sq_key_check_create(struct store *s, const unsigned char v[STORE_KEY_CHECK_LEN],
                            struct err *e)
{
    struct wargs w = {.tag = v};
    return sq_write(s, do_key_check_create, &w, e);
}

#define SQ_ENTRY(name, kind, data, params, args) .name = sq_##name,
const struct store_ops sqlite_ops = {.name = "sqlite", .close = sq_close, STORE_OPS(SQ_ENTRY)};
