/* SPDX-License-Identifier: MIT */
/*
 * The SQLite backend's operations for the sign-in runtime: flows, one-time
 * tokens, their purge, the app of an apiKey and the pinned issuers. A take
 * is one write transaction (a flow's one DELETE ... RETURNING; a token's
 * look-up and mark), and SQLite runs one at a time whatever the number of
 * processes, so exactly one of concurrent takes of a row gets it.
 */
#include "sqlite_int.h"

#include <string.h>

/* Copies a blob column of n bytes into out; ST_STORAGE when it is not one. */
static enum st col_key(sqlite3_stmt *q, int i, unsigned char *out, int n, struct err *e)
{
    if (sqlite3_column_bytes(q, i) != n)
        return ERR(e, ST_STORAGE, NULL, "a stored sign-in key is damaged");
    memcpy(out, sqlite3_column_blob(q, i), (size_t)n);
    return ST_OK;
}

/* Column i as an arena copy of its bytes (never NULL). */
static const unsigned char *col_blob(struct arena *a, sqlite3_stmt *q, int i, size_t *len)
{
    *len = (size_t)sqlite3_column_bytes(q, i);
    unsigned char *b = arena_alloc(a, *len ? *len : 1);
    if (*len)
        memcpy(b, sqlite3_column_blob(q, i), *len);
    return b;
}

/* A take: its statement and parameters, and where the row goes. */
struct take_args {
    struct sq_read r;
    void *out;
};

static enum st do_take(struct conn *c, const void *args, struct err *e)
{
    const struct take_args *t = args;
    return sq_take_one(c, &t->r, t->out, e);
}

/* ---- flows ------------------------------------------------------------------ */

static enum st do_flow_create(struct conn *c, const void *args, struct err *e)
{
    const struct flow_rec *f = args;
    sqlite3_stmt *q = sq_stmt(c, Q_FLOW_INSERT);
    sqlite3_bind_blob(q, 1, f->key, sizeof f->key, SQLITE_STATIC);
    const char *text[] = {f->cid,
                          f->app_id,
                          f->provider_id,
                          f->token_url,
                          f->verifier,
                          f->nonce ? f->nonce : "",
                          f->request_id ? f->request_id : ""};
    for (int i = 0; i < 7; i++)
        sq_bind_text(q, i + 2, text[i]);
    sqlite3_bind_int64(q, 9, f->expires_at);
    return sq_step_write(c, q, ST_CONFLICT, e);
}

enum st sq_flow_create(struct store *s, const struct flow_rec *f, struct err *e)
{
    return sq_write(s, do_flow_create, f, e);
}

/* Reads FLOW_COLUMNS (sqlite.c). */
static enum st read_flow(struct arena *a, sqlite3_stmt *q, void *out, struct err *e)
{
    struct flow_rec *f = out;
    sq_col_copy(f->cid, sizeof f->cid, q, 1);
    sq_col_copy(f->app_id, sizeof f->app_id, q, 2);
    sq_col_copy(f->provider_id, sizeof f->provider_id, q, 3);
    f->token_url = sq_col_text(a, q, 4);
    f->verifier = sq_col_text(a, q, 5);
    f->nonce = sq_col_text(a, q, 6);
    f->request_id = sq_col_text(a, q, 7);
    f->expires_at = sqlite3_column_int64(q, 8);
    return col_key(q, 0, f->key, FLOW_KEY_LEN, e);
}

enum st sq_flow_take(struct store *s, struct arena *a, const unsigned char key[FLOW_KEY_LEN],
                     struct flow_rec *out, struct err *e)
{
    struct take_args t = {.r = {.q = Q_FLOW_TAKE,
                                .tag = key,
                                .tag_len = FLOW_KEY_LEN,
                                .row = read_flow,
                                .a = a,
                                .what = "sign-in flow"},
                          .out = out};
    return sq_write(s, do_take, &t, e);
}

/* ---- one-time tokens -------------------------------------------------------- */

static enum st do_signin_token_create(struct conn *c, const void *args, struct err *e)
{
    const struct signin_token_rec *t = args;
    sqlite3_stmt *q = sq_stmt(c, Q_TOKEN_INSERT);
    sqlite3_bind_blob(q, 1, t->hash, sizeof t->hash, SQLITE_STATIC);
    sq_bind_text(q, 2, t->cid);
    sq_bind_text(q, 3, t->app_id);
    sq_bind_text(q, 4, t->provider_id);
    sq_bind_text(q, 5, t->token_url);
    if (t->data_len)
        sqlite3_bind_blob(q, 6, t->data, (int)t->data_len, SQLITE_STATIC);
    else
        sqlite3_bind_zeroblob(q, 6, 0); /* a NULL pointer would bind NULL */
    sqlite3_bind_int64(q, 7, t->expires_at);
    return sq_step_write(c, q, ST_CONFLICT, e);
}

