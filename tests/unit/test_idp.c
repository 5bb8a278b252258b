/* SPDX-License-Identifier: MIT */
/*
 * The sign-in run of idp/ (SPEC §7.4) driven by recorded answers: id_tokens
 * signed here with RS256, PS256, ES256, EdDSA and HS256, each check of the
 * id_token failing alone, key rotation and its refetch limit, the
 * client_secret_post retry, userinfo, oauth2 subjects, and IdP answers
 * that are not what the protocol says. No network: the test answers every
 * request the run asks for, and asserts how many it asked.
 */
#include <criterion/criterion.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "idp/idp.h"
#include "model/model.h"

#include "idp_keys.h"

#define NOW 1700000000
#define ISS "https://idp.example"
#define CLIENT_ID "client-1"
#define SECRET "s3cr3t"
#define NONCE "n-0S6_WzA2Mj"
#define TOKEN_URL "https://idp.example/token"
#define USERINFO_URL "https://idp.example/userinfo"
#define JWKS_URL "https://idp.example/jwks"
#define DISCOVERY_URL ISS "/.well-known/openid-configuration"
#define DISCOVERY                                                                                  \
    "{\"issuer\":\"" ISS "\",\"token_endpoint\":\"" TOKEN_URL "\",\"jwks_uri\":\"" JWKS_URL "\"}"
#define JSON "application/json"

/* One recorded answer; st != ST_OK is a transfer that failed. */
struct answer {
    long status;
    const char *ctype;
    const char *body;
    enum st st;
};
#define OK(body)                                                                                   \
    {                                                                                              \
        200, JSON, (body), ST_OK                                                                   \
    }

/* A request the run asked for, copied. */
struct seen {
    const char *method, *url, *body, *auth, *accept, *ctype;
};

static struct {
    struct arena a;
    struct idp_cache *cache;
    struct idp_provider p;
    struct idp_flow f;
    struct idp_ctx ctx;
    struct form params;
    struct idp_run *runs[16];
    int nruns;
    gnutls_privkey_t rsa, ec, ed;
    const char *jwks; /* rsa1, ec1, ed1 */
    struct seen seen[8];
    int nseen;
} fx;

static gnutls_privkey_t load(const char *pem)
{
    gnutls_privkey_t k;
    gnutls_datum_t d = {(unsigned char *)pem, (unsigned)strlen(pem)};
    cr_assert_geq(gnutls_privkey_init(&k), 0);
    cr_assert_geq(gnutls_privkey_import_x509_raw(k, &d, GNUTLS_X509_FMT_PEM, NULL, 0), 0);
    return k;
}

static const char *b64url(const void *in, size_t n)
{
    char *out = arena_alloc(&fx.a, 4 * ((n + 2) / 3) + 1);
    util_b64url_encode(out, in, n);
    return out;
}

/* d as exactly size bytes (a big-endian number: zeros added or dropped on
 * the left), Base64url. */
static const char *b64url_fixed(const gnutls_datum_t *d, size_t size)
{
    unsigned char buf[66] = {0};
    size_t n = d->size;
    const unsigned char *p = d->data;
    while (n > size && *p == 0) {
        p++;
        n--;
    }
    cr_assert_leq(n, size);
    memcpy(buf + size - n, p, n);
    return b64url(buf, size);
}

/* The public JWK of k, with kid. */
static json_t *jwk_of(gnutls_privkey_t k, const char *kid)
{
    gnutls_pubkey_t pk;
    cr_assert_geq(gnutls_pubkey_init(&pk), 0);
    cr_assert_geq(gnutls_pubkey_import_privkey(pk, k, 0, 0), 0);
    json_t *j = json_pack("{s:s}", "kid", kid);
    gnutls_datum_t a = {0}, b = {0};
    gnutls_ecc_curve_t curve;
    int alg = gnutls_pubkey_get_pk_algorithm(pk, NULL);
    if (alg == GNUTLS_PK_RSA) {
        cr_assert_geq(gnutls_pubkey_export_rsa_raw2(pk, &a, &b, GNUTLS_EXPORT_FLAG_NO_LZ), 0);
        json_object_set_new(j, "kty", json_string("RSA"));
        json_object_set_new(j, "n", json_string(b64url(a.data, a.size)));
        json_object_set_new(j, "e", json_string(b64url(b.data, b.size)));
    } else if (alg == GNUTLS_PK_ECDSA) {
        cr_assert_geq(gnutls_pubkey_export_ecc_raw2(pk, &curve, &a, &b, 0), 0);
        json_object_set_new(j, "kty", json_string("EC"));
        json_object_set_new(j, "crv", json_string("P-256"));
        json_object_set_new(j, "x", json_string(b64url_fixed(&a, 32)));
        json_object_set_new(j, "y", json_string(b64url_fixed(&b, 32)));
    } else {
        cr_assert_geq(gnutls_pubkey_export_ecc_raw2(pk, &curve, &a, NULL, 0), 0);
        json_object_set_new(j, "kty", json_string("OKP"));
        json_object_set_new(j, "crv", json_string("Ed25519"));
        json_object_set_new(j, "x", json_string(b64url(a.data, a.size)));
    }
    gnutls_free(a.data);
    gnutls_free(b.data);
    gnutls_pubkey_deinit(pk);
    return j;
}

