/* SPDX-License-Identifier: MIT */
/*
 * The SQLite backend's operations on social-login apps and custom
 * providers. A modification reads and writes in one transaction on the
 * writer's connection, so concurrent modifications apply one after the
 * other.
 */
#include "sqlite_int.h"

#include <string.h>

static enum st read_app(struct arena *a, sqlite3_stmt *q, void *out, struct err *e)
{
    (void)e;
    struct login_app *app = out;
    sq_col_copy(app->id, sizeof app->id, q, 0);
    app->name = sq_col_text(a, q, 1);
    app->realm = sq_col_text(a, q, 2);
    app->token_urls = sq_col_text(a, q, 3);
    app->settings = sq_col_text(a, q, 4);
    return ST_OK;
}

enum st sq_app_get(struct store *s, struct arena *a, struct row_key k, struct login_app *out,
                   struct err *e)
{
    struct sq_read r = {
        .q = Q_APP_GET, .text = {k.cid, k.id}, .row = read_app, .a = a, .what = "app"};
    return sq_query_one(s, &r, out, e);
}

enum st sq_app_list(struct store *s, struct arena *a, const char *cid, struct app_list *out,
                    struct err *e)
{
    struct sq_read r = {
        .q = Q_APP_LIST, .text = {cid}, .row = read_app, .a = a, .size = sizeof *out->v};
    struct sq_rows rows;
    enum st st = sq_query_list(s, &r, &rows, e);
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
    struct sq_read r = {
        .q = Q_APP_GET, .text = {w->k.cid, w->k.id}, .row = read_app, .a = w->a, .what = "app"};
    enum st st = sq_read_one(c, &r, &cur, e); /* on the writer's connection */
    if (st != ST_OK)
        return st;
    next = cur;
    st = w->ch->fn(w->ch->arg, &cur, &next);
    if (st != ST_OK)
        return st;
    sqlite3_stmt *q = sq_stmt(c, Q_APP_UPDATE);
    const char *text[] = {w->k.cid,      w->k.id,  next.name, next.realm,     next.token_urls,
                          next.settings, cur.name, cur.realm, cur.token_urls, cur.settings};
    for (int i = 0; i < 10; i++)
        sq_bind_text(q, i + 1, text[i]);
    return sq_step_write(c, q, ST_CONFLICT, e);
}

enum st sq_app_modify(struct store *s, struct arena *a, struct row_key k,
                      const struct app_change *ch, struct err *e)
{
    struct app_modify_args w = {a, k, ch};
    return sq_write(s, do_app_modify, &w, e);
}

/* Reads (sealed key, verifier), both NULL for an app without a key. */
static enum st read_app_key(struct arena *a, sqlite3_stmt *q, void *v, struct err *e)
{
    (void)a;
    struct sealed_secret *out = v;
    *out = (struct sealed_secret){0};
    if (sqlite3_column_type(q, 0) == SQLITE_NULL)
        return ST_OK;
    if (sqlite3_column_bytes(q, 1) != (int)sizeof out->verifier)
        return ERR(e, ST_STORAGE, NULL, "an app's key verifier is damaged");
    out->len = (size_t)sqlite3_column_bytes(q, 0);
    out->blob = xmalloc(out->len ? out->len : 1);
    memcpy(out->blob, sqlite3_column_blob(q, 0), out->len);
    memcpy(out->verifier, sqlite3_column_blob(q, 1), sizeof out->verifier);
    return ST_OK;
}

enum st sq_app_key_get(struct store *s, struct row_key k, struct sealed_secret *out, struct err *e)
{
    struct sq_read r = {
        .q = Q_APP_KEY_GET, .text = {k.cid, k.id}, .row = read_app_key, .what = "app"};
    *out = (struct sealed_secret){0};
    return sq_query_one(s, &r, out, e);
}

static sqlite3_stmt *bind_app_key(struct conn *c, enum query which, const struct wargs *w)
{
    sqlite3_stmt *q = sq_stmt(c, which);
    sq_bind_text(q, 1, w->cid);
    sq_bind_text(q, 2, w->id);
    sqlite3_bind_blob(q, 3, w->sec->blob, (int)w->sec->len, SQLITE_STATIC);
    sqlite3_bind_blob(q, 4, w->sec->verifier, sizeof w->sec->verifier, SQLITE_STATIC);
    return q;
}

