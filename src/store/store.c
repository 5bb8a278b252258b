/* SPDX-License-Identifier: MIT */
/*
 * The store interface: picks a backend by URL scheme and forwards each
 * call through the backend's operation table. No SQL here.
 */
#include "store_int.h"

#include <string.h>

static enum st open_url(const char *url, bool server, struct store **out, struct err *e)
{
    *out = NULL;
    if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0)
        return ERR(e, ST_STORAGE, NULL, "PostgreSQL is not supported yet: use a SQLite path");
    if (strncmp(url, "sqlite:", 7) == 0)
        url += 7;
    if (!*url)
        return ERR(e, ST_STORAGE, NULL, "empty database path");
    struct store *inner = NULL;
    enum st st = store_sqlite_open(url, server, &inner, e);
    if (st == ST_OK)
        *out = store_cache_wrap(inner);
    return st;
}

enum st store_open(const char *url, struct store **out, struct err *e)
{
    return open_url(url, false, out, e);
}

enum st store_open_server(const char *url, struct store **out, struct err *e)
{
    return open_url(url, true, out, e);
}

void store_close(struct store *s)
{
    if (s)
        s->ops->close(s);
}

enum st store_batch_begin(struct store *s, struct err *e)
{
    return s->ops->batch_begin(s, e);
}

enum st store_batch_end(struct store *s, struct err *e)
{
    return s->ops->batch_end(s, e);
}

enum st store_customer_create(struct store *s, const char *cid, struct err *e)
{
    return s->ops->customer_create(s, cid, e);
}

enum st store_policy_create(struct store *s, const char *cid, const struct policy *p, struct err *e)
{
    return s->ops->policy_create(s, cid, p, e);
}

enum st store_policy_get(struct store *s, struct arena *a, const char *cid, const char *id,
                         struct policy *out, struct err *e)
{
    return s->ops->policy_get(s, a, cid, id, out, e);
}

enum st store_policy_list(struct store *s, struct arena *a, const char *cid, struct policy **out,
                          int *n, struct err *e)
{
    return s->ops->policy_list(s, a, cid, out, n, e);
}

enum st store_policy_update(struct store *s, const char *cid, const struct policy *p, struct err *e)
{
    return s->ops->policy_update(s, cid, p, e);
}

enum st store_policy_delete(struct store *s, const char *cid, const char *id, struct err *e)
{
    return s->ops->policy_delete(s, cid, id, e);
}

enum st store_client_create(struct store *s, const char *cid, const struct client *c,
                            const struct sealed_secret *sec, struct err *e)
{
    return s->ops->client_create(s, cid, c, sec, e);
}

enum st store_client_get(struct store *s, struct arena *a, const char *cid, const char *id,
                         struct client *out, struct err *e)
{
    return s->ops->client_get(s, a, cid, id, out, e);
}

enum st store_client_list(struct store *s, struct arena *a, const char *cid, struct client **out,
                          int *n, struct err *e)
{
    return s->ops->client_list(s, a, cid, out, n, e);
}

enum st store_client_update(struct store *s, const char *cid, const struct client *c, struct err *e)
{
    return s->ops->client_update(s, cid, c, e);
}

enum st store_client_delete(struct store *s, const char *cid, const char *id, struct err *e)
{
    return s->ops->client_delete(s, cid, id, e);
}

enum st store_secret_get(struct store *s, const char *cid, const char *id,
                         struct sealed_secret *out, struct err *e)
{
    return s->ops->secret_get(s, cid, id, out, e);
}

enum st store_secret_set(struct store *s, const char *cid, const char *id,
                         const struct sealed_secret *sec, struct err *e)
{
    return s->ops->secret_set(s, cid, id, sec, e);
}

enum st store_auth_find(struct store *s, struct arena *a, const char *cid, const char *client_id,
                        struct client_auth *out, struct err *e)
{
    return s->ops->auth_find(s, a, cid, client_id, out, e);
}

enum st store_auth_by_seq(struct store *s, struct arena *a, uint64_t seq, struct client_auth *out,
                          struct err *e)
{
    return s->ops->auth_by_seq(s, a, seq, out, e);
}

enum st store_revocation_add(struct store *s, const unsigned char tag[16], int64_t exp,
                             struct err *e)
{
    return s->ops->revocation_add(s, tag, exp, e);
}

enum st store_revocation_find(struct store *s, const unsigned char tag[16], bool *revoked,
                              struct err *e)
{
    return s->ops->revocation_find(s, tag, revoked, e);
}

enum st store_revocation_purge(struct store *s, int64_t now, int *purged, struct err *e)
{
    return s->ops->revocation_purge(s, now, purged, e);
}

enum st store_app_create(struct store *s, const char *cid, const struct login_app *app,
                         struct err *e)
{
    return s->ops->app_create(s, cid, app, e);
}

enum st store_app_get(struct store *s, struct arena *a, const char *cid, const char *id,
                      struct login_app *out, struct err *e)
{
    return s->ops->app_get(s, a, cid, id, out, e);
}

enum st store_app_list(struct store *s, struct arena *a, const char *cid, struct login_app **out,
                       int *n, struct err *e)
{
    return s->ops->app_list(s, a, cid, out, n, e);
}

enum st store_provider_create(struct store *s, const char *cid, const struct provider_rec *p,
                              struct err *e)
{
    return s->ops->provider_create(s, cid, p, e);
}

enum st store_provider_get(struct store *s, struct arena *a, const char *cid, const char *app_id,
                           const char *id, struct provider_rec *out, struct err *e)
{
    return s->ops->provider_get(s, a, cid, app_id, id, out, e);
}

enum st store_provider_list(struct store *s, struct arena *a, const char *cid, const char *app_id,
                            struct provider_rec **out, int *n, struct err *e)
{
    return s->ops->provider_list(s, a, cid, app_id, out, n, e);
}

enum st store_provider_modify(struct store *s, struct arena *a, const char *cid, const char *app_id,
                              const char *id, provider_modify_fn fn, void *arg, struct err *e)
{
    return s->ops->provider_modify(s, a, cid, app_id, id, fn, arg, e);
}

enum st store_provider_delete(struct store *s, const char *cid, const char *app_id, const char *id,
                              const char *expected_etag, struct err *e)
{
    return s->ops->provider_delete(s, cid, app_id, id, expected_etag, e);
}

enum st store_key_check_find(struct store *s, unsigned char out[STORE_KEY_CHECK_LEN], struct err *e)
{
    return s->ops->key_check_find(s, out, e);
}

enum st store_key_check_create(struct store *s, const unsigned char v[STORE_KEY_CHECK_LEN],
                               struct err *e)
{
    return s->ops->key_check_create(s, v, e);
}

enum st store_secret_find_any(struct store *s, struct sealed_secret *out, struct err *e)
{
    return s->ops->secret_find_any(s, out, e);
}
