/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of net/: which addresses the guard lets through (every
 * refused range, its IPv4-mapped, NAT64 and 6to4 forms, public addresses),
 * the queue's order, cap per host and expiry (no network, no clock),
 * and live fetches against an HTTPS server each test starts on 127.0.0.1
 * (libmicrohttpd, a self-signed certificate): answers, refusals (scheme,
 * redirect, size, address, certificate), timeouts, what the server
 * receives, many transfers at once, the cap per host and the queue's
 * deadline, and a stop with transfers in flight. Nothing here measures
 * time; waits have a generous safety limit only.
 */
#include <criterion/criterion.h>
#include <microhttpd.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/net.h"
#include "net/net_int.h"
#include "net_test_cert.h"

/* ---- the address guard -------------------------------------------------- */

static struct net_addr addr(const char *s)
{
    struct net_addr a;
    cr_assert(net_addr_parse(s, strlen(s), &a), "%s should parse", s);
    return a;
}

Test(net_addr, every_non_public_range_is_refused)
{
    static const char *const refused[] = {
        /* IPv4, first and last address of each range where it matters */
        "0.0.0.0", "0.255.255.255", "10.0.0.1", "10.255.255.255", "100.64.0.0", "100.127.255.255",
        "127.0.0.1", "127.255.255.254", "169.254.169.254", "169.254.0.1", "172.16.0.1",
        "172.31.255.255", "192.0.0.1", "192.0.0.255", "192.0.2.1", "192.88.99.1", "192.168.0.1",
        "192.168.255.255", "198.18.0.1", "198.19.255.255", "198.51.100.7", "203.0.113.9",
        "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
        /* the same through IPv4-mapped IPv6 */
        "::ffff:127.0.0.1", "::ffff:10.1.2.3", "::ffff:169.254.169.254", "::ffff:0.0.0.0",
        /* NAT64 well-known prefix: judged by the embedded IPv4 */
        "64:ff9b::127.0.0.1", "64:ff9b::10.0.0.1", "64:ff9b::a9fe:a9fe", "64:ff9b::c0a8:101",
        /* 6to4: judged by the embedded IPv4 */
        "2002:7f00:1::", "2002:a00:1::1", "2002:c0a8:101::", "2002:a9fe:a9fe::1",
        /* IPv6 */
        "::", "::1", "::127.0.0.1", "::ffff:0:7f00:1", "64:ff9b:1::1", "64:ff9b:1:ffff::1",
        "100::", "100::ffff:ffff:ffff:ffff", "2001::1", "2001:0:4136:e378::1", "2001:1ff::1",
        "2001:db8::1", "2001:db8:ffff::1", "3fff::1", "3fff:fff::1", "fc00::1", "fd12:3456::1",
        "fe80::1", "febf::1", "fec0::1", "feff::1", "ff02::1", "ff05::1:3", "4000::1", "1000::1"};
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        struct net_addr a = addr(refused[i]);
        cr_expect(!net_addr_public(&a), "%s is not public", refused[i]);
    }
}

Test(net_addr, public_addresses_pass_in_every_form)
{
    static const char *const public[] = {"8.8.8.8",          "1.1.1.1",
                                         "9.255.255.255",    "11.0.0.0",
                                         "100.63.255.255",   "100.128.0.0",
                                         "126.255.255.255",  "128.0.0.1",
                                         "169.253.255.255",  "169.255.0.0",
                                         "172.15.255.255",   "172.32.0.0",
                                         "192.0.1.1",        "192.0.3.1",
                                         "192.167.255.255",  "192.169.0.0",
                                         "198.17.255.255",   "198.20.0.0",
                                         "198.51.101.1",     "203.0.114.1",
                                         "223.255.255.255",  "::ffff:8.8.8.8",
                                         "64:ff9b::8.8.8.8", "2002:808:808::1",
                                         "2606:4700::1111",  "2001:4860:4860::8888",
                                         "2001:200::1",      "2a00:1450:4001::200e",
                                         "2001:db9::1",      "3ffe::1",
                                         "3fff:1000::1"};
    for (size_t i = 0; i < sizeof public / sizeof *public; i++) {
        struct net_addr a = addr(public[i]);
        cr_expect(net_addr_public(&a), "%s is public", public[i]);
    }
}

/* ---- the queue ---------------------------------------------------------- */

#define QN (NET_MAX_PER_HOST + 8)

