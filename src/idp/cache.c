/* SPDX-License-Identifier: MIT */
/*
 * Discovery documents and key sets per issuer, and SAML providers' parsed
 * certificates, for the process: a fixed table of IDP_CACHE_ISSUERS
 * entries under one mutex, the least recently used entry making room for a
 * new one, so tenants naming many issuers or certificates cannot grow it.
 * Key sets and certificates are counted references: a run verifies with
 * its own reference, outside the lock, while another replaces the entry.
 * Fetches nothing; runs ask, fetch (or parse), and put.
 */
#include "idp_int.h"

#include "../saml/saml.h"

#include <sodium.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    char *iss; /* NULL: a free slot */
    uint64_t used;
    /* discovery, when disc_at != 0 */
    int64_t disc_at;
    char *issuer, *token_endpoint, *jwks_uri;
    /* the key set read from keys_uri at keys_at */
    struct idp_keys *keys;
    char *keys_uri;
    int64_t keys_at;
    int64_t refetch_at; /* the last forced fetch, 0 when none */
    /* a certificate's entry ("x509:" and its SHA-256) holds this alone */
    struct idp_saml_key *saml;
};

struct idp_cache {
    pthread_mutex_t mu;
    uint64_t tick; /* recency of use */
    struct entry e[IDP_CACHE_ISSUERS];
};

struct idp_cache *idp_cache_new(void)
{
    struct idp_cache *c = xcalloc(1, sizeof *c);
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

void idp_keys_release(struct idp_keys *k)
{
    if (k && __atomic_sub_fetch(&k->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        jose_jwks_free(k->k);
        free(k);
    }
}

void idp_saml_key_release(struct idp_saml_key *k)
{
    if (k && __atomic_sub_fetch(&k->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        saml_key_free(k->k);
        free(k);
    }
}

static struct idp_keys *keys_ref(struct idp_keys *k)
{
    if (k)
        __atomic_add_fetch(&k->refs, 1, __ATOMIC_RELAXED);
    return k;
}

static void entry_clear(struct entry *x)
{
    free(x->iss);
    free(x->issuer);
    free(x->token_endpoint);
    free(x->jwks_uri);
    free(x->keys_uri);
    idp_keys_release(x->keys);
    idp_saml_key_release(x->saml);
    memset(x, 0, sizeof *x);
}

void idp_cache_free(struct idp_cache *c)
{
    if (!c)
        return;
    for (int i = 0; i < IDP_CACHE_ISSUERS; i++)
        entry_clear(&c->e[i]);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

/* The entry of iss, or NULL; with create, a new one in a free slot or in
 * place of the least recently used. Under the lock. */
static struct entry *find(struct idp_cache *c, const char *iss, bool create)
{
    struct entry *oldest = &c->e[0];
    for (int i = 0; i < IDP_CACHE_ISSUERS; i++) {
        struct entry *x = &c->e[i];
        if (x->iss && !strcmp(x->iss, iss)) {
            x->used = ++c->tick;
            return x;
        }
        if (!x->iss ? oldest->iss != NULL : (oldest->iss && x->used < oldest->used))
            oldest = x;
    }
    if (!create)
        return NULL;
    entry_clear(oldest);
    oldest->iss = xstrdup(iss);
    oldest->used = ++c->tick;
    return oldest;
}

/* A run's now may be a little older than what another run put. */
static bool fresh(int64_t at, int64_t now)
{
    return at != 0 && now - at < IDP_CACHE_TTL;
}

bool idp_cache_discovery_find(struct idp_cache *c, const char *iss, int64_t now, struct arena *a,
                              struct idp_discovery *out)
{
    if (!c)
        return false;
    pthread_mutex_lock(&c->mu);
    struct entry *x = find(c, iss, false);
    bool hit = x && fresh(x->disc_at, now);
    if (hit) {
        out->issuer = arena_strdup(a, x->issuer);
        out->token_endpoint = arena_strdup(a, x->token_endpoint);
        out->jwks_uri = arena_strdup(a, x->jwks_uri);
    }
    pthread_mutex_unlock(&c->mu);
    return hit;
}

void idp_cache_discovery_put(struct idp_cache *c, const char *iss, const struct idp_discovery *d,
                             int64_t now)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->mu);
    struct entry *x = find(c, iss, true);
    free(x->issuer);
    free(x->token_endpoint);
    free(x->jwks_uri);
    x->issuer = xstrdup(d->issuer);
    x->token_endpoint = xstrdup(d->token_endpoint);
    x->jwks_uri = xstrdup(d->jwks_uri);
    x->disc_at = now ? now : 1;
    pthread_mutex_unlock(&c->mu);
}

struct idp_keys *idp_cache_keys_find(struct idp_cache *c, const char *iss, const char *jwks_uri,
                                     int64_t now)
{
    if (!c)
        return NULL;
    pthread_mutex_lock(&c->mu);
    struct entry *x = find(c, iss, false);
    struct idp_keys *k = NULL;
    if (x && x->keys && fresh(x->keys_at, now) && !strcmp(x->keys_uri, jwks_uri))
        k = keys_ref(x->keys);
    pthread_mutex_unlock(&c->mu);
    return k;
}

struct idp_keys *idp_cache_keys_put(struct idp_cache *c, const char *iss, const char *jwks_uri,
                                    struct jose_jwks *k, int64_t now)
{
    struct idp_keys *keys = xcalloc(1, sizeof *keys);
    keys->refs = 1;
    keys->k = k;
    if (!c)
        return keys;
    pthread_mutex_lock(&c->mu);
    struct entry *x = find(c, iss, true);
    idp_keys_release(x->keys);
    free(x->keys_uri);
    x->keys = keys_ref(keys);
    x->keys_uri = xstrdup(jwks_uri);
    x->keys_at = now ? now : 1;
    pthread_mutex_unlock(&c->mu);
    return keys;
}

struct idp_saml_key *idp_cache_saml_key(struct idp_cache *c, const char *certificate)
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)certificate, strlen(certificate));
    char name[5 + 2 * sizeof h + 1] = "x509:";
    sodium_bin2hex(name + 5, sizeof name - 5, h, sizeof h);
    struct idp_saml_key *k = NULL;
    if (c) {
        pthread_mutex_lock(&c->mu);
        struct entry *x = find(c, name, false);
        if (x && x->saml) {
            k = x->saml;
            __atomic_add_fetch(&k->refs, 1, __ATOMIC_RELAXED);
        }
        pthread_mutex_unlock(&c->mu);
        if (k)
            return k;
    }
    struct saml_key *parsed; /* outside the lock: it takes about 100 us */
    if (saml_key_parse(certificate, &parsed, NULL) != ST_OK)
        return NULL;
    k = xcalloc(1, sizeof *k);
    k->refs = 1;
    k->k = parsed;
    if (!c)
        return k;
    pthread_mutex_lock(&c->mu);
    struct entry *x = find(c, name, true);
    idp_saml_key_release(x->saml); /* another run's parse of the same text */
    x->saml = k;
    __atomic_add_fetch(&k->refs, 1, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&c->mu);
    return k;
}

bool idp_cache_refetch_allowed(struct idp_cache *c, const char *iss, int64_t now)
{
    if (!c)
        return true;
    pthread_mutex_lock(&c->mu);
    struct entry *x = find(c, iss, true);
    bool ok = x->refetch_at == 0 || now - x->refetch_at >= IDP_REFETCH_EVERY;
    if (ok)
        x->refetch_at = now ? now : 1;
    pthread_mutex_unlock(&c->mu);
    return ok;
}