enum st sq_signin_token_create(struct store *s, const struct signin_token_rec *t, struct err *e)
{
    return sq_write(s, do_signin_token_create, t, e);
}

/* A token as found: the record and its row id. */
struct token_row {
    struct signin_token_rec rec;
    sqlite3_int64 id;
};

/* Reads TOKEN_COLUMNS (sqlite.c), then the row id. */
static enum st read_token(struct arena *a, sqlite3_stmt *q, void *out, struct err *e)
{
    struct signin_token_rec *t = &((struct token_row *)out)->rec;
    ((struct token_row *)out)->id = sqlite3_column_int64(q, 7);
    sq_col_copy(t->cid, sizeof t->cid, q, 1);
    sq_col_copy(t->app_id, sizeof t->app_id, q, 2);
    sq_col_copy(t->provider_id, sizeof t->provider_id, q, 3);
    t->token_url = sq_col_text(a, q, 4);
    t->data = col_blob(a, q, 5, &t->data_len);
    t->expires_at = sqlite3_column_int64(q, 6);
    return col_key(q, 0, t->hash, 32, e);
}

/* The token is found and marked taken (its data dropped) in one write
 * transaction, which no other writer can interleave with: only the first
 * take finds it. Marking changes the token's own row, on a page of the
 * tokens minted at the same moment, where deleting it would also change a
 * page of the hash index, anywhere in it; the purge deletes it later. */
static enum st do_token_take(struct conn *c, const void *args, struct err *e)
{
    const struct take_args *t = args;
    struct token_row row;
    enum st st = sq_take_one(c, &t->r, &row, e);
    if (st != ST_OK)
        return st;
    sqlite3_stmt *q = sq_stmt(c, Q_TOKEN_MARK);
    sqlite3_bind_int64(q, 1, row.id);
    st = sq_changed_one(c, q, "sign-in token", e);
    if (st == ST_OK)
        *(struct signin_token_rec *)t->out = row.rec;
    return st;
}

enum st sq_signin_token_take(struct store *s, struct arena *a, struct row_key app,
                             const unsigned char hash[32], struct signin_token_rec *out,
                             struct err *e)
{
    struct take_args t = {.r = {.q = Q_TOKEN_FIND,
                                .tag = hash,
                                .tag_len = 32,
                                .text = {app.cid, app.id},
                                .row = read_token,
                                .a = a,
                                .what = "sign-in token"},
                          .out = out};
    return sq_write(s, do_token_take, &t, e);
}

/* ---- SAML assertion ids ----------------------------------------------------- */

struct assertion_args {
    const unsigned char *hash;
    int64_t expires_at, now;
};

/* One statement: the insert, or the renewal of an expired record, changes
 * a row; a record not expired leaves it unchanged, and that is a replay. */
static enum st do_assertion_use(struct conn *c, const void *args, struct err *e)
{
    const struct assertion_args *u = args;
    sqlite3_stmt *q = sq_stmt(c, Q_ASSERTION_USE);
    sqlite3_bind_blob(q, 1, u->hash, 32, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, u->expires_at);
    sqlite3_bind_int64(q, 3, u->now);
    enum st st = sq_step_write(c, q, ST_CONFLICT, e);
    if (st == ST_OK && sqlite3_changes(c->db) != 1)
        st = ERR(e, ST_CONFLICT, NULL, "the SAML assertion was used before");
    return st;
}

enum st sq_assertion_use(struct store *s, const unsigned char hash[32], int64_t expires_at,
                         int64_t now, struct err *e)
{
    struct assertion_args u = {hash, expires_at, now};
    return sq_write(s, do_assertion_use, &u, e);
}

/* Deletes up to limit expired rows with q; returns how many in *n. */
static enum st purge(struct conn *c, enum query which, int64_t now, int limit, int *n,
                     struct err *e)
{
    *n = 0;
    if (limit <= 0)
        return ST_OK;
    sqlite3_stmt *q = sq_stmt(c, which);
    sqlite3_bind_int64(q, 1, now);
    sqlite3_bind_int(q, 2, limit);
    enum st st = sq_step_write(c, q, ST_CONFLICT, e);
    if (st == ST_OK)
        *n = sqlite3_changes(c->db);
    return st;
}

