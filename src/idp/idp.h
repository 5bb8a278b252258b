/* SPDX-License-Identifier: MIT */
/*
 * idp: the protocols of SPEC §7.3-§7.5 with an upstream identity provider,
 * one file per protocol (oidc.c, oauth2.c, saml.c) behind this one
 * interface, and the profile mapping (profile.c). Does no I/O itself: a
 * run says which request it needs next (struct net_request), the caller
 * performs it and feeds the answer back, so every step is testable with
 * recorded answers. Knows no HTTP server, store, flow or one-time token.
 */
#ifndef SG_IDP_H
#define SG_IDP_H

#include <jansson.h>

#include "../net/net.h"
#include "../oauth/oauth.h"
#include "../util/util.h"

/* Sets up what SAML needs for the process (saml_init: libxml2, xmlsec):
 * call once before threads use idp_ (ST_INTERNAL when it cannot start);
 * again does nothing. idp_shutdown undoes it once no thread uses idp_. */
enum st idp_init(struct err *e);
void idp_shutdown(void);

/* A provider as the runtime uses it, read from its stored document. */
struct idp_provider {
    const char *cid, *app_id, *id; /* customer, app, provider */
    const char *protocol;          /* PROTO_OIDC, PROTO_OAUTH2 or PROTO_SAML2 */
    const char *client_id;
    const char *client_secret; /* in clear, or NULL; never logged */
    size_t secret_len;
    const char *auth_url, *token_url, *profile_url; /* profile_url may be NULL */
    const char *callback;        /* the redirect_uri (SAML: the ACS): {realm}/{c}.{p}/callback */
    const char *metadata;        /* the SAML SP entity id: {realm}/{c}.{p}/metadata */
    const char *scope;           /* scopes joined by spaces (openid first for OIDC), maybe "" */
    json_t *attribute_map;       /* object or NULL (idp_provider_cleanup releases it) */
    const char *title;           /* ui.title, else title */
    const char *icon_url;        /* ui.icon_url, or NULL */
    const char *idp_certificate; /* saml2: the pinned signing certificate, Base64 DER */
    json_t *authn_context;       /* saml2: object or NULL (idp_provider_cleanup releases it) */
    /* SHA-256 hex of auth_url "\n" token_url (SAML: "\n" idp_certificate):
     * an issuer pin holds while it does, so a new IdP key, like a new
     * endpoint, lets a new issuer be pinned */
    char endpoints[65];
};

/* Reads a stored provider document (its JSON text, client_secret apart)
 * into p: every string, the secret's copy included, from a (arena_cleanup
 * wipes it); attribute_map and authn_context copies of the document's,
 * released by idp_provider_cleanup. secret (NULL when none) is copied.
 * callback is "{base_url}/{cid}.{id}/callback" and metadata
 * "{base_url}/{cid}.{id}/metadata", base_url taken as it is (the app's
 * realm, as the provider's _links.callback is built). ST_INVALID when the
 * document does not read: not a JSON object, no protocol or an unknown
 * one, no auth_url, for openidconnect/oauth2 no client_id or token_url,
 * for saml2 no idp_certificate (the caller logs and answers 500).
 * Thread-safe. */
enum st idp_provider_read(struct arena *a, const char *base_url, const char *cid,
                          const char *app_id, const char *id, const char *doc, const char *secret,
                          size_t secret_len, struct idp_provider *p, struct err *e);
/* Releases the JSON idp_provider_read copied; p may be zeroed. */
void idp_provider_cleanup(struct idp_provider *p);

/* What start stored for the flow. */
struct idp_flow {
    const char *state;      /* the state sent to the IdP (secret): the caller's */
    const char *verifier;   /* PKCE code_verifier, 43 Base64url characters */
    const char *nonce;      /* OIDC nonce */
    const char *request_id; /* SAML AuthnRequest ID, or NULL */
};

/* Fills a flow's random values (strings from a): verifier and nonce each
 * 256 bits as 43 Base64url characters, the SAML request id "_" and 40 hex
 * digits (160 bits). The state is left NULL: the caller makes it, as its
 * store keys flows by it. Thread-safe. */
void idp_flow_new(struct arena *a, struct idp_flow *f);

#define IDP_CHALLENGE_LEN 43
/* The PKCE S256 code_challenge of verifier (RFC 7636 §4.2):
 * Base64url(SHA-256(verifier)), no padding. Pure. */
void idp_pkce_challenge(const char *verifier, char out[IDP_CHALLENGE_LEN + 1]);

/* The callback's parameters of a SAML response (HTTP-POST binding): the
 * response, and the flow's state sent back as RelayState. */
