/* SPDX-License-Identifier: MIT */
/*
 * The settings table: every setting once, with its type, default,
 * environment variable, bounds, the commands it applies to and its help
 * line. Parsing layers defaults, file, environment and command line.
 */
#include "cfg.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* K_ADDR: HOST:PORT or [IPV6]:PORT, port 1 to 65535, kept as text. */
enum kind { K_STR, K_INT, K_BOOL, K_LIST, K_ADDR };

#define BOOL_VALUES "true|false|yes|no|1|0"

#define FOR_INIT (1u << CMD_INIT)
#define FOR_SERVE (1u << CMD_SERVE)
#define FOR_APP (1u << CMD_APP_ADD)
#define FOR_COPY (1u << CMD_COPY)
#define FOR_BACKUP (1u << CMD_BACKUP)
#define FOR_RESTORE (1u << CMD_RESTORE)
#define FOR_ALL (FOR_INIT | FOR_SERVE | FOR_APP)

struct setting {
    const char *name; /* --name */
    enum kind kind;
    size_t offset;
    const char *dflt;
    const char *env;
    long min, max;      /* K_INT */
    const char *values; /* K_STR: the only values allowed, '|'-separated; NULL: any */
    unsigned cmds;
    const char *help;
};

#define OFF(f) offsetof(struct cfg, f)

