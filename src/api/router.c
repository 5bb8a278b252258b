/* SPDX-License-Identifier: MIT */
/*
 * The router: matches a request against the route table once, answers
 * 404, 405 + Allow, 413 and 415 itself, runs authentication, calls the
 * handler, and has every failure rendered (respond.c).
 */
#include "api_int.h"

#include <stdio.h>
#include <string.h>

/* Where the {c}, {id} and {app} segments of a matched path are. */
struct caps {
    const char *at[3];
    size_t len[3];
};

static const char *const names[3] = {"{c}", "{id}", "{app}"};
#define PAIR "{c}.{id}" /* one segment holding both (the sign-in runtime's {c}.{p}) */

/* Matches path against pattern segment by segment, recording captures. */
static bool match(const char *pattern, const char *path, struct caps *caps)
{
    memset(caps, 0, sizeof *caps);
    while (*pattern == '/' && *path == '/') {
        pattern++;
        path++;
        size_t pn = strcspn(pattern, "/"), sn = strcspn(path, "/");
        if (pn == strlen(PAIR) && !memcmp(pattern, PAIR, pn)) {
            /* "{c}.{id}": a customer and a provider, split at the first dot */
            const char *dot = memchr(path, '.', sn);
            if (!dot || dot == path || dot == path + sn - 1)
                return false;
            caps->at[0] = path;
            caps->len[0] = (size_t)(dot - path);
            caps->at[1] = dot + 1;
            caps->len[1] = sn - caps->len[0] - 1;
            pattern += pn;
            path += sn;
            continue;
        }
        int cap = -1;
        for (int i = 0; i < 3 && pattern[0] == '{'; i++)
            if (pn == strlen(names[i]) && !memcmp(pattern, names[i], pn))
                cap = i;
        if (cap >= 0 && sn > 0) {
            caps->at[cap] = path;
            caps->len[cap] = sn;
        } else if (pn != sn || memcmp(pattern, path, pn) != 0) {
            return false;
        }
        pattern += pn;
        path += sn;
    }
    return !*pattern && !*path;
}

static const char *captured(struct arena *a, const struct caps *caps, int i)
{
    return caps->at[i] ? arena_strndup(a, caps->at[i], caps->len[i]) : NULL;
}

/* Finds the route of req; on a method mismatch, fills m->allow instead. */
static void find(struct arena *a, const struct api_req *req, struct api_match *m)
{
    *m = (struct api_match){.done = true};
    if (req->refuse != ST_OK)
        return;
    const char *method = strcmp(req->method, "HEAD") == 0 ? "GET" : req->method;
    char allow[64] = "";
    struct caps caps;
    for (int i = 0; i < api_nroutes; i++) {
        const struct route *r = &api_routes[i];
        if (!match(r->pattern, req->path, &caps))
            continue;
        if (strcmp(r->method, method) == 0) {
            m->route = r;
            m->customer_id = captured(a, &caps, 0);
            m->id = captured(a, &caps, 1);
            m->app_id = captured(a, &caps, 2);
            return;
        }
        size_t n = strlen(allow);
        snprintf(allow + n, sizeof allow - n, "%s%s", n ? ", " : "", r->method);
    }
    m->allow = *allow ? arena_strdup(a, allow) : NULL;
}

size_t api_body_limit(const char *method, const char *path)
{
    struct caps caps;
    for (int i = 0; i < api_nroutes; i++) {
        const struct route *r = &api_routes[i];
        if (!strcmp(r->method, method) && match(r->pattern, path, &caps))
            return r->body_limit > API_BODY_LIMIT ? r->body_limit : API_BODY_LIMIT;
    }
    return API_BODY_LIMIT;
}

enum api_run api_match(struct arena *a, struct api_req *req)
{
    find(a, req, &req->match);
    const struct route *r = req->match.route;
    if (!r)
        return API_RUN_HERE;
    return r->async    ? API_RUN_ASYNC
           : r->staged ? API_RUN_STAGED
           : r->writes ? API_RUN_WRITE
                       : API_RUN_HERE;
}

/* Takes the request's route (matched now unless http/ did it already). */
static enum st route_find(struct ctx *c)
{
    struct api_match local;
    const struct api_match *m = &c->req->match;
    if (!m->done) {
        find(c->a, c->req, &local);
        m = &local;
    }
    c->route = m->route;
    c->customer_id = m->customer_id;
    c->id = m->id;
    c->app_id = m->app_id;
    if (c->route)
        return ST_OK;
    if (!m->allow)
        return ERR(&c->err, ST_NOT_FOUND, NULL, "no such resource");
    api_resp_header(c, HDR_ALLOW, m->allow);
    return ERR(&c->err, ST_METHOD, NULL, "method not allowed");
}

/* Everything the router does before a handler runs. */
static enum st check(struct ctx *c)
{
    if (c->req->refuse != ST_OK)
        return ERR(&c->err, c->req->refuse, "", "%s",
                   c->req->refuse_why ? c->req->refuse_why : "request refused");
    enum st st = route_find(c);
    if (st != ST_OK)
        return st;
    const struct route *r = c->route;
    c->resp->route = r->pattern;
    c->resp->route_no = (int)(r - api_routes) + 1;
    if (c->customer_id) {
        size_t skip = 1 + strlen(c->customer_id) + 1;
        c->rest = strlen(c->req->path) >= skip ? c->req->path + skip : "";
    }
    if (r->media[0] && (c->req->body_too_large || c->req->body_len > r->body_limit))
        return ERR(&c->err, ST_TOO_LARGE, NULL, "body larger than %zu bytes", r->body_limit);
    if (r->auth == AUTH_CLIENT && (st = api_client_auth(c)) == ST_UNAUTHORIZED)
        metrics_client_auth_failed();
    else if (r->auth == AUTH_BEARER)
        st = api_bearer_auth(c);
    if (st != ST_OK)
        return st;
    if (r->auth == AUTH_BEARER && r->media[0]) {
        bool ok = false;
        for (int i = 0; i < 3 && r->media[i] && !ok; i++)
            ok = util_media_is(c->req->content_type, r->media[i]);
        if (!ok)
            return ERR(&c->err, ST_UNSUPPORTED_MEDIA, NULL, "Content-Type must be %s%s%s",
                       r->media[0], r->media[1] ? " or " : "", r->media[1] ? r->media[1] : "");
    }
    return ST_OK;
}

