/* SPDX-License-Identifier: MIT */
/*
 * The outbound HTTPS client. One thread drives every transfer through a
 * libcurl multi handle (its connection pool makes reuse automatic); other
 * threads only queue requests and wake it. Every easy handle is set up by
 * one function, configure(), so no transfer escapes a protection. The
 * trust, the address guard, the size cap and the queue's fairness (a cap
 * per host, a deadline for waiting) live here; what a request means
 * (OIDC, OAuth 2) is the caller's. Nothing here logs a URL's path or
 * query, a header or a body.
 */
#include "net_int.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define CA_MAX_BYTES (4 * 1024 * 1024) /* a CA file, or the system bundle */
/* No cap per host in libcurl, and the cap in all is our own in-flight cap:
 * libcurl never holds a transfer back waiting for a connection, where its
 * total timeout would run while it waits (50 sign-ins parked at one slow
 * IdP must each get their whole 10 s). Waiting happens in our queue, which
 * caps each host itself (NET_MAX_PER_HOST) and has a deadline of its own. */
#define HOST_CONNECTIONS 0L
#define TOTAL_CONNECTIONS NET_MAX_IN_FLIGHT /* sockets at once */
#define CACHED_CONNECTIONS 64               /* idle connections kept for reuse */
#define POLL_MS 1000                        /* the longest wait without news */

/* One request, from net_fetch to its done. */
struct transfer {
    struct net_wait wait;         /* in the queue and after (under mu); refused: next only */
    struct transfer *next, *prev; /* the active list */
    char *key;                    /* its host (host_key), or NULL when it cannot be sent */
    struct net_client *c;
    CURL *h;
    char *url, *body;
    size_t body_len;
    bool post;
    struct curl_slist *headers; /* may hold the Authorization value: wiped */
    net_done_fn done;
    void *arg;
    char *buf; /* the answer so far, NUL-terminated; cap bytes, wiped */
    size_t len, cap;
    enum st st; /* a failure found before starting, with why */
    const char *why;
    bool over_cap;   /* the write callback refused the answer */
    bool not_public; /* the address guard refused an address */
};

struct net_client {
    long connect_ms, total_ms;
    size_t max_bytes;
    bool allow_private;
    int ca_fd;         /* the sealed bundle of system and extra CAs, or -1 */
    char ca_path[256]; /* the PEM file libcurl trusts; "" when its defaults serve */
    bool own_trust;    /* ca_path holds the system's CAs: no CA directory */
    pthread_mutex_t mu;
    struct net_queue queue;   /* waiting for the thread (under mu) */
    struct net_wait *refused; /* not sendable: done on the thread (under mu) */
    bool stopping;            /* net_client_stop was called (under mu) */
    bool closed;              /* the thread takes no more (under mu) */
    pthread_t thread;
    CURLM *multi;
    CURLSH *share;           /* TLS sessions across easy handles; one thread: no locks */
    struct transfer *active; /* in the multi handle (thread only) */
    int nactive;
};

/* curl_global_init is process-wide and must run once: the only state of
 * this file outside a client. */
static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

