/* SPDX-License-Identifier: MIT */
/*
 * The id_token half of the idp run (SPEC §7.4, OIDC Core §3.1.3.7) driven
 * by recorded answers: id_tokens signed here with RS256, PS256, ES256,
 * EdDSA and HS256, each check failing alone, the issuer bound through
 * discovery, key rotation and its refetch limit, RFC 9207. No network:
 * the test answers every request the run asks for, and asserts how many.
 */
#include "idp_fixture.h"

TestSuite(idp, .init = setup, .fini = teardown);

/* ---- success ------------------------------------------------------------- */

Test(idp, oidc_rs256_signs_in_with_discovery_and_keys)
{
    const struct idp_result *res = oidc(sign("RS256", "rsa1", claims()));
    cr_assert_null(res->error, "failed: %s", res->check);
    cr_expect_str_eq(res->subject, "alice");
    cr_expect_str_eq(res->issuer, ISS);
    cr_expect_str_eq(json_string_value(json_object_get(res->doc, "nonce")), NONCE);
    cr_expect_str_eq(json_string_value(json_object_get(res->extended, "iss")), ISS);
    cr_expect_str_eq(json_string_value(json_object_get(res->extended, "sub")), "alice");
    cr_expect_str_eq(json_string_value(json_object_get(res->extended, "aud")), CLIENT_ID);
    cr_expect(json_is_object(json_object_get(res->extended, "claims")));
    const json_t *ac = res->access_credentials;
    cr_expect_str_eq(json_string_value(json_object_get(ac, "accessToken")), "at-1");
    cr_expect_eq(json_integer_value(json_object_get(ac, "expires")), NOW + 3600);
    cr_expect(json_is_string(json_object_get(ac, "idToken")));
    cr_expect_null(json_object_get(ac, "refreshToken"));
    /* the token request: RFC 6749 §4.1.3 with PKCE and client_secret_basic */
    const struct seen *t = &fx.seen[0];
    cr_expect_str_eq(t->method, "POST");
    cr_expect_str_eq(t->url, TOKEN_URL);
    cr_expect_str_eq(t->ctype, MEDIA_FORM);
    cr_expect_str_eq(t->accept, JSON);
    cr_expect_str_eq(t->body, "grant_type=authorization_code&code=abc&redirect_uri=https%3A%2F%2F"
                              "sg.example%2Fc1.p1%2Fcallback&code_verifier=ver-1");
    cr_expect_str_eq(t->auth, "Basic Y2xpZW50LTE6czNjcjN0"); /* client-1:s3cr3t */
    cr_expect_str_eq(fx.seen[1].method, "GET");
    cr_expect_str_eq(fx.seen[1].url, DISCOVERY_URL);
    cr_expect_null(fx.seen[1].auth);
    cr_expect_str_eq(fx.seen[2].url, JWKS_URL);
}

Test(idp, oidc_ps256_es256_and_eddsa_sign_in)
{
    static const char *const algs[][2] = {{"PS256", "rsa1"}, {"ES256", "ec1"}, {"EdDSA", "ed1"}};
    for (int i = 0; i < 3; i++) {
        const struct idp_result *res = oidc(sign(algs[i][0], algs[i][1], claims()));
        cr_expect_null(res->error, "%s failed: %s", algs[i][0], res->check);
        cr_expect_str_eq(res->subject, "alice", "%s", algs[i][0]);
    }
}

Test(idp, oidc_without_kid_tries_every_key_of_the_algorithm)
{
    cr_expect_null(oidc(sign("ES256", NULL, claims()))->error);
}

Test(idp, cached_discovery_and_keys_are_not_fetched_again)
{
    cr_assert_null(oidc(sign("RS256", "rsa1", claims()))->error);
    fx.ctx.now = NOW + 599;
    struct answer ans[] = {OK(token_answer(sign("ES256", "ec1", claims())))};
    cr_expect_null(drive(start("code=abc"), ans, 1)->error);
    fx.ctx.now = NOW + 600; /* ten minutes: both are fetched again */
    struct answer again[] = {OK(token_answer(sign("RS256", "rsa1", claims()))), OK(DISCOVERY),
                             OK(fx.jwks)};
    cr_expect_null(drive(start("code=abc"), again, 3)->error);
}

Test(idp, hs256_verifies_with_the_client_secret_and_fetches_no_keys)
{
    struct answer ans[] = {OK(token_answer(sign("HS256", NULL, claims()))), OK(DISCOVERY)};
    const struct idp_result *res = drive(start("code=abc"), ans, 2);
    cr_expect_null(res->error, "failed: %s", res->check);
}

