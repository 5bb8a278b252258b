/* SPDX-License-Identifier: MIT */
/*
 * The PostgreSQL backend's operations for the sign-in runtime: flows,
 * one-time tokens, their purge, the app of an apiKey and the pinned
 * issuers. A take is one statement (a flow's DELETE ... RETURNING, a
 * token's UPDATE ... RETURNING of the row as it was) that locks the row:
 * a concurrent take, on this server or another, waits for it and then
 * finds nothing, so exactly one of them gets the row.
 */
#include "pg_int.h"

#include <string.h>

/* Copies a bytes column of n bytes into out; ST_STORAGE when it is not one. */
static enum st col_key(const PGresult *r, int row, int i, unsigned char *out, int n, struct err *e)
{
    if (PQgetlength(r, row, i) != n)
        return ERR(e, ST_STORAGE, NULL, "a stored sign-in key is damaged");
    memcpy(out, PQgetvalue(r, row, i), (size_t)n);
    return ST_OK;
}

/* A take: its statement and parameters, and where the row goes. */
struct take_args {
    struct pgs_read r;
    void *out;
};

static enum st do_take(struct conn *c, const void *args, struct err *e)
{
    const struct take_args *t = args;
    return pgs_read_one(c, &t->r, t->out, e);
}

/* ---- flows ------------------------------------------------------------------ */

static enum st do_flow_create(struct conn *c, const void *args, struct err *e)
{
    const struct flow_rec *f = args;
    struct pgs_params p = {0};
    pgs_blob(&p, f->key, sizeof f->key);
    const char *text[] = {f->cid,
                          f->app_id,
                          f->provider_id,
                          f->token_url,
                          f->verifier,
                          f->nonce ? f->nonce : "",
                          f->request_id ? f->request_id : ""};
    for (int i = 0; i < 7; i++)
        pgs_text(&p, text[i]);
    pgs_i64(&p, f->expires_at);
    return pgs_run(c, Q_FLOW_INSERT, &p, ST_CONFLICT, NULL, e);
}

enum st pgs_flow_create(struct store *s, const struct flow_rec *f, struct err *e)
{
    return pgs_write(s, do_flow_create, f, e);
}

/* Reads FLOW_COLUMNS (pg.c). */
static enum st read_flow(struct arena *a, const PGresult *r, int row, void *out, struct err *e)
{
    struct flow_rec *f = out;
    pgs_col_copy(f->cid, sizeof f->cid, r, row, 1);
    pgs_col_copy(f->app_id, sizeof f->app_id, r, row, 2);
    pgs_col_copy(f->provider_id, sizeof f->provider_id, r, row, 3);
    f->token_url = pgs_col_text(a, r, row, 4);
    f->verifier = pgs_col_text(a, r, row, 5);
    f->nonce = pgs_col_text(a, r, row, 6);
    f->request_id = pgs_col_text(a, r, row, 7);
    f->expires_at = pgs_col_i64(r, row, 8);
    return col_key(r, row, 0, f->key, FLOW_KEY_LEN, e);
}

enum st pgs_flow_take(struct store *s, struct arena *a, const unsigned char key[FLOW_KEY_LEN],
                      struct flow_rec *out, struct err *e)
{
    struct take_args t = {.r = {.q = Q_FLOW_TAKE, .row = read_flow, .a = a, .what = "sign-in flow"},
                          .out = out};
    pgs_blob(&t.r.p, key, FLOW_KEY_LEN);
    return pgs_write(s, do_take, &t, e);
}

/* ---- one-time tokens -------------------------------------------------------- */

static enum st do_signin_token_create(struct conn *c, const void *args, struct err *e)
{
    const struct signin_token_rec *t = args;
    struct pgs_params p = {0};
    pgs_blob(&p, t->hash, sizeof t->hash);
    pgs_text(&p, t->cid);
    pgs_text(&p, t->app_id);
    pgs_text(&p, t->provider_id);
    pgs_text(&p, t->token_url);
    pgs_blob(&p, t->data, t->data_len);
    pgs_i64(&p, t->expires_at);
    return pgs_run(c, Q_TOKEN_INSERT, &p, ST_CONFLICT, NULL, e);
}

enum st pgs_signin_token_create(struct store *s, const struct signin_token_rec *t, struct err *e)
{
    return pgs_write(s, do_signin_token_create, t, e);
}

/* Reads TOKEN_COLUMNS (pg.c). */
static enum st read_token(struct arena *a, const PGresult *r, int row, void *out, struct err *e)
{
    struct signin_token_rec *t = out;
    pgs_col_copy(t->cid, sizeof t->cid, r, row, 1);
    pgs_col_copy(t->app_id, sizeof t->app_id, r, row, 2);
    pgs_col_copy(t->provider_id, sizeof t->provider_id, r, row, 3);
    t->token_url = pgs_col_text(a, r, row, 4);
    t->data = pgs_col_blob(a, r, row, 5, &t->data_len);
    t->expires_at = pgs_col_i64(r, row, 6);
    return col_key(r, row, 0, t->hash, 32, e);
}

