/* SPDX-License-Identifier: MIT */
/* Private to jose/: the algorithm table and the parsed keys. */
#ifndef SG_JOSE_INT_H
#define SG_JOSE_INT_H

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#include "jose.h"

#define JOSE_KID_MAX 127

enum key_kind { KEY_RSA = 1, KEY_EC, KEY_OKP, KEY_HMAC };

struct jose_alg_info {
    const char *name;
    enum jose_alg bit;
    enum key_kind kind;
    gnutls_sign_algorithm_t sign;
    gnutls_ecc_curve_t curve; /* ES: the curve; EdDSA: Ed25519 */
    size_t size;              /* ES: bytes of r and of s; HS: of the MAC */
    gnutls_mac_algorithm_t mac;
};

struct jose_key {
    char kid[JOSE_KID_MAX + 1]; /* "" when the key has none */
    unsigned alg;               /* the key's own "alg" as a bit, 0 when absent */
    enum key_kind kind;
    gnutls_ecc_curve_t curve;
    gnutls_pubkey_t pk;
};

struct jose_jwks {
    struct jose_key keys[JOSE_MAX_KEYS];
    int n;
};

/* The algorithm called name (or, name NULL, of bit bit), or NULL. */
const struct jose_alg_info *jose_alg_find(const char *name, unsigned bit);
/* Strict Base64url (no padding) of in[0..n): xmalloc'd bytes, *len; NULL
 * when malformed. */
unsigned char *jose_b64url(const char *in, size_t n, size_t *len);

#endif
