/* SPDX-License-Identifier: MIT */
/*
 * Private to api/: the route record, the per-request context handed to
 * handlers, and the small helpers every handler uses.
 */
#ifndef SG_API_INT_H
#define SG_API_INT_H

#include "../oauth/oauth.h"
#include "api.h"

#define MEDIA_JSON "application/json"
#define MEDIA_MERGE_PATCH "application/merge-patch+json"
#define MEDIA_JSON_PATCH "application/json-patch+json"
/* Header names api/ sets (RFC 9110, RFC 6750, RFC 7234) */
#define HDR_ALLOW "Allow"
#define HDR_ETAG "ETag"
#define HDR_LOCATION "Location"
#define HDR_PRAGMA "Pragma"
#define HDR_RETRY_AFTER "Retry-After"
#define HDR_WWW_AUTHENTICATE "WWW-Authenticate"
/* Members of the API's error answers (SPEC §3, §5) and of its lists */
#define E_ERROR "error"
#define E_ERRORS "errors"
#define E_DETAILS "details"
#define E_FIELD "field"
#define E_REASON "reason"
#define L_TOTAL "total"
#define API_PREFIX "/%s/v2/config/low/services/engage-v2" /* SPEC §5's P */

enum auth {
    AUTH_NONE,   /* open (health) */
    AUTH_CLIENT, /* configuration-client credentials (token endpoints) */
    AUTH_BEARER, /* an access token whose scope covers the call */
};

struct ctx;
typedef enum st (*api_handler_fn)(struct ctx *c);
/* An asynchronous route's handler (api_async_go): answers into c->resp
 * later, from any thread, then calls w->done(w) exactly once. */
typedef void (*api_async_fn)(struct ctx *c, struct api_write *w);

struct route {
    const char *method;
    const char *pattern; /* "/{c}/config/clients/{id}" */
    api_handler_fn handler;
    enum auth auth;
    const char *media[3]; /* accepted body media types; none: no body is read */
    size_t body_limit;
    bool writes;        /* makes a durable write: waits for a disk flush */
    bool staged;        /* runs like a read up to its one durable write (api_defer) */
    api_async_fn async; /* instead of handler: waits on the network (API_RUN_ASYNC) */
    const char *summary;
};

struct ctx {
    const struct api_env *env;
    struct arena *a;
    const struct api_req *req;
    struct api_resp *resp;
    const struct route *route;
    const char *customer_id;   /* {c} */
    const char *id;            /* {id} */
    const char *app_id;        /* {app} */
    const char *rest;          /* path after "/{c}/", what scopes match */
    struct form form;          /* AUTH_CLIENT: the parsed body */
    struct client_auth client; /* AUTH_CLIENT: the caller; AUTH_BEARER: the token's client */
    const char *scope;         /* AUTH_BEARER: the token's granted scopes, space-separated */
    const char *www_auth;      /* WWW-Authenticate for a 401 or 403 */
    const char *oauth_error;   /* token endpoints: the RFC 6749 code of a failure */
    struct api_staged *staged; /* a staged route's deferred write (api_defer), or NULL */
    struct err err;
};

/* A staged route's one durable write. Its handler runs on the event thread
 * like a read, checks and prepares everything, then calls api_defer and
 * returns ST_OK without answering. step runs on the write thread inside
 * group commit's batch: store calls only, on c's arena, its status kept
 * (ST_STORAGE or ST_INTERNAL fails the batch). Once the batch is durable,
 * or failed (then st is ST_STORAGE), `then` answers on an event thread.
 * The write thread so does a write's work only, not the request's. */
typedef enum st (*api_step_fn)(struct ctx *c, void *arg);
typedef void (*api_then_fn)(struct ctx *c, void *arg, enum st st);
void api_defer(struct ctx *c, api_step_fn step, api_then_fn then, void *arg);
/* An asynchronous route's write through group commit, from any thread:
 * queues step (store calls only, on c's arena, as api_defer's) for q's
 * next batch and calls done(w) on the write thread once that batch is on
 * disk, or failed; api_step_status(w) then tells step's status (ST_STORAGE
 * when the batch failed). arg goes to step, and is w->state for done.
 * Without q (no HTTP server: in-process tests) step runs at once, in a
 * transaction of its own, and done is called before this returns. w is
 * the caller's and must live until done. */
void api_commit_step(struct ctx *c, struct api_commit *q, struct api_write *w, api_step_fn step,
                     void *arg, void (*done)(struct api_write *w));
enum st api_step_status(const struct api_write *w);
/* For commit.c: runs w's deferred write in the batch (false when it
 * failed the batch); marks it failed when the batch did not commit. */