/* The index in w of each transfer of a handed-out list, -1 at the end. */
static void indexes(const struct net_wait *list, const struct net_wait *w, int out[QN + 1])
{
    int n = 0;
    for (; list && n < QN; list = list->next)
        out[n++] = (int)(list - w);
    out[n] = -1;
}

/* Hands out what still waits and lets every transfer go: no host is left. */
static void queue_empty(struct net_queue *q, struct net_wait *w, int n)
{
    net_queue_drain(q);
    for (int i = 0; i < n; i++)
        if (w[i].host)
            net_queue_leave(q, &w[i]);
    cr_expect_null(q->hosts, "a host outlived its transfers");
    cr_expect_null(q->head);
}

Test(net_queue, a_host_at_its_cap_is_passed_over_and_the_rest_go_in_order)
{
    struct net_queue q = {0};
    struct net_wait w[QN] = {0};
    int a = NET_MAX_PER_HOST + 2; /* w[0..a) to a, then b, a, c */
    for (int i = 0; i < a; i++)
        net_queue_add(&q, &w[i], "a:443", i);
    net_queue_add(&q, &w[a], "b:443", a);
    net_queue_add(&q, &w[a + 1], "a:443", a + 1);
    net_queue_add(&q, &w[a + 2], "c:443", a + 2);
    int got[QN + 1];
    indexes(net_queue_take(&q, NET_MAX_IN_FLIGHT), w, got);
    for (int i = 0; i < NET_MAX_PER_HOST; i++)
        cr_expect_eq(got[i], i, "place %d: %d", i, got[i]);
    cr_expect_eq(got[NET_MAX_PER_HOST], a, "b goes past the waiting a's");
    cr_expect_eq(got[NET_MAX_PER_HOST + 1], a + 2, "then c");
    cr_expect_eq(got[NET_MAX_PER_HOST + 2], -1, "and no a beyond its cap");
    cr_expect_null(net_queue_take(&q, NET_MAX_IN_FLIGHT), "nothing changed");
    net_queue_leave(&q, &w[a]); /* b's slot frees none of a's */
    cr_expect_null(net_queue_take(&q, NET_MAX_IN_FLIGHT));
    net_queue_leave(&q, &w[5]); /* an a ends: its oldest waiting goes */
    indexes(net_queue_take(&q, NET_MAX_IN_FLIGHT), w, got);
    cr_expect_eq(got[0], NET_MAX_PER_HOST);
    cr_expect_eq(got[1], -1);
    queue_empty(&q, w, QN);
}

Test(net_queue, room_limits_a_take_and_the_rest_follow_in_order)
{
    struct net_queue q = {0};
    struct net_wait w[5] = {0};
    static const char *const keys[] = {"a:443", "b:443", "c:443", "b:443", "d:443"};
    for (int i = 0; i < 5; i++)
        net_queue_add(&q, &w[i], keys[i], 0);
    int got[QN + 1];
    indexes(net_queue_take(&q, 3), w, got);
    cr_expect(got[0] == 0 && got[1] == 1 && got[2] == 2 && got[3] == -1);
    cr_expect_null(net_queue_take(&q, 0));
    indexes(net_queue_take(&q, 3), w, got); /* no news, but room again */
    cr_expect(got[0] == 3 && got[1] == 4 && got[2] == -1);
    queue_empty(&q, w, 5);
}

Test(net_queue, the_oldest_expire_first_whatever_their_host)
{
    struct net_queue q = {0};
    struct net_wait w[QN] = {0};
    for (int i = 0; i < NET_MAX_PER_HOST; i++)
        net_queue_add(&q, &w[i], "a:443", 0);
    net_queue_take(&q, NET_MAX_PER_HOST); /* a is at its cap */
    int n = NET_MAX_PER_HOST;
    net_queue_add(&q, &w[n], "a:443", 10);
    net_queue_add(&q, &w[n + 1], "b:443", 20);
    net_queue_add(&q, &w[n + 2], "a:443", 30);
    int got[QN + 1];
    indexes(net_queue_expire(&q, 25), w, got);
    cr_expect(got[0] == n && got[1] == n + 1 && got[2] == -1, "%d %d %d", got[0], got[1], got[2]);
    cr_expect_null(net_queue_expire(&q, 30), "arrived at 30: not before");
    net_queue_leave(&q, &w[n]);
    net_queue_leave(&q, &w[n + 1]);
    cr_expect_eq(q.hosts, w[n + 2].host, "b had no other transfer: only a is left");
    cr_expect_null(net_queue_take(&q, NET_MAX_IN_FLIGHT), "a is still at its cap");
    indexes(net_queue_expire(&q, 31), w, got);
    cr_expect(got[0] == n + 2 && got[1] == -1);
    net_queue_leave(&q, &w[n + 2]);
    queue_empty(&q, w, QN);
}

