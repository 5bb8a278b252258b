/* SPDX-License-Identifier: MIT */
/*
 * Hostile responses beyond test_saml.c's corpus, each the shape an attacker
 * would try against saml_response_check: signatures that are valid but
 * over the wrong thing (URI "", an XPointer, HMAC keyed with the pinned
 * certificate, XSLT/XPath and inclusive c14n), signatures in places that
 * sign nothing we read, ID look-alikes (attributes named ID in another
 * namespace, xml:id), namespace look-alikes, markup inside the values we
 * compare, odd times, a response meant for another provider, and inputs
 * built to cost the parser the most for their size (every bound asserted
 * as a count, never a duration).
 */
#include <criterion/criterion.h>
#include <zlib.h>

#include "saml_fixture.h"

static void setup(void)
{
    cr_assert_eq(util_init(), ST_OK);
    cr_assert_eq(saml_init(NULL), ST_OK);
}

static void teardown(void)
{
    saml_shutdown();
}

TestSuite(saml_attack, .init = setup, .fini = teardown);

/* The check name of b64 against x ("ok" on success); *name gets NameID
 * (static copy) when name is not NULL. */
static const char *check_b64(const char *b64, const struct saml_expect *x, char *name, size_t n)
{
    struct arena a;
    arena_init(&a);
    struct saml_result r;
    enum st st = saml_response_check(&a, b64, strlen(b64), x, &r, NULL);
    static char out[64];
    snprintf(out, sizeof out, "%s", st == ST_OK ? "ok" : r.check);
    if (name)
        snprintf(name, n, "%s", st == ST_OK ? r.name_id : "");
    if (st != ST_OK)
        cr_assert_null(r.attributes);
    saml_result_cleanup(&r);
    arena_cleanup(&a);
    return out;
}

/* The verdict of d against the RSA pin; frees d. */
static const char *verdict(xmlDocPtr d)
{
    char *b64 = fx_b64(d);
    xmlFreeDoc(d);
    struct saml_expect x = fx_expect(SAML_RSA_CERT);
    const char *c = check_b64(b64, &x, NULL, 0);
    free(b64);
    return c;
}

/* The same, for raw XML text. */
static const char *verdict_text(const char *xml)
{
    char *b64 = fx_b64_text(xml);
    struct saml_expect x = fx_expect(SAML_RSA_CERT);
    const char *c = check_b64(b64, &x, NULL, 0);
    free(b64);
    return c;
}

static xmlDocPtr template_doc(const struct fx *f)
{
    char *xml = fx_xml(f);
    xmlDocPtr d = fx_parse(xml);
    free(xml);
    return d;
}

/* How a custom signature is made: everything an attacker chooses. */
struct custom {
    xmlSecTransformId c14n, sig, digest;
    const char *uri;              /* Reference URI */
    xmlSecTransformId transform2; /* after enveloped, or NULL: exclusive c14n */
    xmlSecKeyPtr key;             /* consumed */
};

/* Signs with c->key, the Signature placed in `in` after its Issuer (or as
 * its first child), and returns the Signature node. */
static xmlNodePtr sign_custom(xmlDocPtr d, xmlNodePtr in, xmlNodePtr id_of, struct custom *c)
{
    if (id_of) {
        xmlAttrPtr id = xmlHasProp(id_of, (const xmlChar *)"ID");
        xmlChar *v = xmlNodeListGetString(d, id->children, 1);
        if (!xmlGetID(d, v))
            xmlAddID(NULL, d, v, id);
        xmlFree(v);
    }
    xmlNodePtr sig = xmlSecTmplSignatureCreate(d, c->c14n, c->sig, NULL);
    xmlNodePtr issuer = fx_elem(in, "Issuer");
    if (issuer)
        xmlAddNextSibling(issuer, sig);
    else if (in->children)
        xmlAddPrevSibling(in->children, sig);
    else
        xmlAddChild(in, sig);
    xmlNodePtr ref =
        xmlSecTmplSignatureAddReference(sig, c->digest, NULL, (const xmlChar *)c->uri, NULL);
    xmlSecTmplReferenceAddTransform(ref, xmlSecTransformEnvelopedId);
    xmlNodePtr t = xmlSecTmplReferenceAddTransform(ref, c->transform2 ? c->transform2
                                                                      : xmlSecTransformExclC14NId);
    if (c->transform2 == xmlSecTransformXPathId)
        xmlSecTmplTransformAddXPath(t, (const xmlChar *)"true()", NULL);
    if (c->transform2 == xmlSecTransformXPath2Id)
        xmlSecTmplTransformAddXPath2(t, (const xmlChar *)"union", (const xmlChar *)"//.", NULL);
    xmlSecDSigCtxPtr ctx = xmlSecDSigCtxCreate(NULL);
    ctx->signKey = c->key;
    cr_assert_eq(xmlSecDSigCtxSign(ctx, sig), 0, "the attacker's signature is well made");
    xmlSecDSigCtxDestroy(ctx);
    return sig;
}

