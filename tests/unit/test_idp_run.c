/* SPDX-License-Identifier: MIT */
/*
 * The OAuth 2.0 half of the idp run driven by recorded answers: the
 * callback's parameters, the token request and the client_secret_post
 * retry, token answers that are not what RFC 6749 says (HTML, invalid or
 * deep JSON, form encoding), userinfo, oauth2 subjects, and what a
 * hostile IdP's answers may cost: the size caps, what a run keeps of the
 * token answer, what the shared cache keeps of discovery.
 */
#include "idp_fixture.h"

#include "idp/idp_int.h"

TestSuite(idp_run, .init = setup, .fini = teardown);

/* ---- the callback ---------------------------------------------------------- */

Test(idp_run, idp_errors_end_the_run_without_a_request)
{
    expect_fail(drive(start("error=access_denied&state=st-1"), NULL, 0), IDP_ACCESS_DENIED,
                "idp error");
    const struct idp_result *res =
        drive(start("error=server_error&error_description=%3Cb%3E"), NULL, 0);
    expect_fail(res, IDP_PROVIDER_ERROR, "idp error");
    cr_expect_null(strchr(res->description, '<'), "never the IdP's text");
    expect_fail(drive(start("state=st-1"), NULL, 0), IDP_LOGIN_FAILED, "code missing");
    expect_fail(drive(start("code="), NULL, 0), IDP_LOGIN_FAILED, "code missing");
    expect_fail(drive(start("code=a&code=b"), NULL, 0), IDP_LOGIN_FAILED, "callback parameters");
}

Test(idp_run, the_code_is_form_encoded_in_the_token_request)
{
    struct answer ans[] = {{500, JSON, "{}", ST_OK}};
    expect_fail(drive(start("code=a%2Bb%26c%3Dd+e"), ans, 1), IDP_PROVIDER_ERROR,
                "token endpoint status");
    cr_expect(strstr(fx.seen[0].body, "&code=a%2Bb%26c%3Dd%20e&") != NULL, "%s", fx.seen[0].body);
}

/* ---- the token endpoint ------------------------------------------------ */

Test(idp_run, invalid_client_is_retried_once_with_client_secret_post)
{
    struct answer ans[] = {{401, JSON, "{\"error\":\"invalid_client\"}", ST_OK},
                           OK(token_answer(sign("RS256", "rsa1", claims()))),
                           OK(DISCOVERY),
                           OK(fx.jwks)};
    const struct idp_result *res = drive(start("code=abc"), ans, 4);
    cr_expect_null(res->error, "failed: %s", res->check);
    cr_expect_not_null(fx.seen[0].auth);
    cr_expect_null(fx.seen[1].auth, "the retry sends no Authorization");
    cr_expect_str_eq(fx.seen[1].body,
                     "grant_type=authorization_code&code=abc&redirect_uri=https%3A%2F%2Fsg.example%"
                     "2Fc1.p1%2Fcallback&code_verifier=ver-1&client_id=client-1&client_secret="
                     "s3cr3t");
    /* twice invalid_client: no third request */
    struct answer twice[] = {{400, JSON, "{\"error\":\"invalid_client\"}", ST_OK},
                             {401, MEDIA_FORM, "error=invalid_client", ST_OK}};
    expect_fail(drive(start("code=abc"), twice, 2), IDP_PROVIDER_ERROR, "token endpoint status");
    /* another error is not retried */
    struct answer grant[] = {{400, JSON, "{\"error\":\"invalid_grant\"}", ST_OK}};
    expect_fail(drive(start("code=abc"), grant, 1), IDP_PROVIDER_ERROR, "token endpoint status");
}

Test(idp_run, basic_credentials_are_form_encoded_first)
{
    fx.p.client_id = "id:1";
    fx.p.client_secret = "p@ss w+ord";
    fx.p.secret_len = strlen(fx.p.client_secret);
    struct answer ans[] = {{503, "text/html", "down", ST_OK}};
    drive(start("code=abc"), ans, 1);
    /* Base64 of "id%3A1:p%40ss%20w%2Bord" (RFC 6749 §2.3.1) */
    cr_expect_str_eq(fx.seen[0].auth, "Basic aWQlM0ExOnAlNDBzcyUyMHclMkJvcmQ=");
}

