/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: model_patch_apply, RFC 6902 JSON Patch (operations, JSON
 * Pointers with ~0/~1 and array indices, move/copy/test, all or nothing).
 * The input is two JSON texts, the document then the patch, separated by
 * the first NUL byte or the first blank line ("\n\n"). Also checks that
 * the document is never modified, whatever the outcome.
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
        json_decref(before);
    }
    json_decref(patch);
    json_decref(doc);
    return 0;
}
