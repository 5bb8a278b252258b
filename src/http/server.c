/* SPDX-License-Identifier: MIT */
/*
 * The HTTP server on libmicrohttpd: a pool of event threads, each request
 * read into a per-request arena with its body capped at API_BODY_LIMIT (a
 * route's own limit up to API_BODY_MAX where the route table says so),
 * answered by api_handle, logged once at completion. Before any route sees
 * a request, its framing is checked (framing.c: what a proxy could read
 * otherwise is refused, and the connection closed) and its path decoded
 * from the target as sent (util_path_decode). Bodies over the cap are
 * refused before they are read when Content-Length tells. A request
 * that writes is suspended and handed to the one write thread, which
 * answers all the writes waiting at that moment as one batch with one
 * disk flush (api/commit.c), then resumes them; reads go on meanwhile. With a certificate
 * and key it serves HTTPS only (TLS 1.2 or 1.3, through libmicrohttpd's
 * GnuTLS); without, plain HTTP on a loopback address only, unless told.
 * The listening socket is ours, not libmicrohttpd's: one accept thread
 * hands each connection to the pool, so stopping can close the socket
 * first (new connections are refused) while the requests in flight end.
 */
#include "http.h"
#include "http_int.h"

#include "../api/api.h"

#include <microhttpd.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* GnuTLS priorities: its defaults, but only TLS 1.3 and 1.2 */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
#define PEM_MAX (1024 * 1024) /* a certificate chain or key file larger is refused */
#define ACCEPT_BATCH 64       /* connections accepted between two looks at the stop pipe */

struct request;

struct http_server {
    struct MHD_Daemon *d;
    const struct cfg *cfg;
    const struct api_env *env;
    int listen_fd;    /* closed first when stopping */
    atomic_int conns; /* handed to libmicrohttpd and not yet closed */
    int wake[2];      /* a byte in wake[1] ends the accept thread */
    pthread_t acceptor;
    /* PEM text given to libmicrohttpd, kept while it runs; the key is wiped */
    char *tls_cert, *tls_key;
    size_t tls_key_len;
    atomic_ulong next_id;
    atomic_int in_flight;
    struct api_commit *commit;    /* group commit: the write thread */
    struct http_guard *guard;     /* per-address limit, head deadline, trusted proxies */
    struct http_metrics *metrics; /* the metrics listener, or NULL (off) */
};

struct request {
    struct api_write write; /* first: done gets &write, which is the request */
    struct MHD_Connection *conn;
    struct api_req req;
    struct api_resp resp;
    bool offloaded;
    atomic_bool ready; /* resp is filled: resume and send it */
    struct arena arena;
    unsigned long id;
    int64_t start_us;
    char *body; /* xmalloc'd, grown as data arrives, wiped when done */
    size_t len, cap;
    size_t limit; /* the route's body limit, once asked (body_limit) */
    bool too_large;
    int status;
    int route_no; /* the route's index + 1 in the route table; 0: none */
    const char *route;
    const char *method; /* libmicrohttpd's, valid until completion */
    const char *target; /* the request target as sent, query included (arena) */
    size_t target_len;
    const char *path;  /* target's path, decoded by util_path_decode (arena) */
    const char *query; /* target's query as sent, after '?' (arena), or NULL */
    char id_text[24];  /* id in decimal: X-Request-Id */
    bool started;      /* on_request has seen it (and counted it in flight) */
    bool close;        /* answer with Connection: close */
    enum st refuse;    /* ST_OK, or why it is refused before routing */
    const char *refuse_why;
};