Test(idp_run, token_answers_that_do_not_read_are_provider_errors)
{
    static const struct answer bad[] = {
        {200, "text/html", "<html><body>Sign in</body></html>", ST_OK},
        {200, JSON, "{\"access_token\": \"x\",", ST_OK},
        {200, JSON, "[\"access_token\"]", ST_OK},
        {200, JSON, "{\"access_token\":\"x\",\"access_token\":\"y\"}", ST_OK},
        {200, JSON, "", ST_OK},
        {200, MEDIA_FORM, "access_token=%zz", ST_OK},
        {200, MEDIA_FORM, "access_token=a&access_token=b", ST_OK},
        {200, MEDIA_FORM, "access_token=a&t%C2oken_type=bearer", ST_OK},
        {200, MEDIA_FORM, "access_token=a&scope=%FF", ST_OK},
        {200, JSON, "{\"access_token\":\"x\",\"refresh_token\":\"a\\u0000b\"}", ST_OK},
        {200, MEDIA_FORM, "access_token=a&scope=openid%00email", ST_OK},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct answer ans[] = {bad[i]};
        expect_fail(drive(start("code=abc"), ans, 1), IDP_PROVIDER_ERROR, "token answer");
    }
}

/* {"access_token":"x","a":[[...]]} nesting depth levels in all. */
static const char *nested(int depth)
{
    struct buf b;
    buf_init(&b, &fx.a);
    buf_puts(&b, "{\"access_token\":\"x\",\"a\":");
    for (int i = 1; i < depth; i++)
        buf_puts(&b, "[");
    buf_puts(&b, "0");
    for (int i = 1; i < depth; i++)
        buf_puts(&b, "]");
    buf_puts(&b, "}");
    return b.p;
}

Test(idp_run, token_answers_nested_deeper_than_64_are_refused_before_jansson)
{
    struct answer ans[] = {OK(nested(65))};
    expect_fail(drive(start("code=abc"), ans, 1), IDP_PROVIDER_ERROR, "token answer");
    /* 64 levels still read: the run goes on to the id_token */
    struct answer ok[] = {OK(nested(64))};
    expect_fail(drive(start("code=abc"), ok, 1), IDP_LOGIN_FAILED, "id_token missing");
}

Test(idp_run, token_endpoint_failures_name_their_check)
{
    struct answer down[] = {{0, NULL, NULL, ST_INTERNAL}};
    expect_fail(drive(start("code=abc"), down, 1), IDP_PROVIDER_ERROR,
                "token endpoint unreachable");
    struct answer err[] = {OK("{\"error\":\"bad_verification_code\"}")};
    expect_fail(drive(start("code=abc"), err, 1), IDP_PROVIDER_ERROR, "token endpoint error");
    static const char *const no_token[] = {"{}", "{\"access_token\":5}", "{\"access_token\":\"\"}",
                                           "{\"access_token\":\"a\\r\\nX-Injected: 1\"}"};
    for (size_t i = 0; i < sizeof no_token / sizeof *no_token; i++) {
        struct answer ans[] = {OK(no_token[i])};
        expect_fail(drive(start("code=abc"), ans, 1), IDP_PROVIDER_ERROR, "access_token");
    }
}

/* ---- userinfo ------------------------------------------------------------- */

/* Fills the cache with the issuer's discovery and keys, so a run then
 * asks the token endpoint and userinfo only. */
static void warm(void)
{
    const char *saved = fx.p.profile_url;
    fx.p.profile_url = NULL;
    cr_assert_null(oidc(sign("RS256", "rsa1", claims()))->error);
    fx.p.profile_url = saved;
}

Test(idp_run, userinfo_sub_must_equal_the_id_tokens)
{
    warm();
    fx.p.profile_url = USERINFO_URL;
    static const char *const bad[] = {"{\"sub\":\"mallory\"}", "{\"email\":\"a@b\"}",
                                      "{\"sub\":1}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct answer ans[] = {OK(token_answer(sign("RS256", "rsa1", claims()))), OK(bad[i])};
        expect_fail(drive(start("code=abc"), ans, 2), IDP_LOGIN_FAILED, "userinfo sub");
    }
}

