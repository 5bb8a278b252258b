/* SPDX-License-Identifier: MIT */
/*
 * GET/POST /{c}.{p}/callback (SPEC §7.4, §7.6): takes the flow named by
 * state (once: the store deletes it as it reads it), finishes the
 * protocol with the provider through idp/, stores a one-time token and
 * hands it to the site. Runs on the runtime's workers, never on an event
 * thread; while the provider is asked, or the two writes (the flow's take,
 * the token) wait for group commit, no thread waits: the outbound client
 * or the write thread calls back and the next step is queued as a job.
 */
#include "signin_int.h"

#include <string.h>

struct callback {
    struct signin_job job; /* first: the job is the callback */
    struct signin *rt;
    struct ctx *c;
    struct api_write *w;
    struct form params;
    struct flow_rec flow;
    struct login_app app;
    struct app_settings settings;
    struct idp_provider p;
    bool have_p;
    bool pinned;   /* the provider had an issuer pinned */
    bool replayed; /* the assertion's id was found kept: no token made */
    struct secret secret;
    struct idp_run *run;
    struct net_response *resp;
    /* a write through group commit, and what it writes */
    struct api_write step;
    const char *state;
    unsigned char key[FLOW_KEY_LEN];
    struct signin_token_rec token;
    char token_text[2 * SIGNIN_TOKEN_BYTES + 1];
};

static void advance(struct callback *cb);

/* The failed checks a sign-in can end with, as idp/, saml/ and this file
 * name them (static text): the values of the metrics' check label. A
 * check missing here is counted as "other", so the label stays bounded
 * whatever a future check is called; keep the list in step. */
const char *const signin_checks[] = {
    /* idp/: OAuth 2.0 and OpenID Connect */
    "callback parameters", "iss parameter", "idp error", "code missing", "protocol",
    "provider incomplete", "run stuck", "token endpoint unreachable", "token endpoint status",
    "token endpoint error", "token answer", "token answer too large", "access_token", "token_type",
    "no profile_url", "userinfo unreachable", "userinfo status", "userinfo answer",
    "userinfo answer too large", "userinfo sub", "subject missing", "discovery unreachable",
    "discovery status", "discovery answer", "discovery answer too large", "discovery issuer",
    "discovery token_endpoint", "jwks unreachable", "jwks status", "jwks answer",
    "jwks answer too large", "id_token missing", "id_token malformed", "id_token signature",
    "issuer", "audience", "expired", "issued in the future", "not yet valid", "nonce", "subject",
    /* idp/saml.c and saml/ */
    "SAMLResponse missing or repeated", "certificate", "saml", "doctype", "depth",
    "encrypted assertion", "duplicate id", "assertion count", "assertion position", "size",
    "base64", "response", "status", "unsigned", "signature", "signature count",
    "signature reference", "signature setup", "signature transform", "signature algorithm",
    "destination", "in response to", "name id", "subject confirmation", "time", "recipient",
    "condition", "assertion", "authn statement", "lifetime", "xml", "xml attributes",
    "xml namespaces", "xml markup", "SAML response not posted",
    /* this file */
    "parameters do not parse", "state missing or repeated", "flow unknown or used",
    "flow of another provider", "flow expired", "app", "token_url no longer allowed by the app",
    "provider", "secret", "provider document", "store", "profile", "sign-in data too large",
    "assertion replayed"};
const int signin_nchecks = (int)(sizeof signin_checks / sizeof *signin_checks);

/* The protocol label of the callback's sign-in: known once the provider is. */
static const char *protocol_of(const struct callback *cb)
{
    return cb->have_p ? cb->p.protocol : NULL;
}

/* The write thread: the write is on disk (or failed); a worker goes on. */
static void written(struct api_write *w)
{
    struct callback *cb = w->state;
    signin_post(cb->rt, &cb->job);
}

/* Makes fn's write through the request's group commit, with other
 * requests' writes (one disk flush for them all), then runs next on a
 * worker, where api_step_status(&cb->step) tells how it went. */
