/* SPDX-License-Identifier: MIT */
/*
 * multipart/form-data bodies (RFC 7578 over RFC 2046), as `curl -F` and
 * browsers send them. Strict about framing: lines end in CRLF, so LF-only
 * bodies are refused, and the close delimiter is required. Not supported:
 * nested multiparts, header folding, Content-Transfer-Encoding, charset
 * conversion. Part names are unquoted WHATWG-style (%22, %0D, %0A decoded).
 * A value holding a NUL byte is refused, as in form bodies.
 */
#include "oauth.h"

#include <string.h>

#define BOUNDARY_MAX 70
#define CRLF "\r\n"

struct cur {
    const char *p;
    const char *end;
};

struct span {
    const char *p;
    size_t n;
};

static bool is_tchar(unsigned char c)
{
    return c > 0x20 && c < 0x7f && !strchr("\"(),/:;<=>?@[\\]{}", c);
}

/* RFC 2046 bchars, space included. */
static bool is_bchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c != '\0' && strchr("'()+_,-./:=? ", c));
}

static void ows(struct cur *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
        c->p++;
}

static struct span token(struct cur *c)
{
    struct span s = {c->p, 0};
    while (c->p < c->end && is_tchar((unsigned char)*c->p))
        c->p++;
    s.n = (size_t)(c->p - s.p);
    return s;
}

static bool span_is(struct span s, const char *lit)
{
    return s.n == strlen(lit) && util_strncaseeq(s.p, lit, s.n);
}

/* Reads one `; name=value` parameter (value a token or a quoted string,
 * taken verbatim). Returns 1 on a parameter, 0 at the end, -1 on bad syntax. */
static int param(struct cur *c, struct span *name, struct span *value)
{
    ows(c);
    if (c->p == c->end)
        return 0;
    if (*c->p++ != ';')
        return -1;
    ows(c);
    *name = token(c);
    ows(c);
    if (name->n == 0 || c->p == c->end || *c->p++ != '=')
        return -1;
    ows(c);
    if (c->p < c->end && *c->p == '"') {
        const char *q = memchr(c->p + 1, '"', (size_t)(c->end - c->p - 1));
        if (!q)
            return -1;
        *value = (struct span){c->p + 1, (size_t)(q - c->p - 1)};
        c->p = q + 1;
        return 1;
    }
    *value = token(c);
    return value->n > 0 ? 1 : -1;
}

/* Finds the boundary parameter of a Content-Type value. */
static enum st boundary(const char *content_type, struct span *b, struct err *e)
{
    if (!content_type)
        return ERR(e, ST_INVALID, NULL, "multipart body without a Content-Type");
    struct cur c = {content_type, content_type + strlen(content_type)};
    c.p += strcspn(c.p, ";");
    struct span name = {0};
    struct span value = {0};
    b->n = 0;
    int r;
    while ((r = param(&c, &name, &value)) > 0)
        if (span_is(name, "boundary"))
            *b = value;
    if (r < 0)
        return ERR(e, ST_INVALID, NULL, "malformed Content-Type parameters");
    if (b->n == 0 || b->n > BOUNDARY_MAX || b->p[b->n - 1] == ' ')
        return ERR(e, ST_INVALID, NULL, "missing or malformed multipart boundary");
    for (size_t i = 0; i < b->n; i++)
        if (!is_bchar((unsigned char)b->p[i]))
            return ERR(e, ST_INVALID, NULL, "malformed multipart boundary");
    return ST_OK;
}

/* Copies a part name, decoding the three escapes browsers and curl use. */
static char *unquote_name(struct arena *a, struct span s)
{
    char *out = arena_alloc(a, s.n + 1);
    size_t o = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] == '%' && s.n - i >= 3) {
            char c = 0;
            if (util_strncaseeq(s.p + i, "%22", 3))
                c = '"';
            else if (util_strncaseeq(s.p + i, "%0D", 3))
                c = '\r';
            else if (util_strncaseeq(s.p + i, "%0A", 3))
                c = '\n';
            if (c) {
                out[o++] = c;
                i += 2;
                continue;
            }
        }
        out[o++] = s.p[i];
    }
    out[o] = '\0';
    return out;
}

/* Parses a Content-Disposition value: form-data with a non-empty name. */
static enum st disposition(struct arena *a, struct span v, char **name, struct err *e)
{
    struct cur c = {v.p, v.p + v.n};
    if (!span_is(token(&c), "form-data"))
        return ERR(e, ST_INVALID, NULL, "multipart part is not form-data");
    struct span pn = {0};
    struct span pv = {0};
    int r;
    bool seen = false;
    while ((r = param(&c, &pn, &pv)) > 0) {
        if (!span_is(pn, "name"))
            continue;
        if (seen)
            return ERR(e, ST_INVALID, NULL, "multipart part with two names");
        seen = true;
        *name = unquote_name(a, pv);
    }
    if (r < 0)
        return ERR(e, ST_INVALID, NULL, "malformed Content-Disposition");
    if (!seen || **name == '\0')
        return ERR(e, ST_INVALID, NULL, "multipart part without a name");
    return ST_OK;
}