/* A JWK Set of the given keys (NULL-terminated pairs key, kid). */
static const char *jwks_of(gnutls_privkey_t k1, const char *kid1, gnutls_privkey_t k2,
                           const char *kid2, gnutls_privkey_t k3, const char *kid3)
{
    json_t *keys = json_array();
    json_array_append_new(keys, jwk_of(k1, kid1));
    if (k2)
        json_array_append_new(keys, jwk_of(k2, kid2));
    if (k3)
        json_array_append_new(keys, jwk_of(k3, kid3));
    json_t *set = json_pack("{s:o}", "keys", keys);
    char *s = json_dumps(set, JSON_COMPACT);
    const char *out = arena_strdup(&fx.a, s);
    free(s);
    json_decref(set);
    return out;
}

/* The compact JWS of claims with header {"alg", "kid"} (kid may be NULL),
 * signed as alg says: RS256/PS256 with the RSA key, ES256 with the EC
 * key, EdDSA with the Ed25519 key, HS256 with hkey; "none" unsigned. */
static const char *sign_with(const char *alg, const char *kid, json_t *claims, const void *hkey,
                             size_t hlen)
{
    json_t *h = json_pack("{s:s}", "alg", alg);
    if (kid)
        json_object_set_new(h, "kid", json_string(kid));
    char *hs = json_dumps(h, JSON_COMPACT), *cs = json_dumps(claims, JSON_COMPACT);
    const char *input =
        arena_printf(&fx.a, "%s.%s", b64url(hs, strlen(hs)), b64url(cs, strlen(cs)));
    free(hs);
    free(cs);
    json_decref(h);
    json_decref(claims);
    gnutls_datum_t data = {(unsigned char *)input, (unsigned)strlen(input)}, sig = {0};
    const char *out = NULL;
    if (!strcmp(alg, "none")) {
        return arena_printf(&fx.a, "%s.", input);
    } else if (!strcmp(alg, "HS256")) {
        unsigned char mac[32];
        cr_assert_geq(gnutls_hmac_fast(GNUTLS_MAC_SHA256, hkey, hlen, data.data, data.size, mac),
                      0);
        out = b64url(mac, sizeof mac);
    } else if (!strcmp(alg, "ES256")) {
        cr_assert_geq(gnutls_privkey_sign_data2(fx.ec, GNUTLS_SIGN_ECDSA_SHA256, 0, &data, &sig),
                      0);
        gnutls_datum_t r = {0}, s = {0};
        cr_assert_geq(gnutls_decode_rs_value(&sig, &r, &s), 0);
        out = arena_printf(&fx.a, "%s", b64url_fixed(&r, 32));
        const char *rs = b64url_fixed(&s, 32);
        unsigned char raw[64];
        cr_assert(util_b64url_decode(raw, 32, out, strlen(out)));
        cr_assert(util_b64url_decode(raw + 32, 32, rs, strlen(rs)));
        out = b64url(raw, sizeof raw);
        gnutls_free(r.data);
        gnutls_free(s.data);
    } else {
        gnutls_privkey_t k = !strcmp(alg, "EdDSA") ? fx.ed : fx.rsa;
        gnutls_sign_algorithm_t a = !strcmp(alg, "EdDSA")   ? GNUTLS_SIGN_EDDSA_ED25519
                                    : !strcmp(alg, "PS256") ? GNUTLS_SIGN_RSA_PSS_RSAE_SHA256
                                                            : GNUTLS_SIGN_RSA_SHA256;
        cr_assert_geq(gnutls_privkey_sign_data2(k, a, 0, &data, &sig), 0);
        out = b64url(sig.data, sig.size);
    }
    gnutls_free(sig.data);
    return arena_printf(&fx.a, "%s.%s", input, out);
}

static const char *sign(const char *alg, const char *kid, json_t *claims)
{
    return sign_with(alg, kid, claims, SECRET, strlen(SECRET));
}

/* The claims of a good id_token for the fixture's run. */
static json_t *claims(void)
{
    return json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "iss", ISS, "sub", "alice", "aud", CLIENT_ID,
                     "exp", (json_int_t)fx.ctx.now + 300, "iat", (json_int_t)fx.ctx.now, "nonce",
                     NONCE);
}

