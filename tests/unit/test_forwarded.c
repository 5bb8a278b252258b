/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of util/net.c (addresses, CIDR ranges) and http/forwarded.c:
 * which address a request is counted under behind trusted proxies. Only a
 * trusted peer's X-Forwarded-For / Forwarded is read, right to left; a
 * malformed entry ends the walk at the last address read.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "http/http_int.h"

static struct net_addr addr(const char *s)
{
    struct net_addr a;
    cr_assert(net_addr_parse(s, strlen(s), &a), "%s should parse", s);
    return a;
}

static void text_is(const struct net_addr *a, const char *want)
{
    char t[NET_ADDR_TEXT];
    net_addr_format(a, t);
    cr_expect_str_eq(t, want);
}

Test(net, addresses_parse_in_the_forms_proxies_write)
{
    struct net_addr a = addr("192.0.2.1");
    text_is(&a, "192.0.2.1");
    a = addr("192.0.2.1:8080");
    text_is(&a, "192.0.2.1");
    a = addr("2001:DB8:0:0::1");
    text_is(&a, "2001:db8::1");
    a = addr("[2001:db8::1]:4711");
    text_is(&a, "2001:db8::1");
    a = addr("[2001:db8::1]");
    text_is(&a, "2001:db8::1");
    a = addr("::ffff:192.0.2.1");
    text_is(&a, "192.0.2.1");
}

Test(net, malformed_addresses_are_refused)
{
    static const char *const bad[] = {
        "",
        "unknown",
        "_hidden",
        "999.1.1.1",
        "1.2.3",
        "1.2.3.4.5",
        "1.2.3.4 5.6.7.8",
        " 1.2.3.4",
        "1.2.3.4:",
        "1.2.3.4:x",
        "[::1",
        "[::1]x",
        "[::1]:123456",
        "example.com",
        "2001:db8::1:80:",
        "1.2.3.4:1:2",
    };
    struct net_addr a;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_expect_not(net_addr_parse(bad[i], strlen(bad[i]), &a), "'%s' should be refused", bad[i]);
}

Test(net, ipv6_network_is_the_slash_64)
{
    struct net_addr a = addr("2001:db8:1:2:3:4:5:6");
    char t[NET_ADDR_TEXT];
    net_addr_format_net(&a, t);
    cr_expect_str_eq(t, "2001:db8:1:2::/64");
    a = addr("192.0.2.7");
    net_addr_format_net(&a, t);
    cr_expect_str_eq(t, "192.0.2.7");
}