static const char *header(struct MHD_Connection *conn, const char *name)
{
    return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

static enum MHD_Result respond(struct http_server *s, struct MHD_Connection *conn,
                               struct request *r, const struct api_resp *resp)
{
    struct MHD_Response *m =
        MHD_create_response_from_buffer(resp->body_len, (void *)resp->body, MHD_RESPMEM_MUST_COPY);
    if (!m)
        return MHD_NO;
    if (resp->content_type)
        MHD_add_response_header(m, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
    for (int i = 0; i < resp->nheaders; i++)
        MHD_add_response_header(m, resp->headers[i].name, resp->headers[i].value);
    MHD_add_response_header(m, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(m, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(m, "X-Request-Id", r->id_text);
    /* libmicrohttpd closes the connection after this answer: the framing
     * was in doubt, or the server is stopping (go elsewhere) */
    if (r->close || atomic_load(s->env->draining))
        MHD_add_response_header(m, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)resp->status, m);
    MHD_destroy_response(m);
    r->status = resp->status;
    r->route = resp->route;
    r->route_no = resp->route_no;
    return ok;
}

struct joined {
    const char *name;
    struct buf b;
    bool any;
};

static enum MHD_Result on_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
    (void)kind;
    struct joined *j = cls;
    if (key && value && strcasecmp(key, j->name) == 0) {
        if (j->any)
            buf_add(&j->b, ",", 1);
        buf_puts(&j->b, value);
        j->any = true;
    }
    return MHD_YES;
}

/* Every value of header name joined by commas, in order (arena), or NULL. */
static const char *joined(struct MHD_Connection *conn, const char *name, struct arena *a)
{
    struct joined j = {.name = name};
    buf_init(&j.b, a);
    MHD_get_connection_values(conn, MHD_HEADER_KIND, on_header, &j);
    if (!j.any || j.b.overflow) /* past the cap reads as absent: unreachable, the
                                 * headers of a request fit libmicrohttpd's 32 KiB */
        return NULL;
    buf_add(&j.b, "", 1);
    return j.b.p;
}

/* The client's address and network as text (arena): the peer's, or behind
 * a trusted proxy the one its forwarding headers name. NULL if unknown. */
static void client(struct http_server *s, struct MHD_Connection *conn, struct arena *a,
                   struct api_req *req)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct http_trusted *trusted = http_guard_trusted(s->guard);
    struct net_addr peer, addr;
    if (!ci || !http_sock_addr(ci->client_addr, &peer))
        return;
    const char *xff = NULL, *fwd = NULL;
    if (http_trusted_has(trusted, &peer)) {
        xff = joined(conn, "X-Forwarded-For", a);
        fwd = joined(conn, "Forwarded", a);
    }
    http_client_addr(trusted, &peer, xff, fwd, &addr);
    char text[NET_ADDR_TEXT];
    net_addr_format(&addr, text);
    req->remote_addr = arena_strdup(a, text);
    net_addr_format_net(&addr, text);
    req->remote_net = arena_strdup(a, text);
}

static void fill_req(struct http_server *s, struct MHD_Connection *conn, struct request *r,
                     const char *method)
{
    r->req = (struct api_req){
        .method = method,
        .path = r->path ? r->path : "",
        .query = r->query ? r->query : "",
        .id = r->id_text,
        .content_type = header(conn, MHD_HTTP_HEADER_CONTENT_TYPE),
        .authorization = header(conn, MHD_HTTP_HEADER_AUTHORIZATION),
        .if_match = header(conn, MHD_HTTP_HEADER_IF_MATCH),
        .if_none_match = header(conn, MHD_HTTP_HEADER_IF_NONE_MATCH),
        .body = r->body ? r->body : "",
        .body_len = r->len,
        .body_too_large = r->too_large,
        .refuse = r->refuse,
        .refuse_why = r->refuse_why,
    };
    client(s, conn, &r->arena, &r->req);
}

static enum MHD_Result answer(struct http_server *s, struct MHD_Connection *conn, struct request *r,
                              const char *method)
{
    fill_req(s, conn, r, method);
    api_handle(s->env, &r->arena, &r->req, &r->resp);
    return respond(s, conn, r, &r->resp);
}

/* Group commit (or the asynchronous route) is done with the request: its
 * answer is final, or for a staged request its write is made. */
static void on_written(struct api_write *w)
{
    struct request *r = (struct request *)(void *)w;
    atomic_store(&r->ready, true);
    MHD_resume_connection(r->conn);
}

/* Suspends the connection and hands the request to the write thread, or
 * (API_RUN_ASYNC) to the route that answers it later; either calls
 * on_written once it is done. An asynchronous route may answer at once (a
 * refusal), and a staged one (API_RUN_STAGED) runs here first and may need
 * no write: then the answer is sent now. */
static enum MHD_Result offload(struct http_server *s, struct MHD_Connection *conn,
                               struct request *r, enum api_run run)
{
    r->conn = conn;
    r->write = (struct api_write){
        .a = &r->arena, .req = &r->req, .resp = &r->resp, .done = on_written, .commit = s->commit};
    if (run == API_RUN_ASYNC && !api_async_begin(s->env, &r->write))
        return respond(s, conn, r, &r->resp);
    if (run == API_RUN_STAGED && !api_staged_begin(s->env, &r->write))
        return respond(s, conn, r, &r->resp); /* answered without a write */
    r->offloaded = true;
    MHD_suspend_connection(conn);
    if (run == API_RUN_ASYNC)
        api_async_go(&r->write);
    else
        api_commit_enqueue(s->commit, &r->write);
    return MHD_YES;
}

/* The most body bytes r's route accepts, asked of api/ the first time a
 * body goes past API_BODY_LIMIT (few routes take more; most requests never
 * ask). */
static bool over_limit(struct request *r, unsigned long long n)
{
    if (n <= API_BODY_LIMIT)
        return false;
    if (!r->limit)
        r->limit = api_body_limit(r->method, r->path ? r->path : "");
    return n > r->limit;
}

/* Makes room for n body bytes (n within the route's limit). */
static void grow(struct request *r, size_t n)
{
    if (n <= r->cap)
        return;
    size_t cap = r->cap ? r->cap : 1024;
    while (cap < n)
        cap *= 2;
    char *b = xmalloc(cap);
    if (r->len)
        memcpy(b, r->body, r->len);
    if (r->body) {
        secret_wipe(r->body, r->len);
        free(r->body);
    }
    r->body = b;
    r->cap = cap;
}

/* True when the request target held a NUL byte: libmicrohttpd hands the
 * target on as a C string, cut there ("/x/{id}\0junk" would run as
 * "/x/{id}"). on_uri measured it with strlen before libmicrohttpd wrote
 * anything into it; url and version point into libmicrohttpd's copy of
 * the request line "METHOD SP target SP version" (0.9.75 keeps it in
 * place), whose true target length is version - 1 - url. */
static bool target_cut(const struct request *r, const char *url, const char *version)
{
    return version > url && (size_t)(version - url) - 1 != r->target_len;
}

/* A new request, from its target as sent (target may be NULL). */
static struct request *request_new(struct http_server *s, const char *target)
{
    struct request *r = xcalloc(1, sizeof *r);
    arena_init(&r->arena);
    r->id = atomic_fetch_add(&s->next_id, 1) + 1;
    snprintf(r->id_text, sizeof r->id_text, "%lu", r->id);
    r->start_us = util_mono_us();
    if (target) {
        r->target_len = strlen(target);
        r->target = arena_strndup(&r->arena, target, r->target_len);
    }
    return r;
}

/* libmicrohttpd calls this with the request target exactly as sent (up to
 * a NUL byte), before it cuts the query off or decodes anything: the
 * request begins here. Its result is the request's state. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)conn;
    return request_new(cls, uri);
}

/* The first call for a request, with its headers and before its body:
 * checks the framing and the path, and answers at once what it refuses
 * (closing the connection when the framing is in doubt). */
static enum MHD_Result first_call(struct http_server *s, struct MHD_Connection *conn,
                                  struct request *r, const char *url, const char *method,
                                  const char *version)
{
    http_guard_head_done(conn);
    r->started = true;
    r->method = method;
    atomic_fetch_add(&s->in_flight, 1);
    r->refuse = r->target ? http_framing_check(conn, version, &r->refuse_why) : ST_INTERNAL;
    if (r->refuse == ST_OK && target_cut(r, url, version)) {
        r->refuse = ST_INVALID;
        r->refuse_why = "NUL byte in the request target";
    }
    if (r->refuse != ST_OK) {
        r->close = true;
        return answer(s, conn, r, method);
    }
    size_t n = strcspn(r->target, "?");
    char *path = arena_alloc(&r->arena, n + 1);
    if (util_path_decode(path, r->target, n) < 0) {
        r->refuse = ST_INVALID;
        r->refuse_why = "bad percent-encoding, or a control character or space, in the path";
        return answer(s, conn, r, method);
    }
    r->path = path;
    if (r->target[n] == '?')
        r->query = r->target + n + 1;
    const char *cl = header(conn, MHD_HTTP_HEADER_CONTENT_LENGTH);
    unsigned long long len = cl ? strtoull(cl, NULL, 10) : 0;
    if (over_limit(r, len)) {
        r->too_large = true; /* refuse before reading; MHD closes afterwards */
        return answer(s, conn, r, method);
    }
    grow(r, len > API_BODY_LIMIT ? API_BODY_LIMIT : (size_t)len); /* the rest as it comes */
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **state)
{
    struct http_server *s = cls;
    struct request *r = *state;
    if (!r) /* on_uri runs first; without it the target is unknown: 500 */
        *state = r = request_new(s, NULL);
    if (!r->started)
        return first_call(s, conn, r, url, method, version);
    if (*upload_size) {
        if (!r->too_large && over_limit(r, r->len + *upload_size))
            r->too_large = true;
        if (!r->too_large) {
            grow(r, r->len + *upload_size);
            memcpy(r->body + r->len, upload, *upload_size);
            r->len += *upload_size;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->status)
        return MHD_YES; /* already answered (refused, or 413 before the body) */
    if (r->offloaded) {
        if (!atomic_load(&r->ready))
            return MHD_YES;
        api_staged_end(&r->write); /* a staged request answers here, not on the write thread */
        return respond(s, conn, r, &r->resp);
    }
    fill_req(s, conn, r, method);
    enum api_run run = api_match(&r->arena, &r->req); /* matched once: api_handle uses it */
    if (run != API_RUN_HERE)
        return offload(s, conn, r, run);
    api_handle(s->env, &r->arena, &r->req, &r->resp);
    return respond(s, conn, r, &r->resp);
}

/* Copies s into out with control bytes escaped, for the log line. */
static void printable(char *out, size_t cap, const char *s)
{
    size_t o = 0;
    for (; s && *s && o + 5 < cap; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '\\')
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", ch);
        else
            out[o++] = (char)ch;
    }
    out[o] = '\0';
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **state,
                         enum MHD_RequestTerminationCode code)
{
    struct http_server *s = cls;
    struct request *r = *state;
    if (!r)
        return;
    http_guard_head_wait(conn); /* for the next request */
    if (!r->started) {          /* libmicrohttpd refused it itself, before on_request */
        arena_cleanup(&r->arena);
        free(r);
        *state = NULL;
        return;
    }
    char method[24]; /* the client's word: escaped and cut */
    printable(method, sizeof method, r->method);
    bool aborted = code != MHD_REQUEST_TERMINATED_COMPLETED_OK;
    long long us = util_mono_us() - r->start_us;
    const char *route = r->route ? r->route : "-";
    metrics_request(r->route_no, r->status, us);
    struct log_field f[] = {
        {"request_id", r->id_text, 0}, {"method", method, 0}, {"route", route, 0},
        {"status", NULL, r->status},   {"us", NULL, us},      {"aborted", NULL, aborted},
    };
    log_fields(LOG_INFO, f, aborted ? 6 : 5, "rid=%lu %s route=\"%s\" status=%d us=%lld%s", r->id,
               method, route, r->status, us, aborted ? " aborted=1" : "");
    arena_cleanup(&r->arena);
    if (r->body) {
        secret_wipe(r->body, r->len);
        free(r->body);
    }
    free(r);
    *state = NULL;
    atomic_fetch_sub(&s->in_flight, 1);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **state,
                          enum MHD_ConnectionNotificationCode code)
{
    struct http_server *s = cls;
    http_guard_on_connection(s->guard, conn, state, code);
    if (code == MHD_CONNECTION_NOTIFY_CLOSED)
        atomic_fetch_sub(&s->conns, 1);
}

static void on_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && line[n - 1] == '\n')
        line[--n] = '\0'; /* libmicrohttpd ends its messages with one */
    char clean[512];
    printable(clean, sizeof clean, line);
    log_msg(LOG_WARN, "http: %s", clean);
}

