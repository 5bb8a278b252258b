/* SPDX-License-Identifier: MIT */
/*
 * Typed member access for the model's JSON converters. Each helper records
 * a precise detail (field pointer + reason) instead of stopping at the
 * first problem, so one 422 names every offending field.
 */
#include "model_int.h"

#include <stdio.h>
#include <string.h>

static void field_error(struct err *e, const char *name, const char *reason)
{
    char ptr[96];
    snprintf(ptr, sizeof ptr, "/%s", name);
    ERR(e, ST_UNPROCESSABLE, ptr, "%s", reason);
}

void model_reject_unknown(const json_t *obj, const char *const *allowed, struct err *e)
{
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)obj, key, val)
    {
        bool ok = false;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(*a, key) == 0;
        if (!ok)
            field_error(e, key, "unknown field");
    }
}

void model_get_string(const json_t *obj, const char *name, bool required, const char **out,
                      struct err *e)
{
    json_t *v = json_object_get(obj, name);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (required)
            field_error(e, name, "required");
        return;
    }
    if (!json_is_string(v)) {
        field_error(e, name, "must be a string");
        return;
    }
    *out = json_string_value(v);
    if (required && json_string_length(v) == 0)
        field_error(e, name, "must not be empty");
    else if (strlen(*out) != json_string_length(v))
        field_error(e, name, "must not contain NUL");
}

void model_get_int(const json_t *obj, const char *name, int64_t dflt, int64_t *out, struct err *e)
{
    json_t *v = json_object_get(obj, name);
    *out = dflt;
    if (!v || json_is_null(v))
        return;
    if (!json_is_integer(v)) {
        field_error(e, name, "must be an integer");
        return;
    }
    *out = (int64_t)json_integer_value(v);
}

void model_add_self(json_t *obj, const char *href)
{
    if (href)
        json_object_set_new(obj, F_LINKS, json_pack("{s:{s:s}}", F_SELF, F_HREF, href));
}
