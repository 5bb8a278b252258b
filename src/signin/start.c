/* SPDX-License-Identifier: MIT */
/*
 * GET /{c}.{p}/start (SPEC §7.3): checks the token_url against the app,
 * stores a flow (group commit: it must be there when the browser comes
 * back, on whichever instance) and sends the browser to the provider.
 * Everything but the flow's write runs on the event thread.
 */
#include "signin_int.h"

#include <string.h>

#define LOCALES_MAX 64

/* language_preference as ui_locales: BCP 47 tags and spaces only. */
static const char *locales(const char *v)
{
    if (!v || !*v || strlen(v) > LOCALES_MAX)
        return NULL;
    for (const char *p = v; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_' || *p == ' '))
            return NULL;
    return v;
}

/* An anonymous client could store flows as fast as it can ask: each
 * address may begin STARTS_MAX sign-ins a minute (a person needs a few). */
static bool too_many(struct ctx *c)
{
    const char *net = c->req->remote_net ? c->req->remote_net : "-";
    int64_t now = c->env->now();
    int wait = limiter_retry_after(c->env->starts, net, now);
    if (wait > 0) {
        metrics_limiter_tripped(METRICS_LIMIT_SIGN_IN);
        api_resp_header(c, HDR_RETRY_AFTER, arena_printf(c->a, "%d", wait));
        page_error(c, 429, "too_many_sign_ins", "sign-ins per address");
        return true;
    }
    limiter_fail(c->env->starts, net, now);
    return false;
}

/* What start leaves to group commit: the flow, and where the browser goes
 * once it is stored. */
struct start {
    struct flow_rec flow;
    const char *to;
};

static enum st store_flow(struct ctx *c, void *arg)
{
    struct start *s = arg;
    return store_flow_create(c->env->store, &s->flow, &c->err);
}

static void redirect(struct ctx *c, void *arg, enum st st)
{
    struct start *s = arg;
    if (st == ST_OK)
        page_redirect(c, s->to);
    else
        page_error(c, 503, PAGE_UNAVAILABLE, "store");
}

/* Runs on the event thread up to the flow's write (a staged route): the
 * write thread only stores it. */
enum st api_signin_start(struct ctx *c)
{
    if (c->env->starts && too_many(c))
        return ST_OK;
    struct form q;
    if (signin_query(c, &q) != ST_OK) {
        page_error(c, 400, PAGE_BAD_TOKEN_URL, "query does not parse");
        return ST_OK;
    }
    struct provider_rec rec;
    struct login_app app;
    struct idp_provider p;
    if (!signin_provider(c, &rec, &app, &p))
        return ST_OK;
    const char *token_url = oauth_form_get(&q, "token_url");
    const char *bad = NULL;
    if (!token_url || oauth_form_count(&q, "token_url") != 1)
        bad = "token_url missing or repeated";
    else if (!app_token_url_allowed(&app, token_url))
        bad = "token_url not allowed by the app";
    if (bad) {
        idp_provider_cleanup(&p);
        page_error(c, 400, PAGE_BAD_TOKEN_URL, bad);
        return ST_OK;
    }
    struct start *s = arena_alloc(c->a, sizeof *s);
    struct idp_flow f;
    idp_flow_new(c->a, &f);
    s->flow = (struct flow_rec){
        .token_url = token_url,
        .verifier = f.verifier,
        .nonce = f.nonce,
        .request_id = f.request_id ? f.request_id : "",
        .expires_at = c->env->now() + FLOW_TTL,
    };
    f.state = signin_state_new(c->a, s->flow.expires_at, s->flow.key);
    snprintf(s->flow.cid, sizeof s->flow.cid, "%s", c->customer_id);
    snprintf(s->flow.app_id, sizeof s->flow.app_id, "%s", rec.app_id);
    snprintf(s->flow.provider_id, sizeof s->flow.provider_id, "%s", c->id);
    const char *force = oauth_form_get(&q, "force_reauth");
    struct idp_begin o = {
        .force_reauth = force && !strcmp(force, "true"),
        .ui_locales = locales(oauth_form_get(&q, "language_preference")),
    };
    enum st st = ST_OK;
    if (!strcmp(p.protocol, PROTO_SAML2))
        st = idp_saml_request_url(c->a, &p, &f, &o, c->env->now(), &s->to, &c->err);
    else
        s->to = idp_authorize_url(c->a, &p, &f, &o);
    idp_provider_cleanup(&p);
    if (st != ST_OK) { /* a stored value SAML cannot carry: the provider's to fix */
        page_error(c, 500, PAGE_INTERNAL, "AuthnRequest cannot be made");
        return ST_OK;
    }
    api_defer(c, store_flow, redirect, s);
    return ST_OK;
}
