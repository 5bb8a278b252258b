/* SPDX-License-Identifier: MIT */
/* GET /healthz: 200 while the server is serving, 503 once it is stopping
 * (a load balancer then sends elsewhere). Touches nothing else: the process
 * lives. GET /readyz: the same, and 503 too while the database does not
 * answer (SPEC §8), which one read of it tells. And the server's periodic
 * housekeeping: purges of expired rows. */
#include "api_int.h"

enum st api_health_get(struct ctx *c)
{
    if (atomic_load(c->env->draining))
        api_resp_json(c, 503, json_pack("{s:s}", "status", "draining"));
    else
        api_resp_json(c, 200, json_pack("{s:s}", "status", "ok"));
    return ST_OK;
}

enum st api_ready_get(struct ctx *c)
{
    if (atomic_load(c->env->draining)) {
        api_resp_json(c, 503, json_pack("{s:s}", "status", "draining"));
        return ST_OK;
    }
    unsigned char check[STORE_KEY_CHECK_LEN];
    enum st st = store_key_check_find(c->env->store, check, &c->err);
    if (st == ST_OK || st == ST_NOT_FOUND) {
        api_resp_json(c, 200, json_pack("{s:s}", "status", "ok"));
        return ST_OK;
    }
    log_msg(LOG_WARN, "readyz: the database does not answer: %s", c->err.msg);
    api_resp_json(c, 503, json_pack("{s:s}", "status", "database unavailable"));
    return ST_OK;
}

/* A purge of the store: removes at most STORE_PURGE_BATCH expired rows. */
typedef enum st (*purge_fn)(struct store *s, int64_t now, int *purged, struct err *e);

/* Runs purge until it finds less than a batch; what names the rows. */
static void purge_all(const struct api_env *env, purge_fn purge, const char *what)
{
    int purged = 0, total = 0;
    struct err e = {0};
    do { /* in small batches: each one holds up the writes only briefly */
        if (purge(env->store, env->now(), &purged, &e) != ST_OK) {
            log_msg(LOG_WARN, "purging expired %s failed: %s", what, e.msg);
            return;
        }
        total += purged;
    } while (purged >= STORE_PURGE_BATCH);
    if (total > 0)
        log_msg(LOG_INFO, "purged %d expired %s", total, what);
}

void api_housekeep(const struct api_env *env)
{
    purge_all(env, store_revocation_purge, "revocations");
    purge_all(env, store_signin_purge, "sign-in flows and tokens");
}
