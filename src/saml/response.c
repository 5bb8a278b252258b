/* SPDX-License-Identifier: MIT */
/*
 * saml: saml_response_check, the order of its checks (parse, status,
 * signatures, then the values of the Response and of its Assertion), and
 * the documents made of a result.
 */
#include <string.h>
#include <xmlsec/keys.h>

#include "saml_int.h"

/* A check's verdict: ST_OK, or the status and the static name. */
struct verdict {
    enum st st;
    const char *check;
};

static bool fail(struct verdict *v, const char *check)
{
    v->st = ST_FORBIDDEN;
    v->check = check;
    return false;
}

static bool eq(const char *a, const char *b)
{
    return a && b && !strcmp(a, b);
}

/* The last part of a status code URI, when it is short plain text. */
static const char *status_name(struct arena *a, const char *uri)
{
    const char *p = uri ? strrchr(uri, ':') : NULL;
    p = p ? p + 1 : uri;
    size_t n = p ? strlen(p) : 0;
    if (n == 0 || n > 64)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z') ||
              (p[i] >= '0' && p[i] <= '9')))
            return NULL;
    return arena_strndup(a, p, n);
}

static bool status_ok(struct arena *a, const struct saml_doc *d, struct saml_result *out,
                      struct verdict *v)
{
    xmlNodePtr st = saml_child(d->response, NULL, SAML_NS_PROTOCOL, "Status");
    xmlNodePtr code = saml_child(st, NULL, SAML_NS_PROTOCOL, "StatusCode");
    const char *top = code ? saml_attr(a, code, "Value") : NULL;
    if (!top)
        return fail(v, "status");
    if (eq(top, SAML_STATUS_SUCCESS))
        return true;
    /* the most specific code: second-level codes nest, at most a few */
    const char *last = top;
    for (xmlNodePtr c = code; (c = saml_child(c, NULL, SAML_NS_PROTOCOL, "StatusCode"));) {
        const char *s = saml_attr(a, c, "Value");
        if (s)
            last = s;
    }
    out->status = status_name(a, last);
    return fail(v, "status");
}

static bool signatures_ok(struct arena *a, const struct saml_doc *d, const struct saml_expect *x,
                          struct verdict *v)
{
    xmlNodePtr rs = saml_child(d->response, NULL, SAML_NS_DSIG, "Signature");
    xmlNodePtr as = saml_child(d->assertion, NULL, SAML_NS_DSIG, "Signature");
    if (!rs && !as)
        return fail(v, "unsigned");
    if ((rs && saml_child(d->response, rs, SAML_NS_DSIG, "Signature")) ||
        (as && saml_child(d->assertion, as, SAML_NS_DSIG, "Signature")))
        return fail(v, "signature count");
    xmlSecKeyPtr key = x->key ? saml_key_get(x->key) : saml_key_load(x->certificate);
    if (!key) {
        v->st = ST_INTERNAL;
        v->check = "certificate";
        return false;
    }
    v->st = ST_OK;
    if (as)
        v->st = saml_signature_check(a, d, d->assertion, as, key, x->allow_sha1, &v->check);
    if (v->st == ST_OK && rs)
        v->st = saml_signature_check(a, d, d->response, rs, key, x->allow_sha1, &v->check);
    xmlSecKeyDestroy(key);
    return v->st == ST_OK;
}

/* The text of n's Issuer child; NULL when absent or not plain text.
 * *present (when not NULL) says whether there is one. */
static const char *issuer_of(struct arena *a, xmlNodePtr n, bool *present)
{
    xmlNodePtr i = saml_child(n, NULL, SAML_NS_ASSERTION, "Issuer");
    if (present)
        *present = i != NULL;
    return i ? saml_text(a, i, SAML_TEXT_MAX) : NULL;
}

static bool response_ok(struct arena *a, const struct saml_doc *d, const struct saml_expect *x,
                        struct saml_result *out, struct verdict *v)
{
    const char *dest = saml_attr(a, d->response, "Destination");
    if (dest && !eq(dest, x->acs_url))
        return fail(v, "destination");
    const char *irt = saml_attr(a, d->response, "InResponseTo");
    if (irt && !eq(irt, x->request_id))
        return fail(v, "in response to");
    bool in_response = false;
    const char *ri = issuer_of(a, d->response, &in_response);
    const char *ai = issuer_of(a, d->assertion, NULL);
    if (!ai || !*ai || (in_response && !eq(ri, ai)) || (x->issuer && !eq(ai, x->issuer)))
        return fail(v, "issuer");
    out->issuer = ai;
    return true;
}

