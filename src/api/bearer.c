/* SPDX-License-Identifier: MIT */
/*
 * Bearer checks (SPEC §3) for every API route: token format, expiry, the
 * client's current state, the tag, the revocation list, then the scope
 * against the method and path. Every refusal is 403 with RFC 6750's
 * WWW-Authenticate; what went wrong is never told beyond that.
 */
#include "api_int.h"

#include <string.h>

#define WWW_BEARER OAUTH_BEARER " realm=\"" OAUTH_REALM "\""

static enum st forbid(struct ctx *c, const char *error)
{
    c->www_auth = error ? arena_printf(c->a, WWW_BEARER ", error=\"%s\"", error) : WWW_BEARER;
    return ERR(&c->err, ST_FORBIDDEN, NULL, "Forbidden");
}

/* Returns the token of an "Authorization: Bearer x" header, or NULL. */
static const char *bearer_token(const char *h)
{
    size_t n = sizeof OAUTH_BEARER - 1;
    if (!h || strlen(h) <= n || !util_strncaseeq(h, OAUTH_BEARER, n) || h[n] != ' ')
        return NULL;
    h += n;
    while (*h == ' ')
        h++;
    return h;
}

/* Verifies tok for customer cid. ST_FORBIDDEN (invalid_token) when it is
 * not a live token of a live client of cid; ST_STORAGE on a store error.
 * Fills claims, c->client and *scope. */
static enum st token_check(struct ctx *c, const char *tok, const char *cid,
                           struct token_claims *claims, const char **scope)
{
    unsigned char tag[OAUTH_TOKEN_TAG_LEN];
    struct store *s = c->env->store;
    if (oauth_token_parse(tok, strlen(tok), claims, tag) != ST_OK ||
        !oauth_token_live(claims, c->env->now()))
        return ST_FORBIDDEN;
    enum st st = store_auth_by_seq(s, c->a, claims->client_seq, &c->client, &c->err);
    if (st == ST_NOT_FOUND) {
        err_clear(&c->err);
        return ST_FORBIDDEN;
    }
    if (st != ST_OK)
        return st;
    if (strcmp(c->client.customer_id, cid) != 0 ||
        (c->client.nscopes < 32 && (claims->scope_mask >> c->client.nscopes) != 0))
        return ST_FORBIDDEN;
    *scope = scopes_join(c->a, c->client.scopes, c->client.nscopes, claims->scope_mask);
    struct token_ctx tc = {.customer_id = cid, .client_id = c->client.client_id, .scope = *scope};
    if (!oauth_token_verify(c->env->keys, tok, &tc))
        return ST_FORBIDDEN;
    bool revoked = false;
    st = store_revocation_find(s, tag, &revoked, &c->err);
    if (st != ST_OK)
        return st;
    return revoked ? ST_FORBIDDEN : ST_OK;
}

enum st api_token_check(struct ctx *c, const char *tok, struct token_claims *claims,
                        const char **scope)
{
    return token_check(c, tok, c->customer_id, claims, scope);
}

enum st api_bearer_auth(struct ctx *c)
{
    const char *tok = bearer_token(c->req->authorization);
    if (!tok)
        return forbid(c, NULL);
    struct token_claims claims;
    const char *scope = NULL;
    enum st st = token_check(c, tok, c->customer_id, &claims, &scope);
    if (st == ST_FORBIDDEN)
        return forbid(c, OAUTH_ERR_INVALID_TOKEN);
    if (st != ST_OK)
        return st;
    c->scope = scope;
    if (api_caller_covers(c, c->req->method, c->rest))
        return ST_OK;
    return forbid(c, OAUTH_ERR_INSUFFICIENT_SCOPE);
}

enum st api_insufficient_scope(struct ctx *c)
{
    return forbid(c, OAUTH_ERR_INSUFFICIENT_SCOPE);
}

/* Calls fn(one, arg) for each granted scope until it returns true. */
static bool any_scope(struct ctx *c, bool (*fn)(const char *one, const void *arg), const void *arg)
{
    char *list = arena_strdup(c->a, c->scope ? c->scope : "");
    for (char *save = NULL, *one = strtok_r(list, " ", &save); one;
         one = strtok_r(NULL, " ", &save))
        if (fn(one, arg))
            return true;
    return false;
}

struct call {
    const char *method, *path;
};

static bool covers(const char *one, const void *arg)
{
    const struct call *call = arg;
    return oauth_scope_covers(one, call->method, call->path);
}

static bool holds(const char *one, const void *arg)
{
    return oauth_scope_within(arg, one);
}

bool api_caller_covers(struct ctx *c, const char *method, const char *path)
{
    struct call call = {method, path ? path : ""};
    return any_scope(c, covers, &call);
}

enum st api_caller_holds(struct ctx *c, const char *const *scopes, int n)
{
    for (int i = 0; i < n; i++)
        if (!any_scope(c, holds, scopes[i]))
            return forbid(c, OAUTH_ERR_INSUFFICIENT_SCOPE);
    return ST_OK;
}
