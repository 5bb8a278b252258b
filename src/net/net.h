/* SPDX-License-Identifier: MIT */
/*
 * net: the only code that talks to the outside world (identity providers).
 * libcurl on one thread of its own, driving every transfer at once through
 * a multi handle, so a slow provider holds a transfer, never a thread.
 * Every call: https only, certificates verified (system CAs plus an
 * optional CA file), connect and total timeouts, an answer size cap, no
 * redirects (a 3xx is a failure), no proxy from the environment, and no
 * connection to a loopback, private, link-local or otherwise non-public
 * address after DNS resolution unless allowed. Connections are reused.
 * One slow host cannot hold the others up: it gets at most
 * NET_MAX_PER_HOST transfers at once, and a request waits in the queue no
 * longer than the connect timeout. Knows no HTTP server, store or protocol.
 */
#ifndef SG_NET_H
#define SG_NET_H

#include "../util/util.h"

#define NET_CONNECT_MS 5000         /* connect, TLS included */
#define NET_TOTAL_MS 10000          /* a whole transfer */
#define NET_MAX_BYTES (1024 * 1024) /* an answer's body */
#define NET_MAX_IN_FLIGHT 256       /* transfers at once; more wait in the queue */
#define NET_MAX_PER_HOST 64         /* transfers at once to one host:port */

struct net_opts {
    const char *ca_file; /* PEM CAs trusted besides the system's, or NULL */
    bool allow_private;  /* --allow-private-network: local IdPs, tests */
    long connect_ms;     /* 0: NET_CONNECT_MS; also the longest wait in the queue */
    long total_ms;       /* 0: NET_TOTAL_MS */
    size_t max_bytes;    /* 0: NET_MAX_BYTES */
};

/* One outbound request. Strings are copied by net_fetch. */
struct net_request {
    const char *method; /* "GET" or "POST" */
    const char *url;    /* https://... */
    const char *body;   /* POST body, or NULL */
    size_t body_len;
    const char *content_type;  /* of body, or NULL */
    const char *authorization; /* the whole Authorization value (a secret:
                                * never logged), or NULL */
    const char *accept;        /* or NULL */
};

/* Why a fetch failed: static text for the log line, naming no URL, header
 * or body, with the status it comes with.
 * ST_INVALID: the request was not sent, or its answer is refused. */
#define NET_WHY_NOT_HTTPS "https only"      /* a URL of another scheme */
#define NET_WHY_BAD_REQUEST "bad request"   /* method, URL, or CR/LF in a header value */
#define NET_WHY_REDIRECT "redirect refused" /* a 3xx answer (status is set) */
/* ST_TOO_LARGE: the body passed max_bytes, announced or not. */
#define NET_WHY_TOO_LARGE "answer over the size cap"
/* ST_FORBIDDEN: the guard refused an address, and no other was reached. */
#define NET_WHY_NOT_PUBLIC "address not public"
/* ST_INTERNAL: the provider could not be reached, the request waited in
 * the queue longer than connect_ms, or net_client_stop. */
#define NET_WHY_TIMED_OUT "timed out"
#define NET_WHY_RESOLVE "could not resolve"
#define NET_WHY_CONNECT "could not connect"
#define NET_WHY_TLS_VERIFY "TLS verification failed" /* untrusted or wrong certificate */
#define NET_WHY_TLS "TLS handshake failed"
#define NET_WHY_TRANSFER "transfer failed"      /* the connection broke, or no valid answer */
#define NET_WHY_BUSY "too many calls in flight" /* never sent: the queue's deadline passed */
#define NET_WHY_STOPPING "stopping"

/* What came back. st is ST_OK when an HTTP answer arrived (any status but
 * a 3xx); otherwise st and why (a NET_WHY_ text) name the failure. */
struct net_response {
    enum st st;
    const char *why;
    long status;
    char content_type[128]; /* media type as sent, "" when none; cut at 127 */
    char *body;             /* xmalloc'd, NUL-terminated (len excludes it); NULL when st != ST_OK */
    size_t len;
};

struct net_client;

/* Starts the client and its thread, reading the CAs once (the system's
 * bundle, and ca_file). ST_INVALID (e names the file) when ca_file cannot
 * be read, is over 4 MiB or holds no PEM certificate; ST_INTERNAL when
 * libcurl cannot start. Call before other threads use libcurl (its global
 * initialisation happens here, once). */
enum st net_client_start(const struct net_opts *o, struct net_client **out, struct err *e);
/* Ends every transfer in flight (their done runs with ST_INTERNAL,
 * "stopping"), joins the thread, frees c. NULL is accepted. */
void net_client_stop(struct net_client *c);

/* Called once per net_fetch, on the client's thread: must not block (hand
 * the work to another thread). resp and its body belong to the callee:
 * net_response_free. */
typedef void (*net_done_fn)(void *arg, struct net_response *resp);

/* Starts req (copied) and returns at once; done(arg, resp) runs later on
 * the client's thread, exactly once (on the caller's thread instead when
 * net_client_stop has already ended the client's thread). At most
 * NET_MAX_IN_FLIGHT transfers run at once, and at most NET_MAX_PER_HOST to
 * one host (the URL's host and port, as libcurl connects to them); the
 * others wait in the queue in order, except that a request to a host at
 * its cap never holds back one to another host. A request still waiting
 * after connect_ms fails unsent (ST_INTERNAL, NET_WHY_BUSY); total_ms
 * counts from when the transfer leaves the queue.
 * Thread-safe; done may call net_fetch, never net_client_stop. */
void net_fetch(struct net_client *c, const struct net_request *req, net_done_fn done, void *arg);

/* Frees a response and wipes its body (it may hold tokens). */
void net_response_free(struct net_response *r);

/* Whether an outbound connection may go to a: false for loopback,
 * unspecified, private (RFC 1918, ULA fc00::/7), carrier-grade NAT,
 * link-local, multicast, reserved and documentation ranges, IPv4-mapped
 * or NAT64 forms of those. Pure. */
bool net_addr_public(const struct net_addr *a);

#endif
