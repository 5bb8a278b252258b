/* SPDX-License-Identifier: MIT */
/*
 * The OpenID Connect half of a run (SPEC §7.4, OIDC Core §3.1.3.7): the
 * id_token read, its issuer bound to token_url through the issuer's
 * discovery document, its signature verified with the issuer's key set
 * (or the client secret for HS*, never a public key), one refetch of the
 * set on an unknown kid, then the claims; last, the profile document. The
 * token exchange and the userinfo request are oauth2.c's.
 */
#include "idp_int.h"

#include <string.h>

#define F_EXP "exp"
#define F_IAT "iat"

/* False when v nests more than max objects or arrays: the id_token's
 * payload reaches jansson through jose/, before any cap of ours. */
static bool depth_within(const json_t *v, int max)
{
    if (!json_is_object(v) && !json_is_array(v))
        return true;
    if (max == 0)
        return false;
    const char *key;
    json_t *m;
    size_t i;
    bool ok = true;
    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, key, m)
        {
            ok = ok && depth_within(m, max - 1);
        }
    } else {
        json_array_foreach(v, i, m)
        {
            ok = ok && depth_within(m, max - 1);
        }
    }
    return ok;
}

void idp_oidc_drop(struct idp_run *r)
{
    if (r->jws.signing_input)
        secret_wipe(r->jws.signing_input, r->jws.signing_len);
    if (r->jws.sig)
        secret_wipe(r->jws.sig, r->jws.sig_len);
    jose_jws_cleanup(&r->jws);
}

/* Parses the id_token into r->jws unless it is: its claims a JSON object
 * within IDP_JSON_MAX_DEPTH. False (the run failed) when it does not. A
 * tree costs up to ~20 times its text (a payload under 48 KiB), which is
 * why a run drops it before it waits and parses the text again after. */
static bool load(struct idp_run *r)
{
    const char *t = r->tok.id_token;
    if (r->jws.signing_input)
        return true;
    if (jose_jws_parse(t, strlen(t), &r->jws, NULL) != ST_OK || !r->jws.claims ||
        !depth_within(r->jws.claims, IDP_JSON_MAX_DEPTH)) {
        idp_oidc_drop(r);
        idp_run_fail(r, IDP_LOGIN_FAILED, "id_token malformed");
        return false;
    }
    return true;
}

static void read_id_token(struct idp_run *r)
{
    if (!r->tok.id_token) {
        idp_run_fail(r, IDP_LOGIN_FAILED, "id_token missing");
        return;
    }
    if (!load(r))
        return;
    r->alg = r->jws.alg;
    /* read unverified: it only names where the keys are, and the pin
     * (or discovery bound to token_url) decides whether to trust it */
    const char *iss = json_string_value(json_object_get(r->jws.claims, OIDC_ISS));
    if (!idp_https_url(iss) || strchr(iss, '?') || (r->pin && strcmp(iss, r->pin) != 0)) {
        idp_run_fail(r, IDP_LOGIN_FAILED, "issuer");
        return;
    }
    r->iss = arena_strdup(&r->a, iss);
    r->state = RS_DISCOVERY;
}

/* The discovery document must name the token endpoint the id_token came
 * from: that binds the issuer to this provider. False when it does not
 * (the run failed). */
static bool use_discovery(struct idp_run *r, const struct idp_discovery *d)
{
    if (strcmp(d->token_endpoint, r->token_url) != 0) {
        idp_run_fail(r, IDP_LOGIN_FAILED, "discovery token_endpoint");
        return false;
    }
    r->issuer = d->issuer;
    r->jwks_uri = d->jwks_uri;
    r->state = RS_KEYS;
    return true;
}

static void find_discovery(struct idp_run *r)
{
    struct idp_discovery d;
    if (idp_cache_discovery_find(r->cache, r->iss, r->now, &r->a, &d)) {
        use_discovery(r, &d);
        return;
    }
    size_t n = strlen(r->iss);
    if (r->iss[n - 1] == '/')
        n--;
    idp_run_get(r, arena_printf(&r->a, "%.*s%s", (int)n, r->iss, OIDC_WELL_KNOWN), NULL);
}

/* The failed check of a discovery answer, its object doc (or NULL), for
 * the id_token's iss; *error its IDP_* code. */
