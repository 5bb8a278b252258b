/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: oauth_basic_parse, the "Authorization: Basic" header of
 * the token endpoints (scheme, Base64, the colon, form-decoding of each
 * side). The input is the header value.
 */
#include "fuzz.h"
#include "oauth/oauth.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    util_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *header = fuzz_strndup(data, size);
    struct arena a;
    struct basic_cred c;
    struct err e = {0};
    arena_init(&a);
    if (oauth_basic_parse(&a, header, &c, &e) == ST_OK)
        (void)(strlen(c.id) + strlen(c.secret));
    arena_cleanup(&a);
    free(header);
    return 0;
}
