/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of oauth/multipart.c against bytes captured from curl 7.88
 * (`curl -F`) and hand-built RFC 7578 bodies. They check framing and names
 * only; what the token endpoint does with the fields is tested in tests/api.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "oauth/oauth.h"

#define CURL_BOUNDARY "------------------------f4886fc03288fc9a"
#define CURL_TYPE "multipart/form-data; boundary=" CURL_BOUNDARY
/* Exactly what `curl -F grant_type=client_credentials -F 'scope=*:**'` sent. */
#define CURL_BODY                                                                                  \
    "--" CURL_BOUNDARY "\r\n"                                                                      \
    "Content-Disposition: form-data; name=\"grant_type\"\r\n"                                      \
    "\r\n"                                                                                         \
    "client_credentials\r\n"                                                                       \
    "--" CURL_BOUNDARY "\r\n"                                                                      \
    "Content-Disposition: form-data; name=\"scope\"\r\n"                                           \
    "\r\n"                                                                                         \
    "*:**\r\n"                                                                                     \
    "--" CURL_BOUNDARY "--\r\n"

#define CD "Content-Disposition: form-data; "

static enum st parse(struct arena *a, const char *type, const char *body, struct form *f,
                     struct err *e)
{
    return oauth_multipart_parse(a, type, body, strlen(body), f, e);
}

/* Asserts that body (with boundary "b" unless type says otherwise) is
 * refused as ST_INVALID with a message. */
static void expect_invalid(const char *type, const char *body)
{
    struct arena a;
    arena_init(&a);
    struct form f;
    struct err e = {0};
    cr_expect_eq(parse(&a, type ? type : "multipart/form-data; boundary=b", body, &f, &e),
                 ST_INVALID, "accepted: %s", body);
    cr_expect_eq(e.st, ST_INVALID);
    cr_expect_neq(e.msg[0], '\0');
    arena_cleanup(&a);
}

Test(multipart, curl_dash_F_body_is_parsed)
{
    struct arena a;
    arena_init(&a);
    struct form f;
    struct err e = {0};
    cr_assert_eq(parse(&a, CURL_TYPE, CURL_BODY, &f, &e), ST_OK, "%s", e.msg);
    cr_assert_eq(f.n, 2);
    cr_expect_str_eq(oauth_form_get(&f, OAUTH_GRANT_TYPE), OAUTH_CLIENT_CREDENTIALS);
    cr_expect_str_eq(oauth_form_get(&f, OAUTH_SCOPE), "*:**");
    cr_expect_eq(f.f[0].value_len, strlen(OAUTH_CLIENT_CREDENTIALS));
    cr_expect_eq(f.f[1].value_len, 4);
    arena_cleanup(&a);
}

Test(multipart, curl_body_with_content_type_headers_and_file)
{
    /* curl -F 'note=hello;type=text/plain' -F f=@v.txt -F 'we"ird=x', v.txt = "a\r\nb" */
    const char *type = "multipart/form-data; boundary=------------------------4d9dfadac4fad6cb";
    const char *body = "--------------------------4d9dfadac4fad6cb\r\n"
                       "Content-Disposition: form-data; name=\"note\"\r\n"
                       "Content-Type: text/plain\r\n"
                       "\r\n"
                       "hello\r\n"
                       "--------------------------4d9dfadac4fad6cb\r\n"
                       "Content-Disposition: form-data; name=\"f\"; filename=\"v.txt\"\r\n"
                       "Content-Type: text/plain\r\n"
                       "\r\n"
                       "a\r\nb\r\n"
                       "--------------------------4d9dfadac4fad6cb\r\n"
                       "Content-Disposition: form-data; name=\"we%22ird\"\r\n"
                       "\r\n"
                       "x\r\n"
                       "--------------------------4d9dfadac4fad6cb--\r\n";
    struct arena a;
    arena_init(&a);
    struct form f;
    struct err e = {0};
    cr_assert_eq(parse(&a, type, body, &f, &e), ST_OK, "%s", e.msg);
    cr_assert_eq(f.n, 3);
    cr_expect_str_eq(oauth_form_get(&f, "note"), "hello");
    cr_expect_str_eq(oauth_form_get(&f, "f"), "a\r\nb");
    cr_expect_eq(f.f[1].value_len, 4);
    cr_expect_str_eq(oauth_form_get(&f, "we\"ird"), "x");
    arena_cleanup(&a);
}