Test(idp, userinfo_completes_the_document_and_wins_over_the_claims)
{
    fx.p.profile_url = USERINFO_URL;
    json_t *c = claims();
    json_object_set_new(c, "email", json_string("claim@example.com"));
    json_object_set_new(c, "name", json_string("From Claims"));
    struct answer ans[] = {
        OK(token_answer(sign("RS256", "rsa1", c))), OK(DISCOVERY), OK(fx.jwks),
        OK("{\"sub\":\"alice\",\"email\":\"info@example.com\",\"picture\":\"https://p/x\"}")};
    const struct idp_result *res = drive(start("code=abc"), ans, 4);
    cr_assert_null(res->error, "failed: %s", res->check);
    cr_expect_str_eq(fx.seen[3].url, USERINFO_URL);
    cr_expect_str_eq(fx.seen[3].auth, "Bearer at-1");
    cr_expect_str_eq(fx.seen[3].accept, JSON);
    cr_expect_str_eq(json_string_value(json_object_get(res->doc, "email")), "info@example.com");
    cr_expect_str_eq(json_string_value(json_object_get(res->doc, "name")), "From Claims");
    cr_expect_str_eq(json_string_value(json_object_get(res->doc, "picture")), "https://p/x");
    cr_expect_str_eq(json_string_value(json_object_get(res->doc, "nonce")), NONCE);
    /* extended keeps the id_token's claims, not the merged document */
    cr_expect_str_eq(
        json_string_value(json_object_get(json_object_get(res->extended, "claims"), "email")),
        "claim@example.com");
}

/* ---- the id_token's signature --------------------------------------------- */

Test(idp, hs256_keyed_with_the_rsa_public_key_is_refused)
{
    gnutls_pubkey_t pk;
    gnutls_datum_t pem = {0};
    cr_assert_geq(gnutls_pubkey_init(&pk), 0);
    cr_assert_geq(gnutls_pubkey_import_privkey(pk, fx.rsa, 0, 0), 0);
    cr_assert_geq(gnutls_pubkey_export2(pk, GNUTLS_X509_FMT_PEM, &pem), 0);
    const char *t = sign_with("HS256", "rsa1", claims(), pem.data, pem.size);
    gnutls_free(pem.data);
    gnutls_pubkey_deinit(pk);
    struct answer ans[] = {OK(token_answer(t)), OK(DISCOVERY)};
    expect_fail(drive(start("code=abc"), ans, 2), IDP_LOGIN_FAILED, "id_token signature");
}

Test(idp, hs256_without_a_client_secret_is_refused)
{
    fx.p.client_secret = NULL;
    fx.p.secret_len = 0;
    struct answer ans[] = {OK(token_answer(sign("HS256", NULL, claims()))), OK(DISCOVERY)};
    expect_fail(drive(start("code=abc"), ans, 2), IDP_LOGIN_FAILED, "id_token signature");
    cr_expect_null(fx.seen[0].auth, "no secret: client_id in the body");
    cr_expect(strstr(fx.seen[0].body, "&client_id=client-1") != NULL);
}

Test(idp, alg_none_is_refused_before_any_fetch)
{
    struct answer ans[] = {OK(token_answer(sign("none", NULL, claims())))};
    expect_fail(drive(start("code=abc"), ans, 1), IDP_LOGIN_FAILED, "id_token malformed");
}

Test(idp, a_tampered_payload_is_refused)
{
    const char *t = sign("RS256", "rsa1", claims());
    const char *other = sign("RS256", "rsa1", claims_with("sub", json_string("mallory")));
    /* alice's signature on mallory's claims */
    const char *forged =
        arena_printf(&fx.a, "%.*s%s", (int)(strrchr(other, '.') - other), other, strrchr(t, '.'));
    oidc_fails(forged, "id_token signature");
}

Test(idp, a_key_of_another_type_under_the_kid_is_refused)
{
    /* ES256 announced with the RSA key's kid: jose finds no EC key of that kid */
    oidc_fails(sign("ES256", "rsa1", claims()), "id_token signature");
}

Test(idp, garbage_id_tokens_are_malformed)
{
    static const char *const bad[] = {"x", "a.b.c", "..", "eyJhbGciOiJSUzI1NiJ9.e30", ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct answer ans[] = {OK(token_answer(bad[i]))};
        expect_fail(drive(start("code=abc"), ans, 1), IDP_LOGIN_FAILED, "id_token malformed");
    }
}

