/* SPDX-License-Identifier: MIT */
/*
 * The run: finishing one sign-in from its callback, as a state machine
 * that asks for one outbound request at a time and is fed the answer
 * (SPEC §7.4). This file holds the callback's parameters, the loop and the
 * result; oauth2.c the token and profile requests, oidc.c the id_token,
 * saml.c a SAML response.
 */
#include "idp_int.h"

#include "../model/model.h"

#include <string.h>

#define RUN_MAX_ADVANCES 16 /* states passed without a fetch: more is a bug */

static const char *description(const char *error)
{
    if (!strcmp(error, IDP_ACCESS_DENIED))
        return "The sign-in was cancelled at the identity provider.";
    if (!strcmp(error, IDP_LOGIN_FAILED))
        return "The identity provider's answer failed a check.";
    return "The identity provider could not be reached or answered with an error.";
}

void idp_run_fail(struct idp_run *r, const char *error, const char *check)
{
    if (r->state == RS_DONE)
        return;
    r->res.error = error;
    r->res.check = check;
    r->res.description = description(error);
    r->waiting = false;
    r->state = RS_DONE;
}

/* The access credentials the site may ask for (SPEC §7.5), from what the
 * run kept of the token answer. */
static json_t *credentials(const struct idp_run *r)
{
    json_t *c = json_object();
    json_object_set_new(c, "accessToken", json_string(r->tok.access));
    if (r->tok.expires_in >= 0)
        json_object_set_new(c, "expires", json_integer(r->now + r->tok.expires_in));
    const struct {
        const char *value, *to;
    } copied[] = {
        {r->tok.refresh, "refreshToken"},
        {r->tok.id_token, "idToken"},
        {r->tok.scope, "scopes"},
    };
    for (size_t i = 0; i < sizeof copied / sizeof *copied; i++)
        if (copied[i].value)
            json_object_set_new(c, copied[i].to, json_string(copied[i].value));
    return c;
}

void idp_run_succeed(struct idp_run *r, const char *subject, json_t *doc, json_t *extended)
{
    if (r->state == RS_DONE) {
        json_decref(doc);
        json_decref(extended);
        return;
    }
    r->res.subject = arena_strdup(&r->a, subject);
    r->res.doc = doc;
    r->res.extended = extended;
    /* SAML hands over no token of the IdP's */
    r->res.access_credentials = strcmp(r->protocol, PROTO_SAML2) ? credentials(r) : NULL;
    r->waiting = false;
    r->state = RS_DONE;
}

void idp_run_get(struct idp_run *r, const char *url, const char *bearer)
{
    r->req = (struct net_request){
        .method = "GET",
        .url = url,
        .accept = MEDIA_JSON,
        .authorization = bearer ? arena_printf(&r->a, OAUTH_BEARER " %s", bearer) : NULL,
    };
    r->waiting = true;
}

/* The failed check of the callback's parameters (SPEC §7.4; RFC 9207 for
 * iss), or NULL; r->code and r->iss_param from them. */
static const char *read_callback(struct idp_run *r, const struct form *params, const char **error)
{
    static const struct form none = {0};
    if (!params)
        params = &none;
    *error = IDP_LOGIN_FAILED;
    if (oauth_form_count(params, P_ISS) > 1 || oauth_form_count(params, P_CODE) > 1 ||
        oauth_form_count(params, P_ERROR) > 1)
        return "callback parameters";
    const char *iss = oauth_form_get(params, P_ISS);
    /* checked first: an error answer from the wrong issuer is a mix-up too */
    if (iss && r->pin && strcmp(iss, r->pin) != 0)
        return "iss parameter";
    r->iss_param = iss ? arena_strdup(&r->a, iss) : NULL;
    const char *idp_error = oauth_form_get(params, P_ERROR);
    if (idp_error) {
        *error = !strcmp(idp_error, V_ACCESS_DENIED) ? IDP_ACCESS_DENIED : IDP_PROVIDER_ERROR;
        return "idp error";
    }
    const char *code = oauth_form_get(params, P_CODE);
    if (!code || !*code)
        return "code missing";
    r->code = arena_strdup(&r->a, code);
    return NULL;
}

static const char *dup_or_null(struct arena *a, const char *s)
{
    return s ? arena_strdup(a, s) : NULL;
}

