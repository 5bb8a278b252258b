/* SPDX-License-Identifier: MIT */
/*
 * Declarations private to http/: the client address behind trusted
 * proxies. Not for other layers.
 */
#ifndef SG_HTTP_INT_H
#define SG_HTTP_INT_H

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

#endif