Test(multipart, body_parse_accepts_curl_request)
{
    struct arena a;
    arena_init(&a);
    struct form f;
    cr_assert_eq(oauth_body_parse(&a, CURL_TYPE, CURL_BODY, strlen(CURL_BODY), &f, NULL), ST_OK);
    cr_expect_str_eq(oauth_form_get(&f, OAUTH_SCOPE), "*:**");
    arena_cleanup(&a);
}

Test(multipart, quoted_boundary_and_other_parameters)
{
    const char *types[] = {
        "multipart/form-data; boundary=\"a'b(c)+_,-./:=? d\"",
        "multipart/form-data;charset=utf-8;BOUNDARY=\"a'b(c)+_,-./:=? d\"",
        "multipart/form-data ; boundary = \"a'b(c)+_,-./:=? d\" ; x=y",
    };
    const char *body = "--a'b(c)+_,-./:=? d\r\n" CD "name=\"k\"\r\n\r\nv\r\n--a'b(c)+_,-./:=? d--";
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        struct arena a;
        arena_init(&a);
        struct form f;
        struct err e = {0};
        cr_expect_eq(parse(&a, types[i], body, &f, &e), ST_OK, "%s: %s", types[i], e.msg);
        cr_expect_str_eq(oauth_form_get(&f, "k"), "v", "%s", types[i]);
        arena_cleanup(&a);
    }
}

Test(multipart, unquoted_name_is_accepted)
{
    struct arena a;
    arena_init(&a);
    struct form f;
    const char *body = "--b\r\ncontent-disposition: FORM-DATA; NAME=grant_type\r\n\r\nx\r\n--b--";
    cr_assert_eq(parse(&a, "multipart/form-data; boundary=b", body, &f, NULL), ST_OK);
    cr_expect_str_eq(oauth_form_get(&f, "grant_type"), "x");
    arena_cleanup(&a);
}

Test(multipart, preamble_and_epilogue_are_ignored)
{
    struct arena a;
    arena_init(&a);
    struct form f;
    const char *body = "This is the preamble.\r\n--b\r\n" CD "name=\"k\"\r\n\r\nv\r\n--b--\r\n"
                       "epilogue\r\n--b\r\n" CD "name=\"z\"\r\n\r\nno\r\n";
    cr_assert_eq(parse(&a, "multipart/form-data; boundary=b", body, &f, NULL), ST_OK);
    cr_expect_eq(f.n, 1);
    cr_expect_str_eq(oauth_form_get(&f, "k"), "v");
    arena_cleanup(&a);
}

Test(multipart, transport_padding_after_delimiter_is_allowed)
{
    struct arena a;
    arena_init(&a);
    struct form f;
    const char *body = "--b \t\r\n" CD "name=\"k\"\r\n\r\nv\r\n--b--";
    cr_assert_eq(parse(&a, "multipart/form-data; boundary=b", body, &f, NULL), ST_OK);
    cr_expect_str_eq(oauth_form_get(&f, "k"), "v");
    arena_cleanup(&a);
}

Test(multipart, value_may_hold_crlf_and_dashes)
{
    struct arena a;
    arena_init(&a);
    struct form f;
    const char body[] = "--b\r\n" CD "name=\"k\"\r\n\r\n\r\nx--b\r\n-b\r\n\r\n--b--\r\n";
    cr_assert_eq(parse(&a, "multipart/form-data; boundary=b", body, &f, NULL), ST_OK);
    cr_assert_eq(f.n, 1);
    cr_expect_eq(f.f[0].value_len, 12);
    cr_expect_str_eq(f.f[0].value, "\r\nx--b\r\n-b\r\n");
    arena_cleanup(&a);
}

/* As in form bodies: a value cut at its NUL would be acted on shorter. */
Test(multipart, nul_in_value_is_invalid)
{
    const char *bodies[] = {
        "--b\r\n" CD "name=\"client_secret\"\r\n\r\nab@cd\r\n--b--\r\n",
        "--b\r\n" CD "name=\"grant_type\"\r\n\r\nclient_credentials@x\r\n--b--\r\n",
        "--b\r\n" CD "name=\"scope\"\r\n\r\n@\r\n--b--\r\n",
        "--b\r\n" CD "name=\"a\"\r\n\r\n1\r\n--b\r\n" CD "name=\"k\"\r\n\r\nx@\r\n--b--\r\n",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
        char body[256];
        size_t n = strlen(bodies[i]);
        memcpy(body, bodies[i], n + 1);
        *strchr(body, '@') = '\0'; /* the NUL byte goes where '@' is */
        struct arena a;
        arena_init(&a);
        struct form f;
        struct err e = {0};
        cr_expect_eq(oauth_multipart_parse(&a, "multipart/form-data; boundary=b", body, n, &f, &e),
                     ST_INVALID, "accepted: %s", bodies[i]);
        cr_expect_neq(e.msg[0], '\0');
        arena_cleanup(&a);
    }
}

