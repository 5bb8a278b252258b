/* SPDX-License-Identifier: MIT */
/*
 * oauth: the wire formats of OAuth 2.0 that socialgate reads and writes:
 * form-urlencoded and multipart bodies, the Basic client-auth header
 * (RFC 6749 §2.3.1), the scope grammar, and the self-validating access
 * token. Pure functions: no HTTP library, no storage, no I/O.
 */
#ifndef SG_OAUTH_H
#define SG_OAUTH_H

#include "../util/util.h"

/* Wire strings of RFC 6749 / 6750 / 7009 / 7662, defined once. */
#define OAUTH_GRANT_TYPE "grant_type"
#define OAUTH_CLIENT_CREDENTIALS "client_credentials"
#define OAUTH_SCOPE "scope"
#define OAUTH_CLIENT_ID "client_id"
#define OAUTH_CLIENT_SECRET "client_secret"
#define OAUTH_TOKEN "token"
#define OAUTH_TOKEN_TYPE_HINT "token_type_hint"
/* members of the token (RFC 6749 §5.1), error (§5.2) and introspection
 * (RFC 7662 §2.2) answers */
#define OAUTH_ACCESS_TOKEN "access_token"
#define OAUTH_EXPIRES_IN "expires_in"
#define OAUTH_TOKEN_TYPE "token_type"
#define OAUTH_ERROR "error"
#define OAUTH_ERROR_DESCRIPTION "error_description"
#define OAUTH_ACTIVE "active"
#define OAUTH_EXP "exp"
#define OAUTH_IAT "iat"
#define OAUTH_ERR_INVALID_REQUEST "invalid_request"
#define OAUTH_ERR_INVALID_CLIENT "invalid_client"
#define OAUTH_ERR_UNSUPPORTED_GRANT "unsupported_grant_type"
#define OAUTH_ERR_UNAUTHORIZED_CLIENT "unauthorized_client"
#define OAUTH_ERR_SERVER_ERROR "server_error"
#define OAUTH_ERR_TEMPORARILY_UNAVAILABLE "temporarily_unavailable"
#define OAUTH_ERR_INVALID_TOKEN "invalid_token"
#define OAUTH_ERR_INSUFFICIENT_SCOPE "insufficient_scope"
#define OAUTH_BEARER "Bearer"
#define OAUTH_BASIC "Basic"
#define OAUTH_REALM "socialgate"
#define MEDIA_FORM "application/x-www-form-urlencoded"
#define MEDIA_MULTIPART "multipart/form-data"

/* ---- request bodies ------------------------------------------------------ */

#define FORM_MAX_FIELDS 32

struct form_field {
    const char *name;  /* decoded, NUL-terminated, arena-owned */
    const char *value; /* decoded, NUL-terminated, arena-owned */
    size_t value_len;  /* strlen(value): a value never holds a NUL byte */
};

struct form {
    int n;
    struct form_field f[FORM_MAX_FIELDS];
};

/* Parses an application/x-www-form-urlencoded body (WHATWG rules: '&'
 * separates, '=' splits at the first occurrence, '+' is a space, %XX is a
 * byte). Empty pairs ("a=1&&b=2") are skipped. Returns ST_INVALID (with a
 * message) on a bad percent-escape, a name or value that decodes to a NUL
 * byte, or more than FORM_MAX_FIELDS pairs.
 * Strings are allocated from a. Does not reject repeated names: see
 * form_count. */
enum st oauth_form_parse(struct arena *a, const char *body, size_t len, struct form *out,
                         struct err *e);

/* Parses a multipart/form-data body (RFC 7578). content_type is the whole
 * Content-Type header value, from which the boundary parameter is taken
 * (quoted or not). Each part needs Content-Disposition: form-data with a
 * name parameter; its body is the value (not decoded further). Returns
 * ST_INVALID on a missing boundary, a malformed part, a value holding a
 * NUL byte, a missing final delimiter, or more than FORM_MAX_FIELDS parts. */
enum st oauth_multipart_parse(struct arena *a, const char *content_type, const char *body,
                              size_t len, struct form *out, struct err *e);

/* Chooses the parser by the media type of content_type (case-insensitive,
 * parameters allowed). Any other type → ST_UNSUPPORTED_MEDIA. */
enum st oauth_body_parse(struct arena *a, const char *content_type, const char *body, size_t len,
                         struct form *out, struct err *e);

/* Returns the value of the first field called name, or NULL. */
const char *oauth_form_get(const struct form *f, const char *name);
/* Returns how many fields are called name. */
int oauth_form_count(const struct form *f, const char *name);