Test(idp_run, userinfo_failures_are_provider_errors)
{
    warm();
    fx.p.profile_url = USERINFO_URL;
    static const struct {
        struct answer a;
        const char *check;
    } cases[] = {
        {{0, NULL, NULL, ST_INTERNAL}, "userinfo unreachable"},
        {{401, JSON, "{\"error\":\"invalid_token\"}", ST_OK}, "userinfo status"},
        {{200, "text/html", "<html></html>", ST_OK}, "userinfo answer"},
        {{200, "application/jwt", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln", ST_OK}, "userinfo answer"},
        {{200, JSON, "\"alice\"", ST_OK}, "userinfo answer"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct answer ans[] = {OK(token_answer(sign("RS256", "rsa1", claims()))), cases[i].a};
        expect_fail(drive(start("code=abc"), ans, 2), IDP_PROVIDER_ERROR, cases[i].check);
    }
}

Test(idp_run, a_token_type_other_than_bearer_is_not_presented)
{
    warm();
    fx.p.profile_url = USERINFO_URL;
    json_t *t = json_pack("{s:s, s:s, s:s}", "access_token", "at-1", "token_type", "DPoP",
                          "id_token", sign("RS256", "rsa1", claims()));
    char *text = json_dumps(t, JSON_COMPACT);
    struct answer ans[] = {OK(arena_strdup(&fx.a, text))};
    free(text);
    json_decref(t);
    expect_fail(drive(start("code=abc"), ans, 1), IDP_PROVIDER_ERROR, "token_type");
    /* "bearer" in any case is Bearer */
    struct answer lower[] = {
        OK(arena_printf(&fx.a,
                        "{\"access_token\":\"at-1\",\"token_type\":\"bEaReR\",\"id_token\":\"%s\"}",
                        sign("RS256", "rsa1", claims()))),
        OK("{\"sub\":\"alice\"}")};
    cr_expect_null(drive(start("code=abc"), lower, 2)->error);
}

/* ---- oauth2 --------------------------------------------------------------- */

static void oauth2_provider(void)
{
    fx.p.protocol = PROTO_OAUTH2;
    fx.p.profile_url = "https://api.example/user";
    fx.p.token_url = "https://gh.example/login/oauth/access_token";
}

Test(idp_run, oauth2_reads_a_form_encoded_token_answer_and_an_integer_id)
{
    oauth2_provider();
    struct answer ans[] = {
        {200, "application/x-www-form-urlencoded; charset=utf-8",
         "access_token=gho_16C7e42F292c6912E7710c838347Ae178B4a&scope=read%3Auser+user%3Aemail&"
         "token_type=bearer&expires_in=28800&refresh_token=ghr_x",
         ST_OK},
        OK("{\"login\":\"octocat\",\"id\":583231,\"email\":null}")};
    const struct idp_result *res = drive(start("code=abc"), ans, 2);
    cr_assert_null(res->error, "failed: %s", res->check);
    cr_expect_str_eq(res->subject, "583231");
    cr_expect_null(res->extended);
    cr_expect_null(res->issuer);
    cr_expect_str_eq(fx.seen[1].url, "https://api.example/user");
    cr_expect_str_eq(fx.seen[1].auth, "Bearer gho_16C7e42F292c6912E7710c838347Ae178B4a");
    const json_t *ac = res->access_credentials;
    cr_expect_str_eq(json_string_value(json_object_get(ac, "scopes")), "read:user user:email");
    cr_expect_str_eq(json_string_value(json_object_get(ac, "refreshToken")), "ghr_x");
    cr_expect_eq(json_integer_value(json_object_get(ac, "expires")), NOW + 28800);
    cr_expect_null(json_object_get(ac, "idToken"));
    cr_expect_str_eq(json_string_value(json_object_get(res->doc, "login")), "octocat");
}

Test(idp_run, oauth2_subject_follows_the_identifier_mapping)
{
    oauth2_provider();
    fx.p.attribute_map = json_pack("{s:s}", "/identifier", "/data/uid");
    struct answer ans[] = {OK("{\"access_token\":\"t\"}"),
                           OK("{\"id\":1,\"data\":{\"uid\":\"u-42\"}}")};
    const struct idp_result *res = drive(start("code=abc"), ans, 2);
    cr_assert_null(res->error, "failed: %s", res->check);
    cr_expect_str_eq(res->subject, "u-42");
    /* mapped and absent: no fallback to /id */
    struct answer none[] = {OK("{\"access_token\":\"t\"}"), OK("{\"id\":1}")};
    expect_fail(drive(start("code=abc"), none, 2), IDP_LOGIN_FAILED, "subject missing");
}

Test(idp_run, oauth2_without_a_subject_or_profile_url_fails)
{
    oauth2_provider();
    struct answer ans[] = {OK("{\"access_token\":\"t\"}"), OK("{\"name\":\"x\",\"id\":1.5}")};
    expect_fail(drive(start("code=abc"), ans, 2), IDP_LOGIN_FAILED, "subject missing");
    fx.p.profile_url = NULL;
    struct answer one[] = {OK("{\"access_token\":\"t\"}")};
    expect_fail(drive(start("code=abc"), one, 1), IDP_PROVIDER_ERROR, "no profile_url");
}

Test(idp_run, oauth2_ignores_an_id_token)
{
    oauth2_provider();
    struct answer ans[] = {OK("{\"access_token\":\"t\",\"id_token\":\"garbage\"}"),
                           OK("{\"sub\":\"s-1\"}")};
    const struct idp_result *res = drive(start("code=abc"), ans, 2);
    cr_expect_null(res->error, "failed: %s", res->check);
    cr_expect_str_eq(res->subject, "s-1");
}

Test(idp_run, a_provider_of_another_protocol_does_not_run)
{
    fx.p.protocol = "cas";
    expect_fail(drive(start("code=abc"), NULL, 0), IDP_PROVIDER_ERROR, "protocol");
}

Test(idp_run, a_saml_run_without_its_response_fails_without_a_request)
{
    fx.p.protocol = PROTO_SAML2;
    expect_fail(drive(start("code=abc"), NULL, 0), IDP_LOGIN_FAILED,
                "SAMLResponse missing or repeated");
}

Test(idp_run, feeding_without_a_request_changes_nothing)
{
    struct idp_run *r = start("code=abc");
    struct net_response resp = {.st = ST_OK, .status = 200, .body = (char *)"{}", .len = 2};
    idp_run_feed(r, &resp); /* nothing was asked: ignored */
    struct net_request req;
    cr_assert_eq(idp_run_step(r, &req), IDP_FETCH);
    cr_expect_str_eq(req.url, TOKEN_URL);
    idp_run_feed(r, NULL); /* a lost answer is a transfer that failed */
    cr_assert_eq(idp_run_step(r, &req), IDP_DONE);
    expect_fail(idp_run_result(r), IDP_PROVIDER_ERROR, "token endpoint unreachable");
}

/* ---- what a hostile IdP's answers may cost ------------------------------- */

/* A JSON object of exactly size bytes: members (object text without the
 * braces, maybe "") and a "pad" string filling the rest. */
static const char *sized(const char *members, size_t size)
{
    size_t fixed = strlen("{\"pad\":\"\"}") + (*members ? strlen(members) + 1 : 0);
    cr_assert_geq(size, fixed);
    char *s = arena_alloc(&fx.a, size + 1);
    int n = snprintf(s, size + 1, "{%s%s\"pad\":\"", members, *members ? "," : "");
    memset(s + n, 'x', size - fixed);
    memcpy(s + n + (size - fixed), "\"}", 3);
    cr_assert_eq(strlen(s), size);
    return s;
}

/* The members of a good token answer for an id_token of claims(). */
static const char *token_members(void)
{
    return arena_printf(&fx.a, "\"access_token\":\"at-1\",\"id_token\":\"%s\"",
                        sign("RS256", "rsa1", claims()));
}

Test(idp_run, a_token_answer_over_64_kib_is_refused_unread)
{
    const char *members = token_members();
    static const size_t sizes[] = {IDP_ANSWER_MAX + 1, 65 * 1024, 1024 * 1024};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        struct answer ans[] = {OK(sized(members, sizes[i]))};
        expect_fail(drive(start("code=abc"), ans, 1), IDP_PROVIDER_ERROR, "token answer too large");
    }
    /* form-encoded, and cut at net/'s own cap */
    const char *form = arena_printf(&fx.a, "access_token=at-1&pad=%s", sized("", 65 * 1024));
    struct answer f[] = {{200, MEDIA_FORM, form, ST_OK}};
    expect_fail(drive(start("code=abc"), f, 1), IDP_PROVIDER_ERROR, "token answer too large");
    struct answer cut[] = {{0, NULL, NULL, ST_TOO_LARGE}};
    expect_fail(drive(start("code=abc"), cut, 1), IDP_PROVIDER_ERROR, "token answer too large");
    /* an error status is the status: its big body is not read, nor retried */
    struct answer e[] = {{401, JSON, sized("\"error\":\"invalid_client\"", 65 * 1024), ST_OK}};
    expect_fail(drive(start("code=abc"), e, 1), IDP_PROVIDER_ERROR, "token endpoint status");
    /* exactly the cap still reads */
    struct answer cap[] = {OK(sized(members, IDP_ANSWER_MAX)), OK(DISCOVERY), OK(fx.jwks)};
    const struct idp_result *res = drive(start("code=abc"), cap, 3);
    cr_expect_null(res->error, "failed: %s", res->check);
}

/* A token answer with every member a run uses and costly ones it does
 * not: a 24 KiB string and an array of 10,000 zeros (a tree ~20 times
 * its text), within the cap. */
static const char *padded_token_answer(const char *id_token)
{
    json_t *zeros = json_array();
    for (int i = 0; i < 10000; i++)
        json_array_append_new(zeros, json_integer(0));
    json_t *t = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:s%, s:o}", "access_token", "at-1",
                          "token_type", "Bearer", "expires_in", 3600, "scope", "openid email",
                          "refresh_token", "rt-1", "id_token", id_token, "junk",
                          sized("", 24 * 1024), (size_t)24 * 1024, "zeros", zeros);
    cr_assert_not_null(t);
    char *text = json_dumps(t, JSON_COMPACT);
    json_decref(t);
    cr_assert_lt(strlen(text), IDP_ANSWER_MAX);
    const char *out = arena_strdup(&fx.a, text);
    free(text);
    return out;
}

