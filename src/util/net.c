/* SPDX-License-Identifier: MIT */
/*
 * IP addresses and CIDR ranges as text: parsing (with the brackets and
 * ports proxies write), canonical formatting, matching. IPv4 is kept in its
 * IPv4-mapped IPv6 form so one comparison serves both families. No name
 * resolution, no sockets.
 */
#include "util.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char V4_MAPPED[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return n > 0 && n <= 5;
}

/* Parses exactly n bytes of a bare address into a. */
static bool bare(const char *s, size_t n, struct net_addr *a)
{
    char text[NET_ADDR_TEXT];
    if (n == 0 || n >= sizeof text)
        return false;
    memcpy(text, s, n);
    text[n] = '\0';
    if (inet_pton(AF_INET, text, a->b + 12) == 1) {
        memcpy(a->b, V4_MAPPED, sizeof V4_MAPPED);
        return true;
    }
    return strchr(text, ':') && inet_pton(AF_INET6, text, a->b) == 1;
}

bool net_addr_parse(const char *s, size_t n, struct net_addr *a)
{
    if (n > 0 && s[0] == '[') { /* [IPv6] or [IPv6]:port */
        const char *end = memchr(s, ']', n);
        if (!end)
            return false;
        size_t rest = n - (size_t)(end + 1 - s);
        if (rest && (end[1] != ':' || !all_digits(end + 2, rest - 1)))
            return false;
        return bare(s + 1, (size_t)(end - s - 1), a);
    }
    const char *colon = memchr(s, ':', n);
    if (colon && !memchr(colon + 1, ':', n - (size_t)(colon + 1 - s))) { /* IPv4:port */
        if (!all_digits(colon + 1, n - (size_t)(colon + 1 - s)))
            return false;
        return bare(s, (size_t)(colon - s), a) && net_addr_is_v4(a);
    }
    return bare(s, n, a);
}

bool net_addr_is_v4(const struct net_addr *a)
{
    return memcmp(a->b, V4_MAPPED, sizeof V4_MAPPED) == 0;
}

void net_addr_format(const struct net_addr *a, char out[NET_ADDR_TEXT])
{
    if (net_addr_is_v4(a))
        inet_ntop(AF_INET, a->b + 12, out, NET_ADDR_TEXT);
    else
        inet_ntop(AF_INET6, a->b, out, NET_ADDR_TEXT);
}

void net_addr_format_net(const struct net_addr *a, char out[NET_ADDR_TEXT])
{
    if (net_addr_is_v4(a)) {
        net_addr_format(a, out);
        return;
    }
    struct net_addr p = {0};
    memcpy(p.b, a->b, 8);
    char text[NET_ADDR_TEXT];
    net_addr_format(&p, text);
    snprintf(out, NET_ADDR_TEXT, "%.40s/64", text);
}

enum st net_cidr_parse(const char *s, struct net_cidr *c, struct err *e)
{
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    if (!bare(s, n, &c->addr))
        return ERR(e, ST_INVALID, NULL, "'%.64s' is not an address or CIDR range", s);
    bool v4 = net_addr_is_v4(&c->addr);
    int max = v4 ? 32 : 128;
    c->bits = 128;
    if (slash) {
        char *end = NULL;
        long bits = strtol(slash + 1, &end, 10);
        if (end == slash + 1 || *end || bits < 0 || bits > max)
            return ERR(e, ST_INVALID, NULL, "'%.64s': the prefix length must be 0 to %d", s, max);
        c->bits = (int)bits + (v4 ? 96 : 0);
    }
    return ST_OK;
}

bool net_cidr_contains(const struct net_cidr *c, const struct net_addr *a)
{
    int full = c->bits / 8, rest = c->bits % 8;
    if (memcmp(c->addr.b, a->b, (size_t)full) != 0)
        return false;
    if (!rest)
        return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (c->addr.b[full] & mask) == (a->b[full] & mask);
}