enum st http_addr_resolve(const char *listen, struct sockaddr_storage *sa, struct err *e)
{
    const char *colon = strrchr(listen, ':');
    char host[256];
    size_t n = (size_t)(colon - listen);
    if (n >= sizeof host)
        return ERR(e, ST_INVALID, "listen", "listen host too long");
    memcpy(host, listen, n);
    host[n] = '\0';
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        memmove(host, host + 1, n - 2);
        host[n - 2] = '\0';
    }
    struct addrinfo hints = {.ai_flags = AI_PASSIVE, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int rc = getaddrinfo(*host ? host : NULL, colon + 1, &hints, &res);
    if (rc != 0)
        return ERR(e, ST_INVALID, "listen", "cannot resolve %s: %s", listen, gai_strerror(rc));
    memcpy(sa, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return ST_OK;
}

/* True for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104; the wildcard
 * addresses (0.0.0.0, ::) are not loopback. */
bool http_addr_loopback(const struct sockaddr_storage *sa)
{
    if (sa->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const void *)sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->ss_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return false;
}

/* Binds and listens on sa (address reuse on, IPv6 only on an IPv6
 * address), as libmicrohttpd would; the descriptor into *fd. */
enum st http_listen_open(const struct sockaddr_storage *sa, const char *listen_text, int *fd,
                         struct err *e)
{
    bool v6 = sa->ss_family == AF_INET6;
    socklen_t len = v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    int one = 1;
    int s = socket(sa->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s >= 0 && (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
                   (v6 && setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) ||
                   bind(s, (const struct sockaddr *)sa, len) != 0 || listen(s, SOMAXCONN) != 0 ||
                   fcntl(s, F_SETFL, O_NONBLOCK) != 0)) {
        int saved = errno;
        close(s);
        s = -1;
        errno = saved;
    }
    if (s < 0)
        return ERR(e, ST_INTERNAL, "listen", "cannot listen on %s: %s", listen_text,
                   strerror(errno));
    *fd = s;
    return ST_OK;
}

/* Accepts what the kernel has queued, up to ACCEPT_BATCH connections (so
 * that a flood of them cannot keep the thread from seeing it must stop),
 * and hands each one to the pool; false when the accept thread should
 * pause (out of descriptors). */
static bool accept_queued(struct http_server *s)
{
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        struct sockaddr_storage sa;
        socklen_t len = sizeof sa;
        int c = accept4(s->listen_fd, (struct sockaddr *)&sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            return errno == EAGAIN || errno == EWOULDBLOCK;
        }
        /* Over --max-connections: closed at once. The count is ours, as
         * libmicrohttpd 0.9.75 leaves a mutex locked when a connection
         * added with MHD_add_connection meets its own limit. on_connection
         * counts a connection out when it closes (one that libmicrohttpd
         * cannot even start, out of memory, keeps its slot). */
        const struct sockaddr *peer = (const struct sockaddr *)&sa;
        if (atomic_fetch_add(&s->conns, 1) >= s->cfg->max_connections) {
            atomic_fetch_sub(&s->conns, 1);
            close(c);
        } else if (!http_guard_admit(s->guard, peer)) { /* its address has enough open */
            atomic_fetch_sub(&s->conns, 1);
            close(c);
        } else if (MHD_add_connection(s->d, c, peer, len) != MHD_YES) {
            http_guard_release(s->guard, peer);
            atomic_fetch_sub(&s->conns, 1); /* libmicrohttpd has closed it */
        }
    }
    return true;
}