Test(idp_run, a_token_answer_under_the_cap_keeps_only_the_members_it_uses)
{
    fx.p.profile_url = USERINFO_URL;
    const char *id_token = sign("RS256", "rsa1", claims());
    struct answer ans[] = {OK(padded_token_answer(id_token)), OK(DISCOVERY), OK(fx.jwks),
                           OK("{\"sub\":\"alice\"}")};
    struct idp_run *r = start("code=abc");
    const struct idp_result *res = drive(r, ans, 4);
    cr_assert_null(res->error, "failed: %s", res->check);
    cr_expect_str_eq(fx.seen[3].auth, "Bearer at-1");
    /* what the run kept: the six members, copied; nothing of junk or zeros */
    cr_expect_str_eq(r->tok.access, "at-1");
    cr_expect_str_eq(r->tok.type, "Bearer");
    cr_expect_str_eq(r->tok.scope, "openid email");
    cr_expect_str_eq(r->tok.refresh, "rt-1");
    cr_expect_str_eq(r->tok.id_token, id_token);
    cr_expect_eq(r->tok.expires_in, 3600);
    const json_t *ac = res->access_credentials;
    cr_expect_eq(json_object_size(ac), 5);
    cr_expect_str_eq(json_string_value(json_object_get(ac, "accessToken")), "at-1");
    cr_expect_eq(json_integer_value(json_object_get(ac, "expires")), NOW + 3600);
    cr_expect_str_eq(json_string_value(json_object_get(ac, "refreshToken")), "rt-1");
    cr_expect_str_eq(json_string_value(json_object_get(ac, "idToken")), id_token);
    cr_expect_str_eq(json_string_value(json_object_get(ac, "scopes")), "openid email");
    cr_expect_null(json_object_get(res->doc, "junk"));
    cr_expect_null(json_object_get(res->doc, "zeros"));
}

