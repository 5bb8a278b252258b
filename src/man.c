/* SPDX-License-Identifier: MIT */
/*
 * socialgate(1), written to stdout at build time from the binary's own
 * tables: the commands' usage and every setting come from the settings
 * table (cfg_man), the routes from the route table (api_route_info), so
 * the page cannot drift from the program. Only the prose around them is
 * here. Not installed; meson runs it and installs its output.
 */
#include "app.h"

#include <stdio.h>

/* The date of the prose below: change it with the prose. */
#define MAN_DATE "2026-11-29"

static void roff(const char *s)
{
    cfg_roff(stdout, s);
}

static void head(void)
{
    printf(".TH SOCIALGATE 1 %s \"socialgate %s\" \"User Commands\"\n", MAN_DATE, SG_VERSION);
    puts(".SH NAME\n"
         "socialgate \\- social login gateway: token service, configuration API and sign\\-in "
         "runtime\n"
         ".SH SYNOPSIS");
    cfg_man(stdout, true);
    puts(".SH DESCRIPTION\n"
         "socialgate serves an OAuth 2.0 token service, a configuration API of token policies, "
         "clients, apps and identity providers, and the sign\\-in runtime that signs people in "
         "with OpenID Connect, OAuth 2.0 and SAML 2.0 providers.\n"
         "Its state is one SQLite database (one server) or one PostgreSQL database (any number "
         "of servers), and a key file that seals the secrets stored in it.\n"
         ".SH COMMANDS\n"
         ".TP\n.B init\n"
         "Create the database and the key file if needed, add one customer with a token "
         "policy, a configuration client and an app, and print them.\n"
         ".TP\n.B serve\n"
         "Serve HTTP (or HTTPS with \\-\\-tls\\-cert) until SIGTERM.\n"
         ".TP\n.B app add\n"
         "Add a social\\-login application to a customer and print its id.\n"
         ".TP\n.B copy\n"
         "Copy every row of a database into a new, empty one (SQLite or PostgreSQL, either "
         "way), sealed with the same key file.\n"
         ".TP\n.B backup\n"
         "Write a consistent copy of a SQLite database, served or not, into a new file. The key "
         "file is not in it: keep it with the backups.\n"
         ".TP\n.B restore\n"
         "Replace a SQLite database that no server serves with a backup file.\n"
         ".SH OPTIONS\n"
         "Later sources win: defaults, the \\-\\-config file, the environment, the command "
         "line.\n"
         "A bad value from any source stops the command with exit status 2.");
    cfg_man(stdout, false);
}

static void routes(void)
{
    puts(".SH ROUTES\n"
         "{c} is a customer id, {id} a resource id, {app} an app id, {c}.{p} a customer and a "
         "provider.");
    for (int i = 0; i < api_route_count(); i++) {
        const char *method = NULL, *pattern = NULL, *summary = NULL;
        api_route_info(i, &method, &pattern, &summary);
        printf(".TP\n.B \"%s ", method);
        roff(pattern);
        puts("\"");
        roff(summary ? summary : "");
        putchar('\n');
    }
}

static void tail(void)
{
    puts(".SH SIGNALS\n"
         ".TP\n.B SIGTERM, SIGINT, SIGQUIT\n"
         "Stop: refuse new connections, finish the requests in flight, write the log, exit 0.\n"
         ".TP\n.B SIGHUP\n"
         "Write the buffered log lines and reopen \\-\\-log\\-file.\n"
         ".TP\n.B SIGUSR1\n"
         "Write the buffered log lines.\n"
         ".SH FILES\n"
         ".TP\n.I DB.key\n"
         "The key file beside a SQLite database (\\-\\-key\\-file): keep it, mode 0600, with "
         "every backup of the database; without it no stored secret can be read.\n"
         ".TP\n.I DB\\-serve.lock\n"
         "Locked by the one server of a SQLite database.\n"
         ".SH EXIT STATUS\n"
         "0 on success, 1 when the command failed, 2 on a bad command line or setting.\n"
         ".SH SEE ALSO\n"
         ".BR sqlite3 (1),\n"
         ".BR pg_dump (1),\n"
         ".BR systemd.service (5)");
}

int main(void)
{
    head();
    routes();
    tail();
    return fflush(stdout) == 0 ? 0 : 1;
}
