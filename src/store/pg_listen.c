/* SPDX-License-Identifier: MIT */
/*
 * The PostgreSQL backend's listener: one connection of its own LISTENs on
 * the channel every server's writes are announced on (pg.c, commit), and a
 * thread turns each notification into store_cache_changed. While the
 * connection is lost, writes elsewhere go unheard, so the cache reads
 * through until LISTEN is back (reconnecting with backoff). It reads
 * nothing else and writes nothing.
 */
#include "pg_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 1000

struct pgs_listener {
    char *url;
    struct store *cache;
    PGconn *pg;     /* NULL while lost */
    int stop_fd[2]; /* a byte written to [1] stops the thread */
    pthread_t thread;
};

/* Connects and subscribes; ST_STORAGE when either fails. */
static enum st subscribe(struct pgs_listener *l, struct err *e)
{
    PGconn *pg = NULL;
    enum st st = pgs_connect(l->url, PGS_LISTEN_APP_NAME, &pg, e);
    if (st != ST_OK)
        return st;
    PGresult *r = PQexec(pg, "LISTEN " PGS_CHANNEL);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        st = ERR(e, ST_STORAGE, NULL, "postgresql: listen: %s", PQerrorMessage(pg));
    PQclear(r);
    if (st != ST_OK || PQsetnonblocking(pg, 1) != 0) {
        PQfinish(pg);
        return st != ST_OK ? st : ERR(e, ST_STORAGE, NULL, "postgresql: listen: non-blocking");
    }
    l->pg = pg;
    return ST_OK;
}

/* Writes from elsewhere may go unheard from now on: read through. */
static void lose(struct pgs_listener *l, const char *why)
{
    store_cache_bypass(l->cache, true);
    log_msg(LOG_WARN, "postgresql: change notifications lost (%s); reading through, reconnecting",
            why);
    PQfinish(l->pg);
    l->pg = NULL;
}

/* Waits up to ms for the stop byte (-1: forever) or, while connected, for
 * the connection to be readable. Returns false when told to stop. */
static bool wait_for(struct pgs_listener *l, int ms, bool *readable)
{
    struct pollfd p[2] = {{.fd = l->stop_fd[0], .events = POLLIN},
                          {.fd = l->pg ? PQsocket(l->pg) : -1, .events = POLLIN}};
    *readable = false;
    int n = poll(p, 2, ms);
    if (n < 0 && errno != EINTR) {
        *readable = true; /* let PQconsumeInput find out what is wrong */
        return true;
    }
    if (n > 0 && p[0].revents)
        return false;
    *readable = n > 0 && p[1].revents;
    return true;
}

/* Tells the cache what each notification names; an unknown name (a newer
 * server's domain) forgets everything. */
static void drain(struct pgs_listener *l)
{
    PGnotify *n;
    while ((n = PQnotifies(l->pg))) {
        enum store_domain d;
        if (store_domain_parse(n->extra, &d))
            store_cache_changed(l->cache, d);
        else
            for (int i = 0; i < SD__COUNT; i++)
                store_cache_changed(l->cache, (enum store_domain)i);
        PQfreemem(n);
    }
}

/* Reconnects with backoff until subscribed or told to stop; then caching
 * resumes. Returns false when told to stop. */
static bool resubscribe(struct pgs_listener *l)
{
    int backoff = BACKOFF_MIN_MS;
    for (;;) {
        bool readable;
        if (!wait_for(l, backoff, &readable))
            return false;
        struct err e = {0};
        if (subscribe(l, &e) == ST_OK)
            break;
        backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
    }
    store_cache_bypass(l->cache, false);
    log_msg(LOG_INFO, "postgresql: change notifications back; caching again");
    return true;
}

static void *run(void *arg)
{
    struct pgs_listener *l = arg;
    for (;;) {
        if (!l->pg && !resubscribe(l))
            break;
        drain(l); /* what came with the last reply is in libpq, not the socket */
        bool readable;
        if (!wait_for(l, -1, &readable))
            break;
        if (!readable)
            continue;
        if (!PQconsumeInput(l->pg) || PQstatus(l->pg) != CONNECTION_OK)
            lose(l, PQstatus(l->pg) != CONNECTION_OK ? "connection closed" : "read failed");
    }
    return NULL;
}

static void listener_free(struct pgs_listener *l)
{
    PQfinish(l->pg);
    close(l->stop_fd[0]);
    close(l->stop_fd[1]);
    free(l->url);
    free(l);
}

enum st pgs_listener_start(const char *url, struct store *cache, struct pgs_listener **out,
                           struct err *e)
{
    *out = NULL;
    struct pgs_listener *l = xcalloc(1, sizeof *l);
    l->url = xstrdup(url);
    l->cache = cache;
    if (pipe2(l->stop_fd, O_CLOEXEC) != 0) {
        free(l->url);
        free(l);
        return ERR(e, ST_INTERNAL, NULL, "pipe: %s", strerror(errno));
    }
    /* Subscribed before the store is handed out: no write is ever unheard
     * while the cache serves. */
    enum st st = subscribe(l, e);
    if (st == ST_OK && pthread_create(&l->thread, NULL, run, l) != 0)
        st = ERR(e, ST_INTERNAL, NULL, "cannot start the listener thread");
    if (st != ST_OK) {
        listener_free(l);
        return st;
    }
    *out = l;
    return ST_OK;
}

void pgs_listener_stop(struct pgs_listener *l)
{
    if (!l)
        return;
    char b = 0;
    while (write(l->stop_fd[1], &b, 1) < 0 && errno == EINTR)
        ;
    pthread_join(l->thread, NULL);
    listener_free(l);
}