/* ---- client authentication --------------------------------------------- */

struct basic_cred {
    char *id;     /* arena-owned, decoded */
    char *secret; /* arena-owned, decoded; never log it */
};

/* Parses an Authorization header value "Basic <base64>" (scheme
 * case-insensitive): standard Base64 of "id:secret" split at the first
 * colon, then each side form-urlencoding-decoded as RFC 6749 §2.3.1 says.
 * ST_INVALID when the scheme is not Basic, the Base64 is bad, there is no
 * colon, the id is empty, or a decoded side contains a control byte. */
enum st oauth_basic_parse(struct arena *a, const char *header, struct basic_cred *out,
                          struct err *e);

/* ---- scopes --------------------------------------------------------------- */

#define SCOPE_MAX_LEN 256

/* True when s is one RFC 6749 scope-token (1..SCOPE_MAX_LEN bytes of
 * %x21 / %x23-5B / %x5D-7E). */
bool oauth_scope_token_valid(const char *s);

/* True when s follows the scope grammar of SPEC §3: a scope-token of the
 * form "METHOD:PATH", METHOD "*" or upper-case letters (an HTTP method),
 * PATH one or more '/'-separated glob segments, each "**" or a non-empty
 * run of path characters and single '*'. Valid: "*:**", "GET:**",
 * "POST:config/clients", "GET:config/clients/x*". Not: "foo", "get:**",
 * "GET:", ":x", "GET:/x", "GET:a//b", "GET:a**". */
bool oauth_scope_valid(const char *s);

/* True when scope covers a request: scope is "METHOD:PATH" where METHOD is
 * an HTTP method or "*", and PATH a glob over path segments ('*' matches
 * within a segment, a "**" segment matches any number of segments,
 * including none). path is the request path after "/{customerId}/", without
 * a leading slash ("config/clients"). A scope not of that form covers
 * nothing. HEAD is treated as GET. */
bool oauth_scope_covers(const char *scope, const char *method, const char *path);

/* True when every request inner covers, outer covers too (both "METHOD:
 * PATH" scopes): outer's method is "*" or inner's own, and outer's glob
 * matches inner's glob read as a path, where a '*' of inner is matched only
 * by a '*' of outer and a "**" segment of inner only by a "**" of outer.
 * Sound, not complete: when unsure it says false. */
bool oauth_scope_within(const char *inner, const char *outer);

/* ---- access tokens ----------------------------------------------------------- */

/* An access token is 48 bytes in Base64url (64 characters):
 *   version(1) | 0(1) | lifetime(2) | scope mask(4) | client seq(8) | iat(8) |
 *   nonce(8) | tag(16)
 * tag = keyed BLAKE2b-128 over the first 32 bytes, the customer id, the
 * client id and the granted scope string. Nothing is stored at issue. */
#define OAUTH_TOKEN_LEN 64
#define OAUTH_TOKEN_TAG_LEN 16
#define OAUTH_SCOPES_MAX 32 /* the scope mask has 32 bits */

struct token_claims {
    uint64_t client_seq; /* the client's immutable row number */
    int64_t iat;         /* issued at, seconds since the epoch */
    uint32_t lifetime;   /* seconds; exp = iat + lifetime */
    uint32_t scope_mask; /* bit i = allowedScopes[i] of the client's policy */
};

/* The bound context: what the tag covers beyond the token's own bytes. */
struct token_ctx {
    const char *customer_id;
    const char *client_id;
    const char *scope; /* granted scopes, space-separated, "" for none */
};

/* Writes a new token (64 chars + NUL) for c, bound to ctx. */
void oauth_token_format(const struct keys *k, const struct token_claims *c,
                        const struct token_ctx *ctx, char out[OAUTH_TOKEN_LEN + 1]);

/* Decodes tok without verifying it. ST_INVALID when it is not a token of
 * this format. tag receives the token's identifier (for revocation). */
enum st oauth_token_parse(const char *tok, size_t len, struct token_claims *c,
                          unsigned char tag[OAUTH_TOKEN_TAG_LEN]);

/* True when tok's tag matches ctx (constant-time). Expiry is not checked
 * here: see oauth_token_live. */
bool oauth_token_verify(const struct keys *k, const char *tok, const struct token_ctx *ctx);

/* True when now is before iat + lifetime and not more than 60 s before iat
 * (instances sharing a database may disagree a little on the time). */
bool oauth_token_live(const struct token_claims *c, int64_t now);

#endif
