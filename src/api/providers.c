/* SPDX-License-Identifier: MIT */
/*
 * P/apps/{app}/custom-providers (SPEC §5 #3–#7): list, create, view,
 * modify (merge patch, JSON patch, or full replacement) and delete. A
 * modification is computed inside the store's write transaction from the
 * version then current (preconditions, patch, validation), so concurrent
 * modifications apply one after the other and no update is ever lost.
 */
#include "api_int.h"

#include <stdlib.h>
#include <string.h>

/* A provider's representation must fit a request body, or GET → PUT fails. */
_Static_assert(MODEL_JSON_MAX_BYTES == API_BODY_LIMIT, "document bound is the body limit");

#define LIST_PATH API_PREFIX "/apps/%s/custom-providers"
#define ITEM_PATH API_PREFIX "/apps/%s/custom-providers/%s"

static enum st load_app(struct ctx *c, struct login_app *app)
{
    return store_app_get(c->env->store, c->a, (struct row_key){c->customer_id, c->app_id}, app,
                         &c->err);
}

/* Parses a stored provider's document and opens its secret (caller
 * decrefs *doc). */
static enum st open_doc(struct ctx *c, const struct provider_rec *rec, json_t **doc)
{
    *doc = json_loads(rec->doc, 0, NULL);
    if (!json_is_object(*doc))
        return ERR(&c->err, ST_INTERNAL, NULL, "stored provider %s is not a JSON object", rec->id);
    if (rec->secret) {
        struct secret plain = {0};
        if (keys_unseal(c->env->keys, rec->secret, rec->secret_len, &plain) != ST_OK)
            return ERR(&c->err, ST_INTERNAL, NULL, "a stored secret does not open with this key");
        json_object_set_new(*doc, F_CLIENT_SECRET, json_stringn((const char *)plain.b, plain.len));
        secret_cleanup(&plain);
    }
    return ST_OK;
}

/* Reads the provider {id} of app (an id that is not a UUID is unknown). */
static enum st find(struct ctx *c, const struct login_app *app, struct provider_rec *rec)
{
    if (!util_uuid_valid(c->id))
        return ERR(&c->err, ST_NOT_FOUND, NULL, "no such provider");
    return store_provider_get(c->env->store, c->a,
                              (struct provider_key){c->customer_id, app->id, c->id}, rec, &c->err);
}

/* The links of provider id of app (arena). */
static struct provider_links links_of(struct ctx *c, const struct login_app *app, const char *id)
{
    return (struct provider_links){
        .self = api_href(c, ITEM_PATH, c->customer_id, app->id, id),
        .collection = api_href(c, LIST_PATH, c->customer_id, app->id),
        .callback = arena_printf(c->a, "%s/%s.%s/callback", app->realm, c->customer_id, id),
    };
}

static json_t *represent(struct ctx *c, const struct login_app *app, const struct provider_rec *rec,
                         const json_t *doc)
{
    struct provider_meta m = {rec->id, rec->created_at, rec->updated_at};
    struct provider_links l = links_of(c, app, rec->id);
    return provider_to_json(doc, &m, &l);
}

/* Refuses doc when its representation, what GET answers and PUT takes
 * back, would not fit a request body or would nest too deep. */
static enum st fits(struct ctx *c, const struct login_app *app, const struct provider_rec *rec,
                    const json_t *doc, struct err *e)
{
    json_t *rep = represent(c, app, rec, doc);
    enum st st = model_json_bound(rep, &MODEL_JSON_BOUNDS, "", e);
    json_decref(rep);
    return st;
}

/* Compact JSON text of v, in the request arena. */
static const char *dump(struct ctx *c, const json_t *v)
{
    char *text = json_dumps(v, JSON_COMPACT);
    const char *kept = arena_strdup(c->a, text);
    free(text);
    return kept;
}

/* Fills rec's stored form from doc: the text without the secret, the
 * secret sealed; a fresh ETag and updatedAt. */
static void store_form(struct ctx *c, const json_t *doc, struct provider_rec *rec)
{
    json_t *copy = json_deep_copy(doc);
    json_t *secret = json_object_get(copy, F_CLIENT_SECRET);
    rec->secret = NULL;
    rec->secret_len = 0;
    if (json_is_string(secret)) {
        unsigned char *blob = NULL;
        size_t len = 0;
        keys_seal(c->env->keys, json_string_value(secret), json_string_length(secret), &blob, &len);
        unsigned char *kept = arena_alloc(c->a, len);
        memcpy(kept, blob, len);
        free(blob);
        rec->secret = kept;
        rec->secret_len = len;
    }
    json_object_del(copy, F_CLIENT_SECRET);
    rec->doc = dump(c, copy);
    json_t *summary = provider_summary(copy);
    rec->summary = dump(c, summary);
    json_decref(summary);
    rec->protocol = arena_strdup(c->a, json_string_value(json_object_get(copy, F_PROTOCOL)));
    json_decref(copy);
    util_random_hex(rec->etag, 32);
    util_rfc3339_ns(rec->updated_at);
}

