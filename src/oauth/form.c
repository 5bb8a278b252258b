/* SPDX-License-Identifier: MIT */
/*
 * Request bodies of the token endpoints: application/x-www-form-urlencoded
 * (WHATWG rules), the dispatch on Content-Type, and field look-up. It does
 * not cap the body (http/ does) nor judge repeated names (callers count
 * them). A name or value that decodes to a NUL byte is refused: C string
 * handling would cut it there and act on the shorter text.
 */
#include "oauth.h"

#include <string.h>

/* Decodes s[0..n) into an arena string; returns its length or -1. */
static long decode(struct arena *a, const char *s, size_t n, char **out)
{
    *out = arena_alloc(a, n + 1);
    return util_pct_decode(*out, s, n, true);
}

/* Adds the pair s[0..n) (non-empty, no '&') to out. */
static enum st add_pair(struct arena *a, const char *s, size_t n, struct form *out, struct err *e)
{
    if (out->n >= FORM_MAX_FIELDS)
        return ERR(e, ST_INVALID, NULL, "more than %d form fields", FORM_MAX_FIELDS);
    const char *eq = memchr(s, '=', n);
    size_t nlen = eq ? (size_t)(eq - s) : n;
    const char *v = eq ? eq + 1 : s + n;
    size_t vlen = eq ? n - nlen - 1 : 0;
    char *name = NULL;
    char *value = NULL;
    long dn = decode(a, s, nlen, &name);
    long dv = decode(a, v, vlen, &value);
    if (dn < 0 || dv < 0)
        return ERR(e, ST_INVALID, NULL, "bad percent-encoding in form body");
    if ((size_t)dn != strlen(name))
        return ERR(e, ST_INVALID, NULL, "NUL byte in a form field name");
    if ((size_t)dv != strlen(value))
        return ERR(e, ST_INVALID, NULL, "NUL byte in the value of form field %.32s", name);
    struct form_field *f = &out->f[out->n++];
    f->name = name;
    f->value = value;
    f->value_len = (size_t)dv;
    return ST_OK;
}

enum st oauth_form_parse(struct arena *a, const char *body, size_t len, struct form *out,
                         struct err *e)
{
    out->n = 0;
    if (len > 0 && !body)
        return ERR(e, ST_INVALID, NULL, "missing form body");
    size_t i = 0;
    while (i < len) {
        const char *amp = memchr(body + i, '&', len - i);
        size_t n = amp ? (size_t)(amp - (body + i)) : len - i;
        if (n > 0) {
            enum st st = add_pair(a, body + i, n, out, e);
            if (st != ST_OK)
                return st;
        }
        i += n + 1;
    }
    return ST_OK;
}

enum st oauth_body_parse(struct arena *a, const char *content_type, const char *body, size_t len,
                         struct form *out, struct err *e)
{
    out->n = 0;
    if (util_media_is(content_type, MEDIA_FORM))
        return oauth_form_parse(a, body, len, out, e);
    if (util_media_is(content_type, MEDIA_MULTIPART))
        return oauth_multipart_parse(a, content_type, body, len, out, e);
    return ERR(e, ST_UNSUPPORTED_MEDIA, NULL, "expected %s or %s", MEDIA_FORM, MEDIA_MULTIPART);
}

const char *oauth_form_get(const struct form *f, const char *name)
{
    for (int i = 0; f && i < f->n; i++)
        if (strcmp(f->f[i].name, name) == 0)
            return f->f[i].value;
    return NULL;
}

int oauth_form_count(const struct form *f, const char *name)
{
    int n = 0;
    for (int i = 0; f && i < f->n; i++)
        if (strcmp(f->f[i].name, name) == 0)
            n++;
    return n;
}