static enum st do_app_key_set(struct conn *c, const void *args, struct err *e)
{
    sqlite3_stmt *q = bind_app_key(c, Q_APP_KEY_SET, args);
    return sq_changed_one(c, q, "app", e);
}

enum st sq_app_key_set(struct store *s, struct row_key k, const struct sealed_secret *sec,
                       struct err *e)
{
    struct wargs w = {.cid = k.cid, .id = k.id, .sec = sec};
    return sq_write(s, do_app_key_set, &w, e);
}

static enum st do_app_key_create(struct conn *c, const void *args, struct err *e)
{
    sqlite3_stmt *q = bind_app_key(c, Q_APP_KEY_CREATE, args);
    enum st st = sq_step_write(c, q, ST_CONFLICT, e);
    if (st == ST_OK && sqlite3_changes(c->db) != 1)
        st = ERR(e, ST_CONFLICT, NULL, "the app has a key already, or is gone");
    return st;
}

enum st sq_app_key_create(struct store *s, struct row_key k, const struct sealed_secret *sec,
                          struct err *e)
{
    struct wargs w = {.cid = k.cid, .id = k.id, .sec = sec};
    return sq_write(s, do_app_key_create, &w, e);
}

static void bind_secret(sqlite3_stmt *q, int i, const struct provider_rec *p)
{
    if (p->secret)
        sqlite3_bind_blob(q, i, p->secret, (int)p->secret_len, SQLITE_STATIC);
    else
        sqlite3_bind_null(q, i);
}

static enum st do_provider_create(struct conn *c, const void *args, struct err *e)
{
    const struct wargs *w = args;
    const struct provider_rec *p = w->prov;
    sqlite3_stmt *q = sq_stmt(c, Q_PROVIDER_INSERT);
    sq_bind_text(q, 1, w->cid);
    sq_bind_text(q, 2, p->app_id);
    sq_bind_text(q, 3, p->id);
    sq_bind_text(q, 4, p->doc);
    bind_secret(q, 5, p);
    sq_bind_text(q, 6, p->etag);
    sq_bind_text(q, 7, p->created_at);
    sq_bind_text(q, 8, p->protocol ? p->protocol : "");
    sq_bind_text(q, 9, p->summary ? p->summary : "");
    return sq_step_write(c, q, ST_NOT_FOUND, e); /* the app's foreign key */
}

enum st sq_provider_create(struct store *s, const char *cid, const struct provider_rec *p,
                           struct err *e)
{
    struct wargs w = {.cid = cid, .prov = p};
    return sq_write(s, do_provider_create, &w, e);
}

static enum st read_provider(struct arena *a, sqlite3_stmt *q, void *out, struct err *e)
{
    (void)e;
    struct provider_rec *p = out;
    sq_col_copy(p->id, sizeof p->id, q, 0);
    sq_col_copy(p->app_id, sizeof p->app_id, q, 1);
    p->doc = sq_col_text(a, q, 2);
    p->secret_len = (size_t)sqlite3_column_bytes(q, 3);
    p->secret = NULL;
    if (sqlite3_column_type(q, 3) == SQLITE_BLOB) {
        unsigned char *b = arena_alloc(a, p->secret_len);
        memcpy(b, sqlite3_column_blob(q, 3), p->secret_len);
        p->secret = b;
    }
    sq_col_copy(p->etag, sizeof p->etag, q, 4);
    sq_col_copy(p->created_at, sizeof p->created_at, q, 5);
    sq_col_copy(p->updated_at, sizeof p->updated_at, q, 6);
    p->summary = sq_col_text(a, q, 7);
    return ST_OK;
}

enum st sq_provider_get(struct store *s, struct arena *a, struct provider_key k,
                        struct provider_rec *out, struct err *e)
{
    struct sq_read r = {.q = Q_PROVIDER_GET,
                        .text = {k.cid, k.app_id, k.id},
                        .row = read_provider,
                        .a = a,
                        .what = "provider"};
    return sq_query_one(s, &r, out, e);
}

