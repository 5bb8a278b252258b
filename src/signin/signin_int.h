/* SPDX-License-Identifier: MIT */
/*
 * Private to signin/: the runtime's state, its worker queue, the pages and
 * the parameters every route reads.
 */
#ifndef SG_SIGNIN_INT_H
#define SG_SIGNIN_INT_H

#include "../api/api_int.h"
#include "../idp/idp.h"
#include "signin.h"

#include <pthread.h>

#define FLOW_TTL 600          /* seconds a started sign-in may take */
#define SIGNIN_TOKEN_BYTES 20 /* 160 bits: 40 hex characters */
#define SIGNIN_WORKERS 2      /* threads that run callbacks' steps */
/* Bytes of a one-time token's data before it is sealed: the profile (its
 * values capped by idp/), the id_token's claims (under JOSE_MAX_LEN) and
 * the provider's tokens (under IDP_ANSWER_MAX) stay near 160 KiB at
 * most; past this, what an IdP sent is refused rather than stored. */
#define SIGNIN_DATA_MAX (256 * 1024)
/* A one-time token's data, sealed: auth_info's answer as it is sent,
 * compact JSON ({"stat":"ok","profile":{...}} and accessCredentials), a
 * newline, then what extended=true adds before the closing brace
 * ("oidc":{...} or "saml":{...}; nothing when none). Compact JSON holds no
 * newline, and auth_info answers without parsing it again. */
#define SIGNIN_DATA_SEP '\n'

/* A piece of work for the runtime's workers. */
struct signin_job {
    void (*run)(struct signin_job *j);
    struct signin_job *next;
};

struct signin {
    struct net_client *net;
    struct idp_cache *cache;
    int64_t skew;
    bool saml_allow_sha1;
    pthread_mutex_t mu;
    pthread_cond_t more, idle;
    struct signin_job *head, *tail;
    int busy;       /* callbacks begun and not yet answered */
    bool ending;    /* signin_stop: workers exit */
    bool cancelled; /* signin_cancel: no new outbound call */
    pthread_t workers[SIGNIN_WORKERS];
};

/* Queues j for a worker. Thread-safe. */
void signin_post(struct signin *s, struct signin_job *j);

/* ---- pages (pages.c): every byte of HTML is written there ---------------- */

/* The stable codes of the error page (SPEC §7.6). */
#define PAGE_UNKNOWN_PROVIDER "unknown_provider"
#define PAGE_BAD_TOKEN_URL "bad_token_url"
#define PAGE_STATE_MISMATCH "state_mismatch"
#define PAGE_UNAVAILABLE "unavailable"
#define PAGE_INTERNAL "internal_error"

/* A field of the form page_post writes, or of a query. */
struct page_field {
    const char *name;
    const char *value;
};

/* The security headers of every runtime answer (SPEC §7.2). */
void page_headers(struct ctx *c);
/* The error page of a request without a valid flow: status, a stable code,
 * the request id; reflects no input. Logs one line naming check. */
void page_error(struct ctx *c, int status, const char *code, const char *check);
/* 200: a page whose form POSTs fields[0..n) to url at once (a button
 * without script). */
void page_post(struct ctx *c, const char *url, const struct page_field *fields, int n);
/* 302 to url with fields[0..n) added to its query. */
void page_redirect_with(struct ctx *c, const char *url, const struct page_field *fields, int n);
/* Hands fields to the site: page_post, or (post false, the app's
 * post_tokens_to_token_url) page_redirect_with. */
void page_hand_over(struct ctx *c, bool post, const char *url, const struct page_field *fields,
                    int n);
/* 302 to url (the identity provider). */
void page_redirect(struct ctx *c, const char *url);

/* One provider on the chooser page. */
struct page_choice {
    const char *title;
    const char *icon_url; /* or NULL */
    const char *href;     /* its start URL */
};
void page_chooser(struct ctx *c, const char *app_name, const struct page_choice *v, int n);

/* ---- helpers ------------------------------------------------------------ */

/* Reads the query of c's request into f. ST_INVALID when it does not parse. */
enum st signin_query(struct ctx *c, struct form *f);
/* SHA-256 of s, raw. */
void signin_hash(const char *s, unsigned char out[32]);
/* A flow's state: FLOW_PREFIX_LEN bytes of a number that grows with time
 * (expires_at, then a count), then 32 random bytes (256 bits), as
 * base64url; key gets the store's key of the flow. */
#define STATE_BYTES (FLOW_PREFIX_LEN + 32)
#define STATE_LEN 54 /* base64url of STATE_BYTES, unpadded */
const char *signin_state_new(struct arena *a, int64_t expires_at, unsigned char key[FLOW_KEY_LEN]);
/* The store's key of a state as sent; false when it cannot be one of ours. */
bool signin_state_key(const char *state, unsigned char key[FLOW_KEY_LEN]);
/* "{c}.{p}" from a. */
const char *signin_specifier(struct ctx *c);

/* The failed checks a sign-in may end with (callback.c): the bounded
 * values of the metrics' check label, registered by signin_start. */
extern const char *const signin_checks[];
extern const int signin_nchecks;
/* The provider {c}.{p} of the request (from the read cache), its app and
 * its document read for the runtime (*p: idp_provider_cleanup; base URL
 * the app's realm), for start and metadata. false once it has answered the
 * page instead: 404 unknown, 503 store, 500 a stored document it cannot
 * use. */
bool signin_provider(struct ctx *c, struct provider_rec *rec, struct login_app *app,
                     struct idp_provider *p);

#endif
