/* SPDX-License-Identifier: MIT */
/*
 * The PostgreSQL backend's operations on customers, policies, clients,
 * revocations and the key check: one function per store call, each one
 * transaction (or a savepoint of a batch). Uniqueness and reference rules
 * are checked inside the transaction that writes, and backed by the
 * schema's constraints where concurrent writers could pass a check at once.
 */
#include "pg_int.h"

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
    struct pgs_params p = {0};
    pgs_text(&p, w->cid);
    pgs_i64(&p, util_now());
    return pgs_run(c, Q_CUSTOMER_INSERT, &p, ST_CONFLICT, NULL, e);
}

enum st pgs_customer_create(struct store *s, const char *cid, struct err *e)
{
    struct wargs w = {.cid = cid};
    return pgs_write(s, do_customer_create, &w, e);
}

/* $1..$6: customer, id, title, lifetimes, scopes (from a). */
static void policy_params(struct arena *a, struct pgs_params *p, const char *cid,
                          const struct policy *pol)
{
    pgs_text(p, cid);
    pgs_text(p, pol->id);
    pgs_text(p, pol->title);
    pgs_i64(p, pol->access_lifetime);
    pgs_i64(p, pol->refresh_lifetime);
    pgs_text(p, join_scopes(a, pol));
}

static enum st do_policy_create(struct conn *c, const void *args, struct err *e)
{
    const struct wargs *w = args;
    struct arena a;
    arena_init(&a);
    struct pgs_params p = {0};
    policy_params(&a, &p, w->cid, w->policy);
    pgs_i64(&p, util_now());
    enum st st = pgs_run(c, Q_POLICY_INSERT, &p, ST_NOT_FOUND, NULL, e);
    arena_cleanup(&a);
    return st;
}

enum st pgs_policy_create(struct store *s, const char *cid, const struct policy *p, struct err *e)
{
    struct wargs w = {.cid = cid, .policy = p};
    return pgs_write(s, do_policy_create, &w, e);
}

static enum st read_policy(struct arena *a, const PGresult *r, int row, void *out, struct err *e)
{
    (void)e;
    struct policy *p = out;
    pgs_col_copy(p->id, sizeof p->id, r, row, 0);
    p->title = pgs_col_text(a, r, row, 1);
    p->access_lifetime = pgs_col_i64(r, row, 2);
    p->refresh_lifetime = pgs_col_i64(r, row, 3);
    split_scopes(a, pgs_col_text(a, r, row, 4), &p->scopes, &p->nscopes);
    return ST_OK;
}

/* A read by customer and id (text $1, $2). */
static struct pgs_read by_key(enum query q, struct row_key k, pgs_row_fn row, struct arena *a,
                              const char *what)
{
    struct pgs_read r = {.q = q, .row = row, .a = a, .what = what};
    pgs_text(&r.p, k.cid);
    pgs_text(&r.p, k.id);
    return r;
}

/* A list by customer (text $1). */
static struct pgs_read by_cid(enum query q, const char *cid, pgs_row_fn row, struct arena *a,
                              size_t size)
{
    struct pgs_read r = {.q = q, .row = row, .a = a, .size = size};
    pgs_text(&r.p, cid);
    return r;
}

enum st pgs_policy_get(struct store *s, struct arena *a, struct row_key k, struct policy *out,
                       struct err *e)
{
    struct pgs_read r = by_key(Q_POLICY_GET, k, read_policy, a, "token policy");
    return pgs_query_one(s, &r, out, e);
}

enum st pgs_policy_list(struct store *s, struct arena *a, const char *cid, struct policy_list *out,
                        struct err *e)
{
    struct pgs_read r = by_cid(Q_POLICY_LIST, cid, read_policy, a, sizeof *out->v);
    struct pgs_rows rows;
    enum st st = pgs_query_list(s, &r, &rows, e);
    *out = (struct policy_list){rows.v, rows.n};
    return st;
}

static enum st do_policy_update(struct conn *c, const void *args, struct err *e)
{
    const struct wargs *w = args;
    struct arena a;
    arena_init(&a);
    struct pgs_params p = {0};
    policy_params(&a, &p, w->cid, w->policy);
    enum st st = pgs_changed_one(c, Q_POLICY_UPDATE, &p, "token policy", e);
    arena_cleanup(&a);
    return st;
}

enum st pgs_policy_update(struct store *s, const char *cid, const struct policy *p, struct err *e)
{
    struct wargs w = {.cid = cid, .policy = p};
    return pgs_write(s, do_policy_update, &w, e);
}

/* A client made meanwhile by another server makes the DELETE violate the
 * clients' foreign key: ST_CONFLICT too. */