static void write_then(struct callback *cb, api_step_fn fn, void (*next)(struct signin_job *j))
{
    cb->job.run = next;
    api_commit_step(cb->c, cb->w->commit, &cb->step, fn, cb, written);
}

/* Answers the request and ends the callback. */
static void finish(struct callback *cb)
{
    struct signin *rt = cb->rt;
    struct api_write *w = cb->w;
    idp_run_free(cb->run);
    if (cb->have_p)
        idp_provider_cleanup(&cb->p);
    secret_cleanup(&cb->secret);
    free((void *)cb->token.data);
    secret_wipe(cb->token_text, sizeof cb->token_text);
    free(cb);
    w->done(w); /* the request, its arena and ctx belong to http/ again */
    pthread_mutex_lock(&rt->mu);
    if (--rt->busy == 0)
        pthread_cond_broadcast(&rt->idle);
    pthread_mutex_unlock(&rt->mu);
}

/* Tells the site the sign-in failed (the flow's token_url is known). */
static void fail_to_site(struct callback *cb, const char *error, const char *description,
                         const char *check)
{
    struct ctx *c = cb->c;
    const char *spec = signin_specifier(c);
    const char *rid = c->req->id ? c->req->id : "-";
    check = check ? check : "-";
    struct log_field lf[] = {
        {"request_id", rid, 0}, {"provider", spec, 0}, {"error", error, 0}, {"check", check, 0}};
    log_fields(LOG_INFO, lf, 4, "sign-in %s request %s failed: %s (%s)", spec, rid, error, check);
    metrics_sign_in(protocol_of(cb), error, check);
    struct page_field f[] = {
        {"error", error},
        {"error_description", description ? description : "Sign-in failed"},
        {"provider", spec},
    };
    page_hand_over(c, cb->settings.post_tokens_to_token_url, cb->flow.token_url, f, 3);
    finish(cb);
}

/* The error page: no valid flow, nothing goes to any site. */
static void fail_here(struct callback *cb, int status, const char *code, const char *check)
{
    page_error(cb->c, status, code, check);
    metrics_sign_in(protocol_of(cb), "error_page", check);
    finish(cb);
}

/* What auth_info will answer, sealed: the profile and, kept apart, the
 * extended data and the provider's tokens (only when the app asks). The
 * caller refuses text over SIGNIN_DATA_MAX. */
/* The token's data (SIGNIN_DATA_SEP): malloc'd, or NULL. */
static char *token_data(struct callback *cb, const struct idp_result *r, size_t *len)
{
    json_t *profile =
        idp_profile(&cb->p, cb->app.realm, r->subject, r->doc, cb->settings.standard_claims);
    json_t *d = json_pack("{s:s,s:o}", "stat", "ok", "profile", profile);
    if (cb->settings.return_access_credentials && r->access_credentials)
        json_object_set(d, "accessCredentials", r->access_credentials);
    char *answer = json_dumps(d, JSON_COMPACT);
    json_decref(d);
    char *more = NULL;
    if (r->extended) { /* {"oidc":{...}} less its braces */
        json_t *x =
            json_pack("{s:O}", strcmp(cb->p.protocol, PROTO_SAML2) ? "oidc" : "saml", r->extended);
        more = json_dumps(x, JSON_COMPACT);
        json_decref(x);
    }
    char *text = NULL;
    *len = 0;
    if (answer && (more || !r->extended)) {
        size_t na = strlen(answer), nm = more ? strlen(more) - 2 : 0;
        text = xmalloc(na + 1 + nm + 1);
        memcpy(text, answer, na);
        text[na] = SIGNIN_DATA_SEP;
        if (nm)
            memcpy(text + na + 1, more + 1, nm);
        text[na + 1 + nm] = '\0';
        *len = na + 1 + nm;
    }
    if (answer)
        secret_wipe(answer, strlen(answer));
    if (more)
        secret_wipe(more, strlen(more));
    free(answer);
    free(more);
    return text;
}

