/* SPDX-License-Identifier: MIT */
/*
 * The token service (SPEC §2): client authentication shared by the three
 * endpoints, the client_credentials grant, RFC 7662 introspection and
 * RFC 7009 revocation. Issuing a token writes nothing and hashes nothing
 * slow: one indexed read, one keyed hash, one MAC.
 */
#include "api_int.h"

#include <string.h>

#define INVALID_CLIENT "client authentication failed"

/* RFC 6749 §3.2: no parameter may repeat. */
static enum st no_repeats(struct ctx *c)
{
    for (int i = 0; i < c->form.n; i++)
        for (int j = 0; j < i; j++)
            if (strcmp(c->form.f[i].name, c->form.f[j].name) == 0)
                return ERR(&c->err, ST_INVALID, NULL, "parameter %s is repeated",
                           c->form.f[i].name);
    return ST_OK;
}

/* A parameter sent without a value is treated as omitted (RFC 6749 §3.2). */
static const char *param(struct ctx *c, const char *name)
{
    const char *v = oauth_form_get(&c->form, name);
    return v && *v ? v : NULL;
}

enum st api_client_auth(struct ctx *c)
{
    enum st st = oauth_body_parse(c->a, c->req->content_type, c->req->body, c->req->body_len,
                                  &c->form, &c->err);
    if (st != ST_OK)
        return st == ST_UNSUPPORTED_MEDIA ? ERR(&c->err, ST_INVALID, NULL,
                                                "body must be " MEDIA_FORM " or " MEDIA_MULTIPART)
                                          : st;
    if ((st = no_repeats(c)) != ST_OK)
        return st;
    const char *id = param(c, OAUTH_CLIENT_ID), *secret = param(c, OAUTH_CLIENT_SECRET);
    if (c->req->authorization) {
        if (secret)
            return ERR(&c->err, ST_INVALID, NULL, "use one client authentication method");
        struct basic_cred cred;
        if (oauth_basic_parse(c->a, c->req->authorization, &cred, NULL) != ST_OK)
            return ERR(&c->err, ST_UNAUTHORIZED, NULL, INVALID_CLIENT);
        if (id && strcmp(id, cred.id) != 0)
            return ERR(&c->err, ST_INVALID, NULL, "client_id differs from the Basic user");
        id = cred.id;
        secret = cred.secret;
    }
    if (!id || !secret)
        return ERR(&c->err, ST_UNAUTHORIZED, NULL, INVALID_CLIENT);
    /* RFC 6749 §2.3.1: brute force is limited per client id and address,
     * and per address (or IPv6 /64) across every client id */
    const char *addr = c->req->remote_addr ? c->req->remote_addr : "";
    const char *net = c->req->remote_net ? c->req->remote_net : addr;
    const char *key = arena_printf(c->a, "%s\n%s\n%s", c->customer_id, id, addr);
    int64_t now = c->env->now();
    int wait = limiter_retry_after(c->env->auth_failures, key, now);
    int wait_net = limiter_retry_after(c->env->addr_failures, net, now);
    if (wait_net > wait)
        wait = wait_net;
    if (wait > 0) {
        metrics_limiter_tripped(METRICS_LIMIT_CLIENT_AUTH);
        api_resp_header(c, HDR_RETRY_AFTER, arena_printf(c->a, "%d", wait));
        return ERR(&c->err, ST_RATE_LIMITED, NULL, "too many failed authentications");
    }
    unsigned char v[32];
    keys_verifier(c->env->keys, secret, strlen(secret), v);
    st = store_auth_find(c->env->store, c->a, (struct row_key){c->customer_id, id}, &c->client,
                         &c->err);
    if (st == ST_NOT_FOUND || (st == ST_OK && !secret_equal(v, c->client.verifier, sizeof v))) {
        limiter_fail(c->env->auth_failures, key, now);
        limiter_fail(c->env->addr_failures, net, now);
        err_clear(&c->err);
        return ERR(&c->err, ST_UNAUTHORIZED, NULL, INVALID_CLIENT);
    }
    return st;
}

/* Bit i set when allowed[i] follows the scope grammar and is one of the
 * space-separated requested scopes (all of them when none is requested).
 * A policy stored before the grammar was enforced may hold a scope that
 * does not follow it: it is never granted (SPEC §3). */
