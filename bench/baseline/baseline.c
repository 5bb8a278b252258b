/* SPDX-License-Identifier: MIT */
/*
 * The baseline of `make bench`: libmicrohttpd answering every request, of
 * any method and path, with one fixed 120-byte JSON body, read body and
 * all, under the same daemon flags and limits as src/http/server.c (thread
 * pool, connection limit, idle timeout). It is the ceiling socialgate's
 * numbers are divided by. It parses, routes, logs and stores nothing.
 *
 * usage: bench-baseline --listen HOST:PORT [--threads N]   (SIGTERM stops it)
 */
#include <microhttpd.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Kept equal to socialgate's defaults (src/cfg/cfg.c). */
#define BASELINE_THREADS_DEFAULT 2
#define BASELINE_MAX_CONNECTIONS 1024
#define BASELINE_TIMEOUT_SECONDS 30

static const char body[] = "{\"access_token\":\"bench-baseline-0123456789abcdefghijklmnopqrstuvw\","
                           "\"expires_in\":3600,\"token_type\":\"Bearer\",\"scope\":\"*:**\"}";

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **state)
{
    static int seen; /* any non-NULL marker: the headers have been read */
    (void)cls;
    (void)url;
    (void)method;
    (void)version;
    (void)upload;
    if (!*state) {
        *state = &seen;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0; /* read and dropped */
        return MHD_YES;
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer(sizeof body - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    enum MHD_Result ok = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ok;
}

/* Fills sa from "HOST:PORT"; 0 on success. */
static int resolve(const char *listen, struct sockaddr_storage *sa, int *v6)
{
    const char *colon = strrchr(listen, ':');
    char host[256];
    if (!colon || (size_t)(colon - listen) >= sizeof host)
        return -1;
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    struct addrinfo hints = {.ai_flags = AI_PASSIVE, .ai_socktype = SOCK_STREAM}, *res = NULL;
    if (getaddrinfo(*host ? host : NULL, colon + 1, &hints, &res) != 0)
        return -1;
    memcpy(sa, res->ai_addr, res->ai_addrlen);
    *v6 = res->ai_family == AF_INET6;
    freeaddrinfo(res);
    return 0;
}

int main(int argc, char **argv)
{
    const char *listen = NULL;
    long threads = BASELINE_THREADS_DEFAULT;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--listen"))
            listen = argv[i + 1];
        else if (!strcmp(argv[i], "--threads"))
            threads = strtol(argv[i + 1], NULL, 10);
    }
    struct sockaddr_storage sa = {0};
    int v6 = 0;
    if (!listen || threads < 1 || threads > 256 || argc % 2 == 0 || resolve(listen, &sa, &v6)) {
        fputs("usage: bench-baseline --listen HOST:PORT [--threads N]\n", stderr);
        return 2;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* before any thread starts */
    signal(SIGPIPE, SIG_IGN);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0);
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)BASELINE_MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)BASELINE_TIMEOUT_SECONDS, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "bench-baseline: cannot listen on %s\n", listen);
        return 1;
    }
    int sig = 0;
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    return 0;
}