static const char *discovery_check(const struct idp_run *r, const struct net_response *resp,
                                   const json_t *doc, const char **error)
{
    const char *issuer = json_string_value(json_object_get(doc, OIDC_ISSUER));
    *error = IDP_PROVIDER_ERROR;
    if (resp->status != 200)
        return "discovery status";
    /* userinfo_endpoint and the rest are never read: profile_url is the
     * provider's own; they cost nothing once the document is freed */
    if (!doc || !idp_https_url(json_string_value(json_object_get(doc, OIDC_TOKEN_ENDPOINT))) ||
        !idp_https_url(json_string_value(json_object_get(doc, OIDC_JWKS_URI))))
        return "discovery answer";
    *error = IDP_LOGIN_FAILED;
    if (!issuer || strcmp(issuer, r->iss) != 0) /* Discovery 1.0 §4.3 */
        return "discovery issuer";
    return NULL;
}

static void discovery_answer(struct idp_run *r, const struct net_response *resp)
{
    if (resp->st != ST_OK && resp->st != ST_TOO_LARGE) {
        idp_run_fail(r, IDP_PROVIDER_ERROR, "discovery unreachable");
        return;
    }
    /* real ones are a few KiB; measured before it is parsed (another
     * status than 200 is discovery_check's) */
    if (idp_too_large(resp, IDP_ANSWER_MAX) && (resp->st != ST_OK || resp->status == 200)) {
        idp_run_fail(r, IDP_PROVIDER_ERROR, "discovery answer too large");
        return;
    }
    json_t *doc = resp->status == 200 ? idp_json_object(resp) : NULL;
    const char *error = NULL, *check = discovery_check(r, resp, doc, &error);
    if (check) {
        json_decref(doc);
        idp_run_fail(r, error, check);
        return;
    }
    struct idp_discovery d = {
        arena_strdup(&r->a, json_string_value(json_object_get(doc, OIDC_ISSUER))),
        arena_strdup(&r->a, json_string_value(json_object_get(doc, OIDC_TOKEN_ENDPOINT))),
        arena_strdup(&r->a, json_string_value(json_object_get(doc, OIDC_JWKS_URI)))};
    json_decref(doc);
    /* kept only once it names our token endpoint: one that names another
     * is of no use to this provider, and must not push the documents of
     * other tenants' issuers out of the cache they all share */
    if (use_discovery(r, &d))
        idp_cache_discovery_put(r->cache, r->iss, &d, r->now);
}

static void find_keys(struct idp_run *r)
{
    if (!(r->alg & JOSE_HMAC))
        r->keys = idp_cache_keys_find(r->cache, r->iss, r->jwks_uri, r->now);
    if (r->keys || (r->alg & JOSE_HMAC))
        r->state = RS_VERIFY;
    else
        idp_run_get(r, r->jwks_uri, NULL);
}

/* The key set, fetched because none was cached or (a refetch) because the
 * cached one lacked the kid. A failed fetch leaves the cache as it was. */
static void keys_answer(struct idp_run *r, const struct net_response *resp)
{
    if (resp->st != ST_OK && resp->st != ST_TOO_LARGE) {
        idp_run_fail(r, IDP_PROVIDER_ERROR, "jwks unreachable");
        return;
    }
    if (resp->st == ST_OK && resp->status != 200) {
        idp_run_fail(r, IDP_PROVIDER_ERROR, "jwks status");
        return;
    }
    /* measured before it is parsed; what is kept is JOSE_MAX_KEYS keys */
    if (idp_too_large(resp, IDP_JWKS_MAX)) {
        idp_run_fail(r, IDP_PROVIDER_ERROR, "jwks answer too large");
        return;
    }
    json_t *doc = idp_json_object(resp);
    struct jose_jwks *k = NULL;
    enum st st = doc ? jose_jwks_parse(doc, &k, NULL) : ST_INVALID;
    json_decref(doc);
    if (st != ST_OK) {
        idp_run_fail(r, IDP_PROVIDER_ERROR, "jwks answer");
        return;
    }
    idp_keys_release(r->keys);
    r->keys = idp_cache_keys_put(r->cache, r->iss, r->jwks_uri, k, r->now);
    r->keys_fresh = true;
    r->state = RS_VERIFY;
}

/* aud holds client_id; with several audiences azp names it (OIDC Core
 * §3.1.3.7 steps 3-5); azp, when present, is client_id anyway. */
static bool audience_ok(const json_t *c, const char *client_id)
{
    const json_t *aud = json_object_get(c, OIDC_AUD), *azp = json_object_get(c, OIDC_AZP);
    if (azp && !(json_is_string(azp) && !strcmp(json_string_value(azp), client_id)))
        return false;
    if (json_is_string(aud))
        return !strcmp(json_string_value(aud), client_id);
    bool found = false;
    size_t i;
    const json_t *v;
    json_array_foreach(aud, i, v)
    {
        found = found || (json_is_string(v) && !strcmp(json_string_value(v), client_id));
    }
    return found && (json_array_size(aud) == 1 || azp);
}

