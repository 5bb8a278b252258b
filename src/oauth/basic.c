/* SPDX-License-Identifier: MIT */
/*
 * The Basic client-authentication header of RFC 6749 §2.3.1: Base64 of
 * "id:secret", each side form-urlencoded first. It only decodes; checking
 * the secret (in constant time) is the caller's job, and nothing here logs.
 */
#include "oauth.h"

#include <string.h>

static bool has_ctl(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return true;
    return false;
}

/* Form-decodes s[0..n) into an arena string free of control bytes. */
static enum st side(struct arena *a, const char *s, size_t n, char **out, struct err *e)
{
    char *d = arena_alloc(a, n + 1);
    long dn = util_pct_decode(d, s, n, true);
    if (dn < 0)
        return ERR(e, ST_INVALID, NULL, "bad percent-encoding in Basic credentials");
    if (has_ctl(d, (size_t)dn))
        return ERR(e, ST_INVALID, NULL, "control byte in Basic credentials");
    *out = d;
    return ST_OK;
}

enum st oauth_basic_parse(struct arena *a, const char *header, struct basic_cred *out,
                          struct err *e)
{
    out->id = NULL;
    out->secret = NULL;
    size_t slen = strlen(OAUTH_BASIC);
    if (!header || strlen(header) <= slen || !util_strncaseeq(header, OAUTH_BASIC, slen) ||
        (header[slen] != ' ' && header[slen] != '\t'))
        return ERR(e, ST_INVALID, NULL, "not Basic authentication");
    const char *p = header + slen;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t n = strlen(p);
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    unsigned char *raw = arena_alloc(a, n * 3 / 4 + 1);
    long rn = n ? util_b64_decode(raw, n * 3 / 4 + 1, p, n) : -1;
    if (rn < 0)
        return ERR(e, ST_INVALID, NULL, "bad Base64 in Basic credentials");
    const unsigned char *colon = memchr(raw, ':', (size_t)rn);
    if (!colon)
        return ERR(e, ST_INVALID, NULL, "no colon in Basic credentials");
    size_t idlen = (size_t)(colon - raw);
    if (idlen == 0)
        return ERR(e, ST_INVALID, NULL, "empty client id in Basic credentials");
    char *id = NULL;
    char *secret = NULL;
    enum st st = side(a, (const char *)raw, idlen, &id, e);
    if (st == ST_OK)
        st = side(a, (const char *)colon + 1, (size_t)rn - idlen - 1, &secret, e);
    if (st != ST_OK)
        return st;
    out->id = id;
    out->secret = secret;
    return ST_OK;
}
