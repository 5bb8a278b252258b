/* SPDX-License-Identifier: MIT */
/*
 * jose: JWS signatures (RFC 7515, compact serialisation) checked against a
 * JWK Set (RFC 7517), for OpenID Connect id_tokens. Verifies only: RS, PS
 * and ES with SHA-256/384/512, EdDSA (Ed25519, RFC 8037), and HS with a
 * shared secret; never "none". The algorithm must be one the caller allows
 * and fit the key. Fetches nothing: keys come from the caller.
 */
#ifndef SG_JOSE_H
#define SG_JOSE_H

#include <jansson.h>

#include "../util/util.h"

/* Algorithms, as bits of an allow-list. */
enum jose_alg {
    JOSE_RS256 = 1u << 0,
    JOSE_RS384 = 1u << 1,
    JOSE_RS512 = 1u << 2,
    JOSE_PS256 = 1u << 3,
    JOSE_PS384 = 1u << 4,
    JOSE_PS512 = 1u << 5,
    JOSE_ES256 = 1u << 6,
    JOSE_ES384 = 1u << 7,
    JOSE_ES512 = 1u << 8,
    JOSE_EDDSA = 1u << 9,
    JOSE_HS256 = 1u << 10,
    JOSE_HS384 = 1u << 11,
    JOSE_HS512 = 1u << 12,
};
#define JOSE_ASYMMETRIC 0x3ffu /* every algorithm with a public key */
#define JOSE_HMAC 0x1c00u

#define JOSE_MAX_LEN (64 * 1024) /* a longer compact JWS is refused */
#define JOSE_MAX_KEYS 32         /* keys read from one set */

/* A parsed compact JWS. header and claims are owned (jose_jws_cleanup). */
struct jose_jws {
    enum jose_alg alg;
    const char *kid; /* the header's kid, or NULL; lives in header */
    json_t *header;
    json_t *claims;      /* the payload when it is a JSON object, else NULL */
    char *signing_input; /* "header.payload" as sent, xmalloc'd */
    size_t signing_len;
    unsigned char *sig; /* xmalloc'd */
    size_t sig_len;
};

/* Parses the compact JWS s (n bytes) without verifying it, so its alg and
 * kid can be read. ST_INVALID with a reason for anything malformed: not
 * three strict Base64url parts, a header that is not a JSON object with a
 * known "alg" (never "none"), a "crit" member, over JOSE_MAX_LEN. A payload
 * that is not a JSON object leaves claims NULL (an id_token needs them). */
enum st jose_jws_parse(const char *s, size_t n, struct jose_jws *out, struct err *e);
/* Frees what jose_jws_parse allocated; a zeroed or parsed jws. */
void jose_jws_cleanup(struct jose_jws *j);

struct jose_jwks;

/* Reads a JWK Set ({"keys": [...]}): RSA (n, e; 2048 to 8192 bits), EC
 * (P-256, P-384, P-521) and OKP (Ed25519) public keys; keys whose "use" is
 * not "sig", of other types or curves, or malformed are skipped; at most
 * JOSE_MAX_KEYS. ST_INVALID when doc is not a set. *out: jose_jwks_free. */
enum st jose_jwks_parse(const json_t *doc, struct jose_jwks **out, struct err *e);
void jose_jwks_free(struct jose_jwks *k);
/* Number of keys read. */
int jose_jwks_count(const struct jose_jwks *k);

/* Verifies j with the keys of k: j's alg must be in allowed (never an HS
 * one here) and fit the key (RSA for RS/PS, the matching curve for ES,
 * Ed25519 for EdDSA, a key's own "alg" when it has one); with a kid only
 * keys of that kid are tried. ST_OK when one verifies; ST_NOT_FOUND when
 * no key could be tried (unknown kid: the caller may refetch the set once);
 * ST_FORBIDDEN when the signature or the algorithm is refused. */
enum st jose_jws_verify(const struct jose_jws *j, const struct jose_jwks *k, unsigned allowed,
                        struct err *e);
/* Verifies an HS256/384/512 j with the shared secret (n bytes), in
 * constant time; j's alg must be in allowed. ST_OK or ST_FORBIDDEN. */
enum st jose_jws_verify_hmac(const struct jose_jws *j, const void *secret, size_t n,
                             unsigned allowed, struct err *e);

#endif
