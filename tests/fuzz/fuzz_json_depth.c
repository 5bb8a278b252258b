/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: util_json_depth_within, the nesting scan every JSON request
 * body passes before jansson's recursive parser sees it. The input is the
 * body. Property: on every text jansson accepts, the scan agrees with the
 * parsed value's real depth, at the API's bound (64) and at the depth
 * itself; on any other text it must only not crash or read past the end.
 */
#include <jansson.h>

#include "fuzz.h"
#include "model/model.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    util_init();
    return 0;
}

/* Nesting of v: 0 for a scalar, 1 for {} or [] (jansson keeps it ≤ 2048). */
static int depth_of(const json_t *v)
{
    int deepest = 0;
    if (json_is_object(v)) {
        const char *k;
        json_t *m;
        json_object_foreach((json_t *)v, k, m)
        {
            int d = depth_of(m);
            deepest = d > deepest ? d : deepest;
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *m;
        json_array_foreach(v, i, m)
        {
            int d = depth_of(m);
            deepest = d > deepest ? d : deepest;
        }
    } else {
        return 0;
    }
    return deepest + 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data; /* not NUL-terminated: the scan must not need it */
    bool within = util_json_depth_within(s, size, MODEL_JSON_MAX_DEPTH);
    json_t *v = json_loadb(s, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (v) {
        int depth = depth_of(v);
        if (within != (depth <= MODEL_JSON_MAX_DEPTH))
            __builtin_trap();
        if (!util_json_depth_within(s, size, depth))
            __builtin_trap();
        if (depth > 0 && util_json_depth_within(s, size, depth - 1))
            __builtin_trap();
        json_decref(v);
    }
    return 0;
}