static xmlSecKeyPtr rsa_key(void)
{
    return xmlSecCryptoAppKeyLoadMemory((const xmlSecByte *)SAML_RSA_KEY,
                                        (xmlSecSize)strlen(SAML_RSA_KEY), xmlSecKeyDataFormatPem,
                                        NULL, NULL, NULL);
}

static struct custom rsa_custom(const char *uri)
{
    return (struct custom){xmlSecTransformExclC14NId,
                           xmlSecTransformRsaSha256Id,
                           xmlSecTransformSha256Id,
                           uri,
                           NULL,
                           rsa_key()};
}

static void set_alg(xmlNodePtr n, const char *alg)
{
    xmlSetProp(n, (const xmlChar *)"Algorithm", (const xmlChar *)alg);
}

/* ---- cost: what one response can make the parser do ---- */

/* 180 KiB of start tag: "<tag" then attributes ` a0="" a1="" ...` while
 * the buffer lasts (what fits in the callback's 256 KiB body). */
static char *wide_tag(const char *tag, const char *attr_fmt, size_t budget)
{
    char *s = malloc(budget + 256);
    size_t k = (size_t)snprintf(s, budget, "<%s", tag);
    for (unsigned i = 0; k < budget - 64; i++)
        k += (size_t)snprintf(s + k, budget - k, attr_fmt, i);
    snprintf(s + k, budget + 256 - k, "/>");
    return s;
}

Test(saml_attack, an_element_with_thousands_of_attributes_is_refused_unparsed)
{
    /* libxml2 2.9 compares a tag's attributes pairwise (and exclusive
     * c14n sorts them by insertion): 30,000 of them in one signed
     * assertion cost over a second of CPU per callback, on one of the
     * runtime's two workers. A bound on attributes per element, checked on
     * the bytes before parsing, keeps the cost linear. */
    char *wide = wide_tag("saml:Advice", " a%x=\"\"", 180 * 1024);
    struct fx f = fx_defaults();
    f.extra = wide;
    struct fx_sign s = fx_rsa();
    cr_assert_str_eq(verdict(fx_signed(&f, &s, true, false)), "xml attributes");
    free(wide);
    /* namespace declarations count as attributes too */
    wide = wide_tag("saml:Advice", " xmlns:p%x=\"urn:x\"", 180 * 1024);
    f.extra = wide;
    cr_assert_str_eq(verdict(fx_signed(&f, &s, true, false)), "xml attributes");
    free(wide);
}

Test(saml_attack, the_attribute_bound_cannot_be_hidden_by_quotes_comments_or_encodings)
{
    /* a ">" or quote inside a value, a comment or CDATA before the tag */
    char *wide = wide_tag("x q='\">' r=\"'>\"", " a%x=\"\"", 100 * 1024);
    char *xml = NULL;
    cr_assert_geq(asprintf(&xml,
                           "<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" "
                           "Version=\"2.0\"><!-- \" ' <a --><![CDATA[ \" <b ]]><?pi \" ?>%s"
                           "</samlp:Response>",
                           wide),
                  0);
    cr_assert_str_eq(verdict_text(xml), "xml attributes");
    free(xml);
    /* an encoding declaration does not make the bytes mean something else:
     * the document is read as UTF-8 whatever it says */
    cr_assert_geq(asprintf(&xml,
                           "<?xml version=\"1.0\" encoding=\"UTF-16\"?>"
                           "<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" "
                           "Version=\"2.0\">%s</samlp:Response>",
                           wide),
                  0);
    cr_assert_str_eq(verdict_text(xml), "xml attributes");
    free(xml);
    /* UTF-16 (BOM): no ASCII tag to count; it is never parsed as such */
    const char *small = "<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" "
                        "Version=\"2.0\" a=\"\" b=\"\"/>";
    size_t n = strlen(small);
    unsigned char *u = malloc(2 * n + 2);
    u[0] = 0xff;
    u[1] = 0xfe;
    for (size_t i = 0; i < n; i++) {
        u[2 + 2 * i] = (unsigned char)small[i];
        u[3 + 2 * i] = 0;
    }
    char *b64 = malloc(4 * (2 * n + 4) / 3 + 8);
    EVP_EncodeBlock((unsigned char *)b64, u, (int)(2 * n + 2));
    struct saml_expect x = fx_expect(SAML_RSA_CERT);
    cr_assert_str_eq(check_b64(b64, &x, NULL, 0), "xml markup");
    free(b64);
    free(u);
    free(wide);
}

