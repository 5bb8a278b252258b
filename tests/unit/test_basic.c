/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of oauth/basic.c: the RFC 6749 §2.3.1 Basic header. The
 * Base64 strings were computed independently (Python's base64 module); the
 * comment beside each gives the decoded text.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "oauth/oauth.h"

/* Asserts that header is refused as ST_INVALID, with a message, and that
 * nothing is returned. */
static void expect_invalid(const char *header)
{
    struct arena a;
    arena_init(&a);
    struct basic_cred c = {(char *)"x", (char *)"y"};
    struct err e = {0};
    cr_expect_eq(oauth_basic_parse(&a, header, &c, &e), ST_INVALID, "accepted: %s",
                 header ? header : "(null)");
    cr_expect_eq(e.st, ST_INVALID);
    cr_expect_neq(e.msg[0], '\0');
    cr_expect_null(c.id);
    cr_expect_null(c.secret);
    arena_cleanup(&a);
}

/* Asserts that header decodes to id and secret. */
static void expect_cred(const char *header, const char *id, const char *secret)
{
    struct arena a;
    arena_init(&a);
    struct basic_cred c = {0};
    struct err e = {0};
    cr_assert_eq(oauth_basic_parse(&a, header, &c, &e), ST_OK, "%s: %s", header, e.msg);
    cr_expect_str_eq(c.id, id, "%s", header);
    cr_expect_str_eq(c.secret, secret, "%s", header);
    arena_cleanup(&a);
}

Test(basic, rfc_style_credentials_are_decoded)
{
    /* s6BhdRkqt3:7Fjfp0ZBr1KtDRbnfVdmIw */
    expect_cred("Basic czZCaGRSa3F0Mzo3RmpmcDBaQnIxS3REUmJuZlZkbUl3", "s6BhdRkqt3",
                "7Fjfp0ZBr1KtDRbnfVdmIw");
}

Test(basic, form_encoded_colon_plus_and_percent_are_decoded)
{
    /* a%3Ab%2Bc%25d:p%3Aq+r  →  id "a:b+c%d", secret "p:q r" */
    expect_cred("Basic YSUzQWIlMkJjJTI1ZDpwJTNBcSty", "a:b+c%d", "p:q r");
}

Test(basic, split_is_at_the_first_colon)
{
    /* id:se:cret */
    expect_cred("Basic aWQ6c2U6Y3JldA==", "id", "se:cret");
}

Test(basic, scheme_is_case_insensitive)
{
    /* client:s3cret */
    expect_cred("basic Y2xpZW50OnMzY3JldA==", "client", "s3cret");
    expect_cred("BASIC Y2xpZW50OnMzY3JldA==", "client", "s3cret");
}

Test(basic, extra_spaces_are_tolerated)
{
    expect_cred("Basic    Y2xpZW50OnMzY3JldA==", "client", "s3cret");
    expect_cred("Basic \tY2xpZW50OnMzY3JldA==  ", "client", "s3cret");
}

Test(basic, empty_secret_is_returned_empty)
{
    /* id: */
    expect_cred("Basic aWQ6", "id", "");
}

Test(basic, other_scheme_is_invalid)
{
    expect_invalid("Bearer Y2xpZW50OnMzY3JldA==");
    expect_invalid("Digest Y2xpZW50OnMzY3JldA==");
    expect_invalid("BasicY2xpZW50OnMzY3JldA==");
    expect_invalid("Basi Y2xpZW50OnMzY3JldA==");
    expect_invalid("Y2xpZW50OnMzY3JldA==");
    expect_invalid(" Basic Y2xpZW50OnMzY3JldA==");
    expect_invalid("Basic");
    expect_invalid("Basic   ");
    expect_invalid("");
    expect_invalid(NULL);
}

Test(basic, bad_base64_is_invalid)
{
    expect_invalid("Basic !!!!");
    expect_invalid("Basic Y2xpZW50OnMzY3JldA");    /* padding missing */
    expect_invalid("Basic Y2xpZW50OnMzY3JldA=");   /* padding short */
    expect_invalid("Basic Y2xpZW50OnMzY3JldA==="); /* padding long */
    expect_invalid("Basic Y2xpZW50 OnMzY3JldA=="); /* space inside */
    expect_invalid("Basic Y2xpZW50OnMzY3JldA==x"); /* trailing garbage */
    expect_invalid("Basic Y2xp_W50OnMzY3JldA==");  /* Base64url alphabet */
}

Test(basic, no_colon_is_invalid)
{
    /* abc */
    expect_invalid("Basic YWJj");
}

Test(basic, empty_id_is_invalid)
{
    /* :secret */
    expect_invalid("Basic OnNlY3JldA==");
}

Test(basic, control_byte_is_invalid)
{
    expect_invalid("Basic aWQ6c2UBY3JldA=="); /* id:se\x01cret */
    expect_invalid("Basic aWQ6c2V/Y3JldA=="); /* id:se\x7fcret */
    expect_invalid("Basic aWQ6c2VjAHJldA=="); /* id:sec\0ret */
    expect_invalid("Basic aWQ6c2UlMEFjcmV0"); /* id:se%0Acret */
    expect_invalid("Basic aSUwMGQ6eA==");     /* i%00d:x */
}

Test(basic, bad_percent_escape_is_invalid)
{
    /* id:%zz */
    expect_invalid("Basic aWQ6JXp6");
}
