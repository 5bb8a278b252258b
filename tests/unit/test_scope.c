/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of oauth/scope.c: the scope-token syntax of RFC 6749 §3.3 and
 * the METHOD:PATH glob of SPEC §3. Paths are given as the router passes
 * them: after "/{customerId}/", no leading slash.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "oauth/oauth.h"

#define PROVIDERS "v2/config/low/services/engage-v2/apps"

static void covers(const char *scope, const char *method, const char *path)
{
    cr_expect(oauth_scope_covers(scope, method, path), "%s should cover %s %s", scope, method,
              path);
}

static void misses(const char *scope, const char *method, const char *path)
{
    cr_expect_not(oauth_scope_covers(scope, method, path), "%s should not cover %s %s", scope,
                  method, path);
}

Test(scope, star_star_covers_everything)
{
    covers("*:**", "GET", "config/clients");
    covers("*:**", "DELETE", PROVIDERS "/abcdefghijabcdefghij/custom-providers/x");
    covers("*:**", "PATCH", "a");
    covers("*:**", "GET", "");
}

Test(scope, config_subtree_covers_config_only)
{
    covers("*:config/**", "GET", "config/clients");
    covers("*:config/**", "POST", "config/clients/x/secret");
    covers("*:config/**", "GET", "config/tokenPolicies");
    misses("*:config/**", "GET", PROVIDERS);
    misses("*:config/**", "GET", "v2/config/clients");
    misses("*:config/**", "GET", "configuration/clients");
    misses("*:config/**", "GET", "");
}

Test(scope, double_star_matches_zero_segments)
{
    covers("*:config/**", "GET", "config");
    covers("*:**/secret", "GET", "secret");
    covers("*:config/**/secret", "GET", "config/secret");
    covers("*:config/**/secret", "GET", "config/clients/x/secret");
    misses("*:config/**/secret", "GET", "config/clients/x/secrets");
    covers("*:**/**", "GET", "");
    covers("*:a/**/**/b", "GET", "a/b");
    covers("*:a/**/**/b", "GET", "a/x/y/z/b");
}

Test(scope, double_star_is_followed_by_backtracking)
{
    covers("*:**/x/y", "GET", "x/x/x/y");
    covers("*:**/a/*/c/**", "GET", "a/a/b/a/q/c/d");
    misses("*:**/a/*/c", "GET", "a/b/a/q/d");
    covers("*:**/v2/**/apps", "GET", PROVIDERS);
}

Test(scope, read_only_scope_covers_get_and_head)
{
    covers("GET:**", "GET", PROVIDERS);
    covers("GET:**", "HEAD", "config/clients");
    misses("GET:**", "POST", "config/clients");
    misses("GET:**", "PUT", "config/clients/x");
    misses("HEAD:**", "GET", "config/clients");
    covers("HEAD:**", "HEAD", "config/clients");
}

Test(scope, method_must_match_exactly)
{
    covers("POST:config/clients", "POST", "config/clients");
    misses("POST:config/clients", "GET", "config/clients");
    misses("POST:config/clients", "POSTX", "config/clients");
    misses("POST:config/clients", "POS", "config/clients");
    misses("POST:config/clients", "POST", "config/clients/x");
}

Test(scope, method_is_case_sensitive)
{
    misses("get:**", "GET", "config/clients");
    misses("Get:**", "get", "config/clients");
    misses("GET:**", "get", "config/clients");
    misses("*:**", "", "config/clients");
}

Test(scope, single_star_stays_within_one_segment)
{
    covers("*:config/*", "GET", "config/clients");
    misses("*:config/*", "GET", "config/clients/x");
    misses("*:config/*", "GET", "config");
    covers("*:config/clients/*/secret", "POST", "config/clients/abc/secret");
    misses("*:config/clients/*/secret", "POST", "config/clients/a/b/secret");
    misses("*:config/clients/*/secret", "POST", "config/clients/abc");
    misses("*:*", "GET", "");
}