Test(saml_attack, namespaces_declared_level_after_level_are_refused_unparsed)
{
    /* 26 levels of 60 declarations, then elements whose 60 attributes use
     * the outermost prefixes: libxml2 looks each up among every namespace
     * in scope (70 ms a response, within the attribute bound) */
    char *buf = malloc(200 * 1024);
    size_t k = 0, cap = 180 * 1024;
    for (int d = 0; d < 26; d++) {
        k += (size_t)snprintf(buf + k, cap - k, "<a");
        for (int i = 0; i < 60; i++)
            k += (size_t)snprintf(buf + k, cap - k, " xmlns:p%d_%d=\"urn:u\"", d, i);
        k += (size_t)snprintf(buf + k, cap - k, ">");
    }
    for (int j = 0; k < cap - 4096; j++) {
        k += (size_t)snprintf(buf + k, cap - k, "<p0_%d:b", j % 60);
        for (int i = 0; i < 60; i++)
            k += (size_t)snprintf(buf + k, cap - k, " p0_%d:a%d=\"\"", (i + j) % 60, i);
        k += (size_t)snprintf(buf + k, cap - k, "/>");
    }
    for (int d = 0; d < 26; d++)
        k += (size_t)snprintf(buf + k, cap - k, "</a>");
    struct fx f = fx_defaults();
    f.extra = buf;
    struct fx_sign s = fx_rsa();
    cr_assert_str_eq(verdict(fx_signed(&f, &s, true, false)), "xml namespaces");
    free(buf);
}

Test(saml_attack, declarations_on_sibling_elements_do_not_add_up)
{
    /* what IdPs do: xs and xsi declared again on every AttributeValue */
    char *buf = malloc(64 * 1024);
    size_t k = 0;
    for (int i = 0; i < 40; i++)
        k += (size_t)snprintf(
            buf + k, 64 * 1024 - k,
            "<saml:Attribute Name=\"a%d\"><saml:AttributeValue "
            "xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" "
            "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"xs:string\">"
            "v%d</saml:AttributeValue><saml:AttributeValue "
            "xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" "
            "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"xs:string\">"
            "w%d</saml:AttributeValue></saml:Attribute>",
            i, i, i);
    struct fx f = fx_defaults();
    f.attributes = buf;
    struct fx_sign s = fx_rsa();
    cr_assert_str_eq(verdict(fx_signed(&f, &s, true, false)), "ok");
    free(buf);
}

Test(saml_attack, markup_the_scan_would_skip_cannot_hide_a_wide_tag)
{
    /* after a malformed "<!" or "<?", or a quote outside a value,
     * libxml2 reports the error and reads on, parsing the wide tag that a
     * skip (to ">" or to the next quote) had passed over */
    static const char *const before[] = {"<!foo ",    "<? ",        "<!- ",   "<![CDATA ",
                                         "<!DOCTYP ", "<!ATTLIST ", "<x \" ", "<x y=\"\" ' "};
    char *wide = wide_tag("a", " a%x=\"\"", 150 * 1024);
    for (size_t i = 0; i < sizeof before / sizeof *before; i++) {
        char *xml = NULL;
        cr_assert_geq(asprintf(&xml,
                               "<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:"
                               "protocol\" Version=\"2.0\">%s%s\"></samlp:Response>",
                               before[i], wide),
                      0);
        cr_assert_str_eq(verdict_text(xml), "xml markup", "%s", before[i]);
        free(xml);
    }
    free(wide);
}

Test(saml_attack, a_construct_broken_off_cannot_hide_a_wide_tag)
{
    /* a byte XML forbids inside a comment, CDATA, a processing
     * instruction or a value, or a "<" inside a value: libxml2 reported
     * the error and read on from there, parsing the wide tag the byte scan
     * had taken for content (90 ms each); the first error stops it now */
    static const char *const around[][2] = {
        {"<!-- \x01 ", "-->"},  {"<![CDATA[ \x01 ", "]]>"},    {"<?pi \x01 ", "?>"},
        {"<x a='\x01 ", "'/>"}, {"<!-- \xef\xbf\xbe ", "-->"}, {"<!-- \xed\xa0\x80 ", "-->"},
        {"<x a='", "'/>"},      {"<x a='&bogus; ", "'/>"},
    };
    char *wide = wide_tag("a", " a%x=\"\"", 150 * 1024);
    for (size_t i = 0; i < sizeof around / sizeof *around; i++) {
        char *xml = NULL;
        cr_assert_geq(asprintf(&xml,
                               "<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:"
                               "protocol\" Version=\"2.0\">%s%s%s</samlp:Response>",
                               around[i][0], wide, around[i][1]),
                      0);
        cr_assert_str_eq(verdict_text(xml), "xml", "case %zu", i);
        free(xml);
    }
    free(wide);
}

