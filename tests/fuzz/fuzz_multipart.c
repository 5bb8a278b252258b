/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: oauth_multipart_parse, the multipart/form-data body of the
 * token endpoints (boundary parameter, part headers, delimiters). The
 * first line of the input is the Content-Type value, the rest the body.
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
    size_t ct_len, rest = fuzz_split(data, size, '\n', &ct_len);
    char *ct = fuzz_strndup(data, ct_len);
    /* the body as its own exact-size buffer, so overreads are caught */
    char *body = fuzz_strndup(data + rest, size - rest);
    struct arena a;
    struct form f;
    struct err e = {0};
    arena_init(&a);
    if (oauth_multipart_parse(&a, ct, body, size - rest, &f, &e) == ST_OK) {
        (void)oauth_form_get(&f, OAUTH_GRANT_TYPE);
        for (int i = 0; i < f.n; i++)
            (void)strlen(f.f[i].value);
    }
    (void)oauth_body_parse(&a, ct, body, size - rest, &f, NULL);
    arena_cleanup(&a);
    free(body);
    free(ct);
    return 0;
}
