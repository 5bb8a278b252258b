/* SPDX-License-Identifier: MIT */
/*
 * saml: the SAML 2.0 Web Browser SSO profile as a service provider, for
 * the sign-in runtime (SPEC §7.3-§7.5): the AuthnRequest of start
 * (HTTP-Redirect binding), the SP metadata document, and the check of a
 * SAMLResponse posted to the callback (HTTP-POST binding). Pure: no I/O,
 * no store, no HTTP; the caller keeps flows and the replay table. XML is
 * read with libxml2 (no DTD, no entities, no network) and signatures are
 * checked with xmlsec's OpenSSL backend against the pinned certificate
 * only.
 */
#ifndef SG_SAML_H
#define SG_SAML_H

#include <jansson.h>

#include "../util/util.h"

/* Protocol constants, named once. */
#define SAML_NS_PROTOCOL "urn:oasis:names:tc:SAML:2.0:protocol"
#define SAML_NS_ASSERTION "urn:oasis:names:tc:SAML:2.0:assertion"
#define SAML_NS_METADATA "urn:oasis:names:tc:SAML:2.0:metadata"
#define SAML_BINDING_POST "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
#define SAML_BINDING_REDIRECT "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
#define SAML_STATUS_SUCCESS "urn:oasis:names:tc:SAML:2.0:status:Success"
#define SAML_CM_BEARER "urn:oasis:names:tc:SAML:2.0:cm:bearer"
#define SAML_AC_PASSWORD_PROTECTED                                                                 \
    "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
#define SAML_PARAM_REQUEST "SAMLRequest"
#define SAML_PARAM_RESPONSE "SAMLResponse"
#define SAML_PARAM_RELAY_STATE "RelayState"

/* Bounds of a response (a hostile IdP, or anyone, can post one). Behind
 * the callback route, its 256 KiB body limit (form-encoded) comes first,
 * so a posted response holds at most about 190 KiB of XML; these bound
 * what saml_response_check itself accepts from any caller. */
#define SAML_B64_MAX (360 * 1024)  /* Base64 text of SAMLResponse, whitespace included */
#define SAML_XML_MAX (256 * 1024)  /* decoded XML bytes */
#define SAML_DEPTH_MAX 32          /* element nesting; the root is depth 1 */
#define SAML_XML_ATTRIBUTES_MAX 64 /* attributes of one element, xmlns ones included */
#define SAML_XML_NAMESPACES_MAX 64 /* namespace declarations in scope at once */
#define SAML_NAME_ID_MAX 256       /* bytes of NameID (SAML core §8.3.7: at most 256) */
#define SAML_TEXT_MAX 1024         /* bytes of an Issuer, Audience, ID or attribute name */
#define SAML_ATTRIBUTES_MAX 64     /* attribute names kept; later ones are left out */
#define SAML_VALUES_MAX 32         /* values kept per attribute; later ones are left out */
#define SAML_VALUE_MAX 1024        /* bytes of a value; a longer value is left out */
#define SAML_LIFETIME_MAX 86400    /* an assertion may be accepted at most this long from now */
#define SAML_RELAY_STATE_MAX 80    /* bytes of RelayState (SAML bindings §3.4.3) */

/* Initialises libxml2, xmlsec and its OpenSSL backend for the process,
 * and silences their error output (a refused response is the caller's
 * log line, not stderr). Call before the first other saml_ call, and
 * before threads use them; calling it again (tests) does nothing. ST_OK or
 * ST_INTERNAL when xmlsec would not start (version mismatch). */
enum st saml_init(struct err *e);
/* Undoes saml_init once no other thread uses saml_; does nothing when not
 * initialised. saml_init may be called again afterwards. */
void saml_shutdown(void);

/* A pinned certificate's public key, parsed once (OpenSSL 3 takes about
 * 100 us to read a certificate: a third of a check). Immutable once made:
 * any number of threads may use one at once. */
struct saml_key;
/* Parses b64 (Base64 of a DER X.509 certificate, whitespace allowed: a
 * provider's idp_certificate). ST_INVALID when it does not load, or its
 * key is not RSA of 2048 to 8192 bits with an exponent under 2^32 or
 * ECDSA on P-256, P-384 or P-521 (the API's own bounds, held again for
 * rows that never passed it). *out: saml_key_free. After saml_init. */
enum st saml_key_parse(const char *b64, struct saml_key **out, struct err *e);
/* NULL is accepted. */
void saml_key_free(struct saml_key *k);

/* What a response must match. Strings are borrowed. */
struct saml_expect {
    const char *acs_url;        /* the callback: Destination, Recipient */
    const char *sp_entity_id;   /* the metadata URL: an Audience */
    const char *request_id;     /* the AuthnRequest ID: InResponseTo; NULL: none may be given */
    const struct saml_key *key; /* the pinned key, parsed; NULL: certificate is parsed */
    const char *certificate;    /* pinned idp_certificate: Base64 of DER, whitespace allowed */
    const char *issuer;         /* pinned IdP entity id, or NULL (then any, returned to pin) */
    int64_t now;                /* seconds since the epoch */
    int64_t skew;               /* seconds of clock skew allowed (SPEC: 120) */
    bool allow_sha1;            /* --saml-allow-sha1: SHA-1 digests and signatures accepted */
};

