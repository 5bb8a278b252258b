/* SPDX-License-Identifier: MIT */
/*
 * Compact JWS (RFC 7515 §7.1): strict parsing, and verification with
 * GnuTLS's public-key API (RSA PKCS#1 v1.5 and PSS, ECDSA with the r||s
 * of RFC 7518 §3.4 turned into DER, Ed25519) or an HMAC compared in
 * constant time. The algorithm comes from an allow-list and must fit the
 * key; "none" does not exist here.
 */
#include "jose_int.h"

#include <gnutls/crypto.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const struct jose_alg_info algs[] = {
    {"RS256", JOSE_RS256, KEY_RSA, GNUTLS_SIGN_RSA_SHA256, 0, 0, 0},
    {"RS384", JOSE_RS384, KEY_RSA, GNUTLS_SIGN_RSA_SHA384, 0, 0, 0},
    {"RS512", JOSE_RS512, KEY_RSA, GNUTLS_SIGN_RSA_SHA512, 0, 0, 0},
    {"PS256", JOSE_PS256, KEY_RSA, GNUTLS_SIGN_RSA_PSS_RSAE_SHA256, 0, 0, 0},
    {"PS384", JOSE_PS384, KEY_RSA, GNUTLS_SIGN_RSA_PSS_RSAE_SHA384, 0, 0, 0},
    {"PS512", JOSE_PS512, KEY_RSA, GNUTLS_SIGN_RSA_PSS_RSAE_SHA512, 0, 0, 0},
    {"ES256", JOSE_ES256, KEY_EC, GNUTLS_SIGN_ECDSA_SHA256, GNUTLS_ECC_CURVE_SECP256R1, 32, 0},
    {"ES384", JOSE_ES384, KEY_EC, GNUTLS_SIGN_ECDSA_SHA384, GNUTLS_ECC_CURVE_SECP384R1, 48, 0},
    {"ES512", JOSE_ES512, KEY_EC, GNUTLS_SIGN_ECDSA_SHA512, GNUTLS_ECC_CURVE_SECP521R1, 66, 0},
    {"EdDSA", JOSE_EDDSA, KEY_OKP, GNUTLS_SIGN_EDDSA_ED25519, GNUTLS_ECC_CURVE_ED25519, 0, 0},
    {"HS256", JOSE_HS256, KEY_HMAC, 0, 0, 32, GNUTLS_MAC_SHA256},
    {"HS384", JOSE_HS384, KEY_HMAC, 0, 0, 48, GNUTLS_MAC_SHA384},
    {"HS512", JOSE_HS512, KEY_HMAC, 0, 0, 64, GNUTLS_MAC_SHA512},
};

const struct jose_alg_info *jose_alg_find(const char *name, unsigned bit)
{
    for (size_t i = 0; i < sizeof algs / sizeof *algs; i++)
        if ((name && !strcmp(algs[i].name, name)) || (!name && algs[i].bit == bit))
            return &algs[i];
    return NULL;
}