/* Answers a single provider as text (no JSON library on this path), with
 * client_secret (secret, when not NULL). */
static enum st answer(struct ctx *c, int status, const struct login_app *app,
                      const struct provider_rec *rec, const char *secret, size_t secret_len)
{
    struct provider_meta m = {rec->id, rec->created_at, rec->updated_at};
    struct provider_links l = links_of(c, app, rec->id);
    struct provider_text t = {rec->doc, secret, secret_len};
    struct buf b;
    buf_init(&b, c->a);
    if (provider_format(&b, &m, &l, &t) != ST_OK)
        return ERR(&c->err, ST_INTERNAL, NULL, "a provider's answer exceeds %zu bytes", b.max);
    api_etag(c, rec->etag);
    if (status == 201)
        api_resp_header(c, HDR_LOCATION, l.self);
    api_resp_text(c, status, MEDIA_JSON, b.p, b.len);
    return ST_OK;
}

/* Answers the list of app's n providers v as text. */
static enum st answer_list(struct ctx *c, const struct login_app *app, const struct provider_rec *v,
                           int n)
{
    struct provider_item *items = arena_alloc(c->a, sizeof *items * (size_t)(n > 0 ? n : 1));
    for (int i = 0; i < n; i++)
        items[i] = (struct provider_item){
            .self = api_href(c, ITEM_PATH, c->customer_id, app->id, v[i].id),
            .id = v[i].id,
            .summary = v[i].summary,
            .doc = v[i].doc,
        };
    struct buf b;
    buf_init(&b, c->a);
    b.max = PROVIDER_LIST_MAX_BYTES;
    const char *self = api_href(c, LIST_PATH, c->customer_id, app->id);
    if (provider_list_format(&b, self, items, n) != ST_OK)
        return ERR(&c->err, ST_INTERNAL, NULL, "the list of providers exceeds %zu bytes", b.max);
    api_resp_text(c, 200, MEDIA_JSON, b.p, b.len);
    return ST_OK;
}

/* No escalation (SPEC §3): a provider's client_secret is for callers whose
 * scopes cover POST on the provider's own path. */
static bool may_see_secret(struct ctx *c, const struct login_app *app, const char *id)
{
    const char *path = arena_printf(c->a, ITEM_PATH, c->customer_id, app->id, id);
    return api_caller_covers(c, "POST", path + 1 + strlen(c->customer_id) + 1);
}

/* The client_secret member of doc, or NULL. */
static const char *secret_of(const json_t *doc, size_t *len)
{
    json_t *v = json_object_get(doc, F_CLIENT_SECRET);
    *len = json_is_string(v) ? json_string_length(v) : 0;
    return json_is_string(v) ? json_string_value(v) : NULL;
}

enum st api_provider_list(struct ctx *c)
{
    struct login_app app;
    struct provider_list l = {0};
    enum st st = load_app(c, &app);
    if (st == ST_OK)
        st = store_provider_list(c->env->store, c->a, (struct row_key){c->customer_id, app.id}, &l,
                                 &c->err);
    if (st != ST_OK)
        return st;
    return answer_list(c, &app, l.v, l.n);
}

enum st api_provider_create(struct ctx *c)
{
    struct login_app app;
    json_t *doc = NULL;
    enum st st = load_app(c, &app);
    if (st == ST_OK)
        st = api_body_json(c, &doc);
    if (st == ST_OK && json_is_object(doc))
        provider_strip_server(doc);
    if (st == ST_OK)
        st = provider_validate(doc, &c->err);
    struct provider_rec rec = {0};
    if (st == ST_OK) {
        util_uuid_v4(rec.id);
        memcpy(rec.app_id, app.id, sizeof rec.app_id);
        store_form(c, doc, &rec);
        memcpy(rec.created_at, rec.updated_at, sizeof rec.created_at);
        st = fits(c, &app, &rec, doc, &c->err);
    }
    if (st == ST_OK)
        st = store_provider_create(c->env->store, c->customer_id, &rec, &c->err);
    if (st == ST_OK) {
        size_t len;
        const char *secret = secret_of(doc, &len);
        if (!may_see_secret(c, &app, rec.id))
            secret = NULL;
        st = answer(c, 201, &app, &rec, secret, len);
    }
    json_decref(doc);
    return st;
}

enum st api_provider_get(struct ctx *c)
{
    struct login_app app;
    struct provider_rec rec;
    enum st st = load_app(c, &app);
    if (st == ST_OK)
        st = find(c, &app, &rec);
    if (st != ST_OK)
        return st;
    if (api_not_modified(c, rec.etag)) {
        api_etag(c, rec.etag);
        api_resp_empty(c, 304);
        return ST_OK;
    }
    struct secret plain = {0};
    if (!may_see_secret(c, &app, rec.id))
        rec.secret = NULL;
    if (rec.secret && keys_unseal(c->env->keys, rec.secret, rec.secret_len, &plain) != ST_OK)
        return ERR(&c->err, ST_INTERNAL, NULL, "a stored secret does not open with this key");
    st = answer(c, 200, &app, &rec, rec.secret ? (const char *)plain.b : NULL, plain.len);
    secret_cleanup(&plain);
    return st;
}