static void global_init(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- the trust: system CAs plus the optional CA file -------------------- */

/* Reads the file at path (at most CA_MAX_BYTES) into *out (xmalloc'd,
 * NUL-terminated). False with errno set on failure (EFBIG: too large). */
static bool read_capped(const char *path, char **out, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    char *b = xmalloc(CA_MAX_BYTES + 2);
    size_t got = fread(b, 1, CA_MAX_BYTES + 1, f);
    bool ok = !ferror(f);
    fclose(f);
    if (ok && got > CA_MAX_BYTES) {
        errno = EFBIG;
        ok = false;
    }
    if (!ok) {
        free(b);
        return false;
    }
    b[got] = '\0';
    *out = b;
    *n = got;
    return true;
}

/* The number of PEM certificates GnuTLS reads from pem (0 on none or a
 * parse error), so a bad CA file fails at start, not at every call. */
static int pem_certificates(const char *pem, size_t n)
{
    gnutls_certificate_credentials_t cred;
    if (gnutls_certificate_allocate_credentials(&cred) < 0)
        return 0;
    gnutls_datum_t d = {.data = (unsigned char *)pem, .size = (unsigned)n};
    int count = gnutls_certificate_set_x509_trust_mem(cred, &d, GNUTLS_X509_FMT_PEM);
    gnutls_certificate_free_credentials(cred);
    return count < 0 ? 0 : count;
}

static bool write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Where distributions keep the system's CA bundle in one file. */
static const char *const system_bundles[] = {
    "/etc/ssl/certs/ca-certificates.crt", /* Debian, Ubuntu, Alpine */
    "/etc/pki/tls/certs/ca-bundle.crt",   /* Fedora, RHEL */
    "/etc/ssl/ca-bundle.pem",             /* openSUSE */
    "/etc/ssl/cert.pem",                  /* the BSDs */
};

/* Copies to out the system's CA bundle file: libcurl's default when it has
 * one, else the first of system_bundles that can be read; "" when none
 * (then libcurl's default CA directory alone serves). */
static void system_bundle(char *out, size_t cap)
{
    out[0] = '\0';
    char *def = NULL;
    CURL *h = curl_easy_init();
    if (h && curl_easy_getinfo(h, CURLINFO_CAINFO, &def) == CURLE_OK && def &&
        access(def, R_OK) == 0)
        snprintf(out, cap, "%s", def);
    if (h)
        curl_easy_cleanup(h);
    for (size_t i = 0; !out[0] && i < sizeof system_bundles / sizeof *system_bundles; i++)
        if (access(system_bundles[i], R_OK) == 0)
            snprintf(out, cap, "%s", system_bundles[i]);
}

/* Writes the system bundle (if any) followed by extra into a sealed memory
 * file and points c->ca_path at it: read once at start, nothing on disk. */
static enum st bundle_write(struct net_client *c, const char *sys_path, const char *extra, size_t n,
                            struct err *e)
{
    char *sys = NULL;
    size_t nsys = 0;
    if (sys_path[0] && !read_capped(sys_path, &sys, &nsys))
        return ERR(e, ST_INTERNAL, NULL, "cannot read the system CA bundle %s: %s", sys_path,
                   strerror(errno));
    c->ca_fd = memfd_create("socialgate-ca", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    bool ok = c->ca_fd >= 0 && write_all(c->ca_fd, sys ? sys : "", nsys) &&
              write_all(c->ca_fd, "\n", 1) && write_all(c->ca_fd, extra, n);
    free(sys);
    if (!ok)
        return ERR(e, ST_INTERNAL, NULL, "cannot build the CA bundle: %s", strerror(errno));
    fcntl(c->ca_fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
    snprintf(c->ca_path, sizeof c->ca_path, "/proc/self/fd/%d", c->ca_fd);
    int probe = open(c->ca_path, O_RDONLY | O_CLOEXEC);
    if (probe < 0)
        return ERR(e, ST_INTERNAL, NULL, "cannot reopen the CA bundle as %s: %s", c->ca_path,
                   strerror(errno));
    close(probe);
    return ST_OK;
}

/* Sets what libcurl trusts: one PEM file, the system bundle or (with a CA
 * file) the system bundle and the CA file together. One file, not the CA
 * directory: each new connection parses it (about 10 ms, against 40 ms or
 * more for a directory that holds every certificate three times). */
static enum st trust_init(struct net_client *c, const char *ca_file, struct err *e)
{
    c->ca_fd = -1;
    char sys[256];
    system_bundle(sys, sizeof sys);
    c->own_trust = sys[0] != '\0';
    if (!ca_file) {
        snprintf(c->ca_path, sizeof c->ca_path, "%s", sys);
        return ST_OK;
    }
    char *pem = NULL;
    size_t n = 0;
    if (!read_capped(ca_file, &pem, &n))
        return ERR(e, ST_INVALID, NULL, "cannot read CA file %s: %s", ca_file,
                   errno == EFBIG ? "larger than 4 MiB" : strerror(errno));
    enum st st = pem_certificates(pem, n) > 0
                     ? bundle_write(c, sys, pem, n, e)
                     : ERR(e, ST_INVALID, NULL, "CA file %s holds no PEM certificate", ca_file);
    free(pem);
    return st;
}

/* ---- transfers ---------------------------------------------------------- */

static bool header_ok(const char *v)
{
    return !v || !strpbrk(v, "\r\n");
}

static void header_add(struct transfer *t, const char *name, const char *value)
{
    if (!value)
        return;
    size_t n = strlen(name) + strlen(value) + 3;
    char *line = xmalloc(n);
    snprintf(line, n, "%s: %s", name, value);
    struct curl_slist *l = curl_slist_append(t->headers, line);
    secret_wipe(line, n);
    free(line);
    if (!l)
        abort(); /* out of memory */
    t->headers = l;
}

/* The key of the host a URL names, as libcurl connects to it: the host in
 * its ASCII (punycode) form, lower-case, without a trailing dot (libcurl
 * drops it), then ':' and the port (443 when none is named). NULL when
 * libcurl cannot read the URL. xmalloc'd. */
static char *host_key(const char *url)
{
    CURLU *u = curl_url();
    if (!u)
        abort(); /* out of memory */
    char *host = NULL, *port = NULL, *key = NULL;
    if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, CURLU_PUNYCODE) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
        size_t n = strlen(host);
        if (n > 1 && host[n - 1] == '.')
            n--;
        size_t cap = n + strlen(port) + 2;
        key = xmalloc(cap);
        snprintf(key, cap, "%.*s:%s", (int)n, host, port);
        for (char *p = key; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    }
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return key;
}

/* Copies req into a new transfer; a request that cannot be sent is marked
 * failed (st, why), and its done still runs on the thread. */
static struct transfer *transfer_new(struct net_client *c, const struct net_request *req,
                                     net_done_fn done, void *arg)
{
    struct transfer *t = xcalloc(1, sizeof *t);
    t->c = c;
    t->done = done;
    t->arg = arg;
    t->url = xstrdup(req->url ? req->url : "");
    t->post = req->method && !strcmp(req->method, "POST");
    if (req->body) {
        t->body = xmalloc(req->body_len + 1);
        memcpy(t->body, req->body, req->body_len);
        t->body_len = req->body_len;
    }
    bool get = req->method && !strcmp(req->method, "GET");
    if (!req->url || (!get && !t->post) || (get && req->body) || !header_ok(req->content_type) ||
        !header_ok(req->authorization) || !header_ok(req->accept)) {
        t->st = ST_INVALID;
        t->why = NET_WHY_BAD_REQUEST;
    } else if (strncasecmp(t->url, "https://", 8) != 0) {
        t->st = ST_INVALID;
        t->why = NET_WHY_NOT_HTTPS;
    } else if (!(t->key = host_key(t->url))) {
        t->st = ST_INVALID;
        t->why = NET_WHY_BAD_REQUEST;
    }
    if (t->why)
        return t;
    header_add(t, "Authorization", req->authorization);
    header_add(t, "Content-Type", req->content_type);
    header_add(t, "Accept", req->accept);
    struct curl_slist *l = curl_slist_append(t->headers, "Expect:"); /* no 100-continue wait */
    if (!l)
        abort(); /* out of memory */
    t->headers = l;
    return t;
}

/* Writes the host (and port) of url for a log line: no user info, path or
 * query, and nothing but host characters. */
static void host_of(const char *url, char *out, size_t cap)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t n = strcspn(p, "/?#");
    const char *at = memrchr(p, '@', n);
    if (at) {
        n -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < cap; i++)
        out[k++] = (p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
                           (p[i] >= '0' && p[i] <= '9') || strchr(".-_:[]", p[i])
                       ? p[i]
                       : '?';
    out[k] = '\0';
}

static void transfer_free(struct transfer *t)
{
    if (t->h)
        curl_easy_cleanup(t->h);
    for (struct curl_slist *l = t->headers; l; l = l->next)
        secret_wipe(l->data, strlen(l->data));
    curl_slist_free_all(t->headers);
    if (t->body)
        secret_wipe(t->body, t->body_len);
    free(t->body);
    secret_wipe(t->url, strlen(t->url)); /* a query may hold a token */
    free(t->url);
    free(t->key);
    if (t->buf)
        secret_wipe(t->buf, t->cap);
    free(t->buf);
    free(t);
}

static struct transfer *transfer_of(struct net_wait *w)
{
    return (struct transfer *)(void *)((char *)w - offsetof(struct transfer, wait));
}

/* Hands the outcome to done and frees t. On ST_OK the answer's body moves
 * into the response. */
static void finish(struct transfer *t, enum st st, const char *why, long status)
{
    if (t->wait.host) {
        pthread_mutex_lock(&t->c->mu);
        net_queue_leave(&t->c->queue, &t->wait);
        pthread_mutex_unlock(&t->c->mu);
    }
    struct net_response *r = xcalloc(1, sizeof *r);
    r->st = st;
    r->why = why;
    r->status = status;
    if (st == ST_OK) {
        char *type = NULL;
        curl_easy_getinfo(t->h, CURLINFO_CONTENT_TYPE, &type);
        snprintf(r->content_type, sizeof r->content_type, "%s", type ? type : "");
        r->body = t->buf ? t->buf : xcalloc(1, 1);
        r->len = t->len;
        t->buf = NULL;
    } else {
        char host[128];
        host_of(t->url, host, sizeof host);
        log_msg(LOG_DEBUG, "net: %s: %s", host, why);
    }
    net_done_fn done = t->done;
    void *arg = t->arg;
    transfer_free(t);
    done(arg, r);
}

void net_response_free(struct net_response *r)
{
    if (!r)
        return;
    if (r->body)
        secret_wipe(r->body, r->len + 1);
    free(r->body);
    free(r);
}

/* ---- libcurl's callbacks ------------------------------------------------ */

/* Grows t->buf to hold need bytes; the old copy is wiped (it may hold a
 * token). */
static void grow(struct transfer *t, size_t need)
{
    size_t cap = t->cap ? t->cap : 4096;
    while (cap < need)
        cap *= 2;
    char *b = xmalloc(cap);
    if (t->buf) {
        memcpy(b, t->buf, t->len);
        secret_wipe(t->buf, t->cap);
        free(t->buf);
    }
    t->buf = b;
    t->cap = cap;
}

/* Appends a piece of the answer; refuses the transfer past the cap, also
 * when the length was not announced (chunked). */
static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    struct transfer *t = arg;
    size_t len = size * n;
    if (len > t->c->max_bytes - t->len) {
        t->over_cap = true;
        return CURL_WRITEFUNC_ERROR;
    }
    if (t->len + len + 1 > t->cap)
        grow(t, t->len + len + 1);
    memcpy(t->buf + t->len, p, len);
    t->len += len;
    t->buf[t->len] = '\0';
    return len;
}

/* The address libcurl is about to connect to, as a struct net_addr. */
static bool sockaddr_addr(const struct curl_sockaddr *sa, struct net_addr *a)
{
    memset(a, 0, sizeof *a);
    if (sa->family == AF_INET && sa->addrlen >= sizeof(struct sockaddr_in)) {
        struct sockaddr_in in;
        memcpy(&in, &sa->addr, sizeof in);
        a->b[10] = a->b[11] = 0xff;
        memcpy(a->b + 12, &in.sin_addr, 4);
        return true;
    }
    if (sa->family == AF_INET6 && sa->addrlen >= sizeof(struct sockaddr_in6)) {
        struct sockaddr_in6 in6;
        memcpy(&in6, &sa->addr, sizeof in6);
        memcpy(a->b, &in6.sin6_addr, 16);
        return true;
    }
    return false;
}

/* The address guard, after resolution and before the socket exists: a
 * refused address costs no packet, and libcurl goes on to the next one. */
static curl_socket_t on_open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *sa)
{
    struct transfer *t = arg;
    struct net_addr a;
    if (!t->c->allow_private &&
        (purpose != CURLSOCKTYPE_IPCXN || !sockaddr_addr(sa, &a) || !net_addr_public(&a))) {
        t->not_public = true;
        return CURL_SOCKET_BAD;
    }
    return socket(sa->family, sa->socktype | SOCK_CLOEXEC, sa->protocol);
}

