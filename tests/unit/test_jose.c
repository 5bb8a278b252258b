/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of jose/: the examples of RFC 7515 Appendix A (HS256, RS256,
 * ES256, ES512, the unsecured "none"), RFC 8037 A.4 (Ed25519), a PS256
 * token made with the RFC 7515 A.2 key, and the refusals an id_token
 * check relies on: tampering, algorithm confusion, wrong curve, unknown
 * kid, crit, malformed parts.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "jose/jose.h"

#define PAYLOAD_7515                                                                               \
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVl" \
    "fQ"
#define HS256_7515                                                                                 \
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9." PAYLOAD_7515                                       \
    ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
#define HS_KEY_7515                                                                                \
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"
#define RSA_N_7515                                                                                 \
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-"                        \
    "4qPCJrcS2mJPMEzP1Pt0Bm4d4"                                                                    \
    "QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-"                       \
    "bSf63kpaSHSXndS5z5rexMdbB"                                                                    \
    "YUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-" \
    "DWN"                                                                                          \
    "moudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"
#define RS256_7515                                                                                 \
    "eyJhbGciOiJSUzI1NiJ9." PAYLOAD_7515                                                           \
    ".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_"       \
    "O8W2Fp5"                                                                                      \
    "jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_"                                           \
    "nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L0"                                                \
    "7Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-"                                                 \
    "eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipU"                                          \
    "TI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw"
/* made with the A.2 private key: header {"alg":"PS256","kid":"2010-12-29"} */
#define PS256_A2_KEY                                                                               \
    "eyJhbGciOiJQUzI1NiIsImtpZCI6IjIwMTAtMTItMjkifQ.eyJpc3MiOiJqb2UiLCJzdWIiOiJhbGljZSJ9.Ec9RF_Rq" \
    "IvOAQThOc6oDvPk0TG6XcU2xHy5SBoYLCalt3EIS7NFuUaZdrzxvLZSwEgx6CZh_"                             \
    "s2SBgEoSIKDYGQB3HT50onaWc72Mn4C"                                                              \
    "z3wHDqW-g2YHxbWX5x-43PN2T9TFT3wdyncWVbRSFb0cnBboc9Lfl8KBkTyk93LydvA9yPUqITkUWHC8dckKO9Ho_"    \
    "ZNFlt6"                                                                                       \
    "P6zsFcV8rJgE_GNE3_4Z7qT3LusaCNjrTyD9BTOO-"                                                    \
    "oq66vqrZeGAb396cDLHaXTLx6itawFuGDnpYDp3ZIbLN0ZbfQlrNRk"                                       \
    "M80nL-qSybrOy5npl3-PKrmbxQWairWrtWWUUE_MCiYmw3u5Q"
#define ES256_7515                                                                                 \
    "eyJhbGciOiJFUzI1NiJ9." PAYLOAD_7515                                                           \
    ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"
#define ES512_7515                                                                                 \
    "eyJhbGciOiJFUzUxMiJ9.UGF5bG9hZA.AdwMgeerwtHoh-l192l60hp9wAHZFVJbLfD_UxMi70cwnZOYaRI1bKPWROc-" \
    "mZ"                                                                                           \
    "ZqwqT2SI-KGDKB34XO0aw_"                                                                       \
    "7XdtAG8GaSwFKdCAPZgoXD2YBJZCPEX3xKpRwcdOO8KpEHwJjyqOgzDO7iKvU8vcnwNrmxYbS"                    \
    "W9ERBXukOXolLzeO_Jn"
#define EDDSA_8037                                                                                 \
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-"        \
    "09PGcvMg3"                                                                                    \
    "AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"

#define JWKS                                                                                       \
    "{\"keys\":["                                                                                  \
    "{\"kty\":\"RSA\",\"kid\":\"2010-12-29\",\"n\":\"" RSA_N_7515 "\",\"e\":\"AQAB\"},"            \
    "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","     \
    "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"},"                                      \
    "{\"kty\":\"EC\",\"crv\":\"P-521\",\"x\":\"AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5" \
    "EOnYG_NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk\",\"y\":\"ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_"   \
    "l2T"                                                                                          \
    "h-x3S1WDhjDly79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2\"},"                                             \
    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}]" \
    "}"

