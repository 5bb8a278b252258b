/* SPDX-License-Identifier: MIT */
/*
 * saml: reading a SAMLResponse into a tree a hostile sender cannot bend:
 * Base64 and size caps, libxml2 with no DTD, entity or network, any
 * DOCTYPE refused, a depth cap, one Assertion under the root, unique IDs,
 * and IDs registered on the Response and the Assertion only (what a
 * signature's "#id" can resolve to). Also the small element helpers the
 * checks share.
 */
#include <limits.h>
#include <libxml/parser.h>
#include <libxml/valid.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "saml_int.h"

/* The parser options: no network, no DTD loading, no entity substitution
 * (XML_PARSE_NOENT off), no default attributes from a DTD, no XInclude,
 * no huge mode, no output on stderr; and the bytes read as UTF-8 whatever
 * the document declares (IGNORE_ENC), so the byte scans below see what
 * the parser sees. */
#define PARSE_OPTIONS                                                                              \
    (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_IGNORE_ENC)

static bool is_space(char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* Padded Base64 (RFC 4648 §4) of n bytes into out (3n/4 bytes): their
 * count, or -1. OpenSSL's decoder rather than libsodium's constant-time
 * one: a response is no secret, and at 6 KB for one signed assertion it
 * is the largest thing the runtime decodes (a third of the time). Padding
 * only at the end: OpenSSL would read an '=' anywhere. */
static long b64_decode(unsigned char *out, const char *in, size_t n)
{
    if (n == 0 || n % 4 || n > INT_MAX)
        return -1;
    size_t pad = in[n - 1] == '=' ? (in[n - 2] == '=' ? 2 : 1) : 0;
    if (memchr(in, '=', n - pad))
        return -1;
    int got = EVP_DecodeBlock(out, (const unsigned char *)in, (int)n);
    return got < 0 ? -1 : got - (long)pad;
}

/* Base64 with whitespace to bytes (xmalloc'd, *n), or NULL. */
static unsigned char *decode(const char *b64, size_t len, size_t *n)
{
    char *clean = xmalloc(len + 1);
    size_t k = 0;
    for (size_t i = 0; i < len; i++)
        if (!is_space(b64[i]))
            clean[k++] = b64[i];
    unsigned char *out = xmalloc(k * 3 / 4 + 4);
    long got = b64_decode(out, clean, k);
    free(clean);
    if (got <= 0) {
        free(out);
        return NULL;
    }
    *n = (size_t)got;
    return out;
}

/* What made the parser stop early (its _private). */
struct stopped {
    bool doctype, error;
};

/* SAX hook: a DOCTYPE (with or without an internal subset) stops the
 * parser before any declaration in it is read. */
static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
    (void)name;
    (void)ext;
    (void)sys;
    xmlParserCtxtPtr p = ctx;
    ((struct stopped *)p->_private)->doctype = true;
    xmlStopParser(p);
}

/* Structured errors: the first error stops the parser. libxml2 would
 * report it and read on, past the comment, value or instruction it broke
 * off, parsing as tags bytes the scan below took for their content (a
 * control byte inside a comment hid a wide tag from it). Warnings (a
 * relative namespace URI) go on. */
static void on_error(void *ctx, xmlErrorPtr err)
{
    xmlParserCtxtPtr p = ctx;
    if (!err || err->level < XML_ERR_ERROR)
        return;
    /* a namespace error leaves wellFormed set: the flag says the tree is
     * cut short */
    ((struct stopped *)p->_private)->error = true;
    xmlStopParser(p);
}

/* The end of the comment, CDATA section or processing instruction at
 * x[i] ("<!" or "<?"), or n when it does not end (the parser refuses
 * that). Any other "<!" or "<?" is refused ("xml markup"): past such an error
 * libxml2 goes on reading, and would parse as tags what a skip had
 * passed over. */
static size_t skip_markup(const unsigned char *x, size_t i, size_t n, const char **check)
{
    const char *end = NULL;
    unsigned char c = i + 2 < n ? x[i + 2] : 0;
    if (n - i >= 4 && !memcmp(x + i, "<!--", 4))
        end = "-->";
    else if (n - i >= 9 && !memcmp(x + i, "<![CDATA[", 9))
        end = "]]>";
    else if (x[i + 1] == '?' && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
                                 c == ':' || c >= 0x80))
        end = "?>";
    if (!end) {
        *check = "xml markup";
        return n;
    }
    size_t k = strlen(end);
    const unsigned char *p = memmem(x + i + 2, n - i - 2, end, k);
    return p ? (size_t)(p - x) + k : n;
}