Test(idp, id_token_claims_nested_deeper_than_64_are_malformed)
{
    json_t *deep = json_object(), *v = deep;
    for (int i = 0; i < 64; i++) {
        json_t *inner = json_object();
        json_object_set_new(v, "a", inner);
        v = inner;
    }
    struct answer ans[] = {OK(token_answer(sign("RS256", "rsa1", claims_with("x", deep))))};
    expect_fail(drive(start("code=abc"), ans, 1), IDP_LOGIN_FAILED, "id_token malformed");
}

Test(idp, id_token_missing_fails_an_oidc_run)
{
    struct answer ans[] = {OK(token_answer(NULL))};
    expect_fail(drive(start("code=abc"), ans, 1), IDP_LOGIN_FAILED, "id_token missing");
}

/* ---- key rotation ------------------------------------------------------ */

Test(idp, unknown_kid_refetches_the_keys_once_then_not_for_60_seconds)
{
    /* the IdP starts with the RSA key alone */
    const char *old = jwks_of(fx.rsa, "rsa1", NULL, NULL, NULL, NULL);
    struct answer first[] = {OK(token_answer(sign("RS256", "rsa1", claims()))), OK(DISCOVERY),
                             OK(old)};
    cr_assert_null(drive(start("code=abc"), first, 3)->error);
    /* it rotates to an EC key: the cached set lacks the kid, one refetch */
    fx.ctx.now = NOW + 10;
    const char *rotated = jwks_of(fx.rsa, "rsa1", fx.ec, "ec-new", NULL, NULL);
    struct answer second[] = {OK(token_answer(sign("ES256", "ec-new", claims()))), OK(rotated)};
    const struct idp_result *res = drive(start("code=abc"), second, 2);
    cr_expect_null(res->error, "failed: %s", res->check);
    cr_expect_str_eq(fx.seen[1].url, JWKS_URL);
    /* the refetched set is cached: its key verifies with no fetch */
    fx.ctx.now = NOW + 20;
    struct answer third[] = {OK(token_answer(sign("ES256", "ec-new", claims())))};
    cr_expect_null(drive(start("code=abc"), third, 1)->error);
    /* another unknown kid within 60 s of the refetch: none */
    fx.ctx.now = NOW + 69;
    struct answer fourth[] = {OK(token_answer(sign("EdDSA", "ed-new", claims())))};
    expect_fail(drive(start("code=abc"), fourth, 1), IDP_LOGIN_FAILED, "id_token signature");
    /* 60 s after it, a refetch again */
    fx.ctx.now = NOW + 70;
    const char *again = jwks_of(fx.rsa, "rsa1", fx.ed, "ed-new", NULL, NULL);
    struct answer fifth[] = {OK(token_answer(sign("EdDSA", "ed-new", claims()))), OK(again)};
    cr_expect_null(drive(start("code=abc"), fifth, 2)->error);
}

Test(idp, a_kid_missing_from_a_set_fetched_now_is_not_fetched_again)
{
    oidc_fails(sign("RS256", "rsa-unknown", claims()), "id_token signature");
}

Test(idp, a_failed_refetch_keeps_the_cached_keys)
{
    cr_assert_null(oidc(sign("RS256", "rsa1", claims()))->error);
    struct answer down[] = {OK(token_answer(sign("RS256", "new", claims()))),
                            {0, NULL, NULL, ST_INTERNAL}};
    expect_fail(drive(start("code=abc"), down, 2), IDP_PROVIDER_ERROR, "jwks unreachable");
    struct answer ans[] = {OK(token_answer(sign("RS256", "rsa1", claims())))};
    cr_expect_null(drive(start("code=abc"), ans, 1)->error);
}

/* ---- the claims ---------------------------------------------------------- */

Test(idp, aud_must_hold_the_client_id)
{
    oidc_fails(sign("RS256", "rsa1", claims_with("aud", json_string("other"))), "audience");
    oidc_fails(sign("RS256", "rsa1", claims_with("aud", NULL)), "audience");
    oidc_fails(sign("RS256", "rsa1", claims_with("aud", json_integer(1))), "audience");
    oidc_fails(sign("RS256", "rsa1", claims_with("aud", json_pack("[s]", "other"))), "audience");
}

Test(idp, several_audiences_need_azp_equal_to_the_client_id)
{
    oidc_fails(sign("RS256", "rsa1", claims_with("aud", json_pack("[s,s]", "other", CLIENT_ID))),
               "audience");
    json_t *c = claims_with("aud", json_pack("[s,s]", "other", CLIENT_ID));
    json_object_set_new(c, "azp", json_string("other"));
    oidc_fails(sign("RS256", "rsa1", c), "audience");
    c = claims_with("aud", json_pack("[s,s]", "other", CLIENT_ID));
    json_object_set_new(c, "azp", json_string(CLIENT_ID));
    cr_expect_null(oidc(sign("RS256", "rsa1", c))->error);
    cr_expect_null(
        oidc(sign("RS256", "rsa1", claims_with("aud", json_pack("[s]", CLIENT_ID))))->error);
}