/* ---- the HTTPS server --------------------------------------------------- */

#define BODY_CAP 1000 /* max_bytes of the size tests */
#define MANY 50
#define HELD_MAX (NET_MAX_IN_FLIGHT + 10) /* fetches to one held host */

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    struct MHD_Daemon *d;
    unsigned port;
    int connections; /* accepted */
    int requests;    /* handled */
    int slow_waiting;
    bool release; /* slow handlers may answer */
    char method[8], authorization[128], content_type[128], accept[64], body[256];
    size_t body_len;
    char ca_path[64];
} srv = {.mu = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    (void)cls, (void)c, (void)socket_context;
    if (code != MHD_CONNECTION_NOTIFY_STARTED)
        return;
    pthread_mutex_lock(&srv.mu);
    srv.connections++;
    pthread_mutex_unlock(&srv.mu);
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, const char *type,
                              const char *body)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    if (type)
        MHD_add_response_header(r, "Content-Type", type);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* n bytes of 'x', sent chunked (no Content-Length). */
static ssize_t chunks(void *cls, uint64_t pos, char *buf, size_t max)
{
    size_t n = (size_t)(uintptr_t)cls;
    if (pos >= n)
        return MHD_CONTENT_READER_END_OF_STREAM;
    size_t k = n - (size_t)pos < max ? n - (size_t)pos : max;
    k = k > 100 ? 100 : k; /* several chunks */
    memset(buf, 'x', k);
    return (ssize_t)k;
}

static enum MHD_Result answer_chunked(struct MHD_Connection *c, size_t n)
{
    struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 256, chunks,
                                                               (void *)(uintptr_t)n, NULL);
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

/* Waits (at most 60 s, so a broken test ends) until the test releases it. */
static void wait_released(void)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 60;
    pthread_mutex_lock(&srv.mu);
    srv.slow_waiting++;
    pthread_cond_broadcast(&srv.cond);
    while (!srv.release && pthread_cond_timedwait(&srv.cond, &srv.mu, &until) == 0)
        ;
    pthread_mutex_unlock(&srv.mu);
}

static void copy_header(struct MHD_Connection *c, const char *name, char *out, size_t cap)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
    snprintf(out, cap, "%s", v ? v : "");
}

/* Records what an /echo request brought (called once its body is in). */
static void record(struct MHD_Connection *c, const char *method, const char *body, size_t n)
{
    pthread_mutex_lock(&srv.mu);
    snprintf(srv.method, sizeof srv.method, "%s", method);
    copy_header(c, "Authorization", srv.authorization, sizeof srv.authorization);
    copy_header(c, "Content-Type", srv.content_type, sizeof srv.content_type);
    copy_header(c, "Accept", srv.accept, sizeof srv.accept);
    srv.body_len = n < sizeof srv.body ? n : sizeof srv.body;
    memcpy(srv.body, body, srv.body_len);
    pthread_mutex_unlock(&srv.mu);
}

struct upload {
    char b[256];
    size_t n;
};

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *size, void **state)
{
    (void)cls, (void)version;
    if (!*state) { /* the head: the body (if any) comes in the next calls */
        *state = calloc(1, sizeof(struct upload));
        return MHD_YES;
    }
    struct upload *u = *state;
    if (*size) {
        size_t k = *size < sizeof u->b - u->n ? *size : sizeof u->b - u->n;
        memcpy(u->b + u->n, data, k);
        u->n += k;
        *size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&srv.mu);
    srv.requests++;
    pthread_mutex_unlock(&srv.mu);
    char location[64];
    snprintf(location, sizeof location, "https://127.0.0.1:%u/ok", srv.port);
    if (!strcmp(url, "/ok"))
        return answer(c, MHD_HTTP_OK, "application/json; charset=utf-8", "{\"hello\":1}");
    if (!strcmp(url, "/missing"))
        return answer(c, MHD_HTTP_NOT_FOUND, "text/plain", "no such thing");
    if (!strcmp(url, "/redirect")) {
        struct MHD_Response *r = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
        MHD_add_response_header(r, "Location", location);
        enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_FOUND, r);
        MHD_destroy_response(r);
        return ret;
    }
    if (!strcmp(url, "/chunked-cap"))
        return answer_chunked(c, BODY_CAP);
    if (!strcmp(url, "/chunked-over"))
        return answer_chunked(c, BODY_CAP + 1);
    if (!strcmp(url, "/length-over")) {
        static char over[BODY_CAP + 1];
        memset(over, 'y', sizeof over);
        struct MHD_Response *r =
            MHD_create_response_from_buffer(sizeof over, over, MHD_RESPMEM_PERSISTENT);
        enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
        MHD_destroy_response(r);
        return ret;
    }
    if (!strcmp(url, "/slow"))
        wait_released();
    if (!strcmp(url, "/wait"))
        usleep(200 * 1000);
    if (!strcmp(url, "/echo"))
        record(c, method, u->b, u->n);
    return answer(c, MHD_HTTP_OK, "text/plain", "done");
}

