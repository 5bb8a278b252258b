/* SPDX-License-Identifier: MIT */
/*
 * JWK Sets (RFC 7517) of public signature keys: RSA (RFC 7518 §6.3.1), EC
 * P-256/384/521 (§6.2.1) and OKP Ed25519 (RFC 8037), imported into GnuTLS.
 * A key it cannot use is skipped, not an error: a provider's set may hold
 * encryption keys or types we do not verify with.
 */
#include "jose_int.h"

#include <stdlib.h>
#include <string.h>

#define RSA_MIN_BITS 2048
#define RSA_MAX_BITS 8192

/* The Base64url member name of jwk as a datum (xmalloc'd data), or false. */
static bool member(const json_t *jwk, const char *name, gnutls_datum_t *d, size_t max)
{
    const char *s = json_string_value(json_object_get(jwk, name));
    size_t len = 0;
    unsigned char *raw = s && strlen(s) <= max * 4 / 3 + 4 ? jose_b64url(s, strlen(s), &len) : NULL;
    if (!raw || !len || len > max) {
        free(raw);
        return false;
    }
    *d = (gnutls_datum_t){raw, (unsigned)len};
    return true;
}

static bool import_rsa(const json_t *jwk, struct jose_key *k)
{
    gnutls_datum_t n = {0}, e = {0};
    bool ok = member(jwk, "n", &n, RSA_MAX_BITS / 8 + 1) && member(jwk, "e", &e, 8) &&
              gnutls_pubkey_import_rsa_raw(k->pk, &n, &e) >= 0;
    unsigned bits = 0;
    ok = ok && gnutls_pubkey_get_pk_algorithm(k->pk, &bits) == GNUTLS_PK_RSA &&
         bits >= RSA_MIN_BITS && bits <= RSA_MAX_BITS;
    free(n.data);
    free(e.data);
    k->kind = KEY_RSA;
    return ok;
}

/* P-256/384/521 by name, with its coordinate size; Ed25519 as OKP. */
static bool curve_of(const char *crv, bool okp, gnutls_ecc_curve_t *c, size_t *size)
{
    static const struct {
        const char *name;
        bool okp;
        gnutls_ecc_curve_t curve;
        size_t size;
    } curves[] = {
        {"P-256", false, GNUTLS_ECC_CURVE_SECP256R1, 32},
        {"P-384", false, GNUTLS_ECC_CURVE_SECP384R1, 48},
        {"P-521", false, GNUTLS_ECC_CURVE_SECP521R1, 66},
        {"Ed25519", true, GNUTLS_ECC_CURVE_ED25519, 32},
    };
    for (size_t i = 0; crv && i < sizeof curves / sizeof *curves; i++)
        if (!strcmp(curves[i].name, crv) && curves[i].okp == okp) {
            *c = curves[i].curve;
            *size = curves[i].size;
            return true;
        }
    return false;
}

static bool import_curve(const json_t *jwk, struct jose_key *k, bool okp)
{
    size_t size = 0;
    if (!curve_of(json_string_value(json_object_get(jwk, "crv")), okp, &k->curve, &size))
        return false;
    gnutls_datum_t x = {0}, y = {0};
    bool ok = member(jwk, "x", &x, size) && x.size == size &&
              (okp || (member(jwk, "y", &y, size) && y.size == size)) &&
              gnutls_pubkey_import_ecc_raw(k->pk, k->curve, &x, okp ? NULL : &y) >= 0;
    free(x.data);
    free(y.data);
    k->kind = okp ? KEY_OKP : KEY_EC;
    return ok;
}

/* Reads one JWK into k; false (k left clean) when it is not usable. */
static bool import_key(const json_t *jwk, struct jose_key *k)
{
    const char *kty = json_string_value(json_object_get(jwk, "kty"));
    const char *use = json_string_value(json_object_get(jwk, "use"));
    json_t *kid = json_object_get(jwk, "kid"), *alg = json_object_get(jwk, "alg");
    if (!kty || (use && strcmp(use, "sig") != 0) ||
        (kid && (!json_is_string(kid) || json_string_length(kid) > JOSE_KID_MAX)))
        return false;
    memset(k, 0, sizeof *k);
    const struct jose_alg_info *a = alg ? jose_alg_find(json_string_value(alg), 0) : NULL;
    if (alg && (!a || a->kind == KEY_HMAC))
        return false;
    k->alg = a ? a->bit : 0;
    if (kid)
        memcpy(k->kid, json_string_value(kid), json_string_length(kid) + 1);
    if (gnutls_pubkey_init(&k->pk) < 0)
        return false;
    bool ok = !strcmp(kty, "RSA")  ? import_rsa(jwk, k)
              : !strcmp(kty, "EC") ? import_curve(jwk, k, false)
                                   : !strcmp(kty, "OKP") && import_curve(jwk, k, true);
    ok = ok && (!a || a->kind == k->kind);
    if (!ok) {
        gnutls_pubkey_deinit(k->pk);
        memset(k, 0, sizeof *k);
    }
    return ok;
}

enum st jose_jwks_parse(const json_t *doc, struct jose_jwks **out, struct err *e)
{
    *out = NULL;
    json_t *keys = json_object_get(doc, "keys");
    if (!json_is_array(keys))
        return ERR(e, ST_INVALID, "keys", "a JWK Set is an object with a keys array");
    struct jose_jwks *k = xcalloc(1, sizeof *k);
    size_t i;
    json_t *jwk;
    json_array_foreach(keys, i, jwk)
    {
        if (k->n == JOSE_MAX_KEYS)
            break;
        if (json_is_object(jwk) && import_key(jwk, &k->keys[k->n]))
            k->n++;
    }
    *out = k;
    return ST_OK;
}

void jose_jwks_free(struct jose_jwks *k)
{
    for (int i = 0; k && i < k->n; i++)
        gnutls_pubkey_deinit(k->keys[i].pk);
    free(k);
}

int jose_jwks_count(const struct jose_jwks *k)
{
    return k ? k->n : 0;
}