Test(scope, star_mixes_with_literal_characters)
{
    covers("*:" PROVIDERS "/*/custom-*", "GET", PROVIDERS "/abc/custom-providers");
    misses("*:" PROVIDERS "/*/custom-*", "GET", PROVIDERS "/abc/providers");
    covers("*:a*b*c", "GET", "abc");
    covers("*:a*b*c", "GET", "aXbYbZc");
    misses("*:a*b*c", "GET", "aXbYbZcd");
    misses("*:a*b*c", "GET", "a/b/c");
    covers("*:*-v2", "GET", "engage-v2");
    misses("*:*-v2", "GET", "engage-v3");
}

Test(scope, literal_paths_match_exactly)
{
    covers("*:config/clients", "GET", "config/clients");
    misses("*:config/clients", "GET", "config/client");
    misses("*:config/clients", "GET", "config/clients/");
    misses("*:config/clients", "GET", "Config/clients");
}

Test(scope, scope_not_of_method_path_form_covers_nothing)
{
    misses("openid", "GET", "config/clients");
    misses("**", "GET", "config/clients");
    misses("GET", "GET", "");
    misses("GET:", "GET", "");
    misses(":**", "GET", "config/clients");
    misses("G3T:**", "G3T", "config/clients");
    misses("*GET:**", "GET", "config/clients");
    misses("*:* *", "GET", "config/clients");
    misses("", "GET", "");
    misses(NULL, "GET", "config/clients");
    misses("*:**", NULL, "config/clients");
    misses("*:**", "GET", NULL);
}

Test(scope, empty_path_is_covered_only_by_double_star)
{
    covers("*:**", "GET", "");
    covers("GET:**", "GET", "");
    misses("*:config/**", "GET", "");
    misses("*:*", "GET", "");
    misses("*:config", "GET", "");
}

Test(scope, long_path_is_matched_without_blowup)
{
    /* 2047 segments "a", then "b": 4095 bytes. */
    char path[4096];
    for (size_t i = 0; i < 2047; i++) {
        path[2 * i] = 'a';
        path[2 * i + 1] = '/';
    }
    path[4094] = 'b';
    path[4095] = '\0';
    covers("*:**/a/**/b", "GET", path);
    covers("*:a/**/a/b", "GET", path);
    misses("*:**/a/**/a/**/a/**/a/**/a/**/a/**/c", "GET", path);
    path[4094] = 'a';
    misses("*:**/a/**/b", "GET", path);
    misses("*:**/*a*a*a*a*a*a*a*a*b/**", "GET", path);
}

Test(scope, token_syntax_is_rfc6749)
{
    cr_expect(oauth_scope_token_valid("*:**"));
    cr_expect(oauth_scope_token_valid("openid"));
    cr_expect(oauth_scope_token_valid("!#[]~"));
    cr_expect_not(oauth_scope_token_valid(""));
    cr_expect_not(oauth_scope_token_valid(NULL));
    cr_expect_not(oauth_scope_token_valid("*:** GET:**"));
    cr_expect_not(oauth_scope_token_valid("a\"b"));
    cr_expect_not(oauth_scope_token_valid("a\\b"));
    cr_expect_not(oauth_scope_token_valid("a\tb"));
    cr_expect_not(oauth_scope_token_valid("a\x7f"));
    cr_expect_not(oauth_scope_token_valid("caf\xc3\xa9"));
}

Test(scope, token_length_is_capped)
{
    char s[SCOPE_MAX_LEN + 2];
    memset(s, 'a', sizeof s - 1);
    s[SCOPE_MAX_LEN + 1] = '\0';
    cr_expect_not(oauth_scope_token_valid(s));
    s[SCOPE_MAX_LEN] = '\0';
    cr_expect(oauth_scope_token_valid(s));
}

Test(scope, over_long_scope_covers_nothing)
{
    char s[SCOPE_MAX_LEN + 8] = "*:**";
    memset(s + 4, '/', SCOPE_MAX_LEN - 4);
    memcpy(s + SCOPE_MAX_LEN, "/**", 4);
    misses(s, "GET", "config/clients");
}

