/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of cfg/cfg.c: --config in any position and spelling, unknown
 * options, every fixed-set, integer and --listen value checked the same way
 * from argv, the environment and the config file, and the settings that
 * bound connections and name trusted proxies (a later source replaces the
 * list of an earlier one, the documented defaults), and those of the calls
 * to identity providers (serve only).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
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

Test(cfg, outbound_settings_have_their_defaults)
{
    struct cfg c;
    char *argv[] = {"socialgate", "serve", "--db", "x.db"};
    cr_assert_eq(parse(&c, NULL, 4, argv), ST_OK);
    cr_expect_null(c.outbound_ca_file);
    cr_expect(!c.allow_private_network);
    cr_expect_eq(c.clock_skew, 120);
    cfg_cleanup(&c);
}

Test(cfg, outbound_settings_are_read_from_argv_and_the_environment_for_serve_only)
{
    struct cfg c;
    char *argv[] = {"socialgate",
                    "serve",
                    "--db",
                    "x.db",
                    "--outbound-ca-file",
                    "/etc/idp-ca.pem",
                    "--allow-private-network",
                    "--clock-skew=0"};
    cr_assert_eq(parse(&c, NULL, 8, argv), ST_OK);
    cr_expect_str_eq(c.outbound_ca_file, "/etc/idp-ca.pem");
    cr_expect(c.allow_private_network);
    cr_expect_eq(c.clock_skew, 0);
    cfg_cleanup(&c);
    setenv("SOCIALGATE_OUTBOUND_CA_FILE", "/env/ca.pem", 1);
    setenv("SOCIALGATE_ALLOW_PRIVATE_NETWORK", "yes", 1);
    setenv("SOCIALGATE_CLOCK_SKEW", "600", 1);
    cr_assert_eq(parse(&c, NULL, 4, argv), ST_OK);
    cr_expect_str_eq(c.outbound_ca_file, "/env/ca.pem");
    cr_expect(c.allow_private_network);
    cr_expect_eq(c.clock_skew, 600);
    cfg_cleanup(&c);
    unsetenv("SOCIALGATE_OUTBOUND_CA_FILE");
    unsetenv("SOCIALGATE_ALLOW_PRIVATE_NETWORK");
    unsetenv("SOCIALGATE_CLOCK_SKEW");
    static const char *const serve_only[] = {"--outbound-ca-file=x.pem", "--allow-private-network",
                                             "--clock-skew=5"};
    for (size_t i = 0; i < sizeof serve_only / sizeof *serve_only; i++) {
        char *init[] = {"socialgate", "init", "--db", "x.db", (char *)serve_only[i]};
        struct err e = {0};
        cr_expect_eq(parse(&c, &e, 5, init), ST_INVALID, "%s accepted by init", serve_only[i]);
        cfg_cleanup(&c);
    }
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

Test(cfg, a_postgresql_database_needs_a_key_file_a_sqlite_one_gets_its_own)
{
    static const char *const urls[] = {"postgresql://db.example/sg", "postgres:///sg?host=/run"};
    for (size_t i = 0; i < sizeof urls / sizeof *urls; i++) {
        struct cfg c;
        struct err e = {0};
        char *argv[] = {"socialgate", "serve", "--db", (char *)urls[i]};
        unsetenv("SOCIALGATE_KEY_FILE");
        cr_expect_eq(parse(&c, &e, 4, argv), ST_INVALID, "%s", urls[i]);
        cr_expect(strstr(e.msg, "--key-file") != NULL, "%s", e.msg);
        cfg_cleanup(&c);
        char *with[] = {"socialgate", "serve", "--db", (char *)urls[i], "--key-file", "/k"};
        cr_expect_eq(parse(&c, &e, 6, with), ST_OK, "%s", e.msg);
        cr_expect_str_eq(c.key_file, "/k");
        cfg_cleanup(&c);
    }
    struct cfg c;
    char *argv[] = {"socialgate", "serve", "--db", "sqlite:var/x.db"};
    cr_assert_eq(parse(&c, NULL, 4, argv), ST_OK);
    cr_expect_str_eq(c.key_file, "var/x.db.key");
    cfg_cleanup(&c);
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

/* ---- --config, unknown options ------------------------------------------ */

/* Writes text to a new temporary file; its path into path (PATH_LEN bytes). */
#define PATH_LEN 64
static void file_write(char *path, const char *text)
{
    snprintf(path, PATH_LEN, "/tmp/sg-test-cfg-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

Test(cfg, config_file_is_read_wherever_and_however_it_is_given)
{
    char path[PATH_LEN], eq[PATH_LEN + 9];
    file_write(path, "listen = 127.0.0.1:9191\n");
    snprintf(eq, sizeof eq, "--config=%s", path);
    char *last_eq[] = {"socialgate", "serve", "--db", "x.db", eq};
    char *first_eq[] = {"socialgate", "serve", eq, "--db", "x.db"};
    char *middle_eq[] = {"socialgate", "serve", "--threads", "3", eq, "--db", "x.db"};
    char *last_sp[] = {"socialgate", "serve", "--db", "x.db", "--config", path};
    char *first_sp[] = {"socialgate", "serve", "--config", path, "--db", "x.db"};
    char *init_last[] = {"socialgate", "init", "--db", "x.db", "--json", eq};
    struct {
        char **argv;
        int argc;
    } cases[] = {{last_eq, 5}, {first_eq, 5}, {middle_eq, 7},
                 {last_sp, 6}, {first_sp, 6}, {init_last, 6}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct cfg c;
        struct err e = {0};
        cr_expect_eq(parse(&c, &e, cases[i].argc, cases[i].argv), ST_OK, "case %zu: %s", i, e.msg);
        cr_expect_str_eq(c.listen ? c.listen : "(null)", "127.0.0.1:9191", "case %zu", i);
        cfg_cleanup(&c);
    }
    unlink(path);
}

Test(cfg, the_command_line_wins_over_the_config_file_after_it)
{
    char path[PATH_LEN], eq[PATH_LEN + 9];
    file_write(path, "listen = 127.0.0.1:9191\nthreads = 7\n");
    snprintf(eq, sizeof eq, "--config=%s", path);
    char *argv[] = {"socialgate", "serve", "--db", "x.db", "--listen", "127.0.0.1:9292", eq};
    struct cfg c;
    cr_assert_eq(parse(&c, NULL, 7, argv), ST_OK);
    cr_expect_str_eq(c.listen, "127.0.0.1:9292");
    cr_expect_eq(c.threads, 7);
    cfg_cleanup(&c);
    unlink(path);
}

Test(cfg, a_value_that_spells_config_is_not_taken_for_the_option)
{
    char *argv[] = {"socialgate", "app",      "add",     "--db", "x.db",
                    "--name",     "--config", "--realm", "r"};
    struct cfg c;
    struct err e = {0};
    cr_assert_eq(parse(&c, &e, 9, argv), ST_OK, "%s", e.msg);
    cr_expect_str_eq(c.name, "--config");
    cr_expect_null(c.config);
    cfg_cleanup(&c);
}

Test(cfg, an_unreadable_config_file_is_refused_naming_it)
{
    char *argv[] = {"socialgate", "serve", "--db", "x.db", "--config=/nonexistent/sg.conf"};
    struct cfg c;
    struct err e = {0};
    cr_expect_eq(parse(&c, &e, 5, argv), ST_INVALID);
    cr_expect(strstr(e.msg, "/nonexistent/sg.conf") != NULL, "%s", e.msg);
    cfg_cleanup(&c);
}

Test(cfg, an_unknown_option_is_refused_naming_it)
{
    static const char *const bad[] = {"--bogus", "--bogus=1", "-x", "--json", "bogus"};
    static const char *const named[] = {"--bogus", "--bogus", "-x", "--json", "bogus"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        for (int at = 2; at <= 4; at += 2) { /* first, last */
            char *argv[] = {"socialgate", "serve", "--db", "x.db", NULL};
            char *tail[] = {"socialgate", "serve", NULL, "--db", "x.db"};
            char **v = at == 4 ? argv : tail;
            v[at] = (char *)bad[i];
            struct cfg c;
            struct err e = {0};
            cr_expect_eq(parse(&c, &e, 5, v), ST_INVALID, "'%s' at %d", bad[i], at);
            cr_expect(strstr(e.msg, named[i]) != NULL, "'%s': %s", bad[i], e.msg);
            cfg_cleanup(&c);
        }
}

Test(cfg, an_unknown_setting_in_the_config_file_is_refused_naming_it)
{
    char path[PATH_LEN], eq[PATH_LEN + 9];
    file_write(path, "# comment\nthreads = 3\nbogus-setting = 1\n");
    snprintf(eq, sizeof eq, "--config=%s", path);
    char *argv[] = {"socialgate", "serve", "--db", "x.db", eq};
    struct cfg c;
    struct err e = {0};
    cr_expect_eq(parse(&c, &e, 5, argv), ST_INVALID);
    cr_expect(strstr(e.msg, "bogus-setting") != NULL, "%s", e.msg);
    cr_expect(strstr(e.msg, ":3") != NULL, "the line: %s", e.msg);
    cfg_cleanup(&c);
    unlink(path);
}

/* ---- one value of one setting, from each source -------------------------- */

enum source { ARGV_SPACE, ARGV_EQ, ENV, FILE_ };

/* Parses `serve --db x.db` with setting name (environment variable env) set
 * to val from source src; the message into e. */
static enum st parse_one(struct cfg *c, struct err *e, const char *cmd, const char *name,
                         const char *env, const char *val, enum source src)
{
    char opt[128], path[PATH_LEN], eq[PATH_LEN + 9];
    char *argv[8] = {"socialgate", (char *)cmd, "--db", "x.db"};
    int argc = 4;
    if (src == ARGV_SPACE) {
        snprintf(opt, sizeof opt, "--%s", name);
        argv[argc++] = opt;
        argv[argc++] = (char *)val;
    } else if (src == ARGV_EQ) {
        snprintf(opt, sizeof opt, "--%s=%s", name, val);
        argv[argc++] = opt;
    } else if (src == ENV) {
        setenv(env, val, 1);
    } else {
        snprintf(opt, sizeof opt, "%s = %s\n", name, val);
        file_write(path, opt);
        snprintf(eq, sizeof eq, "--config=%s", path);
        argv[argc++] = eq;
    }
    enum st st = parse(c, e, argc, argv);
    if (src == ENV)
        unsetenv(env);
    if (src == FILE_)
        unlink(path);
    return st;
}

static const char *const src_names[] = {"argv", "argv=", "env", "file"};

/* Expects val refused from every source (the environment: unless empty,
 * which means unset; the file: unless the blanks around it, which it
 * trims, would make it right) with a message holding name and each of
 * words. */
static void expect_refused(const char *cmd, const char *name, const char *env, const char *val,
                           const char *const *words)
{
    for (int src = ARGV_SPACE; src <= FILE_; src++) {
        size_t n = strlen(val);
        if (src == ENV && (!env || !n))
            continue;
        if (src == FILE_ && n && (val[0] == ' ' || val[n - 1] == ' '))
            continue;
        struct cfg c;
        struct err e = {0};
        enum st st = parse_one(&c, &e, cmd, name, env, val, (enum source)src);
        cr_expect_eq(st, ST_INVALID, "%s %s '%s' accepted", src_names[src], name, val);
        cr_expect(strstr(e.msg, name) != NULL, "%s %s '%s': %s", src_names[src], name, val, e.msg);
        for (const char *const *w = words; w && *w; w++)
            cr_expect(strstr(e.msg, *w) != NULL, "%s %s '%s': no '%s' in %s", src_names[src], name,
                      val, *w, e.msg);
        cfg_cleanup(&c);
    }
}

static void expect_accepted(const char *cmd, const char *name, const char *env, const char *val)
{
    for (int src = ARGV_SPACE; src <= FILE_; src++) {
        struct cfg c;
        struct err e = {0};
        enum st st = parse_one(&c, &e, cmd, name, env, val, (enum source)src);
        cr_expect_eq(st, ST_OK, "%s %s '%s' refused: %s", src_names[src], name, val, e.msg);
        cfg_cleanup(&c);
    }
}

/* ---- fixed sets of values ----------------------------------------------- */

Test(cfg, a_log_level_outside_its_set_is_refused_listing_the_set)
{
    static const char *const words[] = {"debug", "info", "warn", "error", NULL};
    static const char *const bad[] = {"bogus", "INFO", "", "info ", "warning", "debug|info"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        expect_refused("serve", "log-level", "SOCIALGATE_LOG_LEVEL", bad[i], words);
    for (int i = 0; words[i]; i++)
        expect_accepted("serve", "log-level", "SOCIALGATE_LOG_LEVEL", words[i]);
}

Test(cfg, a_boolean_outside_its_set_is_refused_listing_the_set)
{
    static const char *const words[] = {"true", "false", NULL};
    static const char *const bad[] = {"maybe", "2", "on", "", "TRUE"};
    static const char *const names[] = {"insecure-http", "allow-open-key-file",
                                        "allow-private-network"};
    static const char *const envs[] = {"SOCIALGATE_INSECURE_HTTP", "SOCIALGATE_ALLOW_OPEN_KEY_FILE",
                                       "SOCIALGATE_ALLOW_PRIVATE_NETWORK"};
    for (size_t n = 0; n < sizeof names / sizeof *names; n++)
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
            struct cfg c;
            struct err e = {0};
            char opt[64];
            snprintf(opt, sizeof opt, "--%s=%s", names[n], bad[i]);
            char *argv[] = {"socialgate", "serve", "--db", "x.db", opt};
            cr_expect_eq(parse(&c, &e, 5, argv), ST_INVALID, "%s", opt);
            cr_expect(strstr(e.msg, names[n]) && strstr(e.msg, "true") && strstr(e.msg, "false"),
                      "%s: %s", opt, e.msg);
            cfg_cleanup(&c);
            if (!*bad[i])
                continue;
            e = (struct err){0};
            setenv(envs[n], bad[i], 1);
            char *plain[] = {"socialgate", "serve", "--db", "x.db"};
            cr_expect_eq(parse(&c, &e, 4, plain), ST_INVALID, "%s=%s", envs[n], bad[i]);
            cr_expect(strstr(e.msg, envs[n]) != NULL, "%s", e.msg);
            unsetenv(envs[n]);
            cfg_cleanup(&c);
        }
    (void)words;
}

Test(cfg, help_lists_the_allowed_values)
{
    char *text = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&text, &n);
    cfg_help(f);
    fclose(f);
    cr_expect(strstr(text, "debug|info|warn|error") != NULL, "%s", text);
    free(text);
}

/* ---- integers ----------------------------------------------------------- */

Test(cfg, an_integer_out_of_bounds_or_not_a_number_is_refused_naming_the_setting)
{
    static const struct {
        const char *name, *env;
        long min, max;
    } ints[] = {
        {"threads", "SOCIALGATE_THREADS", 1, 256},
        {"max-connections", "SOCIALGATE_MAX_CONNECTIONS", 4, 65536},
        {"timeout", "SOCIALGATE_TIMEOUT", 1, 3600},
        {"request-head-timeout", "SOCIALGATE_REQUEST_HEAD_TIMEOUT", 1, 3600},
        {"max-connections-per-address", "SOCIALGATE_MAX_CONNECTIONS_PER_ADDRESS", 1, 65536},
        {"clock-skew", "SOCIALGATE_CLOCK_SKEW", 0, 600},
        {"max-sign-ins-per-address", "SOCIALGATE_MAX_SIGN_INS_PER_ADDRESS", 1, 100000000},
    };
    static const char *const junk[] = {"abc",
                                       "12x",
                                       "",
                                       " 5",
                                       "+5",
                                       "5 5",
                                       "0x10",
                                       "1e3",
                                       "99999999999999999999",
                                       "-99999999999999999999"};
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) {
        char below[32], above[32], min[32], max[32];
        snprintf(below, sizeof below, "%ld", ints[i].min - 1);
        snprintf(above, sizeof above, "%ld", ints[i].max + 1);
        snprintf(min, sizeof min, "%ld", ints[i].min);
        snprintf(max, sizeof max, "%ld", ints[i].max);
        const char *const bounds[] = {min, max, NULL};
        expect_refused("serve", ints[i].name, ints[i].env, below, bounds);
        expect_refused("serve", ints[i].name, ints[i].env, above, bounds);
        expect_refused("serve", ints[i].name, ints[i].env, "-1", bounds);
        for (size_t j = 0; j < sizeof junk / sizeof *junk; j++)
            expect_refused("serve", ints[i].name, ints[i].env, junk[j], bounds);
        expect_accepted("serve", ints[i].name, ints[i].env, min);
        expect_accepted("serve", ints[i].name, ints[i].env, max);
    }
}

/* ---- --listen ----------------------------------------------------------- */

Test(cfg, a_listen_address_without_a_port_from_1_to_65535_is_refused)
{
    static const char *const bad[] = {"127.0.0.1:0",
                                      "127.0.0.1:65536",
                                      "127.0.0.1:70000",
                                      "127.0.0.1:-1",
                                      "127.0.0.1:abc",
                                      "127.0.0.1:8080x",
                                      "127.0.0.1:",
                                      "127.0.0.1",
                                      "8080",
                                      ":8080",
                                      "127.0.0.1: 8080",
                                      "127.0.0.1:+8080",
                                      "[::1]",
                                      "[::1]:",
                                      "[::1",
                                      "[::1:8080",
                                      "::1:8080",
                                      "[]:8080",
                                      "",
                                      "127.0.0.1:99999999999999999999",
                                      "[::1]x:8080",
                                      "127.0.0.1:08080x"};
    static const char *const words[] = {"1", "65535", NULL};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        expect_refused("serve", "listen", "SOCIALGATE_LISTEN", bad[i], words);
        expect_refused("init", "listen", "SOCIALGATE_LISTEN", bad[i], words);
    }
    static const char *const good[] = {"127.0.0.1:1",    "127.0.0.1:65535", "[::1]:8080",
                                       "localhost:8080", "0.0.0.0:8080",    "[::]:443"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        expect_accepted("serve", "listen", "SOCIALGATE_LISTEN", good[i]);
        expect_accepted("init", "listen", "SOCIALGATE_LISTEN", good[i]);
    }
}

/* ---- the metrics listener ------------------------------------------------ */

Test(cfg, metrics_listen_is_loopback_by_default_and_off_turns_it_off)
{
    struct cfg c;
    char *argv[] = {"socialgate", "serve", "--db", "x.db"};
    cr_assert_eq(parse(&c, NULL, 4, argv), ST_OK);
    cr_expect_str_eq(c.metrics_listen, "127.0.0.1:9464");
    cfg_cleanup(&c);
    static const char *const off[] = {"off", ""};
    for (size_t i = 0; i < 2; i++) {
        struct err e = {0};
        cr_assert_eq(parse_one(&c, &e, "serve", "metrics-listen", NULL, off[i], ARGV_SPACE), ST_OK,
                     "%s", e.msg);
        cr_expect_null(c.metrics_listen, "'%s' leaves a listener", off[i]);
        cfg_cleanup(&c);
    }
    expect_accepted("serve", "metrics-listen", "SOCIALGATE_METRICS_LISTEN", "[::1]:9464");
}

Test(cfg, a_bad_metrics_address_is_refused_naming_the_setting)
{
    static const char *const words[] = {"HOST:PORT", "off", NULL};
    static const char *const bad[] = {"9464", "127.0.0.1:0", "127.0.0.1:65536", "on", ":x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        expect_refused("serve", "metrics-listen", "SOCIALGATE_METRICS_LISTEN", bad[i], words);
}