static struct jose_jwks *keys(const char *text)
{
    json_t *doc = json_loads(text, 0, NULL);
    cr_assert_not_null(doc, "%s", text);
    struct jose_jwks *k = NULL;
    cr_assert_eq(jose_jwks_parse(doc, &k, NULL), ST_OK);
    json_decref(doc);
    return k;
}

/* The status of verifying token with set (allowed algorithms). */
static enum st verify(const char *token, const char *set, unsigned allowed)
{
    struct jose_jws j;
    struct err e = {0};
    enum st st = jose_jws_parse(token, strlen(token), &j, &e);
    if (st != ST_OK)
        return st;
    struct jose_jwks *k = keys(set);
    st = jose_jws_verify(&j, k, allowed, &e);
    jose_jwks_free(k);
    jose_jws_cleanup(&j);
    return st;
}

Test(jose, rfc_examples_verify_with_the_rfc_keys)
{
    cr_expect_eq(verify(RS256_7515, JWKS, JOSE_ASYMMETRIC), ST_OK, "RFC 7515 A.2 RS256");
    cr_expect_eq(verify(ES256_7515, JWKS, JOSE_ASYMMETRIC), ST_OK, "RFC 7515 A.3 ES256");
    cr_expect_eq(verify(ES512_7515, JWKS, JOSE_ASYMMETRIC), ST_OK, "RFC 7515 A.4 ES512");
    cr_expect_eq(verify(EDDSA_8037, JWKS, JOSE_ASYMMETRIC), ST_OK, "RFC 8037 A.4 EdDSA");
    cr_expect_eq(verify(PS256_A2_KEY, JWKS, JOSE_ASYMMETRIC), ST_OK, "PS256, A.2 key");
}

Test(jose, hs256_rfc_example_verifies_with_its_secret_in_constant_time)
{
    unsigned char secret[64];
    cr_assert(util_b64url_decode(secret, sizeof secret, HS_KEY_7515, strlen(HS_KEY_7515)));
    struct jose_jws j;
    cr_assert_eq(jose_jws_parse(HS256_7515, strlen(HS256_7515), &j, NULL), ST_OK);
    cr_expect_eq(jose_jws_verify_hmac(&j, secret, sizeof secret, JOSE_HMAC, NULL), ST_OK);
    cr_expect_eq(jose_jws_verify_hmac(&j, secret, sizeof secret - 1, JOSE_HMAC, NULL),
                 ST_FORBIDDEN);
    cr_expect_eq(jose_jws_verify_hmac(&j, secret, sizeof secret, JOSE_RS256, NULL), ST_FORBIDDEN,
                 "HS256 outside the allow-list");
    /* an HS token is never verified with the public keys of a set */
    struct jose_jwks *k = keys(JWKS);
    cr_expect_eq(jose_jws_verify(&j, k, ~0u, NULL), ST_FORBIDDEN);
    jose_jwks_free(k);
    cr_expect_eq(json_integer_value(json_object_get(j.claims, "exp")), 1300819380);
    jose_jws_cleanup(&j);
}

Test(jose, every_tampered_byte_is_refused)
{
    const char *tokens[] = {RS256_7515, ES256_7515, EDDSA_8037, PS256_A2_KEY};
    for (size_t t = 0; t < sizeof tokens / sizeof *tokens; t++) {
        size_t n = strlen(tokens[t]);
        char *bad = strdup(tokens[t]);
        for (size_t i = 0; i < n; i += 7) {
            char was = bad[i];
            if (was == '.')
                continue;
            bad[i] = was == 'A' ? 'B' : 'A';
            cr_expect_neq(verify(bad, JWKS, JOSE_ASYMMETRIC), ST_OK, "token %zu byte %zu", t, i);
            bad[i] = was;
        }
        free(bad);
    }
}

