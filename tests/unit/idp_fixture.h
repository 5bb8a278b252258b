/* SPDX-License-Identifier: MIT */
/*
 * The fixture of the idp run tests (test_idp.c, test_idp_run.c): an OIDC
 * provider, a flow, a cache, the IdP's signing keys and its JWK Set,
 * id_tokens signed here, and drive(), which answers each request of a run
 * with the next recorded answer and asserts how many the run asked.
 */
#ifndef SG_TEST_IDP_FIXTURE_H
#define SG_TEST_IDP_FIXTURE_H

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

static inline gnutls_privkey_t load(const char *pem)
{
    gnutls_privkey_t k;
    gnutls_datum_t d = {(unsigned char *)pem, (unsigned)strlen(pem)};
    cr_assert_geq(gnutls_privkey_init(&k), 0);
    cr_assert_geq(gnutls_privkey_import_x509_raw(k, &d, GNUTLS_X509_FMT_PEM, NULL, 0), 0);
    return k;
}

static inline const char *b64url(const void *in, size_t n)
{
    char *out = arena_alloc(&fx.a, 4 * ((n + 2) / 3) + 1);
    util_b64url_encode(out, in, n);
    return out;
}

/* d as exactly size bytes (a big-endian number: zeros added or dropped on
 * the left), Base64url. */
static inline const char *b64url_fixed(const gnutls_datum_t *d, size_t size)
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
static inline json_t *jwk_of(gnutls_privkey_t k, const char *kid)
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
static inline const char *jwks_of(gnutls_privkey_t k1, const char *kid1, gnutls_privkey_t k2,
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
static inline const char *sign_with(const char *alg, const char *kid, json_t *claims,
                                    const void *hkey, size_t hlen)
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

static inline const char *sign(const char *alg, const char *kid, json_t *claims)
{
    return sign_with(alg, kid, claims, SECRET, strlen(SECRET));
}

/* The claims of a good id_token for the fixture's run. */
static inline json_t *claims(void)
{
    return json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "iss", ISS, "sub", "alice", "aud", CLIENT_ID,
                     "exp", (json_int_t)fx.ctx.now + 300, "iat", (json_int_t)fx.ctx.now, "nonce",
                     NONCE);
}

/* claims() with member key set to v (taken), or removed when v is NULL. */
static inline json_t *claims_with(const char *key, json_t *v)
{
    json_t *c = claims();
    if (v)
        json_object_set_new(c, key, v);
    else
        json_object_del(c, key);
    return c;
}

/* A token endpoint answer (JSON) carrying id_token (may be NULL). */
static inline const char *token_answer(const char *id_token)
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

/* A run of the fixture's provider for the callback parameters params. */
static inline struct idp_run *start(const char *params)
{
    cr_assert_eq(oauth_form_parse(&fx.a, params, strlen(params), &fx.params, NULL), ST_OK);
    cr_assert_lt(fx.nruns, 16);
    struct idp_run *r = idp_run_new(&fx.ctx, &fx.p, &fx.f, &fx.params);
    fx.runs[fx.nruns++] = r;
    return r;
}

static inline const char *copy(const char *s)
{
    return s ? arena_strdup(&fx.a, s) : NULL;
}

/* Answers each request of r with the next of ans and asserts that the run
 * ended after asking exactly n requests. */
static inline const struct idp_result *drive(struct idp_run *r, const struct answer *ans, int n)
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
static inline void expect_fail(const struct idp_result *res, const char *error, const char *check)
{
    cr_assert_not_null(res->error, "the run succeeded; expected %s", check);
    cr_expect_str_eq(res->error, error);
    cr_expect_str_eq(res->check, check);
    cr_expect_not_null(res->description);
    cr_expect_null(res->doc);
}

/* An OIDC run of id_token with the usual answers: token, discovery, keys
 * (the cache emptied first). */
static inline const struct idp_result *oidc(const char *id_token)
{
    idp_cache_free(fx.cache);
    fx.ctx.cache = fx.cache = idp_cache_new();
    struct answer ans[] = {OK(token_answer(id_token)), OK(DISCOVERY), OK(fx.jwks)};
    return drive(start("code=abc&state=st-1"), ans, 3);
}

/* An OIDC run that fails at the claims or signature: the same answers. */
static inline void oidc_fails(const char *id_token, const char *check)
{
    expect_fail(oidc(id_token), IDP_LOGIN_FAILED, check);
}

#endif