static bool name_id_ok(struct arena *a, xmlNodePtr subject, struct saml_result *out,
                       struct verdict *v)
{
    xmlNodePtr nid = saml_child(subject, NULL, SAML_NS_ASSERTION, "NameID");
    const char *text = nid ? saml_text(a, nid, SAML_NAME_ID_MAX) : NULL;
    if (!text || !*text)
        return fail(v, "name id");
    out->name_id = text;
    out->name_id_format = saml_attr(a, nid, "Format");
    return true;
}

/* Whether time attribute name of n is within the window; absent is ok
 * unless required. *t gets it (when present). */
static bool time_ok(struct arena *a, xmlNodePtr n, const char *name, bool required, int64_t *t,
                    struct verdict *v)
{
    const char *s = saml_attr(a, n, name);
    if (!s)
        return required ? fail(v, "subject confirmation") : true;
    if (!saml_time_parse(s, t))
        return fail(v, "time");
    return true;
}

/* One bearer SubjectConfirmation: *noa its NotOnOrAfter. */
static bool bearer_ok(struct arena *a, xmlNodePtr sc, const struct saml_expect *x, int64_t *noa,
                      struct verdict *v)
{
    xmlNodePtr data = saml_child(sc, NULL, SAML_NS_ASSERTION, "SubjectConfirmationData");
    if (!data)
        return fail(v, "recipient");
    if (!eq(saml_attr(a, data, "Recipient"), x->acs_url))
        return fail(v, "recipient");
    const char *irt = saml_attr(a, data, "InResponseTo");
    if (x->request_id ? !eq(irt, x->request_id) : irt != NULL)
        return fail(v, "in response to");
    int64_t nb = 0;
    if (!time_ok(a, data, "NotOnOrAfter", true, noa, v))
        return false;
    if (*noa <= x->now - x->skew)
        return fail(v, "expired");
    bool has_nb = saml_attr(a, data, "NotBefore") != NULL;
    if (!time_ok(a, data, "NotBefore", false, &nb, v))
        return false;
    if (has_nb && nb > x->now + x->skew)
        return fail(v, "not yet valid");
    return true;
}

static bool subject_ok(struct arena *a, const struct saml_doc *d, const struct saml_expect *x,
                       struct saml_result *out, int64_t *noa, struct verdict *v)
{
    xmlNodePtr subject = saml_child(d->assertion, NULL, SAML_NS_ASSERTION, "Subject");
    if (!subject)
        return fail(v, "name id");
    if (!name_id_ok(a, subject, out, v))
        return false;
    struct verdict first = {ST_FORBIDDEN, "subject confirmation"};
    bool seen = false;
    for (xmlNodePtr sc = NULL;
         (sc = saml_child(subject, sc, SAML_NS_ASSERTION, "SubjectConfirmation"));) {
        if (!eq(saml_attr(a, sc, "Method"), SAML_CM_BEARER))
            continue;
        struct verdict one = {ST_OK, NULL};
        if (bearer_ok(a, sc, x, noa, &one))
            return true;
        if (!seen)
            first = one;
        seen = true;
    }
    *v = first;
    return false;
}

static bool audience_ok(struct arena *a, xmlNodePtr ar, const char *sp)
{
    for (xmlNodePtr au = NULL; (au = saml_child(ar, au, SAML_NS_ASSERTION, "Audience"));)
        if (eq(saml_text(a, au, SAML_TEXT_MAX), sp))
            return true;
    return false;
}

/* Conditions: the window (*noa lowered to its NotOnOrAfter when earlier),
 * every AudienceRestriction naming us, nothing unknown. */
static bool conditions_ok(struct arena *a, const struct saml_doc *d, const struct saml_expect *x,
                          int64_t *noa, struct verdict *v)
{
    xmlNodePtr c = saml_child(d->assertion, NULL, SAML_NS_ASSERTION, "Conditions");
    if (!c)
        return fail(v, "audience");
    int64_t nb = 0, cnoa = 0;
    bool has_nb = saml_attr(a, c, "NotBefore") != NULL;
    bool has_noa = saml_attr(a, c, "NotOnOrAfter") != NULL;
    if (!time_ok(a, c, "NotBefore", false, &nb, v) ||
        !time_ok(a, c, "NotOnOrAfter", false, &cnoa, v))
        return false;
    if (has_nb && nb > x->now + x->skew)
        return fail(v, "not yet valid");
    if (has_noa && cnoa <= x->now - x->skew)
        return fail(v, "expired");
    if (has_noa && cnoa < *noa)
        *noa = cnoa;
    int restrictions = 0;
    for (xmlNodePtr k = c->children; k; k = k->next) {
        if (k->type != XML_ELEMENT_NODE)
            continue;
        if (saml_is(k, SAML_NS_ASSERTION, "AudienceRestriction")) {
            restrictions++;
            if (!audience_ok(a, k, x->sp_entity_id))
                return fail(v, "audience");
        } else if (!saml_is(k, SAML_NS_ASSERTION, "OneTimeUse") &&
                   !saml_is(k, SAML_NS_ASSERTION, "ProxyRestriction")) {
            return fail(v, "condition");
        }
    }
    return restrictions ? true : fail(v, "audience");
}

