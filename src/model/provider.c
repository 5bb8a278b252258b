/* SPDX-License-Identifier: MIT */
/*
 * Custom providers (SPEC §5): validation of the client-set fields per
 * protocol, the server-set members, and the HAL representations. The
 * document is kept as JSON (so patches apply to it directly, and no hidden
 * field is lost in a struct round trip); sealing the secret is not done here.
 */
#include "model_int.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STRING_MAX 4096
#define CERT_MAX (16 * 1024)

static const char *const common_fields[] = {F_TITLE,    F_PROTOCOL,      F_UI,
                                            F_AUTH_URL, F_ATTRIBUTE_MAP, NULL};
static const char *const oauth_fields[] = {F_TOKEN_URL,     F_PROFILE_URL, F_CLIENT_ID,
                                           F_CLIENT_SECRET, F_SCOPES,      NULL};
static const char *const saml_fields[] = {F_IDP_CERTIFICATE, F_AUTHN_CONTEXT, NULL};
/* Engage profile fields, and /identifier: where an oauth2 provider's
 * profile holds the subject (SPEC §7.5) */
static const char *const map_keys[] = {"/email",
                                       "/verifiedEmail",
                                       "/displayName",
                                       "/name/givenName",
                                       "/name/familyName",
                                       "/identifier",
                                       NULL};
static const char *const server_fields[] = {F_ID, F_CREATED_AT, F_UPDATED_AT, F_LINKS, NULL};

static bool in(const char *const *set, const char *key)
{
    for (; *set; set++)
        if (strcmp(*set, key) == 0)
            return true;
    return false;
}

void model_pointer(char *out, size_t cap, const char *parent, const char *key)
{
    size_t o = (size_t)snprintf(out, cap, "%s/", parent);
    for (; *key && o + 3 < cap; key++) {
        if (*key == '~' || *key == '/') {
            out[o++] = '~';
            out[o++] = *key == '~' ? '0' : '1';
        } else {
            out[o++] = *key;
        }
    }
    if (o < cap)
        out[o] = '\0';
}

static void bad(struct err *e, const char *parent, const char *key, const char *reason)
{
    char ptr[96];
    model_pointer(ptr, sizeof ptr, parent, key);
    ERR(e, ST_UNPROCESSABLE, ptr, "%s", reason);
}

/* The URL rule of apps (model_url_parse), https only. */
static bool https_url(const char *s)
{
    struct url_parts p;
    return !model_url_parse(s, &p) && strcmp(p.scheme, "https") == 0;
}

/* A string member: present, a string, within bounds; optionally https. */
static void check_string(const json_t *doc, const char *parent, const char *key, bool required,
                         bool url, struct err *e)
{
    json_t *v = json_object_get(doc, key);
    if (!v) {
        if (required)
            bad(e, parent, key, "required");
        return;
    }
    if (!json_is_string(v))
        bad(e, parent, key, "must be a string");
    else if (json_string_length(v) == 0)
        bad(e, parent, key, "must not be empty");
    else if (json_string_length(v) > STRING_MAX ||
             strlen(json_string_value(v)) != json_string_length(v))
        bad(e, parent, key, "too long, or contains NUL");
    else if (url && !https_url(json_string_value(v)))
        bad(e, parent, key, "must be an https URL");
}

static void check_ui(const json_t *doc, struct err *e)
{
    json_t *ui = json_object_get(doc, F_UI);
    if (!ui)
        return;
    if (!json_is_object(ui)) {
        bad(e, "", F_UI, "must be an object");
        return;
    }
    const char *key;
    json_t *v;
    json_object_foreach(ui, key, v)
    {
        if (strcmp(key, F_TITLE) != 0 && strcmp(key, F_ICON_URL) != 0)
            bad(e, "/" F_UI, key, "unknown field");
    }
    check_string(ui, "/" F_UI, F_TITLE, false, false, e);
    check_string(ui, "/" F_UI, F_ICON_URL, false, true, e);
}