/* The guard again before each request, for a connection taken from the
 * pool (opened for another transfer). */
static int on_prereq(void *arg, char *primary_ip, char *local_ip, int primary_port, int local_port)
{
    (void)local_ip, (void)primary_port, (void)local_port;
    struct transfer *t = arg;
    struct net_addr a;
    if (t->c->allow_private ||
        (primary_ip && net_addr_parse(primary_ip, strlen(primary_ip), &a) && net_addr_public(&a)))
        return CURL_PREREQFUNC_OK;
    t->not_public = true;
    return CURL_PREREQFUNC_ABORT;
}

/* ---- one easy handle ---------------------------------------------------- */

#define SET(opt, val)                                                                              \
    do {                                                                                           \
        if (rc == CURLE_OK)                                                                        \
            rc = curl_easy_setopt(h, opt, val);                                                    \
    } while (0)

/* Every protection of every transfer. Any option libcurl refuses fails
 * the transfer: none is optional. */
static CURLcode configure(struct net_client *c, struct transfer *t)
{
    CURL *h = t->h;
    CURLcode rc = CURLE_OK;
    SET(CURLOPT_URL, t->url);
    SET(CURLOPT_PROTOCOLS_STR, "https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_PROXY, ""); /* no proxy from the environment */
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    if (c->ca_path[0])
        SET(CURLOPT_CAINFO, c->ca_path);
    if (c->own_trust)
        SET(CURLOPT_CAPATH, NULL);
    SET(CURLOPT_CONNECTTIMEOUT_MS, c->connect_ms);
    SET(CURLOPT_TIMEOUT_MS, c->total_ms);
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->max_bytes);
    SET(CURLOPT_WRITEFUNCTION, on_data);
    SET(CURLOPT_WRITEDATA, t);
    SET(CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
    SET(CURLOPT_OPENSOCKETDATA, t);
    SET(CURLOPT_PREREQFUNCTION, on_prereq);
    SET(CURLOPT_PREREQDATA, t);
    SET(CURLOPT_SHARE, c->share);
    SET(CURLOPT_PRIVATE, t);
    SET(CURLOPT_USERAGENT, "socialgate/" SG_VERSION);
    SET(CURLOPT_HTTPHEADER, t->headers);
    if (t->post) {
        SET(CURLOPT_POST, 1L);
        SET(CURLOPT_POSTFIELDS, t->body ? t->body : "");
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)t->body_len);
    }
    return rc;
}

