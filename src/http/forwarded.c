/* SPDX-License-Identifier: MIT */
/*
 * The client's address behind trusted proxies: X-Forwarded-For, or RFC 7239
 * Forwarded "for=", read right to left from a trusted peer only, stopping
 * at the first address that is not a trusted proxy. Headers from any other
 * peer are never read, so a client cannot choose the address it is counted
 * under. Does not use "by=", "host=" or "proto=".
 */
#include "http_int.h"

#include <string.h>
#include <strings.h>

bool http_trusted_has(const struct http_trusted *t, const struct net_addr *a)
{
    for (int i = 0; t && i < t->n; i++)
        if (net_cidr_contains(&t->ranges[i], a))
            return true;
    return false;
}

/* Trims spaces and tabs around [*s, *s + *n). */
static void trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t'))
        (*s)++, (*n)--;
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

/* The address of one X-Forwarded-For entry. */
static bool xff_entry(const char *s, size_t n, struct net_addr *a)
{
    trim(&s, &n);
    return net_addr_parse(s, n, a);
}

/* The "for=" address of one Forwarded element (pairs split by ';'). */
static bool forwarded_entry(const char *s, size_t n, struct net_addr *a)
{
    while (n) {
        const char *semi = memchr(s, ';', n);
        size_t len = semi ? (size_t)(semi - s) : n;
        const char *p = s;
        size_t pn = len;
        trim(&p, &pn);
        if (pn > 4 && strncasecmp(p, "for=", 4) == 0) {
            p += 4, pn -= 4;
            if (pn >= 2 && p[0] == '"' && p[pn - 1] == '"')
                p++, pn -= 2;
            return net_addr_parse(p, pn, a);
        }
        s += len + (semi ? 1 : 0);
        n -= len + (semi ? 1 : 0);
    }
    return false;
}

void http_client_addr(const struct http_trusted *t, const struct net_addr *peer, const char *xff,
                      const char *forwarded, struct net_addr *out)
{
    *out = *peer;
    if (!http_trusted_has(t, peer))
        return;
    const char *list = xff ? xff : forwarded;
    bool (*entry)(const char *, size_t, struct net_addr *) = xff ? xff_entry : forwarded_entry;
    if (!list)
        return;
    size_t end = strlen(list);
    for (;;) {
        size_t start = end;
        while (start && list[start - 1] != ',')
            start--;
        struct net_addr a;
        if (!entry(list + start, end - start, &a))
            return; /* malformed: keep the last address read */
        *out = a;
        if (!http_trusted_has(t, &a) || start == 0)
            return;
        end = start - 1;
    }
}
