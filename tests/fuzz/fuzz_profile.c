/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: idp_profile and idp_subject, the mapping of an IdP's
 * profile document by a provider's attribute_map (RFC 6901 pointers:
 * escapes, array indexes, nesting) into the Engage profile. The input is
 * the attribute_map JSON and the document JSON, separated by a blank line
 * or a NUL byte; any JSON values are let through. Asserts the identifier
 * and the provider's names are never mapped over, the identifier holds
 * only percent-encoded text, a subject is 1 to 255 bytes, and no mapped
 * value passes IDP_PROFILE_VALUE_MAX bytes.
 */
#include "fuzz.h"
#include "idp/idp.h"

#define REALM "https://r.example"
#define PREFIX REALM "/c.p/id/"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    util_init();
    return 0;
}

static bool pct_text(const char *s)
{
    return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%") ==
           strlen(s);
}

static void check(const json_t *profile, const char *subject)
{
    const char *id = json_string_value(json_object_get(profile, "identifier"));
    if (!id || strncmp(id, PREFIX, strlen(PREFIX)) != 0 || !pct_text(id + strlen(PREFIX)))
        __builtin_trap();
    if (strlen(id + strlen(PREFIX)) < strlen(subject)) /* encoding never shortens */
        __builtin_trap();
    const char *name = json_string_value(json_object_get(profile, "providerName"));
    const char *spec = json_string_value(json_object_get(profile, "providerSpecifier"));
    if (!name || strcmp(name, "T") != 0 || !spec || strcmp(spec, "c.p") != 0)
        __builtin_trap();
    const char *key, *pkey; /* the loop finds its place by its key: one each */
    json_t *v, *part;
    json_object_foreach((json_t *)profile, key, v)
    {
        if (!json_is_string(v) && !(strcmp(key, "name") == 0 && json_is_object(v)))
            __builtin_trap();
        if (json_is_string(v) && strcmp(key, "identifier") != 0 &&
            json_string_length(v) > IDP_PROFILE_VALUE_MAX)
            __builtin_trap();
        json_object_foreach(json_is_object(v) ? v : NULL, pkey, part)
        {
            if (!json_is_string(part) || json_string_length(part) > IDP_PROFILE_VALUE_MAX)
                __builtin_trap();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t rest = 0, n = fuzz_cut_two(data, size, &rest);
    json_t *map = json_loadb((const char *)data, n, JSON_DECODE_ANY, NULL);
    json_t *doc = json_loadb((const char *)data + rest, size - rest, JSON_DECODE_ANY, NULL);
    struct idp_provider p = {.cid = "c", .id = "p", .title = "T", .attribute_map = map};
    struct arena a;
    arena_init(&a);
    const char *subject = idp_subject(&a, &p, doc);
    if (subject && (!*subject || strlen(subject) > 255))
        __builtin_trap();
    for (int standard = 0; standard < 2; standard++) {
        json_t *profile = idp_profile(&p, REALM, subject ? subject : "s", doc, standard);
        check(profile, subject ? subject : "s");
        json_decref(profile);
    }
    arena_cleanup(&a);
    json_decref(map);
    json_decref(doc);
    return 0;
}
