/* SPDX-License-Identifier: MIT */
/*
 * Answers: the response helpers handlers share (JSON, text, empty, a
 * header, absolute links), the request body as JSON, and every failure
 * rendered through the status tables (RFC 6749's on the token endpoints,
 * the API's JSON otherwise). Chooses no status itself.
 */
#include "api_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define JSON_MAX_DEPTH MODEL_JSON_MAX_DEPTH /* what every stored document keeps too */

static void render_oauth_error(struct ctx *c, enum st st)
{
    const char *code = c->oauth_error ? c->oauth_error : api_oauth_error_of(st);
    int status = api_status_of(st);
    if (st == ST_UNSUPPORTED_MEDIA || st == ST_TOO_LARGE)
        status = 400; /* RFC 6749 §5.2: an unreadable request is invalid_request */
    json_t *body = json_pack("{s:s}", OAUTH_ERROR, code);
    if (c->err.msg[0])
        json_object_set_new(body, OAUTH_ERROR_DESCRIPTION, json_string(c->err.msg));
    if (status == 401)
        api_resp_header(c, HDR_WWW_AUTHENTICATE, OAUTH_BASIC " realm=\"" OAUTH_REALM "\"");
    api_resp_header(c, HDR_PRAGMA, "no-cache"); /* RFC 6749 §5.2, like the 200 answer */
    api_resp_json(c, status, body);
}

void api_render_error(struct ctx *c, enum st st)
{
    if (c->route && c->route->auth == AUTH_CLIENT && st != ST_METHOD) {
        render_oauth_error(c, st);
        return;
    }
    int status = api_status_of(st);
    const char *reason = api_reason(status);
    json_t *body = json_pack("{s:s,s:s}", E_ERROR, reason, E_ERRORS, reason);
    if ((status == 400 || status == 422 || status == 409) && c->err.ndetails > 0) {
        json_t *details = json_array();
        for (int i = 0; i < c->err.ndetails; i++)
            json_array_append_new(details, json_pack("{s:s,s:s}", E_FIELD, c->err.details[i].field,
                                                     E_REASON, c->err.details[i].reason));
        json_object_set_new(body, E_DETAILS, details);
    }
    if (status == 403 && c->www_auth)
        api_resp_header(c, HDR_WWW_AUTHENTICATE, c->www_auth);
    api_resp_json(c, status, body);
}

void api_resp_header(struct ctx *c, const char *name, const char *value)
{
    struct api_resp *r = c->resp;
    if (r->nheaders < API_MAX_HEADERS)
        r->headers[r->nheaders++] = (struct api_header){name, value};
}

void api_resp_json(struct ctx *c, int status, json_t *body)
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

void api_resp_text(struct ctx *c, int status, const char *type, const char *body, size_t n)
{
    c->resp->status = status;
    c->resp->content_type = type;
    c->resp->body = body;
    c->resp->body_len = n;
}

void api_resp_empty(struct ctx *c, int status)
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
    return arena_printf(c->a, "%s%s", c->env->public_url, path);
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
