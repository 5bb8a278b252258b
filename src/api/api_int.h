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

enum auth {
    AUTH_NONE,   /* open (health) */
    AUTH_CLIENT, /* configuration-client credentials (token endpoints) */
    AUTH_BEARER, /* an access token whose scope covers the call */
};

struct ctx;
typedef enum st (*api_handler_fn)(struct ctx *c);

struct route {
    const char *method;
    const char *pattern; /* "/{c}/config/clients/{id}" */
    api_handler_fn handler;
    enum auth auth;
    const char *media; /* required body media type, NULL when no body is read */
    size_t body_limit;
    const char *summary;
};

struct ctx {
    struct app *app;
    struct arena *a;
    const struct api_req *req;
    struct api_resp *resp;
    const struct route *route;
    const char *customer_id;   /* {c} */
    const char *id;            /* {id} */
    const char *rest;          /* path after "/{c}/", what scopes match */
    struct form form;          /* AUTH_CLIENT: the parsed body */
    struct client_auth client; /* AUTH_CLIENT: the caller; AUTH_BEARER: the token's client */
    const char *www_auth;      /* WWW-Authenticate for a 401 or 403 */
    const char *oauth_error;   /* token endpoints: the RFC 6749 code of a failure */
    struct err err;
};

extern const struct route api_routes[];
extern const int api_nroutes;

/* Handlers (one file per resource). */
enum st h_health(struct ctx *c);
enum st h_token(struct ctx *c);
enum st h_introspect(struct ctx *c);
enum st h_revoke(struct ctx *c);
enum st h_policy_list(struct ctx *c);
enum st h_policy_create(struct ctx *c);
enum st h_policy_get(struct ctx *c);
enum st h_policy_put(struct ctx *c);
enum st h_policy_delete(struct ctx *c);
enum st h_client_list(struct ctx *c);
enum st h_client_create(struct ctx *c);
enum st h_client_get(struct ctx *c);
enum st h_client_put(struct ctx *c);
enum st h_client_delete(struct ctx *c);
enum st h_secret_get(struct ctx *c);
enum st h_secret_rotate(struct ctx *c);

/* Authentication steps run by the router before a handler. */
enum st api_client_auth(struct ctx *c);
enum st api_bearer_auth(struct ctx *c);
/* Checks tok as a token of c->customer_id: ST_FORBIDDEN when it is not live
 * (malformed, expired, forged, revoked, client gone), ST_STORAGE on a store
 * failure. Fills claims, c->client (the token's client) and *scope. */
enum st api_token_check(struct ctx *c, const char *tok, struct token_claims *claims,
                        const char **scope);

/* The one table from enum st to HTTP status, and its reason phrase. */
int api_status_of(enum st st);
const char *api_reason(int status);
/* The token endpoints' table from enum st to an RFC 6749 error code. */
const char *api_oauth_error_of(enum st st);

/* Response helpers: the body is serialised into the request arena. */
void resp_json(struct ctx *c, int status, json_t *body); /* steals body */
void resp_empty(struct ctx *c, int status);
void resp_header(struct ctx *c, const char *name, const char *value);
/* Absolute URL: public URL + the path printed from fmt. */
char *api_href(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Parses the request body as JSON (nesting ≤ 64, valid UTF-8, no duplicate
 * keys). ST_INVALID with a detail otherwise. *out is owned by the caller. */
enum st api_body_json(struct ctx *c, json_t **out);

#endif
