/* SPDX-License-Identifier: MIT */
/*
 * The PostgreSQL backend's operations on social-login apps and custom
 * providers. A modification reads its row FOR NO KEY UPDATE and writes it
 * in one transaction, so concurrent modifications, from any number of
 * servers, apply one after the other and none is lost.
 */
#include "pg_int.h"

#include <string.h>

static enum st read_app(struct arena *a, const PGresult *r, int row, void *out, struct err *e)
{
    (void)e;
    struct login_app *app = out;
    pgs_col_copy(app->id, sizeof app->id, r, row, 0);
    app->name = pgs_col_text(a, r, row, 1);
    app->realm = pgs_col_text(a, r, row, 2);
    app->token_urls = pgs_col_text(a, r, row, 3);
    app->settings = pgs_col_text(a, r, row, 4);
    return ST_OK;
}

/* A read of an app by customer and app id. */
static struct pgs_read app_read(enum query q, struct row_key k, pgs_row_fn row, struct arena *a)
{
    struct pgs_read r = {.q = q, .row = row, .a = a, .what = "app"};
    pgs_text(&r.p, k.cid);
    pgs_text(&r.p, k.id);
    return r;
}

enum st pgs_app_get(struct store *s, struct arena *a, struct row_key k, struct login_app *out,
                    struct err *e)
{
    struct pgs_read r = app_read(Q_APP_GET, k, read_app, a);
    return pgs_query_one(s, &r, out, e);
}

enum st pgs_app_list(struct store *s, struct arena *a, const char *cid, struct app_list *out,
                     struct err *e)
{
    struct pgs_read r = {.q = Q_APP_LIST, .row = read_app, .a = a, .size = sizeof *out->v};
    pgs_text(&r.p, cid);
    struct pgs_rows rows;
    enum st st = pgs_query_list(s, &r, &rows, e);
    *out = (struct app_list){rows.v, rows.n};
    return st;
}

struct app_modify_args {
    struct arena *a;
    struct row_key k;
    const struct app_change *ch;
};

static enum st do_app_modify(struct conn *c, const void *args, struct err *e)
{
    const struct app_modify_args *w = args;
    struct login_app cur, next;
    struct pgs_read r = app_read(Q_APP_LOCK, w->k, read_app, w->a);
    enum st st = pgs_read_one(c, &r, &cur, e); /* locked until the transaction ends */
    if (st != ST_OK)
        return st;
    next = cur;
    st = w->ch->fn(w->ch->arg, &cur, &next);
    if (st != ST_OK)
        return st;
    struct pgs_params p = {0};
    const char *text[] = {w->k.cid, w->k.id, next.name, next.realm, next.token_urls, next.settings};
    for (int i = 0; i < 6; i++)
        pgs_text(&p, text[i]);
    return pgs_run(c, Q_APP_UPDATE, &p, ST_CONFLICT, NULL, e);
}

enum st pgs_app_modify(struct store *s, struct arena *a, struct row_key k,
                       const struct app_change *ch, struct err *e)
{
    struct app_modify_args w = {a, k, ch};
    return pgs_write(s, do_app_modify, &w, e);
}

/* Reads (sealed key, verifier), both NULL for an app without a key. */
static enum st read_app_key(struct arena *a, const PGresult *r, int row, void *v, struct err *e)
{
    (void)a;
    struct sealed_secret *out = v;
    *out = (struct sealed_secret){0};
    if (PQgetisnull(r, row, 0))
        return ST_OK;
    if (PQgetlength(r, row, 1) != (int)sizeof out->verifier)
        return ERR(e, ST_STORAGE, NULL, "an app's key verifier is damaged");
    out->len = (size_t)PQgetlength(r, row, 0);
    out->blob = xmalloc(out->len ? out->len : 1);
    memcpy(out->blob, PQgetvalue(r, row, 0), out->len);
    memcpy(out->verifier, PQgetvalue(r, row, 1), sizeof out->verifier);
    return ST_OK;
}

enum st pgs_app_key_get(struct store *s, struct row_key k, struct sealed_secret *out, struct err *e)
{
    struct pgs_read r = app_read(Q_APP_KEY_GET, k, read_app_key, NULL);
    *out = (struct sealed_secret){0};
    return pgs_query_one(s, &r, out, e);
}