/* The accept thread: until a byte arrives on s->wake[0]. */
static void *acceptor_main(void *arg)
{
    struct http_server *s = arg;
    int pause_ms = -1; /* after running out of descriptors: retry soon */
    for (;;) {
        struct pollfd p[2] = {{.fd = s->wake[0], .events = POLLIN},
                              {.fd = s->listen_fd, .events = POLLIN}};
        int n = poll(p, pause_ms < 0 ? 2 : 1, pause_ms);
        if (n < 0 && errno != EINTR)
            break; /* cannot happen with valid descriptors */
        if (n > 0 && p[0].revents)
            break;
        bool ok = accept_queued(s);
        if (!ok && pause_ms < 0)
            log_msg(LOG_WARN, "http: cannot accept a connection: %s", strerror(errno));
        pause_ms = ok ? -1 : 100;
    }
    return NULL;
}

/* Reads the whole of a PEM file into *out (xmalloc'd, NUL-terminated, as
 * libmicrohttpd takes it) and its length into *len. */
static enum st read_pem(const char *path, const char *what, char **out, size_t *len, struct err *e)
{
    FILE *f = *path ? fopen(path, "rb") : NULL;
    if (!f)
        return ERR(e, ST_INVALID, what, "cannot read TLS %s %s: %s", what, path,
                   *path ? strerror(errno) : "empty file name");
    char *b = xmalloc(PEM_MAX + 1);
    size_t n = fread(b, 1, PEM_MAX + 1, f);
    int failed = ferror(f) ? errno : 0;
    fclose(f);
    if (failed || n == 0 || n > PEM_MAX || memchr(b, '\0', n)) {
        secret_wipe(b, n);
        free(b);
        return ERR(e, ST_INVALID, what, "cannot read TLS %s %s: %s", what, path,
                   failed   ? strerror(failed)
                   : n == 0 ? "empty file"
                            : "not a PEM file");
    }
    b[n] = '\0';
    *out = b;
    *len = n;
    return ST_OK;
}

