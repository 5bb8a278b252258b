/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the access-token decoder, as the bearer check runs it:
 * oauth_token_parse, oauth_token_live, oauth_token_verify (Base64url,
 * version, claims, expiry arithmetic, tag). Fixed keys and context; the
 * input is the token string. A parsed token must survive a round trip.
 */
#include "fuzz.h"
#include "oauth/oauth.h"

static struct keys K;
static const struct token_ctx CTX = {.customer_id = "3cc14467-fd4f-437d-a0c0-0b3888dd2ee4",
                                     .client_id = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                     .scope = "GET:** POST:config/clients"};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    util_init();
    memset(K.seal, 1, sizeof K.seal);
    memset(K.verify, 2, sizeof K.verify);
    memset(K.token, 3, sizeof K.token);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *tok = fuzz_strndup(data, size);
    struct token_claims c;
    unsigned char tag[OAUTH_TOKEN_TAG_LEN];
    if (oauth_token_parse(tok, size, &c, tag) == ST_OK) {
        (void)oauth_token_live(&c, 1800000000);
        (void)oauth_token_verify(&K, tok, &CTX);
        /* format(parse(t)) parses back to the same claims, and verifies */
        char again[OAUTH_TOKEN_LEN + 1];
        struct token_claims c2;
        oauth_token_format(&K, &c, &CTX, again);
        if (oauth_token_parse(again, strlen(again), &c2, NULL) != ST_OK ||
            memcmp(&c, &c2, sizeof c) != 0 || !oauth_token_verify(&K, again, &CTX))
            __builtin_trap();
    } else {
        (void)oauth_token_verify(&K, tok, &CTX);
    }
    free(tok);
    return 0;
}