/* Whether the attribute whose "=" is x[eq] declares a namespace ("xmlns"
 * or "xmlns:p"); start: the first byte of the tag's name. */
static bool is_xmlns(const unsigned char *x, size_t start, size_t eq)
{
    size_t e = eq;
    while (e > start && is_space((char)x[e - 1]))
        e--;
    size_t b = e;
    while (b > start && !is_space((char)x[b - 1]) && x[b - 1] != '"' && x[b - 1] != '\'')
        b--;
    return e - b >= 5 && !memcmp(x + b, "xmlns", 5) && (e - b == 5 || x[b + 5] == ':');
}

/* The open elements seen by the byte scan: namespace declarations of
 * each, and how many are in scope. */
struct scan {
    int depth, in_scope;
    int ns[SAML_DEPTH_MAX];
};

/* *check = name; the scan ends (n). */
static size_t refuse(const char **check, const char *name, size_t n)
{
    *check = name;
    return n;
}

/* Reads the start or end tag at x[i] ("<" not followed by "!" or "?"),
 * counting attributes as "=" outside quotes; returns the index after it,
 * or n with *check set when a bound is passed. */
static size_t scan_tag(struct scan *s, const unsigned char *x, size_t i, size_t n,
                       const char **check)
{
    bool end = i + 1 < n && x[i + 1] == '/';
    size_t start = ++i;
    int attrs = 0, ns = 0;
    unsigned char quote = 0, last = 0; /* last: the last byte outside quotes and spaces */
    for (; i < n && (quote || x[i] != '>'); i++) {
        if (quote) {
            quote = x[i] == quote ? 0 : quote;
        } else if (x[i] == '"' || x[i] == '\'') {
            /* a quote that opens no value: the parser errs and reads on */
            if (last != '=')
                return refuse(check, "xml markup", n);
            quote = last = x[i];
        } else if (!is_space((char)x[i])) {
            last = x[i];
            if (x[i] == '=' && ++attrs <= SAML_XML_ATTRIBUTES_MAX)
                ns += is_xmlns(x, start, i);
        }
    }
    if (attrs > SAML_XML_ATTRIBUTES_MAX)
        return refuse(check, "xml attributes", n);
    if (end) {
        if (s->depth > 0)
            s->in_scope -= s->ns[--s->depth];
        return i + 1;
    }
    s->in_scope += ns;
    if (s->in_scope > SAML_XML_NAMESPACES_MAX)
        return refuse(check, "xml namespaces", n);
    if (i < n && x[i - 1] == '/') { /* empty: its declarations end here */
        s->in_scope -= ns;
        return i + 1;
    }
    if (s->depth == SAML_DEPTH_MAX)
        return refuse(check, "depth", n);
    s->ns[s->depth++] = ns;
    return i + 1;
}

/* Bounds what the parser's cost grows with faster than the size, on the
 * bytes before it sees them: libxml2 2.9 checks a tag's attributes for
 * duplicates pairwise and c14n sorts them by insertion (30,000 on one
 * element cost over a second), and each prefixed name is looked up among
 * every namespace in scope (1,500 of them, 70 ms). So at most
 * SAML_XML_ATTRIBUTES_MAX attributes a tag, SAML_XML_NAMESPACES_MAX
 * declarations in scope, SAML_DEPTH_MAX open elements. Sound on UTF-8
 * (IGNORE_ENC): no byte of a multi-byte character is ASCII. NULL, or the
 * check that failed. */
static const char *scan_bounds(const unsigned char *x, size_t n)
{
    struct scan s = {0};
    const char *check = NULL;
    size_t i = 0;
    while (i < n && !check) {
        if (x[i] != '<')
            i++;
        else if (i + 1 < n && (x[i + 1] == '!' || x[i + 1] == '?'))
            i = skip_markup(x, i, n, &check);
        else
            i = scan_tag(&s, x, i, n, &check);
    }
    return check;
}