Test(scope, grammar_is_method_colon_glob_of_segments)
{
    const char *good[] = {"*:**",
                          "GET:**",
                          "*:config/**",
                          "POST:config/clients",
                          "GET:config/clients/*",
                          "GET:**/secret",
                          "*:a/**/**/b",
                          "*:*-v2",
                          "DELETE:v2/*/x*y*",
                          "GET:a:b",
                          "OPTIONS:x"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        cr_expect(oauth_scope_valid(good[i]), "%s", good[i]);
    const char *bad[] = {"foo",      "get:**",  "Get:**",          "GET:",    ":x",     ":",
                         "*",        "**",      "**:**",           "G-T:**",  "GET:/x", "GET:x/",
                         "GET:a//b", "GET:a**", "GET:**x",         "GET:***", "*:**/",  "GET:a b",
                         "GET:\t",   "",        "GET:caf\xc3\xa9", "GET:a\"b"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_expect_not(oauth_scope_valid(bad[i]), "%s", bad[i]);
    cr_expect_not(oauth_scope_valid(NULL));
    char s[SCOPE_MAX_LEN + 2] = "GET:";
    memset(s + 4, 'a', SCOPE_MAX_LEN - 3);
    s[SCOPE_MAX_LEN + 1] = '\0';
    cr_expect_not(oauth_scope_valid(s), "over SCOPE_MAX_LEN");
    s[SCOPE_MAX_LEN] = '\0';
    cr_expect(oauth_scope_valid(s));
}

static void within(const char *inner, const char *outer)
{
    cr_expect(oauth_scope_within(inner, outer), "%s should be within %s", inner, outer);
}

static void beyond(const char *inner, const char *outer)
{
    cr_expect_not(oauth_scope_within(inner, outer), "%s should not be within %s", inner, outer);
}

Test(scope_within, everything_is_within_star_star)
{
    within("*:**", "*:**");
    within("GET:**", "*:**");
    within("*:config/**", "*:**");
    within("DELETE:v2/a/*/b", "*:**");
}

Test(scope_within, nothing_wider_is_within_a_narrower_scope)
{
    beyond("*:**", "*:config/**");
    beyond("*:**", "GET:**");
    beyond("GET:**", "GET:config/**");
    beyond("*:config/**", "GET:config/**");
    beyond("*:v2/**", "*:config/**");
    beyond("*:config/**", "*:config/*");
    beyond("*:config/**", "*:config/clients/**");
}

Test(scope_within, method_must_be_the_same_or_outer_star)
{
    within("GET:config/**", "GET:config/**");
    within("HEAD:config/x", "GET:config/**");
    beyond("POST:config/x", "GET:config/**");
    beyond("*:config/x", "GET:config/**");
    within("PATCH:config/x", "*:config/**");
}

Test(scope_within, a_star_of_the_inner_glob_needs_a_star_of_the_outer)
{
    within("GET:config/clients/*", "GET:config/clients/*");
    within("GET:config/clients/*", "GET:config/*/*");
    within("GET:config/clients/a*b", "GET:config/clients/a*");
    within("GET:config/a*b", "GET:config/*");
    beyond("GET:config/clients/*", "GET:config/clients/x");
    beyond("GET:config/clients/a*", "GET:config/clients/ab");
    beyond("GET:config/*", "GET:config/clients");
}

Test(scope_within, a_double_star_of_the_inner_glob_needs_one_of_the_outer)
{
    within("GET:config/**", "GET:config/**");
    within("GET:config/clients/**", "GET:config/**");
    within("GET:config/**/secret", "GET:config/**");
    within("GET:**/secret", "GET:**");
    beyond("GET:config/**", "GET:config/*");
    beyond("GET:config/**", "GET:*/*");
    beyond("GET:config/**/x", "GET:config/*/x");
    beyond("GET:**", "GET:*");
}

Test(scope_within, literal_paths_follow_covers)
{
    within("POST:config/clients/abc/secret", "*:config/**");
    within("POST:config/clients/abc/secret", "POST:config/clients/*/secret");
    beyond("POST:config/clients/abc/secret", "POST:config/clients/*/x");
    beyond("GET:v2/config/clients", "*:config/**");
}

Test(scope_within, invalid_scopes_are_within_nothing_and_contain_nothing)
{
    beyond("foo", "*:**");
    beyond("get:**", "*:**");
    beyond("GET:", "*:**");
    beyond(":x", "*:**");
    beyond("", "*:**");
    beyond(NULL, "*:**");
    beyond("GET:x", "foo");
    beyond("GET:x", NULL);
}
