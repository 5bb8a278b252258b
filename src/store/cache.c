/* SPDX-License-Identifier: MIT */
/*
 * A read cache in front of any backend, for the hot paths: client look-ups
 * of the token service, revocation checks, apps and providers. Any write
 * through this process empties it at once (a generation counter per
 * domain), so what this process wrote is seen immediately. Writes by other
 * processes: on SQLite no other server shares the database
 * (store_open_server), and the CLI beside it only adds customers,
 * policies, clients and apps, of which only found rows are cached, so
 * what it adds is seen at once too ("not revoked" and provider lists are
 * cached, but only a server writes those). On PostgreSQL the backend's
 * listener reports every other server's write (store_cache_changed) and
 * makes the cache read through while it cannot (store_cache_bypass).
 * CACHE_TTL_MS bounds how long a change nobody announced (a hand edit of
 * the database) can go unseen.
 */
#include "store_int.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define CACHE_SLOTS 4096 /* a power of two */
#define CACHE_TTL_MS 1000
#define KEY_MAX 128

enum kind {
    K_AUTH_ID = 1,
    K_AUTH_SEQ,
    K_REVOKED,
    K_APP,
    K_APP_KEY,
    K_PROVIDER,
    K_PROVIDER_AT, /* by customer and provider id: provider_locate */
    K_PROVIDER_LIST
};

/* The domains (store_int.h) of what is cached; nothing cached depends on
 * SD_META or SD_SIGNIN (flows and one-time tokens are only ever taken,
 * never read). */
static enum store_domain domain_of(enum kind k)
{
    switch (k) {
    case K_REVOKED:
        return SD_REVOKED;
    case K_APP:
    case K_APP_KEY:
        return SD_APP;
    case K_PROVIDER:
    case K_PROVIDER_AT:
    case K_PROVIDER_LIST:
        return SD_PROVIDER;
    default:
        return SD_AUTH;
    }
}

/* A cache key: the kind byte, then the parts. n == 0: not cacheable. */
struct ckey {
    size_t n;
    unsigned char b[KEY_MAX];
};

struct slot {
    uint64_t gen;
    int64_t born_ms;
    struct ckey key;
    void *val; /* a kind-specific flat copy, malloc'd */
};

struct cache_store {
    struct store base;
    struct store *inner;
    atomic_uint_fast64_t gen[SD__COUNT]; /* bumped by every write of the domain */
    atomic_bool bypass;                  /* store_cache_bypass: read through */
    unsigned char hkey[crypto_shorthash_KEYBYTES];
    pthread_mutex_t mu;
    struct slot *slots;
};

#define INNER(s) (((struct cache_store *)(s))->inner)

/* key = kind byte, then the parts, each NUL-terminated. */
static void make_key(struct ckey *k, enum kind kind, const char *a, const char *b, const char *c)
{
    size_t n = 0;
    k->b[n++] = (unsigned char)kind;
    const char *parts[] = {a, b, c};
    for (int i = 0; i < 3 && parts[i]; i++) {
        size_t l = strlen(parts[i]) + 1;
        if (n + l > KEY_MAX) {
            k->n = 0; /* too long to cache: always miss */
            return;
        }
        memcpy(k->b + n, parts[i], l);
        n += l;
    }
    k->n = n;
}

static struct slot *slot_of(struct cache_store *cs, const struct ckey *k)
{
    unsigned char h[crypto_shorthash_BYTES];
    crypto_shorthash(h, k->b, k->n, cs->hkey);
    uint64_t x;
    memcpy(&x, h, sizeof x);
    return &cs->slots[x & (CACHE_SLOTS - 1)];
}

/* Copies the cached value for the key into out via copy_out; false on miss. */
static bool lookup(struct cache_store *cs, const struct ckey *k,
                   void (*copy_out)(const void *val, void *out, struct arena *a), void *out,
                   struct arena *a)
{
    if (k->n == 0 || atomic_load(&cs->bypass)) {
        metrics_cache(false);
        return false;
    }
    int64_t now = util_mono_us() / 1000;
    bool hit = false;
    pthread_mutex_lock(&cs->mu);
    struct slot *sl = slot_of(cs, k);
    if (sl->val && sl->key.n == k->n && memcmp(sl->key.b, k->b, k->n) == 0 &&
        sl->gen == atomic_load(&cs->gen[domain_of(k->b[0])]) && now - sl->born_ms < CACHE_TTL_MS) {
        copy_out(sl->val, out, a);
        hit = true;
    }
    pthread_mutex_unlock(&cs->mu);
    metrics_cache(hit);
    return hit;
}

