/* SPDX-License-Identifier: MIT */
/*
 * The self-validating access token: 32 bytes of claims and nonce, then a
 * 16-byte keyed BLAKE2b tag over those bytes and the bound context
 * (customer, client, granted scope). Issuing needs no storage; checking
 * needs the client's current state and the revocation list (callers).
 */
#include "oauth.h"

#include <sodium.h>
#include <string.h>

#define TOKEN_VERSION 1
#define TOKEN_BYTES 48
#define TOKEN_BODY 32

static void put_be(unsigned char *p, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
}

static uint64_t get_be(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static void compute_tag(const struct keys *k, const unsigned char *body,
                        const struct token_ctx *ctx, unsigned char tag[OAUTH_TOKEN_TAG_LEN])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, k->token, sizeof k->token, OAUTH_TOKEN_TAG_LEN);
    crypto_generichash_update(&st, body, TOKEN_BODY);
    /* each string with its terminating NUL, so the fields cannot shift */
    const char *parts[] = {ctx->customer_id, ctx->client_id, ctx->scope};
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
        crypto_generichash_update(&st, (const unsigned char *)parts[i], strlen(parts[i]) + 1);
    crypto_generichash_final(&st, tag, OAUTH_TOKEN_TAG_LEN);
}

void oauth_token_format(const struct keys *k, const struct token_claims *c,
                        const struct token_ctx *ctx, char out[OAUTH_TOKEN_LEN + 1])
{
    unsigned char b[TOKEN_BYTES] = {TOKEN_VERSION, 0};
    put_be(b + 2, c->lifetime, 2);
    put_be(b + 4, c->scope_mask, 4);
    put_be(b + 8, c->client_seq, 8);
    put_be(b + 16, (uint64_t)c->iat, 8);
    util_random_fast(b + 24, 8);
    compute_tag(k, b, ctx, b + TOKEN_BODY);
    util_b64url_encode(out, b, sizeof b);
}

enum st oauth_token_parse(const char *tok, size_t len, struct token_claims *c,
                          unsigned char tag[OAUTH_TOKEN_TAG_LEN])
{
    unsigned char b[TOKEN_BYTES];
    if (len != OAUTH_TOKEN_LEN || !util_b64url_decode(b, sizeof b, tok, len) ||
        b[0] != TOKEN_VERSION || b[1] != 0)
        return ST_INVALID;
    c->lifetime = (uint32_t)get_be(b + 2, 2);
    c->scope_mask = (uint32_t)get_be(b + 4, 4);
    c->client_seq = get_be(b + 8, 8);
    c->iat = (int64_t)get_be(b + 16, 8);
    if (tag)
        memcpy(tag, b + TOKEN_BODY, OAUTH_TOKEN_TAG_LEN);
    return c->iat < 0 ? ST_INVALID : ST_OK;
}

bool oauth_token_verify(const struct keys *k, const char *tok, const struct token_ctx *ctx)
{
    unsigned char b[TOKEN_BYTES], tag[OAUTH_TOKEN_TAG_LEN];
    if (!util_b64url_decode(b, sizeof b, tok, strlen(tok)))
        return false;
    compute_tag(k, b, ctx, tag);
    return sodium_memcmp(tag, b + TOKEN_BODY, OAUTH_TOKEN_TAG_LEN) == 0;
}

bool oauth_token_live(const struct token_claims *c, int64_t now)
{
    return now >= c->iat - 60 && now < c->iat + (int64_t)c->lifetime;
}