Test(idp_run, an_oauth2_token_answer_keeps_only_the_members_it_uses_too)
{
    oauth2_provider();
    struct answer ans[] = {{200, MEDIA_FORM,
                            "access_token=gho_1&token_type=bearer&junk=zzz&expires_in=99999999999",
                            ST_OK},
                           OK("{\"id\":7}")};
    struct idp_run *r = start("code=abc");
    const struct idp_result *res = drive(r, ans, 2);
    cr_assert_null(res->error, "failed: %s", res->check);
    cr_expect_str_eq(r->tok.access, "gho_1");
    cr_expect_null(r->tok.id_token);
    cr_expect_null(r->tok.refresh);
    cr_expect_eq(r->tok.expires_in, -1, "eleven digits are no integer");
    cr_expect_eq(json_object_size(res->access_credentials), 1);
}

/* The answers of a run whose discovery answer is disc. */
#define DISCOVERED(disc)                                                                           \
    {                                                                                              \
        OK(token_answer(sign("RS256", "rsa1", claims()))), OK(disc)                                \
    }

static bool discovery_cached(void)
{
    struct idp_discovery d;
    return idp_cache_discovery_find(fx.cache, ISS, NOW, &fx.a, &d);
}

/* After a discovery answer was refused: nothing cached, and the next run
 * fetches discovery again and signs in. */