static const struct setting settings[] = {
    {.name = "db",
     .kind = K_STR,
     .offset = OFF(db),
     .env = "SOCIALGATE_DB",
     .cmds = FOR_ALL | FOR_BACKUP | FOR_RESTORE,
     .help = "database: a SQLite path, sqlite:PATH or postgresql://... (required)"},
    {.name = "from",
     .kind = K_STR,
     .offset = OFF(from),
     .cmds = FOR_COPY | FOR_RESTORE,
     .help = "copy: the database to copy, as --db; restore: the backup file (required)"},
    {.name = "to",
     .kind = K_STR,
     .offset = OFF(to),
     .cmds = FOR_COPY | FOR_BACKUP,
     .help = "copy: the new, empty database to copy it into, as --db; backup: the new file "
             "(required)"},
    {.name = "key-file",
     .kind = K_STR,
     .offset = OFF(key_file),
     .env = "SOCIALGATE_KEY_FILE",
     .cmds = FOR_ALL | FOR_COPY | FOR_BACKUP | FOR_RESTORE,
     .help = "key file sealing secrets at rest (default: DB path + .key; required with "
             "PostgreSQL)"},
    {.name = "listen",
     .kind = K_ADDR,
     .offset = OFF(listen),
     .dflt = "127.0.0.1:8080",
     .env = "SOCIALGATE_LISTEN",
     .cmds = FOR_SERVE | FOR_INIT,
     .help = "HOST:PORT to serve on ([IPV6]:PORT for IPv6; port 1 to 65535)"},
    {.name = "metrics-listen",
     .kind = K_STR,
     .offset = OFF(metrics_listen),
     .dflt = CFG_METRICS_LISTEN,
     .env = "SOCIALGATE_METRICS_LISTEN",
     .cmds = FOR_SERVE,
     .help = "HOST:PORT serving GET /metrics (Prometheus) apart from the API; keep it private; "
             "off (or empty) for none"},
    {.name = "public-url",
     .kind = K_STR,
     .offset = OFF(public_url),
     .env = "SOCIALGATE_PUBLIC_URL",
     .cmds = FOR_SERVE | FOR_INIT,
     .help = "base URL of absolute links (default: http://LISTEN, https:// with TLS)"},
    {.name = "threads",
     .kind = K_INT,
     .offset = OFF(threads),
     .dflt = "2",
     .env = "SOCIALGATE_THREADS",
     .min = 1,
     .max = 256,
     .cmds = FOR_SERVE,
     .help = "HTTP worker threads"},
    {.name = "max-connections",
     .kind = K_INT,
     .offset = OFF(max_connections),
     .dflt = "1024",
     .env = "SOCIALGATE_MAX_CONNECTIONS",
     .min = 4,
     .max = 65536,
     .cmds = FOR_SERVE,
     .help = "concurrent connections accepted"},
    {.name = "timeout",
     .kind = K_INT,
     .offset = OFF(timeout),
     .dflt = "30",
     .env = "SOCIALGATE_TIMEOUT",
     .min = 1,
     .max = 3600,
     .cmds = FOR_SERVE,
     .help = "seconds an idle connection is kept open"},
    {.name = "request-head-timeout",
     .kind = K_INT,
     .offset = OFF(head_timeout),
     .dflt = "10",
     .env = "SOCIALGATE_REQUEST_HEAD_TIMEOUT",
     .min = 1,
     .max = 3600,
     .cmds = FOR_SERVE,
     .help = "seconds a connection has to send a whole request head"},
    {.name = "max-connections-per-address",
     .kind = K_INT,
     .offset = OFF(max_connections_per_address),
     .dflt = "64",
     .env = "SOCIALGATE_MAX_CONNECTIONS_PER_ADDRESS",
     .min = 1,
     .max = 65536,
     .cmds = FOR_SERVE,
     .help = "concurrent connections from one address (IPv6: one /64); trusted proxies exempt"},
    {.name = "trusted-proxy",
     .kind = K_LIST,
     .offset = OFF(trusted_proxies),
     .env = "SOCIALGATE_TRUSTED_PROXIES",
     .cmds = FOR_SERVE,
     .help = "CIDR of a proxy whose X-Forwarded-For/Forwarded is read (repeatable; env: "
             "comma-separated)"},
    {.name = "tls-cert",
     .kind = K_STR,
     .offset = OFF(tls_cert),
     .env = "SOCIALGATE_TLS_CERT",
     .cmds = FOR_SERVE,
     .help = "PEM certificate (chain) file: serve HTTPS, TLS 1.2 or newer (with --tls-key)"},
    {.name = "tls-key",
     .kind = K_STR,
     .offset = OFF(tls_key),
     .env = "SOCIALGATE_TLS_KEY",
     .cmds = FOR_SERVE,
     .help = "PEM private key file of --tls-cert (unencrypted)"},
    {.name = "insecure-http",
     .kind = K_BOOL,
     .offset = OFF(insecure_http),
     .env = "SOCIALGATE_INSECURE_HTTP",
     .cmds = FOR_SERVE,
     .help = "serve plain HTTP on a non-loopback address (behind a TLS proxy only)"},
    {.name = "allow-open-key-file",
     .kind = K_BOOL,
     .offset = OFF(allow_open_key_file),
     .env = "SOCIALGATE_ALLOW_OPEN_KEY_FILE",
     .cmds = FOR_SERVE | FOR_INIT | FOR_APP | FOR_COPY,
     .help = "use a key file that group or others may read (refused otherwise)"},
    {.name = "outbound-ca-file",
     .kind = K_STR,
     .offset = OFF(outbound_ca_file),
     .env = "SOCIALGATE_OUTBOUND_CA_FILE",
     .cmds = FOR_SERVE,
     .help = "PEM CA certificates trusted for calls to identity providers, besides the system's"},
    {.name = "allow-private-network",
     .kind = K_BOOL,
     .offset = OFF(allow_private_network),
     .env = "SOCIALGATE_ALLOW_PRIVATE_NETWORK",
     .cmds = FOR_SERVE,
     .help = "let calls to identity providers reach loopback, private and link-local addresses "
             "(local IdPs, tests)"},
    {.name = "saml-allow-sha1",
     .kind = K_BOOL,
     .offset = OFF(saml_allow_sha1),
     .env = "SOCIALGATE_SAML_ALLOW_SHA1",
     .cmds = FOR_SERVE,
     .help = "accept SAML responses signed with SHA-1 (RSA-SHA1, SHA-1 digests): weak, for "
             "identity providers that sign nothing better"},
    {.name = "clock-skew",
     .kind = K_INT,
     .offset = OFF(clock_skew),
     .dflt = "120",
     .env = "SOCIALGATE_CLOCK_SKEW",
     .min = 0,
     .max = 600,
     .cmds = FOR_SERVE,
     .help = "clock skew allowed when checking id_token and SAML assertion times"},
    {.name = "max-sign-ins-per-address",
     .kind = K_INT,
     .offset = OFF(max_sign_ins),
     .dflt = "600",
     .env = "SOCIALGATE_MAX_SIGN_INS_PER_ADDRESS",
     .min = 1,
     .max = 100000000,
     .cmds = FOR_SERVE,
     .help = "sign-ins one address (IPv6: one /64) may begin per minute; each stores a flow"},
    {.name = "log-level",
     .kind = K_STR,
     .offset = OFF(log_level),
     .dflt = "info",
     .env = "SOCIALGATE_LOG_LEVEL",
     .values = "debug|info|warn|error",
     .cmds = FOR_SERVE,
     .help = "the least severe log lines written"},
    {.name = "log-file",
     .kind = K_STR,
     .offset = OFF(log_file),
     .env = "SOCIALGATE_LOG_FILE",
     .cmds = FOR_SERVE,
     .help = "append the log to this file instead of stderr; SIGHUP reopens it"},
    {.name = "log-format",
     .kind = K_STR,
     .offset = OFF(log_format),
     .dflt = "text",
     .env = "SOCIALGATE_LOG_FORMAT",
     .values = "text|json",
     .cmds = FOR_SERVE,
     .help = "text: `TIME LEVEL message` lines; json: one JSON object a line (time, level, msg, "
             "and a request's or a sign-in's fields)"},
    {.name = "customer-id",
     .kind = K_STR,
     .offset = OFF(customer_id),
     .env = "SOCIALGATE_CUSTOMER_ID",
     .cmds = FOR_INIT | FOR_APP,
     .help = "customer UUID (init: default random)"},
    {.name = "name",
     .kind = K_STR,
     .offset = OFF(name),
     .cmds = FOR_APP,
     .help = "name of the social-login application"},
    {.name = "realm",
     .kind = K_STR,
     .offset = OFF(realm),
     .cmds = FOR_APP | FOR_INIT,
     .help = "public base URL of the application's callbacks"},
    {.name = "json",
     .kind = K_BOOL,
     .offset = OFF(json),
     .cmds = FOR_INIT | FOR_APP,
     .help = "print one JSON object instead of text"},
    {.name = "config",
     .kind = K_STR,
     .offset = OFF(config),
     .env = "SOCIALGATE_CONFIG",
     .cmds = FOR_ALL | FOR_COPY | FOR_BACKUP | FOR_RESTORE,
     .help = "file of `name = value` lines, read before the environment"},
};