Test(jose, algorithm_must_be_allowed_and_fit_the_key)
{
    cr_expect_eq(verify(RS256_7515, JWKS, JOSE_ES256), ST_FORBIDDEN, "RS256 not allowed");
    /* ES256 token, but the only P-256 key says it is for ES384 */
    cr_expect_eq(verify(ES256_7515,
                        "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"ES384\",\"x\":"
                        "\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\",\"y\":"
                        "\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}]}",
                        JOSE_ASYMMETRIC),
                 ST_NOT_FOUND);
    /* ES512 token against a set with only the P-256 key: no key fits */
    cr_expect_eq(verify(ES512_7515,
                        "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":"
                        "\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\",\"y\":"
                        "\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}]}",
                        JOSE_ASYMMETRIC),
                 ST_NOT_FOUND);
    /* a kid the set does not have: the caller may refetch it once */
    cr_expect_eq(verify(PS256_A2_KEY,
                        "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"other\",\"n\":\"" RSA_N_7515
                        "\",\"e\":\"AQAB\"}]}",
                        JOSE_ASYMMETRIC),
                 ST_NOT_FOUND);
}

Test(jose, none_crit_and_malformed_tokens_do_not_parse)
{
    const char *bad[] = {
        "eyJhbGciOiJub25lIn0." PAYLOAD_7515 ".",             /* RFC 7515 A.5, alg none */
        "eyJhbGciOiJub25lIn0." PAYLOAD_7515 ".AAAA",         /* none with a signature */
        "eyJhbGciOiJSUzI1NiIsImNyaXQiOlsiZXhwIl19.e30.AAAA", /* crit */
        "eyJhbGciOiJSUzI1NiJ9.e30",                          /* two parts */
        "eyJhbGciOiJSUzI1NiJ9.e30.AAAA.AAAA",                /* four parts */
        "eyJhbGciOiJSUzI1NiJ9.e30=.AAAA",                    /* padding */
        "eyJhbGciOiJSUzI1NiJ9.e3+.AAAA",                     /* not url-safe */
        "e30.e30.AAAA",                                      /* no alg */
        "eyJhbGciOiJYWTEyMyJ9.e30.AAAA",                     /* unknown alg */
        "bm90IGpzb24.e30.AAAA",                              /* header not JSON */
        "..",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct jose_jws j;
        cr_expect_eq(jose_jws_parse(bad[i], strlen(bad[i]), &j, NULL), ST_INVALID, "%s", bad[i]);
    }
}

Test(jose, jwks_skips_what_it_cannot_use)
{
    struct jose_jwks *k =
        keys("{\"keys\":[{\"kty\":\"RSA\",\"use\":\"enc\",\"n\":\"" RSA_N_7515 "\",\"e\":\"AQAB\"},"
             "{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"},"
             "{\"kty\":\"oct\",\"k\":\"" HS_KEY_7515 "\"},"
             "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AAAA\",\"y\":\"AAAA\"},"
             "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"11qYAYKxCrfVS_"
             "7TyWQHOg7hcvPapiMlrwIaaPcHURo\"},"
             "{\"kty\":\"RSA\",\"alg\":\"ES256\",\"n\":\"" RSA_N_7515 "\",\"e\":\"AQAB\"},"
             "7,"
             "{\"kty\":\"RSA\",\"use\":\"sig\",\"n\":\"" RSA_N_7515 "\",\"e\":\"AQAB\"}]}");
    cr_expect_eq(jose_jwks_count(k), 1, "only the last key is usable");
    jose_jwks_free(k);
    json_t *not_set = json_loads("{\"kty\":\"RSA\"}", 0, NULL);
    struct jose_jwks *none = NULL;
    cr_expect_eq(jose_jwks_parse(not_set, &none, NULL), ST_INVALID);
    json_decref(not_set);
}