bool api_staged_apply(struct api_write *w);
void api_staged_failed(struct api_write *w);

extern const struct route api_routes[];
extern const int api_nroutes;

/* Handlers (one file per resource). */
enum st api_health_get(struct ctx *c);
enum st api_ready_get(struct ctx *c);
enum st api_openapi_get(struct ctx *c);
enum st api_token_grant(struct ctx *c);
enum st api_token_introspect(struct ctx *c);
enum st api_token_revoke(struct ctx *c);
enum st api_policy_list(struct ctx *c);
enum st api_policy_create(struct ctx *c);
enum st api_policy_get(struct ctx *c);
enum st api_policy_replace(struct ctx *c);
enum st api_policy_delete(struct ctx *c);
enum st api_client_list(struct ctx *c);
enum st api_client_create(struct ctx *c);
enum st api_client_get(struct ctx *c);
enum st api_client_replace(struct ctx *c);
enum st api_client_delete(struct ctx *c);
enum st api_client_secret_get(struct ctx *c);
enum st api_client_secret_rotate(struct ctx *c);
enum st api_app_list(struct ctx *c);
enum st api_app_get(struct ctx *c);
enum st api_app_patch(struct ctx *c);
enum st api_app_key_get(struct ctx *c);
enum st api_app_key_rotate(struct ctx *c);
enum st api_provider_list(struct ctx *c);
enum st api_provider_create(struct ctx *c);
enum st api_provider_get(struct ctx *c);
enum st api_provider_modify(struct ctx *c);
enum st api_provider_delete(struct ctx *c);

/* The sign-in runtime (src/signin/). */
enum st api_signin_start(struct ctx *c);
void api_signin_callback(struct ctx *c, struct api_write *w);
enum st api_signin_chooser(struct ctx *c);
enum st api_signin_metadata(struct ctx *c);
enum st api_auth_info(struct ctx *c);

/* Authentication steps run by the router before a handler. */
enum st api_client_auth(struct ctx *c);
enum st api_bearer_auth(struct ctx *c);
/* Checks tok as a token of c->customer_id: ST_FORBIDDEN when it is not live
 * (malformed, expired, forged, revoked, client gone), ST_STORAGE on a store
 * failure. Fills claims, c->client (the token's client) and *scope. */
enum st api_token_check(struct ctx *c, const char *tok, struct token_claims *claims,
                        const char **scope);

/* No escalation (SPEC §3). True when one of the caller's granted scopes
 * covers method on path (the path after "/{c}/"). */
bool api_caller_covers(struct ctx *c, const char *method, const char *path);
/* ST_OK when each of scopes[0..n) is within one of the caller's granted
 * scopes (oauth_scope_within); else ST_FORBIDDEN with insufficient_scope. */
enum st api_caller_holds(struct ctx *c, const char *const *scopes, int n);
/* ST_FORBIDDEN with WWW-Authenticate error="insufficient_scope". */
enum st api_insufficient_scope(struct ctx *c);

/* Renders the failure st as the route's kind of error answer (RFC 6749
 * on the token endpoints, the API's JSON otherwise). */
void api_render_error(struct ctx *c, enum st st);

/* The one table from enum st to HTTP status, and its reason phrase. */
int api_status_of(enum st st);
const char *api_reason(int status);
/* The token endpoints' table from enum st to an RFC 6749 error code. */
const char *api_oauth_error_of(enum st st);

/* Response helpers: the body is serialised into the request arena. */
void api_resp_json(struct ctx *c, int status, json_t *body); /* steals body */
void api_resp_empty(struct ctx *c, int status);
/* Answers with body (n bytes, arena-owned or static) of media type type. */
void api_resp_text(struct ctx *c, int status, const char *type, const char *body, size_t n);
void api_resp_header(struct ctx *c, const char *name, const char *value);
/* Absolute URL: public URL + the path printed from fmt. */
char *api_href(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Conditional requests (RFC 9110 §13). etag is the bare 64-hex tag. */
/* Adds the quoted ETag header. */
void api_etag(struct ctx *c, const char *etag);
/* GET: true when If-None-Match matches etag (weak comparison, or "*"): the
 * caller answers 304. */
bool api_not_modified(struct ctx *c, const char *etag);
/* Unsafe methods: ST_PRECONDITION when If-Match is present and matches
 * neither etag (strong comparison) nor "*", or If-None-Match matches. */
enum st api_preconditions(struct ctx *c, const char *etag);

/* Parses the request body as JSON (nesting ≤ 64, valid UTF-8, no duplicate
 * keys). ST_INVALID with a detail otherwise. *out is owned by the caller. */
enum st api_body_json(struct ctx *c, json_t **out);

#endif
