/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: oauth_form_parse, the application/x-www-form-urlencoded
 * body of the token endpoints (percent-escapes, '+', empty pairs, the
 * field cap). The input is the body, as sent.
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
    struct arena a;
    struct form f;
    struct err e = {0};
    arena_init(&a);
    if (oauth_form_parse(&a, (const char *)data, size, &f, &e) == ST_OK) {
        (void)oauth_form_get(&f, OAUTH_GRANT_TYPE);
        (void)oauth_form_count(&f, OAUTH_SCOPE);
        for (int i = 0; i < f.n; i++)
            (void)strlen(f.f[i].name);
    }
    /* the same bytes through the media-type dispatcher */
    (void)oauth_body_parse(&a, MEDIA_FORM "; charset=utf-8", (const char *)data, size, &f, NULL);
    arena_cleanup(&a);
    return 0;
}
