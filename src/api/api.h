/* SPDX-License-Identifier: MIT */
/*
 * api: the route table, the router and the handlers. Receives a request
 * already read by http/ (method, path, a few headers, a capped body) and
 * fills a response; never touches sockets or the HTTP library.
 */
#ifndef SG_API_H
#define SG_API_H

#include <jansson.h>

#include "../store/store.h"

#include <stdatomic.h>

/* What api/ uses of the application, and nothing else: the store, the
 * keys, the clock, the public base URL of links, the failure limiters and
 * whether the server is stopping. Filled by app/; borrowed for the
 * server's life. */
struct api_env {
    struct store *store;
    const struct keys *keys;
    clock_fn now;
    const char *public_url;
    struct limiter *auth_failures; /* per (client id, source address) */
    struct limiter *addr_failures; /* per source address (IPv6: /64) */
    struct limiter *starts;        /* sign-ins begun per source address: flows are rows */
    const atomic_bool *draining;   /* stopping: /healthz answers 503 */
    struct signin *signin; /* the sign-in runtime (SPEC §7), or NULL: its routes answer 503 */
};

/* The body a route accepts at most: API_BODY_LIMIT, or for the one route
 * that takes more (a SAML response posted to a callback) API_BODY_MAX. */
#define API_BODY_LIMIT (64 * 1024)
#define API_BODY_MAX (256 * 1024)
#define API_MAX_HEADERS 8

struct api_header {
    const char *name;
    const char *value;
};

struct route;
struct signin;

/* Which route a request is for, found once by api_match (http/ needs to
 * know whether it writes before it runs it). Strings are arena-owned. */
struct api_match {
    bool done;                 /* filled: api_handle uses it as it is */
    const struct route *route; /* NULL: no route (404), or the method is not allowed (405) */
    const char *customer_id;   /* the {c}, {id} and {app} segments, or NULL */
    const char *id;
    const char *app_id;
    const char *allow; /* the route's methods when route is NULL but the path matched */
};

/* A request as http/ hands it over. Strings are borrowed for the call. */
struct api_req {
    const char *method;
    const char *path;  /* decoded path, no query: see util_path_decode ("%2F" kept) */
    const char *query; /* the target's query as sent, without '?' ("" when none) */
    const char *id;    /* the request id the answer carries (X-Request-Id), for pages and logs */
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
    struct api_match match; /* by api_match; api_handle matches itself when not done */
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
    int route_no;      /* its index in the route table + 1, for the metrics; 0: none */
};

/* Answers one request. a is the request's arena: everything in resp lives
 * in it. Thread-safe. */
void api_handle(const struct api_env *env, struct arena *a, const struct api_req *req,
                struct api_resp *resp);

/* Group commit (commit.c): one write thread answers the writes queued
 * meanwhile as one batch, with one durable commit, then hands each back.
 * A write request waiting for it; the fields before next are the caller's. */
struct api_write {
    struct arena *a;           /* the request's arena: its answer lives there */
    const struct api_req *req; /* matched by api_match */
    struct api_resp *resp;
    /* Called on the write thread once resp is final: durable, or failed
     * (503 when the batch's commit failed); for a staged request or a
     * step, once its write is (api_staged_end, api_step_status). */
    void (*done)(struct api_write *w);
    struct api_commit *commit; /* group commit, for an asynchronous route's writes, or NULL */
    struct api_write *next;    /* the queue's */
    void *state;               /* an asynchronous route's own (api_async_*) */
    struct api_staged *staged; /* a staged route's deferred write (api_staged_*) */
};

struct api_commit;

/* Starts the write thread. Call before any request can arrive. */
struct api_commit *api_commit_start(const struct api_env *env);
/* Queues w; its done runs on the write thread. Thread-safe. */
void api_commit_enqueue(struct api_commit *q, struct api_write *w);
/* Answers what is queued, ends the write thread and frees q (NULL is
 * accepted). No api_commit_enqueue may follow or race it. */
void api_commit_stop(struct api_commit *q);
/* One batch, as the write thread runs it: begins the store's batch,
 * answers each of w[0..n) in turn, commits. When the batch cannot begin or
 * commit, or one of its writes fails in the store (a 5xx answer), nothing
 * of the batch stays (rolled back) and every answer but a 4xx (refused
 * before writing) becomes 503. Does not call done. For tests. */
void api_commit_batch(const struct api_env *env, struct api_write **w, int n);

/* Where a request runs, as api_match says. */
enum api_run {
    API_RUN_HERE,   /* api_handle on the event thread: reads memory or the store's cache */
    API_RUN_WRITE,  /* a durable write: group commit (api_commit_*), off the event threads */
    API_RUN_ASYNC,  /* waits on the network (the sign-in callback): api_async_* */
    API_RUN_STAGED, /* here, then maybe one durable write by group commit: api_staged_* */
};

/* Matches req against the route table once, into req->match (strings in
 * a), and says where it runs. */
enum api_run api_match(struct arena *a, struct api_req *req);

/* Asynchronous routes (API_RUN_ASYNC). api_async_begin runs the router's
 * checks on the calling thread and answers at once what they refuse: then
 * it returns false and w->resp is final (done is never called). When it
 * returns true, the caller suspends the request and calls api_async_go,
 * after which w->done runs exactly once, on another thread, with the
 * final answer. The fields of w before next are the caller's. */
bool api_async_begin(const struct api_env *env, struct api_write *w);
void api_async_go(struct api_write *w);
/* Staged routes (API_RUN_STAGED: the sign-in start and auth_info). The
 * request runs on the calling thread up to its one durable write:
 * api_staged_begin returns false when it needs none, and w->resp is then
 * final. When it returns true, the caller suspends the request and queues
 * w to group commit (api_commit_enqueue), whose batch makes the write;
 * after w->done has run, the caller calls api_staged_end on an event
 * thread, which fills w->resp. */
bool api_staged_begin(const struct api_env *env, struct api_write *w);
void api_staged_end(struct api_write *w);

/* Answers every asynchronous request still waiting (the server stops)
 * and returns once each has called its done. */
void api_async_cancel(const struct api_env *env);

/* The most body bytes the route of method and path accepts: its limit when
 * over API_BODY_LIMIT, else API_BODY_LIMIT (also when no route matches).
 * http/ asks only once a body goes past API_BODY_LIMIT. Pure. */
size_t api_body_limit(const char *method, const char *path);

/* Number of routes and their summaries, for documentation and tests. */
int api_route_count(void);
/* Fills method, pattern and summary of route i (0 ≤ i < api_route_count). */
void api_route_info(int i, const char **method, const char **pattern, const char **summary);
/* The OpenAPI description of the routes (docs/openapi.yaml, as the compact
 * JSON text GET /openapi.json answers), built into the binary: static, n
 * bytes in *len, NUL-terminated. */
const char *api_openapi_text(size_t *len);

/* True when the entity-tag list h (an If-Match or If-None-Match value, RFC
 * 9110 §13.1) holds etag, the unquoted tag: "*" holds any; a quoted tag
 * holds it when its text is etag exactly. weak: W/ prefixes are ignored
 * (weak comparison); otherwise a W/ tag never matches. A malformed element
 * ends the list: nothing after it matches. h may be NULL. Pure; no
 * allocation; thread-safe. */
bool api_etag_list_has(const char *h, const char *etag, bool weak);

/* Purges expired revocations, sign-in flows and one-time tokens; called
 * periodically by the server. */
void api_housekeep(const struct api_env *env);

#endif
