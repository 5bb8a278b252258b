/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of util/text.c's decoding of request paths (util_path_decode):
 * what http/ hands the router; and of struct buf (util/mem.c): its cap and
 * its JSON strings. The other text helpers are exercised through the
 * parsers that use them.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

static void decodes(const char *in, const char *want)
{
    char out[256];
    long n = util_path_decode(out, in, strlen(in));
    cr_assert_geq(n, 0, "refused: %s", in);
    cr_expect_eq((size_t)n, strlen(want), "%s", in);
    cr_expect_str_eq(out, want, "%s", in);
}

static void refuses(const char *in, size_t n)
{
    char out[256];
    cr_expect_eq(util_path_decode(out, in, n), -1, "accepted: %.*s", (int)n, in);
}

Test(text, path_escapes_decode_to_their_bytes)
{
    decodes("/a/b", "/a/b");
    decodes("/config/tokenPolici%65s", "/config/tokenPolicies");
    decodes("/%41%62%7e%20x", "/Ab~ x");
    decodes("/%3F%23%3a", "/?#:");
    decodes("/caf%C3%A9", "/caf\xc3\xa9");
    decodes("", "");
}

Test(text, escaped_slash_and_percent_stay_escaped_upper_case)
{
    decodes("/a%2Fb", "/a%2Fb");
    decodes("/a%2fb", "/a%2Fb");
    decodes("/a%25b", "/a%25b");
    decodes("/a%252Fb", "/a%252Fb"); /* "%2F" as text, not a slash */
}

Test(text, every_control_byte_is_refused_raw_or_escaped)
{
    for (int c = 0; c < 0x20; c++) {
        char in[16];
        snprintf(in, sizeof in, "/a%%%02xb", c);
        refuses(in, strlen(in));
        snprintf(in, sizeof in, "/a%%%02Xb", c);
        refuses(in, strlen(in));
        char raw[4] = {'/', 'a', (char)c, 'b'};
        refuses(raw, sizeof raw);
    }
    refuses("/a%7fb", 6);
    refuses("/a%7Fb", 6);
    refuses("/a\x7f", 3);
    refuses("/a b", 4); /* a raw space cannot be in a request target */
}

Test(text, bad_escapes_are_refused)
{
    const char *bad[] = {"/%", "/%4", "/%zz", "/%4g", "/%%41", "/a%"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        refuses(bad[i], strlen(bad[i]));
    refuses("/%41", 3); /* the escape runs past n */
}

/* ---- struct buf: the cap, and JSON strings as jansson writes them ------ */

Test(text, buf_appends_up_to_its_cap_exactly)
{
    struct arena a;
    arena_init(&a);
    struct buf b;
    buf_init(&b, &a);
    cr_expect_eq(b.max, BUF_MAX_DEFAULT);
    b.max = 10;
    buf_puts(&b, "0123456789");
    cr_expect_not(b.overflow);
    cr_expect_eq(b.len, 10);
    cr_expect_str_eq(b.p, "0123456789");
    buf_add(&b, "", 0);
    cr_expect_not(b.overflow, "nothing more is still within the cap");
    arena_cleanup(&a);
}

Test(text, buf_past_its_cap_keeps_what_fitted_and_takes_nothing_more)
{
    struct arena a;
    arena_init(&a);
    struct buf b;
    buf_init(&b, &a);
    b.max = 2000; /* past the first block, so growth is clamped too */
    char chunk[700];
    memset(chunk, 'x', sizeof chunk);
    buf_add(&b, chunk, sizeof chunk);
    buf_add(&b, chunk, sizeof chunk);
    cr_expect_not(b.overflow);
    buf_add(&b, chunk, sizeof chunk); /* 2100 > 2000 */
    cr_expect(b.overflow);
    cr_expect_eq(b.len, 1400, "the append that did not fit added nothing");
    cr_expect_eq(strlen(b.p), 1400, "still NUL-terminated");
    buf_puts(&b, "y"); /* would fit, but the text is already incomplete */
    cr_expect_eq(b.len, 1400);
    cr_expect(b.overflow);
    cr_expect_leq(b.cap, b.max + 1, "never allocates past the cap");
    arena_cleanup(&a);
}

Test(text, buf_default_cap_stops_unbounded_growth)
{
    struct arena a;
    arena_init(&a);
    struct buf b;
    buf_init(&b, &a);
    static char mib[64 * 1024];
    memset(mib, 'z', sizeof mib);
    for (size_t i = 0; i < BUF_MAX_DEFAULT / sizeof mib; i++)
        buf_add(&b, mib, sizeof mib);
    cr_expect_not(b.overflow);
    cr_expect_eq(b.len, BUF_MAX_DEFAULT);
    buf_add(&b, "z", 1);
    cr_expect(b.overflow);
    cr_expect_eq(b.len, BUF_MAX_DEFAULT);
    buf_init(&b, &a);
    buf_puts(&b, "x");
    buf_add(&b, "x", SIZE_MAX); /* a length that would wrap the sum */
    cr_expect(b.overflow);
    cr_expect_eq(b.len, 1);
    arena_cleanup(&a);
}

/* buf_json_string writes every byte as json_dumps does (the provider
 * answers rely on it: model/provider_format.c). */
Test(text, buf_json_string_escapes_as_jansson_does)
{
    char all[256];
    for (int i = 0; i < 255; i++)
        all[i] = (char)(i + 1 < 0x80 ? i + 1 : 'a');
    const char *const cases[] = {
        all, "", "\"\\/", "\x7f", "caf\xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x98\x80", "\b\f\n\r\t\v\x1f"};
    all[255] = '\0';
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        json_t *s = json_string(cases[i]);
        char *want = json_dumps(s, JSON_ENCODE_ANY);
        struct arena a;
        arena_init(&a);
        struct buf b;
        buf_init(&b, &a);
        buf_json_string(&b, cases[i], strlen(cases[i]));
        cr_expect_str_eq(b.p, want, "case %zu", i);
        arena_cleanup(&a);
        free(want);
        json_decref(s);
    }
}

/* jansson allocates through xmalloc: out of memory aborts there too, as
 * everywhere else, rather than a NULL the callers never check. */
Test(text, util_init_gives_jansson_the_aborting_allocator)
{
    cr_assert_eq(util_init(), ST_OK);
    json_malloc_t m = NULL;
    json_free_t f = NULL;
    json_get_alloc_funcs(&m, &f);
    cr_expect(m == xmalloc);
    cr_expect(f == free);
}