static void check_map(const json_t *doc, struct err *e)
{
    json_t *map = json_object_get(doc, F_ATTRIBUTE_MAP);
    if (!map)
        return;
    if (!json_is_object(map)) {
        bad(e, "", F_ATTRIBUTE_MAP, "must be an object");
        return;
    }
    const char *key;
    json_t *v;
    json_object_foreach(map, key, v)
    {
        if (!in(map_keys, key))
            bad(e, "/attribute_map", key,
                "key must be /email, /verifiedEmail, /displayName, /name/givenName, "
                "/name/familyName or /identifier");
        else if (!json_is_string(v) || json_string_value(v)[0] != '/' ||
                 json_string_length(v) > STRING_MAX)
            bad(e, "/attribute_map", key, "value must be a string starting with /");
    }
}

static void check_scopes(const json_t *doc, struct err *e)
{
    json_t *scopes = json_object_get(doc, F_SCOPES);
    if (!scopes)
        return;
    if (!json_is_array(scopes)) {
        bad(e, "", F_SCOPES, "must be an array of strings");
        return;
    }
    size_t i;
    json_t *v;
    json_array_foreach(scopes, i, v)
    {
        if (!json_is_string(v) || json_string_length(v) > STRING_MAX) {
            char idx[24];
            snprintf(idx, sizeof idx, "%zu", i);
            bad(e, "/scopes", idx, "must be a string");
        }
    }
}

/* Significant bytes of a big-endian integer. */
static unsigned significant(const gnutls_datum_t *d)
{
    unsigned i = 0;
    while (i < d->size && d->data[i] == 0)
        i++;
    return d->size - i;
}

/* True when crt's key checks a signature at a bounded cost and strength:
 * RSA of 2048 to 8192 bits with a public exponent under 2^32 (OpenSSL
 * bounds the exponent only past 3072 bits: a 3000-bit one made each check
 * cost milliseconds), or ECDSA on P-256, P-384 or P-521. */
static bool key_ok(gnutls_x509_crt_t crt)
{
    unsigned bits = 0;
    int alg = gnutls_x509_crt_get_pk_algorithm(crt, &bits);
    if (alg == GNUTLS_PK_RSA) {
        gnutls_datum_t m = {0}, ex = {0};
        if (gnutls_x509_crt_get_pk_rsa_raw(crt, &m, &ex) < 0)
            return false;
        bool ok = bits >= 2048 && bits <= 8192 && significant(&ex) <= 4;
        gnutls_free(m.data);
        gnutls_free(ex.data);
        return ok;
    }
    if (alg == GNUTLS_PK_ECDSA) {
        gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
        gnutls_datum_t x = {0}, y = {0};
        if (gnutls_x509_crt_get_pk_ecc_raw(crt, &curve, &x, &y) < 0)
            return false;
        gnutls_free(x.data);
        gnutls_free(y.data);
        return curve == GNUTLS_ECC_CURVE_SECP256R1 || curve == GNUTLS_ECC_CURVE_SECP384R1 ||
               curve == GNUTLS_ECC_CURVE_SECP521R1;
    }
    return false;
}

/* True when b64 (whitespace allowed) is the Base64 of a DER certificate
 * whose key passes key_ok. */
static bool certificate_ok(const char *b64)
{
    char clean[CERT_MAX * 4 / 3 + 8];
    size_t n = 0;
    for (const char *p = b64; *p; p++) {
        if (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
            continue;
        if (n + 1 >= sizeof clean)
            return false;
        clean[n++] = *p;
    }
    unsigned char *buf = n ? xmalloc(n) : NULL;
    long len = n ? util_b64_decode(buf, n, clean, n) : -1;
    bool ok = false;
    if (len > 0) {
        gnutls_x509_crt_t crt;
        gnutls_datum_t d = {.data = buf, .size = (unsigned)len};
        if (gnutls_x509_crt_init(&crt) == GNUTLS_E_SUCCESS) {
            ok = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) == GNUTLS_E_SUCCESS &&
                 key_ok(crt);
            gnutls_x509_crt_deinit(crt);
        }
    }
    free(buf);
    return ok;
}