Test(multipart, empty_value_and_part_without_body)
{
    struct arena a;
    arena_init(&a);
    struct form f;
    const char *body = "--b\r\n" CD "name=\"e\"\r\n\r\n\r\n--b\r\n" CD "name=\"n\"\r\n\r\n--b--";
    cr_assert_eq(parse(&a, "multipart/form-data; boundary=b", body, &f, NULL), ST_OK);
    cr_assert_eq(f.n, 2);
    cr_expect_str_eq(oauth_form_get(&f, "e"), "");
    cr_expect_str_eq(oauth_form_get(&f, "n"), "");
    cr_expect_eq(f.f[0].value_len, 0);
    arena_cleanup(&a);
}

Test(multipart, repeated_names_are_kept_for_counting)
{
    struct arena a;
    arena_init(&a);
    struct form f;
    const char *body =
        "--b\r\n" CD "name=\"s\"\r\n\r\n1\r\n--b\r\n" CD "name=\"s\"\r\n\r\n2\r\n--b--";
    cr_assert_eq(parse(&a, "multipart/form-data; boundary=b", body, &f, NULL), ST_OK);
    cr_expect_eq(oauth_form_count(&f, "s"), 2);
    cr_expect_str_eq(oauth_form_get(&f, "s"), "1");
    arena_cleanup(&a);
}

Test(multipart, only_a_close_delimiter_is_an_empty_form)
{
    struct arena a;
    arena_init(&a);
    struct form f = {.n = 3};
    cr_assert_eq(parse(&a, "multipart/form-data; boundary=b", "--b--\r\n", &f, NULL), ST_OK);
    cr_expect_eq(f.n, 0);
    arena_cleanup(&a);
}

Test(multipart, missing_or_bad_boundary_is_invalid)
{
    const char *body = "--b\r\n" CD "name=\"k\"\r\n\r\nv\r\n--b--";
    expect_invalid(NULL, "");
    expect_invalid("multipart/form-data", body);
    expect_invalid("multipart/form-data; charset=utf-8", body);
    expect_invalid("multipart/form-data; boundary=", body);
    expect_invalid("multipart/form-data; boundary=\"\"", body);
    expect_invalid("multipart/form-data; boundary=\"b ", body);
    expect_invalid("multipart/form-data; boundary=\"b \"", body);
    expect_invalid("multipart/form-data; boundary=\"b\x01\"", body);
    expect_invalid("multipart/form-data; boundary", body);
    expect_invalid("multipart/form-data; boundary=b junk", body);
    struct arena a;
    arena_init(&a);
    struct form f;
    cr_expect_eq(parse(&a, NULL, body, &f, NULL), ST_INVALID);
    arena_cleanup(&a);
}

Test(multipart, boundary_of_70_is_accepted_and_71_refused)
{
    char b[72];
    memset(b, 'x', 71);
    b[71] = '\0';
    char type[128];
    char body[256];
    snprintf(type, sizeof type, "multipart/form-data; boundary=%s", b);
    snprintf(body, sizeof body, "--%s\r\n" CD "name=\"k\"\r\n\r\nv\r\n--%s--", b, b);
    expect_invalid(type, body);
    b[70] = '\0';
    snprintf(type, sizeof type, "multipart/form-data; boundary=%s", b);
    snprintf(body, sizeof body, "--%s\r\n" CD "name=\"k\"\r\n\r\nv\r\n--%s--", b, b);
    struct arena a;
    arena_init(&a);
    struct form f;
    cr_expect_eq(parse(&a, type, body, &f, NULL), ST_OK);
    cr_expect_str_eq(oauth_form_get(&f, "k"), "v");
    arena_cleanup(&a);
}

Test(multipart, missing_close_delimiter_is_invalid)
{
    expect_invalid(NULL, "--b\r\n" CD "name=\"k\"\r\n\r\nv\r\n");
    expect_invalid(NULL, "--b\r\n" CD "name=\"k\"\r\n\r\nv\r\n--b\r\n");
    expect_invalid(NULL, "--b\r\n" CD "name=\"k\"\r\n\r\nv");
    expect_invalid(NULL, "--b\r\n" CD "name=\"k\"\r\n\r\nv\r\n--b-");
}