struct idp_run *idp_run_new(const struct idp_ctx *ctx, const struct idp_provider *p,
                            const struct idp_flow *f, const struct form *params)
{
    struct idp_run *r = xcalloc(1, sizeof *r);
    arena_init(&r->a);
    r->cache = ctx->cache;
    r->now = ctx->now;
    r->skew = ctx->skew;
    r->pin = dup_or_null(&r->a, ctx->pinned_issuer);
    r->protocol = dup_or_null(&r->a, p->protocol);
    r->client_id = dup_or_null(&r->a, p->client_id);
    if (p->client_secret) {
        r->secret = arena_strndup(&r->a, p->client_secret, p->secret_len);
        r->secret_len = p->secret_len;
    }
    r->token_url = dup_or_null(&r->a, p->token_url);
    r->profile_url = dup_or_null(&r->a, p->profile_url);
    r->callback = dup_or_null(&r->a, p->callback);
    r->attribute_map = p->attribute_map ? json_deep_copy(p->attribute_map) : NULL;
    r->verifier = dup_or_null(&r->a, f->verifier);
    r->nonce = dup_or_null(&r->a, f->nonce);
    r->state = RS_TOKEN;
    if (r->protocol && !strcmp(r->protocol, PROTO_SAML2)) {
        idp_saml_finish(r, ctx, p, f, params);
        return r;
    }
    bool oidc = r->protocol && !strcmp(r->protocol, PROTO_OIDC);
    if (!oidc && !(r->protocol && !strcmp(r->protocol, PROTO_OAUTH2)))
        idp_run_fail(r, IDP_PROVIDER_ERROR, "protocol");
    else if (!r->client_id || !r->token_url || !r->callback || !r->verifier || (oidc && !r->nonce))
        idp_run_fail(r, IDP_PROVIDER_ERROR, "provider incomplete");
    const char *error = NULL, *check = NULL;
    if (r->state != RS_DONE && (check = read_callback(r, params, &error)) != NULL)
        idp_run_fail(r, error, check);
    return r;
}

/* Does the work of the current state that needs no answer. */
static void advance(struct idp_run *r)
{
    switch (r->state) {
    case RS_TOKEN:
        idp_token_request(r);
        break;
    case RS_ID_TOKEN:
    case RS_DISCOVERY:
    case RS_KEYS:
    case RS_VERIFY:
        idp_oidc_advance(r);
        break;
    case RS_PROFILE:
        idp_profile_request(r);
        break;
    case RS_DONE:
        break;
    }
}

enum idp_next idp_run_step(struct idp_run *r, struct net_request *req)
{
    for (int i = 0; !r->waiting && r->state != RS_DONE; i++) {
        if (i == RUN_MAX_ADVANCES) {
            idp_run_fail(r, IDP_PROVIDER_ERROR, "run stuck");
            break;
        }
        advance(r);
    }
    if (r->state == RS_DONE)
        return IDP_DONE;
    /* a run may wait seconds: it holds text then, not a parsed tree */
    idp_oidc_drop(r);
    *req = r->req;
    return IDP_FETCH;
}

void idp_run_feed(struct idp_run *r, const struct net_response *resp)
{
    static const struct net_response lost = {.st = ST_INTERNAL, .why = "no answer"};
    if (!r->waiting)
        return;
    r->waiting = false;
    if (!resp)
        resp = &lost;
    switch (r->state) {
    case RS_TOKEN:
        idp_token_answer(r, resp);
        break;
    case RS_DISCOVERY:
    case RS_KEYS:
        idp_oidc_answer(r, resp);
        break;
    case RS_PROFILE:
        idp_profile_answer(r, resp);
        break;
    case RS_ID_TOKEN:
    case RS_VERIFY:
    case RS_DONE:
        break;
    }
}

const struct idp_result *idp_run_result(const struct idp_run *r)
{
    return &r->res;
}

void idp_run_free(struct idp_run *r)
{
    if (!r)
        return;
    idp_json_wipe_free(r->res.access_credentials);
    idp_oidc_drop(r);
    idp_keys_release(r->keys);
    json_decref(r->attribute_map);
    json_decref(r->res.doc);
    json_decref(r->res.extended);
    arena_cleanup(&r->a); /* wipes the code, the secret, the tokens and the requests */
    free(r);
}
