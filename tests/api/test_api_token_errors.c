/* SPDX-License-Identifier: MIT */
/*
 * In-process: the token service's error answers (SPEC §2, RFC 6749 §5.2),
 * scope intersection, introspection fields and revocation. Cache-Control is
 * added by http/ and so is not visible here; Pragma is.
 */
#include <sodium.h>
#include <stdarg.h>

#include "harness.h"

TestSuite(api_token_errors, .init = t_setup, .fini = t_teardown);

#define TOKEN "/" CID_A "/login/token"
#define INTROSPECT TOKEN "/introspect"
#define REVOKE TOKEN "/revoke"

struct cl {
    char id[CLIENT_ID_LEN + 1];
    char secret[CLIENT_SECRET_LEN + 1];
};

/* "Basic base64(id:secret)" (both already form-safe). */
static void basic(char *out, size_t cap, const struct cl *c)
{
    char raw[128];
    int n = snprintf(raw, sizeof raw, "%s:%s", c->id, c->secret);
    char b64[192];
    sodium_bin2base64(b64, sizeof b64, (const unsigned char *)raw, (size_t)n,
                      sodium_base64_VARIANT_ORIGINAL);
    snprintf(out, cap, "Basic %s", b64);
}

/* POST a form body (printf-style) to path with c's secret in the body. */
__attribute__((format(printf, 4, 5))) static void post(struct t_resp *r, const char *path,
                                                       const struct cl *c, const char *fmt, ...)
{
    char extra[512], body[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(extra, sizeof extra, fmt, ap);
    va_end(ap);
    snprintf(body, sizeof body, "client_id=%s&client_secret=%s%s%s", c->id, c->secret,
             *extra ? "&" : "", extra);
    t_call(r, "POST", path, MEDIA_FORM, NULL, body);
}

static void assert_oauth_error(const struct t_resp *r, int status, const char *code)
{
    cr_assert_eq(r->status, status, "want %d %s, got %d %s", status, code, r->status, r->body);
    cr_assert_str_eq(t_jstr(r->json, "error"), code, "%s", r->body);
}

/* A second client of CID_A with the customer's first policy, via the API. */
static void second_client(const struct cl *admin, struct cl *out)
{
    char tok[OAUTH_TOKEN_LEN + 1], auth[96], body[256];
    t_token(CID_A, admin->id, admin->secret, NULL, tok);
    snprintf(auth, sizeof auth, "Bearer %s", tok);
    struct t_resp r = {0};
    t_call(&r, "GET", "/" CID_A "/config/tokenPolicies", NULL, auth, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *first =
        json_array_get(json_object_get(json_object_get(r.json, "_embedded"), "tokenPolicies"), 0);
    snprintf(body, sizeof body, "{\"name\":\"second\",\"tokenPolicy\":\"%s\"}",
             t_jstr(first, "id"));
    t_call(&r, "POST", "/" CID_A "/config/clients", "application/json", auth, body);
    cr_assert_eq(r.status, 201, "%s", r.body);
    snprintf(out->id, sizeof out->id, "%s", t_jstr(r.json, "id"));
    snprintf(out->secret, sizeof out->secret, "%s", t_jstr(r.json, "secret"));
    t_resp_free(&r);
}

Test(api_token_errors, basic_alone_is_accepted)
{
    struct cl c;
    t_customer(CID_A, "[\"*:**\"]", 3600, c.id, c.secret);
    char auth[256];
    basic(auth, sizeof auth, &c);
    struct t_resp r = {0};
    t_call(&r, "POST", TOKEN, MEDIA_FORM, auth, "grant_type=client_credentials");
    cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
    cr_assert_eq(strlen(t_jstr(r.json, "access_token")), OAUTH_TOKEN_LEN);
    t_resp_free(&r);
}

Test(api_token_errors, basic_plus_client_secret_in_body_is_invalid_request)
{
    struct cl c;
    t_customer(CID_A, "[\"*:**\"]", 3600, c.id, c.secret);
    char auth[256], body[256];
    basic(auth, sizeof auth, &c);
    snprintf(body, sizeof body, "grant_type=client_credentials&client_secret=%s", c.secret);
    struct t_resp r = {0};
    t_call(&r, "POST", TOKEN, MEDIA_FORM, auth, body);
    assert_oauth_error(&r, 400, "invalid_request");
    snprintf(body, sizeof body, "grant_type=client_credentials&client_id=%s&client_secret=%s", c.id,
             c.secret);
    t_call(&r, "POST", TOKEN, MEDIA_FORM, auth, body);
    assert_oauth_error(&r, 400, "invalid_request");
    t_resp_free(&r);
}

Test(api_token_errors, repeated_parameter_is_invalid_request)
{
    struct cl c;
    t_customer(CID_A, "[\"*:**\"]", 3600, c.id, c.secret);
    struct t_resp r = {0};
    post(&r, TOKEN, &c, "grant_type=client_credentials&grant_type=client_credentials");
    assert_oauth_error(&r, 400, "invalid_request");
    post(&r, TOKEN, &c, "grant_type=client_credentials&scope=*:**&scope=*:**");
    assert_oauth_error(&r, 400, "invalid_request");
    t_resp_free(&r);
}

Test(api_token_errors, bad_percent_encoding_is_invalid_request)
{
    struct cl c;
    t_customer(CID_A, "[\"*:**\"]", 3600, c.id, c.secret);
    struct t_resp r = {0};
    post(&r, TOKEN, &c, "grant_type=client_credentials&scope=%%G1");
    assert_oauth_error(&r, 400, "invalid_request");
    post(&r, TOKEN, &c, "grant_type=client_credentials%%2");
    assert_oauth_error(&r, 400, "invalid_request");
    t_resp_free(&r);
}

/* A NUL byte in a value, in a form or a multipart body, never lets the
 * value be read short ("client_credentials%00x" as "client_credentials",
 * a secret with junk after a NUL as the secret). */
Test(api_token_errors, nul_in_a_value_is_invalid_request)
{
    struct cl c;
    t_customer(CID_A, "[\"*:**\"]", 3600, c.id, c.secret);
    struct t_resp r = {0};
    post(&r, TOKEN, &c, "grant_type=client_credentials%%00x");
    assert_oauth_error(&r, 400, "invalid_request");
    post(&r, TOKEN, &c, "grant_type=client_credentials&scope=*:**%%00x");
    assert_oauth_error(&r, 400, "invalid_request");
    char body[512];
    snprintf(body, sizeof body,
             "grant_type=client_credentials&client_id=%s&client_secret=%s%%00junk", c.id, c.secret);
    t_call(&r, "POST", TOKEN, MEDIA_FORM, NULL, body);
    assert_oauth_error(&r, 400, "invalid_request");
    post(&r, INTROSPECT, &c, "token=%%00");
    assert_oauth_error(&r, 400, "invalid_request");

    /* multipart: the same secret with a raw NUL and junk after it */
    int n = snprintf(body, sizeof body,
                     "--b\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\n"
                     "client_credentials\r\n--b\r\nContent-Disposition: form-data; "
                     "name=\"client_id\"\r\n\r\n%s\r\n--b\r\nContent-Disposition: "
                     "form-data; name=\"client_secret\"\r\n\r\n%s@junk\r\n--b--\r\n",
                     c.id, c.secret);
    *strchr(body, '@') = '\0';
    struct api_req req = {.method = "POST",
                          .path = TOKEN,
                          .content_type = "multipart/form-data; boundary=b",
                          .body = body,
                          .body_len = (size_t)n};
    struct api_resp resp;
    struct arena a;
    arena_init(&a);
    api_handle(&T_app.api, &a, &req, &resp);
    cr_expect_eq(resp.status, 400, "%d %.*s", resp.status, (int)resp.body_len, resp.body);
    cr_expect_not_null(memmem(resp.body, resp.body_len, "invalid_request", 15));
    arena_cleanup(&a);
    t_resp_free(&r);
}

Test(api_token_errors, missing_grant_type_is_invalid_request)
{
    struct cl c;
    t_customer(CID_A, "[\"*:**\"]", 3600, c.id, c.secret);
    struct t_resp r = {0};
    post(&r, TOKEN, &c, "scope=*:**");
    assert_oauth_error(&r, 400, "invalid_request");
    post(&r, TOKEN, &c, "grant_type=");
    assert_oauth_error(&r, 400, "invalid_request");
    t_resp_free(&r);
}

Test(api_token_errors, password_grant_is_unsupported_grant_type)
{
    struct cl c;
    t_customer(CID_A, "[\"*:**\"]", 3600, c.id, c.secret);
    struct t_resp r = {0};
    post(&r, TOKEN, &c, "grant_type=password&username=u&password=p");
    assert_oauth_error(&r, 400, "unsupported_grant_type");
    post(&r, TOKEN, &c, "grant_type=CLIENT_CREDENTIALS");
    assert_oauth_error(&r, 400, "unsupported_grant_type");
    t_resp_free(&r);
}

Test(api_token_errors, text_plain_body_is_invalid_request)
{
    struct cl c;
    t_customer(CID_A, "[\"*:**\"]", 3600, c.id, c.secret);
    char body[256];
    snprintf(body, sizeof body, "grant_type=client_credentials&client_id=%s&client_secret=%s", c.id,
             c.secret);
    struct t_resp r = {0};
    t_call(&r, "POST", TOKEN, "text/plain", NULL, body);
    assert_oauth_error(&r, 400, "invalid_request");
    t_call(&r, "POST", TOKEN, NULL, NULL, body);
    assert_oauth_error(&r, 400, "invalid_request");
    t_resp_free(&r);
}

Test(api_token_errors, get_is_405_with_allow_post)
{
    struct cl c;
    t_customer(CID_A, "[\"*:**\"]", 3600, c.id, c.secret);
    const char *const paths[] = {TOKEN, INTROSPECT, REVOKE};
    const char *const methods[] = {"GET", "PUT", "DELETE"};
    struct t_resp r = {0};
    for (size_t i = 0; i < 3; i++)
        for (size_t j = 0; j < 3; j++) {
            t_call(&r, methods[j], paths[i], NULL, NULL, NULL);
            cr_assert_eq(r.status, 405, "%s %s: %d %s", methods[j], paths[i], r.status, r.body);
            cr_assert_str_eq(t_header(&r, "Allow"), "POST", "%s %s", methods[j], paths[i]);
        }
    t_resp_free(&r);
}

Test(api_token_errors, token_and_introspection_answers_carry_pragma_no_cache)
{
    struct cl c;
    t_customer(CID_A, "[\"*:**\"]", 3600, c.id, c.secret);
    struct t_resp r = {0};
    post(&r, TOKEN, &c, "grant_type=client_credentials");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(t_header(&r, "Pragma"), "no-cache");
    cr_assert_null(json_object_get(r.json, "refresh_token"), "%s", r.body);
    char tok[OAUTH_TOKEN_LEN + 1];
    snprintf(tok, sizeof tok, "%s", t_jstr(r.json, "access_token"));
    post(&r, INTROSPECT, &c, "token=%s", tok);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(t_header(&r, "Pragma"), "no-cache");
    t_resp_free(&r);
}

Test(api_token_errors, granted_scope_is_the_intersection_with_the_policy)
{
    struct cl c;
    t_customer(CID_A, "[\"*:**\",\"GET:**\"]", 3600, c.id, c.secret);
    struct t_resp r = {0};
    post(&r, TOKEN, &c, "grant_type=client_credentials&scope=GET:**+nope");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(t_jstr(r.json, "scope"), "GET:**", "%s", r.body);
    json_t *want = json_pack("{s:s,s:i,s:s,s:s}", "access_token", t_jstr(r.json, "access_token"),
                             "expires_in", 3600, "token_type", "Bearer", "scope", "GET:**");
    cr_assert(json_equal(r.json, want), "%s", r.body);
    json_decref(want);
    /* the granted read-only token reads but cannot write */
    char auth[96];
    snprintf(auth, sizeof auth, "Bearer %s", t_jstr(r.json, "access_token"));
    t_call(&r, "GET", "/" CID_A "/config/clients", NULL, auth, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    t_call(&r, "POST", "/" CID_A "/config/tokenPolicies", "application/json", auth,
           "{\"title\":\"t\",\"allowedScopes\":[]}");
    cr_assert_eq(r.status, 403, "%s", r.body);
    cr_assert_str_eq(t_header(&r, "WWW-Authenticate"),
                     "Bearer realm=\"socialgate\", error=\"insufficient_scope\"");
    t_resp_free(&r);
}

Test(api_token_errors, nothing_allowed_requested_gives_token_without_scope_that_is_refused)
{
    struct cl c;
    t_customer(CID_A, "[\"*:**\",\"GET:**\"]", 3600, c.id, c.secret);
    struct t_resp r = {0};
    post(&r, TOKEN, &c, "grant_type=client_credentials&scope=nope");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_null(json_object_get(r.json, "scope"), "%s", r.body);
    cr_assert_str_eq(t_jstr(r.json, "token_type"), "Bearer");
    char auth[96];
    snprintf(auth, sizeof auth, "Bearer %s", t_jstr(r.json, "access_token"));
    cr_assert_eq(strlen(auth), 7 + OAUTH_TOKEN_LEN, "%s", r.body);
    t_call(&r, "GET", "/" CID_A "/config/clients", NULL, auth, NULL);
    cr_assert_eq(r.status, 403, "%d %s", r.status, r.body);
    cr_assert_str_eq(t_jstr(r.json, "error"), "Forbidden");
    cr_assert_str_eq(t_header(&r, "WWW-Authenticate"),
                     "Bearer realm=\"socialgate\", error=\"insufficient_scope\"");
    t_resp_free(&r);
}

Test(api_token_errors, omitted_scope_grants_every_allowed_scope)
{
    struct cl c;
    t_customer(CID_A, "[\"*:**\",\"GET:**\"]", 3600, c.id, c.secret);
    struct t_resp r = {0};
    post(&r, TOKEN, &c, "grant_type=client_credentials");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(t_jstr(r.json, "scope"), "*:** GET:**", "%s", r.body);
    post(&r, TOKEN, &c, "grant_type=client_credentials&scope=");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(t_jstr(r.json, "scope"), "*:** GET:**", "empty scope: %s", r.body);
    t_resp_free(&r);
}

Test(api_token_errors, introspection_reports_the_tokens_facts)
{
    struct cl c;
    t_customer(CID_A, "[\"*:**\",\"GET:**\"]", 600, c.id, c.secret);
    char tok[OAUTH_TOKEN_LEN + 1];
    t_token(CID_A, c.id, c.secret, "GET:**", tok);
    struct t_resp r = {0};
    post(&r, INTROSPECT, &c, "token=%s", tok);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert(json_is_true(json_object_get(r.json, "active")), "%s", r.body);
    cr_assert_str_eq(t_jstr(r.json, "scope"), "GET:**", "%s", r.body);
    cr_assert_str_eq(t_jstr(r.json, "client_id"), c.id, "%s", r.body);
    cr_assert_str_eq(t_jstr(r.json, "token_type"), "Bearer", "%s", r.body);
    json_t *exp = json_object_get(r.json, "exp"), *iat = json_object_get(r.json, "iat");
    cr_assert(json_is_integer(exp) && json_is_integer(iat), "%s", r.body);
    cr_assert_eq(json_integer_value(iat), T_clock, "%s", r.body);
    cr_assert_eq(json_integer_value(exp) - json_integer_value(iat), 600, "%s", r.body);
    /* and inactive once expired */
    T_clock += 600;
    post(&r, INTROSPECT, &c, "token=%s", tok);
    json_t *inactive = json_pack("{s:b}", "active", 0);
    cr_assert(json_equal(r.json, inactive), "expired: %s", r.body);
    post(&r, INTROSPECT, &c, "token=garbage");
    cr_assert(json_equal(r.json, inactive), "garbage: %s", r.body);
    json_decref(inactive);
    t_resp_free(&r);
}

Test(api_token_errors, revocation_by_another_client_is_unauthorized_client)
{
    struct cl owner, other;
    t_customer(CID_A, "[\"*:**\"]", 3600, owner.id, owner.secret);
    second_client(&owner, &other);
    char tok[OAUTH_TOKEN_LEN + 1], auth[96];
    t_token(CID_A, owner.id, owner.secret, NULL, tok);
    snprintf(auth, sizeof auth, "Bearer %s", tok);
    struct t_resp r = {0};
    post(&r, REVOKE, &other, "token=%s", tok);
    assert_oauth_error(&r, 400, "unauthorized_client");
    t_call(&r, "GET", "/" CID_A "/config/clients", NULL, auth, NULL);
    cr_assert_eq(r.status, 200, "revoked by another client: %d %s", r.status, r.body);
    t_resp_free(&r);
}

Test(api_token_errors, revoked_token_is_invalid_token_and_inactive)
{
    struct cl c;
    t_customer(CID_A, "[\"*:**\"]", 3600, c.id, c.secret);
    char tok[OAUTH_TOKEN_LEN + 1], keep[OAUTH_TOKEN_LEN + 1], auth[96];
    t_token(CID_A, c.id, c.secret, NULL, tok);
    t_token(CID_A, c.id, c.secret, NULL, keep);
    snprintf(auth, sizeof auth, "Bearer %s", tok);
    struct t_resp r = {0};
    post(&r, REVOKE, &c, "token=%s", tok);
    cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
    t_call(&r, "GET", "/" CID_A "/config/clients", NULL, auth, NULL);
    cr_assert_eq(r.status, 403, "%d %s", r.status, r.body);
    cr_assert_str_eq(t_header(&r, "WWW-Authenticate"),
                     "Bearer realm=\"socialgate\", error=\"invalid_token\"");
    post(&r, INTROSPECT, &c, "token=%s", tok);
    json_t *inactive = json_pack("{s:b}", "active", 0);
    cr_assert(json_equal(r.json, inactive), "%s", r.body);
    json_decref(inactive);
    /* revoking again is still 200; a sibling token is unaffected */
    post(&r, REVOKE, &c, "token=%s", tok);
    cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
    snprintf(auth, sizeof auth, "Bearer %s", keep);
    t_call(&r, "GET", "/" CID_A "/config/clients", NULL, auth, NULL);
    cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
    t_resp_free(&r);
}

Test(api_token_errors, wrong_secret_and_unknown_customer_get_the_same_401)
{
    struct cl c, wrong;
    t_customer(CID_A, "[\"*:**\"]", 3600, c.id, c.secret);
    wrong = c;
    wrong.secret[0] = wrong.secret[0] == 'A' ? 'B' : 'A';
    struct t_resp r = {0}, u = {0};
    post(&r, TOKEN, &wrong, "grant_type=client_credentials");
    assert_oauth_error(&r, 401, "invalid_client");
    char body[256];
    snprintf(body, sizeof body, "grant_type=client_credentials&client_id=%s&client_secret=%s", c.id,
             c.secret);
    t_call(&u, "POST", "/" CID_B "/login/token", MEDIA_FORM, NULL, body);
    assert_oauth_error(&u, 401, "invalid_client");
    cr_assert_str_eq(r.body, u.body);
    cr_assert_str_eq(t_header(&u, "WWW-Authenticate"), "Basic realm=\"socialgate\"");
    t_resp_free(&r);
    t_resp_free(&u);
}
