/* SPDX-License-Identifier: MIT */
/*
 * The runtime's machinery: a small pool of workers that run the steps of
 * callbacks (store calls, checks), the outbound client whose one thread
 * waits on every identity provider at once, and the helpers the routes
 * share. A callback never holds a worker while it waits on the network:
 * it leaves a step for the client and comes back as a new job.
 */
#include "signin_int.h"

#include <sodium.h>
#include <stdatomic.h>
#include <string.h>

void signin_post(struct signin *s, struct signin_job *j)
{
    j->next = NULL;
    pthread_mutex_lock(&s->mu);
    if (s->tail)
        s->tail->next = j;
    else
        s->head = j;
    s->tail = j;
    pthread_cond_signal(&s->more);
    pthread_mutex_unlock(&s->mu);
}

static void *worker_main(void *arg)
{
    struct signin *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->head && !s->ending)
            pthread_cond_wait(&s->more, &s->mu);
        if (!s->head)
            break;
        struct signin_job *j = s->head;
        s->head = j->next;
        if (!s->head)
            s->tail = NULL;
        pthread_mutex_unlock(&s->mu);
        j->run(j);
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

enum st signin_start(const struct signin_opts *o, struct signin **out, struct err *e)
{
    enum st st = idp_init(e);
    if (st != ST_OK)
        return st;
    metrics_checks_set(signin_checks, signin_nchecks);
    struct signin *s = xcalloc(1, sizeof *s);
    st = net_client_start(&o->net, &s->net, e);
    if (st != ST_OK) {
        free(s);
        return st;
    }
    s->cache = idp_cache_new();
    s->skew = o->skew;
    s->saml_allow_sha1 = o->saml_allow_sha1;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->more, NULL);
    pthread_cond_init(&s->idle, NULL);
    for (int i = 0; i < SIGNIN_WORKERS; i++)
        if (pthread_create(&s->workers[i], NULL, worker_main, s) != 0)
            abort(); /* nothing could sign in: better to stop at start */
    *out = s;
    return ST_OK;
}

void signin_cancel(struct signin *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->cancelled = true;
    pthread_mutex_unlock(&s->mu);
    /* Every transfer ends now ("stopping"): its callback answers the site. */
    net_client_stop(s->net);
    pthread_mutex_lock(&s->mu);
    s->net = NULL;
    while (s->busy > 0)
        pthread_cond_wait(&s->idle, &s->mu);
    pthread_mutex_unlock(&s->mu);
}

/* The only asynchronous routes are the runtime's: api.h's contract. */
void api_async_cancel(const struct api_env *env)
{
    signin_cancel(env->signin);
}

void signin_stop(struct signin *s)
{
    if (!s)
        return;
    signin_cancel(s);
    pthread_mutex_lock(&s->mu);
    s->ending = true;
    pthread_cond_broadcast(&s->more);
    pthread_mutex_unlock(&s->mu);
    for (int i = 0; i < SIGNIN_WORKERS; i++)
        pthread_join(s->workers[i], NULL);
    idp_cache_free(s->cache);
    pthread_cond_destroy(&s->idle);
    pthread_cond_destroy(&s->more);
    pthread_mutex_destroy(&s->mu);
    free(s);
    idp_shutdown();
}

enum st signin_query(struct ctx *c, struct form *f)
{
    const char *q = c->req->query ? c->req->query : "";
    return oauth_form_parse(c->a, q, strlen(q), f, &c->err);
}

void signin_hash(const char *s, unsigned char out[32])
{
    crypto_hash_sha256(out, (const unsigned char *)s, strlen(s));
}

/* The prefix of the next state: expires_at, then a count that runs on
 * within a second (it wraps after 2^24 starts, at most a few times a
 * second: each wrap is one more place where rows go in). */
static atomic_uint_fast32_t state_count;

const char *signin_state_new(struct arena *a, int64_t expires_at, unsigned char key[FLOW_KEY_LEN])
{
    unsigned char raw[STATE_BYTES];
    uint64_t n = ((uint64_t)expires_at << 24) | (atomic_fetch_add(&state_count, 1) & 0xffffff);
    for (int i = 0; i < FLOW_PREFIX_LEN; i++)
        raw[i] = (unsigned char)(n >> (8 * (FLOW_PREFIX_LEN - 1 - i)));
    randombytes_buf(raw + FLOW_PREFIX_LEN, STATE_BYTES - FLOW_PREFIX_LEN);
    char *state = arena_alloc(a, STATE_LEN + 1);
    util_b64url_encode(state, raw, sizeof raw);
    memcpy(key, raw, FLOW_PREFIX_LEN);
    sodium_memzero(raw, sizeof raw);
    crypto_hash_sha256(key + FLOW_PREFIX_LEN, (const unsigned char *)state, STATE_LEN);
    return state;
}

bool signin_state_key(const char *state, unsigned char key[FLOW_KEY_LEN])
{
    unsigned char raw[STATE_BYTES];
    size_t n = strlen(state);
    if (n != STATE_LEN || !util_b64url_decode(raw, sizeof raw, state, n))
        return false;
    memcpy(key, raw, FLOW_PREFIX_LEN);
    crypto_hash_sha256(key + FLOW_PREFIX_LEN, (const unsigned char *)state, n);
    sodium_memzero(raw, sizeof raw);
    return true;
}

const char *signin_specifier(struct ctx *c)
{
    return arena_printf(c->a, "%s.%s", c->customer_id, c->id);
}

bool signin_provider(struct ctx *c, struct provider_rec *rec, struct login_app *app,
                     struct idp_provider *p)
{
    enum st st = store_provider_locate(c->env->store, c->a, (struct row_key){c->customer_id, c->id},
                                       rec, &c->err);
    if (st == ST_NOT_FOUND) {
        page_error(c, 404, PAGE_UNKNOWN_PROVIDER, "no such provider");
        return false;
    }
    if (st == ST_OK)
        st = store_app_get(c->env->store, c->a, (struct row_key){c->customer_id, rec->app_id}, app,
                           &c->err);
    if (st != ST_OK) {
        page_error(c, 503, PAGE_UNAVAILABLE, "store");
        return false;
    }
    if (idp_provider_read(c->a, app->realm, c->customer_id, rec->app_id, c->id, rec->doc, NULL, 0,
                          p, &c->err) != ST_OK) {
        page_error(c, 500, PAGE_INTERNAL, "stored provider does not read");
        return false;
    }
    return true;
}
