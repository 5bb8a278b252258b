/* SPDX-License-Identifier: MIT */
/*
 * The libFuzzer entry points every tests/fuzz/fuzz_<name>.c defines, and a
 * few helpers to cut one input into the pieces a parser takes. The same
 * files link with replay.c in the normal build; no fuzzing logic lives here.
 */
#ifndef SG_FUZZ_H
#define SG_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

/* Called once before the first input; each target defines it (it may do
 * nothing). Returns 0. */
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Runs one input. Frees everything it allocates; never aborts on any
 * input (a crash is a finding). Returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated heap copy of data[0..n) (free it). */
static inline char *fuzz_strndup(const uint8_t *data, size_t n)
{
    char *s = xmalloc(n + 1);
    if (n)
        memcpy(s, data, n);
    s[n] = '\0';
    return s;
}

/* Splits data at the first sep byte: *head = [0, i), returns the offset of
 * the rest (i + 1), or size (and *head_len = size) when sep is absent. */
static inline size_t fuzz_split(const uint8_t *data, size_t size, uint8_t sep, size_t *head_len)
{
    const uint8_t *p = size ? memchr(data, sep, size) : NULL;
    if (!p) {
        *head_len = size;
        return size;
    }
    *head_len = (size_t)(p - data);
    return *head_len + 1;
}

/* Two documents in one input, separated by the first NUL byte or blank
 * line ("\n\n"): returns the first's length; *rest = where the second
 * starts (size when there is none). */
static inline size_t fuzz_cut_two(const uint8_t *data, size_t size, size_t *rest)
{
    for (size_t i = 0; i < size; i++) {
        if (data[i] == '\0') {
            *rest = i + 1;
            return i;
        }
        if (data[i] == '\n' && i + 1 < size && data[i + 1] == '\n') {
            *rest = i + 2;
            return i;
        }
    }
    *rest = size;
    return size;
}

#endif
