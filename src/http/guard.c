/* SPDX-License-Identifier: MIT */
/*
 * Bounds libmicrohttpd does not give: connections per address (IPv6: per
 * /64), counted when the accept thread takes a connection, and a deadline
 * for each whole request head, enforced by a reaper thread that shuts down
 * the sockets of connections still waiting for a complete head. Also holds the
 * trusted proxies (--trusted-proxy), which the limit exempts. Does not read
 * or write HTTP.
 */
#include "http_int.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define REAP_MS 250 /* how often request heads past their deadline are looked for */

/* Open connections of one address or /64: a chained hash table with a
 * keyed hash, with at least as many buckets as --max-connections. */
struct addr_count {
    struct addr_count *next;
    struct net_addr net;
    int n;
};

/* One open connection (libmicrohttpd's socket context). */
struct conn {
    struct conn *prev, *next;
    int fd;
    struct net_addr net;           /* what the per-address limit counts */
    bool counted;                  /* not from a trusted proxy */
    bool shut;                     /* shut down for missing its head deadline */
    atomic_llong waiting_since_us; /* waiting for a request head since; 0 while one is handled */
};

struct http_guard {
    struct net_cidr *ranges;
    struct http_trusted trusted;
    long per_address;
    int64_t head_us;
    pthread_mutex_t mu; /* conns, counts, shut, stop */
    pthread_cond_t cv;
    pthread_t reaper;
    bool stop;
    struct conn *conns;
    struct addr_count **counts;
    size_t ncounts; /* a power of two */
    unsigned char key[crypto_shorthash_KEYBYTES];
};

