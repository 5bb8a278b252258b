/* SPDX-License-Identifier: MIT */
/*
 * saml: the enveloped signature of the Response or the Assertion, checked
 * first by its shape (one Reference to its own parent, allow-listed
 * algorithms and transforms), then by xmlsec with the pinned key alone,
 * and confirmed afterwards from xmlsec's own record of the reference it
 * digested.
 */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <xmlsec/xmlsec.h>
/* after xmlsec.h, which they need */
#include <xmlsec/crypto.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/xmldsig.h>

#include "saml_int.h"

#define ALG_EXC_C14N "http://www.w3.org/2001/10/xml-exc-c14n#"
#define ALG_EXC_C14N_COMMENTS "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"
#define ALG_ENVELOPED "http://www.w3.org/2000/09/xmldsig#enveloped-signature"

static const char *const digests[] = {
    "http://www.w3.org/2001/04/xmlenc#sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512",
    NULL,
};
static const char *const signatures[] = {
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
    NULL,
};
static const char *const sha1_digests[] = {"http://www.w3.org/2000/09/xmldsig#sha1", NULL};
static const char *const sha1_signatures[] = {
    "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1",
    NULL,
};

static bool in(const char *s, const char *const *list)
{
    for (; s && *list; list++)
        if (!strcmp(s, *list))
            return true;
    return false;
}

static bool alg_ok(const char *s, const char *const *main, const char *const *sha1, bool allow)
{
    return in(s, main) || (allow && in(s, sha1));
}

static const char *algorithm(struct arena *a, xmlNodePtr parent, const char *name)
{
    xmlNodePtr n = saml_child(parent, NULL, SAML_NS_DSIG, name);
    return n ? saml_attr(a, n, "Algorithm") : NULL;
}

static bool is_c14n(const char *alg)
{
    return alg && (!strcmp(alg, ALG_EXC_C14N) || !strcmp(alg, ALG_EXC_C14N_COMMENTS));
}

/* Transforms: each enveloped-signature or exclusive c14n, at most two. */
static bool transforms_ok(struct arena *a, xmlNodePtr ref)
{
    xmlNodePtr ts = saml_child(ref, NULL, SAML_NS_DSIG, "Transforms");
    if (!ts)
        return true;
    int n = 0;
    for (xmlNodePtr c = ts->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (!saml_is(c, SAML_NS_DSIG, "Transform") || ++n > 2)
            return false;
        const char *alg = saml_attr(a, c, "Algorithm");
        if (!alg || (strcmp(alg, ALG_ENVELOPED) && !is_c14n(alg)))
            return false;
    }
    return true;
}

/* The shape of sig before any cryptography: one Reference to "#" + id. */
static const char *shape(struct arena *a, xmlNodePtr sig, const char *id, bool sha1)
{
    xmlNodePtr si = saml_child(sig, NULL, SAML_NS_DSIG, "SignedInfo");
    if (!si || saml_child(sig, si, SAML_NS_DSIG, "SignedInfo"))
        return "signature";
    xmlNodePtr ref = saml_child(si, NULL, SAML_NS_DSIG, "Reference");
    if (!ref || saml_child(si, ref, SAML_NS_DSIG, "Reference"))
        return "signature reference";
    const char *uri = saml_attr(a, ref, "URI");
    if (!uri || uri[0] != '#' || strcmp(uri + 1, id))
        return "signature reference";
    if (!is_c14n(algorithm(a, si, "CanonicalizationMethod")) || !transforms_ok(a, ref))
        return "signature transform";
    if (!alg_ok(algorithm(a, si, "SignatureMethod"), signatures, sha1_signatures, sha1) ||
        !alg_ok(algorithm(a, ref, "DigestMethod"), digests, sha1_digests, sha1))
        return "signature algorithm";
    return NULL;
}

/* The element "#id" reaches: only what parse.c registered. */
static bool id_resolves_to(xmlDocPtr doc, const char *id, xmlNodePtr n)
{
    xmlAttrPtr at = xmlGetID(doc, (const xmlChar *)id);
    return at && at->parent == n;
}