/* claims() with member key set to v (taken), or removed when v is NULL. */
static json_t *claims_with(const char *key, json_t *v)
{
    json_t *c = claims();
    if (v)
        json_object_set_new(c, key, v);
    else
        json_object_del(c, key);
    return c;
}

/* A token endpoint answer (JSON) carrying id_token (may be NULL). */
static const char *token_answer(const char *id_token)
{
    json_t *t = json_pack("{s:s, s:s, s:i}", "access_token", "at-1", "token_type", "Bearer",
                          "expires_in", 3600);
    if (id_token)
        json_object_set_new(t, "id_token", json_string(id_token));
    char *s = json_dumps(t, JSON_COMPACT);
    const char *out = arena_strdup(&fx.a, s);
    free(s);
    json_decref(t);
    return out;
}

static void setup(void)
{
    cr_assert_eq(util_init(), ST_OK);
    memset(&fx, 0, sizeof fx);
    arena_init(&fx.a);
    fx.rsa = load(TEST_RSA_PEM);
    fx.ec = load(TEST_EC_PEM);
    fx.ed = load(TEST_ED_PEM);
    fx.jwks = jwks_of(fx.rsa, "rsa1", fx.ec, "ec1", fx.ed, "ed1");
    fx.cache = idp_cache_new();
    fx.p = (struct idp_provider){
        .cid = "c1",
        .id = "p1",
        .protocol = PROTO_OIDC,
        .client_id = CLIENT_ID,
        .client_secret = SECRET,
        .secret_len = strlen(SECRET),
        .auth_url = ISS "/authorize",
        .token_url = TOKEN_URL,
        .callback = "https://sg.example/c1.p1/callback",
        .scope = "openid",
        .title = "Example",
    };
    fx.f = (struct idp_flow){.state = "st-1", .verifier = "ver-1", .nonce = NONCE};
    fx.ctx = (struct idp_ctx){.cache = fx.cache, .now = NOW, .skew = 120};
}

static void teardown(void)
{
    for (int i = 0; i < fx.nruns; i++)
        idp_run_free(fx.runs[i]);
    idp_cache_free(fx.cache);
    json_decref(fx.p.attribute_map);
    gnutls_privkey_deinit(fx.rsa);
    gnutls_privkey_deinit(fx.ec);
    gnutls_privkey_deinit(fx.ed);
    arena_cleanup(&fx.a);
}

TestSuite(idp, .init = setup, .fini = teardown);

/* A run of the fixture's provider for the callback parameters params. */
static struct idp_run *start(const char *params)
{
    cr_assert_eq(oauth_form_parse(&fx.a, params, strlen(params), &fx.params, NULL), ST_OK);
    cr_assert_lt(fx.nruns, 16);
    struct idp_run *r = idp_run_new(&fx.ctx, &fx.p, &fx.f, &fx.params);
    fx.runs[fx.nruns++] = r;
    return r;
}

static const char *copy(const char *s)
{
    return s ? arena_strdup(&fx.a, s) : NULL;
}

/* Answers each request of r with the next of ans and asserts that the run
 * ended after asking exactly n requests. */
static const struct idp_result *drive(struct idp_run *r, const struct answer *ans, int n)
{
    struct net_request req;
    fx.nseen = 0;
    while (idp_run_step(r, &req) == IDP_FETCH) {
        cr_assert_lt(fx.nseen, n, "request %d (%s %s) was not expected", fx.nseen + 1, req.method,
                     req.url);
        fx.seen[fx.nseen] =
            (struct seen){copy(req.method),
                          copy(req.url),
                          req.body ? arena_strndup(&fx.a, req.body, req.body_len) : NULL,
                          copy(req.authorization),
                          copy(req.accept),
                          copy(req.content_type)};
        const struct answer *a = &ans[fx.nseen++];
        struct net_response resp = {
            .st = a->st, .why = a->st ? "could not connect" : NULL, .status = a->status};
        if (a->st == ST_OK) {
            resp.body = xstrdup(a->body ? a->body : "");
            resp.len = strlen(resp.body);
            snprintf(resp.content_type, sizeof resp.content_type, "%s", a->ctype ? a->ctype : "");
        }
        idp_run_feed(r, &resp);
        free(resp.body);
    }
    cr_assert_eq(fx.nseen, n, "the run asked %d requests, not %d", fx.nseen, n);
    return idp_run_result(r);
}

/* The check a run with these answers fails, after asserting its error. */
static void expect_fail(const struct idp_result *res, const char *error, const char *check)
{
    cr_assert_not_null(res->error, "the run succeeded; expected %s", check);
    cr_expect_str_eq(res->error, error);
    cr_expect_str_eq(res->check, check);
    cr_expect_not_null(res->description);
    cr_expect_null(res->doc);
}