/* Stores val (taking ownership) under the key, as of generation gen. */
static void insert(struct cache_store *cs, const struct ckey *k, uint64_t gen, void *val)
{
    if (k->n == 0 || atomic_load(&cs->bypass)) {
        free(val);
        return;
    }
    pthread_mutex_lock(&cs->mu);
    struct slot *sl = slot_of(cs, k);
    free(sl->val);
    sl->val = val;
    sl->gen = gen;
    sl->born_ms = util_mono_us() / 1000;
    sl->key = *k;
    pthread_mutex_unlock(&cs->mu);
}

static void written(struct store *s, enum store_domain d)
{
    atomic_fetch_add(&((struct cache_store *)s)->gen[d], 1);
}

void store_cache_changed(struct store *cache, enum store_domain d)
{
    if ((unsigned)d < SD__COUNT)
        written(cache, d);
}

static void forget_all(struct store *cache)
{
    for (int d = 0; d < SD__COUNT; d++)
        written(cache, (enum store_domain)d);
}

/* On: the flag first, so no look-up hits from then on, then the bump, so
 * nothing inserted before counts. Off: the bump first, so a value read
 * while writes went unheard (its generation taken before the bump) is
 * never served; a read that takes its generation after the bump began
 * after the channel was back, so any write it misses will be heard. */
void store_cache_bypass(struct store *cache, bool on)
{
    struct cache_store *cs = (struct cache_store *)cache;
    if (on)
        atomic_store(&cs->bypass, true);
    forget_all(cache);
    if (!on)
        atomic_store(&cs->bypass, false);
}

static uint64_t gen_of(struct cache_store *cs, enum kind k)
{
    return atomic_load(&cs->gen[domain_of(k)]);
}

/* ---- flat copies ---------------------------------------------------------- */

/* A blob of strings: each NUL-terminated, back to back. */
static size_t strings_len(const char *const *v, int n)
{
    size_t len = 0;
    for (int i = 0; i < n; i++)
        len += strlen(v[i]) + 1;
    return len;
}

struct auth_val {
    struct client_auth auth; /* scopes pointer unused */
    size_t len;
    char strings[];
};

static void *auth_in(const struct client_auth *au)
{
    size_t len = strings_len(au->scopes, au->nscopes);
    struct auth_val *v = xmalloc(sizeof *v + len);
    v->auth = *au;
    v->auth.scopes = NULL;
    v->len = len;
    char *p = v->strings;
    for (int i = 0; i < au->nscopes; i++) {
        size_t l = strlen(au->scopes[i]) + 1;
        memcpy(p, au->scopes[i], l);
        p += l;
    }
    return v;
}

static void auth_out(const void *val, void *out, struct arena *a)
{
    const struct auth_val *v = val;
    struct client_auth *au = out;
    *au = v->auth;
    char *copy = arena_alloc(a, v->len + 1);
    memcpy(copy, v->strings, v->len);
    au->scopes = arena_alloc(a, (size_t)(au->nscopes + 1) * sizeof *au->scopes);
    for (int i = 0; i < au->nscopes; i++) {
        au->scopes[i] = copy;
        copy += strlen(copy) + 1;
    }
}

static enum st auth_find(struct store *s, struct arena *a, struct row_key key,
                         struct client_auth *out, struct err *e)
{
    struct cache_store *cs = (struct cache_store *)s;
    struct ckey k;
    make_key(&k, K_AUTH_ID, key.cid, key.id, NULL);
    if (lookup(cs, &k, auth_out, out, a))
        return ST_OK;
    uint64_t gen = gen_of(cs, K_AUTH_ID);
    enum st st = store_auth_find(cs->inner, a, key, out, e);
    if (st == ST_OK)
        insert(cs, &k, gen, auth_in(out));
    return st;
}