#define NSETTINGS (sizeof settings / sizeof *settings)

static const struct setting *find(const char *name, size_t n)
{
    for (size_t i = 0; i < NSETTINGS; i++)
        if (strlen(settings[i].name) == n && strncmp(settings[i].name, name, n) == 0)
            return &settings[i];
    return NULL;
}

static void list_clear(struct cfg_list *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->v[i]);
    l->n = 0;
    l->from = NULL;
}

/* Adds the comma- or space-separated CIDR ranges of val to the list, which
 * it first empties when val comes from another source. */
static enum st set_list(struct cfg_list *l, const struct setting *s, const char *val,
                        const char *from, struct err *e)
{
    if (l->from != from)
        list_clear(l);
    l->from = from;
    char *copy = xstrdup(val);
    enum st st = ST_OK;
    for (char *save = NULL, *one = strtok_r(copy, ", \t", &save); one && st == ST_OK;
         one = strtok_r(NULL, ", \t", &save)) {
        struct net_cidr cidr;
        if (net_cidr_parse(one, &cidr, NULL) != ST_OK)
            st = ERR(e, ST_INVALID, s->name, "%s: %s: '%.64s' is not an address or CIDR range",
                     from, s->name, one);
        else if (l->n == CFG_LIST_MAX)
            st = ERR(e, ST_INVALID, s->name, "%s: more than %d values of %s", from, CFG_LIST_MAX,
                     s->name);
        else
            l->v[l->n++] = xstrdup(one);
    }
    free(copy);
    if (st == ST_OK && l->n == 0)
        st = ERR(e, ST_INVALID, s->name, "%s: %s needs an address or CIDR range", from, s->name);
    return st;
}

