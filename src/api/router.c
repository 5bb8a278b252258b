/* SPDX-License-Identifier: MIT */
/*
 * The router: matches a request against the route table, answers 404,
 * 405 + Allow, 413 and 415 itself, runs authentication, calls the
 * handler, and renders every failure through the status tables. Also the
 * response helpers handlers share.
 */
#include "api_int.h"

#include <stdio.h>
#include <string.h>

#define JSON_MAX_DEPTH MODEL_JSON_MAX_DEPTH /* what every stored document keeps too */

/* Where the {c}, {id} and {app} segments of a matched path are. */
struct caps {
    const char *at[3];
    size_t len[3];
};

static const char *const names[3] = {"{c}", "{id}", "{app}"};

/* Matches path against pattern segment by segment, recording captures. */
static bool match(const char *pattern, const char *path, struct caps *caps)
{
    memset(caps, 0, sizeof *caps);
    while (*pattern == '/' && *path == '/') {
        pattern++;
        path++;
        size_t pn = strcspn(pattern, "/"), sn = strcspn(path, "/");
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

static const char *captured(struct ctx *c, const struct caps *caps, int i)
{
    return caps->at[i] ? arena_strndup(c->a, caps->at[i], caps->len[i]) : NULL;
}

bool api_request_writes(const struct api_req *req)
{
    struct caps caps;
    if (req->refuse != ST_OK)
        return false;
    for (int i = 0; i < api_nroutes; i++)
        if (api_routes[i].writes && !strcmp(api_routes[i].method, req->method) &&
            match(api_routes[i].pattern, req->path, &caps))
            return true;
    return false;
}

bool api_media_is(const char *ct, const char *want)
{
    if (!ct)
        return false;
    while (*ct == ' ')
        ct++;
    size_t n = strlen(want);
    if (!util_strncaseeq(ct, want, n))
        return false;
    ct += n;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    return *ct == '\0' || *ct == ';';
}

/* Finds the route for the request; fills Allow on a method mismatch. */
static enum st route_find(struct ctx *c)
{
    const char *method = strcmp(c->req->method, "HEAD") == 0 ? "GET" : c->req->method;
    char allow[64] = "";
    struct caps caps;
    for (int i = 0; i < api_nroutes; i++) {
        const struct route *r = &api_routes[i];
        if (!match(r->pattern, c->req->path, &caps))
            continue;
        if (strcmp(r->method, method) == 0) {
            c->route = r;
            c->customer_id = captured(c, &caps, 0);
            c->id = captured(c, &caps, 1);
            c->app_id = captured(c, &caps, 2);
            return ST_OK;
        }
        size_t n = strlen(allow);
        snprintf(allow + n, sizeof allow - n, "%s%s", n ? ", " : "", r->method);
    }
    if (!*allow)
        return ERR(&c->err, ST_NOT_FOUND, NULL, "no such resource");
    resp_header(c, "Allow", arena_strdup(c->a, allow));
    return ERR(&c->err, ST_METHOD, NULL, "method not allowed");
}

static enum st run(struct ctx *c)
{
    if (c->req->refuse != ST_OK)
        return ERR(&c->err, c->req->refuse, "", "%s",
                   c->req->refuse_why ? c->req->refuse_why : "request refused");
    enum st st = route_find(c);
    if (st != ST_OK)
        return st;
    const struct route *r = c->route;
    c->resp->route = r->pattern;
    if (c->customer_id) {
        size_t skip = 1 + strlen(c->customer_id) + 1;
        c->rest = strlen(c->req->path) >= skip ? c->req->path + skip : "";
    }
    if (r->media[0] && (c->req->body_too_large || c->req->body_len > r->body_limit))
        return ERR(&c->err, ST_TOO_LARGE, NULL, "body larger than %zu bytes", r->body_limit);
    if (r->auth == AUTH_CLIENT)
        st = api_client_auth(c);
    else if (r->auth == AUTH_BEARER)
        st = api_bearer_auth(c);
    if (st != ST_OK)
        return st;
    if (r->auth == AUTH_BEARER && r->media[0]) {
        bool ok = false;
        for (int i = 0; i < 3 && r->media[i] && !ok; i++)
            ok = api_media_is(c->req->content_type, r->media[i]);
        if (!ok)
            return ERR(&c->err, ST_UNSUPPORTED_MEDIA, NULL, "Content-Type must be %s%s%s",
                       r->media[0], r->media[1] ? " or " : "", r->media[1] ? r->media[1] : "");
    }
    return r->handler(c);
}

static void render_oauth_error(struct ctx *c, enum st st)
{
    const char *code = c->oauth_error ? c->oauth_error : api_oauth_error_of(st);
    int status = api_status_of(st);
    if (st == ST_UNSUPPORTED_MEDIA || st == ST_TOO_LARGE)
        status = 400; /* RFC 6749 §5.2: an unreadable request is invalid_request */
    json_t *body = json_pack("{s:s}", "error", code);
    if (c->err.msg[0])
        json_object_set_new(body, "error_description", json_string(c->err.msg));
    if (status == 401)
        resp_header(c, "WWW-Authenticate", OAUTH_BASIC " realm=\"" OAUTH_REALM "\"");
    resp_header(c, "Pragma", "no-cache"); /* RFC 6749 §5.2, like the 200 answer */
    resp_json(c, status, body);
}

static void render_error(struct ctx *c, enum st st)
{
    if (c->route && c->route->auth == AUTH_CLIENT && st != ST_METHOD) {
        render_oauth_error(c, st);
        return;
    }
    int status = api_status_of(st);
    const char *reason = api_reason(status);
    json_t *body = json_pack("{s:s,s:s}", "error", reason, "errors", reason);
    if ((status == 400 || status == 422 || status == 409) && c->err.ndetails > 0) {
        json_t *details = json_array();
        for (int i = 0; i < c->err.ndetails; i++)
            json_array_append_new(details, json_pack("{s:s,s:s}", "field", c->err.details[i].field,
                                                     "reason", c->err.details[i].reason));
        json_object_set_new(body, "details", details);
    }
    if (status == 403 && c->www_auth)
        resp_header(c, "WWW-Authenticate", c->www_auth);
    resp_json(c, status, body);
}

void api_handle(struct app *app, struct arena *a, const struct api_req *req, struct api_resp *resp)
{
    memset(resp, 0, sizeof *resp);
    resp->route = "-";
    struct ctx c = {.app = app, .a = a, .req = req, .resp = resp};
    enum st st = run(&c);
    if (st == ST_OK)
        return;
    if (st == ST_STORAGE || st == ST_INTERNAL)
        log_msg(LOG_ERROR, "%s %s: %s (%s:%d)", req->method, resp->route, c.err.msg,
                c.err.file ? c.err.file : "?", c.err.line);
    int keep = 0; /* keep Allow and Retry-After; drop anything a handler added */
    for (int i = 0; i < resp->nheaders; i++)
        if (!strcmp(resp->headers[i].name, "Allow") ||
            !strcmp(resp->headers[i].name, "Retry-After"))
            resp->headers[keep++] = resp->headers[i];
    resp->nheaders = keep;
    render_error(&c, st);
}

void api_handle_batch(struct app *app, struct api_call *calls, int n)
{
    struct err e = {0};
    enum st st = store_batch_begin(app->store, &e);
    if (st == ST_OK) {
        for (int i = 0; i < n; i++)
            api_handle(app, calls[i].a, calls[i].req, calls[i].resp);
        st = store_batch_end(app->store, &e);
        if (st == ST_OK)
            return;
    }
    log_msg(LOG_ERROR, "a batch of %d writes failed: %s", n, e.msg);
    for (int i = 0; i < n; i++) {
        if (calls[i].resp->status && calls[i].resp->status >= 400)
            continue; /* it failed on its own: that answer stands */
        struct ctx c = {.app = app, .a = calls[i].a, .req = calls[i].req, .resp = calls[i].resp};
        const char *route = calls[i].resp->route;
        memset(calls[i].resp, 0, sizeof *calls[i].resp);
        calls[i].resp->route = route ? route : "-";
        render_error(&c, ST_STORAGE);
    }
}

void resp_header(struct ctx *c, const char *name, const char *value)
{
    struct api_resp *r = c->resp;
    if (r->nheaders < API_MAX_HEADERS)
        r->headers[r->nheaders++] = (struct api_header){name, value};
}

void resp_json(struct ctx *c, int status, json_t *body)
{
    size_t n = json_dumpb(body, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);
    char *buf = arena_alloc(c->a, n + 1);
    json_dumpb(body, buf, n, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(body);
    c->resp->status = status;
    c->resp->content_type = MEDIA_JSON;
    c->resp->body = buf;
    c->resp->body_len = n;
}

void resp_text(struct ctx *c, int status, const char *type, const char *body, size_t n)
{
    c->resp->status = status;
    c->resp->content_type = type;
    c->resp->body = body;
    c->resp->body_len = n;
}

void resp_empty(struct ctx *c, int status)
{
    c->resp->status = status;
    c->resp->content_type = NULL;
    c->resp->body = "";
    c->resp->body_len = 0;
}

char *api_href(struct ctx *c, const char *fmt, ...)
{
    char path[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof path, fmt, ap);
    va_end(ap);
    return arena_printf(c->a, "%s%s", c->app->cfg.public_url, path);
}

enum st api_body_json(struct ctx *c, json_t **out)
{
    *out = NULL;
    if (!util_json_depth_within(c->req->body, c->req->body_len, JSON_MAX_DEPTH))
        return ERR(&c->err, ST_INVALID, "", "JSON nested deeper than %d", JSON_MAX_DEPTH);
    json_error_t jerr;
    *out = json_loadb(c->req->body, c->req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!*out)
        return ERR(&c->err, ST_INVALID, "", "invalid JSON at line %d column %d: %s", jerr.line,
                   jerr.column, jerr.text);
    return ST_OK;
}