static void on_completed(void *cls, struct MHD_Connection *c, void **state,
                         enum MHD_RequestTerminationCode code)
{
    (void)cls, (void)c, (void)code;
    free(*state);
    *state = NULL;
}

static void server_start(void)
{
    cr_assert(MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES, "libmicrohttpd without TLS");
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    srv.d = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS, 0, NULL,
        NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_HTTPS_MEM_KEY, test_key_pem,
        MHD_OPTION_HTTPS_MEM_CERT, test_cert_pem, MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
    cr_assert(srv.d, "the test server did not start");
    srv.port = MHD_get_daemon_info(srv.d, MHD_DAEMON_INFO_BIND_PORT)->port;
    snprintf(srv.ca_path, sizeof srv.ca_path, "/tmp/sg-net-ca-XXXXXX");
    int fd = mkstemp(srv.ca_path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, test_cert_pem, strlen(test_cert_pem)), (ssize_t)strlen(test_cert_pem));
    close(fd);
}

static void server_stop(void)
{
    pthread_mutex_lock(&srv.mu);
    srv.release = true;
    pthread_cond_broadcast(&srv.cond);
    pthread_mutex_unlock(&srv.mu);
    MHD_stop_daemon(srv.d);
    unlink(srv.ca_path);
}

static int connections(void)
{
    pthread_mutex_lock(&srv.mu);
    int n = srv.connections;
    pthread_mutex_unlock(&srv.mu);
    return n;
}

/* ---- fetching and waiting ----------------------------------------------- */

struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int calls;
    struct net_response *resp;
};

static void on_done(void *arg, struct net_response *resp)
{
    struct waiter *w = arg;
    pthread_mutex_lock(&w->mu);
    if (w->resp) /* a second call: keep the first, count it */
        net_response_free(resp);
    else
        w->resp = resp;
    w->calls++;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->mu);
}

static void waiter_init(struct waiter *w)
{
    memset(w, 0, sizeof *w);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cond, NULL);
}

/* Waits until w has been called (at most 60 s: a safety net, not a test). */
static void waiter_wait(struct waiter *w)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 60;
    pthread_mutex_lock(&w->mu);
    while (w->calls == 0 && pthread_cond_timedwait(&w->cond, &w->mu, &until) == 0)
        ;
    int calls = w->calls;
    pthread_mutex_unlock(&w->mu);
    cr_assert(calls > 0, "done was never called");
}

static struct net_client *client_with(const struct net_opts *o)
{
    struct net_client *c = NULL;
    struct err e = {0};
    cr_assert_eq(net_client_start(o, &c, &e), ST_OK, "%s", e.msg);
    return c;
}

static struct net_client *client(bool with_ca, bool allow_private, long total_ms, size_t max)
{
    struct net_opts o = {.ca_file = with_ca ? srv.ca_path : NULL,
                         .allow_private = allow_private,
                         .total_ms = total_ms,
                         .max_bytes = max};
    return client_with(&o);
}

/* A client trusting the server, with the given timeouts. */
static struct net_client *client_timed(long connect_ms, long total_ms)
{
    struct net_opts o = {.ca_file = srv.ca_path,
                         .allow_private = true,
                         .connect_ms = connect_ms,
                         .total_ms = total_ms};
    return client_with(&o);
}

static char *url(const char *path)
{
    static char u[128];
    snprintf(u, sizeof u, "https://127.0.0.1:%u%s", srv.port, path);
    return u;
}