#undef SET

/* The failure an unsuccessful transfer reports. */
static enum st failure(const struct transfer *t, CURLcode rc, const char **why)
{
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_ABORTED_BY_CALLBACK: /* only on_prereq aborts */
        if (t->not_public) {
            *why = NET_WHY_NOT_PUBLIC;
            return ST_FORBIDDEN;
        }
        *why = rc == CURLE_COULDNT_CONNECT ? NET_WHY_CONNECT : NET_WHY_TRANSFER;
        return ST_INTERNAL;
    case CURLE_WRITE_ERROR: /* on_data refused the answer */
    case CURLE_FILESIZE_EXCEEDED:
        if (t->over_cap || rc == CURLE_FILESIZE_EXCEEDED) {
            *why = NET_WHY_TOO_LARGE;
            return ST_TOO_LARGE;
        }
        *why = NET_WHY_TRANSFER;
        return ST_INTERNAL;
    case CURLE_UNSUPPORTED_PROTOCOL:
        *why = NET_WHY_NOT_HTTPS;
        return ST_INVALID;
    case CURLE_URL_MALFORMAT:
        *why = NET_WHY_BAD_REQUEST;
        return ST_INVALID;
    case CURLE_OPERATION_TIMEDOUT:
        *why = NET_WHY_TIMED_OUT;
        break;
    case CURLE_COULDNT_RESOLVE_HOST:
        *why = NET_WHY_RESOLVE;
        break;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_INVALIDCERTSTATUS:
        *why = NET_WHY_TLS_VERIFY;
        break;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
        *why = NET_WHY_TLS;
        break;
    default:
        *why = NET_WHY_TRANSFER;
        break;
    }
    return ST_INTERNAL;
}

