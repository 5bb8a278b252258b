/* SPDX-License-Identifier: MIT */
/*
 * net's private parts: the queue where transfers wait for the client's
 * thread. It keeps one provider from holding up the others: at most
 * NET_MAX_PER_HOST transfers in flight to one host, a host at its cap
 * passed over, the rest in order of arrival, and the oldest first to
 * expire. Bookkeeping only: no lock (the caller holds the client's), no
 * clock (the caller passes the time), no libcurl.
 */
#ifndef SG_NET_INT_H
#define SG_NET_INT_H

#include "net.h"

struct net_host;

/* A transfer's place in the queue, embedded in the transfer. */
struct net_wait {
    struct net_wait *next, *prev; /* the queue, or a list handed out (next only) */
    struct net_wait *host_next;   /* its host's queue */
    struct net_host *host;        /* from net_queue_add to net_queue_leave */
    uint64_t seq;                 /* order of arrival */
    int64_t since_us;             /* when it arrived */
    bool in_flight;               /* handed out by net_queue_take: counts against its host */
};

/* Zeroed is empty. */
struct net_queue {
    struct net_wait *head, *tail; /* waiting, oldest first */
    struct net_host *hosts;       /* those with a transfer waiting or in flight */
    uint64_t seq;                 /* the next arrival's */
    bool changed;                 /* take may find one to hand out */
};

/* w arrives at now_us for key, the host and port it connects to (two
 * spellings of one host are two keys: normalise first). */
void net_queue_add(struct net_queue *q, struct net_wait *w, const char *key, int64_t now_us);

/* Hands out up to room waiting transfers (a list linked by next), oldest
 * first, passing over every host with NET_MAX_PER_HOST in flight; each
 * counts against its host until net_queue_leave. Looks no further while
 * nothing arrived and no slot was freed since it last found none to hand
 * out, so a call costs nothing then. */
struct net_wait *net_queue_take(struct net_queue *q, int room);

/* Hands out, oldest first, the transfers still waiting that arrived
 * before before_us. */
struct net_wait *net_queue_expire(struct net_queue *q, int64_t before_us);

/* Hands out every transfer still waiting (at a stop). */
struct net_wait *net_queue_drain(struct net_queue *q);

/* w ends, waiting no more (handed out) or done in flight: its host has one
 * less, and goes with its last. */
void net_queue_leave(struct net_queue *q, struct net_wait *w);

#endif
