/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: oauth_scope_covers, the scope matcher of every bearer call
 * (scope-token grammar, method, '*' and "**" path globs), and
 * oauth_scope_within, which must be sound: when scope is within the
 * second line read as a scope, every call scope covers, that one covers
 * too. The input is three lines: scope, method, path (missing lines are
 * empty).
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
    size_t n1, n2, n3;
    size_t o2 = fuzz_split(data, size, '\n', &n1);
    size_t o3 = o2 + fuzz_split(data + o2, size - o2, '\n', &n2);
    (void)fuzz_split(data + o3, size - o3, '\n', &n3);
    char *scope = fuzz_strndup(data, n1);
    char *method = fuzz_strndup(data + o2, n2);
    char *path = fuzz_strndup(data + o3, n3);
    /* a scope following the grammar is a valid scope-token */
    if (oauth_scope_valid(scope) && !oauth_scope_token_valid(scope))
        __builtin_trap();
    (void)oauth_scope_covers(scope, method, path);
    /* "*:**" covers every path of every method */
    if (method[0] && !oauth_scope_covers("*:**", method, path))
        __builtin_trap();
    static const char *const methods[] = {"GET", "HEAD", "POST", "PATCH", "DELETE"};
    if (oauth_scope_within(scope, method))
        for (size_t i = 0; i < sizeof methods / sizeof *methods; i++)
            if (oauth_scope_covers(scope, methods[i], path) &&
                !oauth_scope_covers(method, methods[i], path))
                __builtin_trap();
    free(path);
    free(method);
    free(scope);
    return 0;
}