/* Fetches GET path and returns the response (the caller frees it). */
static struct net_response *get(struct net_client *c, const char *u)
{
    struct waiter w;
    waiter_init(&w);
    struct net_request req = {.method = "GET", .url = u};
    net_fetch(c, &req, on_done, &w);
    waiter_wait(&w);
    return w.resp;
}

static void expect_failure(struct net_response *r, enum st st, const char *why)
{
    cr_expect_eq(r->st, st, "st %s, why %s", st_name(r->st), r->why ? r->why : "(none)");
    cr_expect_str_eq(r->why ? r->why : "(none)", why);
    cr_expect_null(r->body);
    net_response_free(r);
}

TestSuite(net_fetch, .init = server_start, .fini = server_stop);

Test(net_fetch, an_answer_arrives_with_its_status_body_and_content_type)
{
    struct net_client *c = client(true, true, 0, 0);
    struct net_response *r = get(c, url("/ok"));
    cr_assert_eq(r->st, ST_OK, "%s", r->why);
    cr_expect_eq(r->status, 200);
    cr_expect_str_eq(r->content_type, "application/json; charset=utf-8");
    cr_expect_eq(r->len, strlen("{\"hello\":1}"));
    cr_expect_str_eq(r->body, "{\"hello\":1}");
    net_response_free(r);
    r = get(c, url("/missing")); /* any status but a 3xx is an answer */
    cr_assert_eq(r->st, ST_OK, "%s", r->why);
    cr_expect_eq(r->status, 404);
    cr_expect_str_eq(r->body, "no such thing");
    net_response_free(r);
    net_client_stop(c);
    cr_expect_eq(connections(), 1, "the second call reuses the connection");
}

Test(net_fetch, a_private_address_is_refused_before_any_connection)
{
    struct net_client *c = client(true, false, 0, 0);
    expect_failure(get(c, url("/ok")), ST_FORBIDDEN, NET_WHY_NOT_PUBLIC);
    char u[64];
    snprintf(u, sizeof u, "https://localhost:%u/ok", srv.port); /* ::1 and 127.0.0.1 */
    expect_failure(get(c, u), ST_FORBIDDEN, NET_WHY_NOT_PUBLIC);
    net_client_stop(c);
    cr_expect_eq(connections(), 0);
}

Test(net_fetch, a_url_that_is_not_https_is_refused)
{
    struct net_client *c = client(true, true, 0, 0);
    char u[64];
    snprintf(u, sizeof u, "http://127.0.0.1:%u/ok", srv.port);
    expect_failure(get(c, u), ST_INVALID, NET_WHY_NOT_HTTPS);
    snprintf(u, sizeof u, "ftp://127.0.0.1:%u/ok", srv.port);
    expect_failure(get(c, u), ST_INVALID, NET_WHY_NOT_HTTPS);
    net_client_stop(c);
    cr_expect_eq(connections(), 0);
}

Test(net_fetch, a_redirect_is_refused_and_not_followed)
{
    struct net_client *c = client(true, true, 0, 0);
    struct net_response *r = get(c, url("/redirect"));
    cr_expect_eq(r->status, 302);
    expect_failure(r, ST_INVALID, NET_WHY_REDIRECT);
    net_client_stop(c);
    pthread_mutex_lock(&srv.mu);
    cr_expect_eq(srv.requests, 1, "the Location was not fetched");
    pthread_mutex_unlock(&srv.mu);
}

Test(net_fetch, an_answer_over_the_size_cap_is_refused_chunked_or_not)
{
    struct net_client *c = client(true, true, 0, BODY_CAP);
    struct net_response *r = get(c, url("/chunked-cap"));
    cr_assert_eq(r->st, ST_OK, "exactly the cap is accepted: %s", r->why);
    cr_expect_eq(r->len, BODY_CAP);
    net_response_free(r);
    expect_failure(get(c, url("/chunked-over")), ST_TOO_LARGE, NET_WHY_TOO_LARGE);
    expect_failure(get(c, url("/length-over")), ST_TOO_LARGE, NET_WHY_TOO_LARGE);
    net_client_stop(c);
}

Test(net_fetch, a_server_slower_than_the_total_timeout_times_out)
{
    struct net_client *c = client(true, true, 300, 0);
    expect_failure(get(c, url("/slow")), ST_INTERNAL, NET_WHY_TIMED_OUT);
    net_client_stop(c);
}