static void free_pem(struct http_server *s)
{
    if (s->tls_key) {
        secret_wipe(s->tls_key, s->tls_key_len);
        free(s->tls_key);
    }
    free(s->tls_cert);
    s->tls_key = s->tls_cert = NULL;
}

/* Refuses plain HTTP on a non-loopback address (unless --insecure-http),
 * and reads the certificate and key when TLS is on. */
static enum st prepare_tls(struct http_server *s, const struct sockaddr_storage *sa, struct err *e)
{
    const struct cfg *c = s->cfg;
    if (!c->tls_cert) {
        if (http_addr_loopback(sa) || c->insecure_http)
            return ST_OK;
        return ERR(e, ST_INVALID, "listen",
                   "plain HTTP on %.32s, not a loopback address, would send bearer tokens in "
                   "clear: give --tls-cert and --tls-key, or --insecure-http",
                   c->listen);
    }
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
        return ERR(e, ST_INTERNAL, "tls-cert", "this libmicrohttpd was built without TLS");
    size_t cert_len = 0;
    enum st st = read_pem(c->tls_cert, "certificate", &s->tls_cert, &cert_len, e);
    if (st == ST_OK)
        st = read_pem(c->tls_key, "key", &s->tls_key, &s->tls_key_len, e);
    return st;
}