Test(idp, exp_is_checked_with_the_skew)
{
    oidc_fails(sign("RS256", "rsa1", claims_with("exp", json_integer(NOW - 120))), "expired");
    oidc_fails(sign("RS256", "rsa1", claims_with("exp", NULL)), "expired");
    oidc_fails(sign("RS256", "rsa1", claims_with("exp", json_string("9999999999"))), "expired");
    cr_expect_null(oidc(sign("RS256", "rsa1", claims_with("exp", json_integer(NOW - 119))))->error);
}

Test(idp, iat_is_required_and_not_beyond_the_skew)
{
    oidc_fails(sign("RS256", "rsa1", claims_with("iat", json_integer(NOW + 121))),
               "issued in the future");
    oidc_fails(sign("RS256", "rsa1", claims_with("iat", NULL)), "issued in the future");
    cr_expect_null(oidc(sign("RS256", "rsa1", claims_with("iat", json_integer(NOW + 120))))->error);
}

Test(idp, nbf_when_present_is_not_beyond_the_skew)
{
    oidc_fails(sign("RS256", "rsa1", claims_with("nbf", json_integer(NOW + 121))), "not yet valid");
    oidc_fails(sign("RS256", "rsa1", claims_with("nbf", json_string("0"))), "not yet valid");
    cr_expect_null(oidc(sign("RS256", "rsa1", claims_with("nbf", json_real(NOW + 119.5))))->error);
}

Test(idp, nonce_must_equal_the_flows)
{
    oidc_fails(sign("RS256", "rsa1", claims_with("nonce", json_string("other"))), "nonce");
    oidc_fails(sign("RS256", "rsa1", claims_with("nonce", NULL)), "nonce");
}

Test(idp, sub_must_be_a_string_of_1_to_255_bytes)
{
    char long_sub[257];
    memset(long_sub, 'a', 256);
    long_sub[256] = '\0';
    oidc_fails(sign("RS256", "rsa1", claims_with("sub", json_string(long_sub))), "subject");
    oidc_fails(sign("RS256", "rsa1", claims_with("sub", json_string(""))), "subject");
    oidc_fails(sign("RS256", "rsa1", claims_with("sub", json_integer(7))), "subject");
}

/* ---- the issuer ------------------------------------------------------------ */

Test(idp, an_iss_other_than_the_pin_fails_before_discovery)
{
    fx.ctx.pinned_issuer = "https://pinned.example";
    struct answer ans[] = {OK(token_answer(sign("RS256", "rsa1", claims())))};
    expect_fail(drive(start("code=abc"), ans, 1), IDP_LOGIN_FAILED, "issuer");
    fx.ctx.pinned_issuer = ISS;
    cr_expect_null(oidc(sign("RS256", "rsa1", claims()))->error);
}

Test(idp, an_iss_that_is_no_https_url_fails)
{
    static const char *const bad[] = {"http://idp.example", "idp.example", "https://",
                                      "https://idp.example?x=1", "https://u@idp.example"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct answer ans[] = {
            OK(token_answer(sign("RS256", "rsa1", claims_with("iss", json_string(bad[i])))))};
        expect_fail(drive(start("code=abc"), ans, 1), IDP_LOGIN_FAILED, "issuer");
    }
}

Test(idp, discovery_must_name_our_token_endpoint_and_the_issuer)
{
    struct answer te[] = {OK(token_answer(sign("RS256", "rsa1", claims()))),
                          OK("{\"issuer\":\"" ISS "\",\"token_endpoint\":\"https://evil.example/"
                             "token\",\"jwks_uri\":\"" JWKS_URL "\"}")};
    expect_fail(drive(start("code=abc"), te, 2), IDP_LOGIN_FAILED, "discovery token_endpoint");
    idp_cache_free(fx.cache);
    fx.ctx.cache = fx.cache = idp_cache_new();
    struct answer is[] = {OK(token_answer(sign("RS256", "rsa1", claims()))),
                          OK("{\"issuer\":\"https://other.example\",\"token_endpoint\":\"" TOKEN_URL
                             "\",\"jwks_uri\":\"" JWKS_URL "\"}")};
    expect_fail(drive(start("code=abc"), is, 2), IDP_LOGIN_FAILED, "discovery issuer");
}

