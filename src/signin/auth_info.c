/* SPDX-License-Identifier: MIT */
/*
 * GET/POST /api/v2/auth_info (SPEC §7.5): the site's server exchanges the
 * one-time token for the profile, with the app's apiKey. The token is
 * taken from the store as it is read (group commit: one write), so it
 * redeems once, on any instance. Answers are Engage's, errors included.
 */
#include "signin_int.h"

#include <stdio.h>
#include <string.h>

#define ENGAGE_MISSING 0
#define ENGAGE_INVALID 1
#define ENGAGE_NOT_FOUND 2
#define ENGAGE_URL_MISMATCH 3
#define ENGAGE_UNAVAILABLE -1

static enum st engage_fail(struct ctx *c, int status, int code, const char *msg)
{
    api_resp_json(c, status,
                  json_pack("{s:s,s:{s:i,s:s}}", "stat", "fail", "err", "code", code, "msg", msg));
    return ST_OK;
}

/* True when s is n lower-case hex characters. */
static bool hex_of(const char *s, size_t n)
{
    if (strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

static enum st read_params(struct ctx *c, struct form *f)
{
    if (!strcmp(c->req->method, "POST") && c->req->body_len > 0)
        return oauth_body_parse(c->a, c->req->content_type, c->req->body, c->req->body_len, f,
                                &c->err);
    return signin_query(c, f);
}

/* url as the mismatch message shows it: bytes outside printable ASCII
 * percent-encoded, so that the message is valid UTF-8 (a JSON string)
 * whatever the caller sent; a bound token_url never holds any. */
static const char *shown(struct ctx *c, const char *url)
{
    struct buf b;
    buf_init(&b, c->a);
    for (const unsigned char *p = (const unsigned char *)url; *p; p++) {
        char e[4];
        if (*p >= 0x20 && *p < 0x7f)
            buf_add(&b, (const char *)p, 1);
        else
            buf_add(&b, e, (size_t)snprintf(e, sizeof e, "%%%02X", *p));
    }
    buf_add(&b, "", 1);
    return b.p;
}

/* Failure limits: a bad apiKey counts against the caller's address. Once
 * the key is good, nothing counts: a token cannot be guessed (160 bits),
 * and the site's server redeems whatever anyone POSTs to its token_url,
 * so counting those would let anyone lock the site out. */
struct limits {
    const char *net;
    int64_t now;
};

static enum st fail_counted(struct ctx *c, const struct limits *l, int code, const char *msg)
{
    limiter_fail(c->env->addr_failures, l->net, l->now);
    return engage_fail(c, 400, code, msg);
}

static enum st limited(struct ctx *c, int wait)
{
    char *s = arena_printf(c->a, "%d", wait);
    api_resp_header(c, HDR_RETRY_AFTER, s);
    return engage_fail(c, 429, ENGAGE_INVALID, "Invalid parameter: apiKey");
}

/* The answer from the token's sealed data (SIGNIN_DATA_SEP), as it is. */
static void answer(struct ctx *c, const struct signin_token_rec *t, bool extended)
{
    char *text;
    size_t n;
    char *sep;
    if (keys_unseal_text(c->env->keys, t->data, t->data_len, c->a, &text, &n) != ST_OK ||
        !(sep = memchr(text, SIGNIN_DATA_SEP, n)) || sep == text || sep[-1] != '}') {
        engage_fail(c, 503, ENGAGE_UNAVAILABLE, "Service Temporarily Unavailable");
        return;
    }
    size_t na = (size_t)(sep - text), nx = n - na - 1;
    if (extended && nx) { /* {...,"oidc":{...}}: its members before the last brace */
        text[na - 1] = ',';
        memmove(text + na, sep + 1, nx);
        text[na + nx] = '}';
        na += nx + 1;
    }
    api_resp_text(c, 200, MEDIA_JSON, text, na);
}

/* What auth_info leaves to group commit: taking the token. */
struct redeem {
    struct app_ref app;
    unsigned char hash[32];
    const char *url; /* tokenURL, or NULL */
    bool extended;
    int64_t now;
    struct signin_token_rec t;
};

static enum st take(struct ctx *c, void *arg)
{
    struct redeem *r = arg;
    return store_signin_token_take(c->env->store, c->a, (struct row_key){r->app.cid, r->app.app_id},
                                   r->hash, &r->t, &c->err);
}

static void redeemed(struct ctx *c, void *arg, enum st st)
{
    struct redeem *r = arg;
    if (st == ST_NOT_FOUND || (st == ST_OK && r->now >= r->t.expires_at))
        engage_fail(c, 400, ENGAGE_NOT_FOUND, "Data not found");
    else if (st != ST_OK)
        engage_fail(c, 503, ENGAGE_UNAVAILABLE, "Service Temporarily Unavailable");
    else if (r->url && strcmp(r->url, r->t.token_url))
        engage_fail(
            c, 400, ENGAGE_URL_MISMATCH,
            arena_printf(c->a, "Token URL mismatch: (%s) (%s)", shown(c, r->url), r->t.token_url));
    else
        answer(c, &r->t, r->extended);
}

/* Runs on the event thread up to taking the token (a staged route): the
 * write thread only takes it, and the answer is made here again. */
enum st api_auth_info(struct ctx *c)
{
    const struct api_env *env = c->env;
    struct limits l = {.now = env->now()};
    l.net = c->req->remote_net    ? c->req->remote_net
            : c->req->remote_addr ? c->req->remote_addr
                                  : "-";
    int wait = limiter_retry_after(env->addr_failures, l.net, l.now);
    if (wait > 0) {
        metrics_limiter_tripped(METRICS_LIMIT_AUTH_INFO);
        return limited(c, wait);
    }
    struct form f;
    if (read_params(c, &f) != ST_OK)
        return fail_counted(c, &l, ENGAGE_MISSING, "Missing parameter: apiKey");
    const char *key = oauth_form_get(&f, "apiKey");
    const char *token = oauth_form_get(&f, "token");
    const char *ext = oauth_form_get(&f, "extended");
    const char *url = oauth_form_get(&f, "tokenURL");
    if (!url)
        url = oauth_form_get(&f, "tokenUrl");
    if (!key)
        return fail_counted(c, &l, ENGAGE_MISSING, "Missing parameter: apiKey");
    if (!token)
        return engage_fail(c, 400, ENGAGE_MISSING, "Missing parameter: token");
    if (ext && strcmp(ext, "true") && strcmp(ext, "false"))
        return engage_fail(c, 400, ENGAGE_INVALID, "Invalid parameter: extended");
    const char *format = oauth_form_get(&f, "format");
    if (format && strcmp(format, "json"))
        return engage_fail(c, 400, ENGAGE_INVALID, "Invalid parameter: format");
    /* The key is found by its keyed hash: equal hashes, equal keys. */
    struct app_ref app;
    enum st st = ST_NOT_FOUND;
    if (hex_of(key, APP_KEY_LEN)) {
        unsigned char v[32];
        keys_verifier(env->keys, key, APP_KEY_LEN, v);
        st = store_app_find_by_key(env->store, v, &app, &c->err);
    }
    if (st == ST_NOT_FOUND)
        return fail_counted(c, &l, ENGAGE_INVALID, "Invalid parameter: apiKey");
    if (st != ST_OK)
        return engage_fail(c, 503, ENGAGE_UNAVAILABLE, "Service Temporarily Unavailable");
    if (!hex_of(token, 2 * SIGNIN_TOKEN_BYTES))
        return engage_fail(c, 400, ENGAGE_NOT_FOUND, "Data not found");
    struct redeem *r = arena_alloc(c->a, sizeof *r);
    *r = (struct redeem){
        .app = app, .url = url, .extended = ext && !strcmp(ext, "true"), .now = l.now};
    signin_hash(token, r->hash);
    api_defer(c, take, redeemed, r);
    return ST_OK;
}