/* A transfer libcurl ended: an answer (a 3xx is refused) or a failure. */
static void complete(struct transfer *t, CURLcode rc)
{
    const char *why = NULL;
    if (rc != CURLE_OK) {
        enum st st = failure(t, rc, &why);
        finish(t, st, why, 0);
        return;
    }
    long status = 0;
    curl_easy_getinfo(t->h, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 300 && status < 400)
        finish(t, ST_INVALID, NET_WHY_REDIRECT, status);
    else
        finish(t, ST_OK, NULL, status);
}

/* ---- the thread --------------------------------------------------------- */

static void active_unlink(struct net_client *c, struct transfer *t)
{
    if (t->prev)
        t->prev->next = t->next;
    else
        c->active = t->next;
    if (t->next)
        t->next->prev = t->prev;
    t->next = t->prev = NULL;
    c->nactive--;
}

/* Hands t to the multi handle; false when it ended at once (it could not
 * start). */
static bool start(struct net_client *c, struct transfer *t)
{
    t->next = NULL;
    t->h = curl_easy_init();
    if (!t->h || configure(c, t) != CURLE_OK || curl_multi_add_handle(c->multi, t->h) != CURLM_OK) {
        finish(t, ST_INTERNAL, NET_WHY_TRANSFER, 0);
        return false;
    }
    t->next = c->active;
    if (c->active)
        c->active->prev = t;
    c->active = t;
    c->nactive++;
    return true;
}