Test(saml_attack, a_namespace_error_refuses_rather_than_cuts_the_tree)
{
    /* stopping at a namespace error leaves libxml2's wellFormed set and
     * the tree cut short: it is refused, never read as far as it got */
    xmlDocPtr d = fx_assertion_signed();
    char *b64 = fx_b64(d);
    xmlFreeDoc(d);
    size_t n = 0;
    unsigned char *xml = malloc(strlen(b64));
    n = (size_t)EVP_DecodeBlock(xml, (const unsigned char *)b64, (int)strlen(b64));
    free(b64);
    while (n && xml[n - 1] != '>')
        n--; /* the padding decodes as NULs */
    const char *end = "</samlp:Response>";
    char *cut = (char *)memmem(xml, n, end, strlen(end));
    cr_assert_not_null(cut);
    char *text = NULL;
    cr_assert_geq(asprintf(&text, "%.*s<undeclared:x/>%s", (int)(cut - (char *)xml), xml, end), 0);
    free(xml);
    cr_assert_str_eq(verdict_text(text), "xml");
    free(text);
}

Test(saml_attack, a_root_with_many_namespace_declarations_still_passes)
{
    /* the bound leaves room for what IdPs send: a few declarations on the
     * root, a handful of attributes per element */
    struct fx f = fx_defaults();
    xmlDocPtr d = template_doc(&f);
    for (int i = 0; i < 40; i++) {
        char p[16];
        snprintf(p, sizeof p, "p%d", i);
        xmlNewNs(fx_root(d), (const xmlChar *)"urn:example:unused", (const xmlChar *)p);
    }
    struct fx_sign s = fx_rsa();
    fx_sign_node(d, fx_assertion(d), &s);
    cr_assert_str_eq(verdict(d), "ok");
}

Test(saml_attack, hundreds_of_references_are_refused_before_any_digest)
{
    xmlDocPtr d = fx_assertion_signed();
    xmlNodePtr si = fx_elem(fx_elem(fx_assertion(d), "Signature"), "SignedInfo");
    xmlNodePtr ref = fx_elem(si, "Reference");
    for (int i = 0; i < 300; i++)
        xmlAddChild(si, xmlDocCopyNode(ref, d, 1));
    cr_assert_str_eq(verdict(d), "signature reference");
}

/* ---- signatures over something else than what is consumed ---- */

Test(saml_attack, a_valid_signature_over_the_whole_document_by_uri_empty_is_refused)
{
    struct fx f = fx_defaults();
    xmlDocPtr d = template_doc(&f);
    struct custom c = rsa_custom("");
    sign_custom(d, fx_root(d), NULL, &c);
    cr_assert_str_eq(verdict(d), "signature reference");
}

Test(saml_attack, a_valid_signature_by_xpointer_root_is_refused)
{
    struct fx f = fx_defaults();
    xmlDocPtr d = template_doc(&f);
    struct custom c = rsa_custom("#xpointer(/)");
    sign_custom(d, fx_root(d), NULL, &c);
    cr_assert_str_eq(verdict(d), "signature reference");
    d = template_doc(&f);
    c = rsa_custom("#xpointer(id('_assert1'))");
    sign_custom(d, fx_assertion(d), fx_assertion(d), &c);
    cr_assert_str_eq(verdict(d), "signature reference");
}

Test(saml_attack, hmac_keyed_with_the_pinned_certificate_is_refused)
{
    /* the classic confusion: the verifier's "public key" is public, so
     * an HMAC keyed with the certificate's bytes is forgeable by anyone */
    unsigned char der[4096];
    long n = util_b64_decode(der, sizeof der, SAML_RSA_CERT, strlen(SAML_RSA_CERT));
    cr_assert_gt(n, 0);
    struct fx f = fx_defaults();
    f.name_id = "admin@example.com";
    xmlDocPtr d = template_doc(&f);
    struct custom c = rsa_custom("#_assert1");
    xmlSecKeyDestroy(c.key);
    c.sig = xmlSecTransformHmacSha256Id;
    c.key = xmlSecKeyReadMemory(xmlSecKeyDataHmacId, der, (xmlSecSize)n);
    cr_assert_not_null(c.key);
    sign_custom(d, fx_assertion(d), fx_assertion(d), &c);
    cr_assert_str_eq(verdict(d), "signature algorithm");
}

Test(saml_attack, weak_or_foreign_algorithms_are_refused_by_name)
{
    static const char *const sigs[] = {
        "http://www.w3.org/2001/04/xmldsig-more#rsa-md5",
        "http://www.w3.org/2000/09/xmldsig#dsa-sha1",
        "http://www.w3.org/2009/xmldsig11#dsa-sha256",
        "http://www.w3.org/2000/09/xmldsig#hmac-sha1",
        "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1",
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256 ",
    };
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
        xmlDocPtr d = fx_assertion_signed();
        xmlNodePtr si = fx_elem(fx_elem(fx_assertion(d), "Signature"), "SignedInfo");
        set_alg(fx_elem(si, "SignatureMethod"), sigs[i]);
        cr_assert_str_eq(verdict(d), "signature algorithm", "%s", sigs[i]);
    }
    static const char *const digests[] = {
        "http://www.w3.org/2001/04/xmldsig-more#md5",
        "http://www.w3.org/2001/04/xmlenc#ripemd160",
        "http://www.w3.org/2000/09/xmldsig#sha1",
    };
    for (size_t i = 0; i < sizeof digests / sizeof *digests; i++) {
        xmlDocPtr d = fx_assertion_signed();
        xmlNodePtr si = fx_elem(fx_elem(fx_assertion(d), "Signature"), "SignedInfo");
        set_alg(fx_elem(fx_elem(si, "Reference"), "DigestMethod"), digests[i]);
        cr_assert_str_eq(verdict(d), "signature algorithm", "%s", digests[i]);
    }
}