/* True when val is one of the '|'-separated values. */
static bool one_of(const char *values, const char *val)
{
    size_t n = strlen(val);
    for (const char *v = values; v; v = strchr(v, '|') ? strchr(v, '|') + 1 : NULL) {
        size_t len = strchr(v, '|') ? (size_t)(strchr(v, '|') - v) : strlen(v);
        if (len == n && strncmp(v, val, n) == 0)
            return true;
    }
    return false;
}

/* A decimal integer: an optional '-' and digits only, nothing around them. */
static bool integer_parse(const char *val, long *out)
{
    const char *d = *val == '-' ? val + 1 : val;
    if (!*d || strspn(d, "0123456789") != strlen(d))
        return false;
    errno = 0;
    *out = strtol(val, NULL, 10);
    return errno == 0;
}

/* HOST:PORT with a host (an IPv6 address in brackets) and a port of digits
 * from 1 to 65535; names are resolved when serving, not here. */
static bool addr_valid(const char *val)
{
    const char *colon = strrchr(val, ':');
    long port = 0;
    if (!colon || !integer_parse(colon + 1, &port) || colon[1] == '-' || port < 1 || port > 65535)
        return false;
    size_t n = (size_t)(colon - val);
    if (n > 0 && val[0] == '[')
        return n > 2 && val[n - 1] == ']' && !memchr(val + 1, '[', n - 2) &&
               !memchr(val + 1, ']', n - 2);
    return n > 0 && !memchr(val, ':', n) && !memchr(val, '[', n) && !memchr(val, ']', n);
}

static enum st set(struct cfg *c, const struct setting *s, const char *val, const char *from,
                   struct err *e)
{
    void *field = (char *)c + s->offset;
    if (s->kind == K_LIST)
        return set_list(field, s, val, from, e);
    if (s->kind == K_BOOL) {
        if (!one_of(BOOL_VALUES, val))
            return ERR(e, ST_INVALID, s->name, "%s: %s must be one of " BOOL_VALUES ", not '%.64s'",
                       from, s->name, val);
        *(bool *)field = !strcmp(val, "1") || !strcmp(val, "true") || !strcmp(val, "yes");
        return ST_OK;
    }
    if (s->kind == K_INT) {
        long v = 0;
        if (!integer_parse(val, &v) || v < s->min || v > s->max)
            return ERR(e, ST_INVALID, s->name,
                       "%s: %s must be an integer from %ld to %ld, not '%.64s'", from, s->name,
                       s->min, s->max, val);
        *(long *)field = v;
        return ST_OK;
    }
    if (s->values && !one_of(s->values, val))
        return ERR(e, ST_INVALID, s->name, "%s: %s must be one of %s, not '%.64s'", from, s->name,
                   s->values, val);
    if (s->kind == K_ADDR && !addr_valid(val))
        return ERR(e, ST_INVALID, s->name,
                   "%s: %s must be HOST:PORT ([IPV6]:PORT) with a port from 1 to 65535, not "
                   "'%.64s'",
                   from, s->name, val);
    char **p = field;
    free(*p);
    *p = xstrdup(val);
    return ST_OK;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

static enum st read_file(struct cfg *c, const char *path, struct err *e)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return ERR(e, ST_INVALID, "config", "cannot read config file %s: %s", path,
                   strerror(errno));
    char line[1024];
    enum st st = ST_OK;
    for (int no = 1; st == ST_OK && fgets(line, sizeof line, f); no++) {
        char *l = trim(line);
        if (!*l || *l == '#')
            continue;
        char *eq = strchr(l, '=');
        char *key = eq ? (*eq = '\0', trim(l)) : l;
        const struct setting *s = eq ? find(key, strlen(key)) : NULL;
        if (!eq)
            st = ERR(e, ST_INVALID, "config", "%s:%d: expected `name = value`, not '%.64s'", path,
                     no, l);
        else if (!s || !strcmp(s->name, "config"))
            st = ERR(e, ST_INVALID, "config", "%s:%d: unknown setting '%.64s'", path, no, key);
        else if (s->kind == K_BOOL)
            st = ERR(e, ST_INVALID, "config",
                     "%s:%d: %s is a flag or environment variable, not a file setting", path, no,
                     key);
        else
            st = set(c, s, trim(eq + 1), path, e);
    }
    fclose(f);
    return st;
}