Test(net, cidr_ranges_match_their_addresses_only)
{
    struct net_cidr c;
    cr_assert_eq(net_cidr_parse("10.0.0.0/8", &c, NULL), ST_OK);
    struct net_addr in = addr("10.200.3.4"), out = addr("11.0.0.1"), v6 = addr("::a00:1");
    cr_expect(net_cidr_contains(&c, &in));
    cr_expect_not(net_cidr_contains(&c, &out));
    cr_expect_not(net_cidr_contains(&c, &v6));
    cr_assert_eq(net_cidr_parse("2001:db8::/33", &c, NULL), ST_OK);
    in = addr("2001:db8:7fff::1");
    out = addr("2001:db8:8000::1");
    cr_expect(net_cidr_contains(&c, &in));
    cr_expect_not(net_cidr_contains(&c, &out));
    cr_assert_eq(net_cidr_parse("192.0.2.1", &c, NULL), ST_OK); /* one address */
    in = addr("192.0.2.1");
    out = addr("192.0.2.2");
    cr_expect(net_cidr_contains(&c, &in));
    cr_expect_not(net_cidr_contains(&c, &out));
    static const char *const bad[] = {"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x", "::/129",
                                      "10.0.0.0/-1", "proxy",     "",           "10.0.0.0/8/8"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_expect_neq(net_cidr_parse(bad[i], &c, NULL), ST_OK, "'%s' should be refused", bad[i]);
}

/* The trusted proxies of these tests: 10.0.0.0/8 and 2001:db8:ffff::/48. */
static struct net_cidr ranges[2];
static struct http_trusted trusted = {ranges, 2};

static void setup(void)
{
    cr_assert_eq(net_cidr_parse("10.0.0.0/8", &ranges[0], NULL), ST_OK);
    cr_assert_eq(net_cidr_parse("2001:db8:ffff::/48", &ranges[1], NULL), ST_OK);
}

static void client_is(const char *peer, const char *xff, const char *fwd, const char *want)
{
    struct net_addr p = addr(peer), out;
    http_client_addr(&trusted, &p, xff, fwd, &out);
    char t[NET_ADDR_TEXT];
    net_addr_format(&out, t);
    cr_expect_str_eq(t, want, "peer %s, X-Forwarded-For %s, Forwarded %s: %s, not %s", peer,
                     xff ? xff : "-", fwd ? fwd : "-", t, want);
}

Test(forwarded, an_untrusted_peer_is_the_client_whatever_it_sends, .init = setup)
{
    client_is("192.0.2.1", "198.51.100.7", NULL, "192.0.2.1");
    client_is("192.0.2.1", NULL, "for=198.51.100.7", "192.0.2.1");
    client_is("192.0.2.1", "10.0.0.1", "for=10.0.0.1", "192.0.2.1");
}

Test(forwarded, the_rightmost_untrusted_address_is_the_client, .init = setup)
{
    client_is("10.0.0.1", "198.51.100.7", NULL, "198.51.100.7");
    /* a client's own X-Forwarded-For is on the left: it cannot choose */
    client_is("10.0.0.1", "203.0.113.9, 198.51.100.7", NULL, "198.51.100.7");
    /* proxies in a chain are skipped */
    client_is("10.0.0.1", "203.0.113.9, 198.51.100.7, 10.1.1.1,10.2.2.2", NULL, "198.51.100.7");
    /* every X-Forwarded-For header, in order */
    client_is("10.0.0.1", "203.0.113.9,198.51.100.7", NULL, "198.51.100.7");
    client_is("10.0.0.1", "198.51.100.7:5555", NULL, "198.51.100.7");
    client_is("2001:db8:ffff::1", "2001:db8::7", NULL, "2001:db8::7");
    /* all trusted: the leftmost */
    client_is("10.0.0.1", "10.9.9.9, 10.1.1.1", NULL, "10.9.9.9");
}

Test(forwarded, forwarded_for_is_read_when_there_is_no_x_forwarded_for, .init = setup)
{
    client_is("10.0.0.1", NULL, "for=198.51.100.7", "198.51.100.7");
    client_is("10.0.0.1", NULL, "for=203.0.113.9, For=\"198.51.100.7:80\";proto=https",
              "198.51.100.7");
    client_is("10.0.0.1", NULL, "proto=https;for=\"[2001:db8::7]:4711\";by=10.0.0.1",
              "2001:db8::7");
    client_is("10.0.0.1", NULL, "for=198.51.100.7, for=10.3.3.3", "198.51.100.7");
    /* X-Forwarded-For wins when both are there */
    client_is("10.0.0.1", "198.51.100.8", "for=198.51.100.7", "198.51.100.8");
}

Test(forwarded, a_malformed_entry_ends_the_walk_at_the_last_address_read, .init = setup)
{
    static const char *const bad_xff[] = {
        "",          "garbage",          "198.51.100.7,",         "198.51.100.7, ",
        "unknown",   "999.1.1.1",        "198.51.100.7 10.0.0.2", ",,,,,,,,,,",
        "1.2.3.4;x", "\"198.51.100.7\"",
    };
    for (size_t i = 0; i < sizeof bad_xff / sizeof *bad_xff; i++)
        client_is("10.0.0.1", bad_xff[i], NULL, "10.0.0.1");
    /* behind a trusted hop, the trusted hop */
    client_is("10.0.0.1", "garbage, 10.4.4.4", NULL, "10.4.4.4");
    /* left of a good untrusted address, nothing matters */
    client_is("10.0.0.1", "garbage, 198.51.100.7", NULL, "198.51.100.7");
    static const char *const bad_fwd[] = {
        "for=unknown", "for=_hidden",       "by=10.0.0.1", "for=", "for=\"198.51.100.7", "",
        ";;;",         "for=198.51.100.7,",
    };
    for (size_t i = 0; i < sizeof bad_fwd / sizeof *bad_fwd; i++)
        client_is("10.0.0.1", NULL, bad_fwd[i], "10.0.0.1");
}

Test(forwarded, a_long_header_is_walked_in_bounded_time, .init = setup)
{
    static char xff[32 * 1024];
    size_t n = 0;
    while (n + 16 < sizeof xff)
        n += (size_t)snprintf(xff + n, sizeof xff - n, "10.0.0.%d,", (int)(n % 200));
    snprintf(xff + n, sizeof xff - n, "10.0.0.9");
    client_is("10.0.0.1", xff, NULL, "10.0.0.0"); /* the leftmost, all trusted */
}
