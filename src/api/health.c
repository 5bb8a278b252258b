/* SPDX-License-Identifier: MIT */
/* GET /healthz: 200 while the server is serving, 503 once it is stopping
 * (a load balancer then sends elsewhere). Touches nothing else. */
#include "api_int.h"

enum st api_health_get(struct ctx *c)
{
    if (atomic_load(c->env->draining))
        api_resp_json(c, 503, json_pack("{s:s}", "status", "draining"));
    else
        api_resp_json(c, 200, json_pack("{s:s}", "status", "ok"));
    return ST_OK;
}

void api_housekeep(const struct api_env *env)
{
    int purged = 0, total = 0;
    struct err e = {0};
    do { /* in small batches: each one holds up the writes only briefly */
        if (store_revocation_purge(env->store, env->now(), &purged, &e) != ST_OK) {
            log_msg(LOG_WARN, "purging expired revocations failed: %s", e.msg);
            return;
        }
        total += purged;
    } while (purged >= STORE_PURGE_BATCH);
    if (total > 0)
        log_msg(LOG_INFO, "purged %d expired revocations", total);
}