static int enable(xmlSecDSigCtxPtr c, bool sha1)
{
    int r = 0;
    r |= xmlSecDSigCtxEnableReferenceTransform(c, xmlSecTransformEnvelopedId);
    r |= xmlSecDSigCtxEnableReferenceTransform(c, xmlSecTransformExclC14NId);
    r |= xmlSecDSigCtxEnableReferenceTransform(c, xmlSecTransformExclC14NWithCommentsId);
    r |= xmlSecDSigCtxEnableReferenceTransform(c, xmlSecTransformSha256Id);
    r |= xmlSecDSigCtxEnableReferenceTransform(c, xmlSecTransformSha384Id);
    r |= xmlSecDSigCtxEnableReferenceTransform(c, xmlSecTransformSha512Id);
    r |= xmlSecDSigCtxEnableSignatureTransform(c, xmlSecTransformExclC14NId);
    r |= xmlSecDSigCtxEnableSignatureTransform(c, xmlSecTransformExclC14NWithCommentsId);
    r |= xmlSecDSigCtxEnableSignatureTransform(c, xmlSecTransformRsaSha256Id);
    r |= xmlSecDSigCtxEnableSignatureTransform(c, xmlSecTransformRsaSha384Id);
    r |= xmlSecDSigCtxEnableSignatureTransform(c, xmlSecTransformRsaSha512Id);
    r |= xmlSecDSigCtxEnableSignatureTransform(c, xmlSecTransformEcdsaSha256Id);
    r |= xmlSecDSigCtxEnableSignatureTransform(c, xmlSecTransformEcdsaSha384Id);
    r |= xmlSecDSigCtxEnableSignatureTransform(c, xmlSecTransformEcdsaSha512Id);
    if (sha1) {
        r |= xmlSecDSigCtxEnableReferenceTransform(c, xmlSecTransformSha1Id);
        r |= xmlSecDSigCtxEnableSignatureTransform(c, xmlSecTransformRsaSha1Id);
        r |= xmlSecDSigCtxEnableSignatureTransform(c, xmlSecTransformEcdsaSha1Id);
    }
    return r;
}

/* After a verification xmlsec called good: its one SignedInfo reference
 * succeeded, is the URI checked by shape(), and that URI still reaches n. */
static bool reference_confirmed(xmlSecDSigCtxPtr c, xmlDocPtr doc, const char *id, xmlNodePtr n)
{
    if (xmlSecPtrListGetSize(&c->signedInfoReferences) != 1)
        return false;
    xmlSecDSigReferenceCtxPtr r = xmlSecPtrListGetItem(&c->signedInfoReferences, 0);
    return r && r->status == xmlSecDSigStatusSucceeded && r->uri && r->uri[0] == '#' &&
           !strcmp((const char *)r->uri + 1, id) && id_resolves_to(doc, id, n);
}

enum st saml_signature_check(struct arena *a, const struct saml_doc *d, xmlNodePtr signed_node,
                             xmlNodePtr sig, xmlSecKeyPtr key, bool allow_sha1, const char **check)
{
    const char *id = saml_attr(a, signed_node, "ID");
    if (!saml_ncname(id) || !id_resolves_to(d->doc, id, signed_node)) {
        *check = "signature reference";
        return ST_FORBIDDEN;
    }
    const char *bad = shape(a, sig, id, allow_sha1);
    if (bad) {
        *check = bad;
        return ST_FORBIDDEN;
    }
    xmlSecDSigCtxPtr c = xmlSecDSigCtxCreate(NULL);
    if (!c || enable(c, allow_sha1) < 0) {
        xmlSecDSigCtxDestroy(c);
        *check = "signature setup";
        return ST_INTERNAL;
    }
    c->flags = XMLSEC_DSIG_FLAGS_IGNORE_MANIFESTS | XMLSEC_DSIG_FLAGS_STORE_SIGNEDINFO_REFERENCES;
    c->enabledReferenceUris = xmlSecTransformUriTypeSameDocument;
    c->signKey = key;
    bool ok = xmlSecDSigCtxVerify(c, sig) == 0 && c->status == xmlSecDSigStatusSucceeded;
    bool confirmed = ok && reference_confirmed(c, d->doc, id, signed_node);
    if (c->signKey == key)
        c->signKey = NULL; /* the caller's: the context must not destroy it */
    xmlSecDSigCtxDestroy(c);
    if (!ok || !confirmed) {
        *check = ok ? "signature reference" : "signature";
        return ST_FORBIDDEN;
    }
    return ST_OK;
}