Test(net_fetch, a_certificate_from_an_untrusted_ca_is_refused)
{
    struct net_client *c = client(false, true, 0, 0);
    expect_failure(get(c, url("/ok")), ST_INTERNAL, NET_WHY_TLS_VERIFY);
    net_client_stop(c);
    pthread_mutex_lock(&srv.mu);
    cr_expect_eq(srv.requests, 0, "no request crossed the unverified connection");
    pthread_mutex_unlock(&srv.mu);
}

Test(net_fetch, a_post_arrives_as_sent)
{
    struct net_client *c = client(true, true, 0, 0);
    static const char body[] = "grant_type=authorization_code&code=abc%2B&x=\x01";
    struct net_request req = {.method = "POST",
                              .url = url("/echo"),
                              .body = body,
                              .body_len = sizeof body - 1,
                              .content_type = "application/x-www-form-urlencoded",
                              .authorization = "Basic Y2xpZW50OnNlY3JldA==",
                              .accept = "application/json"};
    struct waiter w;
    waiter_init(&w);
    net_fetch(c, &req, on_done, &w);
    waiter_wait(&w);
    cr_assert_eq(w.resp->st, ST_OK, "%s", w.resp->why);
    net_response_free(w.resp);
    net_client_stop(c);
    cr_expect_str_eq(srv.method, "POST");
    cr_expect_str_eq(srv.authorization, "Basic Y2xpZW50OnNlY3JldA==");
    cr_expect_str_eq(srv.content_type, "application/x-www-form-urlencoded");
    cr_expect_str_eq(srv.accept, "application/json");
    cr_expect_eq(srv.body_len, sizeof body - 1);
    cr_expect(memcmp(srv.body, body, sizeof body - 1) == 0);
}

Test(net_fetch, a_header_value_with_a_line_break_is_refused_unsent)
{
    struct net_client *c = client(true, true, 0, 0);
    static const char *const bad[] = {"Bearer x\r\nX-Injected: 1", "Bearer x\ny", "Bearer x\r"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct net_request req = {.method = "GET", .url = url("/echo"), .authorization = bad[i]};
        struct waiter w;
        waiter_init(&w);
        net_fetch(c, &req, on_done, &w);
        waiter_wait(&w);
        expect_failure(w.resp, ST_INVALID, NET_WHY_BAD_REQUEST);
    }
    struct net_request put = {.method = "PUT", .url = url("/echo")};
    struct waiter w;
    waiter_init(&w);
    net_fetch(c, &put, on_done, &w);
    waiter_wait(&w);
    expect_failure(w.resp, ST_INVALID, NET_WHY_BAD_REQUEST);
    net_client_stop(c);
    cr_expect_eq(connections(), 0);
}

