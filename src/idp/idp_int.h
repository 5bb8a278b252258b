/* SPDX-License-Identifier: MIT */
/* Private to idp/: the run's state, shared by run.c, oauth2.c, oidc.c and
 * saml.c; the cache's inner interface; small text helpers. */
#ifndef SG_IDP_INT_H
#define SG_IDP_INT_H

#include "idp.h"

#include "../jose/jose.h"

#define IDP_JSON_MAX_DEPTH 64 /* as the admin API's bodies */
#define IDP_SUBJECT_MAX 255   /* bytes of a subject (OIDC Core §2: sub) */
#define IDP_CACHE_TTL 600     /* seconds a discovery document or key set is used */
#define IDP_REFETCH_EVERY 60  /* seconds between forced key set fetches of one issuer */
#define IDP_CACHE_ISSUERS 256 /* issuers cached at most; the least recently used goes */

/* Wire strings of OpenID Connect (Core 1.0, Discovery 1.0), RFC 6749's
 * authorization code grant, RFC 7636 and RFC 9207, defined once: P_ for
 * parameters, OIDC_ for claims and discovery members. */
#define P_RESPONSE_TYPE "response_type"
#define P_CODE "code"
#define P_STATE "state"
#define P_REDIRECT_URI "redirect_uri"
#define P_NONCE "nonce"
#define P_PROMPT "prompt"
#define P_UI_LOCALES "ui_locales"
#define P_ISS "iss"
#define P_ERROR "error"
#define P_CODE_VERIFIER "code_verifier"
#define P_CODE_CHALLENGE "code_challenge"
#define P_CODE_CHALLENGE_METHOD "code_challenge_method"
#define V_AUTHORIZATION_CODE "authorization_code"
#define V_S256 "S256"
#define V_LOGIN "login"
#define V_ACCESS_DENIED "access_denied"
#define OIDC_SCOPE "openid"
#define OIDC_ID_TOKEN "id_token"
#define OIDC_REFRESH_TOKEN "refresh_token"
#define OIDC_WELL_KNOWN "/.well-known/openid-configuration"
#define OIDC_ISSUER "issuer"
#define OIDC_TOKEN_ENDPOINT "token_endpoint"
#define OIDC_JWKS_URI "jwks_uri"
#define OIDC_ISS "iss"
#define OIDC_SUB "sub"
#define OIDC_AUD "aud"
#define OIDC_AZP "azp"
#define OIDC_NBF "nbf"
#define OIDC_NONCE "nonce"
#define MEDIA_JSON "application/json"

/* What the run waits for, or does next. */
enum run_state {
    RS_TOKEN,     /* ask the token endpoint (client_secret_basic, or post on the retry) */
    RS_ID_TOKEN,  /* read the id_token, check its iss against the pin */
    RS_DISCOVERY, /* find the issuer's discovery document */
    RS_KEYS,      /* find its key set */
    RS_VERIFY,    /* verify the signature and the claims */
    RS_PROFILE,   /* ask profile_url, or finish without it */
    RS_DONE,
};

/* One sign-in's callback being finished. Everything it keeps lives in a,
 * which idp_run_free wipes. */
struct idp_run {
    struct arena a;
    enum run_state state;
    bool waiting;    /* an IDP_FETCH is out: only idp_run_feed may follow */
    bool post_auth;  /* the token request uses client_secret_post (the retry) */
    bool refetching; /* the key set being fetched bypasses the cache */
    bool keys_fresh; /* the key set was fetched by this run (no refetch helps) */
    /* copies of the context, the provider and the flow */
    struct idp_cache *cache;
    int64_t now, skew;
    const char *pin;
    const char *protocol, *client_id, *secret;
    size_t secret_len;
    const char *token_url, *profile_url, *callback;
    json_t *attribute_map; /* owned copy, or NULL */
    const char *verifier, *nonce;
    /* from the callback */
    const char *code;
    const char *iss_param; /* RFC 9207, or NULL */
    /* from the token answer: these members alone, copied into a (the
     * answer's tree is freed as soon as they are read) */
    struct {
        const char *access, *id_token, *type, *scope, *refresh; /* NULL: absent, not a string */
        bool type_given;    /* token_type present, a string or not */
        int64_t expires_in; /* -1: absent, not an integer, or over ten years */
    } tok;
    /* the id_token parsed, or zeroed: dropped before every fetch, so a
     * waiting run holds its text (tok.id_token), never its tree */
    struct jose_jws jws;
    enum jose_alg alg;             /* its alg, read once */
    const char *iss;               /* the id_token's iss, unverified until RS_VERIFY passes */
    const char *issuer, *jwks_uri; /* from discovery */
    struct idp_keys *keys;         /* a counted reference, or NULL */
    struct net_request req;
    struct idp_result res;
};

