/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of oauth/form.c: application/x-www-form-urlencoded parsing,
 * field look-up, and the Content-Type dispatch of oauth_body_parse.
 * Multipart framing itself is tested in test_multipart.c.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "oauth/oauth.h"

static enum st parse(struct arena *a, const char *body, struct form *f, struct err *e)
{
    return oauth_form_parse(a, body, strlen(body), f, e);
}

/* Asserts that body is refused as ST_INVALID with a message. */
static void expect_invalid(const char *body)
{
    struct arena a;
    arena_init(&a);
    struct form f;
    struct err e = {0};
    cr_expect_eq(parse(&a, body, &f, &e), ST_INVALID, "body \"%s\" accepted", body);
    cr_expect_eq(e.st, ST_INVALID, "body \"%s\": err not filled", body);
    cr_expect_neq(e.msg[0], '\0', "body \"%s\": no message", body);
    arena_cleanup(&a);
}

Test(form, token_request_fields_are_found)
{
    struct arena a;
    arena_init(&a);
    struct form f;
    cr_assert_eq(parse(&a, "grant_type=client_credentials&scope=*:**", &f, NULL), ST_OK);
    cr_assert_eq(f.n, 2);
    cr_expect_str_eq(oauth_form_get(&f, OAUTH_GRANT_TYPE), OAUTH_CLIENT_CREDENTIALS);
    cr_expect_str_eq(oauth_form_get(&f, OAUTH_SCOPE), "*:**");
    cr_expect_eq(f.f[1].value_len, 4);
    arena_cleanup(&a);
}

Test(form, plus_is_space)
{
    struct arena a;
    arena_init(&a);
    struct form f;
    cr_assert_eq(parse(&a, "scope=GET:**+*:config/**", &f, NULL), ST_OK);
    cr_expect_str_eq(oauth_form_get(&f, "scope"), "GET:** *:config/**");
    arena_cleanup(&a);
}

Test(form, percent_2B_is_a_literal_plus)
{
    struct arena a;
    arena_init(&a);
    struct form f;
    cr_assert_eq(parse(&a, "client_secret=a%2Bb%2bc+d", &f, NULL), ST_OK);
    cr_expect_str_eq(oauth_form_get(&f, OAUTH_CLIENT_SECRET), "a+b+c d");
    arena_cleanup(&a);
}

Test(form, names_are_decoded_too)
{
    struct arena a;
    arena_init(&a);
    struct form f;
    cr_assert_eq(parse(&a, "client%5Fid=x&grant+type=y", &f, NULL), ST_OK);
    cr_expect_str_eq(oauth_form_get(&f, "client_id"), "x");
    cr_expect_str_eq(oauth_form_get(&f, "grant type"), "y");
    arena_cleanup(&a);
}

Test(form, value_splits_at_first_equals)
{
    struct arena a;
    arena_init(&a);
    struct form f;
    cr_assert_eq(parse(&a, "a=b=c", &f, NULL), ST_OK);
    cr_assert_eq(f.n, 1);
    cr_expect_str_eq(f.f[0].name, "a");
    cr_expect_str_eq(f.f[0].value, "b=c");
    arena_cleanup(&a);
}

Test(form, repeated_names_are_counted)
{
    struct arena a;
    arena_init(&a);
    struct form f;
    cr_assert_eq(parse(&a, "scope=a&grant_type=x&scope=b", &f, NULL), ST_OK);
    cr_expect_eq(f.n, 3);
    cr_expect_eq(oauth_form_count(&f, "scope"), 2);
    cr_expect_eq(oauth_form_count(&f, "grant_type"), 1);
    cr_expect_str_eq(oauth_form_get(&f, "scope"), "a", "get must return the first");
    arena_cleanup(&a);
}

Test(form, absent_name_is_null_and_zero)
{
    struct arena a;
    arena_init(&a);
    struct form f;
    cr_assert_eq(parse(&a, "a=1", &f, NULL), ST_OK);
    cr_expect_null(oauth_form_get(&f, "b"));
    cr_expect_eq(oauth_form_count(&f, "b"), 0);
    cr_expect_null(oauth_form_get(&f, "A"), "names are case-sensitive");
    arena_cleanup(&a);
}

Test(form, empty_pairs_are_skipped)
{
    struct arena a;
    arena_init(&a);
    struct form f;
    cr_assert_eq(parse(&a, "&&a=1&&&b=2&", &f, NULL), ST_OK);
    cr_assert_eq(f.n, 2);
    cr_expect_str_eq(f.f[0].name, "a");
    cr_expect_str_eq(f.f[1].name, "b");
    arena_cleanup(&a);
}

Test(form, empty_body_has_no_fields)
{
    struct arena a;
    arena_init(&a);
    struct form f = {.n = 7};
    cr_assert_eq(oauth_form_parse(&a, "", 0, &f, NULL), ST_OK);
    cr_expect_eq(f.n, 0);
    arena_cleanup(&a);
}