static struct pgs_params app_key_params(const struct wargs *w)
{
    struct pgs_params p = {0};
    pgs_text(&p, w->cid);
    pgs_text(&p, w->id);
    pgs_blob(&p, w->sec->blob, w->sec->len);
    pgs_blob(&p, w->sec->verifier, sizeof w->sec->verifier);
    return p;
}

static enum st do_app_key_set(struct conn *c, const void *args, struct err *e)
{
    struct pgs_params p = app_key_params(args);
    return pgs_changed_one(c, Q_APP_KEY_SET, &p, "app", e);
}

enum st pgs_app_key_set(struct store *s, struct row_key k, const struct sealed_secret *sec,
                        struct err *e)
{
    struct wargs w = {.cid = k.cid, .id = k.id, .sec = sec};
    return pgs_write(s, do_app_key_set, &w, e);
}

static enum st do_app_key_create(struct conn *c, const void *args, struct err *e)
{
    struct pgs_params p = app_key_params(args);
    long n = 0;
    enum st st = pgs_run(c, Q_APP_KEY_CREATE, &p, ST_CONFLICT, &n, e);
    if (st == ST_OK && n != 1)
        st = ERR(e, ST_CONFLICT, NULL, "the app has a key already, or is gone");
    return st;
}

enum st pgs_app_key_create(struct store *s, struct row_key k, const struct sealed_secret *sec,
                           struct err *e)
{
    struct wargs w = {.cid = k.cid, .id = k.id, .sec = sec};
    return pgs_write(s, do_app_key_create, &w, e);
}

/* The sealed secret, or SQL NULL when there is none. */
static void secret_param(struct pgs_params *p, const struct provider_rec *rec)
{
    if (rec->secret)
        pgs_blob(p, rec->secret, rec->secret_len);
    else
        pgs_text(p, NULL);
}

static enum st do_provider_create(struct conn *c, const void *args, struct err *e)
{
    const struct wargs *w = args;
    const struct provider_rec *rec = w->prov;
    struct pgs_params p = {0};
    pgs_text(&p, w->cid);
    pgs_text(&p, rec->app_id);
    pgs_text(&p, rec->id);
    pgs_text(&p, rec->doc);
    secret_param(&p, rec);
    pgs_text(&p, rec->etag);
    pgs_text(&p, rec->created_at);
    pgs_text(&p, rec->protocol ? rec->protocol : "");
    pgs_text(&p, rec->summary ? rec->summary : "");
    return pgs_run(c, Q_PROVIDER_INSERT, &p, ST_NOT_FOUND, NULL, e); /* the app's foreign key */
}

enum st pgs_provider_create(struct store *s, const char *cid, const struct provider_rec *p,
                            struct err *e)
{
    struct wargs w = {.cid = cid, .prov = p};
    return pgs_write(s, do_provider_create, &w, e);
}

static enum st read_provider(struct arena *a, const PGresult *r, int row, void *out, struct err *e)
{
    (void)e;
    struct provider_rec *p = out;
    pgs_col_copy(p->id, sizeof p->id, r, row, 0);
    pgs_col_copy(p->app_id, sizeof p->app_id, r, row, 1);
    p->doc = pgs_col_text(a, r, row, 2);
    p->secret = NULL;
    p->secret_len = 0;
    if (!PQgetisnull(r, row, 3))
        p->secret = pgs_col_blob(a, r, row, 3, &p->secret_len);
    pgs_col_copy(p->etag, sizeof p->etag, r, row, 4);
    pgs_col_copy(p->created_at, sizeof p->created_at, r, row, 5);
    pgs_col_copy(p->updated_at, sizeof p->updated_at, r, row, 6);
    p->summary = pgs_col_text(a, r, row, 7);
    return ST_OK;
}

/* A read of providers by up to three text keys. */
static struct pgs_read provider_read(enum query q, struct arena *a, const char *k1, const char *k2,
                                     const char *k3)
{
    struct pgs_read r = {.q = q, .row = read_provider, .a = a, .what = "provider"};
    pgs_text(&r.p, k1);
    pgs_text(&r.p, k2);
    if (k3)
        pgs_text(&r.p, k3);
    return r;
}

