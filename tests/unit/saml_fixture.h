/* SPDX-License-Identifier: MIT */
/*
 * Builds SAML responses as an identity provider does, for tests/unit/
 * test_saml.c and the seeds of tests/fuzz/fuzz_saml.c: a Response from a
 * template (every value a test may change is a field), signed with
 * xmlsec's own signing API on the Assertion, the Response or both, then
 * Base64. The tree stays open so a test can move nodes after signing
 * (signature wrapping). Test code only; the clock is fixed (FX_NOW).
 */
#ifndef SG_TEST_SAML_FIXTURE_H
#define SG_TEST_SAML_FIXTURE_H

#include <libxml/parser.h>
#include <libxml/valid.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xmlsec/xmlsec.h>
/* after xmlsec.h, which they need */
#include <xmlsec/crypto.h>
#include <xmlsec/templates.h>
#include <xmlsec/xmldsig.h>

#include "saml/saml.h"
#include "saml_keys.h"

#define FX_NOW 1767225600 /* 2026-01-01T00:00:00Z */
#define FX_ACS "https://sg.example.com/c1.p1/callback"
#define FX_SP "https://sg.example.com/c1.p1/metadata"
#define FX_IDP "https://idp.example.com/saml"
#define FX_REQ "_0123456789abcdef0123456789abcdef01234567"

/* Every value of the template; fx_defaults fills a valid one. */
struct fx {
    const char *destination, *response_irt, *response_issuer, *assertion_issuer;
    const char *name_id; /* raw XML content of NameID */
    const char *recipient, *scd_irt, *scd_noa, *nb, *noa, *audience;
    const char *status;     /* StatusCode Value */
    const char *attributes; /* raw XML inside AttributeStatement */
    const char *extra;      /* raw XML appended inside the Assertion */
};

static inline struct fx fx_defaults(void)
{
    return (struct fx){
        .destination = FX_ACS,
        .response_irt = FX_REQ,
        .response_issuer = FX_IDP,
        .assertion_issuer = FX_IDP,
        .name_id = "alice@example.com",
        .recipient = FX_ACS,
        .scd_irt = FX_REQ,
        .scd_noa = "2026-01-01T00:05:00Z",
        .nb = "2025-12-31T23:59:00Z",
        .noa = "2026-01-01T00:10:00Z",
        .audience = FX_SP,
        .status = "urn:oasis:names:tc:SAML:2.0:status:Success",
        .attributes =
            "<saml:Attribute Name=\"email\"><saml:AttributeValue>alice@example.com"
            "</saml:AttributeValue></saml:Attribute>"
            "<saml:Attribute Name=\"groups\"><saml:AttributeValue>staff</saml:AttributeValue>"
            "<saml:AttributeValue>admins</saml:AttributeValue></saml:Attribute>",
        .extra = "",
    };
}

static inline char *fx_xml(const struct fx *f)
{
    const char *fmt =
        "<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" "
        "xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_resp1\" Version=\"2.0\" "
        "IssueInstant=\"2026-01-01T00:00:00Z\" Destination=\"%s\" InResponseTo=\"%s\">"
        "<saml:Issuer>%s</saml:Issuer>"
        "<samlp:Status><samlp:StatusCode Value=\"%s\"/></samlp:Status>"
        "<saml:Assertion ID=\"_assert1\" Version=\"2.0\" IssueInstant=\"2026-01-01T00:00:00Z\">"
        "<saml:Issuer>%s</saml:Issuer>"
        "<saml:Subject><saml:NameID "
        "Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress\">%s</saml:NameID>"
        "<saml:SubjectConfirmation Method=\"urn:oasis:names:tc:SAML:2.0:cm:bearer\">"
        "<saml:SubjectConfirmationData NotOnOrAfter=\"%s\" Recipient=\"%s\" InResponseTo=\"%s\"/>"
        "</saml:SubjectConfirmation></saml:Subject>"
        "<saml:Conditions NotBefore=\"%s\" NotOnOrAfter=\"%s\"><saml:AudienceRestriction>"
        "<saml:Audience>%s</saml:Audience></saml:AudienceRestriction></saml:Conditions>"
        "<saml:AuthnStatement AuthnInstant=\"2026-01-01T00:00:00Z\" SessionIndex=\"_s1\">"
        "<saml:AuthnContext><saml:AuthnContextClassRef>"
        "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
        "</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>"
        "<saml:AttributeStatement>%s</saml:AttributeStatement>%s"
        "</saml:Assertion></samlp:Response>";
    char *s = NULL;
    if (asprintf(&s, fmt, f->destination, f->response_irt, f->response_issuer, f->status,
                 f->assertion_issuer, f->name_id, f->scd_noa, f->recipient, f->scd_irt, f->nb,
                 f->noa, f->audience, f->attributes, f->extra) < 0)
        abort();
    return s;
}

static inline xmlDocPtr fx_parse(const char *xml)
{
    xmlDocPtr d = xmlReadMemory(xml, (int)strlen(xml), NULL, NULL, XML_PARSE_NONET);
    if (!d)
        abort();
    return d;
}