/* The token, and before it (SAML) the assertion's id, which a replay
 * finds kept: ST_CONFLICT then, and no token. */
static enum st store_token(struct ctx *c, void *arg)
{
    struct callback *cb = arg;
    const struct idp_result *r = idp_run_result(cb->run);
    if (r->replay_until) {
        enum st st = store_assertion_use(c->env->store, r->replay_key, r->replay_until,
                                         c->env->now(), &c->err);
        cb->replayed = st == ST_CONFLICT;
        if (st != ST_OK)
            return st;
    }
    return store_signin_token_create(c->env->store, &cb->token, &c->err);
}

static void token_stored(struct signin_job *j);

static void succeed(struct callback *cb, const struct idp_result *r)
{
    struct ctx *c = cb->c;
    const struct api_env *env = c->env;
    size_t n;
    char *text = token_data(cb, r, &n);
    if (!text) {
        fail_to_site(cb, IDP_PROVIDER_ERROR, "The sign-in could not be completed", "profile");
        return;
    }
    if (n > SIGNIN_DATA_MAX) { /* every row a hostile IdP makes stays small */
        secret_wipe(text, n);
        free(text);
        fail_to_site(cb, IDP_PROVIDER_ERROR, "The identity provider's answer was too large",
                     "sign-in data too large");
        return;
    }
    struct signin_token_rec *t = &cb->token;
    *t = (struct signin_token_rec){
        .token_url = cb->flow.token_url,
        .expires_at = env->now() + cb->settings.token_ttl,
    };
    snprintf(t->cid, sizeof t->cid, "%s", cb->flow.cid);
    snprintf(t->app_id, sizeof t->app_id, "%s", cb->flow.app_id);
    snprintf(t->provider_id, sizeof t->provider_id, "%s", cb->flow.provider_id);
    unsigned char *sealed;
    keys_seal(env->keys, text, n, &sealed, &t->data_len);
    secret_wipe(text, n);
    free(text);
    t->data = sealed; /* freed by finish */
    util_random_secret_hex(cb->token_text, SIGNIN_TOKEN_BYTES);
    signin_hash(cb->token_text, t->hash);
    write_then(cb, store_token, token_stored);
}

static void token_stored(struct signin_job *j)
{
    struct callback *cb = (struct callback *)(void *)j;
    struct ctx *c = cb->c;
    const struct idp_result *r = idp_run_result(cb->run);
    enum st st = api_step_status(&cb->step);
    if (st == ST_CONFLICT && cb->replayed) {
        fail_to_site(cb, IDP_LOGIN_FAILED, "The identity provider's answer was used before",
                     "assertion replayed");
        return;
    }
    if (st != ST_OK) {
        fail_to_site(cb, IDP_PROVIDER_ERROR, "The sign-in could not be completed", "store");
        return;
    }
    if (r->issuer && !cb->pinned) {
        struct provider_key k = {cb->flow.cid, cb->flow.app_id, cb->flow.provider_id};
        struct err e = {0};
        st = store_issuer_pin_set(c->env->store, k, cb->p.endpoints, r->issuer, &e);
        if (st != ST_OK && st != ST_CONFLICT)
            log_msg(LOG_WARN, "sign-in %s: the issuer could not be pinned: %s", signin_specifier(c),
                    e.msg);
    }
    const char *rid = c->req->id ? c->req->id : "-";
    struct log_field lf[] = {{"request_id", rid, 0}, {"provider", signin_specifier(c), 0}};
    log_fields(LOG_INFO, lf, 2, "sign-in %s request %s: signed in", signin_specifier(c), rid);
    metrics_sign_in(protocol_of(cb), "ok", NULL);
    struct page_field f[] = {{"token", cb->token_text}};
    page_hand_over(c, cb->settings.post_tokens_to_token_url, cb->flow.token_url, f, 1);
    finish(cb);
}