/* Applies the request body to the representation before; *after is the
 * new document of client-set fields (caller decrefs). */
static enum st apply(struct ctx *c, const json_t *body, const json_t *before, json_t **after)
{
    bool json_patch = util_media_is(c->req->content_type, MEDIA_JSON_PATCH);
    enum st st = ST_OK;
    *after = NULL;
    if (json_patch && json_is_object(body)) { /* full replacement */
        *after = json_deep_copy(body);
        provider_strip_server(*after);
        return ST_OK;
    }
    if (json_patch && !json_is_array(body))
        return ERR(&c->err, ST_INVALID, "", "a JSON patch is an array or an object");
    if (json_patch)
        st = model_patch_apply(before, body, after, &c->err);
    else
        *after = model_patch_merge(before, body);
    if (st != ST_OK)
        return st;
    const char *changed = json_is_object(*after) ? provider_server_changed(before, *after) : NULL;
    if (changed)
        return ERR(&c->err, ST_UNPROCESSABLE, arena_printf(c->a, "/%s", changed),
                   "is set by the server and cannot be changed");
    if (json_is_object(*after))
        provider_strip_server(*after);
    return ST_OK;
}

struct modify {
    struct ctx *c;
    const struct login_app *app;
    const json_t *body;
    json_t *doc;             /* the result, for the answer */
    struct provider_rec rec; /* what was written, for the answer */
};

/* The store's callback: preconditions, patch, checks, the stored form. */
static enum st on_modify(void *arg, const struct provider_rec *cur, struct provider_rec *next)
{
    struct modify *m = arg;
    struct ctx *c = m->c;
    struct err *e = &c->err; /* the request's: the one place its failure is told */
    json_t *old = NULL, *before = NULL;
    enum st st = open_doc(c, cur, &old);
    if (st == ST_OK)
        st = api_preconditions(c, cur->etag);
    if (st == ST_OK) {
        before = represent(c, m->app, cur, old);
        st = apply(c, m->body, before, &m->doc);
    }
    if (st == ST_OK && json_is_object(m->doc) &&
        !json_equal(json_object_get(old, F_PROTOCOL), json_object_get(m->doc, F_PROTOCOL)))
        st = ERR(e, ST_UNPROCESSABLE, "/" F_PROTOCOL, "cannot change after create");
    if (st == ST_OK)
        st = provider_validate(m->doc, e);
    if (st == ST_OK)
        st = fits(c, m->app, cur, m->doc, e);
    if (st == ST_OK) {
        store_form(c, m->doc, next);
        m->rec = *next;
    }
    json_decref(old);
    json_decref(before);
    return st;
}

enum st api_provider_modify(struct ctx *c)
{
    struct login_app app;
    json_t *body = NULL;
    enum st st = load_app(c, &app);
    if (st == ST_OK && !util_uuid_valid(c->id))
        st = ERR(&c->err, ST_NOT_FOUND, NULL, "no such provider");
    if (st == ST_OK)
        st = api_body_json(c, &body);
    bool see = st == ST_OK && may_see_secret(c, &app, c->id);
    if (st == ST_OK && !see && util_media_is(c->req->content_type, MEDIA_JSON_PATCH) &&
        model_patch_reads(body, "/" F_CLIENT_SECRET))
        st = api_insufficient_scope(c);
    struct modify m = {.c = c, .app = &app, .body = body};
    if (st == ST_OK)
        st = store_provider_modify(c->env->store, c->a,
                                   (struct provider_key){c->customer_id, app.id, c->id},
                                   &(struct provider_change){on_modify, &m}, &c->err);
    if (st == ST_OK) {
        size_t len;
        const char *secret = secret_of(m.doc, &len);
        st = answer(c, 200, &app, &m.rec, see ? secret : NULL, len);
    }
    json_decref(m.doc);
    json_decref(body);
    return st;
}

enum st api_provider_delete(struct ctx *c)
{
    struct login_app app;
    struct provider_rec rec;
    enum st st = load_app(c, &app);
    if (st == ST_OK)
        st = find(c, &app, &rec);
    if (st == ST_OK)
        st = api_preconditions(c, rec.etag);
    if (st == ST_OK)
        st = store_provider_delete(c->env->store,
                                   (struct provider_key){c->customer_id, app.id, rec.id},
                                   c->req->if_match ? rec.etag : NULL, &c->err);
    if (st == ST_OK)
        api_resp_empty(c, 204);
    return st;
}