Test(form, name_without_equals_has_empty_value)
{
    struct arena a;
    arena_init(&a);
    struct form f;
    cr_assert_eq(parse(&a, "flag&x=", &f, NULL), ST_OK);
    cr_assert_eq(f.n, 2);
    cr_expect_str_eq(oauth_form_get(&f, "flag"), "");
    cr_expect_eq(f.f[0].value_len, 0);
    cr_expect_str_eq(oauth_form_get(&f, "x"), "");
    arena_cleanup(&a);
}

Test(form, body_is_read_only_up_to_len)
{
    struct arena a;
    arena_init(&a);
    struct form f;
    cr_assert_eq(oauth_form_parse(&a, "a=12&b=2", 3, &f, NULL), ST_OK);
    cr_assert_eq(f.n, 1);
    cr_expect_str_eq(f.f[0].value, "1");
    arena_cleanup(&a);
}

Test(form, bad_percent_escape_is_invalid)
{
    expect_invalid("%");
    expect_invalid("%4");
    expect_invalid("%zz");
    expect_invalid("a=%");
    expect_invalid("a=%4");
    expect_invalid("a=%zz");
    expect_invalid("a=%4g");
    expect_invalid("ok=1&a%=1");
}

Test(form, thirty_two_fields_are_accepted)
{
    struct arena a;
    arena_init(&a);
    char body[512] = "";
    for (int i = 0; i < FORM_MAX_FIELDS; i++)
        snprintf(body + strlen(body), sizeof body - strlen(body), "&f%d=%d&", i, i);
    struct form f;
    cr_assert_eq(parse(&a, body, &f, NULL), ST_OK);
    cr_expect_eq(f.n, FORM_MAX_FIELDS);
    cr_expect_str_eq(oauth_form_get(&f, "f31"), "31");
    arena_cleanup(&a);
}

Test(form, too_many_fields_is_invalid)
{
    char body[512] = "";
    for (int i = 0; i <= FORM_MAX_FIELDS; i++)
        snprintf(body + strlen(body), sizeof body - strlen(body), "f%d=%d&", i, i);
    expect_invalid(body);
}

/* C string handling would cut the value at the NUL and act on the rest
 * ("client_credentials%00x" taken as "client_credentials"). */
Test(form, nul_in_value_is_invalid)
{
    expect_invalid("client_secret=ab%00cd");
    expect_invalid("grant_type=client_credentials%00x");
    expect_invalid("grant_type=client_credentials&scope=%00");
    expect_invalid("scope=*:**%00&grant_type=client_credentials");
    expect_invalid("token=%00abc");
}

Test(form, nul_in_name_is_invalid)
{
    expect_invalid("grant_type%00x=client_credentials");
}

Test(form, body_parse_accepts_form_with_parameters_and_any_case)
{
    struct arena a;
    arena_init(&a);
    struct form f;
    const char *types[] = {
        "application/x-www-form-urlencoded",
        "  Application/X-WWW-Form-URLEncoded ; charset=UTF-8 ",
        "application/x-www-form-urlencoded;charset=utf-8",
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        cr_expect_eq(oauth_body_parse(&a, types[i], "a=1", 3, &f, NULL), ST_OK, "%s", types[i]);
        cr_expect_str_eq(oauth_form_get(&f, "a"), "1", "%s", types[i]);
    }
    arena_cleanup(&a);
}

Test(form, body_parse_dispatches_multipart)
{
    struct arena a;
    arena_init(&a);
    struct form f;
    const char *body =
        "--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--xyz--\r\n";
    cr_assert_eq(
        oauth_body_parse(&a, " Multipart/Form-Data; boundary=xyz", body, strlen(body), &f, NULL),
        ST_OK);
    cr_expect_str_eq(oauth_form_get(&f, "a"), "1");
    arena_cleanup(&a);
}

Test(form, body_parse_refuses_other_media_types)
{
    struct arena a;
    arena_init(&a);
    struct form f;
    const char *types[] = {
        "application/json",
        "text/plain",
        "",
        " ",
        "application/x-www-form-urlencodedX",
        "application/x-www-form",
        "multipart/mixed; boundary=x",
        "form-data",
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        struct err e = {0};
        cr_expect_eq(oauth_body_parse(&a, types[i], "a=1", 3, &f, &e), ST_UNSUPPORTED_MEDIA, "%s",
                     types[i]);
        cr_expect_eq(e.st, ST_UNSUPPORTED_MEDIA);
    }
    cr_expect_eq(oauth_body_parse(&a, NULL, "a=1", 3, &f, NULL), ST_UNSUPPORTED_MEDIA);
    arena_cleanup(&a);
}

Test(form, body_parse_reports_bad_form_as_invalid)
{
    struct arena a;
    arena_init(&a);
    struct form f;
    cr_expect_eq(oauth_body_parse(&a, MEDIA_FORM, "a=%zz", 5, &f, NULL), ST_INVALID);
    arena_cleanup(&a);
}