static enum st do_signin_purge(struct conn *c, const void *args, struct err *e)
{
    const struct wargs *w = args;
    int flows = 0, tokens = 0, ids = 0;
    enum st st = purge(c, Q_FLOW_PURGE, w->num, STORE_PURGE_BATCH, &flows, e);
    if (st == ST_OK)
        st = purge(c, Q_TOKEN_PURGE, w->num, STORE_PURGE_BATCH - flows, &tokens, e);
    if (st == ST_OK)
        st = purge(c, Q_ASSERTION_PURGE, w->num, STORE_PURGE_BATCH - flows - tokens, &ids, e);
    *w->count = st == ST_OK ? flows + tokens + ids : 0;
    return st;
}

enum st sq_signin_purge(struct store *s, int64_t now, int *purged, struct err *e)
{
    struct wargs w = {.num = now, .count = purged};
    *purged = 0;
    return sq_write(s, do_signin_purge, &w, e);
}

/* ---- the app of a key --------------------------------------------------------- */

static enum st read_app_ref(struct arena *a, sqlite3_stmt *q, void *out, struct err *e)
{
    (void)a, (void)e;
    struct app_ref *r = out;
    sq_col_copy(r->cid, sizeof r->cid, q, 0);
    sq_col_copy(r->app_id, sizeof r->app_id, q, 1);
    return ST_OK;
}

enum st sq_app_find_by_key(struct store *s, const unsigned char verifier[32], struct app_ref *out,
                           struct err *e)
{
    struct sq_read r = {
        .q = Q_APP_BY_KEY, .tag = verifier, .tag_len = 32, .row = read_app_ref, .what = "app"};
    return sq_query_one(s, &r, out, e);
}

enum st sq_app_locate(struct store *s, const char *app_id, struct app_ref *out, struct err *e)
{
    struct sq_read r = {.q = Q_APP_LOCATE, .text = {app_id}, .row = read_app_ref, .what = "app"};
    return sq_query_one(s, &r, out, e);
}

/* ---- pinned issuers ------------------------------------------------------------ */

static enum st read_iss(struct arena *a, sqlite3_stmt *q, void *out, struct err *e)
{
    (void)e;
    *(const char **)out = sq_col_text(a, q, 0);
    return ST_OK;
}

enum st sq_issuer_pin_get(struct store *s, struct arena *a, struct provider_key k,
                          const char *endpoints, const char **iss, struct err *e)
{
    struct sq_read r = {.q = Q_PIN_GET,
                        .text = {k.cid, k.app_id, k.id, endpoints},
                        .row = read_iss,
                        .a = a,
                        .what = "issuer pin"};
    return sq_query_one(s, &r, iss, e);
}

struct pin_args {
    struct provider_key k;
    const char *endpoints, *iss;
};

/* The pin kept: is its issuer the one offered? */
struct pin_check {
    const char *iss;
    bool same;
};

static enum st read_pin_check(struct arena *a, sqlite3_stmt *q, void *out, struct err *e)
{
    (void)a, (void)e;
    struct pin_check *pc = out;
    const char *iss = (const char *)sqlite3_column_text(q, 0);
    pc->same = iss && strcmp(iss, pc->iss) == 0;
    return ST_OK;
}

static enum st do_issuer_pin_set(struct conn *c, const void *args, struct err *e)
{
    const struct pin_args *p = args;
    sqlite3_stmt *q = sq_stmt(c, Q_PIN_UPSERT);
    const char *text[] = {p->k.cid, p->k.app_id, p->k.id, p->endpoints, p->iss};
    for (int i = 0; i < 5; i++)
        sq_bind_text(q, i + 1, text[i]);
    enum st st = sq_step_write(c, q, ST_NOT_FOUND, e); /* the provider's foreign key */
    if (st != ST_OK || sqlite3_changes(c->db) == 1)
        return st;
    /* a pin under these endpoints was there: it stays */
    struct pin_check pc = {.iss = p->iss};
    struct sq_read r = {.q = Q_PIN_GET,
                        .text = {p->k.cid, p->k.app_id, p->k.id, p->endpoints},
                        .row = read_pin_check,
                        .what = "issuer pin"};
    st = sq_read_one(c, &r, &pc, e);
    if (st == ST_OK && !pc.same)
        st = ERR(e, ST_CONFLICT, NULL, "another issuer is pinned for this provider");
    return st;
}

enum st sq_issuer_pin_set(struct store *s, struct provider_key k, const char *endpoints,
                          const char *iss, struct err *e)
{
    struct pin_args p = {k, endpoints, iss};
    return sq_write(s, do_issuer_pin_set, &p, e);
}
