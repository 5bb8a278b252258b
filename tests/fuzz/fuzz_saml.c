/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: saml/ on a posted SAMLResponse. The input is one byte of
 * options (bit 0: the EC P-256 certificate is pinned rather than the RSA
 * one, bit 1: SHA-1 allowed, bit 2: no request id expected, bit 3: the
 * certificate read per check rather than parsed once), then the
 * response's XML, Base64-encoded here so the fuzzer mutates XML rather
 * than Base64, and checked at the seeds' fixed clock. A response that
 * passes must carry a subject, an assertion id and an attribute object
 * whose profile and extended documents can be made.
 */
#include <openssl/evp.h>

#include "../unit/saml_keys.h"
#include "fuzz.h"
#include "saml/saml.h"

#define NOW 1767225600 /* the seeds' 2026-01-01T00:00:00Z */

static struct saml_key *rsa, *ec; /* parsed once, as a caller caches them */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    util_init();
    if (saml_init(NULL) != ST_OK || saml_key_parse(SAML_RSA_CERT, &rsa, NULL) != ST_OK ||
        saml_key_parse(SAML_EC_CERT, &ec, NULL) != ST_OK)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > SAML_XML_MAX + 1)
        return 0;
    unsigned opt = data[0];
    size_t n = size - 1;
    char *b64 = xmalloc(4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)b64, data + 1, (int)n);
    struct saml_expect x = {
        .acs_url = "https://sg.example.com/c1.p1/callback",
        .sp_entity_id = "https://sg.example.com/c1.p1/metadata",
        .request_id = (opt & 4) ? NULL : "_0123456789abcdef0123456789abcdef01234567",
        .key = (opt & 8)   ? NULL
               : (opt & 1) ? ec
                           : rsa,
        .certificate = (opt & 1) ? SAML_EC_CERT : SAML_RSA_CERT,
        .now = NOW,
        .skew = 120,
        .allow_sha1 = opt & 2,
    };
    struct arena a;
    arena_init(&a);
    struct saml_result r;
    if (saml_response_check(&a, b64, strlen(b64), &x, &r, NULL) == ST_OK) {
        if (r.check || !r.name_id || !*r.name_id || !r.assertion_id ||
            !json_is_object(r.attributes))
            __builtin_trap();
        json_decref(saml_profile_doc(&r));
        json_decref(saml_extended(&r));
    } else if (!r.check || r.attributes) {
        __builtin_trap();
    }
    saml_result_cleanup(&r);
    arena_cleanup(&a);
    free(b64);
    return 0;
}