static enum cfg_cmd command(const char *a, const char *b)
{
    if (!a)
        return CMD_NONE;
    if (!strcmp(a, "init"))
        return CMD_INIT;
    if (!strcmp(a, "serve"))
        return CMD_SERVE;
    if (!strcmp(a, "app") && b && !strcmp(b, "add"))
        return CMD_APP_ADD;
    if (!strcmp(a, "copy"))
        return CMD_COPY;
    if (!strcmp(a, "backup"))
        return CMD_BACKUP;
    if (!strcmp(a, "restore"))
        return CMD_RESTORE;
    if (!strcmp(a, "--help") || !strcmp(a, "-h") || !strcmp(a, "help"))
        return CMD_HELP;
    if (!strcmp(a, "--version") || !strcmp(a, "-V"))
        return CMD_VERSION;
    return CMD_NONE;
}

/* Applies the --name=value / --name value options of argv[0..argc); with
 * only, that setting alone (the others are checked for their names). */
static enum st parse_args(struct cfg *c, int argc, char **argv, const struct setting *only,
                          struct err *e)
{
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            c->cmd = CMD_HELP;
            return ST_OK;
        }
        if (strncmp(a, "--", 2) != 0)
            return ERR(e, ST_INVALID, NULL, "unexpected argument '%s'", a);
        const char *eq = strchr(a + 2, '=');
        size_t n = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        const struct setting *s = find(a + 2, n);
        if (!s || !(s->cmds & (1u << c->cmd)))
            return ERR(e, ST_INVALID, NULL, "unknown option '%.*s' for this command (see --help)",
                       (int)n + 2, a);
        const char *val = eq ? eq + 1 : NULL;
        if (!val && s->kind == K_BOOL)
            val = "true";
        if (!val && i + 1 < argc)
            val = argv[++i];
        if (!val)
            return ERR(e, ST_INVALID, s->name, "option --%s needs a value", s->name);
        enum st st = only && s != only ? ST_OK : set(c, s, val, "command line", e);
        if (st != ST_OK)
            return st;
    }
    return ST_OK;
}

/* Reads the config file (path: argv's --config, already in c->config, or
 * SOCIALGATE_CONFIG), then the environment. */
static enum st layer_env_file(struct cfg *c, struct err *e)
{
    if (c->config && !*c->config)
        return ERR(e, ST_INVALID, "config", "option --config needs a file");
    const char *path = c->config ? c->config : getenv("SOCIALGATE_CONFIG");
    enum st st = path && *path ? read_file(c, path, e) : ST_OK; /* a file cannot set config */
    for (size_t i = 0; st == ST_OK && i < NSETTINGS; i++) {
        const char *v = settings[i].env ? getenv(settings[i].env) : NULL;
        if (v && *v) /* empty: unset */
            st = set(c, &settings[i], v, settings[i].env, e);
    }
    return st;
}