static void next_run_fetches_discovery(void)
{
    cr_expect_not(discovery_cached(), "a refused discovery document is not cached");
    struct answer ans[] = {OK(token_answer(sign("RS256", "rsa1", claims()))), OK(DISCOVERY),
                           OK(fx.jwks)};
    const struct idp_result *res = drive(start("code=abc"), ans, 3);
    cr_expect_null(res->error, "failed: %s", res->check);
    cr_expect_str_eq(fx.seen[1].url, DISCOVERY_URL);
    cr_expect(discovery_cached(), "a good one is");
}

Test(idp_run, a_discovery_with_an_over_long_token_endpoint_fails_and_is_not_cached)
{
    /* an https URL of 2049 bytes: one over IDP_URL_MAX */
    const char *base = TOKEN_URL "/";
    char *url = arena_alloc(&fx.a, IDP_URL_MAX + 2);
    memset(url, 'a', IDP_URL_MAX + 1);
    memcpy(url, base, strlen(base));
    fx.p.token_url = url; /* even when it is the provider's own */
    struct answer ans[] = DISCOVERED(arena_printf(
        &fx.a, "{\"issuer\":\"" ISS "\",\"token_endpoint\":\"%s\",\"jwks_uri\":\"" JWKS_URL "\"}",
        url));
    expect_fail(drive(start("code=abc"), ans, 2), IDP_PROVIDER_ERROR, "discovery answer");
    fx.p.token_url = TOKEN_URL;
    next_run_fetches_discovery();
}

Test(idp_run, a_discovery_naming_another_token_endpoint_is_not_cached)
{
    struct answer ans[] =
        DISCOVERED("{\"issuer\":\"" ISS "\",\"token_endpoint\":\"https://evil.example/"
                   "token\",\"jwks_uri\":\"" JWKS_URL "\"}");
    expect_fail(drive(start("code=abc"), ans, 2), IDP_LOGIN_FAILED, "discovery token_endpoint");
    next_run_fetches_discovery();
}

Test(idp_run, a_discovery_answer_over_64_kib_is_refused_unread)
{
    const char *members =
        "\"issuer\":\"" ISS "\",\"token_endpoint\":\"" TOKEN_URL "\",\"jwks_uri\":\"" JWKS_URL "\"";
    struct answer big[] = DISCOVERED(sized(members, IDP_ANSWER_MAX + 1));
    expect_fail(drive(start("code=abc"), big, 2), IDP_PROVIDER_ERROR, "discovery answer too large");
    struct answer cut[] = {OK(token_answer(sign("RS256", "rsa1", claims()))),
                           {0, NULL, NULL, ST_TOO_LARGE}};
    expect_fail(drive(start("code=abc"), cut, 2), IDP_PROVIDER_ERROR, "discovery answer too large");
    struct answer status[] = {OK(token_answer(sign("RS256", "rsa1", claims()))),
                              {404, "text/html", sized("", IDP_ANSWER_MAX + 1), ST_OK}};
    expect_fail(drive(start("code=abc"), status, 2), IDP_PROVIDER_ERROR, "discovery status");
    cr_expect_not(discovery_cached());
    struct answer cap[] = {OK(token_answer(sign("RS256", "rsa1", claims()))),
                           OK(sized(members, IDP_ANSWER_MAX)), OK(fx.jwks)};
    cr_expect_null(drive(start("code=abc"), cap, 3)->error, "exactly the cap reads");
}

