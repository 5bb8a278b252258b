/* SPDX-License-Identifier: MIT */
/*
 * signin: the sign-in runtime of SPEC §7 as the application starts and
 * stops it. Its handlers are routes of api/'s one table (declared in
 * api_int.h): signin/ is the part of that layer that alone reaches the
 * identity providers, through idp/ (protocols) and net/ (the calls).
 */
#ifndef SG_SIGNIN_H
#define SG_SIGNIN_H

#include "../net/net.h"

struct signin;

struct signin_opts {
    struct net_opts net;
    int64_t skew;         /* seconds of clock skew allowed in id_token and assertion times */
    bool saml_allow_sha1; /* SAML signatures and digests with SHA-1 accepted */
};

/* Starts the runtime: what SAML needs (idp_init), its outbound client and
 * its workers; call before the HTTP server starts. ST_INVALID or
 * ST_INTERNAL as idp_init and net_client_start say. */
enum st signin_start(const struct signin_opts *o, struct signin **out, struct err *e);
/* Ends every sign-in still waiting on an identity provider (each is
 * answered "provider_error") and waits until all are answered. The
 * routes answer 503 afterwards. Call before the HTTP server stops. */
void signin_cancel(struct signin *s);
/* Stops the workers and frees s (after signin_cancel). NULL is accepted. */
void signin_stop(struct signin *s);

#endif
