/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of util/text.c's decoding of request paths (util_path_decode):
 * what http/ hands the router. The other text helpers are exercised through
 * the parsers that use them.
 */
#include <criterion/criterion.h>
#include <stdio.h>
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