static inline xmlNodePtr fx_elem(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr c = parent ? parent->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, name))
            return c;
    return NULL;
}

static inline xmlNodePtr fx_root(xmlDocPtr d)
{
    return xmlDocGetRootElement(d);
}

static inline xmlNodePtr fx_assertion(xmlDocPtr d)
{
    return fx_elem(fx_root(d), "Assertion");
}

/* How to sign: algorithms and what goes into KeyInfo. */
struct fx_sign {
    const char *key_pem;
    xmlSecTransformId sig, digest;
    const char *keyinfo_cert; /* Base64 DER put in KeyInfo, or NULL */
};

static inline struct fx_sign fx_rsa(void)
{
    return (struct fx_sign){SAML_RSA_KEY, xmlSecTransformRsaSha256Id, xmlSecTransformSha256Id,
                            SAML_RSA_CERT};
}

static inline struct fx_sign fx_ec(void)
{
    return (struct fx_sign){SAML_EC_KEY, xmlSecTransformEcdsaSha256Id, xmlSecTransformSha256Id,
                            SAML_EC_CERT};
}

/* Signs element n (enveloped, after its Issuer) of d, with its ID. */
static inline void fx_sign_node(xmlDocPtr d, xmlNodePtr n, const struct fx_sign *s)
{
    xmlAttrPtr id = xmlHasProp(n, (const xmlChar *)"ID");
    xmlChar *v = xmlNodeListGetString(d, id->children, 1);
    if (!xmlGetID(d, v))
        xmlAddID(NULL, d, v, id);
    char uri[256];
    snprintf(uri, sizeof uri, "#%s", (const char *)v);
    xmlFree(v);
    xmlNodePtr sig = xmlSecTmplSignatureCreate(d, xmlSecTransformExclC14NId, s->sig, NULL);
    xmlAddNextSibling(fx_elem(n, "Issuer"), sig);
    xmlNodePtr ref = xmlSecTmplSignatureAddReference(sig, s->digest, NULL, (xmlChar *)uri, NULL);
    xmlSecTmplReferenceAddTransform(ref, xmlSecTransformEnvelopedId);
    xmlSecTmplReferenceAddTransform(ref, xmlSecTransformExclC14NId);
    if (s->keyinfo_cert) {
        xmlNodePtr ki = xmlSecTmplSignatureEnsureKeyInfo(sig, NULL);
        xmlNodePtr x509 = xmlSecTmplKeyInfoAddX509Data(ki);
        xmlNodePtr c = xmlSecTmplX509DataAddCertificate(x509);
        xmlNodeSetContent(c, (const xmlChar *)s->keyinfo_cert);
    }
    xmlSecDSigCtxPtr ctx = xmlSecDSigCtxCreate(NULL);
    ctx->signKey =
        xmlSecCryptoAppKeyLoadMemory((const xmlSecByte *)s->key_pem, (xmlSecSize)strlen(s->key_pem),
                                     xmlSecKeyDataFormatPem, NULL, NULL, NULL);
    if (!ctx->signKey || xmlSecDSigCtxSign(ctx, sig) < 0)
        abort();
    xmlSecDSigCtxDestroy(ctx);
}

/* The Base64 of d as sent (malloc'd). */
static inline char *fx_b64(xmlDocPtr d)
{
    xmlChar *mem = NULL;
    int n = 0;
    xmlDocDumpMemory(d, &mem, &n);
    char *b64 = malloc(4 * ((size_t)n + 2) / 3 + 8);
    EVP_EncodeBlock((unsigned char *)b64, mem, n);
    xmlFree(mem);
    return b64;
}

static inline char *fx_b64_text(const char *xml)
{
    size_t n = strlen(xml);
    char *b64 = malloc(4 * (n + 2) / 3 + 8);
    EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)xml, (int)n);
    return b64;
}

/* A signed response document: the Assertion signed when sa, the Response
 * when sr (the Assertion first, as an IdP does). */
static inline xmlDocPtr fx_signed(const struct fx *f, const struct fx_sign *s, bool sa, bool sr)
{
    char *xml = fx_xml(f);
    xmlDocPtr d = fx_parse(xml);
    free(xml);
    if (sa)
        fx_sign_node(d, fx_assertion(d), s);
    if (sr)
        fx_sign_node(d, fx_root(d), s);
    return d;
}

/* The default response with the Assertion signed (RSA), or the Response. */
static inline xmlDocPtr fx_assertion_signed(void)
{
    struct fx f = fx_defaults();
    struct fx_sign s = fx_rsa();
    return fx_signed(&f, &s, true, false);
}

static inline xmlDocPtr fx_response_signed(void)
{
    struct fx f = fx_defaults();
    struct fx_sign s = fx_rsa();
    return fx_signed(&f, &s, false, true);
}

static inline struct saml_expect fx_expect(const char *cert)
{
    return (struct saml_expect){
        .acs_url = FX_ACS,
        .sp_entity_id = FX_SP,
        .request_id = FX_REQ,
        .certificate = cert,
        .issuer = NULL,
        .now = FX_NOW,
        .skew = 120,
        .allow_sha1 = false,
    };
}

#endif
