/* SPDX-License-Identifier: MIT */
/*
 * The self-validating access token: format, round trip, and every way a
 * token must fail (tampered, truncated, another customer's or client's,
 * another scope, another key, expired to the second).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "oauth/oauth.h"

static struct keys keys;
static const struct token_ctx ctx = {
    .customer_id = "3cc14467-fd4f-437d-a0c0-0b3888dd2ee4",
    .client_id = "Ak4eparoJb1aWLH7cz0p4aW1VwBMdPKp",
    .scope = "*:**",
};
static const struct token_claims claims = {
    .client_seq = 42, .iat = 1700000000, .lifetime = 3600, .scope_mask = 1};

static void setup(void)
{
    cr_assert_eq(util_init(), ST_OK);
    memset(&keys, 0, sizeof keys);
    memset(keys.token, 7, sizeof keys.token);
}

TestSuite(token, .init = setup);

static void issue(char out[OAUTH_TOKEN_LEN + 1])
{
    oauth_token_format(&keys, &claims, &ctx, out);
}

Test(token, is_64_urlsafe_characters)
{
    char tok[OAUTH_TOKEN_LEN + 1];
    issue(tok);
    cr_assert_eq(strlen(tok), 64);
    cr_assert_eq(strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                 64);
}

Test(token, two_tokens_for_the_same_claims_differ)
{
    char a[OAUTH_TOKEN_LEN + 1], b[OAUTH_TOKEN_LEN + 1];
    issue(a);
    issue(b);
    cr_assert_str_neq(a, b);
}

Test(token, round_trip_returns_the_claims_and_verifies)
{
    char tok[OAUTH_TOKEN_LEN + 1];
    issue(tok);
    struct token_claims c;
    unsigned char tag[OAUTH_TOKEN_TAG_LEN];
    cr_assert_eq(oauth_token_parse(tok, strlen(tok), &c, tag), ST_OK);
    cr_assert_eq(c.client_seq, 42);
    cr_assert_eq(c.iat, 1700000000);
    cr_assert_eq(c.lifetime, 3600);
    cr_assert_eq(c.scope_mask, 1);
    cr_assert(oauth_token_verify(&keys, tok, &ctx));
}

Test(token, tampered_character_fails_verification)
{
    char tok[OAUTH_TOKEN_LEN + 1];
    issue(tok);
    for (int i = 0; i < OAUTH_TOKEN_LEN; i++) {
        char t[OAUTH_TOKEN_LEN + 1];
        memcpy(t, tok, sizeof t);
        t[i] = t[i] == 'A' ? 'B' : 'A';
        struct token_claims c;
        bool parsed = oauth_token_parse(t, strlen(t), &c, NULL) == ST_OK;
        cr_assert(!parsed || !oauth_token_verify(&keys, t, &ctx), "position %d accepted", i);
    }
}

Test(token, raised_scope_mask_fails_verification)
{
    struct token_claims wide = claims;
    wide.scope_mask = 3;
    char tok[OAUTH_TOKEN_LEN + 1];
    oauth_token_format(&keys, &claims, &ctx, tok);
    /* rebuild the same token body with a wider mask: the tag no longer fits */
    char forged[OAUTH_TOKEN_LEN + 1];
    oauth_token_format(&keys, &wide, &ctx, forged);
    memcpy(forged + 43, tok + 43, 21); /* keep the original tag bytes */
    cr_assert(!oauth_token_verify(&keys, forged, &ctx));
}

Test(token, truncated_or_extended_is_not_a_token)
{
    char tok[OAUTH_TOKEN_LEN + 1];
    issue(tok);
    struct token_claims c;
    cr_assert_eq(oauth_token_parse(tok, 63, &c, NULL), ST_INVALID);
    cr_assert_eq(oauth_token_parse(tok, 0, &c, NULL), ST_INVALID);
    char longer[OAUTH_TOKEN_LEN + 2];
    memcpy(longer, tok, OAUTH_TOKEN_LEN);
    longer[64] = 'A';
    longer[65] = '\0';
    cr_assert_eq(oauth_token_parse(longer, 65, &c, NULL), ST_INVALID);
    cr_assert_eq(oauth_token_parse("not a token", 11, &c, NULL), ST_INVALID);
}

Test(token, non_base64url_character_is_not_a_token)
{
    char tok[OAUTH_TOKEN_LEN + 1];
    issue(tok);
    tok[10] = '+';
    struct token_claims c;
    cr_assert_eq(oauth_token_parse(tok, strlen(tok), &c, NULL), ST_INVALID);
}

Test(token, other_customers_token_fails)
{
    char tok[OAUTH_TOKEN_LEN + 1];
    issue(tok);
    struct token_ctx other = ctx;
    other.customer_id = "00000000-0000-4000-8000-000000000000";
    cr_assert(!oauth_token_verify(&keys, tok, &other));
}

Test(token, other_clients_or_scope_or_key_fails)
{
    char tok[OAUTH_TOKEN_LEN + 1];
    issue(tok);
    struct token_ctx other = ctx;
    other.client_id = "Bk4eparoJb1aWLH7cz0p4aW1VwBMdPKp";
    cr_assert(!oauth_token_verify(&keys, tok, &other));
    other = ctx;
    other.scope = "GET:**";
    cr_assert(!oauth_token_verify(&keys, tok, &other));
    struct keys k2 = keys;
    k2.token[0] ^= 1;
    cr_assert(!oauth_token_verify(&k2, tok, &ctx));
}

Test(token, field_boundaries_cannot_shift)
{
    /* "ab" + "c" must not verify as "a" + "bc" */
    struct token_ctx a = {.customer_id = "ab", .client_id = "c", .scope = ""};
    struct token_ctx b = {.customer_id = "a", .client_id = "bc", .scope = ""};
    char tok[OAUTH_TOKEN_LEN + 1];
    oauth_token_format(&keys, &claims, &a, tok);
    cr_assert(oauth_token_verify(&keys, tok, &a));
    cr_assert(!oauth_token_verify(&keys, tok, &b));
}

Test(token, live_until_the_last_second_and_expired_at_exp)
{
    /* issued at 08:00:00 with 3600 s: usable at 08:59:59, refused at 09:00:00 */
    cr_assert(oauth_token_live(&claims, claims.iat));
    cr_assert(oauth_token_live(&claims, claims.iat + 3599));
    cr_assert(!oauth_token_live(&claims, claims.iat + 3600));
    cr_assert(!oauth_token_live(&claims, claims.iat + 100000));
}

Test(token, token_from_the_far_future_is_not_live)
{
    cr_assert(oauth_token_live(&claims, claims.iat - 60));
    cr_assert(!oauth_token_live(&claims, claims.iat - 61));
}