bool http_sock_addr(const struct sockaddr *sa, struct net_addr *a)
{
    if (sa && sa->sa_family == AF_INET) {
        static const unsigned char mapped[12] = {[10] = 0xff, [11] = 0xff};
        memcpy(a->b, mapped, sizeof mapped);
        memcpy(a->b + 12, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
        return true;
    }
    if (sa && sa->sa_family == AF_INET6) {
        memcpy(a->b, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
        return true;
    }
    return false;
}

const struct http_trusted *http_guard_trusted(const struct http_guard *g)
{
    return &g->trusted;
}

/* The network the per-address limit counts: the IPv4 address, the IPv6 /64. */
static void count_net(const struct net_addr *a, struct net_addr *net)
{
    *net = *a;
    if (!net_addr_is_v4(a))
        memset(net->b + 8, 0, 8);
}

/* The link that holds net's count, or the NULL link at its bucket's end. */
static struct addr_count **count_link(struct http_guard *g, const struct net_addr *net)
{
    unsigned char h[crypto_shorthash_BYTES];
    crypto_shorthash(h, net->b, sizeof net->b, g->key);
    uint64_t x;
    memcpy(&x, h, sizeof x);
    struct addr_count **p = &g->counts[x & (g->ncounts - 1)];
    while (*p && memcmp((*p)->net.b, net->b, sizeof net->b) != 0)
        p = &(*p)->next;
    return p;
}

/* Adds delta to net's count; frees it at zero. Call with mu held. */
static void count_add(struct http_guard *g, const struct net_addr *net, int delta)
{
    struct addr_count **p = count_link(g, net);
    if (!*p) {
        *p = xcalloc(1, sizeof **p);
        (*p)->net = *net;
    }
    (*p)->n += delta;
    if ((*p)->n <= 0) {
        struct addr_count *dead = *p;
        *p = dead->next;
        free(dead);
    }
}

/* The network the per-address limit counts for sa into net; false when
 * none is counted (not an IP address, or a trusted proxy). */
static bool counted_net(struct http_guard *g, const struct sockaddr *sa, struct net_addr *net)
{
    struct net_addr a;
    if (!http_sock_addr(sa, &a) || http_trusted_has(&g->trusted, &a))
        return false;
    count_net(&a, net);
    return true;
}

bool http_guard_admit(struct http_guard *g, const struct sockaddr *sa)
{
    struct net_addr net;
    if (!counted_net(g, sa, &net))
        return true;
    pthread_mutex_lock(&g->mu);
    const struct addr_count *c = *count_link(g, &net);
    bool admit = !c || c->n < g->per_address;
    if (admit)
        count_add(g, &net, 1);
    pthread_mutex_unlock(&g->mu);
    return admit;
}

void http_guard_release(struct http_guard *g, const struct sockaddr *sa)
{
    struct net_addr net;
    if (!counted_net(g, sa, &net))
        return;
    pthread_mutex_lock(&g->mu);
    count_add(g, &net, -1);
    pthread_mutex_unlock(&g->mu);
}

static void opened(struct http_guard *g, struct MHD_Connection *conn, void **ctx)
{
    const union MHD_ConnectionInfo *fd =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    struct conn *c = xcalloc(1, sizeof *c);
    c->fd = fd ? fd->connect_fd : -1;
    c->counted = ci && counted_net(g, ci->client_addr, &c->net); /* admitted: counted */
    atomic_store(&c->waiting_since_us, util_mono_us());
    pthread_mutex_lock(&g->mu);
    c->next = g->conns;
    if (g->conns)
        g->conns->prev = c;
    g->conns = c;
    pthread_mutex_unlock(&g->mu);
    *ctx = c;
}

/* libmicrohttpd tells of a close before it closes the socket, so the
 * reaper, which shuts sockets down under mu, never touches a closed one. */
static void closed(struct http_guard *g, void **ctx)
{
    struct conn *c = *ctx;
    if (!c)
        return;
    pthread_mutex_lock(&g->mu);
    if (c->prev)
        c->prev->next = c->next;
    else
        g->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    if (c->counted)
        count_add(g, &c->net, -1);
    pthread_mutex_unlock(&g->mu);
    free(c);
    *ctx = NULL;
}

void http_guard_on_connection(void *cls, struct MHD_Connection *conn, void **ctx,
                              enum MHD_ConnectionNotificationCode code)
{
    if (code == MHD_CONNECTION_NOTIFY_STARTED)
        opened(cls, conn, ctx);
    else if (code == MHD_CONNECTION_NOTIFY_CLOSED)
        closed(cls, ctx);
}

static void set_waiting(struct MHD_Connection *conn, int64_t since_us)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct conn *c = ci ? ci->socket_context : NULL;
    if (c)
        atomic_store(&c->waiting_since_us, since_us);
}

void http_guard_head_done(struct MHD_Connection *conn)
{
    set_waiting(conn, 0);
}

void http_guard_head_wait(struct MHD_Connection *conn)
{
    set_waiting(conn, util_mono_us());
}

/* Shuts down, every REAP_MS, each connection that has waited longer than
 * the deadline for a complete head, however steadily it trickles in:
 * libmicrohttpd then sees the end of the stream and closes it. */
static void *reaper_main(void *arg)
{
    struct http_guard *g = arg;
    pthread_mutex_lock(&g->mu);
    while (!g->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += REAP_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L)
            ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&g->cv, &g->mu, &ts);
        int64_t now = util_mono_us();
        for (struct conn *c = g->conns; c; c = c->next) {
            int64_t since = atomic_load(&c->waiting_since_us);
            if (since && now - since > g->head_us && !c->shut && c->fd >= 0) {
                shutdown(c->fd, SHUT_RDWR);
                c->shut = true;
            }
        }
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

struct http_guard *http_guard_new(const struct cfg *cfg)
{
    struct http_guard *g = xcalloc(1, sizeof *g);
    const struct cfg_list *l = &cfg->trusted_proxies;
    g->ranges = xcalloc((size_t)l->n + 1, sizeof *g->ranges);
    for (int i = 0; i < l->n; i++) /* validated by cfg already */
        if (net_cidr_parse(l->v[i], &g->ranges[g->trusted.n], NULL) == ST_OK)
            g->trusted.n++;
    g->trusted.ranges = g->ranges;
    g->per_address = cfg->max_connections_per_address;
    g->head_us = cfg->head_timeout * 1000000LL;
    g->ncounts = 64;
    while (g->ncounts < (size_t)cfg->max_connections)
        g->ncounts *= 2;
    g->counts = xcalloc(g->ncounts, sizeof *g->counts);
    crypto_shorthash_keygen(g->key);
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
    if (pthread_create(&g->reaper, NULL, reaper_main, g) != 0)
        abort(); /* cannot bound request heads: better to stop at start */
    return g;
}

void http_guard_free(struct http_guard *g)
{
    if (!g)
        return;
    pthread_mutex_lock(&g->mu);
    g->stop = true;
    pthread_cond_signal(&g->cv);
    pthread_mutex_unlock(&g->mu);
    pthread_join(g->reaper, NULL);
    for (size_t i = 0; i < g->ncounts; i++)
        while (g->counts[i]) {
            struct addr_count *next = g->counts[i]->next;
            free(g->counts[i]);
            g->counts[i] = next;
        }
    while (g->conns) { /* only if the daemon did not say it closed them */
        struct conn *next = g->conns->next;
        free(g->conns);
        g->conns = next;
    }
    free(g->counts);
    free(g->ranges);
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
    free(g);
}