static enum st read_xml(const unsigned char *xml, size_t n, xmlDocPtr *out, const char **check)
{
    /* In every ASCII-compatible encoding a DOCTYPE is these bytes; the
     * SAX hook catches it in any other. */
    if (memmem(xml, n, "<!DOCTYPE", 9) || memmem(xml, n, "<!ENTITY", 8)) {
        *check = "doctype";
        return ST_INVALID;
    }
    const char *bound = scan_bounds(xml, n);
    if (bound) {
        *check = bound;
        return ST_INVALID;
    }
    xmlParserCtxtPtr p = xmlNewParserCtxt();
    if (!p)
        abort();
    struct stopped stopped = {false, false};
    p->_private = &stopped;
    p->sax->internalSubset = on_doctype;
    p->sax->externalSubset = on_doctype;
    p->sax->serror = on_error;
    xmlDocPtr doc = xmlCtxtReadMemory(p, (const char *)xml, (int)n, NULL, "UTF-8", PARSE_OPTIONS);
    bool wf = p->wellFormed && !stopped.error;
    bool doctype = stopped.doctype;
    xmlFreeParserCtxt(p);
    if (doc && (doctype || doc->intSubset || doc->extSubset)) {
        xmlFreeDoc(doc);
        *check = "doctype";
        return ST_INVALID;
    }
    if (doctype || !doc || !wf) {
        xmlFreeDoc(doc);
        *check = doctype ? "doctype" : "xml";
        return ST_INVALID;
    }
    *out = doc;
    return ST_OK;
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* What one walk over the tree finds. */
struct walk {
    int assertions, encrypted;
    bool too_deep;
    xmlNodePtr assertion;
    const char **ids; /* ID and xml:id values, borrowed from the tree */
    size_t nids, cap;
};

static void walk_attrs(struct walk *w, xmlNodePtr n)
{
    for (xmlAttrPtr at = n->properties; at; at = at->next) {
        bool xml_id = at->ns && at->ns->prefix && !strcmp((const char *)at->ns->prefix, "xml") &&
                      !strcmp((const char *)at->name, "id");
        bool id = !at->ns && !strcmp((const char *)at->name, "ID");
        if (!id && !xml_id)
            continue;
        const char *v = at->children && at->children->type == XML_TEXT_NODE && !at->children->next
                            ? (const char *)at->children->content
                            : "";
        if (w->nids == w->cap) {
            w->cap = w->cap ? w->cap * 2 : 8;
            w->ids = xrealloc(w->ids, w->cap * sizeof *w->ids);
        }
        w->ids[w->nids++] = v;
    }
}

/* Visits every element, iteratively (depth is what is being checked). */
static void walk_tree(struct walk *w, xmlNodePtr root)
{
    xmlNodePtr n = root;
    int depth = 1;
    while (n) {
        if (n->type == XML_ELEMENT_NODE) {
            if (depth > SAML_DEPTH_MAX)
                w->too_deep = true;
            if (saml_is(n, SAML_NS_ASSERTION, "Assertion")) {
                w->assertions++;
                w->assertion = n;
            }
            if (saml_is(n, SAML_NS_ASSERTION, "EncryptedAssertion"))
                w->encrypted++;
            walk_attrs(w, n);
            if (n->children && !w->too_deep) {
                n = n->children;
                depth++;
                continue;
            }
        }
        while (n && !n->next && n != root) {
            n = n->parent;
            depth--;
        }
        if (!n || n == root)
            break;
        n = n->next;
    }
}

static bool ids_unique(struct walk *w)
{
    if (w->nids < 2)
        return true;
    qsort(w->ids, w->nids, sizeof *w->ids, cmp_str);
    for (size_t i = 1; i < w->nids; i++)
        if (!strcmp(w->ids[i - 1], w->ids[i]))
            return false;
    return true;
}

/* Registers n's ID attribute as the document's only way to reach n by
 * "#id" (no DTD ever declares one). */
static void register_id(xmlDocPtr doc, xmlNodePtr n)
{
    xmlAttrPtr at = xmlHasNsProp(n, (const xmlChar *)"ID", NULL);
    if (!at)
        return;
    xmlChar *v = xmlNodeListGetString(doc, at->children, 1);
    if (v && *v && !xmlGetID(doc, v))
        xmlAddID(NULL, doc, v, at);
    xmlFree(v);
}

static const char *structure(struct saml_doc *d)
{
    xmlNodePtr root = xmlDocGetRootElement(d->doc);
    if (!saml_is(root, SAML_NS_PROTOCOL, "Response"))
        return "response";
    xmlChar *version = xmlGetNoNsProp(root, (const xmlChar *)"Version");
    bool v2 = version && !strcmp((const char *)version, "2.0");
    xmlFree(version);
    if (!v2)
        return "response";
    struct walk w = {0};
    walk_tree(&w, root);
    const char *check = NULL;
    if (w.too_deep)
        check = "depth";
    else if (w.encrypted)
        check = "encrypted assertion";
    else if (!ids_unique(&w))
        check = "duplicate id";
    else if (w.assertions != 1)
        check = "assertion count";
    else if (w.assertion->parent != root)
        check = "assertion position";
    free(w.ids);
    if (check)
        return check;
    d->response = root;
    d->assertion = w.assertion;
    register_id(d->doc, root);
    register_id(d->doc, w.assertion);
    return NULL;
}

enum st saml_parse(const char *b64, size_t len, struct saml_doc *d, const char **check)
{
    memset(d, 0, sizeof *d);
    if (len > SAML_B64_MAX) {
        *check = "size";
        return ST_INVALID;
    }
    size_t n = 0;
    unsigned char *xml = b64 ? decode(b64, len, &n) : NULL;
    if (!xml) {
        *check = "base64";
        return ST_INVALID;
    }
    if (n > SAML_XML_MAX) {
        free(xml);
        *check = "size";
        return ST_INVALID;
    }
    enum st st = read_xml(xml, n, &d->doc, check);
    free(xml);
    if (st != ST_OK)
        return st;
    const char *bad = structure(d);
    if (bad) {
        *check = bad;
        st = !strcmp(bad, "depth") ? ST_INVALID : ST_FORBIDDEN;
        saml_doc_cleanup(d);
    }
    return st;
}

void saml_doc_cleanup(struct saml_doc *d)
{
    if (d->doc)
        xmlFreeDoc(d->doc);
    memset(d, 0, sizeof *d);
}

bool saml_is(xmlNodePtr n, const char *ns, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
           !strcmp((const char *)n->ns->href, ns) && !strcmp((const char *)n->name, name);
}

xmlNodePtr saml_child(xmlNodePtr parent, xmlNodePtr after, const char *ns, const char *name)
{
    if (!parent)
        return NULL;
    for (xmlNodePtr c = after ? after->next : parent->children; c; c = c->next)
        if (saml_is(c, ns, name))
            return c;
    return NULL;
}

const char *saml_attr(struct arena *a, xmlNodePtr n, const char *name)
{
    xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
    if (!v)
        return NULL;
    const char *s = arena_strdup(a, (const char *)v);
    xmlFree(v);
    return s;
}

const char *saml_text(struct arena *a, xmlNodePtr n, size_t max)
{
    size_t len = 0;
    for (xmlNodePtr c = n->children; c; c = c->next) {
        if (c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE)
            return NULL;
        len += c->content ? strlen((const char *)c->content) : 0;
        if (len > max)
            return NULL;
    }
    char *s = arena_alloc(a, len + 1), *p = s;
    for (xmlNodePtr c = n->children; c; c = c->next) {
        size_t k = c->content ? strlen((const char *)c->content) : 0;
        memcpy(p, c->content, k);
        p += k;
    }
    *p = '\0';
    return s;
}

bool saml_ncname(const char *s)
{
    if (!s || !((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
        return false;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.'))
            return false;
    return true;
}

static bool digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

bool saml_time_parse(const char *s, int64_t *out)
{
    int y, mo, d, h, mi, se;
    if (!s || strlen(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
        s[16] != ':')
        return false;
    if (!digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) ||
        !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &se))
        return false;
    const char *p = s + 19;
    if (*p == '.') {
        const char *f = ++p;
        while (*p >= '0' && *p <= '9')
            p++;
        if (p == f)
            return false;
    }
    if (strcmp(p, "Z") || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return false;
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
    return true;
}
