/* SPDX-License-Identifier: MIT */
/*
 * Fault injection for the in-process tests: a store that forwards every
 * call to another store, except the Nth, which fails with ST_STORAGE as a
 * broken disk or database would. Counts calls so a test can first learn how
 * many a request makes, then fail each position in turn. Test code only.
 */
#ifndef SG_TEST_FAULT_STORE_H
#define SG_TEST_FAULT_STORE_H

#include <stdlib.h>

#include "store/store.h"

struct fault_store {
    struct store base;
    struct store *inner;
    int calls;   /* made so far */
    int fail_at; /* the call (0-based) that fails; -1: none */
};

#define FS(s) ((struct fault_store *)(s))

/* True (and e filled) when this call is the one to fail. */
static inline bool fault_now(struct store *s, struct err *e)
{
    struct fault_store *f = FS(s);
    if (f->calls++ != f->fail_at)
        return false;
    ERR(e, ST_STORAGE, NULL, "injected failure at call %d", f->fail_at);
    return true;
}

/* One forwarding operation; params must name the store s and the err e. */
#define FAULT_OP(name, params, args)                                                               \
    static enum st fault_##name params                                                             \
    {                                                                                              \
        if (fault_now(s, e))                                                                       \
            return ST_STORAGE;                                                                     \
        return store_##name args;                                                                  \
    }

FAULT_OP(batch_begin, (struct store * s, struct err *e), (FS(s)->inner, e))
FAULT_OP(batch_end, (struct store * s, struct err *e), (FS(s)->inner, e))
FAULT_OP(customer_create, (struct store * s, const char *cid, struct err *e),
         (FS(s)->inner, cid, e))
FAULT_OP(policy_create, (struct store * s, const char *cid, const struct policy *p, struct err *e),
         (FS(s)->inner, cid, p, e))
FAULT_OP(policy_get,
         (struct store * s, struct arena *a, const char *cid, const char *id, struct policy *o,
          struct err *e),
         (FS(s)->inner, a, cid, id, o, e))
FAULT_OP(policy_list,
         (struct store * s, struct arena *a, const char *cid, struct policy **o, int *n,
          struct err *e),
         (FS(s)->inner, a, cid, o, n, e))
FAULT_OP(policy_update, (struct store * s, const char *cid, const struct policy *p, struct err *e),
         (FS(s)->inner, cid, p, e))
FAULT_OP(policy_delete, (struct store * s, const char *cid, const char *id, struct err *e),
         (FS(s)->inner, cid, id, e))
FAULT_OP(client_create,
         (struct store * s, const char *cid, const struct client *c,
          const struct sealed_secret *sec, struct err *e),
         (FS(s)->inner, cid, c, sec, e))
FAULT_OP(client_get,
         (struct store * s, struct arena *a, const char *cid, const char *id, struct client *o,
          struct err *e),
         (FS(s)->inner, a, cid, id, o, e))
FAULT_OP(client_list,
         (struct store * s, struct arena *a, const char *cid, struct client **o, int *n,
          struct err *e),
         (FS(s)->inner, a, cid, o, n, e))
FAULT_OP(client_update, (struct store * s, const char *cid, const struct client *c, struct err *e),
         (FS(s)->inner, cid, c, e))
FAULT_OP(client_delete, (struct store * s, const char *cid, const char *id, struct err *e),
         (FS(s)->inner, cid, id, e))
FAULT_OP(secret_get,
         (struct store * s, const char *cid, const char *id, struct sealed_secret *o,
          struct err *e),
         (FS(s)->inner, cid, id, o, e))
FAULT_OP(secret_set,
         (struct store * s, const char *cid, const char *id, const struct sealed_secret *sec,
          struct err *e),
         (FS(s)->inner, cid, id, sec, e))
FAULT_OP(auth_find,
         (struct store * s, struct arena *a, const char *cid, const char *id, struct client_auth *o,
          struct err *e),
         (FS(s)->inner, a, cid, id, o, e))
FAULT_OP(auth_by_seq,
         (struct store * s, struct arena *a, uint64_t seq, struct client_auth *o, struct err *e),
         (FS(s)->inner, a, seq, o, e))
FAULT_OP(revocation_add,
         (struct store * s, const unsigned char tag[16], int64_t exp, struct err *e),
         (FS(s)->inner, tag, exp, e))