/* Reads one header line at c->p; c->end is just past the CRLF of the next
 * delimiter, which a header line may not reach. An empty line leaves c->p on
 * its CRLF and sets *done. Only Content-Disposition is interpreted. */
static enum st header(struct arena *a, struct cur *c, char **name, bool *done, struct err *e)
{
    const char *eol = memmem(c->p, (size_t)(c->end - c->p), CRLF, 2);
    if (eol == c->p) {
        *done = true;
        return ST_OK;
    }
    if (eol + 2 == c->end)
        return ERR(e, ST_INVALID, NULL, "multipart headers not ended by an empty line");
    for (const char *q = c->p; q < eol; q++)
        if (((unsigned char)*q < 0x20 && *q != '\t') || *q == 0x7f)
            return ERR(e, ST_INVALID, NULL, "control byte in a multipart header");
    struct cur line = {c->p, eol};
    struct span hn = token(&line);
    if (hn.n == 0 || line.p == eol || *line.p++ != ':')
        return ERR(e, ST_INVALID, NULL, "malformed multipart header");
    c->p = eol + 2;
    if (!span_is(hn, "Content-Disposition"))
        return ST_OK;
    if (*name)
        return ERR(e, ST_INVALID, NULL, "repeated Content-Disposition");
    ows(&line);
    struct span v = {line.p, (size_t)(eol - line.p)};
    while (v.n > 0 && (v.p[v.n - 1] == ' ' || v.p[v.n - 1] == '\t'))
        v.n--;
    return disposition(a, v, name, e);
}

/* After a delimiter: "--" closes, else optional padding then CRLF. */
static enum st after_delim(struct cur *c, bool *close, struct err *e)
{
    if (c->end - c->p >= 2 && memcmp(c->p, "--", 2) == 0) {
        *close = true;
        return ST_OK;
    }
    ows(c);
    if (c->end - c->p < 2 || memcmp(c->p, CRLF, 2) != 0)
        return ERR(e, ST_INVALID, NULL, "multipart delimiter not followed by CRLF");
    c->p += 2;
    return ST_OK;
}

/* Parses one part starting after its delimiter line; leaves c->p just after
 * the next delimiter. delim is CRLF "--" boundary. The part is headers, each
 * ending in CRLF, then either the delimiter at once (no body) or CRLF body. */
static enum st part(struct arena *a, struct cur *c, struct span delim, struct form *out,
                    struct err *e)
{
    const char *d = memmem(c->p, (size_t)(c->end - c->p), delim.p, delim.n);
    if (!d)
        return ERR(e, ST_INVALID, NULL, "multipart body without a close delimiter");
    struct cur hc = {c->p, d + 2};
    char *name = NULL;
    bool done = false;
    while (!done) {
        enum st st = header(a, &hc, &name, &done, e);
        if (st != ST_OK)
            return st;
    }
    if (!name)
        return ERR(e, ST_INVALID, NULL, "multipart part without Content-Disposition");
    if (out->n >= FORM_MAX_FIELDS)
        return ERR(e, ST_INVALID, NULL, "more than %d multipart parts", FORM_MAX_FIELDS);
    const char *body = hc.p == d ? d : hc.p + 2;
    if (memchr(body, '\0', (size_t)(d - body)))
        return ERR(e, ST_INVALID, NULL, "NUL byte in the value of multipart part %.32s", name);
    struct form_field *f = &out->f[out->n++];
    f->name = name;
    f->value = arena_strndup(a, body, (size_t)(d - body));
    f->value_len = (size_t)(d - body);
    c->p = d + delim.n;
    return ST_OK;
}

enum st oauth_multipart_parse(struct arena *a, const char *content_type, const char *body,
                              size_t len, struct form *out, struct err *e)
{
    out->n = 0;
    struct span b = {0};
    enum st st = boundary(content_type, &b, e);
    if (st != ST_OK)
        return st;
    if (!body && len > 0)
        return ERR(e, ST_INVALID, NULL, "missing multipart body");
    char *dl = arena_printf(a, CRLF "--%.*s", (int)b.n, b.p);
    struct span delim = {dl, strlen(dl)};
    struct cur c = {body, body + len};
    /* The first delimiter may open the body, without its CRLF. */
    if (len >= delim.n - 2 && memcmp(body, delim.p + 2, delim.n - 2) == 0) {
        c.p += delim.n - 2;
    } else {
        const char *d = len ? memmem(body, len, delim.p, delim.n) : NULL;
        if (!d)
            return ERR(e, ST_INVALID, NULL, "multipart body without a delimiter");
        c.p = d + delim.n;
    }
    bool close = false;
    while ((st = after_delim(&c, &close, e)) == ST_OK && !close)
        if ((st = part(a, &c, delim, out, e)) != ST_OK)
            return st;
    return st;
}