Test(saml_attack, xslt_xpath_and_inclusive_c14n_transforms_are_refused)
{
    /* each signed for real: only the allow-list stands in the way */
    xmlSecTransformId second[] = {xmlSecTransformXPathId, xmlSecTransformXPath2Id,
                                  xmlSecTransformInclC14NId, xmlSecTransformInclC14NWithCommentsId,
                                  xmlSecTransformInclC14N11Id};
    for (size_t i = 0; i < sizeof second / sizeof *second; i++) {
        struct fx f = fx_defaults();
        xmlDocPtr d = template_doc(&f);
        struct custom c = rsa_custom("#_assert1");
        c.transform2 = second[i];
        xmlNodePtr sig = sign_custom(d, fx_assertion(d), fx_assertion(d), &c);
        (void)sig;
        cr_assert_str_eq(verdict(d), "signature transform", "transform %zu", i);
    }
    xmlSecTransformId c14n[] = {xmlSecTransformInclC14NId, xmlSecTransformInclC14N11Id,
                                xmlSecTransformInclC14N11WithCommentsId};
    for (size_t i = 0; i < sizeof c14n / sizeof *c14n; i++) {
        struct fx f = fx_defaults();
        xmlDocPtr d = template_doc(&f);
        struct custom c = rsa_custom("#_assert1");
        c.c14n = c14n[i];
        sign_custom(d, fx_assertion(d), fx_assertion(d), &c);
        cr_assert_str_eq(verdict(d), "signature transform", "c14n %zu", i);
    }
    /* XSLT by name (xmlsec may lack it): the shape check alone refuses */
    xmlDocPtr d = fx_assertion_signed();
    xmlNodePtr ts =
        fx_elem(fx_elem(fx_elem(fx_elem(fx_assertion(d), "Signature"), "SignedInfo"), "Reference"),
                "Transforms");
    set_alg(xmlLastElementChild(ts), "http://www.w3.org/TR/1999/REC-xslt-19991116");
    cr_assert_str_eq(verdict(d), "signature transform");
}

Test(saml_attack, a_signature_that_is_not_a_child_of_what_it_signs_signs_nothing)
{
    /* a valid Assertion signature moved into an Extensions element of the
     * Response, and another into the Subject: neither is looked at */
    xmlDocPtr d = fx_assertion_signed();
    xmlNodePtr root = fx_root(d);
    xmlNodePtr sig = fx_elem(fx_assertion(d), "Signature");
    xmlNodePtr ext = xmlNewDocNode(d, xmlSearchNs(d, root, (const xmlChar *)"samlp"),
                                   (const xmlChar *)"Extensions", NULL);
    xmlAddNextSibling(fx_elem(root, "Issuer"), ext);
    xmlUnlinkNode(sig);
    xmlAddChild(ext, sig);
    cr_assert_str_eq(verdict(d), "unsigned");
    d = fx_assertion_signed();
    sig = fx_elem(fx_assertion(d), "Signature");
    xmlUnlinkNode(sig);
    xmlAddChild(fx_elem(fx_assertion(d), "Subject"), sig);
    cr_assert_str_eq(verdict(d), "unsigned");
}

Test(saml_attack, a_good_response_signature_does_not_excuse_a_bad_assertion_signature)
{
    /* the Assertion carries a signature that does not verify (values
     * changed after it was made), then the Response is signed over it */
    struct fx f = fx_defaults();
    struct fx_sign s = fx_rsa();
    xmlDocPtr d = template_doc(&f);
    fx_sign_node(d, fx_assertion(d), &s);
    xmlNodeSetContent(fx_elem(fx_elem(fx_assertion(d), "Subject"), "NameID"),
                      (const xmlChar *)"admin@example.com");
    fx_sign_node(d, fx_root(d), &s);
    cr_assert_str_eq(verdict(d), "signature");
}

/* ---- IDs and namespaces that look like the real ones ---- */