FAULT_OP(revocation_find,
         (struct store * s, const unsigned char tag[16], bool *revoked, struct err *e),
         (FS(s)->inner, tag, revoked, e))
FAULT_OP(revocation_purge, (struct store * s, int64_t now, int *purged, struct err *e),
         (FS(s)->inner, now, purged, e))
FAULT_OP(app_create,
         (struct store * s, const char *cid, const struct login_app *app, struct err *e),
         (FS(s)->inner, cid, app, e))
FAULT_OP(app_get,
         (struct store * s, struct arena *a, const char *cid, const char *id, struct login_app *o,
          struct err *e),
         (FS(s)->inner, a, cid, id, o, e))
FAULT_OP(app_list,
         (struct store * s, struct arena *a, const char *cid, struct login_app **o, int *n,
          struct err *e),
         (FS(s)->inner, a, cid, o, n, e))
FAULT_OP(provider_create,
         (struct store * s, const char *cid, const struct provider_rec *p, struct err *e),
         (FS(s)->inner, cid, p, e))
FAULT_OP(provider_get,
         (struct store * s, struct arena *a, const char *cid, const char *app, const char *id,
          struct provider_rec *o, struct err *e),
         (FS(s)->inner, a, cid, app, id, o, e))
FAULT_OP(provider_list,
         (struct store * s, struct arena *a, const char *cid, const char *app,
          struct provider_rec **o, int *n, struct err *e),
         (FS(s)->inner, a, cid, app, o, n, e))
FAULT_OP(provider_modify,
         (struct store * s, struct arena *a, const char *cid, const char *app, const char *id,
          provider_modify_fn fn, void *arg, struct err *e),
         (FS(s)->inner, a, cid, app, id, fn, arg, e))
FAULT_OP(provider_delete,
         (struct store * s, const char *cid, const char *app, const char *id, const char *etag,
          struct err *e),
         (FS(s)->inner, cid, app, id, etag, e))
FAULT_OP(key_check_find, (struct store * s, unsigned char o[STORE_KEY_CHECK_LEN], struct err *e),
         (FS(s)->inner, o, e))
FAULT_OP(key_check_create,
         (struct store * s, const unsigned char v[STORE_KEY_CHECK_LEN], struct err *e),
         (FS(s)->inner, v, e))
FAULT_OP(secret_find_any, (struct store * s, struct sealed_secret *o, struct err *e),
         (FS(s)->inner, o, e))

static inline void fault_close(struct store *s)
{
    store_close(FS(s)->inner);
    free(s);
}

static const struct store_ops fault_ops = {
    .name = "fault",
    .close = fault_close,
    .batch_begin = fault_batch_begin,
    .batch_end = fault_batch_end,
    .customer_create = fault_customer_create,
    .policy_create = fault_policy_create,
    .policy_get = fault_policy_get,
    .policy_list = fault_policy_list,
    .policy_update = fault_policy_update,
    .policy_delete = fault_policy_delete,
    .client_create = fault_client_create,
    .client_get = fault_client_get,
    .client_list = fault_client_list,
    .client_update = fault_client_update,
    .client_delete = fault_client_delete,
    .secret_get = fault_secret_get,
    .secret_set = fault_secret_set,
    .auth_find = fault_auth_find,
    .auth_by_seq = fault_auth_by_seq,
    .revocation_add = fault_revocation_add,
    .revocation_find = fault_revocation_find,
    .revocation_purge = fault_revocation_purge,
    .app_create = fault_app_create,
    .app_get = fault_app_get,
    .app_list = fault_app_list,
    .provider_create = fault_provider_create,
    .provider_get = fault_provider_get,
    .provider_list = fault_provider_list,
    .provider_modify = fault_provider_modify,
    .provider_delete = fault_provider_delete,
    .key_check_find = fault_key_check_find,
    .key_check_create = fault_key_check_create,
    .secret_find_any = fault_secret_find_any,
};

/* Wraps inner (taking ownership); no call fails until fail_at is set. */
static inline struct fault_store *fault_wrap(struct store *inner)
{
    struct fault_store *f = calloc(1, sizeof *f);
    f->base.ops = &fault_ops;
    f->inner = inner;
    f->fail_at = -1;
    return f;
}

#endif