static void check_family(const json_t *doc, bool saml, struct err *e)
{
    if (saml) {
        check_string(doc, "", F_IDP_CERTIFICATE, true, false, e);
        json_t *cert = json_object_get(doc, F_IDP_CERTIFICATE);
        if (json_is_string(cert) && json_string_length(cert) > 0 &&
            !certificate_ok(json_string_value(cert)))
            bad(e, "", F_IDP_CERTIFICATE,
                "must be the Base64 DER of an X.509 certificate with an RSA key of 2048 to 8192 "
                "bits (public exponent under 2^32) or an ECDSA key on P-256, P-384 or P-521");
        json_t *ctx = json_object_get(doc, F_AUTHN_CONTEXT);
        if (ctx && !json_is_object(ctx))
            bad(e, "", F_AUTHN_CONTEXT, "must be an object");
        return;
    }
    check_string(doc, "", F_TOKEN_URL, true, true, e);
    check_string(doc, "", F_PROFILE_URL, false, true, e);
    check_string(doc, "", F_CLIENT_ID, true, false, e);
    check_string(doc, "", F_CLIENT_SECRET, true, false, e);
    check_scopes(doc, e);
}

enum st provider_validate(const json_t *doc, struct err *e)
{
    if (!json_is_object(doc))
        return ERR(e, ST_INVALID, "", "body must be a JSON object");
    struct err local = {0};
    json_t *proto = json_object_get(doc, F_PROTOCOL);
    const char *p = json_is_string(proto) ? json_string_value(proto) : NULL;
    bool saml = p && !strcmp(p, PROTO_SAML2);
    bool known = p && (saml || !strcmp(p, PROTO_OIDC) || !strcmp(p, PROTO_OAUTH2));
    if (!proto)
        bad(&local, "", F_PROTOCOL, "required");
    else if (!known)
        bad(&local, "", F_PROTOCOL, "must be openidconnect, oauth2 or saml2");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)doc, key, v)
    {
        bool ok = in(common_fields, key) || (known && in(saml ? saml_fields : oauth_fields, key)) ||
                  (!known && (in(oauth_fields, key) || in(saml_fields, key)));
        if (!ok)
            bad(&local, "", key, "unknown field for this protocol");
    }
    model_json_bound(doc, &MODEL_JSON_BOUNDS, "", &local);
    check_string(doc, "", F_TITLE, true, false, &local);
    check_string(doc, "", F_AUTH_URL, true, true, &local);
    check_ui(doc, &local);
    check_map(doc, &local);
    if (known)
        check_family(doc, saml, &local);
    if (local.st != ST_OK && e)
        *e = local;
    return local.st;
}

void provider_strip_server(json_t *doc)
{
    for (const char *const *f = server_fields; *f; f++)
        json_object_del(doc, *f);
}

const char *provider_server_changed(const json_t *before, const json_t *after)
{
    for (const char *const *f = server_fields; *f; f++) {
        json_t *a = json_object_get(before, *f), *b = json_object_get(after, *f);
        if ((a == NULL) != (b == NULL) || (a && !json_equal(a, b)))
            return *f;
    }
    return NULL;
}

static json_t *link(const char *href)
{
    return json_pack("{s:s}", F_HREF, href);
}

json_t *provider_to_json(const json_t *doc, const struct provider_meta *m,
                         const struct provider_links *l)
{
    json_t *o = json_object();
    json_object_set_new(o, F_LINKS,
                        json_pack("{s:o,s:o,s:o}", F_SELF, link(l->self), F_COLLECTION,
                                  link(l->collection), F_CALLBACK, link(l->callback)));
    json_object_set_new(o, F_ID, json_string(m->id));
    json_object_set_new(o, F_CREATED_AT, json_string(m->created_at));
    json_object_set_new(o, F_UPDATED_AT, json_string(m->updated_at));
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)doc, key, v)
    {
        if (!in(server_fields, key))
            json_object_set_new(o, key, json_deep_copy(v));
    }
    return o;
}

json_t *provider_summary(const json_t *doc)
{
    json_t *o = json_object();
    static const char *const shown[] = {F_PROTOCOL, F_TITLE, F_UI};
    for (size_t i = 0; i < sizeof shown / sizeof *shown; i++) {
        json_t *v = json_object_get(doc, shown[i]);
        if (v)
            json_object_set_new(o, shown[i], json_deep_copy(v));
    }
    return o;
}
