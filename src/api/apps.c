/* SPDX-License-Identifier: MIT */
/*
 * P/apps (SPEC §5 #1, #2): the social-login applications of a customer, in
 * HAL. Apps are provisioned by `socialgate app add`, never through the API;
 * an app's ETag is a hash of what it shows, as it never changes.
 */
#include "api_int.h"

#include <string.h>

#define APPS_PATH API_PREFIX "/apps"
#define APP_PATH API_PREFIX "/apps/%s"

enum st api_app_list(struct ctx *c)
{
    struct app_list l = {0};
    enum st st = store_app_list(c->env->store, c->a, c->customer_id, &l, &c->err);
    if (st != ST_OK)
        return st;
    struct login_app *v = l.v;
    int n = l.n;
    json_t *items = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(items, json_pack("{s:{s:{s:s}},s:s,s:s}", F_LINKS, F_SELF, F_HREF,
                                               api_href(c, APP_PATH, c->customer_id, v[i].id), F_ID,
                                               v[i].id, F_NAME, v[i].name));
    const char *self = api_href(c, APPS_PATH, c->customer_id);
    json_t *links = json_pack("{s:{s:s},s:{s:s,s:b}}", F_SELF, F_HREF, self, F_ITEM, F_HREF,
                              arena_printf(c->a, "%s{/id}", self), F_TEMPLATED, 1);
    api_resp_json(c, 200, json_pack("{s:o,s:{s:o}}", F_LINKS, links, F_EMBEDDED, F_ITEM, items));
    return ST_OK;
}

enum st api_app_get(struct ctx *c)
{
    struct login_app app;
    enum st st = store_app_get(c->env->store, c->a, (struct row_key){c->customer_id, c->app_id},
                               &app, &c->err);
    if (st != ST_OK)
        return st;
    char *shown = arena_printf(c->a, "%s\n%s\n%s", app.id, app.name, app.realm);
    char etag[65];
    util_sha256_hex(shown, strlen(shown), etag);
    api_etag(c, etag);
    if (api_not_modified(c, etag)) {
        api_resp_empty(c, 304);
        return ST_OK;
    }
    api_resp_json(c, 200,
                  json_pack("{s:{s:{s:s}},s:s,s:s,s:s}", F_LINKS, F_SELF, F_HREF,
                            api_href(c, APP_PATH, c->customer_id, app.id), F_ID, app.id, F_NAME,
                            app.name, F_REALM, app.realm));
    return ST_OK;
}