Test(saml_attack, an_id_attribute_in_another_namespace_reaches_nothing)
{
    /* an evil assertion in Extensions would be refused by count; an
     * element carrying x:ID equal to the Assertion's is simply ignored:
     * the signature still digests the real Assertion, which is consumed */
    xmlDocPtr d = fx_assertion_signed();
    xmlNodePtr root = fx_root(d);
    xmlNsPtr x = xmlNewNs(root, (const xmlChar *)"urn:evil", (const xmlChar *)"x");
    xmlNodePtr junk = xmlNewDocNode(d, NULL, (const xmlChar *)"Junk", NULL);
    xmlNewNsProp(junk, x, (const xmlChar *)"ID", (const xmlChar *)"_assert1");
    xmlAddPrevSibling(fx_assertion(d), junk);
    char *b64 = fx_b64(d);
    xmlFreeDoc(d);
    struct saml_expect e = fx_expect(SAML_RSA_CERT);
    char name[300];
    cr_assert_str_eq(check_b64(b64, &e, name, sizeof name), "ok");
    cr_assert_str_eq(name, "alice@example.com");
    free(b64);
}

Test(saml_attack, an_xml_id_equal_to_the_signed_id_is_refused)
{
    /* libxml2 registers xml:id itself while parsing: an earlier element
     * with xml:id="_assert1" would be what "#_assert1" reaches */
    xmlDocPtr d = fx_assertion_signed();
    xmlNodePtr junk = xmlNewDocNode(d, NULL, (const xmlChar *)"Junk", NULL);
    xmlNsPtr xml = xmlSearchNs(d, fx_root(d), (const xmlChar *)"xml");
    xmlNewNsProp(junk, xml, (const xmlChar *)"id", (const xmlChar *)"_assert1");
    xmlAddPrevSibling(fx_assertion(d), junk);
    cr_assert_str_eq(verdict(d), "duplicate id");
    /* and the Response's ID equal to the Assertion's */
    const char *dup = "<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" "
                      "xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_a\" "
                      "Version=\"2.0\"><saml:Assertion ID=\"_a\" Version=\"2.0\"/>"
                      "</samlp:Response>";
    cr_assert_str_eq(verdict_text(dup), "duplicate id");
}

Test(saml_attack, an_assertion_in_a_look_alike_namespace_is_not_read)
{
    /* "Assertion" elements whose namespace differs by a byte, placed
     * before the real one with other values: never consumed, and they do
     * not count as a second assertion either (they are not assertions) */
    static const char *const ns[] = {
        "URN:oasis:names:tc:SAML:2.0:assertion",
        "urn:oasis:names:tc:SAML:2.0:assertion#",
        "urn:oasis:names:tc:SAML:2.0:assertion ",
    };
    for (size_t i = 0; i < sizeof ns / sizeof *ns; i++) {
        xmlDocPtr d = fx_assertion_signed();
        xmlNodePtr evil = xmlDocCopyNode(fx_assertion(d), d, 1);
        xmlNsPtr other = xmlNewNs(evil, (const xmlChar *)ns[i], (const xmlChar *)"saml2");
        xmlSetNs(evil, other);
        xmlSetProp(evil, (const xmlChar *)"ID", (const xmlChar *)"_evil");
        xmlNodePtr sig = fx_elem(evil, "Signature");
        xmlUnlinkNode(sig);
        xmlFreeNode(sig);
        xmlAddPrevSibling(fx_assertion(d), evil);
        char *b64 = fx_b64(d);
        xmlFreeDoc(d);
        struct saml_expect e = fx_expect(SAML_RSA_CERT);
        char name[300];
        if (i < 2) {
            cr_assert_str_eq(check_b64(b64, &e, name, sizeof name), "ok");
            cr_assert_str_eq(name, "alice@example.com");
        } else {
            /* not a URI at all: a namespace error, which stops the
             * parser, so the response fails closed rather than being read */
            cr_assert_str_eq(check_b64(b64, &e, name, sizeof name), "xml");
        }
        free(b64);
    }
}

/* Replaces every from in s by to, of the same length. */
static void same_length_replace(char *s, const char *from, const char *to)
{
    size_t n = strlen(from);
    for (size_t i = 0; s[i]; i++)
        if (!strncmp(s + i, from, n))
            memcpy(s + i, to, n);
}

Test(saml_attack, prefixes_are_only_names_a_default_namespace_assertion_passes)
{
    /* the same document with saml2:/no prefix and the dsig default
     * namespace: the checks read namespaces, never prefixes */
    struct fx f = fx_defaults();
    char *xml = fx_xml(&f);
    same_length_replace(xml, "saml:", "sml2:");
    same_length_replace(xml, ":saml=", ":sml2=");
    xmlDocPtr d = fx_parse(xml);
    free(xml);
    struct fx_sign s = fx_rsa();
    fx_sign_node(d, fx_assertion(d), &s);
    cr_assert_str_eq(verdict(d), "ok");
}

/* ---- markup inside the values compared ---- */

