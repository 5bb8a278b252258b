/* SPDX-License-Identifier: MIT */
/*
 * The start of a sign-in (SPEC §7.3): a flow's random values and the URL
 * the browser is sent to, with PKCE S256 always. Storing the flow is the
 * caller's job.
 */
#include "idp_int.h"

#include "../model/model.h"

#include <sodium.h>
#include <string.h>

#define RANDOM_BYTES 32     /* verifier and nonce: 256 bits, 43 characters */
#define REQUEST_ID_BYTES 20 /* SAML IDs: "_" and 160 bits in hex */

static char *random_b64url(struct arena *a, size_t nbytes)
{
    char *s = arena_alloc(a, 4 * ((nbytes + 2) / 3) + 1);
    util_random_b64url(s, nbytes);
    return s;
}

void idp_flow_new(struct arena *a, struct idp_flow *f)
{
    f->state = NULL;
    f->verifier = random_b64url(a, RANDOM_BYTES);
    f->nonce = random_b64url(a, RANDOM_BYTES);
    char hex[2 * REQUEST_ID_BYTES + 1];
    util_random_hex(hex, REQUEST_ID_BYTES);
    f->request_id = arena_printf(a, "_%s", hex);
}

void idp_pkce_challenge(const char *verifier, char out[IDP_CHALLENGE_LEN + 1])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)verifier, strlen(verifier));
    util_b64url_encode(out, h, sizeof h);
}

/* Appends "&name=value" (the first one after '?' or '&' without it). */
static void param(struct buf *b, const char *name, const char *value)
{
    char last = b->len ? b->p[b->len - 1] : '\0';
    if (last != '?' && last != '&')
        buf_puts(b, "&");
    buf_puts(b, name);
    buf_puts(b, "=");
    buf_puts(b, util_pct_encode(b->a, value));
}

const char *idp_authorize_url(struct arena *a, const struct idp_provider *p,
                              const struct idp_flow *f, const struct idp_begin *o)
{
    struct buf b;
    buf_init(&b, a);
    /* RFC 6749 §3.1: the endpoint has no fragment; its own query stays. */
    buf_add(&b, p->auth_url, strcspn(p->auth_url, "#"));
    if (!memchr(b.p, '?', b.len))
        buf_puts(&b, "?");
    param(&b, P_RESPONSE_TYPE, P_CODE);
    param(&b, OAUTH_CLIENT_ID, p->client_id ? p->client_id : "");
    param(&b, P_REDIRECT_URI, p->callback ? p->callback : "");
    if (p->scope && *p->scope)
        param(&b, OAUTH_SCOPE, p->scope);
    param(&b, P_STATE, f->state);
    if (p->protocol && !strcmp(p->protocol, PROTO_OIDC))
        param(&b, P_NONCE, f->nonce);
    char challenge[IDP_CHALLENGE_LEN + 1];
    idp_pkce_challenge(f->verifier, challenge);
    param(&b, P_CODE_CHALLENGE, challenge);
    param(&b, P_CODE_CHALLENGE_METHOD, V_S256);
    if (o && o->force_reauth)
        param(&b, P_PROMPT, V_LOGIN);
    if (o && o->ui_locales && *o->ui_locales)
        param(&b, P_UI_LOCALES, o->ui_locales);
    return b.p;
}