#define IDP_SAML_RESPONSE "SAMLResponse"
#define IDP_RELAY_STATE "RelayState"

/* Options of start. */
struct idp_begin {
    bool force_reauth;      /* OIDC prompt=login, SAML ForceAuthn */
    const char *ui_locales; /* language_preference, or NULL (OIDC) */
};

/* The URL start redirects the browser to (SPEC §7.3), from a: auth_url
 * (a fragment cut, RFC 6749 §3.1) with its own query kept, then
 * response_type=code, client_id, redirect_uri, scope (when not empty),
 * state, nonce (OIDC), code_challenge (S256), code_challenge_method,
 * prompt=login (o->force_reauth) and ui_locales when asked; every value
 * percent-encoded but RFC 3986 unreserved bytes. o may be NULL. */
const char *idp_authorize_url(struct arena *a, const struct idp_provider *p,
                              const struct idp_flow *f, const struct idp_begin *o);

/* start's redirect for a saml2 provider (SPEC §7.3): the HTTP-Redirect
 * binding of an AuthnRequest to auth_url (saml_authn_request_url: ID
 * f->request_id, Issuer p->metadata, ACS p->callback, ForceAuthn from
 * o->force_reauth, RequestedAuthnContext from p->authn_context) with
 * RelayState f->state. *url from a. ST_INVALID when a value cannot be
 * sent. o may be NULL. Thread-safe. */
enum st idp_saml_request_url(struct arena *a, const struct idp_provider *p,
                             const struct idp_flow *f, const struct idp_begin *o, int64_t now,
                             const char **url, struct err *e);

/* The SP metadata of a saml2 provider (saml_sp_metadata): entity id
 * p->metadata, assertion consumer service p->callback. *xml (UTF-8, *len
 * bytes) from a. ST_INVALID when a value cannot be written. */
enum st idp_saml_metadata(struct arena *a, const struct idp_provider *p, const char **xml,
                          size_t *len, struct err *e);

/* Discovery documents and key sets, cached per issuer for the process
 * (10 minutes, by the runs' ctx.now), with at most one refetch of a key
 * set per issuer per 60 s on an unknown kid, for at most 256 issuers (the
 * least recently used goes). A discovery document is kept only once it
 * named the token_url of the provider that fetched it, and only its
 * issuer, token_endpoint and jwks_uri. Thread-safe: one cache serves
 * every run.
 * idp_cache_free after the last run using it is freed; NULL is accepted. */
struct idp_cache;
struct idp_cache *idp_cache_new(void);
void idp_cache_free(struct idp_cache *c);

/* What a run needs besides the provider and the flow. */
struct idp_ctx {
    struct idp_cache *cache;   /* NULL: nothing cached, every run fetches */
    int64_t now;               /* seconds since the epoch */
    int64_t skew;              /* seconds of clock skew allowed (SPEC: 120) */
    const char *pinned_issuer; /* the provider's pinned iss (SAML: IdP entity id), or NULL */
    bool saml_allow_sha1;      /* SAML signatures and digests with SHA-1 accepted */
};

/* What an identity provider's answers may cost a run (a hostile IdP
 * chooses them). A token, userinfo (profile_url) or discovery answer over
 * IDP_ANSWER_MAX bytes, a key set over IDP_JWKS_MAX, is refused before it
 * is parsed: the run ends with provider_error, check "token answer too
 * large", "userinfo answer too large", "discovery answer too large" or
 * "jwks answer too large" (an answer net/ cut at its own cap too). A key
 * set may carry certificate chains for up to JOSE_MAX_KEYS keys, hence
 * its larger cap. The strings a discovery document gives (issuer,
 * token_endpoint, jwks_uri) are https URLs of at most IDP_URL_MAX bytes. */
#define IDP_ANSWER_MAX (64 * 1024)
#define IDP_JWKS_MAX (256 * 1024)
#define IDP_URL_MAX 2048
/* Bytes of one profile value (SPEC §7.5): longer ones are left out. */
#define IDP_PROFILE_VALUE_MAX 1024

/* How a run ended (struct idp_result.error): what the site is told. */
#define IDP_ACCESS_DENIED "access_denied"   /* the IdP said error=access_denied */
#define IDP_LOGIN_FAILED "login_failed"     /* an answer failed a check */
#define IDP_PROVIDER_ERROR "provider_error" /* the IdP could not be reached or said an error */