static const char *verdict_fx(const struct fx *f, char *name, size_t n)
{
    struct fx_sign s = fx_rsa();
    xmlDocPtr d = fx_signed(f, &s, true, false);
    char *b64 = fx_b64(d);
    xmlFreeDoc(d);
    struct saml_expect x = fx_expect(SAML_RSA_CERT);
    const char *c = check_b64(b64, &x, name, n);
    free(b64);
    return c;
}

Test(saml_attack, markup_in_compared_values_fails_their_check)
{
    struct fx f = fx_defaults();
    f.audience = "https://sg.example.com/c1.p1/<!---->metadata";
    cr_assert_str_eq(verdict_fx(&f, NULL, 0), "audience");
    f = fx_defaults();
    f.audience = " " FX_SP " ";
    cr_assert_str_eq(verdict_fx(&f, NULL, 0), "audience");
    f = fx_defaults();
    f.assertion_issuer = "https://idp.example.com/<!-- x -->saml";
    cr_assert_str_eq(verdict_fx(&f, NULL, 0), "issuer");
    f = fx_defaults();
    f.recipient = FX_ACS "&#x20;";
    cr_assert_str_eq(verdict_fx(&f, NULL, 0), "recipient");
    f = fx_defaults();
    f.name_id = "admin@example.com<![CDATA[]]><!---->.evil.com";
    cr_assert_str_eq(verdict_fx(&f, NULL, 0), "name id");
    f = fx_defaults();
    f.name_id = "<x>admin@example.com</x>";
    cr_assert_str_eq(verdict_fx(&f, NULL, 0), "name id");
}

Test(saml_attack, references_and_cdata_read_as_the_text_that_was_signed)
{
    /* the IdP signed these exact characters: c14n writes a character
     * reference and CDATA as the text they stand for, and so do we */
    struct fx f = fx_defaults();
    f.name_id = "&#x61;lice<![CDATA[@example]]>&#46;com";
    f.audience = "<![CDATA[" FX_SP "]]>";
    char name[300];
    cr_assert_str_eq(verdict_fx(&f, name, sizeof name), "ok");
    cr_assert_str_eq(name, "alice@example.com");
    f = fx_defaults();
    f.name_id = "a&lt;b&gt;&amp;&quot;";
    cr_assert_str_eq(verdict_fx(&f, name, sizeof name), "ok");
    cr_assert_str_eq(name, "a<b>&\"");
}

/* ---- times ---- */

Test(saml_attack, time_edges)
{
    struct fx f = fx_defaults();
    f.scd_noa = "9999-12-31T23:59:59Z";
    f.noa = "9999-12-31T23:59:59Z";
    cr_assert_str_eq(verdict_fx(&f, NULL, 0), "lifetime");
    f = fx_defaults();
    f.scd_noa = "2026-01-01T00:05:00+00:00";
    cr_assert_str_eq(verdict_fx(&f, NULL, 0), "time");
    f = fx_defaults();
    f.scd_noa = "2026-01-01T02:05:00+02:00";
    cr_assert_str_eq(verdict_fx(&f, NULL, 0), "time");
    f = fx_defaults();
    f.scd_noa = "-2026-01-01T00:05:00Z";
    cr_assert_str_eq(verdict_fx(&f, NULL, 0), "time");
    f = fx_defaults();
    f.scd_noa = "+2026-01-01T00:05:00Z";
    cr_assert_str_eq(verdict_fx(&f, NULL, 0), "time");
    f = fx_defaults();
    f.scd_noa = "2026-01-01T00:05:00.999999999999999999999Z";
    cr_assert_str_eq(verdict_fx(&f, NULL, 0), "ok");
    f = fx_defaults();
    f.scd_noa = "2026-01-01T00:05:00.Z";
    cr_assert_str_eq(verdict_fx(&f, NULL, 0), "time");
    f = fx_defaults();
    f.scd_noa = " 2026-01-01T00:05:00Z";
    cr_assert_str_eq(verdict_fx(&f, NULL, 0), "time");
    /* a fraction never stretches the window: 23:57:59.99 is past with a
     * 120 s skew at 00:00:00 */
    f = fx_defaults();
    f.scd_noa = "2025-12-31T23:57:59.999Z";
    cr_assert_str_eq(verdict_fx(&f, NULL, 0), "expired");
    /* Conditions may not reopen what the confirmation closed */
    f = fx_defaults();
    f.scd_noa = "2025-12-31T23:50:00Z";
    f.noa = "2026-01-01T00:10:00Z";
    cr_assert_str_eq(verdict_fx(&f, NULL, 0), "expired");
}

/* ---- another provider's response ---- */

