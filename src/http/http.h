/* SPDX-License-Identifier: MIT */
/*
 * http: the only code that includes <microhttpd.h>. Accepts connections,
 * reads a capped request, hands it to api/, writes the answer and one log
 * line. Knows no routes, no JSON, no storage.
 */
#ifndef SG_HTTP_H
#define SG_HTTP_H

#include "../api/api.h"
#include "../cfg/cfg.h"

struct http_server;

/* Starts serving cfg->listen with cfg->threads worker threads and
 * one accept thread, at most cfg->max_connections at a time:
 * HTTPS (TLS 1.2 or 1.3) when cfg->tls_cert and tls_key are set, whose
 * PEM files are read here; plain HTTP otherwise, which a non-loopback
 * address refuses unless cfg->insecure_http. ST_INVALID for a bad
 * listen address, that refusal or an unreadable PEM file; ST_INTERNAL when
 * the port cannot be bound or TLS cannot start with that certificate and
 * key (e says why). *out is owned by the caller: http_server_stop. */
enum st http_server_start(const struct cfg *cfg, const struct api_env *env,
                          struct http_server **out, struct err *e);

/* Closes the listening socket first (new connections are refused), lets
 * requests in flight finish (up to 5 s), then closes every connection and
 * frees s, wiping the TLS key's copy. Answers given meanwhile carry
 * Connection: close when env->draining is set. NULL is accepted. */
void http_server_stop(struct http_server *s);

#endif
