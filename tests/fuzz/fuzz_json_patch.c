/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: model_patch_apply, RFC 6902 JSON Patch (operations, JSON
 * Pointers with ~0/~1 and array indices, move/copy/test, all or nothing).
 * The input is two JSON texts, the document then the patch, separated by
 * the first NUL byte or the first blank line ("\n\n"). Also checks that
 * the document is never modified, whatever the outcome, and that a patch
 * applied within small bounds never leaves a document past them that it
 * did not start past (the size it keeps up to date is exact), with the
 * measure never under what json_dumps writes.
 */
#include "fuzz.h"
#include "model/model.h"

#define FLAGS (JSON_DECODE_ANY | JSON_REJECT_DUPLICATES)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    util_init();
    return 0;
}

/* Small enough that the corpus reaches them. */
static const struct json_bounds small = {.bytes = 96, .depth = 4, .work = 512};

static size_t dumped(const json_t *v)
{
    char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    size_t n = text ? strlen(text) : 0;
    free(text);
    return n;
}

/* Checks the bounded run of patch over doc (NULL: the null document). */
static void check_bounded(const json_t *doc, const json_t *patch)
{
    json_t *out = NULL;
    json_t *start = doc ? json_incref((json_t *)doc) : json_null();
    struct json_size in = model_json_measure(start, SIZE_MAX);
    if (model_patch_apply_within(doc, patch, &small, &out, NULL) == ST_OK) {
        struct json_size m = model_json_measure(out, SIZE_MAX);
        if ((m.bytes > small.bytes && m.bytes > in.bytes) ||
            (m.depth > small.depth && m.depth > in.depth) || m.bytes < dumped(out))
            __builtin_trap();
    }
    json_decref(out);
    json_decref(start);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t rest, n = fuzz_cut_two(data, size, &rest);
    json_t *doc = json_loadb((const char *)data, n, FLAGS, NULL);
    json_t *patch = json_loadb((const char *)data + rest, size - rest, FLAGS, NULL);
    if (patch) {
        json_t *before = doc ? json_deep_copy(doc) : NULL;
        json_t *out = NULL;
        struct err e = {0};
        enum st st = model_patch_apply(doc, patch, &out, &e);
        if ((st == ST_OK) != (out != NULL) || (doc && !json_equal(before, doc)))
            __builtin_trap();
        json_decref(out);
        check_bounded(doc, patch);
        json_decref(before);
    }
    json_decref(patch);
    json_decref(doc);
    return 0;
}
