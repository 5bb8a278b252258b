/* SPDX-License-Identifier: MIT */
/*
 * saml: what the SP sends and publishes. The AuthnRequest of the
 * HTTP-Redirect binding (raw DEFLATE, Base64, percent-encoded) and the SP
 * metadata, both written with libxml2's writer so every value is escaped.
 */
#include <libxml/xmlstring.h>
#include <libxml/xmlwriter.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "saml_int.h"

#define MAX_CLASS_REFS 8

/* A value that can go into XML and a URL: present, UTF-8, no control. */
static bool sendable(const char *s)
{
    if (!s || !*s || !xmlCheckUTF8((const unsigned char *)s))
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

#define W(s) ((const xmlChar *)(s))

static void add_authn_context(xmlTextWriterPtr w, const json_t *ctx)
{
    if (!json_is_true(json_object_get(ctx, "enabled")))
        return;
    const char *cmp = json_string_value(json_object_get(ctx, "comparison"));
    if (!cmp || (strcmp(cmp, "exact") && strcmp(cmp, "minimum") && strcmp(cmp, "maximum") &&
                 strcmp(cmp, "better")))
        cmp = "exact";
    xmlTextWriterStartElementNS(w, W("samlp"), W("RequestedAuthnContext"), NULL);
    xmlTextWriterWriteAttribute(w, W("Comparison"), W(cmp));
    const json_t *refs = json_object_get(ctx, "class_refs");
    int n = 0;
    for (size_t i = 0; i < json_array_size(refs) && n < MAX_CLASS_REFS; i++) {
        const char *r = json_string_value(json_array_get(refs, i));
        if (!sendable(r))
            continue;
        xmlTextWriterWriteElementNS(w, W("saml"), W("AuthnContextClassRef"), NULL, W(r));
        n++;
    }
    if (!n)
        xmlTextWriterWriteElementNS(w, W("saml"), W("AuthnContextClassRef"), NULL,
                                    W(SAML_AC_PASSWORD_PROTECTED));
    xmlTextWriterEndElement(w);
}

/* The AuthnRequest XML into buf. */
static void write_request(xmlBufferPtr buf, const struct saml_request *r, const char *dest)
{
    char instant[32];
    time_t t = (time_t)r->now;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(instant, sizeof instant, "%Y-%m-%dT%H:%M:%SZ", &tm);
    xmlTextWriterPtr w = xmlNewTextWriterMemory(buf, 0);
    if (!w)
        abort();
    xmlTextWriterStartElementNS(w, W("samlp"), W("AuthnRequest"), W(SAML_NS_PROTOCOL));
    xmlTextWriterWriteAttribute(w, W("xmlns:saml"), W(SAML_NS_ASSERTION));
    xmlTextWriterWriteAttribute(w, W("ID"), W(r->id));
    xmlTextWriterWriteAttribute(w, W("Version"), W("2.0"));
    xmlTextWriterWriteAttribute(w, W("IssueInstant"), W(instant));
    xmlTextWriterWriteAttribute(w, W("Destination"), W(dest));
    xmlTextWriterWriteAttribute(w, W("AssertionConsumerServiceURL"), W(r->acs_url));
    xmlTextWriterWriteAttribute(w, W("ProtocolBinding"), W(SAML_BINDING_POST));
    if (r->force_authn)
        xmlTextWriterWriteAttribute(w, W("ForceAuthn"), W("true"));
    xmlTextWriterWriteElementNS(w, W("saml"), W("Issuer"), NULL, W(r->sp_entity_id));
    xmlTextWriterStartElementNS(w, W("samlp"), W("NameIDPolicy"), NULL);
    xmlTextWriterWriteAttribute(w, W("AllowCreate"), W("true"));
    xmlTextWriterEndElement(w);
    add_authn_context(w, r->authn_context);
    xmlTextWriterEndElement(w);
    xmlFreeTextWriter(w); /* flushes into buf */
}

/* Raw DEFLATE (RFC 1951, no zlib header: SAML bindings §3.4.4.1), then
 * Base64, from a. */
static const char *deflate_b64(struct arena *a, const unsigned char *in, size_t n)
{
    z_stream z = {0};
    /* A 1 KiB window and the smallest hash: an AuthnRequest is about that
     * long, and zlib's defaults (level 9, 32 KiB window, memLevel 8)
     * allocate about 256 KiB per call, which the page faults of every
     * start paid for. Any inflater reads a smaller window. */
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -10, 1, Z_DEFAULT_STRATEGY) != Z_OK)
        abort();
    uLong cap = deflateBound(&z, (uLong)n);
    unsigned char *out = xmalloc(cap);
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END)
        abort();
    size_t len = z.total_out;
    deflateEnd(&z);
    char *b64 = arena_alloc(a, 4 * ((len + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)b64, out, (int)len);
    free(out);
    return b64;
}