struct idp_result {
    const char *error;       /* NULL on success, else one of IDP_* */
    const char *check;       /* the failed check, static text for the log line
                              * ("id_token signature", "nonce", "token endpoint status"),
                              * never a value from the IdP; NULL on success */
    const char *description; /* static plain ASCII for error_description */
    /* Success: */
    const char *subject;        /* SPEC §7.5 */
    json_t *doc;                /* the profile document (owned by the run) */
    json_t *extended;           /* "oidc": {iss, sub, aud, claims}, or NULL (owned) */
    json_t *access_credentials; /* {"accessToken", "expires" (now + expires_in, when an
                                 * integer), "refreshToken", "idToken", "scopes" (the
                                 * answer's scope), each when given} (owned); all a run
                                 * keeps of the token answer, which it frees once read */
    const char *issuer;         /* the verified iss (OIDC) or Issuer (SAML), to pin when none was */
    /* SAML: the assertion as the replay table keys it (store_assertion_use):
     * SHA-256 of "{c}.{p}" NUL assertion ID, to keep until replay_until;
     * replay_until is 0 for the other protocols */
    unsigned char replay_key[32];
    int64_t replay_until;
};

enum idp_next {
    IDP_FETCH, /* perform *req and idp_run_feed the answer */
    IDP_DONE,  /* finished: idp_run_result (error or success) */
};

struct idp_run;

/* Begins finishing a sign-in from the callback's parameters (the query or
 * the form_post body; NULL reads as none). Copies what it keeps of p, f,
 * params and ctx (ctx->cache is borrowed). A run that needs no request
 * (error=, no code, an iss parameter other than the pin, an unknown
 * protocol) is already done; so is every saml2 run: the SAMLResponse
 * posted (exactly once) is checked against p, f->request_id and ctx at
 * once (saml_response_check), a status of AuthnFailed or RequestDenied
 * ending it with access_denied, another status or a certificate that does
 * not load with provider_error, any other failed check with login_failed.
 * Never NULL. A run is used
 * by one thread at a time; runs are independent of each other. */
struct idp_run *idp_run_new(const struct idp_ctx *ctx, const struct idp_provider *p,
                            const struct idp_flow *f, const struct form *params);
/* The next step. IDP_FETCH fills *req (its strings live in the run until
 * it is freed): perform it, then idp_run_feed the answer; called again
 * before that, it gives the same request. IDP_DONE: idp_run_result. */
enum idp_next idp_run_step(struct idp_run *r, struct net_request *req);
/* Hands the answer of the last IDP_FETCH to the run (borrowed; NULL is a
 * transfer that failed). Ignored when no request is out. */
void idp_run_feed(struct idp_run *r, const struct net_response *resp);
/* After IDP_DONE. Owned by the run. */
const struct idp_result *idp_run_result(const struct idp_run *r);
/* Frees r and wipes what it held (codes, tokens). NULL is accepted. */
void idp_run_free(struct idp_run *r);

/* The Engage profile of SPEC §7.5 (a new object): identifier
 * "{realm}/{c}.{p}/id/{subject}" (the subject percent-encoded but RFC 3986
 * unreserved bytes), providerName (p->title), providerSpecifier, and what
 * attribute_map maps from doc (RFC 6901 pointers) into the Engage fields
 * /email, /verifiedEmail, /displayName, /name/givenName, /name/familyName,
 * /name/formatted, /preferredUsername, /photo, /url (other keys, among them
 * /identifier, copy nothing); numbers and booleans become their JSON text.
 * With standard_claims, the OIDC claims email, name, given_name,
 * family_name, preferred_username, picture and profile fill the fields
 * attribute_map has no key for, and verifiedEmail takes email when
 * email_verified is true (a JSON true). name.formatted is the given and
 * family names joined by one space when either is set, unless mapped.
 * Never fails; a pointer that finds nothing, or finds a value that is not
 * a string, number or boolean, maps nothing; a value over
 * IDP_PROFILE_VALUE_MAX bytes maps nothing either (the field is left out,
 * the sign-in goes on), so a profile stays within about 10 KiB of values
 * whatever the IdP sends. Pure. */
json_t *idp_profile(const struct idp_provider *p, const char *realm, const char *subject,
                    const json_t *doc, bool standard_claims);

/* The oauth2 subject of doc: what attribute_map["/identifier"] finds when
 * mapped (no fallback when it finds nothing), else the first of /sub, /id,
 * /user_id that is a string (1 to 255 bytes) or an integer (as decimal
 * text), from a; NULL when none. Pure. */
const char *idp_subject(struct arena *a, const struct idp_provider *p, const json_t *doc);

/* The value RFC 6901 pointer ptr finds in doc (borrowed), or NULL: "~1" is
 * '/', "~0" is '~' (any other '~' finds nothing), array indexes are
 * decimal without leading zeros ("-" finds nothing); "" is doc. Pure. */
const json_t *idp_pointer_find(const json_t *doc, const char *ptr);

#endif