/* Ends r with an error: error is an IDP_* code, check static text. */
void idp_run_fail(struct idp_run *r, const char *error, const char *check);
/* Ends r with success: subject (copied), doc and extended (taken). */
void idp_run_succeed(struct idp_run *r, const char *subject, json_t *doc, json_t *extended);
/* Fills r->req for a GET of url with the Accept of JSON (and a bearer
 * token when bearer != NULL) and marks the run waiting. */
void idp_run_get(struct idp_run *r, const char *url, const char *bearer);

/* oauth2.c: the token request and its answer, the profile request and its
 * answer, for both protocols. */
void idp_token_request(struct idp_run *r);
void idp_token_answer(struct idp_run *r, const struct net_response *resp);
void idp_profile_request(struct idp_run *r);
void idp_profile_answer(struct idp_run *r, const struct net_response *resp);

/* oidc.c: the id_token's states (RS_ID_TOKEN to RS_VERIFY) and answers. */
void idp_oidc_advance(struct idp_run *r);
void idp_oidc_answer(struct idp_run *r, const struct net_response *resp);
/* The profile document and success of an openidconnect run, from the
 * userinfo object (taken; NULL when no profile_url). */
void idp_oidc_finish(struct idp_run *r, json_t *userinfo);
/* Wipes and frees the parsed id_token (r->jws), which the states that
 * need it parse again from r->tok.id_token. */
void idp_oidc_drop(struct idp_run *r);

/* saml.c: a saml2 run, which ends here (no request to the IdP). */
void idp_saml_finish(struct idp_run *r, const struct idp_ctx *ctx, const struct idp_provider *p,
                     const struct idp_flow *f, const struct form *params);

/* ---- cache.c ----------------------------------------------------------- */

/* A SAML provider's certificate, parsed (saml_key_parse), shared by the
 * cache and the runs using it. */
struct idp_saml_key {
    int refs; /* atomic */
    struct saml_key *k;
};

/* The parsed key of certificate (a provider's idp_certificate text), from
 * the cache, or parsed now and put there (entries by the text's SHA-256,
 * among the issuers' for room): a counted reference to release with
 * idp_saml_key_release, or NULL when it does not parse. c may be NULL
 * (parsed, not kept). */
struct idp_saml_key *idp_cache_saml_key(struct idp_cache *c, const char *certificate);
void idp_saml_key_release(struct idp_saml_key *k);

/* A key set shared by the cache and the runs using it. */
struct idp_keys {
    int refs; /* atomic */
    struct jose_jwks *k;
};

/* What a discovery document says, its strings from a. */
struct idp_discovery {
    const char *issuer, *token_endpoint, *jwks_uri;
};

/* The fresh discovery document of iss, copied into a: false when none. */
bool idp_cache_discovery_find(struct idp_cache *c, const char *iss, int64_t now, struct arena *a,
                              struct idp_discovery *out);
/* Keeps d (copied) for iss. */
void idp_cache_discovery_put(struct idp_cache *c, const char *iss, const struct idp_discovery *d,
                             int64_t now);
/* The fresh key set of iss read from jwks_uri, a new reference
 * (idp_keys_release); NULL when none. */
struct idp_keys *idp_cache_keys_find(struct idp_cache *c, const char *iss, const char *jwks_uri,
                                     int64_t now);
/* Keeps k (taken) as the key set of iss from jwks_uri; returns a new
 * reference to it. c NULL: a reference of the caller's alone. */
struct idp_keys *idp_cache_keys_put(struct idp_cache *c, const char *iss, const char *jwks_uri,
                                    struct jose_jwks *k, int64_t now);
/* Whether the key set of iss may be fetched again now, bypassing the
 * cache; true at most once per IDP_REFETCH_EVERY seconds per issuer (it
 * records the fetch). c NULL: true. */
bool idp_cache_refetch_allowed(struct idp_cache *c, const char *iss, int64_t now);
void idp_keys_release(struct idp_keys *k);

/* ---- text.c -------------------------------------------------------------- */

/* True when s is an https URL of at most IDP_URL_MAX bytes with a host,
 * and no space, control byte, fragment or userinfo: what an issuer, a
 * token_endpoint or a jwks_uri may be. */
bool idp_https_url(const char *s);
/* Whether resp's body passed max bytes: longer as received, or cut by
 * net/'s own cap (ST_TOO_LARGE). Such an answer is never parsed. */
bool idp_too_large(const struct net_response *resp, size_t max);
/* The JSON object in an answer's body, or NULL: nesting over
 * IDP_JSON_MAX_DEPTH, invalid JSON (duplicate members too), or another
 * value. Owned by the caller. */
json_t *idp_json_object(const struct net_response *resp);
/* Wipes the string members of object v (tokens), then releases it. NULL
 * is accepted. */
void idp_json_wipe_free(json_t *v);

#endif