enum st pgs_signin_token_take(struct store *s, struct arena *a, struct row_key app,
                              const unsigned char hash[32], struct signin_token_rec *out,
                              struct err *e)
{
    struct take_args t = {
        .r = {.q = Q_TOKEN_TAKE, .row = read_token, .a = a, .what = "sign-in token"}, .out = out};
    pgs_blob(&t.r.p, hash, 32);
    pgs_text(&t.r.p, app.cid);
    pgs_text(&t.r.p, app.id);
    return pgs_write(s, do_take, &t, e);
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
    struct pgs_params p = {0};
    pgs_blob(&p, u->hash, 32);
    pgs_i64(&p, u->expires_at);
    pgs_i64(&p, u->now);
    long changed = 0;
    enum st st = pgs_run(c, Q_ASSERTION_USE, &p, ST_CONFLICT, &changed, e);
    if (st == ST_OK && changed != 1)
        st = ERR(e, ST_CONFLICT, NULL, "the SAML assertion was used before");
    return st;
}

enum st pgs_assertion_use(struct store *s, const unsigned char hash[32], int64_t expires_at,
                          int64_t now, struct err *e)
{
    struct assertion_args u = {hash, expires_at, now};
    return pgs_write(s, do_assertion_use, &u, e);
}

/* Deletes up to limit expired rows with q; returns how many in *n. */
static enum st purge(struct conn *c, enum query q, int64_t now, int limit, int *n, struct err *e)
{
    *n = 0;
    if (limit <= 0)
        return ST_OK;
    struct pgs_params p = {0};
    pgs_i64(&p, now);
    pgs_i64(&p, limit);
    long changed = 0;
    enum st st = pgs_run(c, q, &p, ST_CONFLICT, &changed, e);
    if (st == ST_OK)
        *n = (int)changed;
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

enum st pgs_signin_purge(struct store *s, int64_t now, int *purged, struct err *e)
{
    struct wargs w = {.num = now, .count = purged};
    *purged = 0;
    return pgs_write(s, do_signin_purge, &w, e);
}

/* ---- the app of a key --------------------------------------------------------- */

static enum st read_app_ref(struct arena *a, const PGresult *r, int row, void *out, struct err *e)
{
    (void)a, (void)e;
    struct app_ref *ref = out;
    pgs_col_copy(ref->cid, sizeof ref->cid, r, row, 0);
    pgs_col_copy(ref->app_id, sizeof ref->app_id, r, row, 1);
    return ST_OK;
}

enum st pgs_app_find_by_key(struct store *s, const unsigned char verifier[32], struct app_ref *out,
                            struct err *e)
{
    struct pgs_read r = {.q = Q_APP_BY_KEY, .row = read_app_ref, .what = "app"};
    pgs_blob(&r.p, verifier, 32);
    return pgs_query_one(s, &r, out, e);
}

enum st pgs_app_locate(struct store *s, const char *app_id, struct app_ref *out, struct err *e)
{
    struct pgs_read r = {.q = Q_APP_LOCATE, .row = read_app_ref, .what = "app"};
    pgs_text(&r.p, app_id);
    return pgs_query_one(s, &r, out, e);
}

/* ---- pinned issuers ------------------------------------------------------------ */

static enum st read_iss(struct arena *a, const PGresult *r, int row, void *out, struct err *e)
{
    (void)e;
    *(const char **)out = pgs_col_text(a, r, row, 0);
    return ST_OK;
}

static struct pgs_read pin_read(struct provider_key k, const char *endpoints, pgs_row_fn row,
                                struct arena *a)
{
    struct pgs_read r = {.q = Q_PIN_GET, .row = row, .a = a, .what = "issuer pin"};
    pgs_text(&r.p, k.cid);
    pgs_text(&r.p, k.app_id);
    pgs_text(&r.p, k.id);
    pgs_text(&r.p, endpoints);
    return r;
}

enum st pgs_issuer_pin_get(struct store *s, struct arena *a, struct provider_key k,
                           const char *endpoints, const char **iss, struct err *e)
{
    struct pgs_read r = pin_read(k, endpoints, read_iss, a);
    return pgs_query_one(s, &r, iss, e);
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

static enum st read_pin_check(struct arena *a, const PGresult *r, int row, void *out, struct err *e)
{
    (void)a, (void)e;
    struct pin_check *pc = out;
    size_t n = (size_t)PQgetlength(r, row, 0);
    pc->same = strlen(pc->iss) == n && memcmp(PQgetvalue(r, row, 0), pc->iss, n) == 0;
    return ST_OK;
}

static enum st do_issuer_pin_set(struct conn *c, const void *args, struct err *e)
{
    const struct pin_args *p = args;
    struct pgs_params q = {0};
    const char *text[] = {p->k.cid, p->k.app_id, p->k.id, p->endpoints, p->iss};
    for (int i = 0; i < 5; i++)
        pgs_text(&q, text[i]);
    long n = 0;
    enum st st = pgs_run(c, Q_PIN_UPSERT, &q, ST_NOT_FOUND, &n, e); /* the provider's key */
    if (st != ST_OK || n == 1)
        return st;
    /* a pin under these endpoints was there: it stays (and is locked, by
     * the upsert, until this transaction ends) */
    struct pin_check pc = {.iss = p->iss};
    struct pgs_read r = pin_read(p->k, p->endpoints, read_pin_check, NULL);
    st = pgs_read_one(c, &r, &pc, e);
    if (st == ST_OK && !pc.same)
        st = ERR(e, ST_CONFLICT, NULL, "another issuer is pinned for this provider");
    return st;
}

enum st pgs_issuer_pin_set(struct store *s, struct provider_key k, const char *endpoints,
                           const char *iss, struct err *e)
{
    struct pin_args p = {k, endpoints, iss};
    return pgs_write(s, do_issuer_pin_set, &p, e);
}
