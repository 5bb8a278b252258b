/* SPDX-License-Identifier: MIT */
/*
 * P/apps (SPEC §5 #1, #2, §7.1): the social-login applications of a
 * customer, in HAL. Apps are provisioned by `socialgate app add`, never
 * through the API, which views them, patches their name, realm, token_urls
 * and settings, and shows or rotates their apiKey. An app's ETag is a hash
 * of what it shows, so it changes with it.
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

/* Answers 200 with app and its ETag. */
static void answer(struct ctx *c, const struct login_app *app, const char *etag)
{
    api_etag(c, etag);
    api_resp_json(c, 200, login_app_to_json(app, api_href(c, APP_PATH, c->customer_id, app->id)));
}

static struct row_key app_key(struct ctx *c)
{
    return (struct row_key){c->customer_id, c->app_id};
}

enum st api_app_get(struct ctx *c)
{
    struct login_app app;
    enum st st = store_app_get(c->env->store, c->a, app_key(c), &app, &c->err);
    if (st != ST_OK)
        return st;
    char etag[65];
    login_app_etag(&app, etag);
    if (api_not_modified(c, etag)) {
        api_etag(c, etag);
        api_resp_empty(c, 304);
        return ST_OK;
    }
    answer(c, &app, etag);
    return ST_OK;
}

struct patch {
    struct ctx *c;
    const json_t *body;
    struct login_app app; /* what was written, for the answer */
};

/* The store's callback, inside its write transaction: If-Match against
 * the current version, then the patch. */
static enum st on_patch(void *arg, const struct login_app *cur, struct login_app *next)
{
    struct patch *p = arg;
    char etag[65];
    login_app_etag(cur, etag);
    enum st st = api_preconditions(p->c, etag);
    if (st == ST_OK)
        st = login_app_patch(p->c->a, cur, p->body, next, &p->c->err);
    if (st == ST_OK)
        p->app = *next;
    return st;
}

enum st api_app_patch(struct ctx *c)
{
    json_t *body = NULL;
    enum st st = api_body_json(c, &body);
    struct patch p = {.c = c, .body = body};
    if (st == ST_OK)
        st = store_app_modify(c->env->store, c->a, app_key(c), &(struct app_change){on_patch, &p},
                              &c->err);
    json_decref(body);
    if (st != ST_OK)
        return st;
    char etag[65];
    login_app_etag(&p.app, etag);
    answer(c, &p.app, etag);
    return ST_OK;
}

/* No escalation (SPEC §3): an app's key is for callers covering POST on it. */
static enum st may_know_key(struct ctx *c)
{
    return api_caller_covers(c, "POST", c->rest) ? ST_OK : api_insufficient_scope(c);
}

/* Answers with a key, which is never to be cached. */
static void resp_key(struct ctx *c, const char *key, size_t n)
{
    api_resp_header(c, HDR_PRAGMA, "no-cache");
    json_t *body = json_object();
    json_object_set_new(body, F_API_KEY, json_stringn(key, n));
    api_resp_json(c, 200, body);
}

/* Generates a key into out and seals it into sec (free sec->blob). */
static void new_key(struct ctx *c, char out[APP_KEY_LEN + 1], struct sealed_secret *sec)
{
    app_key_generate(out);
    keys_seal(c->env->keys, out, APP_KEY_LEN, &sec->blob, &sec->len);
    keys_verifier(c->env->keys, out, APP_KEY_LEN, sec->verifier);
}

static enum st key_show(struct ctx *c, bool fill);

/* Answers with the key of an app made before apps had keys, made now; of
 * two requests racing to make it, the first wins and both show that one. */
static enum st key_fill(struct ctx *c)
{
    char key[APP_KEY_LEN + 1];
    struct sealed_secret made = {0};
    new_key(c, key, &made);
    enum st st = store_app_key_create(c->env->store, app_key(c), &made, &c->err);
    free(made.blob);
    if (st == ST_OK)
        resp_key(c, key, APP_KEY_LEN);
    secret_wipe(key, sizeof key);
    if (st != ST_CONFLICT) /* else another won, or the app is gone: read again */
        return st;
    err_clear(&c->err);
    return key_show(c, false);
}

/* Answers with the app's key (made if it has none and fill). */
static enum st key_show(struct ctx *c, bool fill)
{
    struct sealed_secret sec = {0};
    struct secret plain = {0};
    enum st st = store_app_key_get(c->env->store, app_key(c), &sec, &c->err);
    if (st == ST_OK && !sec.blob)
        return fill ? key_fill(c) : ERR(&c->err, ST_INTERNAL, NULL, "an app key went missing");
    if (st == ST_OK && keys_unseal(c->env->keys, sec.blob, sec.len, &plain) != ST_OK)
        st = ERR(&c->err, ST_INTERNAL, NULL, "a stored app key does not open with this key file");
    free(sec.blob);
    if (st == ST_OK)
        resp_key(c, (const char *)plain.b, plain.len);
    secret_cleanup(&plain);
    return st;
}

enum st api_app_key_get(struct ctx *c)
{
    enum st st = may_know_key(c);
    return st == ST_OK ? key_show(c, true) : st;
}

enum st api_app_key_rotate(struct ctx *c)
{
    char key[APP_KEY_LEN + 1] = "";
    struct sealed_secret sec = {0};
    enum st st = may_know_key(c);
    if (st == ST_OK) {
        new_key(c, key, &sec);
        st = store_app_key_set(c->env->store, app_key(c), &sec, &c->err);
        free(sec.blob);
    }
    if (st == ST_OK)
        resp_key(c, key, APP_KEY_LEN);
    secret_wipe(key, sizeof key);
    return st;
}