Test(net_fetch, a_failure_log_line_names_the_host_and_no_secret)
{
    char log[] = "/tmp/sg-net-log-XXXXXX";
    int fd = mkstemp(log);
    cr_assert(fd >= 0);
    close(fd);
    cr_assert_eq(log_file_open(log, NULL), ST_OK);
    log_set_level(LOG_DEBUG);
    struct net_client *c = client(false, true, 0, 0); /* the server's CA untrusted */
    char u[128];
    snprintf(u, sizeof u, "https://user:SECRET1@127.0.0.1:%u/p/SECRET2?access_token=SECRET3",
             srv.port);
    struct net_request req = {.method = "POST",
                              .url = u,
                              .body = "code=SECRET4",
                              .body_len = 12,
                              .authorization = "Bearer SECRET5"};
    struct waiter w;
    waiter_init(&w);
    net_fetch(c, &req, on_done, &w);
    waiter_wait(&w);
    expect_failure(w.resp, ST_INTERNAL, NET_WHY_TLS_VERIFY);
    net_client_stop(c);
    log_flush();
    char text[4096] = "";
    FILE *f = fopen(log, "r");
    cr_assert(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    unlink(log);
    char host[64];
    snprintf(host, sizeof host, "127.0.0.1:%u: " NET_WHY_TLS_VERIFY, srv.port);
    cr_expect(strstr(text, host) != NULL, "no line names the host and why: %s", text);
    cr_expect(strstr(text, "SECRET") == NULL, "a secret in the log: %s", text);
}

/* A shared counter for many transfers, each known by its index. */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int done, ok;
    int calls[HELD_MAX];
    enum st st[HELD_MAX];
    const char *why[HELD_MAX];
    bool answered[HELD_MAX]; /* ST_OK and 200 */
} many = {.mu = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

static void on_many(void *arg, struct net_response *r)
{
    int i = (int)(intptr_t)arg;
    pthread_mutex_lock(&many.mu);
    many.calls[i]++;
    many.st[i] = r->st;
    many.why[i] = r->why;
    many.answered[i] = r->st == ST_OK && r->status == 200;
    many.ok += many.answered[i];
    many.done++;
    pthread_cond_broadcast(&many.cond);
    pthread_mutex_unlock(&many.mu);
    net_response_free(r);
}

Test(net_fetch, fifty_transfers_at_once_all_complete)
{
    struct net_client *c = client(true, true, 60000, 0);
    struct net_request req = {.method = "GET", .url = url("/wait")};
    for (int i = 0; i < MANY; i++)
        net_fetch(c, &req, on_many, (void *)(intptr_t)i);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 120;
    pthread_mutex_lock(&many.mu);
    while (many.done < MANY && pthread_cond_timedwait(&many.cond, &many.mu, &until) == 0)
        ;
    cr_expect_eq(many.done, MANY);
    cr_expect_eq(many.ok, MANY);
    pthread_mutex_unlock(&many.mu);
    net_client_stop(c);
    cr_expect_gt(connections(), 1, "transfers ran side by side on several connections");
}

Test(net_fetch, stopping_ends_every_transfer_in_flight_once)
{
    struct net_client *c = client(true, true, 60000, 0);
    struct net_request req = {.method = "GET", .url = url("/slow")};
    for (int i = 0; i < MANY; i++)
        net_fetch(c, &req, on_many, (void *)(intptr_t)i);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 60;
    pthread_mutex_lock(&srv.mu);
    while (srv.slow_waiting == 0 && pthread_cond_timedwait(&srv.cond, &srv.mu, &until) == 0)
        ;
    cr_assert_gt(srv.slow_waiting, 0, "no transfer reached the server");
    pthread_mutex_unlock(&srv.mu);
    net_client_stop(c);
    pthread_mutex_lock(&many.mu);
    cr_expect_eq(many.done, MANY);
    for (int i = 0; i < MANY; i++) {
        cr_expect_eq(many.calls[i], 1, "transfer %d: %d calls", i, many.calls[i]);
        cr_expect_str_eq(many.why[i] ? many.why[i] : "(none)", NET_WHY_STOPPING);
    }
    pthread_mutex_unlock(&many.mu);
}

/* Waits until n transfers of many have ended (at most 120 s: a safety net). */
static void many_wait(int n)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 120;
    pthread_mutex_lock(&many.mu);
    while (many.done < n && pthread_cond_timedwait(&many.cond, &many.mu, &until) == 0)
        ;
    int done = many.done;
    pthread_mutex_unlock(&many.mu);
    cr_assert_geq(done, n, "only %d of %d transfers ended", done, n);
}

/* Waits until n requests are held at /slow (at most 60 s), and returns
 * how many are. */
static int held_wait(int n)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 60;
    pthread_mutex_lock(&srv.mu);
    while (srv.slow_waiting < n && pthread_cond_timedwait(&srv.cond, &srv.mu, &until) == 0)
        ;
    int held = srv.slow_waiting;
    pthread_mutex_unlock(&srv.mu);
    cr_assert_geq(held, n, "only %d of %d requests reached the server", held, n);
    return held;
}

static void release_held(void)
{
    pthread_mutex_lock(&srv.mu);
    srv.release = true;
    pthread_cond_broadcast(&srv.cond);
    pthread_mutex_unlock(&srv.mu);
}

/* More calls to one held host than the whole client runs at once, then one
 * to another host (localhost, the same server: another host:port key). */