static enum st do_policy_delete(struct conn *c, const void *args, struct err *e)
{
    const struct wargs *w = args;
    bool used = false;
    struct pgs_params p = {0};
    pgs_text(&p, w->cid);
    pgs_text(&p, w->id);
    enum st st = pgs_exists(c, Q_POLICY_IN_USE, &p, &used, e);
    if (st == ST_OK && used)
        st = ERR(e, ST_CONFLICT, NULL, "token policy is used by a client");
    if (st != ST_OK)
        return st;
    return pgs_changed_one(c, Q_POLICY_DELETE, &p, "token policy", e);
}

enum st pgs_policy_delete(struct store *s, struct row_key k, struct err *e)
{
    struct wargs w = {.cid = k.cid, .id = k.id};
    return pgs_write(s, do_policy_delete, &w, e);
}

/* Inside a transaction: the name is free and the policy exists (and stays,
 * locked until the transaction ends). Two servers creating one name at
 * once both pass; the unique constraint then refuses the second. */
static enum st client_check(struct conn *c, const char *cid, const struct client *cl, struct err *e)
{
    bool found = false;
    struct pgs_params p = {0};
    pgs_text(&p, cid);
    pgs_text(&p, cl->name);
    pgs_text(&p, cl->id);
    enum st st = pgs_exists(c, Q_CLIENT_NAME_TAKEN, &p, &found, e);
    if (st != ST_OK)
        return st;
    if (found)
        return ERR(e, ST_CONFLICT, "/" F_NAME, "a client with this name exists");
    struct pgs_params q = {0};
    pgs_text(&q, cid);
    pgs_text(&q, cl->policy_id);
    st = pgs_exists(c, Q_POLICY_EXISTS, &q, &found, e);
    if (st == ST_OK && !found)
        st = ERR(e, ST_UNPROCESSABLE, "/" F_TOKEN_POLICY, "unknown token policy");
    return st;
}

/* The insert's or update's constraint failure after client_check passed:
 * when it is the name's, another writer took the name meanwhile. */
static enum st client_conflict(struct conn *c, enum st st, struct err *e)
{
    if (st == ST_CONFLICT && strcmp(c->constraint, "clients_customer_id_name_key") == 0) {
        err_clear(e);
        return ERR(e, ST_CONFLICT, "/" F_NAME, "a client with this name exists");
    }
    return st;
}

static enum st do_client_create(struct conn *c, const void *args, struct err *e)
{
    const struct wargs *w = args;
    const struct client *cl = w->client;
    enum st st = client_check(c, w->cid, cl, e);
    if (st != ST_OK)
        return st;
    struct pgs_params p = {0};
    pgs_text(&p, w->cid);
    pgs_text(&p, cl->id);
    pgs_text(&p, cl->name);
    pgs_text(&p, cl->type);
    pgs_text(&p, cl->policy_id);
    pgs_blob(&p, w->sec->blob, w->sec->len);
    pgs_blob(&p, w->sec->verifier, sizeof w->sec->verifier);
    pgs_i64(&p, util_now());
    st = pgs_run(c, Q_CLIENT_INSERT, &p, ST_CONFLICT, NULL, e);
    return client_conflict(c, st, e);
}

enum st pgs_client_create(struct store *s, const char *cid, const struct client *cl,
                          const struct sealed_secret *sec, struct err *e)
{
    struct wargs w = {.cid = cid, .client = cl, .sec = sec};
    return pgs_write(s, do_client_create, &w, e);
}

static enum st read_client(struct arena *a, const PGresult *r, int row, void *out, struct err *e)
{
    (void)e;
    struct client *cl = out;
    pgs_col_copy(cl->id, sizeof cl->id, r, row, 0);
    cl->name = pgs_col_text(a, r, row, 1);
    cl->type = pgs_col_text(a, r, row, 2);
    pgs_col_copy(cl->policy_id, sizeof cl->policy_id, r, row, 3);
    return ST_OK;
}

enum st pgs_client_get(struct store *s, struct arena *a, struct row_key k, struct client *out,
                       struct err *e)
{
    struct pgs_read r = by_key(Q_CLIENT_GET, k, read_client, a, "client");
    return pgs_query_one(s, &r, out, e);
}

enum st pgs_client_list(struct store *s, struct arena *a, const char *cid, struct client_list *out,
                        struct err *e)
{
    struct pgs_read r = by_cid(Q_CLIENT_LIST, cid, read_client, a, sizeof *out->v);
    struct pgs_rows rows;
    enum st st = pgs_query_list(s, &r, &rows, e);
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
    struct pgs_params p = {0};
    pgs_text(&p, w->cid);
    pgs_text(&p, cl->id);
    pgs_text(&p, cl->name);
    pgs_text(&p, cl->type);
    pgs_text(&p, cl->policy_id);
    st = pgs_changed_one(c, Q_CLIENT_UPDATE, &p, "client", e);
    return client_conflict(c, st, e);
}