struct saml_key {
    xmlSecKeyPtr key;
};

enum st saml_key_parse(const char *b64, struct saml_key **out, struct err *e)
{
    *out = NULL;
    xmlSecKeyPtr k = saml_key_load(b64);
    if (!k)
        return ERR(e, ST_INVALID, NULL, "saml: the certificate does not load");
    *out = xmalloc(sizeof **out);
    (*out)->key = k;
    return ST_OK;
}

void saml_key_free(struct saml_key *k)
{
    if (!k)
        return;
    xmlSecKeyDestroy(k->key);
    free(k);
}

xmlSecKeyPtr saml_key_get(const struct saml_key *k)
{
    /* a copy per check: it shares the EVP_PKEY (reference counted), so
     * no check ever writes to what another thread reads */
    return xmlSecKeyDuplicate(k->key);
}

/* The bounds model/ puts on a provider's certificate at write time
 * (RSA of 2048 to 8192 bits with an exponent under 2^32, or ECDSA on
 * P-256, P-384 or P-521), held here too: a row that came by `copy`,
 * `restore` or by hand never made the API check it, and a long exponent
 * makes every check of that provider cost milliseconds. */
static bool key_bounded(EVP_PKEY *pub)
{
    int bits = EVP_PKEY_get_bits(pub);
    if (EVP_PKEY_is_a(pub, "RSA")) {
        BIGNUM *e = NULL;
        bool ok = bits >= 2048 && bits <= 8192 &&
                  EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_E, &e) == 1 &&
                  BN_num_bits(e) <= 32;
        BN_free(e);
        return ok;
    }
    char curve[32];
    size_t n = 0;
    if (!EVP_PKEY_is_a(pub, "EC") || EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME,
                                                                    curve, sizeof curve, &n) != 1)
        return false;
    return !strcmp(curve, "prime256v1") || !strcmp(curve, "secp384r1") ||
           !strcmp(curve, "secp521r1");
}

xmlSecKeyPtr saml_key_load(const char *b64)
{
    size_t len = b64 ? strlen(b64) : 0, k = 0;
    char *clean = xmalloc(len + 1);
    for (size_t i = 0; i < len; i++)
        if (b64[i] != ' ' && b64[i] != '\n' && b64[i] != '\r' && b64[i] != '\t')
            clean[k++] = b64[i];
    unsigned char *der = xmalloc(k * 3 / 4 + 4);
    long n = k ? util_b64_decode(der, k * 3 / 4 + 4, clean, k) : -1;
    free(clean);
    const unsigned char *p = der;
    X509 *crt = n > 0 ? d2i_X509(NULL, &p, n) : NULL;
    free(der);
    EVP_PKEY *pub = crt ? X509_get_pubkey(crt) : NULL;
    X509_free(crt);
    if (pub && !key_bounded(pub)) {
        EVP_PKEY_free(pub);
        pub = NULL;
    }
    if (!pub)
        return NULL;
    xmlSecKeyDataPtr data = xmlSecOpenSSLEvpKeyAdopt(pub);
    if (!data) {
        EVP_PKEY_free(pub);
        return NULL;
    }
    xmlSecKeyPtr key = xmlSecKeyCreate();
    if (!key || xmlSecKeySetValue(key, data) < 0) {
        xmlSecKeyDataDestroy(data);
        xmlSecKeyDestroy(key);
        return NULL;
    }
    return key;
}