/* libmicrohttpd on our own listening socket (the accept thread adds each
 * connection). Its connection limit is never reached: each worker's share
 * is all of --max-connections, which accept_queued enforces (see there). */
static struct MHD_Daemon *daemon_start(struct http_server *s, unsigned flags,
                                       struct MHD_OptionItem *https)
{
    const struct cfg *c = s->cfg;
    unsigned limit = (unsigned)(c->max_connections * c->threads);
    return MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, on_log, NULL,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)c->threads, MHD_OPTION_CONNECTION_LIMIT, limit,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)c->timeout, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, s, MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, s, MHD_OPTION_ARRAY, https, MHD_OPTION_END);
}

enum st http_server_start(const struct cfg *cfg, const struct api_env *env,
                          struct http_server **out, struct err *e)
{
    struct sockaddr_storage sa = {0};
    enum st st = http_addr_resolve(cfg->listen, &sa, e);
    if (st != ST_OK)
        return st;
    struct http_server *s = xcalloc(1, sizeof *s);
    s->cfg = cfg;
    s->env = env;
    s->listen_fd = -1;
    st = prepare_tls(s, &sa, e);
    if (st == ST_OK)
        st = http_listen_open(&sa, cfg->listen, &s->listen_fd, e);
    if (st == ST_OK && cfg->metrics_listen)
        st = http_metrics_start(cfg->metrics_listen, &s->conns, &s->in_flight, &s->metrics, e);
    if (st != ST_OK) {
        if (s->listen_fd >= 0)
            close(s->listen_fd);
        free_pem(s);
        free(s);
        return st;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ITC |
                     MHD_USE_NO_LISTEN_SOCKET | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
                     (s->tls_cert ? MHD_USE_TLS : 0);
    struct MHD_OptionItem https[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, s->tls_cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_key},
        {MHD_OPTION_HTTPS_PRIORITIES, 0, TLS_PRIORITIES},
        {MHD_OPTION_END, 0, NULL},
    };
    if (!s->tls_cert)
        https[0].option = MHD_OPTION_END; /* plain HTTP: no HTTPS option at all */
    /* Everything a request uses exists before the first connection is
     * taken: the guard, the write thread, the daemon; the accept thread,
     * which hands connections over, starts last. */
    s->guard = http_guard_new(cfg);
    s->commit = api_commit_start(env);
    if (pipe2(s->wake, O_CLOEXEC) != 0)
        abort(); /* no descriptors at start: better to stop */
    s->d = daemon_start(s, flags, https);
    if (!s->d) {
        bool tls = s->tls_cert != NULL;
        api_commit_stop(s->commit);
        http_guard_free(s->guard);
        http_metrics_stop(s->metrics);
        close(s->wake[0]);
        close(s->wake[1]);
        close(s->listen_fd);
        free_pem(s);
        free(s);
        if (tls)
            return ERR(e, ST_INTERNAL, "listen",
                       "cannot serve HTTPS on %s (the certificate and key unusable: see above)",
                       cfg->listen);
        return ERR(e, ST_INTERNAL, "listen", "cannot serve on %s: see above", cfg->listen);
    }
    if (pthread_create(&s->acceptor, NULL, acceptor_main, s) != 0)
        abort(); /* nothing can be served: better to stop at start */
    *out = s;
    return ST_OK;
}