Test(saml_attack, a_response_for_another_provider_is_refused)
{
    /* same IdP, same key, posted to provider p2 of the same customer */
    struct fx f = fx_defaults();
    struct fx_sign s = fx_rsa();
    xmlDocPtr d = fx_signed(&f, &s, true, false);
    char *b64 = fx_b64(d);
    xmlFreeDoc(d);
    struct saml_expect x = fx_expect(SAML_RSA_CERT);
    x.acs_url = "https://sg.example.com/c1.p2/callback";
    x.sp_entity_id = "https://sg.example.com/c1.p2/metadata";
    cr_assert_str_eq(check_b64(b64, &x, NULL, 0), "destination");
    free(b64);
    /* without the Response's Destination the assertion's own checks hold */
    f.destination = "https://sg.example.com/c1.p2/callback";
    f.recipient = "https://sg.example.com/c1.p2/callback";
    d = fx_signed(&f, &s, true, false);
    xmlUnsetProp(fx_root(d), (const xmlChar *)"Destination");
    b64 = fx_b64(d);
    xmlFreeDoc(d);
    x = fx_expect(SAML_RSA_CERT);
    x.acs_url = "https://sg.example.com/c1.p2/callback";
    x.sp_entity_id = "https://sg.example.com/c1.p2/metadata";
    cr_assert_str_eq(check_b64(b64, &x, NULL, 0), "audience");
    free(b64);
}

/* ---- a provider document with odd values, at start ---- */

/* The AuthnRequest of a start URL, parsed. */
static xmlDocPtr request_of(struct arena *a, const char *url)
{
    const char *v = strstr(url, "SAMLRequest=");
    cr_assert_not_null(v);
    v += 12;
    size_t len = strcspn(v, "&");
    char *b64 = arena_alloc(a, len + 1);
    cr_assert_geq(util_pct_decode(b64, v, len, false), 0);
    unsigned char raw[16384];
    int n = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)strlen(b64));
    cr_assert_gt(n, 0);
    char *xml = calloc(1, 65536);
    z_stream z = {0};
    cr_assert_eq(inflateInit2(&z, -15), Z_OK);
    z.next_in = raw;
    z.avail_in = (uInt)n;
    z.next_out = (Bytef *)xml;
    z.avail_out = 65535;
    int rc = inflate(&z, Z_FINISH);
    cr_assert(rc == Z_STREAM_END || rc == Z_BUF_ERROR);
    xmlDocPtr d = xmlReadMemory(xml, (int)z.total_out, NULL, NULL, XML_PARSE_NONET);
    inflateEnd(&z);
    free(xml);
    cr_assert_not_null(d, "the AuthnRequest is well-formed XML");
    return d;
}

Test(saml_attack, authn_context_values_cannot_break_out_of_the_request)
{
    json_t *ctx = json_pack("{s:b, s:s, s:[s,s,s,i,s,s,s,s,s,s,s,s,s]}", "enabled", 1, "comparison",
                            "exact\" Evil=\"1", "class_refs", "urn:a\"/><saml:Evil/><x y=\"",
                            "urn:b\nInjected", "urn:c\x01", 7, "urn:d", "urn:e", "urn:f", "urn:g",
                            "urn:h", "urn:i", "urn:j", "urn:k", "urn:l");
    struct arena a;
    arena_init(&a);
    struct saml_request r = {
        .auth_url = "https://idp.example.com/sso?q=1#frag",
        .acs_url = FX_ACS,
        .sp_entity_id = FX_SP,
        .id = FX_REQ,
        .relay_state = "r",
        .now = FX_NOW,
        .authn_context = ctx,
    };
    const char *url = NULL;
    cr_assert_eq(saml_authn_request_url(&a, &r, &url, NULL), ST_OK);
    cr_assert_null(strchr(url, '#'));
    cr_assert_eq(strncmp(url, "https://idp.example.com/sso?q=1&SAMLRequest=", 44), 0);
    xmlDocPtr d = request_of(&a, url);
    xmlNodePtr root = xmlDocGetRootElement(d);
    xmlNodePtr rac = fx_elem(root, "RequestedAuthnContext");
    cr_assert_not_null(rac);
    xmlChar *cmp = xmlGetProp(rac, (const xmlChar *)"Comparison");
    cr_assert_str_eq((const char *)cmp, "exact");
    xmlFree(cmp);
    cr_assert_null(xmlHasProp(rac, (const xmlChar *)"Evil"));
    int refs = 0;
    for (xmlNodePtr c = rac->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        cr_assert_str_eq((const char *)c->name, "AuthnContextClassRef");
        xmlChar *t = xmlNodeGetContent(c);
        if (refs == 0)
            cr_assert_str_eq((const char *)t, "urn:a\"/><saml:Evil/><x y=\"");
        cr_assert_null(strpbrk((const char *)t, "\n\x01"), "a control byte is never sent");
        xmlFree(t);
        refs++;
    }
    cr_assert_eq(refs, 8, "at most 8 class refs, the bad ones left out");
    xmlFreeDoc(d);
    json_decref(ctx);
    arena_cleanup(&a);
}
