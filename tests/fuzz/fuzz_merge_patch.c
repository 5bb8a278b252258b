/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: model_patch_merge, RFC 7396 JSON Merge Patch. The input is
 * two JSON texts, the target then the patch, separated by the first NUL
 * byte or the first blank line ("\n\n"). Also checks that a merge patch
 * is idempotent (RFC 7396 §1) and leaves its target untouched, and that
 * model_json_measure never counts less than json_dumps writes.
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
    json_t *target = json_loadb((const char *)data, n, FLAGS, NULL);
    json_t *patch = json_loadb((const char *)data + rest, size - rest, FLAGS, NULL);
    if (patch) {
        json_t *before = target ? json_deep_copy(target) : NULL;
        json_t *once = model_patch_merge(target, patch);
        json_t *twice = model_patch_merge(once, patch);
        if (!once || !twice || !json_equal(once, twice) || (target && !json_equal(before, target)))
            __builtin_trap();
        char *text = json_dumps(once, JSON_ENCODE_ANY | JSON_COMPACT);
        if (!text || model_json_measure(once, SIZE_MAX).bytes < strlen(text))
            __builtin_trap(); /* the measure bounds what is written */
        free(text);
        json_decref(twice);
        json_decref(once);
        json_decref(before);
    }
    json_decref(patch);
    json_decref(target);
    return 0;
}
