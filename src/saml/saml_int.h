/* SPDX-License-Identifier: MIT */
/*
 * saml internals shared by its files: the parsed document, the element
 * helpers, the signature check.
 */
#ifndef SG_SAML_INT_H
#define SG_SAML_INT_H

#include <libxml/tree.h>
#include <xmlsec/keys.h>

#include "saml.h"

#define SAML_NS_DSIG "http://www.w3.org/2000/09/xmldsig#"

/* A response read by saml_parse: its document and the two elements the
 * checks consume. */
struct saml_doc {
    xmlDocPtr doc;
    xmlNodePtr response;  /* the root */
    xmlNodePtr assertion; /* the one Assertion, a child of the root */
};

/* Decodes b64 and parses it (the parsing and structure rules of
 * saml_response_check). On failure sets *check and returns ST_INVALID or
 * ST_FORBIDDEN; on success d->doc must be freed with saml_doc_cleanup. */
enum st saml_parse(const char *b64, size_t len, struct saml_doc *d, const char **check);
void saml_doc_cleanup(struct saml_doc *d);

/* The first child element of parent named ns:name after `after` (NULL:
 * from the first child), or NULL. */
xmlNodePtr saml_child(xmlNodePtr parent, xmlNodePtr after, const char *ns, const char *name);
/* True when n is an element named ns:name. */
bool saml_is(xmlNodePtr n, const char *ns, const char *name);
/* The value of n's unqualified attribute name (from a), or NULL when it
 * is absent. */
const char *saml_attr(struct arena *a, xmlNodePtr n, const char *name);
/* n's text when n holds text only (text and CDATA nodes: no comment, no
 * element, no processing instruction) and it is at most max bytes, from
 * a; else NULL. An empty element reads "". */
const char *saml_text(struct arena *a, xmlNodePtr n, size_t max);

/* Checks the enveloped signature sig of element signed (whose ID is id)
 * with key, as saml_response_check says. On failure sets *check and
 * returns ST_FORBIDDEN (ST_INTERNAL when xmlsec cannot be set up). */
enum st saml_signature_check(struct arena *a, const struct saml_doc *d, xmlNodePtr signed_node,
                             xmlNodePtr sig, xmlSecKeyPtr key, bool allow_sha1, const char **check);
/* The public key of the certificate (Base64 DER text, whitespace
 * allowed), or NULL when it does not load. xmlSecKeyDestroy it. */
xmlSecKeyPtr saml_key_load(const char *b64);
/* A key of its own for one check, from a parsed one (cheap: the public
 * key is shared by reference); NULL on failure. xmlSecKeyDestroy it. */
xmlSecKeyPtr saml_key_get(const struct saml_key *k);

/* Silences libxml2's error output (c14n reports hostile input on stderr)
 * for the calling thread and threads to come. Cheap: called per check. */
void saml_quiet(void);

/* True when s is an XML NCName in ASCII (what an ID must be: no
 * "xpointer(...)" can pass for one). */
bool saml_ncname(const char *s);

/* Seconds since the epoch of an xs:dateTime in UTC ("Z", optional
 * fraction dropped); false when s is not one. */
bool saml_time_parse(const char *s, int64_t *out);

#endif
