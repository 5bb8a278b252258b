/* SPDX-License-Identifier: MIT */
/*
 * Which addresses an outbound call may connect to: the guard against
 * server-side request forgery (a provider URL naming, or resolving to, an
 * address inside the operator's network). Conservative: in IPv6 only
 * global unicast (2000::/3) can pass. Pure; no resolution, no sockets.
 */
#include "net.h"

#include <string.h>

/* An IPv4 range: the first bits of a.b.c.d. */
struct v4_range {
    unsigned char a, b, c, d;
    int bits;
};

/* RFC 6890 and its successors: every range not globally reachable. */
static const struct v4_range v4_refused[] = {
    {0, 0, 0, 0, 8},       /* "this network", 0.0.0.0 */
    {10, 0, 0, 0, 8},      /* private */
    {100, 64, 0, 0, 10},   /* carrier-grade NAT */
    {127, 0, 0, 0, 8},     /* loopback */
    {169, 254, 0, 0, 16},  /* link-local (cloud metadata services) */
    {172, 16, 0, 0, 12},   /* private */
    {192, 0, 0, 0, 24},    /* IETF protocol assignments */
    {192, 0, 2, 0, 24},    /* documentation */
    {192, 88, 99, 0, 24},  /* 6to4 relay anycast (deprecated) */
    {192, 168, 0, 0, 16},  /* private */
    {198, 18, 0, 0, 15},   /* benchmarking */
    {198, 51, 100, 0, 24}, /* documentation */
    {203, 0, 113, 0, 24},  /* documentation */
    {224, 0, 0, 0, 4},     /* multicast */
    {240, 0, 0, 0, 4},     /* reserved, and 255.255.255.255 */
};

/* An IPv6 range: the first bits of p (the rest of p is zero). */
struct v6_range {
    unsigned char p[6];
    int bits;
};

/* Inside 2000::/3, the ranges that are not global unicast. 2002::/16 (6to4)
 * is judged by the IPv4 address it embeds instead. */
static const struct v6_range v6_refused[] = {
    {{0x20, 0x01, 0x00, 0x00}, 23}, /* IETF protocol assignments, Teredo */
    {{0x20, 0x01, 0x0d, 0xb8}, 32}, /* documentation */
    {{0x3f, 0xff, 0x00, 0x00}, 20}, /* documentation (RFC 9637) */
};

static bool prefix_is(const unsigned char *b, const unsigned char *p, int bits)
{
    int whole = bits / 8, rest = bits % 8;
    if (memcmp(b, p, (size_t)whole) != 0)
        return false;
    if (rest == 0)
        return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (b[whole] & mask) == (p[whole] & mask);
}

static bool v4_public(const unsigned char *v4)
{
    for (size_t i = 0; i < sizeof v4_refused / sizeof *v4_refused; i++) {
        const struct v4_range *r = &v4_refused[i];
        const unsigned char p[4] = {r->a, r->b, r->c, r->d};
        if (prefix_is(v4, p, r->bits))
            return false;
    }
    return true;
}

static const unsigned char NAT64[12] = {0x00, 0x64, 0xff, 0x9b}; /* 64:ff9b::/96 */

bool net_addr_public(const struct net_addr *a)
{
    const unsigned char *b = a->b;
    if (net_addr_is_v4(a)) /* ::ffff:a.b.c.d: IPv4, or its mapped form */
        return v4_public(b + 12);
    if (memcmp(b, NAT64, sizeof NAT64) == 0) /* a NAT64 gateway reaches the IPv4 */
        return v4_public(b + 12);
    if ((b[0] & 0xe0) != 0x20) /* outside 2000::/3: ::, ::1, ULA, link-local,
                                * site-local, multicast, discard, 64:ff9b:1::/48 */
        return false;
    if (b[0] == 0x20 && b[1] == 0x02) /* 6to4: 2002:a.b.c.d::/48 */
        return v4_public(b + 2);
    for (size_t i = 0; i < sizeof v6_refused / sizeof *v6_refused; i++)
        if (prefix_is(b, v6_refused[i].p, v6_refused[i].bits))
            return false;
    return true;
}