Test(idp, discovery_drops_one_trailing_slash_of_the_issuer)
{
    struct answer ans[] = {
        OK(token_answer(sign("RS256", "rsa1", claims_with("iss", json_string(ISS "/"))))),
        OK("{\"issuer\":\"" ISS "/\",\"token_endpoint\":\"" TOKEN_URL "\",\"jwks_uri\":\"" JWKS_URL
           "\"}"),
        OK(fx.jwks)};
    const struct idp_result *res = drive(start("code=abc"), ans, 3);
    cr_expect_null(res->error, "failed: %s", res->check);
    cr_expect_str_eq(fx.seen[1].url, DISCOVERY_URL);
    cr_expect_str_eq(res->issuer, ISS "/");
}

Test(idp, discovery_answers_that_do_not_read_are_provider_errors)
{
    static const struct answer bad[] = {
        {200, "text/html", "<html>hi</html>", ST_OK},
        {200, JSON, "{\"issuer\":\"" ISS "\",\"token_endpoint\":\"" TOKEN_URL "\"}", ST_OK},
        {200, JSON,
         "{\"issuer\":\"" ISS "\",\"token_endpoint\":\"" TOKEN_URL
         "\",\"jwks_uri\":\"http://idp.example/jwks\"}",
         ST_OK},
        {200, JSON, "[1]", ST_OK},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct answer ans[] = {OK(token_answer(sign("RS256", "rsa1", claims()))), bad[i]};
        expect_fail(drive(start("code=abc"), ans, 2), IDP_PROVIDER_ERROR, "discovery answer");
    }
    struct answer status[] = {OK(token_answer(sign("RS256", "rsa1", claims()))),
                              {404, JSON, DISCOVERY, ST_OK}};
    expect_fail(drive(start("code=abc"), status, 2), IDP_PROVIDER_ERROR, "discovery status");
    struct answer down[] = {OK(token_answer(sign("RS256", "rsa1", claims()))),
                            {0, NULL, NULL, ST_INTERNAL}};
    expect_fail(drive(start("code=abc"), down, 2), IDP_PROVIDER_ERROR, "discovery unreachable");
}

Test(idp, key_set_answers_that_do_not_read_are_provider_errors)
{
    static const struct answer bad[] = {
        {200, JSON, "{\"keys\":{}}", ST_OK},
        {200, JSON, "not json", ST_OK},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct answer ans[] = {OK(token_answer(sign("RS256", "rsa1", claims()))), OK(DISCOVERY),
                               bad[i]};
        expect_fail(drive(start("code=abc"), ans, 3), IDP_PROVIDER_ERROR, "jwks answer");
        idp_cache_free(fx.cache);
        fx.ctx.cache = fx.cache = idp_cache_new();
    }
    struct answer status[] = {
        OK(token_answer(sign("RS256", "rsa1", claims()))), OK(DISCOVERY), {500, JSON, "{}", ST_OK}};
    expect_fail(drive(start("code=abc"), status, 3), IDP_PROVIDER_ERROR, "jwks status");
}

Test(idp, rfc9207_iss_parameter_against_the_pin)
{
    fx.ctx.pinned_issuer = ISS;
    expect_fail(drive(start("code=abc&iss=https%3A%2F%2Fevil.example"), NULL, 0), IDP_LOGIN_FAILED,
                "iss parameter");
    /* an error answer from another issuer is refused as a mix-up too */
    expect_fail(drive(start("error=access_denied&iss=https%3A%2F%2Fevil.example"), NULL, 0),
                IDP_LOGIN_FAILED, "iss parameter");
    struct answer ans[] = {OK(token_answer(sign("RS256", "rsa1", claims()))), OK(DISCOVERY),
                           OK(fx.jwks)};
    cr_expect_null(drive(start("code=abc&iss=https%3A%2F%2Fidp.example"), ans, 3)->error);
}

Test(idp, rfc9207_iss_parameter_without_a_pin_must_be_the_verified_issuer)
{
    struct answer ans[] = {OK(token_answer(sign("RS256", "rsa1", claims()))), OK(DISCOVERY),
                           OK(fx.jwks)};
    expect_fail(drive(start("code=abc&iss=https%3A%2F%2Fother.example"), ans, 3), IDP_LOGIN_FAILED,
                "iss parameter");
    struct answer ok[] = {OK(token_answer(sign("RS256", "rsa1", claims())))};
    cr_expect_null(drive(start("code=abc&iss=https%3A%2F%2Fidp.example"), ok, 1)->error);
}