enum st sq_provider_locate(struct store *s, struct arena *a, struct row_key k,
                           struct provider_rec *out, struct err *e)
{
    struct sq_read r = {.q = Q_PROVIDER_LOCATE,
                        .text = {k.cid, k.id},
                        .row = read_provider,
                        .a = a,
                        .what = "provider"};
    return sq_query_one(s, &r, out, e);
}

enum st sq_provider_list(struct store *s, struct arena *a, struct row_key app,
                         struct provider_list *out, struct err *e)
{
    struct sq_read r = {.q = Q_PROVIDER_LIST,
                        .text = {app.cid, app.id},
                        .row = read_provider,
                        .a = a,
                        .size = sizeof *out->v};
    struct sq_rows rows;
    enum st st = sq_query_list(s, &r, &rows, e);
    *out = (struct provider_list){rows.v, rows.n};
    return st;
}

/* After a conditional delete that changed nothing: was it gone, or changed? */
static enum st why_unchanged(struct conn *c, const char *cid, const char *app_id, const char *id,
                             struct err *e)
{
    bool found = false;
    sqlite3_stmt *q = sq_stmt(c, Q_PROVIDER_EXISTS);
    sq_bind_text(q, 1, cid);
    sq_bind_text(q, 2, app_id);
    sq_bind_text(q, 3, id);
    enum st st = sq_exists(c, q, &found, e);
    if (st != ST_OK)
        return st;
    return found ? ERR(e, ST_PRECONDITION, NULL, "the provider was modified meanwhile")
                 : ERR(e, ST_NOT_FOUND, NULL, "no such provider");
}

static enum st do_provider_modify(struct conn *c, const void *args, struct err *e)
{
    const struct wargs *w = args;
    struct provider_rec cur, next;
    struct sq_read r = {.q = Q_PROVIDER_GET,
                        .text = {w->cid, w->app_id, w->id},
                        .row = read_provider,
                        .a = w->arena,
                        .what = "provider"};
    enum st st = sq_read_one(c, &r, &cur, e); /* on the writer's connection */
    if (st != ST_OK)
        return st;
    next = cur;
    st = w->modify(w->modify_arg, &cur, &next);
    if (st != ST_OK)
        return st;
    sqlite3_stmt *q = sq_stmt(c, Q_PROVIDER_UPDATE);
    sq_bind_text(q, 1, w->cid);
    sq_bind_text(q, 2, w->app_id);
    sq_bind_text(q, 3, w->id);
    sq_bind_text(q, 4, cur.etag);
    sq_bind_text(q, 5, next.doc);
    bind_secret(q, 6, &next);
    sq_bind_text(q, 7, next.etag);
    sq_bind_text(q, 8, next.updated_at);
    sq_bind_text(q, 9, next.summary ? next.summary : "");
    return sq_changed_one(c, q, "provider", e);
}

enum st sq_provider_modify(struct store *s, struct arena *a, struct provider_key k,
                           const struct provider_change *ch, struct err *e)
{
    struct wargs w = {.cid = k.cid,
                      .app_id = k.app_id,
                      .id = k.id,
                      .arena = a,
                      .modify = ch->fn,
                      .modify_arg = ch->arg};
    return sq_write(s, do_provider_modify, &w, e);
}

static enum st do_provider_delete(struct conn *c, const void *args, struct err *e)
{
    const struct wargs *w = args;
    sqlite3_stmt *q = sq_stmt(c, Q_PROVIDER_DELETE);
    sq_bind_text(q, 1, w->cid);
    sq_bind_text(q, 2, w->app_id);
    sq_bind_text(q, 3, w->id);
    if (w->expected)
        sq_bind_text(q, 4, w->expected);
    else
        sqlite3_bind_null(q, 4);
    enum st st = sq_step_write(c, q, ST_CONFLICT, e);
    if (st == ST_OK && sqlite3_changes(c->db) == 0)
        st = why_unchanged(c, w->cid, w->app_id, w->id, e);
    return st;
}

enum st sq_provider_delete(struct store *s, struct provider_key k, const char *expected_etag,
                           struct err *e)
{
    struct wargs w = {.cid = k.cid, .app_id = k.app_id, .id = k.id, .expected = expected_etag};
    return sq_write(s, do_provider_delete, &w, e);
}