enum st pgs_client_update(struct store *s, const char *cid, const struct client *cl, struct err *e)
{
    struct wargs w = {.cid = cid, .client = cl};
    return pgs_write(s, do_client_update, &w, e);
}

static enum st do_client_delete(struct conn *c, const void *args, struct err *e)
{
    const struct wargs *w = args;
    struct pgs_params p = {0};
    pgs_text(&p, w->cid);
    pgs_text(&p, w->id);
    return pgs_changed_one(c, Q_CLIENT_DELETE, &p, "client", e);
}

enum st pgs_client_delete(struct store *s, struct row_key k, struct err *e)
{
    struct wargs w = {.cid = k.cid, .id = k.id};
    return pgs_write(s, do_client_delete, &w, e);
}

/* Reads a row of columns (sealed secret, verifier) into out. */
static enum st read_sealed(struct arena *a, const PGresult *r, int row, void *v, struct err *e)
{
    (void)a;
    struct sealed_secret *out = v;
    if (PQgetlength(r, row, 1) != (int)sizeof out->verifier)
        return ERR(e, ST_STORAGE, NULL, "a client's secret verifier is damaged");
    out->len = (size_t)PQgetlength(r, row, 0);
    out->blob = xmalloc(out->len ? out->len : 1);
    memcpy(out->blob, PQgetvalue(r, row, 0), out->len);
    memcpy(out->verifier, PQgetvalue(r, row, 1), sizeof out->verifier);
    return ST_OK;
}

enum st pgs_secret_get(struct store *s, struct row_key k, struct sealed_secret *out, struct err *e)
{
    struct pgs_read r = by_key(Q_SECRET_GET, k, read_sealed, NULL, "client");
    return pgs_query_one(s, &r, out, e);
}

enum st pgs_secret_find_any(struct store *s, struct sealed_secret *out, struct err *e)
{
    struct pgs_read r = {.q = Q_SECRET_ANY, .row = read_sealed, .what = "client"};
    return pgs_query_one(s, &r, out, e);
}

static enum st do_secret_set(struct conn *c, const void *args, struct err *e)
{
    const struct wargs *w = args;
    struct pgs_params p = {0};
    pgs_text(&p, w->cid);
    pgs_text(&p, w->id);
    pgs_blob(&p, w->sec->blob, w->sec->len);
    pgs_blob(&p, w->sec->verifier, sizeof w->sec->verifier);
    return pgs_changed_one(c, Q_SECRET_SET, &p, "client", e);
}

enum st pgs_secret_set(struct store *s, struct row_key k, const struct sealed_secret *sec,
                       struct err *e)
{
    struct wargs w = {.cid = k.cid, .id = k.id, .sec = sec};
    return pgs_write(s, do_secret_set, &w, e);
}

static enum st read_auth(struct arena *a, const PGresult *r, int row, void *v, struct err *e)
{
    struct client_auth *out = v;
    if (PQgetlength(r, row, 3) != (int)sizeof out->verifier)
        return ERR(e, ST_STORAGE, NULL, "a client's secret verifier is damaged");
    out->seq = (uint64_t)pgs_col_i64(r, row, 0);
    pgs_col_copy(out->customer_id, sizeof out->customer_id, r, row, 1);
    pgs_col_copy(out->client_id, sizeof out->client_id, r, row, 2);
    memcpy(out->verifier, PQgetvalue(r, row, 3), sizeof out->verifier);
    out->lifetime = pgs_col_i64(r, row, 4);
    split_scopes(a, pgs_col_text(a, r, row, 5), &out->scopes, &out->nscopes);
    return ST_OK;
}

enum st pgs_auth_find(struct store *s, struct arena *a, struct row_key k, struct client_auth *out,
                      struct err *e)
{
    struct pgs_read r = by_key(Q_AUTH_FIND, k, read_auth, a, "client");
    return pgs_query_one(s, &r, out, e);
}

enum st pgs_auth_by_seq(struct store *s, struct arena *a, uint64_t seq, struct client_auth *out,
                        struct err *e)
{
    struct pgs_read r = {.q = Q_AUTH_SEQ, .row = read_auth, .a = a, .what = "client"};
    pgs_i64(&r.p, (int64_t)seq);
    return pgs_query_one(s, &r, out, e);
}

static enum st do_revocation_add(struct conn *c, const void *args, struct err *e)
{
    const struct wargs *w = args;
    struct pgs_params p = {0};
    pgs_blob(&p, w->tag, 16);
    pgs_i64(&p, w->num);
    return pgs_run(c, Q_REVOKE_ADD, &p, ST_CONFLICT, NULL, e);
}

enum st pgs_revocation_add(struct store *s, const unsigned char tag[16], int64_t exp, struct err *e)
{
    struct wargs w = {.tag = tag, .num = exp};
    return pgs_write(s, do_revocation_add, &w, e);
}