/* Ends the transfers libcurl has finished; returns how many. */
static int reap(struct net_client *c)
{
    int n = 0, left = 0;
    for (CURLMsg *m; (m = curl_multi_info_read(c->multi, &left));) {
        if (m->msg != CURLMSG_DONE)
            continue;
        char *p = NULL;
        CURLcode rc = m->data.result;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &p);
        struct transfer *t = (struct transfer *)(void *)p;
        curl_multi_remove_handle(c->multi, t->h);
        active_unlink(c, t);
        complete(t, rc);
        n++;
    }
    return n;
}

/* Ends every transfer of a list handed out by the queue, or of refused
 * ones, with st and why, or with its own when it has one. */
static void finish_all(struct net_wait *w, enum st st, const char *why)
{
    while (w) {
        struct transfer *t = transfer_of(w);
        w = w->next;
        if (t->why)
            finish(t, t->st, t->why, 0);
        else
            finish(t, st, why, 0);
    }
}

/* What the thread does next, gathered under mu. */
struct batch {
    struct net_wait *refused; /* not sendable */
    struct net_wait *ready;   /* taken off the queue: start them */
    struct net_wait *late;    /* waited longer than connect_ms */
    int wait_ms;              /* until the oldest waiting one's deadline, at most POLL_MS */
};

/* Fills b; false once net_client_stop was called. A transfer that could
 * start now starts, even when it is also late. */
static bool gather(struct net_client *c, struct batch *b)
{
    pthread_mutex_lock(&c->mu);
    bool stopping = c->stopping;
    if (!stopping) {
        int64_t now = util_mono_us(), wait_us = (int64_t)c->connect_ms * 1000;
        b->refused = c->refused;
        c->refused = NULL;
        b->ready = net_queue_take(&c->queue, NET_MAX_IN_FLIGHT - c->nactive);
        b->late = net_queue_expire(&c->queue, now - wait_us);
        int64_t left_ms =
            c->queue.head ? (c->queue.head->since_us + wait_us - now) / 1000 + 1 : POLL_MS;
        b->wait_ms = left_ms < 0 ? 0 : left_ms > POLL_MS ? POLL_MS : (int)left_ms;
    }
    pthread_mutex_unlock(&c->mu);
    return !stopping;
}