static enum st auth_by_seq(struct store *s, struct arena *a, uint64_t seq, struct client_auth *out,
                           struct err *e)
{
    struct cache_store *cs = (struct cache_store *)s;
    struct ckey k;
    char num[24];
    snprintf(num, sizeof num, "%llu", (unsigned long long)seq);
    make_key(&k, K_AUTH_SEQ, num, NULL, NULL);
    if (lookup(cs, &k, auth_out, out, a))
        return ST_OK;
    uint64_t gen = gen_of(cs, K_AUTH_SEQ);
    enum st st = store_auth_by_seq(cs->inner, a, seq, out, e);
    if (st == ST_OK)
        insert(cs, &k, gen, auth_in(out));
    return st;
}

static void bool_out(const void *val, void *out, struct arena *a)
{
    (void)a;
    *(bool *)out = *(const bool *)val;
}

static enum st revocation_find(struct store *s, const unsigned char tag[16], bool *revoked,
                               struct err *e)
{
    struct cache_store *cs = (struct cache_store *)s;
    struct ckey k = {.n = 17, .b = {K_REVOKED}};
    memcpy(k.b + 1, tag, 16);
    if (lookup(cs, &k, bool_out, revoked, NULL))
        return ST_OK;
    uint64_t gen = gen_of(cs, K_REVOKED);
    enum st st = store_revocation_find(cs->inner, tag, revoked, e);
    if (st == ST_OK) {
        bool *v = xmalloc(sizeof *v);
        *v = *revoked;
        insert(cs, &k, gen, v);
    }
    return st;
}

static void app_out(const void *val, void *out, struct arena *a)
{
    const struct login_app *v = val;
    struct login_app *app = out;
    *app = *v;
    app->name = arena_strdup(a, v->name);
    app->realm = arena_strdup(a, v->realm);
    app->token_urls = arena_strdup(a, v->token_urls);
    app->settings = arena_strdup(a, v->settings);
}

static enum st app_get(struct store *s, struct arena *a, struct row_key key, struct login_app *out,
                       struct err *e)
{
    struct cache_store *cs = (struct cache_store *)s;
    struct ckey k;
    make_key(&k, K_APP, key.cid, key.id, NULL);
    if (lookup(cs, &k, app_out, out, a))
        return ST_OK;
    uint64_t gen = gen_of(cs, K_APP);
    enum st st = store_app_get(cs->inner, a, key, out, e);
    if (st == ST_OK) {
        size_t ln = strlen(out->name) + 1, lr = strlen(out->realm) + 1;
        size_t lu = strlen(out->token_urls) + 1, ls = strlen(out->settings) + 1;
        struct login_app *v = xmalloc(sizeof *v + ln + lr + lu + ls);
        *v = *out;
        char *p = (char *)(v + 1);
        v->name = memcpy(p, out->name, ln);
        v->realm = memcpy(p + ln, out->realm, lr);
        v->token_urls = memcpy(p + ln + lr, out->token_urls, lu);
        v->settings = memcpy(p + ln + lr + lu, out->settings, ls);
        insert(cs, &k, gen, v);
    }
    return st;
}

static void app_ref_out(const void *val, void *out, struct arena *a)
{
    (void)a;
    *(struct app_ref *)out = *(const struct app_ref *)val;
}

/* auth_info's look-up, once per redemption: by the keyed hash of the key
 * (a verifier, not the key). */
static enum st app_find_by_key(struct store *s, const unsigned char verifier[32],
                               struct app_ref *out, struct err *e)
{
    struct cache_store *cs = (struct cache_store *)s;
    struct ckey k = {.n = 33, .b = {K_APP_KEY}};
    memcpy(k.b + 1, verifier, 32);
    if (lookup(cs, &k, app_ref_out, out, NULL))
        return ST_OK;
    uint64_t gen = gen_of(cs, K_APP_KEY);
    enum st st = store_app_find_by_key(cs->inner, verifier, out, e);
    if (st == ST_OK) {
        struct app_ref *v = xmalloc(sizeof *v);
        *v = *out;
        insert(cs, &k, gen, v);
    }
    return st;
}

