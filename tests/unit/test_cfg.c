/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of cfg/cfg.c for the settings that bound connections and name
 * trusted proxies: --trusted-proxy repeats, a later source replaces the
 * list of an earlier one, bad ranges are refused naming the setting, and
 * the connection settings have their documented defaults.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/cfg.h"

static enum st parse(struct cfg *c, struct err *e, int argc, char **argv)
{
    unsetenv("SOCIALGATE_TRUSTED_PROXIES");
    return cfg_parse(c, argc, argv, e);
}

Test(cfg, connection_settings_have_their_defaults)
{
    struct cfg c;
    char *argv[] = {"socialgate", "serve", "--db", "x.db"};
    cr_assert_eq(parse(&c, NULL, 4, argv), ST_OK);
    cr_expect_eq(c.head_timeout, 10);
    cr_expect_eq(c.max_connections_per_address, 64);
    cr_expect_eq(c.trusted_proxies.n, 0);
    cfg_cleanup(&c);
}

Test(cfg, trusted_proxy_repeats_on_the_command_line)
{
    struct cfg c;
    char *argv[] = {"socialgate",
                    "serve",
                    "--db",
                    "x.db",
                    "--trusted-proxy",
                    "10.0.0.0/8",
                    "--trusted-proxy=2001:db8::/32"};
    cr_assert_eq(parse(&c, NULL, 7, argv), ST_OK);
    cr_assert_eq(c.trusted_proxies.n, 2);
    cr_expect_str_eq(c.trusted_proxies.v[0], "10.0.0.0/8");
    cr_expect_str_eq(c.trusted_proxies.v[1], "2001:db8::/32");
    cfg_cleanup(&c);
}

Test(cfg, the_command_line_replaces_the_environments_list)
{
    struct cfg c;
    char *argv[] = {"socialgate", "serve", "--db", "x.db", "--trusted-proxy", "192.0.2.1"};
    setenv("SOCIALGATE_TRUSTED_PROXIES", "10.0.0.1, 10.0.0.2", 1);
    cr_assert_eq(cfg_parse(&c, 6, argv, NULL), ST_OK);
    cr_assert_eq(c.trusted_proxies.n, 1);
    cr_expect_str_eq(c.trusted_proxies.v[0], "192.0.2.1");
    cfg_cleanup(&c);
    cr_assert_eq(cfg_parse(&c, 4, argv, NULL), ST_OK);
    cr_assert_eq(c.trusted_proxies.n, 2); /* the environment alone */
    cr_expect_str_eq(c.trusted_proxies.v[1], "10.0.0.2");
    cfg_cleanup(&c);
    unsetenv("SOCIALGATE_TRUSTED_PROXIES");
}

Test(cfg, a_bad_trusted_proxy_is_refused_naming_the_setting)
{
    static const char *const bad[] = {"proxy.example", "10.0.0.0/33", "", "10.0.0.1,,x", "::/129"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct cfg c;
        struct err e = {0};
        char *argv[] = {"socialgate", "serve", "--db", "x.db", "--trusted-proxy", (char *)bad[i]};
        cr_expect_eq(parse(&c, &e, 6, argv), ST_INVALID, "'%s' should be refused", bad[i]);
        cr_expect(strstr(e.msg, "trusted-proxy") != NULL, "%s", e.msg);
        cfg_cleanup(&c);
    }
}

Test(cfg, too_many_trusted_proxies_are_refused)
{
    struct cfg c;
    char *argv[2 + 2 + 2 * (CFG_LIST_MAX + 1)];
    int n = 0;
    argv[n++] = "socialgate";
    argv[n++] = "serve";
    argv[n++] = "--db";
    argv[n++] = "x.db";
    for (int i = 0; i <= CFG_LIST_MAX; i++) {
        argv[n++] = "--trusted-proxy";
        argv[n++] = "10.0.0.1";
    }
    cr_expect_eq(parse(&c, NULL, n, argv), ST_INVALID);
    cfg_cleanup(&c);
}
