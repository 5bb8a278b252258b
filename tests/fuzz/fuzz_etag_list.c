/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: api_etag_list_has, the If-Match / If-None-Match list
 * matcher. The input's first line is a tag, the rest a header value.
 * Properties: "*" holds every tag; a strong match is also a weak one; and
 * a well-formed list built from the header's pieces (each between commas,
 * its '"' removed, W/ on every odd-length one, the tag itself inserted
 * strong or weak) matches exactly when a simple reading of it says so.
 */
#include <stdbool.h>

#include "api/api.h"
#include "app.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    util_init();
    return 0;
}

/* Copies s[0..n) to out without '"'; returns the length written. */
static size_t unquote(char *out, const char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] != '"')
            out[o++] = s[i];
    return o;
}

struct built {
    char *list;
    size_t len;
    bool strong, weak; /* what the list must answer */
};

/* Appends one element (text t[0..n), weak or not) and what it matches. */
static void element(struct built *b, const char *etag, const char *t, size_t n, bool weak)
{
    if (b->len)
        b->len += (size_t)sprintf(b->list + b->len, ", ");
    if (weak)
        b->len += (size_t)sprintf(b->list + b->len, "W/");
    b->list[b->len++] = '"';
    n = unquote(b->list + b->len, t, n);
    bool same = n == strlen(etag) && memcmp(b->list + b->len, etag, n) == 0;
    b->len += n;
    b->list[b->len++] = '"';
    b->list[b->len] = '\0';
    b->weak |= same;
    b->strong |= same && !weak;
}

static void check_built(const char *etag, const char *header, size_t at, bool weak_tag)
{
    size_t hn = strlen(header), en = strlen(etag);
    struct built b = {.list = xmalloc(7 * hn + en + 32)};
    b.list[0] = '\0';
    size_t i = 0, k = 0;
    for (;;) {
        if (k++ == at)
            element(&b, etag, etag, en, weak_tag);
        size_t n = strcspn(header + i, ",");
        if (!header[i])
            break;
        element(&b, etag, header + i, n, n % 2 == 1);
        i += n + (header[i + n] == ',');
    }
    if (k <= at)
        element(&b, etag, etag, en, weak_tag);
    if (api_etag_list_has(b.list, etag, false) != b.strong ||
        api_etag_list_has(b.list, etag, true) != b.weak || !b.weak)
        __builtin_trap();
    free(b.list);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t tn;
    size_t rest = fuzz_split(data, size, '\n', &tn);
    char *raw = fuzz_strndup(data, tn), *header = fuzz_strndup(data + rest, size - rest);
    char *etag = xmalloc(strlen(raw) + 1);
    etag[unquote(etag, raw, strlen(raw))] = '\0';
    bool strong = api_etag_list_has(header, raw, false),
         weak = api_etag_list_has(header, raw, true);
    if (strong && !weak)
        __builtin_trap();
    if (!api_etag_list_has("*", raw, false) || !api_etag_list_has("*", raw, true))
        __builtin_trap();
    check_built(etag, header, size % 7, size % 2 == 1);
    free(etag);
    free(header);
    free(raw);
    return 0;
}