static void provider_out(const void *val, void *out, struct arena *a)
{
    const struct provider_rec *v = val;
    struct provider_rec *p = out;
    *p = *v;
    p->doc = arena_strdup(a, v->doc);
    p->summary = arena_strdup(a, v->summary);
    p->protocol = NULL;
    if (v->secret) {
        unsigned char *b = arena_alloc(a, v->secret_len);
        memcpy(b, v->secret, v->secret_len);
        p->secret = b;
    }
}

static void *provider_in(const struct provider_rec *r)
{
    size_t ld = strlen(r->doc) + 1, ls = strlen(r->summary) + 1;
    struct provider_rec *v = xmalloc(sizeof *v + ld + ls + r->secret_len);
    *v = *r;
    char *p = (char *)(v + 1);
    v->doc = memcpy(p, r->doc, ld);
    v->summary = memcpy(p + ld, r->summary, ls);
    v->protocol = NULL;
    v->secret = r->secret ? memcpy(p + ld + ls, r->secret, r->secret_len) : NULL;
    return v;
}

static enum st provider_get(struct store *s, struct arena *a, struct provider_key key,
                            struct provider_rec *out, struct err *e)
{
    struct cache_store *cs = (struct cache_store *)s;
    struct ckey k;
    make_key(&k, K_PROVIDER, key.cid, key.app_id, key.id);
    if (lookup(cs, &k, provider_out, out, a))
        return ST_OK;
    uint64_t gen = gen_of(cs, K_PROVIDER);
    enum st st = store_provider_get(cs->inner, a, key, out, e);
    if (st == ST_OK)
        insert(cs, &k, gen, provider_in(out));
    return st;
}

/* The sign-in start's look-up, once per sign-in. */
static enum st provider_locate(struct store *s, struct arena *a, struct row_key key,
                               struct provider_rec *out, struct err *e)
{
    struct cache_store *cs = (struct cache_store *)s;
    struct ckey k;
    make_key(&k, K_PROVIDER_AT, key.cid, key.id, NULL);
    if (lookup(cs, &k, provider_out, out, a))
        return ST_OK;
    uint64_t gen = gen_of(cs, K_PROVIDER_AT);
    enum st st = store_provider_locate(cs->inner, a, key, out, e);
    if (st == ST_OK)
        insert(cs, &k, gen, provider_in(out));
    return st;
}

/* ---- group commit ---------------------------------------------------------- */

/* The domains the writes of this thread's batch changed (a bit each). */
static _Thread_local unsigned batch_domains;

static enum st batch_begin(struct store *s, struct err *e)
{
    batch_domains = 0;
    return store_batch_begin(INNER(s), e);
}

/* The batch's writes already announced themselves; a failed commit or a
 * rollback undoes them, so announce once more: nothing cached may outlive
 * them. Only their domains: a batch of sign-in starts leaves the cached
 * providers alone. */
static void batch_over(struct store *s)
{
    for (int d = 0; d < SD__COUNT; d++)
        if (batch_domains & (1u << d))
            written(s, (enum store_domain)d);
    batch_domains = 0;
}

static enum st batch_end(struct store *s, struct err *e)
{
    enum st st = store_batch_end(INNER(s), e);
    batch_over(s);
    return st;
}

static enum st batch_abort(struct store *s, struct err *e)
{
    enum st st = store_batch_abort(INNER(s), e);
    batch_over(s);
    return st;
}

/* A list: the records, then their strings and secrets, in one block;
 * the records' pointers point into the block. */
struct list_val {
    int n;
    size_t size; /* of the whole block */
    struct provider_rec recs[];
};

static size_t rec_extra(const struct provider_rec *r)
{
    return strlen(r->doc) + 1 + strlen(r->summary) + 1 + r->secret_len;
}

