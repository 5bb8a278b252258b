/* SPDX-License-Identifier: MIT */
/*
 * A fixed-window failure counter per key (here: client id and source
 * address, or an address alone), in a bounded set-associative table with a
 * keyed hash, so attackers can neither grow it nor aim collisions. A key
 * that reached its limit is never evicted before its window ends; when a
 * key finds its bucket full of such keys, the whole bucket refuses unknown
 * keys until the window ends (it fails closed). Knows nothing of what the
 * keys mean.
 */
#include "util.h"

#include <limits.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define LIMIT_WAYS 8       /* slots a key may use */
#define LIMIT_BUCKETS 2048 /* a power of two: 16,384 slots in all */
#define LIMIT_ID 16        /* bytes of the keyed hash that identify a key */

struct limit_slot {
    unsigned char id[LIMIT_ID];
    int64_t window_start;
    int failures; /* 0: free */
};

struct limit_bucket {
    struct limit_slot way[LIMIT_WAYS];
    int64_t overflow_start; /* when a key last found every way locked */
    bool overflow;
};

struct limiter {
    int max;
    int window;
    unsigned char hkey[crypto_generichash_KEYBYTES];
    pthread_mutex_t mu;
    struct limit_bucket *buckets;
};

struct limiter *limiter_new(int max_failures, int window_seconds)
{
    struct limiter *l = xcalloc(1, sizeof *l);
    l->max = max_failures;
    l->window = window_seconds;
    crypto_generichash_keygen(l->hkey);
    pthread_mutex_init(&l->mu, NULL);
    l->buckets = xcalloc(LIMIT_BUCKETS, sizeof *l->buckets);
    return l;
}

void limiter_free(struct limiter *l)
{
    if (!l)
        return;
    pthread_mutex_destroy(&l->mu);
    free(l->buckets);
    free(l);
}

static bool live(const struct limiter *l, const struct limit_slot *s, int64_t now)
{
    return s->failures > 0 && now - s->window_start < l->window && now >= s->window_start;
}

static bool locked(const struct limiter *l, const struct limit_slot *s, int64_t now)
{
    return live(l, s, now) && s->failures >= l->max;
}

/* The key's bucket and identity. */
static struct limit_bucket *bucket(struct limiter *l, const char *key, unsigned char id[LIMIT_ID])
{
    crypto_generichash(id, LIMIT_ID, (const unsigned char *)key, strlen(key), l->hkey,
                       sizeof l->hkey);
    uint64_t x;
    memcpy(&x, id, sizeof x);
    return &l->buckets[x & (LIMIT_BUCKETS - 1)];
}

/* The key's live slot in b, or NULL. */
static struct limit_slot *find(struct limiter *l, struct limit_bucket *b,
                               const unsigned char id[LIMIT_ID], int64_t now)
{
    for (int i = 0; i < LIMIT_WAYS; i++)
        if (live(l, &b->way[i], now) && memcmp(b->way[i].id, id, LIMIT_ID) == 0)
            return &b->way[i];
    return NULL;
}

/* A slot for a new key: a free or expired one, else the unlocked one with
 * the fewest failures (the oldest among equals). NULL when all are locked. */
static struct limit_slot *take(struct limiter *l, struct limit_bucket *b, int64_t now)
{
    struct limit_slot *best = NULL;
    for (int i = 0; i < LIMIT_WAYS; i++) {
        struct limit_slot *s = &b->way[i];
        if (!live(l, s, now))
            return s;
        if (locked(l, s, now))
            continue;
        if (!best || s->failures < best->failures ||
            (s->failures == best->failures && s->window_start < best->window_start))
            best = s;
    }
    return best;
}

static int remaining(const struct limiter *l, int64_t start, int64_t now)
{
    int64_t wait = start + l->window - now;
    return wait > 0 ? (int)(wait < INT_MAX ? wait : INT_MAX) : 0;
}

int limiter_retry_after(struct limiter *l, const char *key, int64_t now)
{
    unsigned char id[LIMIT_ID];
    struct limit_bucket *b = bucket(l, key, id); /* hashed outside the lock */
    pthread_mutex_lock(&l->mu);
    struct limit_slot *s = find(l, b, id, now);
    int wait = 0;
    if (s && s->failures >= l->max)
        wait = remaining(l, s->window_start, now);
    else if (!s && b->overflow)
        wait = remaining(l, b->overflow_start, now); /* fail closed: uncounted key */
    pthread_mutex_unlock(&l->mu);
    return wait;
}

void limiter_fail(struct limiter *l, const char *key, int64_t now)
{
    unsigned char id[LIMIT_ID];
    struct limit_bucket *b = bucket(l, key, id);
    pthread_mutex_lock(&l->mu);
    struct limit_slot *s = find(l, b, id, now);
    if (!s && (s = take(l, b, now)) != NULL) {
        memcpy(s->id, id, LIMIT_ID);
        s->window_start = now;
        s->failures = 0;
    }
    if (s) {
        if (s->failures < INT_MAX)
            s->failures++;
    } else {
        b->overflow = true; /* every way holds a locked key: refuse the rest */
        b->overflow_start = now;
    }
    pthread_mutex_unlock(&l->mu);
}