static enum st finish(struct cfg *c, struct err *e)
{
    if (c->cmd == CMD_HELP || c->cmd == CMD_VERSION)
        return ST_OK;
    if (c->cmd == CMD_COPY) { /* the source is the database the key file belongs to */
        if (!c->from || !*c->from || !c->to || !*c->to)
            return ERR(e, ST_INVALID, c->from && *c->from ? "to" : "from",
                       "copy needs --from DB and --to DB");
        free(c->db);
        c->db = xstrdup(c->from);
    }
    if (c->cmd == CMD_BACKUP && (!c->to || !*c->to))
        return ERR(e, ST_INVALID, "to", "backup needs --db DB and --to FILE");
    if (c->cmd == CMD_RESTORE && (!c->from || !*c->from))
        return ERR(e, ST_INVALID, "from", "restore needs --from FILE and --db DB");
    if (!c->db || !*c->db)
        return ERR(e, ST_INVALID, "db", "--db (or SOCIALGATE_DB) is required");
    bool pg = strncmp(c->db, "postgres://", 11) == 0 || strncmp(c->db, "postgresql://", 13) == 0;
    if (pg && !c->key_file) /* SPEC §8: no database path to put it beside */
        return ERR(e, ST_INVALID, "key-file",
                   "--key-file (or SOCIALGATE_KEY_FILE) is required with a PostgreSQL --db: "
                   "every instance of one database shares one key file");
    if (!c->key_file) {
        const char *path = strncmp(c->db, "sqlite:", 7) == 0 ? c->db + 7 : c->db;
        size_t n = strlen(path) + 5;
        c->key_file = xmalloc(n);
        snprintf(c->key_file, n, "%s.key", path);
    }
    if (c->metrics_listen && (!*c->metrics_listen || !strcmp(c->metrics_listen, "off"))) {
        free(c->metrics_listen);
        c->metrics_listen = NULL; /* no metrics listener */
    } else if (c->metrics_listen && !addr_valid(c->metrics_listen)) {
        return ERR(e, ST_INVALID, "metrics-listen",
                   "--metrics-listen must be HOST:PORT ([IPV6]:PORT) with a port from 1 to "
                   "65535, or off, not '%.64s'",
                   c->metrics_listen);
    }
    if (!c->tls_cert != !c->tls_key)
        return ERR(e, ST_INVALID, c->tls_cert ? "tls-key" : "tls-cert",
                   "--tls-cert and --tls-key go together: give both or neither");
    if (!c->public_url) {
        size_t n = strlen(c->listen) + 9;
        c->public_url = xmalloc(n);
        snprintf(c->public_url, n, "%s://%s", c->tls_cert ? "https" : "http", c->listen);
    }
    size_t n = strlen(c->public_url);
    while (n > 0 && c->public_url[n - 1] == '/')
        c->public_url[--n] = '\0';
    if (strncmp(c->public_url, "http://", 7) && strncmp(c->public_url, "https://", 8))
        return ERR(e, ST_INVALID, "public-url", "--public-url must start with http(s)://");
    if (c->customer_id && !util_uuid_valid(c->customer_id))
        return ERR(e, ST_INVALID, "customer-id", "--customer-id must be a UUID");
    return ST_OK;
}

enum st cfg_parse(struct cfg *c, int argc, char **argv, struct err *e)
{
    memset(c, 0, sizeof *c);
    c->cmd = command(argc > 1 ? argv[1] : NULL, argc > 2 ? argv[2] : NULL);
    if (c->cmd == CMD_NONE)
        return ERR(
            e, ST_INVALID, NULL,
            "expected a command: init, serve, app add, copy, backup or restore (see --help)");
    for (size_t i = 0; i < NSETTINGS; i++)
        if (settings[i].dflt)
            set(c, &settings[i], settings[i].dflt, "default", NULL);
    if (c->cmd == CMD_HELP || c->cmd == CMD_VERSION)
        return ST_OK;
    /* argv first for --config alone: the file's path, wherever it stands */
    int first = c->cmd == CMD_APP_ADD ? 3 : 2;
    enum st st = parse_args(c, argc - first, argv + first, find("config", 6), e);
    if (st != ST_OK || c->cmd == CMD_HELP)
        return st;
    st = layer_env_file(c, e);
    if (st == ST_OK)
        st = parse_args(c, argc - first, argv + first, NULL, e);
    if (st == ST_OK)
        st = finish(c, e);
    return st;
}