/* The outcome of saml_response_check. Strings live in the caller's arena;
 * attributes is owned (saml_result_cleanup). */
struct saml_result {
    /* Failure: the failed check, static text for the log line ("signature",
     * "audience", "xml", ...), never a value from the response. NULL on
     * success. */
    const char *check;
    /* When the IdP said a status other than Success (check "status"): the
     * last part of its most specific status code URI ("AuthnFailed",
     * "RequestDenied", "Responder"), at most 64 bytes of [A-Za-z0-9],
     * else NULL. The caller tells access_denied from login_failed by it. */
    const char *status;
    /* Success: */
    const char *issuer;         /* the Assertion's Issuer */
    const char *name_id;        /* the subject: NameID's whole text */
    const char *name_id_format; /* NameID Format, or NULL when absent */
    const char *assertion_id;   /* keep until `until` to refuse a replay */
    int64_t until;              /* seconds: when assertion_id may be forgotten */
    json_t *attributes;         /* {Name: [value, ...]} in document order */
};

/* Checks a posted SAMLResponse (b64: len bytes of Base64 text, whitespace
 * allowed) against x and fills out (zeroed first; strings from a).
 *
 * Parsing: Base64 text over SAML_B64_MAX or decoded XML over SAML_XML_MAX
 * is refused before it is parsed ("size"), and so, by a scan of the
 * bytes, is an element with more than SAML_XML_ATTRIBUTES_MAX attributes
 * ("xml attributes"), more than SAML_XML_NAMESPACES_MAX namespace
 * declarations in scope ("xml namespaces"), or nesting past
 * SAML_DEPTH_MAX ("depth"): the parser's cost grows faster than the size
 * with each (a "<!" or "<?" other than a comment, CDATA or processing
 * instruction, or a quote outside an attribute value, would make the scan
 * miss a tag: "xml markup"); libxml2 stops at its first error ("xml",
 * a namespace error too: never a tree cut short), reads it as UTF-8
 * (an encoding declaration is ignored; other encodings do not parse) with
 * no network, no DTD loading, no entity substitution, no huge mode; any
 * DOCTYPE (internal subset or not) is refused ("doctype"), and so is
 * nesting past SAML_DEPTH_MAX ("depth").
 * Structure: root samlp:Response, Version 2.0 ("response"); no
 * EncryptedAssertion anywhere ("encrypted assertion": Identity Cloud gives
 * the SP no key); exactly one saml:Assertion in the whole document and it
 * a child of the root ("assertion count", "assertion position"); every ID
 * attribute (and xml:id) value unique ("duplicate id"). Only the ID
 * attributes of the Response and the Assertion are registered as IDs.
 * Status: a StatusCode other than Success ends the check ("status", with
 * out->status) before the signature is looked at: the caller learns what
 * the IdP said, and nothing of it is trusted.
 * Signature: a ds:Signature child of the Assertion, of the Response, or
 * both (each present one must verify; none: "unsigned"). Each must have
 * exactly one Reference whose URI is "#" + the ID of its parent, an
 * NCName (so never an XPointer) resolving to the parent ("signature
 * reference"); exclusive c14n
 * (with or without comments) for SignedInfo, transforms only
 * enveloped-signature and exclusive c14n ("signature transform"); digest
 * SHA-256/384/512 and signature RSA or ECDSA with SHA-256/384/512, SHA-1
 * only with x->allow_sha1 ("signature algorithm"). It is verified with the
 * pinned public key alone, x->key or else x->certificate's (KeyInfo is
 * never read; same-document
 * references only; manifests ignored) ("signature"); a certificate that
 * does not load is ST_INTERNAL ("certificate"). The Assertion consumed is
 * the Response's own child, so when only the Response is signed every
 * value returned still comes from inside what was signed.
 * Checks: Response Destination, when present, = acs_url ("destination");
 * Response InResponseTo, when present, = request_id ("in response to");
 * Assertion Version 2.0 with an ID ("assertion"); an Assertion Issuer,
 * equal to the Response's when that has one, and to x->issuer when
 * pinned ("issuer"); Subject NameID: text only, 1 to SAML_NAME_ID_MAX
 * bytes, so a comment or element inside it refuses the response rather
 * than cutting the name ("name id"); a bearer SubjectConfirmation
 * (none: "subject confirmation") whose Data has Recipient = acs_url
 * ("recipient"), InResponseTo = request_id, or none when request_id is
 * NULL ("in response to"), a NotOnOrAfter ("subject confirmation") >
 * now - skew ("expired"), NotBefore, when present, <= now + skew ("not
 * yet valid"); when several are bearer, one passing is enough, else the
 * first one's check is named. Conditions with NotBefore <= now + skew
 * ("not yet valid"), NotOnOrAfter > now - skew ("expired"), at least one
 * AudienceRestriction and each containing sp_entity_id (no Conditions,
 * none or another: "audience"), nothing but AudienceRestriction,
 * OneTimeUse and ProxyRestriction ("condition"); an AuthnStatement
 * ("authn statement"). Times are xs:dateTime in UTC ("Z"), fractions of
 * a second dropped ("time" when malformed). Issuer, Audience and NameID
 * are read as plain text (text and CDATA): with a comment or an element
 * inside they match nothing (their check fails).
 * until: the earliest NotOnOrAfter that bounds acceptance (the bearer
 * confirmation's, and Conditions' when earlier) + skew: past it the
 * assertion is refused as expired anyway. An assertion acceptable longer
 * than SAML_LIFETIME_MAX from now is refused ("lifetime"), so the
 * replay table holds an id at most a day.
 * Attributes: of every AttributeStatement, by Name (1 to SAML_TEXT_MAX
 * bytes), values in order; at most SAML_ATTRIBUTES_MAX names and
 * SAML_VALUES_MAX values each, a value over SAML_VALUE_MAX bytes left out
 * (as idp_profile leaves it out); an AttributeValue that is not plain
 * text (a comment or an element inside) is left out whole, never cut;
 * EncryptedAttribute is ignored; a value that is not UTF-8 cannot occur
 * (libxml2 gives UTF-8).
 *
 * ST_OK; ST_INVALID (Base64, XML, size, attributes, doctype, depth); ST_FORBIDDEN
 * (every other check, and "status"); ST_INTERNAL ("certificate", or xmlsec
 * failing to set up). e, when not NULL, gets the same check as its
 * message. Thread-safe after saml_init. */
