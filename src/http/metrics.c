/* SPDX-License-Identifier: MIT */
/*
 * The metrics listener (--metrics-listen): GET /metrics in the Prometheus
 * text format 0.0.4, on an address of its own, apart from the API, so
 * that what it tells (request counts per route, sign-in outcomes) is never
 * served to the public: a loopback address by default. A small
 * libmicrohttpd daemon with one thread of its own and a few connections:
 * a scrape never waits behind API traffic, nor API traffic behind it.
 * Only /metrics is served here, and /metrics is no route of the API.
 */
#include "http.h"
#include "http_int.h"

#include "../api/api.h"

#include <microhttpd.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define METRICS_CONNECTIONS 8  /* scrapers at once */
#define METRICS_TIMEOUT 10     /* seconds an idle scrape connection is kept */
#define METRICS_MAX (4u << 20) /* bytes of one exposition at most (it is ~100 KiB) */
#define METRICS_PATH "/metrics"
#define METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct http_metrics {
    struct MHD_Daemon *d;
    const atomic_int *conns, *in_flight;
};

/* The route table's labels, for metrics_routes_set: filled once at start. */
static struct metrics_route route_labels[METRICS_ROUTES_MAX];

static void routes_name(void)
{
    int n = api_route_count();
    if (n > METRICS_ROUTES_MAX)
        n = METRICS_ROUTES_MAX; /* the rest count as "no route": a test keeps n below */
    for (int i = 0; i < n; i++) {
        const char *summary;
        api_route_info(i, &route_labels[i].method, &route_labels[i].pattern, &summary);
    }
    metrics_routes_set(route_labels, n);
}

/* Queues the answer; libmicrohttpd leaves the body out of an answer to
 * HEAD, its Content-Length kept. */
static enum MHD_Result send_text(struct MHD_Connection *conn, unsigned status, const char *type,
                                 const char *body, size_t n)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(n, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result ok = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result scrape(struct http_metrics *m, struct MHD_Connection *conn)
{
    struct arena a;
    arena_init(&a);
    struct buf b;
    buf_init(&b, &a);
    b.max = METRICS_MAX;
    struct metrics_gauges g = {.open_connections = atomic_load(m->conns),
                               .requests_in_flight = atomic_load(m->in_flight)};
    metrics_render(&b, &g);
    enum MHD_Result ok = b.overflow ? send_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain",
                                                "metrics too large\n", 18)
                                    : send_text(conn, MHD_HTTP_OK, METRICS_TYPE, b.p, b.len);
    arena_cleanup(&a);
    return ok;
}

/* GET or HEAD /metrics; any other path 404, any other method 405. A body
 * sent along is read and ignored. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **state)
{
    (void)version;
    (void)upload;
    if (!*state) {     /* the headers: wait for the end of the request */
        *state = conn; /* anything but NULL: begun */
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0;
        return MHD_YES;
    }
    bool head = !strcmp(method, MHD_HTTP_METHOD_HEAD);
    if (strcmp(url, METRICS_PATH) != 0)
        return send_text(conn, MHD_HTTP_NOT_FOUND, "text/plain", "not found\n", 10);
    if (!head && strcmp(method, MHD_HTTP_METHOD_GET) != 0)
        return send_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", "method not allowed\n",
                         19);
    return scrape(cls, conn);
}

static void on_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[256];
    vsnprintf(line, sizeof line, fmt, ap);
    for (char *p = line; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' '; /* one log line, whatever libmicrohttpd says */
    log_msg(LOG_WARN, "metrics: %s", line);
}

enum st http_metrics_start(const char *listen, const atomic_int *conns, const atomic_int *in_flight,
                           struct http_metrics **out, struct err *e)
{
    struct sockaddr_storage sa = {0};
    int fd = -1;
    enum st st = http_addr_resolve(listen, &sa, e);
    if (st == ST_OK)
        st = http_listen_open(&sa, listen, &fd, e);
    if (st != ST_OK)
        return st;
    if (!http_addr_loopback(&sa))
        log_msg(LOG_WARN, "metrics on %s, not a loopback address: let only the scraper reach it",
                listen);
    log_msg(LOG_INFO, "metrics on %s (GET /metrics)", listen);
    routes_name();
    struct http_metrics *m = xcalloc(1, sizeof *m);
    m->conns = conns;
    m->in_flight = in_flight;
    m->d =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG, 0,
                         NULL, NULL, on_request, m,
                         /* first, or libmicrohttpd warns on stderr */
                         MHD_OPTION_EXTERNAL_LOGGER, on_log, NULL, MHD_OPTION_LISTEN_SOCKET, fd,
                         MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_CONNECTIONS,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_TIMEOUT, MHD_OPTION_END);
    if (!m->d) {
        close(fd);
        free(m);
        return ERR(e, ST_INTERNAL, "metrics-listen", "cannot serve metrics on %s: see above",
                   listen);
    }
    *out = m;
    return ST_OK;
}

void http_metrics_stop(struct http_metrics *m)
{
    if (!m)
        return;
    MHD_stop_daemon(m->d); /* closes the listening socket it was given */
    free(m);
}