/* The commands' lines of --help and of the manual page's synopsis. */
static const char *const usage[] = {
    "socialgate init    --db PATH [--customer-id UUID] [--json]",
    "socialgate serve   --db PATH [--listen HOST:PORT] [--public-url URL]",
    "                   [--tls-cert PEM --tls-key PEM | --insecure-http]",
    "socialgate app add --db PATH --customer-id UUID --name NAME --realm URL",
    "socialgate copy    --from DB --to DB [--key-file FILE]",
    "socialgate backup  --db DB --to FILE",
    "socialgate restore --from FILE --db DB",
    "socialgate --help | --version",
};

static const char *const cmdnames[] = {
    [CMD_INIT] = "init", [CMD_SERVE] = "serve",   [CMD_APP_ADD] = "app add",
    [CMD_COPY] = "copy", [CMD_BACKUP] = "backup", [CMD_RESTORE] = "restore"};

void cfg_help(FILE *f)
{
    for (size_t i = 0; i < sizeof usage / sizeof *usage; i++)
        fprintf(f, "%s%s\n", i ? "       " : "usage: ", usage[i]);
    fputs("\nsettings:\n", f);
    for (size_t i = 0; i < NSETTINGS; i++) {
        const struct setting *s = &settings[i];
        fprintf(f, "  --%s\n      %s\n     ", s->name, s->help);
        if (s->env)
            fprintf(f, " env %s;", s->env);
        if (s->dflt)
            fprintf(f, " default %s;", s->dflt);
        if (s->values || s->kind == K_BOOL)
            fprintf(f, " values %s;", s->values ? s->values : BOOL_VALUES);
        if (s->kind == K_INT)
            fprintf(f, " from %ld to %ld;", s->min, s->max);
        fputs(" for", f);
        for (int cmd = CMD_INIT; cmd <= CMD_RESTORE; cmd++)
            if (s->cmds & (1u << cmd))
                fprintf(f, " %s", cmdnames[cmd]);
        fputc('\n', f);
    }
}

void cfg_roff(FILE *f, const char *s)
{
    if (*s == '.' || *s == '\'')
        fputs("\\&", f);
    for (; *s; s++)
        if (*s == '\\')
            fputs("\\e", f);
        else if (*s == '-')
            fputs("\\-", f);
        else
            fputc(*s, f);
}

static void man_setting(FILE *f, const struct setting *s)
{
    fputs(".TP\n.B \\-\\-", f);
    cfg_roff(f, s->name);
    fputc('\n', f);
    cfg_roff(f, s->help);
    fputs(".\n.br\n", f);
    if (s->env)
        fprintf(f, "Environment: \\fB%s\\fR. ", s->env);
    if (s->dflt) {
        fputs("Default: ", f);
        cfg_roff(f, s->dflt);
        fputs(". ", f);
    }
    if (s->values || s->kind == K_BOOL) {
        fputs("Values: ", f);
        cfg_roff(f, s->values ? s->values : BOOL_VALUES);
        fputs(". ", f);
    }
    if (s->kind == K_INT)
        fprintf(f, "From %ld to %ld. ", s->min, s->max);
    fputs("Commands:", f);
    for (int cmd = CMD_INIT; cmd <= CMD_RESTORE; cmd++)
        if (s->cmds & (1u << cmd))
            fprintf(f, " %s", cmdnames[cmd]);
    fputs(".\n", f);
}

void cfg_man(FILE *f, bool synopsis)
{
    if (synopsis) {
        fputs(".nf\n", f);
        for (size_t i = 0; i < sizeof usage / sizeof *usage; i++) {
            cfg_roff(f, usage[i]);
            fputc('\n', f);
        }
        fputs(".fi\n", f);
        return;
    }
    for (size_t i = 0; i < NSETTINGS; i++)
        man_setting(f, &settings[i]);
}

void cfg_cleanup(struct cfg *c)
{
    for (size_t i = 0; i < NSETTINGS; i++)
        if (settings[i].kind == K_LIST)
            list_clear((struct cfg_list *)(void *)((char *)c + settings[i].offset));
        else if (settings[i].kind == K_STR || settings[i].kind == K_ADDR) {
            char **p = (char **)((char *)c + settings[i].offset);
            free(*p);
            *p = NULL;
        }
}
