/* SPDX-License-Identifier: MIT */
/*
 * The queue of transfers waiting for the client's thread: one list in
 * order of arrival (for the deadline: the oldest expire first) and, per
 * host, its own list in the same order (so that take finds the oldest of
 * each host at once, whatever waits before it at a host at its cap).
 */
#include "net_int.h"

#include <stdlib.h>
#include <string.h>

/* A host and port with transfers waiting or in flight. */
struct net_host {
    struct net_host *next, *prev;
    struct net_wait *head, *tail; /* waiting, oldest first */
    int active;                   /* in flight, at most NET_MAX_PER_HOST */
    int refs;                     /* transfers waiting or in flight */
    char key[];
};

/* The host of key, made when new, with one more transfer. */
static struct net_host *host_get(struct net_queue *q, const char *key)
{
    struct net_host *h = q->hosts;
    while (h && strcmp(h->key, key) != 0)
        h = h->next;
    if (!h) {
        size_t n = strlen(key) + 1;
        h = xcalloc(1, sizeof *h + n);
        memcpy(h->key, key, n);
        h->next = q->hosts;
        if (q->hosts)
            q->hosts->prev = h;
        q->hosts = h;
    }
    h->refs++;
    return h;
}

void net_queue_add(struct net_queue *q, struct net_wait *w, const char *key, int64_t now_us)
{
    struct net_host *h = host_get(q, key);
    w->host = h;
    w->seq = q->seq++;
    w->since_us = now_us;
    w->in_flight = false;
    w->next = w->host_next = NULL;
    w->prev = q->tail;
    if (q->tail)
        q->tail->next = w;
    else
        q->head = w;
    q->tail = w;
    if (h->tail)
        h->tail->host_next = w;
    else
        h->head = w;
    h->tail = w;
    q->changed = true;
}

/* Takes w, the oldest of its host's, off both lists. */
static void unlink_oldest(struct net_queue *q, struct net_wait *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        q->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        q->tail = w->prev;
    w->next = w->prev = NULL;
    w->host->head = w->host_next;
    if (!w->host->head)
        w->host->tail = NULL;
    w->host_next = NULL;
}

/* The host whose oldest waiting transfer arrived first, among those below
 * their cap; NULL when none. Hosts are few: at most NET_MAX_IN_FLIGHT have
 * one in flight, and a host at its cap is skipped in one step however many
 * of its transfers wait. */
static struct net_host *next_host(const struct net_queue *q)
{
    struct net_host *best = NULL;
    for (struct net_host *h = q->hosts; h; h = h->next)
        if (h->head && h->active < NET_MAX_PER_HOST && (!best || h->head->seq < best->head->seq))
            best = h;
    return best;
}

struct net_wait *net_queue_take(struct net_queue *q, int room)
{
    struct net_wait *first = NULL, **tail = &first;
    for (; q->changed && room > 0; room--) {
        struct net_host *h = next_host(q);
        if (!h) {
            q->changed = false; /* until an arrival or a freed slot */
            break;
        }
        struct net_wait *w = h->head;
        unlink_oldest(q, w);
        h->active++;
        w->in_flight = true;
        *tail = w;
        tail = &w->next;
    }
    return first;
}

/* The oldest waiting transfer is also the oldest of its host's. */
struct net_wait *net_queue_expire(struct net_queue *q, int64_t before_us)
{
    struct net_wait *first = NULL, **tail = &first;
    while (q->head && q->head->since_us < before_us) {
        struct net_wait *w = q->head;
        unlink_oldest(q, w);
        *tail = w;
        tail = &w->next;
    }
    return first;
}

struct net_wait *net_queue_drain(struct net_queue *q)
{
    struct net_wait *all = q->head;
    q->head = q->tail = NULL;
    for (struct net_host *h = q->hosts; h; h = h->next)
        h->head = h->tail = NULL; /* their transfers are all in the list */
    for (struct net_wait *w = all; w; w = w->next)
        w->prev = w->host_next = NULL;
    return all;
}

void net_queue_leave(struct net_queue *q, struct net_wait *w)
{
    struct net_host *h = w->host;
    w->host = NULL;
    if (w->in_flight) {
        h->active--;
        q->changed = true; /* a slot freed: one of its host's may go */
    }
    if (--h->refs > 0)
        return;
    if (h->prev)
        h->prev->next = h->next;
    else
        q->hosts = h->next;
    if (h->next)
        h->next->prev = h->prev;
    free(h);
}