/* The failed claim check of a verified id_token, or NULL. */
static const char *claims_check(const struct idp_run *r)
{
    const json_t *c = r->jws.claims;
    const json_t *exp = json_object_get(c, F_EXP), *iat = json_object_get(c, F_IAT),
                 *nbf = json_object_get(c, OIDC_NBF);
    double now = (double)r->now, skew = (double)r->skew;
    const char *nonce = json_string_value(json_object_get(c, OIDC_NONCE));
    const char *sub = json_string_value(json_object_get(c, OIDC_SUB));
    if (!audience_ok(c, r->client_id))
        return "audience";
    if (!json_is_number(exp) || !(json_number_value(exp) > now - skew))
        return "expired";
    if (!json_is_number(iat) || !(json_number_value(iat) <= now + skew))
        return "issued in the future";
    if (nbf && (!json_is_number(nbf) || !(json_number_value(nbf) <= now + skew)))
        return "not yet valid";
    if (!nonce || strcmp(nonce, r->nonce) != 0)
        return "nonce";
    if (!sub || !*sub || strlen(sub) > IDP_SUBJECT_MAX)
        return "subject";
    /* RFC 9207 with no pin yet: the parameter must name the verified issuer */
    if (r->iss_param && strcmp(r->iss_param, r->iss) != 0)
        return "iss parameter";
    return NULL;
}

static enum st signature(const struct idp_run *r)
{
    if (r->jws.alg & JOSE_HMAC) /* the client secret is the only HMAC key there is */
        return r->secret && r->secret_len
                   ? jose_jws_verify_hmac(&r->jws, r->secret, r->secret_len, JOSE_HMAC, NULL)
                   : ST_FORBIDDEN;
    return jose_jws_verify(&r->jws, r->keys ? r->keys->k : NULL, JOSE_ASYMMETRIC, NULL);
}

static void verify(struct idp_run *r)
{
    if (!load(r))
        return;
    enum st st = signature(r);
    /* an unknown kid: the issuer may have rotated its keys since we cached
     * them; a set fetched by this very run has nothing newer to offer */
    if (st == ST_NOT_FOUND && !r->keys_fresh &&
        idp_cache_refetch_allowed(r->cache, r->iss, r->now)) {
        r->state = RS_KEYS;
        idp_run_get(r, r->jwks_uri, NULL);
        return;
    }
    if (st != ST_OK) {
        idp_run_fail(r, IDP_LOGIN_FAILED, "id_token signature");
        return;
    }
    const char *check = claims_check(r);
    if (check) {
        idp_run_fail(r, IDP_LOGIN_FAILED, check);
        return;
    }
    r->res.issuer = r->iss;
    r->state = RS_PROFILE;
}

void idp_oidc_advance(struct idp_run *r)
{
    switch (r->state) {
    case RS_ID_TOKEN:
        read_id_token(r);
        break;
    case RS_DISCOVERY:
        find_discovery(r);
        break;
    case RS_KEYS:
        find_keys(r);
        break;
    case RS_VERIFY:
        verify(r);
        break;
    default:
        idp_run_fail(r, IDP_PROVIDER_ERROR, "run stuck");
        break;
    }
}

void idp_oidc_answer(struct idp_run *r, const struct net_response *resp)
{
    if (r->state == RS_DISCOVERY)
        discovery_answer(r, resp);
    else
        keys_answer(r, resp);
}

void idp_oidc_finish(struct idp_run *r, json_t *userinfo)
{
    if (!load(r)) {
        json_decref(userinfo);
        return;
    }
    const json_t *claims = r->jws.claims;
    const char *sub = json_string_value(json_object_get(claims, OIDC_SUB));
    json_t *doc = userinfo;
    if (doc) {
        /* OIDC Core §5.3.2: else the answer may be another user's */
        const char *usub = json_string_value(json_object_get(doc, OIDC_SUB));
        if (!usub || strcmp(usub, sub) != 0) {
            json_decref(doc);
            idp_run_fail(r, IDP_LOGIN_FAILED, "userinfo sub");
            return;
        }
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)claims, key, v)
        {
            if (!json_object_get(doc, key))
                json_object_set_new(doc, key, json_deep_copy(v));
        }
    } else {
        doc = json_deep_copy(claims);
    }
    json_t *ext = json_object();
    json_object_set_new(ext, OIDC_ISS, json_string(r->iss));
    json_object_set_new(ext, OIDC_SUB, json_string(sub));
    json_object_set_new(ext, OIDC_AUD, json_deep_copy(json_object_get(claims, OIDC_AUD)));
    json_object_set_new(ext, "claims", json_deep_copy(claims));
    idp_run_succeed(r, sub, doc, ext);
}