/* The client's thread: the answer goes back to a worker. */
static void on_answer(void *arg, struct net_response *resp)
{
    struct callback *cb = arg;
    cb->resp = resp;
    signin_post(cb->rt, &cb->job);
}

static void resume(struct signin_job *j)
{
    struct callback *cb = (struct callback *)(void *)j;
    idp_run_feed(cb->run, cb->resp);
    net_response_free(cb->resp);
    cb->resp = NULL;
    advance(cb);
}

/* Runs the protocol until it needs the network or ends. */
static void advance(struct callback *cb)
{
    struct net_request req;
    while (idp_run_step(cb->run, &req) == IDP_FETCH) {
        struct signin *rt = cb->rt;
        pthread_mutex_lock(&rt->mu);
        if (!rt->cancelled) {
            cb->job.run = resume;
            net_fetch(rt->net, &req, on_answer, cb); /* under the lock: the client stays */
            pthread_mutex_unlock(&rt->mu);
            return;
        }
        pthread_mutex_unlock(&rt->mu);
        struct net_response stopping = {.st = ST_INTERNAL, .why = "stopping"};
        idp_run_feed(cb->run, &stopping);
    }
    const struct idp_result *r = idp_run_result(cb->run);
    if (r->error)
        fail_to_site(cb, r->error, r->description, r->check);
    else
        succeed(cb, r);
}

/* Reads the callback's parameters: the query, or a form_post body (a SAML
 * response's too). */
static bool read_params(struct callback *cb)
{
    struct ctx *c = cb->c;
    if (!strcmp(c->req->method, "POST")) {
        if (!util_media_is(c->req->content_type, MEDIA_FORM))
            return false;
        return oauth_form_parse(c->a, c->req->body, c->req->body_len, &cb->params, &c->err) ==
               ST_OK;
    }
    return signin_query(c, &cb->params) == ST_OK;
}

static enum st take_flow(struct ctx *c, void *arg)
{
    struct callback *cb = arg;
    return store_flow_take(c->env->store, c->a, cb->key, &cb->flow, &c->err);
}

static void flow_taken(struct signin_job *j);

/* The parameters, then the flow is taken (group commit). */
static void first(struct signin_job *j)
{
    struct callback *cb = (struct callback *)(void *)j;
    if (!read_params(cb)) {
        fail_here(cb, 400, PAGE_STATE_MISMATCH, "parameters do not parse");
        return;
    }
    /* a SAML response names its flow by RelayState (SPEC §7.3) */
    const char *name = oauth_form_count(&cb->params, IDP_SAML_RESPONSE) ? IDP_RELAY_STATE : "state";
    const char *state = oauth_form_get(&cb->params, name);
    if (!state || oauth_form_count(&cb->params, name) != 1) {
        fail_here(cb, 400, PAGE_STATE_MISMATCH, "state missing or repeated");
        return;
    }
    if (!signin_state_key(state, cb->key)) {
        fail_here(cb, 400, PAGE_STATE_MISMATCH, "flow unknown or used");
        return;
    }
    cb->state = state;
    write_then(cb, take_flow, flow_taken);
}