Test(net_fetch, a_host_at_its_cap_holds_back_no_other_host)
{
    struct net_client *c = client_timed(60000, 120000); /* nothing here times out */
    struct net_request held = {.method = "GET", .url = url("/slow")};
    for (int i = 0; i < HELD_MAX; i++)
        net_fetch(c, &held, on_many, (void *)(intptr_t)i);
    char other[64];
    snprintf(other, sizeof other, "https://localhost:%u/ok", srv.port);
    struct net_response *r = get(c, other);
    pthread_mutex_lock(&many.mu);
    int ended_first = many.done;
    pthread_mutex_unlock(&many.mu);
    cr_expect_eq(r->st, ST_OK, "%s", r->why ? r->why : "");
    cr_expect_eq(r->status, 200);
    net_response_free(r);
    cr_expect_eq(ended_first, 0, "the other host answered while every held call waited");
    cr_expect_eq(held_wait(NET_MAX_PER_HOST), NET_MAX_PER_HOST,
                 "the held host got its cap and no more");
    release_held();
    many_wait(HELD_MAX);
    net_client_stop(c);
    pthread_mutex_lock(&many.mu);
    for (int i = 0; i < HELD_MAX; i++) {
        cr_expect_eq(many.calls[i], 1, "transfer %d: %d calls", i, many.calls[i]);
        cr_expect(many.answered[i], "transfer %d: %s", i, many.why[i] ? many.why[i] : "");
    }
    pthread_mutex_unlock(&many.mu);
    pthread_mutex_lock(&srv.mu);
    cr_expect_eq(srv.slow_waiting, HELD_MAX, "each waiting call was sent once released");
    pthread_mutex_unlock(&srv.mu);
}

/* The host's cap is filled one call at a time (each connects alone, well
 * within the short connect timeout), then BEYOND more calls wait past it. */
Test(net_fetch, a_call_waiting_past_the_connect_timeout_fails_busy)
{
    enum { BEYOND = 10 };
    struct net_client *c = client_timed(1000, 120000);
    struct net_request held = {.method = "GET", .url = url("/slow")};
    for (int i = 0; i < NET_MAX_PER_HOST; i++) {
        net_fetch(c, &held, on_many, (void *)(intptr_t)i);
        held_wait(i + 1);
    }
    for (int i = NET_MAX_PER_HOST; i < NET_MAX_PER_HOST + BEYOND; i++)
        net_fetch(c, &held, on_many, (void *)(intptr_t)i);
    many_wait(BEYOND);
    pthread_mutex_lock(&many.mu);
    cr_expect_eq(many.done, BEYOND, "only the waiting calls ended");
    for (int i = 0; i < NET_MAX_PER_HOST; i++)
        cr_expect_eq(many.calls[i], 0, "held transfer %d ended", i);
    for (int i = NET_MAX_PER_HOST; i < NET_MAX_PER_HOST + BEYOND; i++) {
        cr_expect_eq(many.calls[i], 1, "transfer %d: %d calls", i, many.calls[i]);
        cr_expect_eq(many.st[i], ST_INTERNAL, "transfer %d: %s", i, st_name(many.st[i]));
        cr_expect_str_eq(many.why[i] ? many.why[i] : "(none)", NET_WHY_BUSY);
    }
    pthread_mutex_unlock(&many.mu);
    release_held();
    many_wait(NET_MAX_PER_HOST + BEYOND);
    net_client_stop(c);
    pthread_mutex_lock(&many.mu);
    for (int i = 0; i < NET_MAX_PER_HOST + BEYOND; i++)
        cr_expect_eq(many.calls[i], 1, "transfer %d: %d calls", i, many.calls[i]);
    for (int i = 0; i < NET_MAX_PER_HOST; i++)
        cr_expect(many.answered[i], "held transfer %d: %s", i, many.why[i] ? many.why[i] : "");
    pthread_mutex_unlock(&many.mu);
    pthread_mutex_lock(&srv.mu);
    cr_expect_eq(srv.slow_waiting, NET_MAX_PER_HOST, "the calls that failed were never sent");
    pthread_mutex_unlock(&srv.mu);
}

/* ---- starting ----------------------------------------------------------- */

Test(net_client, a_ca_file_that_cannot_be_read_or_holds_no_certificate_is_refused)
{
    char junk[] = "/tmp/sg-net-junk-XXXXXX";
    int fd = mkstemp(junk);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, "not a certificate\n", 18), 18);
    close(fd);
    const char *const paths[] = {junk, "/nonexistent/ca.pem"};
    for (size_t i = 0; i < 2; i++) {
        struct net_opts o = {.ca_file = paths[i]};
        struct net_client *c = NULL;
        struct err e = {0};
        cr_expect_eq(net_client_start(&o, &c, &e), ST_INVALID, "%s", paths[i]);
        cr_expect_null(c);
        cr_expect(strstr(e.msg, paths[i]) != NULL, "the message names the file: %s", e.msg);
    }
    unlink(junk);
}