/* Ends the accept thread and closes the listening socket: from here the
 * kernel refuses new connections, and drops those it had queued. */
static void stop_accepting(struct http_server *s)
{
    while (write(s->wake[1], "x", 1) < 0 && errno == EINTR)
        ;
    pthread_join(s->acceptor, NULL);
    close(s->listen_fd);
    close(s->wake[0]);
    close(s->wake[1]);
    s->listen_fd = -1;
}

void http_server_stop(struct http_server *s)
{
    if (!s)
        return;
    /* New connections are refused first; then requests in flight finish
     * (up to 5 s). libmicrohttpd 0.9.75's MHD_quiesce_daemon is not used:
     * with a thread pool on epoll it races the workers' own removal of the
     * listening socket and aborts the process. Our own socket, which
     * libmicrohttpd never sees, has no such race. */
    stop_accepting(s);
    for (int i = 0; i < 500 && atomic_load(&s->in_flight) > 0; i++)
        usleep(10000);
    api_async_cancel(s->env);   /* sign-ins still waiting on a provider are answered now */
    api_commit_stop(s->commit); /* answers what is queued, then ends */
    MHD_stop_daemon(s->d);
    http_guard_free(s->guard);     /* after the daemon: it is told of every close */
    http_metrics_stop(s->metrics); /* last: scrapes see the drain to its end */
    free_pem(s);
    free(s);
}
