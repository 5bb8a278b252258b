/* SPDX-License-Identifier: MIT */
/*
 * The metrics registry: fixed arrays of relaxed atomic counters, and their
 * rendering in the Prometheus text format 0.0.4, the one place that knows
 * it. Counting costs an atomic add on a slot chosen by index (a request:
 * three, on its route's own cache lines); nothing on a request's path
 * locks or allocates. The registry is the process's, as the log is: a
 * counter is bumped from every layer, and passing a handle down to each
 * of them would buy nothing (one server runs per process).
 */
#include "util.h"

#include <stdalign.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

/* Upper bounds of the latency buckets, microseconds: 50 µs to 5 s. */
static const int64_t latency_us[] = {50,     100,     250,     500,    1000,   2500,
                                     5000,   10000,   25000,   50000,  100000, 250000,
                                     500000, 1000000, 2500000, 5000000};
#define NLAT (int)(sizeof latency_us / sizeof *latency_us)
/* Upper bounds of the batch size buckets, writes (a batch has 256 at most). */
static const int64_t batch_n[] = {1, 2, 4, 8, 16, 32, 64, 128, 256};
#define NBATCH (int)(sizeof batch_n / sizeof *batch_n)

#define NCLASS 6 /* 1xx to 5xx, and any other status */

static const char *const class_names[NCLASS] = {"1xx", "2xx", "3xx", "4xx", "5xx", "other"};
static const char *const limiter_names[METRICS_LIMIT__COUNT] = {"client_auth", "sign_in_start",
                                                                "auth_info"};
static const char *const protocols[] = {"openidconnect", "oauth2", "saml2", "unknown"};
#define NPROTO (int)(sizeof protocols / sizeof *protocols)
static const char *const outcomes[] = {
    "ok", "access_denied", "login_failed", "provider_error", "flow_expired", "error_page", "other"};
#define NOUTCOME (int)(sizeof outcomes / sizeof *outcomes)
#define CHECK_NONE 0                    /* success: no check failed */
#define CHECK_OTHER 1                   /* a check not in the table */
#define NCHECK (METRICS_CHECKS_MAX + 2) /* the two above, then the table's */

struct histogram {
    atomic_ulong bucket[NLAT + 1]; /* not cumulative; the last is +Inf */
    atomic_ulong sum;              /* microseconds */
};

/* One route's slot, on cache lines of its own: concurrent requests of
 * different routes never share a line. */
struct route_slot {
    alignas(64) atomic_ulong by_class[NCLASS];
    struct histogram latency;
};

static struct {
    struct route_slot route[METRICS_ROUTES_MAX + 1]; /* [0]: no route matched */
    alignas(64) atomic_ulong tokens_issued;
    atomic_ulong client_auth_failures;
    atomic_ulong limiter_trips[METRICS_LIMIT__COUNT];
    atomic_ulong cache_hits, cache_misses;
    alignas(64) atomic_ulong batch_size[NBATCH + 1];
    atomic_ulong batch_writes;
    struct histogram commit;
    atomic_ulong sign_ins[NPROTO][NOUTCOME][NCHECK];
} m;

/* Set before serving, read afterwards: plain values behind one flag. */
static const struct metrics_route *routes;
static atomic_int nroutes;
static const char *const *checks;
static atomic_int nchecks;

void metrics_routes_set(const struct metrics_route *r, int n)
{
    routes = r;
    atomic_store(&nroutes, n < METRICS_ROUTES_MAX ? n : METRICS_ROUTES_MAX);
}

void metrics_checks_set(const char *const *c, int n)
{
    checks = c;
    atomic_store(&nchecks, n < METRICS_CHECKS_MAX ? n : METRICS_CHECKS_MAX);
}