enum st pgs_provider_get(struct store *s, struct arena *a, struct provider_key k,
                         struct provider_rec *out, struct err *e)
{
    struct pgs_read r = provider_read(Q_PROVIDER_GET, a, k.cid, k.app_id, k.id);
    return pgs_query_one(s, &r, out, e);
}

enum st pgs_provider_locate(struct store *s, struct arena *a, struct row_key k,
                            struct provider_rec *out, struct err *e)
{
    struct pgs_read r = provider_read(Q_PROVIDER_LOCATE, a, k.cid, k.id, NULL);
    return pgs_query_one(s, &r, out, e);
}

enum st pgs_provider_list(struct store *s, struct arena *a, struct row_key app,
                          struct provider_list *out, struct err *e)
{
    struct pgs_read r = provider_read(Q_PROVIDER_LIST, a, app.cid, app.id, NULL);
    r.size = sizeof *out->v;
    struct pgs_rows rows;
    enum st st = pgs_query_list(s, &r, &rows, e);
    *out = (struct provider_list){rows.v, rows.n};
    return st;
}

/* After a conditional delete that changed nothing: was it gone, or changed? */
static enum st why_unchanged(struct conn *c, const struct pgs_params *key, struct err *e)
{
    bool found = false;
    struct pgs_params p = *key;
    p.n = 3;
    enum st st = pgs_exists(c, Q_PROVIDER_EXISTS, &p, &found, e);
    if (st != ST_OK)
        return st;
    return found ? ERR(e, ST_PRECONDITION, NULL, "the provider was modified meanwhile")
                 : ERR(e, ST_NOT_FOUND, NULL, "no such provider");
}

static enum st do_provider_modify(struct conn *c, const void *args, struct err *e)
{
    const struct wargs *w = args;
    struct provider_rec cur, next;
    struct pgs_read r = provider_read(Q_PROVIDER_LOCK, w->arena, w->cid, w->app_id, w->id);
    enum st st = pgs_read_one(c, &r, &cur, e); /* locked until the transaction ends */
    if (st != ST_OK)
        return st;
    next = cur;
    st = w->modify(w->modify_arg, &cur, &next);
    if (st != ST_OK)
        return st;
    struct pgs_params p = {0};
    pgs_text(&p, w->cid);
    pgs_text(&p, w->app_id);
    pgs_text(&p, w->id);
    pgs_text(&p, cur.etag);
    pgs_text(&p, next.doc);
    secret_param(&p, &next);
    pgs_text(&p, next.etag);
    pgs_text(&p, next.updated_at);
    pgs_text(&p, next.summary ? next.summary : "");
    return pgs_changed_one(c, Q_PROVIDER_UPDATE, &p, "provider", e);
}

enum st pgs_provider_modify(struct store *s, struct arena *a, struct provider_key k,
                            const struct provider_change *ch, struct err *e)
{
    struct wargs w = {.cid = k.cid,
                      .app_id = k.app_id,
                      .id = k.id,
                      .arena = a,
                      .modify = ch->fn,
                      .modify_arg = ch->arg};
    return pgs_write(s, do_provider_modify, &w, e);
}

static enum st do_provider_delete(struct conn *c, const void *args, struct err *e)
{
    const struct wargs *w = args;
    struct pgs_params p = {0};
    pgs_text(&p, w->cid);
    pgs_text(&p, w->app_id);
    pgs_text(&p, w->id);
    pgs_text(&p, w->expected); /* NULL: any etag */
    long n = 0;
    enum st st = pgs_run(c, Q_PROVIDER_DELETE, &p, ST_CONFLICT, &n, e);
    if (st == ST_OK && n == 0)
        st = why_unchanged(c, &p, e);
    return st;
}

enum st pgs_provider_delete(struct store *s, struct provider_key k, const char *expected_etag,
                            struct err *e)
{
    struct wargs w = {.cid = k.cid, .app_id = k.app_id, .id = k.id, .expected = expected_etag};
    return pgs_write(s, do_provider_delete, &w, e);
}