static uint32_t grant(struct ctx *c, const char *requested)
{
    const struct client_auth *cl = &c->client;
    uint32_t valid = 0;
    for (int i = 0; i < cl->nscopes && i < 32; i++)
        if (oauth_scope_valid(cl->scopes[i]))
            valid |= UINT32_C(1) << i;
    if (!requested)
        return valid;
    uint32_t mask = 0;
    char *list = arena_strdup(c->a, requested);
    for (char *save = NULL, *one = strtok_r(list, " ", &save); one;
         one = strtok_r(NULL, " ", &save))
        for (int i = 0; i < cl->nscopes && i < 32; i++)
            if (strcmp(one, cl->scopes[i]) == 0)
                mask |= UINT32_C(1) << i;
    return mask & valid;
}

static void no_store(struct ctx *c)
{
    api_resp_header(c, HDR_PRAGMA, "no-cache");
}

enum st api_token_grant(struct ctx *c)
{
    const char *gt = param(c, OAUTH_GRANT_TYPE);
    if (!gt)
        return ERR(&c->err, ST_INVALID, NULL, "grant_type is required");
    if (strcmp(gt, OAUTH_CLIENT_CREDENTIALS) != 0) {
        c->oauth_error = OAUTH_ERR_UNSUPPORTED_GRANT;
        return ERR(&c->err, ST_INVALID, NULL, "only client_credentials is supported");
    }
    struct token_claims claims = {
        .client_seq = c->client.seq,
        .iat = c->env->now(),
        .lifetime = (uint32_t)c->client.lifetime,
        .scope_mask = grant(c, param(c, OAUTH_SCOPE)),
    };
    const char *scope = scopes_join(c->a, c->client.scopes, c->client.nscopes, claims.scope_mask);
    struct token_ctx tc = {c->customer_id, c->client.client_id, scope};
    char tok[OAUTH_TOKEN_LEN + 1];
    oauth_token_format(c->env->keys, &claims, &tc, tok);
    json_t *body = json_pack("{s:s,s:I,s:s}", OAUTH_ACCESS_TOKEN, tok, OAUTH_EXPIRES_IN,
                             (json_int_t)claims.lifetime, OAUTH_TOKEN_TYPE, OAUTH_BEARER);
    if (*scope)
        json_object_set_new(body, OAUTH_SCOPE, json_string(scope));
    no_store(c);
    api_resp_json(c, 200, body);
    metrics_token_issued();
    return ST_OK;
}

enum st api_token_introspect(struct ctx *c)
{
    const char *tok = param(c, OAUTH_TOKEN);
    if (!tok)
        return ERR(&c->err, ST_INVALID, NULL, "token is required");
    struct token_claims claims;
    const char *scope = NULL;
    enum st st = api_token_check(c, tok, &claims, &scope);
    if (st != ST_OK && st != ST_FORBIDDEN)
        return st;
    json_t *body = json_pack("{s:b}", OAUTH_ACTIVE, st == ST_OK);
    if (st == ST_OK) {
        if (*scope)
            json_object_set_new(body, OAUTH_SCOPE, json_string(scope));
        json_object_set_new(body, OAUTH_CLIENT_ID, json_string(c->client.client_id));
        json_object_set_new(body, OAUTH_TOKEN_TYPE, json_string(OAUTH_BEARER));
        json_object_set_new(body, OAUTH_EXP, json_integer(claims.iat + claims.lifetime));
        json_object_set_new(body, OAUTH_IAT, json_integer(claims.iat));
    }
    no_store(c);
    api_resp_json(c, 200, body);
    return ST_OK;
}

enum st api_token_revoke(struct ctx *c)
{
    const char *tok = param(c, OAUTH_TOKEN);
    if (!tok)
        return ERR(&c->err, ST_INVALID, NULL, "token is required");
    uint64_t caller = c->client.seq;
    struct token_claims claims;
    unsigned char tag[OAUTH_TOKEN_TAG_LEN];
    const char *scope = NULL;
    enum st st = api_token_check(c, tok, &claims, &scope);
    if (st == ST_FORBIDDEN) { /* unknown, expired or already revoked: nothing to do */
        api_resp_empty(c, 200);
        return ST_OK;
    }
    if (st != ST_OK)
        return st;
    if (claims.client_seq != caller) {
        c->oauth_error = OAUTH_ERR_UNAUTHORIZED_CLIENT;
        return ERR(&c->err, ST_INVALID, NULL, "the token was issued to another client");
    }
    oauth_token_parse(tok, strlen(tok), &claims, tag);
    st = store_revocation_add(c->env->store, tag, claims.iat + claims.lifetime, &c->err);
    if (st == ST_OK)
        api_resp_empty(c, 200);
    return st;
}
