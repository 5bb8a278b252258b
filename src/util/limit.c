/* SPDX-License-Identifier: MIT */
/*
 * A fixed-window failure counter per key (here: client id and source
 * address), in a bounded table with a keyed hash, so attackers can neither
 * grow it nor aim collisions. Knows nothing of what the keys mean.
 */
#include "util.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIMIT_SLOTS 16384 /* a power of two */
#define LIMIT_KEY 160

struct limit_slot {
    char key[LIMIT_KEY];
    int64_t window_start;
    int failures;
};

struct limiter {
    int max;
    int window;
    unsigned char hkey[crypto_shorthash_KEYBYTES];
    pthread_mutex_t mu;
    struct limit_slot *slots;
};

struct limiter *limiter_new(int max_failures, int window_seconds)
{
    struct limiter *l = xcalloc(1, sizeof *l);
    l->max = max_failures;
    l->window = window_seconds;
    crypto_shorthash_keygen(l->hkey);
    pthread_mutex_init(&l->mu, NULL);
    l->slots = xcalloc(LIMIT_SLOTS, sizeof *l->slots);
    return l;
}

void limiter_free(struct limiter *l)
{
    if (!l)
        return;
    pthread_mutex_destroy(&l->mu);
    free(l->slots);
    free(l);
}

/* The key's slot, reset when it held another key or its window is over. */
static struct limit_slot *slot(struct limiter *l, const char *key, int64_t now)
{
    unsigned char h[crypto_shorthash_BYTES];
    crypto_shorthash(h, (const unsigned char *)key, strlen(key), l->hkey);
    uint64_t x;
    memcpy(&x, h, sizeof x);
    struct limit_slot *s = &l->slots[x & (LIMIT_SLOTS - 1)];
    if (strncmp(s->key, key, LIMIT_KEY) != 0 || now - s->window_start >= l->window) {
        snprintf(s->key, sizeof s->key, "%s", key);
        s->window_start = now;
        s->failures = 0;
    }
    return s;
}

int limiter_retry_after(struct limiter *l, const char *key, int64_t now)
{
    pthread_mutex_lock(&l->mu);
    struct limit_slot *s = slot(l, key, now);
    int wait = s->failures >= l->max ? (int)(s->window_start + l->window - now) : 0;
    pthread_mutex_unlock(&l->mu);
    return wait > 0 ? wait : 0;
}

void limiter_fail(struct limiter *l, const char *key, int64_t now)
{
    pthread_mutex_lock(&l->mu);
    slot(l, key, now)->failures++;
    pthread_mutex_unlock(&l->mu);
}
