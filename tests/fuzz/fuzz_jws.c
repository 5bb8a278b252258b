/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: jose/ on an IdP's answers. The input is a JWK Set (JSON)
 * and a compact JWS, separated by a blank line or a NUL byte: the set is
 * parsed, the token parsed and verified with it and as an HMAC. An HS
 * token must never verify against the public keys of a set.
 */
#include "fuzz.h"
#include "jose/jose.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    util_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t rest = 0, n = fuzz_cut_two(data, size, &rest);
    json_t *doc = json_loadb((const char *)data, n, 0, NULL);
    struct jose_jwks *k = NULL;
    if (doc)
        (void)jose_jwks_parse(doc, &k, NULL);
    struct jose_jws j;
    if (jose_jws_parse((const char *)data + rest, size - rest, &j, NULL) == ST_OK) {
        if (jose_jws_verify(&j, k, ~0u, NULL) == ST_OK && (j.alg & JOSE_HMAC))
            __builtin_trap();
        (void)jose_jws_verify_hmac(&j, data, n, JOSE_HMAC, NULL);
        jose_jws_cleanup(&j);
    }
    jose_jwks_free(k);
    json_decref(doc);
    return 0;
}