enum st saml_response_check(struct arena *a, const char *b64, size_t len,
                            const struct saml_expect *x, struct saml_result *out, struct err *e);
/* Releases out->attributes; out may be zeroed. */
void saml_result_cleanup(struct saml_result *out);

/* The profile document of SPEC §7.5: {Name: first value} of r->attributes
 * (an attribute with no value kept is left out). A new object. */
json_t *saml_profile_doc(const struct saml_result *r);
/* The auth_info extended member "saml": {issuer, nameId, nameIdFormat
 * (when known), attributes}. A new object. */
json_t *saml_extended(const struct saml_result *r);

/* An AuthnRequest for start. Strings are borrowed. */
struct saml_request {
    const char *auth_url;     /* the IdP's SSO URL (HTTP-Redirect endpoint) */
    const char *acs_url;      /* the callback */
    const char *sp_entity_id; /* the metadata URL: Issuer */
    const char *id;           /* the flow's request id: "_" + 40 hex */
    const char *relay_state;  /* the flow handle, 1 to SAML_RELAY_STATE_MAX bytes */
    int64_t now;              /* IssueInstant */
    bool force_authn;         /* force_reauth=true: ForceAuthn="true" */
    /* The provider's authn_context object, or NULL. With "enabled": true,
     * a RequestedAuthnContext is sent: Comparison = its "comparison"
     * (exact, minimum, maximum or better; else exact), the class refs of
     * its "class_refs" (strings; at most 8), else PasswordProtectedTransport. */
    const json_t *authn_context;
};

/* The URL start redirects to (HTTP-Redirect binding, SAML bindings §3.4):
 * auth_url, its fragment cut and its own query kept, then SAMLRequest =
 * Base64(raw DEFLATE(AuthnRequest)) and RelayState, percent-encoded but
 * RFC 3986 unreserved bytes. The AuthnRequest: ID r->id, Version 2.0,
 * IssueInstant r->now, Destination = auth_url without its fragment,
 * AssertionConsumerServiceURL = acs_url, ProtocolBinding HTTP-POST,
 * ForceAuthn when asked, Issuer = sp_entity_id, NameIDPolicy
 * AllowCreate="true", RequestedAuthnContext as above; unsigned. *url from
 * a. ST_INVALID when a value cannot be sent (missing, a control byte, an
 * id that is not an NCName, a relay state over SAML_RELAY_STATE_MAX). */
enum st saml_authn_request_url(struct arena *a, const struct saml_request *r, const char **url,
                               struct err *e);

/* The SP metadata served at GET /{c}.{p}/metadata: an EntityDescriptor of
 * entityID entity_id (the metadata URL itself) with an SPSSODescriptor
 * (SAML 2.0 protocol, AuthnRequestsSigned false, WantAssertionsSigned
 * true) and one AssertionConsumerService, HTTP-POST, Location acs_url,
 * index 0, default. UTF-8 XML text from a, *len its length. ST_INVALID
 * when a value holds a control byte or is missing. */
enum st saml_sp_metadata(struct arena *a, const char *entity_id, const char *acs_url,
                         const char **xml, size_t *len, struct err *e);

#endif