Test(idp_run, a_key_set_over_256_kib_is_refused_unread)
{
    /* the fixture's set with a pad member: its text without the braces */
    const char *keys = arena_strndup(&fx.a, fx.jwks + 1, strlen(fx.jwks) - 2);
    struct answer big[] = {OK(token_answer(sign("RS256", "rsa1", claims()))), OK(DISCOVERY),
                           OK(sized(keys, IDP_JWKS_MAX + 1))};
    expect_fail(drive(start("code=abc"), big, 3), IDP_PROVIDER_ERROR, "jwks answer too large");
    idp_cache_free(fx.cache);
    fx.ctx.cache = fx.cache = idp_cache_new();
    struct answer cut[] = {OK(token_answer(sign("RS256", "rsa1", claims()))),
                           OK(DISCOVERY),
                           {0, NULL, NULL, ST_TOO_LARGE}};
    expect_fail(drive(start("code=abc"), cut, 3), IDP_PROVIDER_ERROR, "jwks answer too large");
    idp_cache_free(fx.cache);
    fx.ctx.cache = fx.cache = idp_cache_new();
    struct answer cap[] = {OK(token_answer(sign("RS256", "rsa1", claims()))), OK(DISCOVERY),
                           OK(sized(keys, IDP_JWKS_MAX))};
    const struct idp_result *res = drive(start("code=abc"), cap, 3);
    cr_expect_null(res->error, "exactly the cap reads: %s", res->check);
}

Test(idp_run, a_userinfo_answer_over_64_kib_is_refused_unread)
{
    warm();
    fx.p.profile_url = USERINFO_URL;
    const char *t = token_answer(sign("RS256", "rsa1", claims()));
    struct answer big[] = {OK(t), OK(sized("\"sub\":\"alice\"", IDP_ANSWER_MAX + 1))};
    expect_fail(drive(start("code=abc"), big, 2), IDP_PROVIDER_ERROR, "userinfo answer too large");
    struct answer cut[] = {OK(t), {0, NULL, NULL, ST_TOO_LARGE}};
    expect_fail(drive(start("code=abc"), cut, 2), IDP_PROVIDER_ERROR, "userinfo answer too large");
    struct answer cap[] = {OK(t), OK(sized("\"sub\":\"alice\"", IDP_ANSWER_MAX))};
    cr_expect_null(drive(start("code=abc"), cap, 2)->error, "exactly the cap reads");
    /* oauth2 the same */
    oauth2_provider();
    struct answer o[] = {OK("{\"access_token\":\"t\"}"), OK(sized("\"id\":1", 65 * 1024))};
    expect_fail(drive(start("code=abc"), o, 2), IDP_PROVIDER_ERROR, "userinfo answer too large");
}

Test(idp_run, a_run_waiting_for_an_answer_holds_no_parsed_id_token)
{
    fx.p.profile_url = USERINFO_URL;
    /* 20,000 zeros in a claim: a tree of ~1 MB from 40 KB of text */
    json_t *zeros = json_array();
    for (int i = 0; i < 20000; i++)
        json_array_append_new(zeros, json_integer(0));
    const char *answers[] = {token_answer(sign("RS256", "rsa1", claims_with("pad", zeros))),
                             DISCOVERY, fx.jwks, "{\"sub\":\"alice\"}"};
    struct idp_run *r = start("code=abc");
    struct net_request req;
    for (size_t i = 0; i < sizeof answers / sizeof *answers; i++) {
        cr_assert_eq(idp_run_step(r, &req), IDP_FETCH, "request %zu", i + 1);
        cr_expect_null(r->jws.claims, "waiting for answer %zu", i + 1);
        cr_expect_null(r->jws.signing_input);
        struct net_response resp = {.st = ST_OK, .status = 200, .len = strlen(answers[i])};
        resp.body = xstrdup(answers[i]);
        strcpy(resp.content_type, JSON);
        idp_run_feed(r, &resp);
        free(resp.body);
    }
    cr_assert_eq(idp_run_step(r, &req), IDP_DONE);
    const struct idp_result *res = idp_run_result(r);
    cr_assert_null(res->error, "failed: %s", res->check);
    cr_expect_eq(json_array_size(json_object_get(res->doc, "pad")), 20000, "read again at the end");
}