/* An OIDC run of id_token with the usual answers: token, discovery, keys
 * (the cache emptied first). */
static const struct idp_result *oidc(const char *id_token)
{
    idp_cache_free(fx.cache);
    fx.ctx.cache = fx.cache = idp_cache_new();
    struct answer ans[] = {OK(token_answer(id_token)), OK(DISCOVERY), OK(fx.jwks)};
    return drive(start("code=abc&state=st-1"), ans, 3);
}

/* An OIDC run that fails at the claims or signature: the same answers. */
static void oidc_fails(const char *id_token, const char *check)
{
    expect_fail(oidc(id_token), IDP_LOGIN_FAILED, check);
}

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
                            {0, NULL, NULL, ST_TOO_LARGE}};
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

/* ---- the callback ---------------------------------------------------------- */

Test(idp, idp_errors_end_the_run_without_a_request)
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

Test(idp, the_code_is_form_encoded_in_the_token_request)
{
    struct answer ans[] = {{500, JSON, "{}", ST_OK}};
    expect_fail(drive(start("code=a%2Bb%26c%3Dd+e"), ans, 1), IDP_PROVIDER_ERROR,
                "token endpoint status");
    cr_expect(strstr(fx.seen[0].body, "&code=a%2Bb%26c%3Dd%20e&") != NULL, "%s", fx.seen[0].body);
}

/* ---- the token endpoint ------------------------------------------------ */

Test(idp, invalid_client_is_retried_once_with_client_secret_post)
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

Test(idp, basic_credentials_are_form_encoded_first)
{
    fx.p.client_id = "id:1";
    fx.p.client_secret = "p@ss w+ord";
    fx.p.secret_len = strlen(fx.p.client_secret);
    struct answer ans[] = {{503, "text/html", "down", ST_OK}};
    drive(start("code=abc"), ans, 1);
    /* Base64 of "id%3A1:p%40ss%20w%2Bord" (RFC 6749 §2.3.1) */
    cr_expect_str_eq(fx.seen[0].auth, "Basic aWQlM0ExOnAlNDBzcyUyMHclMkJvcmQ=");
}

Test(idp, token_answers_that_do_not_read_are_provider_errors)
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

Test(idp, token_answers_nested_deeper_than_64_are_refused_before_jansson)
{
    struct answer ans[] = {OK(nested(65))};
    expect_fail(drive(start("code=abc"), ans, 1), IDP_PROVIDER_ERROR, "token answer");
    /* 64 levels still read: the run goes on to the id_token */
    struct answer ok[] = {OK(nested(64))};
    expect_fail(drive(start("code=abc"), ok, 1), IDP_LOGIN_FAILED, "id_token missing");
}

Test(idp, token_endpoint_failures_name_their_check)
{
    struct answer down[] = {{0, NULL, NULL, ST_TOO_LARGE}};
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

Test(idp, userinfo_sub_must_equal_the_id_tokens)
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

Test(idp, userinfo_failures_are_provider_errors)
{
    warm();
    fx.p.profile_url = USERINFO_URL;
    static const struct {
        struct answer a;
        const char *check;
    } cases[] = {
        {{0, NULL, NULL, ST_TOO_LARGE}, "userinfo unreachable"},
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

Test(idp, a_token_type_other_than_bearer_is_not_presented)
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

Test(idp, oauth2_reads_a_form_encoded_token_answer_and_an_integer_id)
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

Test(idp, oauth2_subject_follows_the_identifier_mapping)
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

Test(idp, oauth2_without_a_subject_or_profile_url_fails)
{
    oauth2_provider();
    struct answer ans[] = {OK("{\"access_token\":\"t\"}"), OK("{\"name\":\"x\",\"id\":1.5}")};
    expect_fail(drive(start("code=abc"), ans, 2), IDP_LOGIN_FAILED, "subject missing");
    fx.p.profile_url = NULL;
    struct answer one[] = {OK("{\"access_token\":\"t\"}")};
    expect_fail(drive(start("code=abc"), one, 1), IDP_PROVIDER_ERROR, "no profile_url");
}

Test(idp, oauth2_ignores_an_id_token)
{
    oauth2_provider();
    struct answer ans[] = {OK("{\"access_token\":\"t\",\"id_token\":\"garbage\"}"),
                           OK("{\"sub\":\"s-1\"}")};
    const struct idp_result *res = drive(start("code=abc"), ans, 2);
    cr_expect_null(res->error, "failed: %s", res->check);
    cr_expect_str_eq(res->subject, "s-1");
}

Test(idp, a_provider_of_another_protocol_does_not_run)
{
    fx.p.protocol = PROTO_SAML2;
    expect_fail(drive(start("code=abc"), NULL, 0), IDP_PROVIDER_ERROR, "protocol");
}

Test(idp, feeding_without_a_request_changes_nothing)
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