/* Copies r's strings to p and points d at them; returns the end. */
static char *rec_place(struct provider_rec *d, const struct provider_rec *r, char *p)
{
    *d = *r;
    d->protocol = NULL;
    size_t ld = strlen(r->doc) + 1, ls = strlen(r->summary) + 1;
    d->doc = memcpy(p, r->doc, ld);
    d->summary = memcpy(p + ld, r->summary, ls);
    d->secret = r->secret ? memcpy(p + ld + ls, r->secret, r->secret_len) : NULL;
    return p + ld + ls + r->secret_len;
}

static struct list_val *list_in(const struct provider_rec *v, int n)
{
    size_t size = sizeof(struct list_val) + (size_t)n * sizeof *v;
    for (int i = 0; i < n; i++)
        size += rec_extra(&v[i]);
    struct list_val *l = xmalloc(size);
    l->n = n;
    l->size = size;
    char *p = (char *)&l->recs[n];
    for (int i = 0; i < n; i++)
        p = rec_place(&l->recs[i], &v[i], p);
    return l;
}

static void list_out(const void *val, void *out, struct arena *a)
{
    const struct list_val *l = val;
    struct provider_list *o = out;
    struct provider_rec *v = arena_alloc(a, l->size);
    char *p = (char *)&v[l->n];
    for (int i = 0; i < l->n; i++)
        p = rec_place(&v[i], &l->recs[i], p);
    o->v = v;
    o->n = l->n;
}

static enum st provider_list(struct store *s, struct arena *a, struct row_key app,
                             struct provider_list *out, struct err *e)
{
    struct cache_store *cs = (struct cache_store *)s;
    struct ckey k;
    make_key(&k, K_PROVIDER_LIST, app.cid, app.id, NULL);
    if (lookup(cs, &k, list_out, out, a))
        return ST_OK;
    uint64_t gen = gen_of(cs, K_PROVIDER_LIST);
    enum st st = store_provider_list(INNER(s), a, app, out, e);
    if (st == ST_OK && out->n <= 256) /* a long list costs more to copy than to read */
        insert(cs, &k, gen, list_in(out->v, out->n));
    return st;
}

/* ---- everything else passes through; writes empty the cache ------------- */

/* A write is announced before it runs and again after it returns, so a
 * reader that raced with it can never cache the old row as current. */
#define PASS_W(name, data, params, args)                                                           \
    static enum st name(struct store *s, STORE_UNPAREN params)                                     \
    {                                                                                              \
        batch_domains |= 1u << STORE_DOMAIN_##data;                                                \
        written(s, STORE_DOMAIN_##data);                                                           \
        enum st st = store_##name(INNER(s), STORE_UNPAREN args);                                   \
        written(s, STORE_DOMAIN_##data);                                                           \
        return st;                                                                                 \
    }
#define PASS_R(name, data, params, args)                                                           \
    static enum st name(struct store *s, STORE_UNPAREN params)                                     \
    {                                                                                              \
        return store_##name(INNER(s), STORE_UNPAREN args);                                         \
    }
#define PASS_C(name, data, params, args) /* cached: written above */
#define PASS_B(name, data, params, args) /* group commit: written above */
#define PASS(name, kind, data, params, args) PASS_##kind(name, data, params, args)
STORE_OPS(PASS)

static void cache_close(struct store *s)
{
    struct cache_store *cs = (struct cache_store *)s;
    store_close(cs->inner);
    for (int i = 0; i < CACHE_SLOTS; i++)
        free(cs->slots[i].val);
    free(cs->slots);
    pthread_mutex_destroy(&cs->mu);
    free(cs);
}

#define ENTRY(name, kind, data, params, args) .name = name,
static const struct store_ops cache_ops = {.name = "cache", .close = cache_close, STORE_OPS(ENTRY)};

struct store *store_cache_wrap(struct store *inner)
{
    struct cache_store *cs = xcalloc(1, sizeof *cs);
    cs->base.ops = &cache_ops;
    cs->inner = inner;
    for (int d = 0; d < SD__COUNT; d++)
        atomic_init(&cs->gen[d], 1);
    atomic_init(&cs->bypass, false);
    crypto_shorthash_keygen(cs->hkey);
    pthread_mutex_init(&cs->mu, NULL);
    cs->slots = xcalloc(CACHE_SLOTS, sizeof *cs->slots);
    return &cs->base;
}
