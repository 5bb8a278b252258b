/* SPDX-License-Identifier: MIT */
/*
 * api: the route table, the router and the handlers. Receives a request
 * already read by http/ (method, path, a few headers, a capped body) and
 * fills a response; never touches sockets or the HTTP library.
 */
#ifndef SG_API_H
#define SG_API_H

#include <jansson.h>

#include "../app.h"

#define API_BODY_LIMIT (64 * 1024) /* the largest body any route accepts */
#define API_MAX_HEADERS 8

struct api_header {
    const char *name;
    const char *value;
};

/* A request as http/ hands it over. Strings are borrowed for the call. */
struct api_req {
    const char *method;
    const char *path; /* decoded path, no query: see util_path_decode ("%2F" kept) */
    const char *content_type;
    const char *authorization;
    const char *if_match;
    const char *if_none_match;
    const char *remote_addr; /* the client's address, for failure limits; may be NULL */
    const char *remote_net;  /* the same, or its /64 for IPv6; may be NULL */
    const char *body;
    size_t body_len;
    bool body_too_large; /* http/ stopped reading at API_BODY_LIMIT */
    /* ST_OK, or why http/ refuses the request before any route sees it
     * (ST_INVALID: bad path or unsafe framing; ST_NOT_IMPLEMENTED: a
     * transfer coding other than chunked), with a message for the answer */
    enum st refuse;
    const char *refuse_why;
};

/* The answer. body is arena-owned (or static); headers too. */
struct api_resp {
    int status;
    const char *content_type;
    const char *body;
    size_t body_len;
    int nheaders;
    struct api_header headers[API_MAX_HEADERS];
    const char *route; /* pattern of the matched route (static), for the log line */
};

/* Answers one request. a is the request's arena: everything in resp lives
 * in it. Thread-safe. */
void api_handle(struct app *app, struct arena *a, const struct api_req *req, struct api_resp *resp);

/* One request of a batch, with the arena its answer lives in. */
struct api_call {
    struct arena *a;
    const struct api_req *req;
    struct api_resp *resp;
};

/* Answers n write requests as one durable batch: each is handled in turn,
 * then all their writes are committed at once (one disk flush). If that
 * commit fails, every answer of the batch becomes 503. Call from one
 * thread at a time; reads may run on other threads meanwhile. */
void api_handle_batch(struct app *app, struct api_call *calls, int n);

/* True when the request's route makes a durable write (it may wait for a
 * disk flush): http/ runs such requests off its event threads. */
bool api_request_writes(const struct api_req *req);

/* Number of routes and their summaries, for documentation and tests. */
int api_route_count(void);
/* Fills method, pattern and summary of route i (0 ≤ i < api_route_count). */
void api_route_info(int i, const char **method, const char **pattern, const char **summary);

/* True when the entity-tag list h (an If-Match or If-None-Match value, RFC
 * 9110 §13.1) holds etag, the unquoted tag: "*" holds any; a quoted tag
 * holds it when its text is etag exactly. weak: W/ prefixes are ignored
 * (weak comparison); otherwise a W/ tag never matches. A malformed element
 * ends the list: nothing after it matches. h may be NULL. Pure; no
 * allocation; thread-safe. */
bool api_etag_list_has(const char *h, const char *etag, bool weak);

/* Purges expired revocations; called periodically by the server. */
void api_housekeep(struct app *app);

#endif
