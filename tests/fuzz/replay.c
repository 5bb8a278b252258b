/* SPDX-License-Identifier: MIT */
/*
 * Replays files through one fuzz target in the normal build, so `make test`
 * runs every committed corpus and crash input without clang or libFuzzer.
 * Usage: replay_<name> FILE...  It does not mutate or search: fuzzing is
 * `make fuzz`.
 */
#include <stdio.h>

#include "fuzz.h"

static int replay(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return 1;
    }
    size_t cap = 4096, n = 0, got;
    uint8_t *buf = xmalloc(cap);
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap)
            buf = xrealloc(buf, cap *= 2);
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        perror(path);
        free(buf);
        return 1;
    }
    /* an exact-size copy, so ASan sees any read past the input's end */
    uint8_t *exact = xmalloc(n ? n : 1);
    if (n)
        memcpy(exact, buf, n);
    free(buf);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    return 0;
}

int main(int argc, char **argv)
{
    LLVMFuzzerInitialize(&argc, &argv);
    int failed = 0, ran = 0;
    for (int i = 1; i < argc; i++) {
        failed |= replay(argv[i]);
        ran++;
    }
    printf("replayed %d input(s)\n", ran);
    return failed;
}
