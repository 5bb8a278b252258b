/* SPDX-License-Identifier: MIT */
/*
 * saml2 providers (SPEC §7.3-§7.5) behind idp/'s interface: start's
 * AuthnRequest, and a run that needs no request to the identity provider,
 * since the browser posts its answer: the SAMLResponse is checked by saml/
 * and the run ends at once, with the profile document, the "saml"
 * extended member and the assertion's replay key.
 */
#include "idp_int.h"

#include "../model/model.h"
#include "../saml/saml.h"

#include <sodium.h>
#include <string.h>

enum st idp_init(struct err *e)
{
    return saml_init(e);
}

void idp_shutdown(void)
{
    saml_shutdown();
}

enum st idp_saml_request_url(struct arena *a, const struct idp_provider *p,
                             const struct idp_flow *f, const struct idp_begin *o, int64_t now,
                             const char **url, struct err *e)
{
    struct saml_request r = {
        .auth_url = p->auth_url,
        .acs_url = p->callback,
        .sp_entity_id = p->metadata,
        .id = f->request_id,
        .relay_state = f->state,
        .now = now,
        .force_authn = o && o->force_reauth,
        .authn_context = p->authn_context,
    };
    return saml_authn_request_url(a, &r, url, e);
}

enum st idp_saml_metadata(struct arena *a, const struct idp_provider *p, const char **xml,
                          size_t *len, struct err *e)
{
    return saml_sp_metadata(a, p->metadata, p->callback, xml, len, e);
}

/* What the site is told of an IdP's status other than Success: the user
 * could not, or would not, sign in; anything else is the IdP's error. */
static const char *status_error(const char *status)
{
    if (status && (!strcmp(status, "AuthnFailed") || !strcmp(status, "RequestDenied")))
        return IDP_ACCESS_DENIED;
    return IDP_PROVIDER_ERROR;
}

/* SHA-256 of "{c}.{p}" NUL id: one provider's assertion ids never meet
 * another's in the replay table. */
static void replay_key(const struct idp_provider *p, const char *id, unsigned char out[32])
{
    crypto_hash_sha256_state h;
    crypto_hash_sha256_init(&h);
    crypto_hash_sha256_update(&h, (const unsigned char *)p->cid, strlen(p->cid));
    crypto_hash_sha256_update(&h, (const unsigned char *)".", 1);
    crypto_hash_sha256_update(&h, (const unsigned char *)p->id, strlen(p->id) + 1);
    crypto_hash_sha256_update(&h, (const unsigned char *)id, strlen(id));
    crypto_hash_sha256_final(&h, out);
}

void idp_saml_finish(struct idp_run *r, const struct idp_ctx *ctx, const struct idp_provider *p,
                     const struct idp_flow *f, const struct form *params)
{
    const char *response = params ? oauth_form_get(params, IDP_SAML_RESPONSE) : NULL;
    if (!response || oauth_form_count(params, IDP_SAML_RESPONSE) != 1) {
        idp_run_fail(r, IDP_LOGIN_FAILED, "SAMLResponse missing or repeated");
        return;
    }
    if (!p->idp_certificate || !p->callback || !p->metadata || !f->request_id) {
        idp_run_fail(r, IDP_PROVIDER_ERROR, "provider incomplete");
        return;
    }
    /* parsed once per certificate for the process: a third of a check */
    struct idp_saml_key *key = idp_cache_saml_key(ctx->cache, p->idp_certificate);
    if (!key) {
        idp_run_fail(r, IDP_PROVIDER_ERROR, "certificate");
        return;
    }
    struct saml_expect x = {
        .key = key->k,
        .acs_url = p->callback,
        .sp_entity_id = p->metadata,
        .request_id = f->request_id,
        .issuer = ctx->pinned_issuer,
        .now = ctx->now,
        .skew = ctx->skew,
        .allow_sha1 = ctx->saml_allow_sha1,
    };
    struct saml_result res;
    enum st st = saml_response_check(&r->a, response, strlen(response), &x, &res, NULL);
    idp_saml_key_release(key);
    if (st != ST_OK) {
        const char *error = IDP_LOGIN_FAILED;
        if (res.check && !strcmp(res.check, "status"))
            error = status_error(res.status);
        else if (st == ST_INTERNAL)
            error = IDP_PROVIDER_ERROR;
        idp_run_fail(r, error, res.check ? res.check : "saml");
        saml_result_cleanup(&res);
        return;
    }
    idp_run_succeed(r, res.name_id, saml_profile_doc(&res), saml_extended(&res));
    r->res.issuer = res.issuer;
    replay_key(p, res.assertion_id, r->res.replay_key);
    r->res.replay_until = res.until;
    saml_result_cleanup(&res);
}