Test(multipart, no_delimiter_at_all_is_invalid)
{
    expect_invalid(NULL, "");
    expect_invalid(NULL, "grant_type=client_credentials");
    expect_invalid(NULL, "--c\r\n" CD "name=\"k\"\r\n\r\nv\r\n--c--");
}

Test(multipart, delimiter_line_with_trailing_junk_is_invalid)
{
    expect_invalid(NULL, "--bx\r\n" CD "name=\"k\"\r\n\r\nv\r\n--b--");
    expect_invalid(NULL, "--bxy" CD "name=\"k\"\r\n\r\nv\r\n--b--");
    expect_invalid(NULL, "--b\r\n" CD "name=\"k\"\r\n\r\nv\r\n--bx\r\n--b--");
}

Test(multipart, missing_name_is_invalid)
{
    expect_invalid(NULL, "--b\r\nContent-Disposition: form-data\r\n\r\nv\r\n--b--");
    expect_invalid(NULL, "--b\r\n" CD "filename=\"x.txt\"\r\n\r\nv\r\n--b--");
    expect_invalid(NULL, "--b\r\n" CD "name=\"\"\r\n\r\nv\r\n--b--");
    expect_invalid(NULL, "--b\r\n" CD "name=\r\n\r\nv\r\n--b--");
    expect_invalid(NULL, "--b\r\n" CD "name=\"k\r\n\r\nv\r\n--b--");
}

Test(multipart, part_without_content_disposition_is_invalid)
{
    expect_invalid(NULL, "--b\r\nContent-Type: text/plain\r\n\r\nv\r\n--b--");
    expect_invalid(NULL, "--b\r\n\r\nv\r\n--b--");
}

Test(multipart, disposition_other_than_form_data_is_invalid)
{
    expect_invalid(NULL, "--b\r\nContent-Disposition: attachment; name=\"k\"\r\n\r\nv\r\n--b--");
    expect_invalid(NULL, "--b\r\nContent-Disposition: form-data name=\"k\"\r\n\r\nv\r\n--b--");
}

Test(multipart, repeated_disposition_or_name_is_invalid)
{
    expect_invalid(NULL, "--b\r\n" CD "name=\"k\"\r\n" CD "name=\"j\"\r\n\r\nv\r\n--b--");
    expect_invalid(NULL, "--b\r\n" CD "name=\"k\"; name=\"j\"\r\n\r\nv\r\n--b--");
}

Test(multipart, headers_must_end_with_an_empty_line)
{
    expect_invalid(NULL, "--b\r\n" CD "name=\"k\"\r\n--b--\r\n");
    expect_invalid(NULL, "--b\r\n" CD "name=\"k\"\r\nv\r\n--b--\r\n");
}

Test(multipart, malformed_header_line_is_invalid)
{
    expect_invalid(NULL, "--b\r\n" CD "name=\"k\"\r\nno colon here\r\n\r\nv\r\n--b--");
    expect_invalid(NULL, "--b\r\n" CD "name=\"k\"\r\n folded: x\r\n\r\nv\r\n--b--");
    expect_invalid(NULL, "--b\r\n" CD "name=\"k\"\r\nX-A: a\x01\r\n\r\nv\r\n--b--");
}

Test(multipart, lf_only_line_endings_are_invalid)
{
    expect_invalid(NULL, "--b\n" CD "name=\"k\"\n\nv\n--b--\n");
    expect_invalid(NULL, "--b\r\n" CD "name=\"k\"\n\nv\r\n--b--\r\n");
}

Test(multipart, thirty_two_parts_are_accepted_and_thirty_three_refused)
{
    char body[4096] = "";
    for (int i = 0; i < FORM_MAX_FIELDS; i++)
        snprintf(body + strlen(body), sizeof body - strlen(body),
                 "--b\r\n" CD "name=\"f%d\"\r\n\r\n%d\r\n", i, i);
    size_t cut = strlen(body);
    snprintf(body + cut, sizeof body - cut, "--b--\r\n");
    struct arena a;
    arena_init(&a);
    struct form f;
    cr_assert_eq(parse(&a, "multipart/form-data; boundary=b", body, &f, NULL), ST_OK);
    cr_expect_eq(f.n, FORM_MAX_FIELDS);
    cr_expect_str_eq(oauth_form_get(&f, "f31"), "31");
    arena_cleanup(&a);
    snprintf(body + cut, sizeof body - cut, "--b\r\n" CD "name=\"x\"\r\n\r\nx\r\n--b--\r\n");
    expect_invalid(NULL, body);
}
