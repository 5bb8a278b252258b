/* SPDX-License-Identifier: MIT */
/*
 * GET /signin/{app}?token_url=URL (SPEC §7.2): a page listing the app's
 * providers, each a link to its start URL with the same token_url. Reads
 * only (the store's cache, each provider's list form rather than its
 * document); checks the token_url as start will, before listing.
 */
#include "signin_int.h"

#include <string.h>

/* Fills v's title and icon from r's list form (protocol, title, ui: what
 * the provider list shows, a few hundred bytes), the whole document only
 * for a row stored before list forms were. False when r is no choice: a
 * protocol the runtime does not run yet, or text that does not read. */
static bool choice(struct ctx *c, const struct provider_rec *r, struct page_choice *v)
{
    const char *text = r->summary && *r->summary ? r->summary : r->doc;
    json_t *d = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    const char *proto = json_string_value(json_object_get(d, F_PROTOCOL));
    json_t *ui = json_object_get(d, F_UI);
    const char *title = json_string_value(json_object_get(ui, F_TITLE));
    const char *icon = json_string_value(json_object_get(ui, F_ICON_URL));
    if (!title)
        title = json_string_value(json_object_get(d, F_TITLE));
    bool ok = proto && title && (!strcmp(proto, PROTO_OIDC) || !strcmp(proto, PROTO_OAUTH2));
    if (ok)
        *v = (struct page_choice){.title = arena_strdup(c->a, title),
                                  .icon_url = icon ? arena_strdup(c->a, icon) : NULL};
    json_decref(d);
    return ok;
}

enum st api_signin_chooser(struct ctx *c)
{
    struct form q;
    if (signin_query(c, &q) != ST_OK) {
        page_error(c, 400, PAGE_BAD_TOKEN_URL, "query does not parse");
        return ST_OK;
    }
    struct app_ref ref;
    enum st st = store_app_locate(c->env->store, c->app_id, &ref, &c->err);
    struct login_app app;
    if (st == ST_OK)
        st = store_app_get(c->env->store, c->a, (struct row_key){ref.cid, ref.app_id}, &app,
                           &c->err);
    if (st == ST_NOT_FOUND) {
        page_error(c, 404, PAGE_UNKNOWN_PROVIDER, "no such app");
        return ST_OK;
    }
    if (st != ST_OK) {
        page_error(c, 503, PAGE_UNAVAILABLE, "store");
        return ST_OK;
    }
    const char *token_url = oauth_form_get(&q, "token_url");
    if (!token_url || oauth_form_count(&q, "token_url") != 1 ||
        !app_token_url_allowed(&app, token_url)) {
        page_error(c, 400, PAGE_BAD_TOKEN_URL, "token_url missing, repeated or not allowed");
        return ST_OK;
    }
    struct provider_list list;
    if (store_provider_list(c->env->store, c->a, (struct row_key){ref.cid, ref.app_id}, &list,
                            &c->err) != ST_OK) {
        page_error(c, 503, PAGE_UNAVAILABLE, "store");
        return ST_OK;
    }
    struct buf tail;
    buf_init(&tail, c->a);
    buf_puts(&tail, "/start?token_url=");
    buf_puts(&tail, util_pct_encode(c->a, token_url));
    buf_add(&tail, "", 1);
    struct page_choice *v = arena_alloc(c->a, (size_t)(list.n ? list.n : 1) * sizeof *v);
    int n = 0;
    for (int i = 0; i < list.n; i++) {
        const struct provider_rec *r = &list.v[i];
        if (choice(c, r, &v[n]))
            v[n++].href = arena_printf(c->a, "%s/%s.%s%s", app.realm, ref.cid, r->id, tail.p);
    }
    page_chooser(c, app.name, v, n);
    return ST_OK;
}
