/* SPDX-License-Identifier: MIT */
/*
 * A saml2 provider's run through idp/ (SPEC §7.4-§7.5): it needs no request
 * to the IdP and ends at once, with the subject, the profile document, the
 * "saml" extended member, the issuer to pin and the assertion's replay key;
 * an IdP's refusal is told apart from a failed check. The checks of the
 * response themselves are test_saml.c's.
 */
#include <criterion/criterion.h>
#include <sodium.h>

#include "idp/idp.h"
#include "model/model.h"
#include "oauth/oauth.h"
#include "saml_fixture.h"

static void setup(void)
{
    cr_assert_eq(util_init(), ST_OK);
    cr_assert_eq(idp_init(NULL), ST_OK);
}

static void teardown(void)
{
    idp_shutdown();
}

TestSuite(idp_saml, .init = setup, .fini = teardown);

static struct arena A;

/* The provider p1 of customer c1 whose callback and metadata the
 * fixture's responses name. */
static struct idp_provider provider(const char *id)
{
    return (struct idp_provider){
        .cid = "c1",
        .app_id = "a1",
        .id = id,
        .protocol = PROTO_SAML2,
        .auth_url = "https://idp.example.com/sso",
        .callback = FX_ACS,
        .metadata = FX_SP,
        .idp_certificate = SAML_RSA_CERT,
        .title = "IdP",
    };
}

/* The run of a callback that posted the signed response of f. */
static struct idp_run *run(const struct fx *f, const char *id, struct idp_cache *cache)
{
    xmlDocPtr d = fx_signed(
        f,
        &(struct fx_sign){SAML_RSA_KEY, xmlSecTransformRsaSha256Id, xmlSecTransformSha256Id, NULL},
        true, false);
    char *b64 = fx_b64(d);
    xmlFreeDoc(d);
    arena_init(&A);
    struct buf body;
    buf_init(&body, &A);
    buf_puts(&body, "RelayState=x&SAMLResponse=");
    buf_puts(&body, util_pct_encode(&A, b64));
    free(b64);
    struct form params;
    cr_assert_eq(oauth_form_parse(&A, body.p, body.len, &params, NULL), ST_OK);
    struct idp_provider p = provider(id);
    struct idp_flow fl = {.state = "x", .request_id = FX_REQ};
    struct idp_ctx ctx = {.cache = cache, .now = FX_NOW, .skew = 120};
    return idp_run_new(&ctx, &p, &fl, &params);
}

static const struct idp_result *done(struct idp_run *r)
{
    struct net_request req;
    cr_assert_eq(idp_run_step(r, &req), IDP_DONE, "a SAML run asks the IdP nothing");
    return idp_run_result(r);
}

Test(idp_saml, a_signed_response_ends_the_run_with_the_profile_and_the_replay_key)
{
    struct idp_cache *cache = idp_cache_new();
    struct fx f = fx_defaults();
    struct idp_run *r = run(&f, "p1", cache);
    const struct idp_result *res = done(r);
    cr_assert_null(res->error, "%s", res->check);
    cr_expect_str_eq(res->subject, "alice@example.com");
    cr_expect_str_eq(res->issuer, FX_IDP);
    cr_expect_str_eq(json_string_value(json_object_get(res->doc, "groups")), "staff");
    cr_expect_str_eq(json_string_value(json_object_get(res->extended, "nameId")),
                     "alice@example.com");
    cr_expect_null(res->access_credentials, "SAML hands over no token of the IdP's");
    /* the earliest NotOnOrAfter (the bearer confirmation's, 00:05) + skew */
    cr_expect_eq(res->replay_until, FX_NOW + 300 + 120);
    unsigned char key[32];
    memcpy(key, res->replay_key, sizeof key);
    idp_run_free(r);
    arena_cleanup(&A);

    r = run(&f, "p1", cache); /* the same assertion id again, certificate from the cache */
    cr_expect_eq(memcmp(done(r)->replay_key, key, sizeof key), 0);
    idp_run_free(r);
    arena_cleanup(&A);

    r = run(&f, "p2", NULL); /* another provider: another key, not blocked by p1's */
    res = done(r);
    cr_assert_null(res->error, "%s", res->check);
    cr_expect_neq(memcmp(res->replay_key, key, sizeof key), 0);
    idp_run_free(r);
    arena_cleanup(&A);
    idp_cache_free(cache);
}

Test(idp_saml, the_idps_refusal_is_access_denied_its_other_errors_provider_error)
{
    const struct {
        const char *status, *error;
    } cases[] = {
        {"urn:oasis:names:tc:SAML:2.0:status:AuthnFailed", IDP_ACCESS_DENIED},
        {"urn:oasis:names:tc:SAML:2.0:status:RequestDenied", IDP_ACCESS_DENIED},
        {"urn:oasis:names:tc:SAML:2.0:status:Responder", IDP_PROVIDER_ERROR},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct fx f = fx_defaults();
        f.status = cases[i].status;
        struct idp_run *r = run(&f, "p1", NULL);
        const struct idp_result *res = done(r);
        cr_expect_str_eq(res->error, cases[i].error, "%s", cases[i].status);
        cr_expect_str_eq(res->check, "status");
        idp_run_free(r);
        arena_cleanup(&A);
    }
}

Test(idp_saml, a_failed_check_is_login_failed_naming_it)
{
    struct fx f = fx_defaults();
    f.audience = "https://someone-else.example.com/metadata";
    struct idp_run *r = run(&f, "p1", NULL);
    const struct idp_result *res = done(r);
    cr_expect_str_eq(res->error, IDP_LOGIN_FAILED);
    cr_expect_str_eq(res->check, "audience");
    cr_expect_eq(res->replay_until, 0);
    idp_run_free(r);
    arena_cleanup(&A);
}

Test(idp_saml, a_certificate_that_does_not_parse_is_provider_error)
{
    struct idp_provider p = provider("p1");
    p.idp_certificate = "bm90IGEgY2VydGlmaWNhdGU=";
    arena_init(&A);
    struct form params;
    cr_assert_eq(oauth_form_parse(&A, "SAMLResponse=eA", 15, &params, NULL), ST_OK);
    struct idp_flow fl = {.state = "x", .request_id = FX_REQ};
    struct idp_ctx ctx = {.now = FX_NOW, .skew = 120};
    struct idp_run *r = idp_run_new(&ctx, &p, &fl, &params);
    const struct idp_result *res = done(r);
    cr_expect_str_eq(res->error, IDP_PROVIDER_ERROR);
    cr_expect_str_eq(res->check, "certificate");
    idp_run_free(r);
    arena_cleanup(&A);
}
