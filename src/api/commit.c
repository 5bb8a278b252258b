/* SPDX-License-Identifier: MIT */
/*
 * Group commit: writes are queued by http/ (suspended, off the event
 * threads); one write thread takes whatever is queued, answers it as one
 * batch inside one store transaction, commits once (one disk flush), then
 * hands each request back through its done callback. A staged request
 * (api_defer) comes with its answer prepared: the batch makes only its
 * write. Reads never wait for it. Knows no sockets: http/ resumes the
 * connection in done.
 */
#include "api_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_MAX 256

struct api_commit {
    const struct api_env *env;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct api_write *head, *tail;
    bool stopping;
};

/* Turns the answers of a batch that did not become durable into 503s,
 * except those refused on their own before writing (a 4xx stands); a
 * staged write learns it failed and answers so itself. */
static void fail_all(const struct api_env *env, struct api_write **w, int n)
{
    for (int i = 0; i < n; i++) {
        if (w[i]->staged) {
            api_staged_failed(w[i]);
            continue;
        }
        struct api_resp *resp = w[i]->resp;
        if (resp->status >= 400 && resp->status < 500)
            continue;
        const char *route = resp->route ? resp->route : "-";
        int route_no = resp->route_no;
        memset(resp, 0, sizeof *resp);
        resp->route = route;
        resp->route_no = route_no;
        struct ctx c = {.env = env, .a = w[i]->a, .req = w[i]->req, .resp = resp};
        c.route = w[i]->req->match.route;
        api_render_error(&c, ST_STORAGE);
    }
}

void api_commit_batch(const struct api_env *env, struct api_write **w, int n)
{
    struct err e = {0};
    for (int i = 0; i < n; i++)
        if (!w[i]->staged) /* a staged request's answer is begun already */
            memset(w[i]->resp, 0, sizeof *w[i]->resp);
    enum st st = store_batch_begin(env->store, &e);
    if (st != ST_OK) {
        log_msg(LOG_ERROR, "a batch of %d writes cannot begin: %s", n, e.msg);
        metrics_batch(n, -1);
        fail_all(env, w, n);
        return;
    }
    int failed = -1; /* a storage failure inside the batch: none of it stays */
    for (int i = 0; i < n; i++) {
        bool ok;
        if (w[i]->staged) {
            ok = api_staged_apply(w[i]);
        } else {
            api_handle(env, w[i]->a, w[i]->req, w[i]->resp);
            ok = w[i]->resp->status < 500;
        }
        if (!ok && failed < 0)
            failed = i;
    }
    if (failed >= 0) {
        struct err ae = {0};
        if (store_batch_abort(env->store, &ae) != ST_OK)
            log_msg(LOG_ERROR, "rolling a batch back failed: %s", ae.msg);
        log_msg(LOG_ERROR, "a batch of %d writes is rolled back: write %d failed", n, failed);
        metrics_batch(n, -1);
        fail_all(env, w, n);
        return;
    }
    int64_t t0 = util_mono_us();
    st = store_batch_end(env->store, &e);
    metrics_batch(n, st == ST_OK ? util_mono_us() - t0 : -1);
    if (st == ST_OK)
        return;
    log_msg(LOG_ERROR, "a batch of %d writes failed: %s", n, e.msg);
    fail_all(env, w, n);
}

/* Takes up to BATCH_MAX queued writes (call with mu held); 0 when stopping
 * with nothing queued. */
static int take(struct api_commit *q, struct api_write **batch)
{
    while (!q->head && !q->stopping)
        pthread_cond_wait(&q->cv, &q->mu);
    int n = 0;
    for (; q->head && n < BATCH_MAX; n++) {
        batch[n] = q->head;
        q->head = q->head->next;
    }
    if (!q->head)
        q->tail = NULL;
    return n;
}

static void *on_thread(void *arg)
{
    struct api_commit *q = arg;
    struct api_write *batch[BATCH_MAX];
    pthread_mutex_lock(&q->mu);
    for (int n; (n = take(q, batch)) > 0;) {
        pthread_mutex_unlock(&q->mu);
        api_commit_batch(q->env, batch, n);
        for (int i = 0; i < n; i++)
            batch[i]->done(batch[i]);
        pthread_mutex_lock(&q->mu);
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

struct api_commit *api_commit_start(const struct api_env *env)
{
    struct api_commit *q = xcalloc(1, sizeof *q);
    q->env = env;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    if (pthread_create(&q->thread, NULL, on_thread, q) != 0)
        abort(); /* cannot serve writes: better to stop at start */
    return q;
}

void api_commit_enqueue(struct api_commit *q, struct api_write *w)
{
    w->next = NULL;
    pthread_mutex_lock(&q->mu);
    if (q->tail)
        q->tail->next = w;
    else
        q->head = w;
    q->tail = w;
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

void api_commit_stop(struct api_commit *q)
{
    if (!q)
        return;
    pthread_mutex_lock(&q->mu);
    q->stopping = true; /* the thread answers what is queued, then ends */
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
    pthread_join(q->thread, NULL);
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
    free(q);
}