static void add(atomic_ulong *c, unsigned long n)
{
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static unsigned long get(atomic_ulong *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

static void observe(struct histogram *h, int64_t us)
{
    if (us < 0)
        us = 0;
    int i = 0;
    while (i < NLAT && us > latency_us[i]) /* most requests stop at the first */
        i++;
    add(&h->bucket[i], 1);
    add(&h->sum, (unsigned long)us);
}

void metrics_request(int route_no, int status, int64_t us)
{
    if (route_no < 0 || route_no > atomic_load_explicit(&nroutes, memory_order_relaxed))
        route_no = 0;
    struct route_slot *s = &m.route[route_no];
    int cls = status >= 100 && status < 600 ? status / 100 - 1 : NCLASS - 1;
    add(&s->by_class[cls], 1);
    observe(&s->latency, us);
}

void metrics_token_issued(void)
{
    add(&m.tokens_issued, 1);
}

void metrics_client_auth_failed(void)
{
    add(&m.client_auth_failures, 1);
}

void metrics_limiter_tripped(enum metrics_limiter l)
{
    if (l >= 0 && l < METRICS_LIMIT__COUNT)
        add(&m.limiter_trips[l], 1);
}

void metrics_cache(bool hit)
{
    add(hit ? &m.cache_hits : &m.cache_misses, 1);
}

void metrics_batch(int n, int64_t commit_us)
{
    int i = 0;
    while (i < NBATCH && n > batch_n[i])
        i++;
    add(&m.batch_size[i], 1);
    add(&m.batch_writes, n > 0 ? (unsigned long)n : 0);
    if (commit_us >= 0)
        observe(&m.commit, commit_us);
}

/* The index of s in names[0..n), else other. */
static int index_of(const char *const *names, int n, const char *s, int other)
{
    for (int i = 0; s && i < n; i++)
        if (!strcmp(names[i], s))
            return i;
    return other;
}

void metrics_sign_in(const char *protocol, const char *outcome, const char *check)
{
    int p = index_of(protocols, NPROTO - 1, protocol, NPROTO - 1);
    int o = index_of(outcomes, NOUTCOME - 1, outcome, NOUTCOME - 1);
    int c = CHECK_NONE;
    if (check) /* a failure: found among the named checks by text (a sign-in is rare) */
        c = index_of(checks, atomic_load(&nchecks), check, CHECK_OTHER - 2) + 2;
    add(&m.sign_ins[p][o][c], 1);
}

/* ---- rendering ---------------------------------------------------------- */

static void head(struct buf *b, const char *name, const char *type, const char *help)
{
    char line[512];
    snprintf(line, sizeof line, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
    buf_puts(b, line);
}

/* A label value as the text format quotes it: \ " and newline escaped. */
static void label(struct buf *b, const char *name, const char *value)
{
    buf_puts(b, name);
    buf_add(b, "=\"", 2);
    for (const char *v = value; *v; v++) {
        if (*v == '\\' || *v == '"')
            buf_add(b, "\\", 1);
        if (*v == '\n')
            buf_add(b, "\\n", 2);
        else
            buf_add(b, v, 1);
    }
    buf_add(b, "\"", 1);
}

/* name{labels} value: labels is a ready-made list (without braces) or "". */
static void sample(struct buf *b, const char *name, const char *labels, const char *value)
{
    buf_puts(b, name);
    if (*labels) {
        buf_add(b, "{", 1);
        buf_puts(b, labels);
        buf_add(b, "}", 1);
    }
    buf_add(b, " ", 1);
    buf_puts(b, value);
    buf_add(b, "\n", 1);
}

static void sample_ulong(struct buf *b, const char *name, const char *labels, unsigned long v)
{
    char text[24];
    snprintf(text, sizeof text, "%lu", v);
    sample(b, name, labels, text);
}

/* The labels of a route slot (the arena's text): method and route. */
static const char *route_labels(struct buf *tmp, int i)
{
    tmp->len = 0;
    label(tmp, "method", i ? routes[i - 1].method : "-");
    buf_add(tmp, ",", 1);
    label(tmp, "route", i ? routes[i - 1].pattern : "-");
    buf_add(tmp, "", 1);
    return tmp->p;
}

/* Microseconds as seconds, exactly. */
static void seconds(char out[32], unsigned long us)
{
    snprintf(out, 32, "%lu.%06lu", us / 1000000, us % 1000000);
}

/* One histogram's _bucket, _sum and _count lines. le_us: the bounds in
 * microseconds, shown as seconds (as_seconds) or as they are. */
static void histogram_lines(struct buf *b, const char *name, const char *labels,
                            atomic_ulong *bucket, int nb, const int64_t *bounds, bool as_seconds,
                            unsigned long sum)
{
    char metric[128], lab[512], le[32];
    unsigned long acc = 0;
    snprintf(metric, sizeof metric, "%s_bucket", name);
    for (int i = 0; i <= nb; i++) {
        acc += get(&bucket[i]);
        if (i == nb)
            snprintf(le, sizeof le, "+Inf");
        else if (as_seconds)
            seconds(le, (unsigned long)bounds[i]);
        else
            snprintf(le, sizeof le, "%lld", (long long)bounds[i]);
        snprintf(lab, sizeof lab, "%s%sle=\"%s\"", labels, *labels ? "," : "", le);
        sample_ulong(b, metric, lab, acc);
    }
    snprintf(metric, sizeof metric, "%s_sum", name);
    if (as_seconds) {
        seconds(le, sum);
        sample(b, metric, labels, le);
    } else {
        sample_ulong(b, metric, labels, sum);
    }
    snprintf(metric, sizeof metric, "%s_count", name);
    sample_ulong(b, metric, labels, acc);
}

static void render_requests(struct buf *b, struct buf *tmp)
{
    int n = atomic_load(&nroutes);
    head(b, "socialgate_http_requests_total", "counter",
         "Requests answered, by route of the route table (method and pattern; \"-\": none "
         "matched) and status class.");
    char lab[512];
    for (int i = 0; i <= n; i++)
        for (int c = 0; c < NCLASS; c++) {
            snprintf(lab, sizeof lab, "%s,code=\"%s\"", route_labels(tmp, i), class_names[c]);
            sample_ulong(b, "socialgate_http_requests_total", lab, get(&m.route[i].by_class[c]));
        }
    head(b, "socialgate_http_request_duration_seconds", "histogram",
         "Time from a request's first byte to its completion, by route.");
    for (int i = 0; i <= n; i++) {
        struct histogram *h = &m.route[i].latency;
        histogram_lines(b, "socialgate_http_request_duration_seconds", route_labels(tmp, i),
                        h->bucket, NLAT, latency_us, true, get(&h->sum));
    }
}

static void render_counts(struct buf *b)
{
    head(b, "socialgate_tokens_issued_total", "counter", "Access tokens issued.");
    sample_ulong(b, "socialgate_tokens_issued_total", "", get(&m.tokens_issued));
    head(b, "socialgate_client_auth_failures_total", "counter",
         "Failed client authentications at the token endpoints.");
    sample_ulong(b, "socialgate_client_auth_failures_total", "", get(&m.client_auth_failures));
    head(b, "socialgate_limiter_trips_total", "counter",
         "Requests refused by a failure limit (429), by limit.");
    char lab[64];
    for (int i = 0; i < METRICS_LIMIT__COUNT; i++) {
        snprintf(lab, sizeof lab, "limiter=\"%s\"", limiter_names[i]);
        sample_ulong(b, "socialgate_limiter_trips_total", lab, get(&m.limiter_trips[i]));
    }
    head(b, "socialgate_cache_hits_total", "counter", "Look-ups the store's read cache answered.");
    sample_ulong(b, "socialgate_cache_hits_total", "", get(&m.cache_hits));
    head(b, "socialgate_cache_misses_total", "counter",
         "Look-ups the store's read cache passed to the database.");
    sample_ulong(b, "socialgate_cache_misses_total", "", get(&m.cache_misses));
}

static void render_commit(struct buf *b)
{
    unsigned long writes = get(&m.batch_writes);
    head(b, "socialgate_write_batch_size", "histogram", "Writes per group-commit batch.");
    histogram_lines(b, "socialgate_write_batch_size", "", m.batch_size, NBATCH, batch_n, false,
                    writes);
    head(b, "socialgate_write_commit_duration_seconds", "histogram",
         "Time to commit one group-commit batch (its disk flush).");
    histogram_lines(b, "socialgate_write_commit_duration_seconds", "", m.commit.bucket, NLAT,
                    latency_us, true, get(&m.commit.sum));
}

/* Sign-ins: every protocol's successes, and the failures that happened
 * (a series appears with its first count: protocols × outcomes × checks
 * would be thousands of zeros). */
static void render_sign_ins(struct buf *b, struct buf *tmp)
{
    head(b, "socialgate_sign_ins_total", "counter",
         "Sign-ins finished at the callback, by protocol, outcome and failed check.");
    int nc = atomic_load(&nchecks);
    for (int p = 0; p < NPROTO; p++)
        for (int o = 0; o < NOUTCOME; o++)
            for (int c = 0; c < nc + 2; c++) {
                unsigned long v = get(&m.sign_ins[p][o][c]);
                if (!v && !(o == 0 && c == CHECK_NONE && p < NPROTO - 1))
                    continue;
                tmp->len = 0;
                label(tmp, "protocol", protocols[p]);
                buf_add(tmp, ",", 1);
                label(tmp, "outcome", outcomes[o]);
                buf_add(tmp, ",", 1);
                label(tmp, "check",
                      c == CHECK_NONE    ? "none"
                      : c == CHECK_OTHER ? "other"
                                         : checks[c - 2]);
                buf_add(tmp, "", 1);
                sample_ulong(b, "socialgate_sign_ins_total", tmp->p, v);
            }
}

void metrics_render(struct buf *b, const struct metrics_gauges *g)
{
    struct buf tmp;
    buf_init(&tmp, b->a);
    render_requests(b, &tmp);
    render_counts(b);
    render_commit(b);
    render_sign_ins(b, &tmp);
    head(b, "socialgate_open_connections", "gauge", "Client connections open.");
    sample_ulong(b, "socialgate_open_connections", "", (unsigned long)g->open_connections);
    head(b, "socialgate_requests_in_flight", "gauge", "Requests read and not yet completed.");
    sample_ulong(b, "socialgate_requests_in_flight", "", (unsigned long)g->requests_in_flight);
}