/* Appends the values of one Attribute to attrs[name]. */
static void attribute_add(struct arena *a, json_t *attrs, xmlNodePtr at)
{
    const char *name = saml_attr(a, at, "Name");
    if (!name || !*name || strlen(name) > SAML_TEXT_MAX)
        return;
    json_t *vals = json_object_get(attrs, name);
    if (!vals) {
        if (json_object_size(attrs) >= SAML_ATTRIBUTES_MAX)
            return;
        vals = json_array();
        json_object_set_new(attrs, name, vals);
    }
    for (xmlNodePtr av = NULL; (av = saml_child(at, av, SAML_NS_ASSERTION, "AttributeValue"));) {
        if (json_array_size(vals) >= SAML_VALUES_MAX)
            return;
        const char *s = saml_text(a, av, SAML_VALUE_MAX);
        json_t *j = s ? json_string(s) : NULL; /* NULL: not UTF-8 */
        if (j)
            json_array_append_new(vals, j);
    }
}

static json_t *attributes_of(struct arena *a, const struct saml_doc *d)
{
    json_t *attrs = json_object();
    for (xmlNodePtr st = NULL;
         (st = saml_child(d->assertion, st, SAML_NS_ASSERTION, "AttributeStatement"));)
        for (xmlNodePtr at = NULL; (at = saml_child(st, at, SAML_NS_ASSERTION, "Attribute"));)
            attribute_add(a, attrs, at);
    return attrs;
}

static bool assertion_ok(struct arena *a, const struct saml_doc *d, const struct saml_expect *x,
                         struct saml_result *out, struct verdict *v)
{
    const char *ver = saml_attr(a, d->assertion, "Version");
    const char *id = saml_attr(a, d->assertion, "ID");
    if (!eq(ver, "2.0") || !id || !*id || strlen(id) > SAML_TEXT_MAX)
        return fail(v, "assertion");
    int64_t noa = 0;
    if (!subject_ok(a, d, x, out, &noa, v) || !conditions_ok(a, d, x, &noa, v))
        return false;
    if (!saml_child(d->assertion, NULL, SAML_NS_ASSERTION, "AuthnStatement"))
        return fail(v, "authn statement");
    if (noa > x->now + SAML_LIFETIME_MAX)
        return fail(v, "lifetime");
    out->assertion_id = id;
    out->until = noa + x->skew;
    out->attributes = attributes_of(a, d);
    return true;
}

enum st saml_response_check(struct arena *a, const char *b64, size_t len,
                            const struct saml_expect *x, struct saml_result *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    saml_quiet();
    struct saml_doc d;
    struct verdict v = {ST_OK, NULL};
    v.st = saml_parse(b64, len, &d, &v.check);
    if (v.st == ST_OK) {
        (void)(status_ok(a, &d, out, &v) && signatures_ok(a, &d, x, &v) &&
               response_ok(a, &d, x, out, &v) && assertion_ok(a, &d, x, out, &v));
        saml_doc_cleanup(&d);
    }
    if (v.st == ST_OK)
        return ST_OK;
    const char *status = out->status;
    saml_result_cleanup(out);
    memset(out, 0, sizeof *out);
    out->check = v.check;
    out->status = status;
    return ERR(e, v.st, NULL, "saml response: %s", v.check);
}

void saml_result_cleanup(struct saml_result *out)
{
    json_decref(out->attributes);
    out->attributes = NULL;
}

json_t *saml_profile_doc(const struct saml_result *r)
{
    json_t *doc = json_object();
    const char *name;
    json_t *vals;
    json_object_foreach(r->attributes, name, vals)
    {
        if (json_array_size(vals) > 0)
            json_object_set(doc, name, json_array_get(vals, 0));
    }
    return doc;
}

json_t *saml_extended(const struct saml_result *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "issuer", json_string(r->issuer ? r->issuer : ""));
    json_object_set_new(o, "nameId", json_string(r->name_id ? r->name_id : ""));
    if (r->name_id_format)
        json_object_set_new(o, "nameIdFormat", json_string(r->name_id_format));
    json_object_set_new(o, "attributes",
                        r->attributes ? json_deep_copy(r->attributes) : json_object());
    return o;
}