static enum st read_found(struct arena *a, const PGresult *r, int row, void *out, struct err *e)
{
    (void)a, (void)r, (void)row, (void)e;
    *(bool *)out = true;
    return ST_OK;
}

enum st pgs_revocation_find(struct store *s, const unsigned char tag[16], bool *revoked,
                            struct err *e)
{
    struct pgs_read r = {.q = Q_REVOKE_FIND, .row = read_found};
    pgs_blob(&r.p, tag, 16);
    *revoked = false;
    return pgs_query_one(s, &r, revoked, e);
}

static enum st do_revocation_purge(struct conn *c, const void *args, struct err *e)
{
    const struct wargs *w = args;
    struct pgs_params p = {0};
    pgs_i64(&p, w->num);
    pgs_i64(&p, STORE_PURGE_BATCH);
    long n = 0;
    enum st st = pgs_run(c, Q_REVOKE_PURGE, &p, ST_CONFLICT, &n, e);
    *w->count = st == ST_OK ? (int)n : 0;
    return st;
}

enum st pgs_revocation_purge(struct store *s, int64_t now, int *purged, struct err *e)
{
    struct wargs w = {.num = now, .count = purged};
    return pgs_write(s, do_revocation_purge, &w, e);
}

static enum st do_app_create(struct conn *c, const void *args, struct err *e)
{
    const struct wargs *w = args;
    struct pgs_params p = {0};
    pgs_text(&p, w->cid);
    pgs_text(&p, w->app->id);
    pgs_text(&p, w->app->name);
    pgs_text(&p, w->app->realm);
    pgs_i64(&p, util_now());
    pgs_text(&p, w->app->token_urls);
    pgs_text(&p, w->app->settings);
    return pgs_run(c, Q_APP_INSERT, &p, ST_CONFLICT, NULL, e);
}

enum st pgs_app_create(struct store *s, const char *cid, const struct login_app *app, struct err *e)
{
    struct wargs w = {.cid = cid, .app = app};
    return pgs_write(s, do_app_create, &w, e);
}

static enum st read_key_check(struct arena *a, const PGresult *r, int row, void *out, struct err *e)
{
    (void)a;
    if (PQgetlength(r, row, 0) != STORE_KEY_CHECK_LEN)
        return ERR(e, ST_STORAGE, NULL, "the database's key check value is damaged");
    memcpy(out, PQgetvalue(r, row, 0), STORE_KEY_CHECK_LEN);
    return ST_OK;
}

enum st pgs_key_check_find(struct store *s, unsigned char out[STORE_KEY_CHECK_LEN], struct err *e)
{
    struct pgs_read r = {.q = Q_META_GET, .row = read_key_check, .what = "key check value"};
    pgs_text(&r.p, META_KEY_CHECK);
    return pgs_query_one(s, &r, out, e);
}

static enum st do_key_check_create(struct conn *c, const void *args, struct err *e)
{
    const struct wargs *w = args;
    struct pgs_params p = {0};
    pgs_text(&p, META_KEY_CHECK);
    pgs_blob(&p, w->tag, STORE_KEY_CHECK_LEN);
    return pgs_run(c, Q_META_INSERT, &p, ST_CONFLICT, NULL, e);
}

enum st pgs_key_check_create(struct store *s, const unsigned char v[STORE_KEY_CHECK_LEN],
                             struct err *e)
{
    struct wargs w = {.tag = v};
    return pgs_write(s, do_key_check_create, &w, e);
}

/* A write's entry point names its domain (its line's `data`) for pgs_write
 * to announce: generated, so the backend announces exactly what the cache
 * forgets on a write through it. */
#define PGS_WRITE_W(name, data, params, args)                                                      \
    static enum st announced_##name(struct store *s, STORE_UNPAREN params)                         \
    {                                                                                              \
        pgs_write_domain = STORE_DOMAIN_##data;                                                    \
        enum st st = pgs_##name(s, STORE_UNPAREN args);                                            \
        pgs_write_domain = SD__COUNT;                                                              \
        return st;                                                                                 \
    }
#define PGS_WRITE_R(name, data, params, args)
#define PGS_WRITE_C(name, data, params, args)
#define PGS_WRITE_B(name, data, params, args)
#define PGS_WRITE(name, kind, data, params, args) PGS_WRITE_##kind(name, data, params, args)
STORE_OPS(PGS_WRITE)

#define PGS_FN_W(name) announced_##name
#define PGS_FN_R(name) pgs_##name
#define PGS_FN_C(name) pgs_##name
#define PGS_FN_B(name) pgs_##name
#define PGS_ENTRY(name, kind, data, params, args) .name = PGS_FN_##kind(name),
const struct store_ops pg_ops = {.name = "postgresql", .close = pgs_close, STORE_OPS(PGS_ENTRY)};