enum st saml_authn_request_url(struct arena *a, const struct saml_request *r, const char **url,
                               struct err *e)
{
    *url = NULL;
    if (!sendable(r->auth_url) || !sendable(r->acs_url) || !sendable(r->sp_entity_id))
        return ERR(e, ST_INVALID, NULL, "saml request: a URL is missing or holds a control byte");
    if (!saml_ncname(r->id))
        return ERR(e, ST_INVALID, NULL, "saml request: the request id is not an NCName");
    if (!sendable(r->relay_state) || strlen(r->relay_state) > SAML_RELAY_STATE_MAX)
        return ERR(e, ST_INVALID, NULL, "saml request: RelayState must be 1 to %d bytes",
                   SAML_RELAY_STATE_MAX);
    const char *hash = strchr(r->auth_url, '#');
    const char *dest =
        hash ? arena_strndup(a, r->auth_url, (size_t)(hash - r->auth_url)) : r->auth_url;
    xmlBufferPtr buf = xmlBufferCreate();
    if (!buf)
        abort();
    write_request(buf, r, dest);
    const char *b64 = deflate_b64(a, xmlBufferContent(buf), (size_t)xmlBufferLength(buf));
    xmlBufferFree(buf);
    const char *q = strchr(dest, '?');
    const char *sep = !q ? "?" : (q[1] && dest[strlen(dest) - 1] != '&') ? "&" : "";
    *url = arena_printf(a, "%s%s" SAML_PARAM_REQUEST "=%s&" SAML_PARAM_RELAY_STATE "=%s", dest, sep,
                        util_pct_encode(a, b64), util_pct_encode(a, r->relay_state));
    return ST_OK;
}

enum st saml_sp_metadata(struct arena *a, const char *entity_id, const char *acs_url,
                         const char **xml, size_t *len, struct err *e)
{
    *xml = NULL;
    *len = 0;
    if (!sendable(entity_id) || !sendable(acs_url))
        return ERR(e, ST_INVALID, NULL, "saml metadata: a URL is missing or holds a control byte");
    xmlBufferPtr buf = xmlBufferCreate();
    xmlTextWriterPtr w = buf ? xmlNewTextWriterMemory(buf, 0) : NULL;
    if (!w)
        abort();
    xmlTextWriterSetIndent(w, 1);
    xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL);
    xmlTextWriterStartElementNS(w, W("md"), W("EntityDescriptor"), W(SAML_NS_METADATA));
    xmlTextWriterWriteAttribute(w, W("entityID"), W(entity_id));
    xmlTextWriterStartElementNS(w, W("md"), W("SPSSODescriptor"), NULL);
    xmlTextWriterWriteAttribute(w, W("AuthnRequestsSigned"), W("false"));
    xmlTextWriterWriteAttribute(w, W("WantAssertionsSigned"), W("true"));
    xmlTextWriterWriteAttribute(w, W("protocolSupportEnumeration"), W(SAML_NS_PROTOCOL));
    xmlTextWriterStartElementNS(w, W("md"), W("AssertionConsumerService"), NULL);
    xmlTextWriterWriteAttribute(w, W("Binding"), W(SAML_BINDING_POST));
    xmlTextWriterWriteAttribute(w, W("Location"), W(acs_url));
    xmlTextWriterWriteAttribute(w, W("index"), W("0"));
    xmlTextWriterWriteAttribute(w, W("isDefault"), W("true"));
    xmlTextWriterEndDocument(w); /* closes every open element */
    xmlFreeTextWriter(w);
    *len = (size_t)xmlBufferLength(buf);
    *xml = arena_strndup(a, (const char *)xmlBufferContent(buf), *len);
    xmlBufferFree(buf);
    return ST_OK;
}