/* Ends everything at stop: what waits, and what runs. */
static void end_all(struct net_client *c)
{
    pthread_mutex_lock(&c->mu);
    c->closed = true;
    struct net_wait *waiting = net_queue_drain(&c->queue), *refused = c->refused;
    c->refused = NULL;
    pthread_mutex_unlock(&c->mu);
    finish_all(refused, ST_INTERNAL, NET_WHY_STOPPING);
    finish_all(waiting, ST_INTERNAL, NET_WHY_STOPPING);
    while (c->active) {
        struct transfer *t = c->active;
        curl_multi_remove_handle(c->multi, t->h);
        active_unlink(c, t);
        finish(t, ST_INTERNAL, NET_WHY_STOPPING, 0);
    }
}

static void *run(void *arg)
{
    struct net_client *c = arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals are the main loop's */
    struct batch b;
    while (gather(c, &b)) {
        finish_all(b.refused, ST_INTERNAL, NET_WHY_TRANSFER);
        finish_all(b.late, ST_INTERNAL, NET_WHY_BUSY);
        int ended = 0; /* freed slots: take from the queue without waiting */
        while (b.ready) {
            struct net_wait *next = b.ready->next;
            ended += !start(c, transfer_of(b.ready));
            b.ready = next;
        }
        int running = 0;
        curl_multi_perform(c->multi, &running);
        ended += reap(c);
        curl_multi_poll(c->multi, NULL, 0, ended ? 0 : b.wait_ms, NULL);
    }
    end_all(c);
    return NULL;
}

/* ---- the client --------------------------------------------------------- */

static enum st multi_init(struct net_client *c, struct err *e)
{
    c->multi = curl_multi_init();
    c->share = curl_share_init();
    if (!c->multi || !c->share ||
        curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK ||
        curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)HOST_CONNECTIONS) ||
        curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)TOTAL_CONNECTIONS) ||
        curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)CACHED_CONNECTIONS))
        return ERR(e, ST_INTERNAL, NULL, "libcurl cannot start its multi handle");
    return ST_OK;
}

static void client_free(struct net_client *c)
{
    if (c->multi)
        curl_multi_cleanup(c->multi);
    if (c->share)
        curl_share_cleanup(c->share);
    if (c->ca_fd >= 0)
        close(c->ca_fd);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

enum st net_client_start(const struct net_opts *o, struct net_client **out, struct err *e)
{
    *out = NULL;
    pthread_once(&global_once, global_init);
    if (global_rc != CURLE_OK)
        return ERR(e, ST_INTERNAL, NULL, "libcurl cannot start: %s", curl_easy_strerror(global_rc));
    struct net_client *c = xcalloc(1, sizeof *c);
    c->connect_ms = o->connect_ms > 0 ? o->connect_ms : NET_CONNECT_MS;
    c->total_ms = o->total_ms > 0 ? o->total_ms : NET_TOTAL_MS;
    c->max_bytes = o->max_bytes > 0 ? o->max_bytes : NET_MAX_BYTES;
    c->allow_private = o->allow_private;
    pthread_mutex_init(&c->mu, NULL);
    enum st st = trust_init(c, o->ca_file, e);
    if (st == ST_OK)
        st = multi_init(c, e);
    if (st == ST_OK && pthread_create(&c->thread, NULL, run, c) != 0)
        st = ERR(e, ST_INTERNAL, NULL, "cannot start the outbound thread");
    if (st != ST_OK) {
        client_free(c);
        return st;
    }
    *out = c;
    return ST_OK;
}

void net_client_stop(struct net_client *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->mu);
    c->stopping = true;
    curl_multi_wakeup(c->multi);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    client_free(c);
}

void net_fetch(struct net_client *c, const struct net_request *req, net_done_fn done, void *arg)
{
    struct transfer *t = transfer_new(c, req, done, arg);
    pthread_mutex_lock(&c->mu);
    bool closed = c->closed;
    if (!closed) {
        if (t->why) {
            t->wait.next = c->refused;
            c->refused = &t->wait;
        } else {
            net_queue_add(&c->queue, &t->wait, t->key, util_mono_us());
        }
        curl_multi_wakeup(c->multi); /* under mu: the thread frees nothing before closed */
    }
    pthread_mutex_unlock(&c->mu);
    if (closed)
        finish(t, ST_INTERNAL, NET_WHY_STOPPING, 0);
}
