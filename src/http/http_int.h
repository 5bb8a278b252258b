/* SPDX-License-Identifier: MIT */
/*
 * Declarations private to http/: the connection guard (per-address limit,
 * request head deadline) and the client address behind trusted proxies.
 * Not for other layers.
 */
#ifndef SG_HTTP_INT_H
#define SG_HTTP_INT_H

#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "../cfg/cfg.h"
#include "../util/util.h"

/* The proxies a request may come through, from --trusted-proxy. */
struct http_trusted {
    const struct net_cidr *ranges;
    int n;
};

bool http_trusted_has(const struct http_trusted *t, const struct net_addr *a);

/* The client's address of a request from peer. Only when peer is trusted
 * are the forwarding headers read: xff (every X-Forwarded-For value, joined
 * by commas, in order) or, when there is none, forwarded (every Forwarded
 * value, joined likewise), right to left, skipping trusted addresses; the
 * first untrusted address is the client. A malformed or obfuscated entry
 * ends the walk: the last address read before it (at worst peer) is the
 * client. Either header may be NULL. */
void http_client_addr(const struct http_trusted *t, const struct net_addr *peer, const char *xff,
                      const char *forwarded, struct net_addr *out);

/* The address of an AF_INET or AF_INET6 socket address; false otherwise. */
bool http_sock_addr(const struct sockaddr *sa, struct net_addr *a);

/* The guard of one daemon: counts connections per address (IPv6: per
 * /64; trusted proxies exempt) and shuts down connections that have not
 * sent a whole request head within cfg->head_timeout seconds of opening or
 * of their previous answer. Starts its reaper thread; aborts if it cannot. */
struct http_guard *http_guard_new(const struct cfg *cfg);
/* Stops the reaper and frees g. Call after MHD_stop_daemon. NULL is fine. */
void http_guard_free(struct http_guard *g);
/* The trusted proxies, borrowed from g. */
const struct http_trusted *http_guard_trusted(const struct http_guard *g);
/* Admits a connection from sa and counts it, or refuses it (false) when
 * its address already has max_connections_per_address open. Counted at
 * accept, so a burst of connects cannot pass the limit. An admitted
 * connection is counted out when libmicrohttpd reports it closed, or by
 * http_guard_release when it could not be handed over. Thread-safe. */
bool http_guard_admit(struct http_guard *g, const struct sockaddr *sa);
void http_guard_release(struct http_guard *g, const struct sockaddr *sa);
/* libmicrohttpd's connection notification (cls = the guard). */
void http_guard_on_connection(void *cls, struct MHD_Connection *conn, void **ctx,
                              enum MHD_ConnectionNotificationCode code);
/* The connection's request head is complete: no deadline until its answer
 * is sent. */
void http_guard_head_done(struct MHD_Connection *conn);
/* The connection now waits for the head of its next request. */
void http_guard_head_wait(struct MHD_Connection *conn);

/* The socket address of listen, HOST:PORT or [IPV6]:PORT (names resolved,
 * the first answer taken). ST_INVALID (e says why) when it cannot be. */
enum st http_addr_resolve(const char *listen, struct sockaddr_storage *sa, struct err *e);
/* True for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104. */
bool http_addr_loopback(const struct sockaddr_storage *sa);
/* A non-blocking socket bound and listening on sa (address reuse on; IPv6
 * only on an IPv6 address) into *fd; ST_INTERNAL naming listen_text when
 * it cannot be. */
enum st http_listen_open(const struct sockaddr_storage *sa, const char *listen_text, int *fd,
                         struct err *e);

/* The metrics listener (metrics.c): serves GET /metrics on listen with a
 * thread of its own, rendering the registry (metrics_render) with the
 * connections open and requests in flight read from the two counters,
 * which must outlive it. Names the routes for the registry. ST_INVALID or
 * ST_INTERNAL (e says why) when listen cannot be served. */
struct http_metrics;
enum st http_metrics_start(const char *listen, const atomic_int *conns, const atomic_int *in_flight,
                           struct http_metrics **out, struct err *e);
/* Stops serving metrics and frees m; NULL is accepted. */
void http_metrics_stop(struct http_metrics *m);

/* Refuses what a proxy in front could frame differently from
 * libmicrohttpd (request smuggling): ST_INVALID (400) or
 * ST_NOT_IMPLEMENTED (501, a transfer coding other than chunked) with
 * *why, a static reason; ST_OK when the framing is plain. version is the
 * request's HTTP version. Call once the header fields are read. */
enum st http_framing_check(struct MHD_Connection *conn, const char *version, const char **why);

#endif
