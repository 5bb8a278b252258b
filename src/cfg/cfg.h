/* SPDX-License-Identifier: MIT */
/*
 * cfg: the settings table and the frozen struct cfg built from it.
 * Defaults, then a config file, then the environment, then the command
 * line. --help is generated from the same table. No I/O beyond reading the
 * optional config file.
 */
#ifndef SG_CFG_H
#define SG_CFG_H

#include <stdio.h>

#include "../util/util.h"

#define CFG_LIST_MAX 64 /* entries of a repeatable setting */
/* The metrics listener's default: loopback only, a port of its own. */
#define CFG_METRICS_LISTEN "127.0.0.1:9464"

/* A repeatable setting: every occurrence in one source adds an entry; a
 * later source replaces the list. */
struct cfg_list {
    char *v[CFG_LIST_MAX];
    int n;
    const char *from; /* the source that set it */
};

enum cfg_cmd {
    CMD_NONE,
    CMD_INIT,
    CMD_SERVE,
    CMD_APP_ADD,
    CMD_COPY,
    CMD_BACKUP,
    CMD_RESTORE,
    CMD_HELP,
    CMD_VERSION
};

struct cfg {
    enum cfg_cmd cmd;
    char *db;             /* database URL or path (copy: the same as from) */
    char *from;           /* copy: the database copied; restore: the backup file */
    char *to;             /* copy: the empty database it is copied into; backup: the new file */
    char *key_file;       /* defaults to db path + ".key" */
    char *listen;         /* HOST:PORT */
    char *public_url;     /* defaults to http://listen, https:// with TLS */
    char *metrics_listen; /* serve: HOST:PORT of GET /metrics, or NULL (off) */
    char *customer_id;    /* init: optional; app add: required */
    char *name;           /* app add */
    char *realm;          /* app add, init */
    char *config;         /* optional key = value file */
    char *log_level;      /* debug, info, warn, error */
    char *log_file;       /* serve: the log's file (reopened on SIGHUP); NULL: stderr */
    char *log_format;     /* serve: text or json */
    long threads;         /* HTTP worker threads */
    long max_connections;
    long timeout;      /* seconds an idle connection is kept */
    long head_timeout; /* seconds to receive a whole request head */
    long max_connections_per_address;
    struct cfg_list trusted_proxies; /* CIDR ranges whose forwarding headers are read */
    char *tls_cert;           /* serve: PEM certificate (chain); set with tls_key or neither */
    char *tls_key;            /* serve: PEM private key of tls_cert */
    bool insecure_http;       /* serve: allow plain HTTP on a non-loopback address */
    bool allow_open_key_file; /* serve, init: accept a key file open to group or others */
    bool json;                /* init: print one JSON object */

    /* serve: the sign-in runtime's calls to identity providers */
    char *outbound_ca_file;     /* PEM CAs trusted besides the system's, or NULL */
    bool allow_private_network; /* may reach loopback, private, link-local addresses */
    bool saml_allow_sha1;       /* SAML signatures and digests with SHA-1 accepted */
    long clock_skew;            /* seconds of skew allowed in id_token times */
    long max_sign_ins;          /* sign-ins begun per address per minute */
};

/* Parses argv (argv[1] is the command) and the environment into c.
 * ST_INVALID with a message naming the setting on any bad value or unknown
 * option. The result owns its strings: cfg_cleanup. */
enum st cfg_parse(struct cfg *c, int argc, char **argv, struct err *e);

/* Writes the usage text, generated from the settings table, to f. */
void cfg_help(FILE *f);

/* Writes roff (man(7)) from the same table to f: with synopsis, the
 * commands' usage lines in a no-fill block; otherwise one .TP entry per
 * setting (help, environment variable, default, values or bounds, the
 * commands it applies to). The manual page is built from it. */
void cfg_man(FILE *f, bool synopsis);
/* s as text for a roff line: backslashes and hyphens escaped, a leading
 * control character (. or ') defused. For the manual page's generator. */
void cfg_roff(FILE *f, const char *s);

void cfg_cleanup(struct cfg *c);

#endif