unsigned char *jose_b64url(const char *in, size_t n, size_t *len)
{
    size_t cap = n / 4 * 3 + 3;
    unsigned char *out = xmalloc(cap ? cap : 1);
    const char *end = NULL;
    if (sodium_base642bin(out, cap, in, n, NULL, len, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        end != in + n) {
        free(out);
        return NULL;
    }
    return out;
}

/* The JSON object encoded in the Base64url part in[0..n), or NULL. */
static json_t *part_object(const char *in, size_t n)
{
    size_t len = 0;
    unsigned char *raw = jose_b64url(in, n, &len);
    if (!raw)
        return NULL;
    json_t *v = json_loadb((const char *)raw, len, JSON_REJECT_DUPLICATES, NULL);
    free(raw);
    if (json_is_object(v))
        return v;
    json_decref(v);
    return NULL;
}

/* Reads the header's alg and kid; a crit member is refused (we know no
 * extension), and so is an alg we do not verify ("none" among them). */
static enum st read_header(struct jose_jws *j, struct err *e)
{
    const char *alg = json_string_value(json_object_get(j->header, "alg"));
    const struct jose_alg_info *a = alg ? jose_alg_find(alg, 0) : NULL;
    if (!a)
        return ERR(e, ST_INVALID, "alg", "unknown or missing JWS algorithm");
    if (json_object_get(j->header, "crit"))
        return ERR(e, ST_INVALID, "crit", "a JWS with critical extensions");
    json_t *kid = json_object_get(j->header, "kid");
    if (kid && (!json_is_string(kid) || json_string_length(kid) > JOSE_KID_MAX))
        return ERR(e, ST_INVALID, "kid", "kid must be a string of at most %d bytes", JOSE_KID_MAX);
    j->alg = a->bit;
    j->kid = json_string_value(kid);
    return ST_OK;
}

enum st jose_jws_parse(const char *s, size_t n, struct jose_jws *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    const char *d1 = n <= JOSE_MAX_LEN ? memchr(s, '.', n) : NULL;
    const char *d2 = d1 ? memchr(d1 + 1, '.', n - (size_t)(d1 + 1 - s)) : NULL;
    if (!d2 || memchr(d2 + 1, '.', n - (size_t)(d2 + 1 - s)))
        return ERR(e, ST_INVALID, NULL, "not a compact JWS of three parts");
    size_t plen = 0;
    unsigned char *payload = jose_b64url(d1 + 1, (size_t)(d2 - d1 - 1), &plen);
    out->header = part_object(s, (size_t)(d1 - s));
    out->claims = payload ? part_object(d1 + 1, (size_t)(d2 - d1 - 1)) : NULL;
    free(payload);
    out->sig = jose_b64url(d2 + 1, n - (size_t)(d2 + 1 - s), &out->sig_len);
    enum st st = ST_OK;
    if (!out->header || !payload || !out->sig || !out->sig_len)
        st = ERR(e, ST_INVALID, NULL, "a JWS part is not strict Base64url, or its header JSON");
    if (st == ST_OK)
        st = read_header(out, e);
    if (st != ST_OK) {
        jose_jws_cleanup(out);
        return st;
    }
    out->signing_len = (size_t)(d2 - s);
    out->signing_input = xmalloc(out->signing_len + 1);
    memcpy(out->signing_input, s, out->signing_len);
    out->signing_input[out->signing_len] = '\0';
    return ST_OK;
}

void jose_jws_cleanup(struct jose_jws *j)
{
    json_decref(j->header);
    json_decref(j->claims);
    free(j->signing_input);
    free(j->sig);
    memset(j, 0, sizeof *j);
}

/* True when key k verifies j's signature with algorithm a. */
static bool verified_by(const struct jose_jws *j, const struct jose_key *k,
                        const struct jose_alg_info *a)
{
    gnutls_datum_t data = {(unsigned char *)j->signing_input, (unsigned)j->signing_len};
    gnutls_datum_t sig = {j->sig, (unsigned)j->sig_len};
    gnutls_datum_t der = {NULL, 0};
    if (a->kind == KEY_EC) { /* r || s, each exactly the curve's size */
        if (j->sig_len != 2 * a->size)
            return false;
        gnutls_datum_t r = {j->sig, (unsigned)a->size}, s = {j->sig + a->size, (unsigned)a->size};
        if (gnutls_encode_rs_value(&der, &r, &s) < 0)
            return false;
        sig = der;
    }
    bool ok = gnutls_pubkey_verify_data2(k->pk, a->sign, 0, &data, &sig) >= 0;
    gnutls_free(der.data);
    return ok;
}

/* True when key k may be tried for a JWS of algorithm a (and kid). */
static bool fits(const struct jose_key *k, const struct jose_alg_info *a, const char *kid)
{
    if (k->kind != a->kind || (k->alg && k->alg != a->bit))
        return false;
    if (a->kind != KEY_RSA && k->curve != a->curve)
        return false;
    return !kid || (k->kid[0] && !strcmp(k->kid, kid));
}

enum st jose_jws_verify(const struct jose_jws *j, const struct jose_jwks *k, unsigned allowed,
                        struct err *e)
{
    const struct jose_alg_info *a = jose_alg_find(NULL, j->alg);
    if (!a || a->kind == KEY_HMAC || !(allowed & j->alg))
        return ERR(e, ST_FORBIDDEN, "alg", "JWS algorithm not allowed here");
    int tried = 0;
    for (int i = 0; k && i < k->n; i++) {
        if (!fits(&k->keys[i], a, j->kid))
            continue;
        tried++;
        if (verified_by(j, &k->keys[i], a))
            return ST_OK;
    }
    if (!tried)
        return ERR(e, ST_NOT_FOUND, "kid", "no key of the set fits the JWS");
    return ERR(e, ST_FORBIDDEN, NULL, "JWS signature does not verify");
}

enum st jose_jws_verify_hmac(const struct jose_jws *j, const void *secret, size_t n,
                             unsigned allowed, struct err *e)
{
    const struct jose_alg_info *a = jose_alg_find(NULL, j->alg);
    unsigned char mac[64];
    if (!a || a->kind != KEY_HMAC || !(allowed & j->alg))
        return ERR(e, ST_FORBIDDEN, "alg", "JWS algorithm not allowed here");
    if (j->sig_len != a->size ||
        gnutls_hmac_fast(a->mac, secret, n, j->signing_input, j->signing_len, mac) < 0 ||
        sodium_memcmp(mac, j->sig, a->size) != 0)
        return ERR(e, ST_FORBIDDEN, NULL, "JWS signature does not verify");
    return ST_OK;
}