/* Renders the failure st of c's request as its answer. */
static void fail(struct ctx *c, enum st st)
{
    struct api_resp *resp = c->resp;
    if (st == ST_STORAGE || st == ST_INTERNAL)
        log_msg(LOG_ERROR, "%s %s: %s (%s:%d)", c->req->method, resp->route, c->err.msg,
                c->err.file ? c->err.file : "?", c->err.line);
    int keep = 0; /* keep Allow and Retry-After; drop anything a handler added */
    for (int i = 0; i < resp->nheaders; i++)
        if (!strcmp(resp->headers[i].name, HDR_ALLOW) ||
            !strcmp(resp->headers[i].name, HDR_RETRY_AFTER))
            resp->headers[keep++] = resp->headers[i];
    resp->nheaders = keep;
    api_render_error(c, st);
}

struct api_staged {
    struct ctx *c;
    api_step_fn step;
    api_then_fn then;
    void *arg;
    enum st st;
};

void api_defer(struct ctx *c, api_step_fn step, api_then_fn then, void *arg)
{
    struct api_staged *s = arena_alloc(c->a, sizeof *s);
    *s = (struct api_staged){.c = c, .step = step, .then = then, .arg = arg, .st = ST_INTERNAL};
    c->staged = s;
}

void api_commit_step(struct ctx *c, struct api_commit *q, struct api_write *w, api_step_fn step,
                     void *arg, void (*done)(struct api_write *w))
{
    struct api_staged *s = arena_alloc(c->a, sizeof *s);
    *s = (struct api_staged){.c = c, .step = step, .arg = arg, .st = ST_INTERNAL};
    *w = (struct api_write){
        .a = c->a, .req = c->req, .resp = c->resp, .done = done, .state = arg, .staged = s};
    if (q) {
        api_commit_enqueue(q, w);
        return;
    }
    s->st = step(c, arg);
    done(w);
}

enum st api_step_status(const struct api_write *w)
{
    return w->staged->st;
}

/* Runs c's route up to its answer, or (a staged route) up to its deferred
 * write: then c->staged is set and nothing is answered yet. */
static void run(struct ctx *c)
{
    enum st st = check(c);
    if (st == ST_OK && c->route->async)
        st = ERR(&c->err, ST_INTERNAL, NULL, "an asynchronous route ran synchronously");
    if (st == ST_OK)
        st = c->route->handler(c);
    if (st == ST_OK && c->staged && !c->route->staged)
        st = ERR(&c->err, ST_INTERNAL, NULL, "a route that is not staged deferred a write");
    if (st != ST_OK) {
        c->staged = NULL;
        fail(c, st);
    }
}

void api_handle(const struct api_env *env, struct arena *a, const struct api_req *req,
                struct api_resp *resp)
{
    memset(resp, 0, sizeof *resp);
    resp->route = "-";
    /* on the stack: a staged route's write and answer are made before this returns */
    struct ctx c = {.env = env, .a = a, .req = req, .resp = resp};
    run(&c);
    struct api_staged *s = c.staged;
    if (s) /* here, in a batch or alone: durable when the store returns */
        s->then(&c, s->arg, s->step(&c, s->arg));
}

bool api_staged_begin(const struct api_env *env, struct api_write *w)
{
    memset(w->resp, 0, sizeof *w->resp);
    w->resp->route = "-";
    struct ctx *c = arena_alloc(w->a, sizeof *c);
    *c = (struct ctx){.env = env, .a = w->a, .req = w->req, .resp = w->resp};
    run(c);
    w->staged = c->staged;
    return w->staged != NULL;
}

bool api_staged_apply(struct api_write *w)
{
    struct api_staged *s = w->staged;
    s->st = s->step(s->c, s->arg);
    return s->st != ST_STORAGE && s->st != ST_INTERNAL;
}

void api_staged_failed(struct api_write *w)
{
    w->staged->st = ST_STORAGE;
}

void api_staged_end(struct api_write *w)
{
    struct api_staged *s = w->staged;
    w->staged = NULL;
    if (s)
        s->then(s->c, s->arg, s->st);
}

bool api_async_begin(const struct api_env *env, struct api_write *w)
{
    memset(w->resp, 0, sizeof *w->resp);
    w->resp->route = "-";
    struct ctx *c = arena_alloc(w->a, sizeof *c);
    *c = (struct ctx){.env = env, .a = w->a, .req = w->req, .resp = w->resp};
    enum st st = check(c);
    if (st == ST_OK && !c->route->async)
        st = ERR(&c->err, ST_INTERNAL, NULL, "a synchronous route ran asynchronously");
    if (st != ST_OK) {
        fail(c, st);
        return false;
    }
    w->state = c;
    return true;
}

void api_async_go(struct api_write *w)
{
    struct ctx *c = w->state;
    c->route->async(c, w);
}