/* Everything from the flow to the first call to the provider. */
static void flow_taken(struct signin_job *j)
{
    struct callback *cb = (struct callback *)(void *)j;
    struct ctx *c = cb->c;
    struct store *store = c->env->store;
    enum st st = api_step_status(&cb->step);
    if (st == ST_NOT_FOUND) {
        fail_here(cb, 400, PAGE_STATE_MISMATCH, "flow unknown or used");
        return;
    }
    if (st != ST_OK) {
        fail_here(cb, 503, PAGE_UNAVAILABLE, "store");
        return;
    }
    if (strcmp(cb->flow.cid, c->customer_id) || strcmp(cb->flow.provider_id, c->id)) {
        fail_here(cb, 400, PAGE_STATE_MISMATCH, "flow of another provider");
        return;
    }
    st = store_app_get(store, c->a, (struct row_key){cb->flow.cid, cb->flow.app_id}, &cb->app,
                       &c->err);
    if (st != ST_OK) {
        fail_here(cb, st == ST_NOT_FOUND ? 404 : 503,
                  st == ST_NOT_FOUND ? PAGE_UNKNOWN_PROVIDER : PAGE_UNAVAILABLE, "app");
        return;
    }
    app_settings_get(&cb->app, &cb->settings);
    /* The app may have dropped the URL since start: nothing goes there then. */
    if (!app_token_url_allowed(&cb->app, cb->flow.token_url)) {
        fail_here(cb, 400, PAGE_BAD_TOKEN_URL, "token_url no longer allowed by the app");
        return;
    }
    if (c->env->now() >= cb->flow.expires_at) {
        fail_to_site(cb, "flow_expired", "The sign-in took too long", "flow expired");
        return;
    }
    struct provider_rec rec;
    struct provider_key k = {cb->flow.cid, cb->flow.app_id, cb->flow.provider_id};
    st = store_provider_get(store, c->a, k, &rec, &c->err);
    if (st != ST_OK) {
        fail_to_site(cb, IDP_PROVIDER_ERROR, "The provider is not available", "provider");
        return;
    }
    if (rec.secret && keys_unseal(c->env->keys, rec.secret, rec.secret_len, &cb->secret) != ST_OK) {
        fail_to_site(cb, IDP_PROVIDER_ERROR, "The provider is not available", "secret");
        return;
    }
    if (idp_provider_read(c->a, cb->app.realm, k.cid, k.app_id, k.id, rec.doc,
                          rec.secret ? (const char *)cb->secret.b : NULL, cb->secret.len, &cb->p,
                          &c->err) != ST_OK) {
        fail_to_site(cb, IDP_PROVIDER_ERROR, "The provider is not available", "provider document");
        return;
    }
    cb->have_p = true;
    /* HTTP-POST only (SAML bindings have no response by redirect): a
     * response in a query sits in access logs, history and Referer. The
     * flow is spent, so what leaked there can never be posted after. */
    if (!strcmp(cb->p.protocol, PROTO_SAML2) && strcmp(c->req->method, "POST")) {
        fail_to_site(cb, IDP_LOGIN_FAILED, "The sign-in failed", "SAML response not posted");
        return;
    }
    const char *pinned = NULL;
    st = store_issuer_pin_get(store, c->a, k, cb->p.endpoints, &pinned, &c->err);
    if (st != ST_OK && st != ST_NOT_FOUND) {
        fail_to_site(cb, IDP_PROVIDER_ERROR, "The sign-in could not be completed", "store");
        return;
    }
    cb->pinned = pinned != NULL;
    struct idp_flow f = {.state = cb->state,
                         .verifier = cb->flow.verifier,
                         .nonce = cb->flow.nonce,
                         .request_id = cb->flow.request_id};
    struct idp_ctx ictx = {.cache = cb->rt->cache,
                           .now = c->env->now(),
                           .skew = cb->rt->skew,
                           .pinned_issuer = pinned,
                           .saml_allow_sha1 = cb->rt->saml_allow_sha1};
    cb->run = idp_run_new(&ictx, &cb->p, &f, &cb->params);
    advance(cb);
}

void api_signin_callback(struct ctx *c, struct api_write *w)
{
    struct signin *rt = c->env->signin;
    if (!rt) {
        page_error(c, 503, PAGE_UNAVAILABLE, "sign-in runtime not running");
        w->done(w);
        return;
    }
    pthread_mutex_lock(&rt->mu);
    bool stopping = rt->cancelled; /* signin_cancel waits for busy callbacks only */
    if (!stopping)
        rt->busy++;
    pthread_mutex_unlock(&rt->mu);
    if (stopping) {
        page_error(c, 503, PAGE_UNAVAILABLE, "server stopping");
        w->done(w);
        return;
    }
    struct callback *cb = xcalloc(1, sizeof *cb);
    *cb = (struct callback){.job = {.run = first}, .rt = rt, .c = c, .w = w};
    signin_post(rt, &cb->job);
}
