/* SPDX-License-Identifier: MIT */
/*
 * The application object and the commands: init (provision one customer
 * and print what a user needs), app add, copy (move a database to another),
 * backup and restore (a SQLite database to and from a file) and serve (run the HTTP server until a
 * stop signal, purging expired revocations meanwhile).
 */
#include "app.h"

#include "api/api.h"
#include "http/http.h"
#include "signin/signin.h"

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define AUTH_FAILURES_MAX 20    /* failed client authentications ... */
#define AUTH_FAILURES_WINDOW 60 /* ... per this many seconds, per client and address */
#define ADDR_FAILURES_MAX 100   /* ... and per address, whatever the client id */
#define STARTS_MAX 600      /* sign-ins one address may begin per window, unless the settings say */
#define TICK_MS 250         /* how often buffered log lines are written */
#define HOUSEKEEP_TICKS 240 /* purge expired revocations every minute */

/* Records the key's check value in a database that has none, once the
 * database's sealed secrets, if it has any, open with the key: *ok false
 * (nothing recorded) when they do not. */
static enum st key_claim(struct app *app, bool *ok, struct err *e)
{
    struct sealed_secret sealed = {0};
    struct err none = {0};
    enum st st = store_secret_find_any(app->store, &sealed, &none);
    *ok = true;
    if (st == ST_OK) {
        struct secret plain = {0};
        *ok = keys_unseal(&app->keys, sealed.blob, sealed.len, &plain) == ST_OK;
        secret_cleanup(&plain);
        free(sealed.blob);
    } else if (st == ST_NOT_FOUND) {
        st = ST_OK; /* nothing sealed yet: the first key claims the database */
    } else {
        return ERR(e, st, NULL, "%s", none.msg);
    }
    return *ok ? store_key_check_create(app->store, app->keys.check, e) : ST_OK;
}

/* The key file must be the one this database's secrets were sealed with,
 * or every client would get 401: ST_CONFLICT, naming the file, when not.
 * A database records its key's check value on first use (key_claim). */
static enum st key_belongs(struct app *app, struct err *e)
{
    unsigned char have[STORE_KEY_CHECK_LEN];
    struct err none = {0};
    bool ok = true;
    enum st st = store_key_check_find(app->store, have, &none);
    if (st == ST_NOT_FOUND) {
        st = key_claim(app, &ok, e);
        if (st == ST_OK && ok) /* another process may have claimed it first */
            st = store_key_check_find(app->store, have, e);
    } else if (st != ST_OK) {
        return ERR(e, st, NULL, "%s", none.msg);
    }
    if (st == ST_OK && ok)
        ok = secret_equal(have, app->keys.check, STORE_KEY_CHECK_LEN);
    if (st == ST_OK && !ok)
        st = ERR(e, ST_CONFLICT, NULL,
                 "key file %s does not belong to database %s (its secrets were sealed with "
                 "another key); give this database's own key file with --key-file",
                 app->cfg.key_file, app->cfg.db);
    return st;
}

enum st app_open(struct app *app, bool create, struct err *e)
{
    if (!app->now)
        app->now = util_now;
    if (!app->auth_failures)
        app->auth_failures = limiter_new(AUTH_FAILURES_MAX, AUTH_FAILURES_WINDOW);
    if (!app->addr_failures)
        app->addr_failures = limiter_new(ADDR_FAILURES_MAX, AUTH_FAILURES_WINDOW);
    if (!app->starts)
        app->starts =
            limiter_new(app->cfg.max_sign_ins > 0 ? (int)app->cfg.max_sign_ins : STARTS_MAX,
                        AUTH_FAILURES_WINDOW);
    /* copy claims a SQLite source as serve does: no server writes to it meanwhile */
    bool claim = app->cfg.cmd == CMD_SERVE || app->cfg.cmd == CMD_COPY;
    enum st st = claim ? store_open_server(app->cfg.db, &app->store, e)
                       : store_open(app->cfg.db, &app->store, e);
    unsigned flags =
        (create ? KEYS_CREATE : 0u) | (app->cfg.allow_open_key_file ? KEYS_ALLOW_OPEN : 0u);
    struct err ke = {0};
    bool existed = access(app->cfg.key_file, F_OK) == 0;
    if (st == ST_OK && (st = keys_load(&app->keys, app->cfg.key_file, flags, &ke)) != ST_OK)
        ERR(e, st, NULL, "%s%s", ke.msg,
            st == ST_FORBIDDEN ? ", or start with --allow-open-key-file" : "");
    if (st == ST_OK && (st = key_belongs(app, e)) == ST_CONFLICT && !existed)
        unlink(app->cfg.key_file); /* made just now, for a database it cannot open */
    app->api = (struct api_env){
        .store = app->store,
        .keys = &app->keys,
        .now = app->now,
        .public_url = app->cfg.public_url,
        .auth_failures = app->auth_failures,
        .addr_failures = app->addr_failures,
        .starts = app->starts,
        .draining = &app->draining,
    };
    return st;
}

void app_close(struct app *app)
{
    store_close(app->store);
    app->store = NULL;
    limiter_free(app->auth_failures);
    app->auth_failures = NULL;
    limiter_free(app->addr_failures);
    app->addr_failures = NULL;
    limiter_free(app->starts);
    app->starts = NULL;
    keys_cleanup(&app->keys);
}

struct provisioned {
    char customer_id[UUID_LEN + 1];
    char policy_id[UUID_LEN + 1];
    char client_id[CLIENT_ID_LEN + 1];
    char secret[CLIENT_SECRET_LEN + 1];
    char app_id[APP_ID_LEN + 1];
    char api_key[APP_KEY_LEN + 1];
};

/* Makes app k's apiKey into key and stores it sealed. */
static enum st key_create(struct app *app, struct row_key k, char key[APP_KEY_LEN + 1],
                          struct err *e)
{
    struct sealed_secret sec = {0};
    app_key_generate(key);
    keys_seal(&app->keys, key, APP_KEY_LEN, &sec.blob, &sec.len);
    keys_verifier(&app->keys, key, APP_KEY_LEN, sec.verifier);
    enum st st = store_app_key_create(app->store, k, &sec, e);
    free(sec.blob);
    return st;
}

static enum st provision(struct app *app, struct provisioned *p, struct err *e)
{
    if (app->cfg.customer_id)
        snprintf(p->customer_id, sizeof p->customer_id, "%s", app->cfg.customer_id);
    else
        util_uuid_v4(p->customer_id);
    static const char *const all[] = {"*:**"};
    struct policy pol = {.title = "Configuration token policy",
                         .access_lifetime = POLICY_LIFETIME_DEFAULT,
                         .refresh_lifetime = POLICY_REFRESH_DEFAULT,
                         .nscopes = 1,
                         .scopes = (const char **)all};
    util_uuid_v4(pol.id);
    struct client cl = {.name = "Configuration client", .type = CLIENT_TYPE_CONFIDENTIAL};
    client_id_generate(cl.id);
    memcpy(cl.policy_id, pol.id, sizeof cl.policy_id);
    client_secret_generate(p->secret);
    struct sealed_secret sec = {0};
    keys_seal(&app->keys, p->secret, CLIENT_SECRET_LEN, &sec.blob, &sec.len);
    keys_verifier(&app->keys, p->secret, CLIENT_SECRET_LEN, sec.verifier);
    struct login_app la = {.name = "Social login application",
                           .realm = app->cfg.realm ? app->cfg.realm : app->cfg.public_url};
    util_random_lower(la.id, APP_ID_LEN);
    login_app_defaults(&la);
    enum st st = login_app_validate(&la, e);
    if (st == ST_OK && (st = store_customer_create(app->store, p->customer_id, e)) == ST_CONFLICT)
        ERR(e, st, NULL, "customer %s exists already", p->customer_id);
    if (st == ST_OK)
        st = store_policy_create(app->store, p->customer_id, &pol, e);
    if (st == ST_OK)
        st = store_client_create(app->store, p->customer_id, &cl, &sec, e);
    if (st == ST_OK)
        st = store_app_create(app->store, p->customer_id, &la, e);
    if (st == ST_OK)
        st = key_create(app, (struct row_key){p->customer_id, la.id}, p->api_key, e);
    free(sec.blob);
    memcpy(p->policy_id, pol.id, sizeof p->policy_id);
    memcpy(p->client_id, cl.id, sizeof p->client_id);
    memcpy(p->app_id, la.id, sizeof p->app_id);
    return st;
}

static void print_text(const struct app *app, const struct provisioned *p)
{
    const char *url = app->cfg.public_url;
    printf("socialgate: customer %s is ready\n\n"
           "  token endpoint   %s/%s/login/token\n"
           "  client id        %s\n"
           "  client secret    %s\n"
           "  token policy id  %s\n"
           "  app id           %s\n"
           "  app api key      %s\n\n"
           "Get an administrative access token:\n\n"
           "  curl -u '%s:%s' -d grant_type=client_credentials -d 'scope=*:**' "
           "%s/%s/login/token\n\n",
           p->customer_id, url, p->customer_id, p->client_id, p->secret, p->policy_id, p->app_id,
           p->api_key, p->client_id, p->secret, url, p->customer_id);
}

int app_cmd_init(struct app *app)
{
    struct err e = {0};
    struct provisioned p = {0};
    enum st st = app_open(app, true, &e);
    if (st == ST_OK)
        st = provision(app, &p, &e);
    if (st != ST_OK) {
        fprintf(stderr, "socialgate init: %s\n", e.msg);
        secret_wipe(&p, sizeof p);
        return 1;
    }
    if (app->cfg.json) {
        char path[UUID_LEN + 16];
        snprintf(path, sizeof path, "/%s/login/token", p.customer_id);
        json_t *o =
            json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "customer_id", p.customer_id,
                      "token_endpoint", path, "client_id", p.client_id, "client_secret", p.secret,
                      "token_policy_id", p.policy_id, "app_id", p.app_id, "api_key", p.api_key);
        json_dumpf(o, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(o);
    } else {
        print_text(app, &p);
    }
    secret_wipe(&p, sizeof p);
    return fflush(stdout) == 0 ? 0 : 1;
}

int app_cmd_app_add(struct app *app)
{
    struct err e = {0};
    struct login_app la = {.name = app->cfg.name, .realm = app->cfg.realm};
    util_random_lower(la.id, APP_ID_LEN);
    login_app_defaults(&la);
    char key[APP_KEY_LEN + 1] = "";
    enum st st = ST_OK;
    if (!app->cfg.customer_id || !app->cfg.name || !app->cfg.realm)
        st = ERR(&e, ST_INVALID, NULL, "--customer-id, --name and --realm are required");
    if (st == ST_OK)
        st = login_app_validate(&la, &e);
    if (st == ST_OK)
        st = app_open(app, false, &e);
    if (st == ST_OK)
        st = store_app_create(app->store, app->cfg.customer_id, &la, &e);
    if (st == ST_OK)
        st = key_create(app, (struct row_key){app->cfg.customer_id, la.id}, key, &e);
    if (st != ST_OK) {
        fprintf(stderr, "socialgate app add: %s%s\n", e.msg, e.ndetails ? e.details[0].field : "");
        return 1;
    }
    if (app->cfg.json) {
        json_t *o = json_pack("{s:s,s:s}", "app_id", la.id, "api_key", key);
        json_dumpf(o, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(o);
    } else {
        printf("%s\n", la.id);
    }
    secret_wipe(key, sizeof key);
    return fflush(stdout) == 0 ? 0 : 1;
}

/* The destination must now answer to the key file, as the source does. */
static enum st copy_check(struct app *app, struct store *to, struct err *e)
{
    unsigned char have[STORE_KEY_CHECK_LEN];
    enum st st = store_key_check_find(to, have, e);
    if (st == ST_OK && !secret_equal(have, app->keys.check, STORE_KEY_CHECK_LEN))
        st = ERR(e, ST_STORAGE, NULL, "the copy records another key check value");
    return st;
}

/* A SQLite source must exist: opening it would make an empty one. */
static enum st copy_source_exists(const char *db, struct err *e)
{
    if (!strncmp(db, "postgres://", 11) || !strncmp(db, "postgresql://", 13))
        return ST_OK;
    const char *path = strncmp(db, "sqlite:", 7) == 0 ? db + 7 : db;
    return access(path, F_OK) == 0 ? ST_OK : ERR(e, ST_NOT_FOUND, NULL, "no database %s", path);
}

int app_cmd_copy(struct app *app)
{
    struct err e = {0};
    struct store *to = NULL;
    int counts[STORE_T__COUNT] = {0};
    enum st st = copy_source_exists(app->cfg.db, &e);
    if (st == ST_OK) /* the key file must belong to the source */
        st = app_open(app, false, &e);
    if (st == ST_OK)
        st = store_open(app->cfg.to, &to, &e);
    if (st == ST_OK && (st = store_copy(app->store, to, counts, &e)) == ST_CONFLICT) {
        char why[sizeof e.msg]; /* the first error wins: restate it */
        snprintf(why, sizeof why, "%s", e.msg);
        err_clear(&e);
        ERR(&e, st, NULL, "the destination is not empty (%s): copy only into a new database", why);
    }
    if (st == ST_OK)
        st = copy_check(app, to, &e);
    store_close(to);
    if (st != ST_OK) {
        fprintf(stderr, "socialgate copy: %s\n", e.msg);
        return 1;
    }
    printf("copied %d customers, %d token policies, %d clients, %d revoked tokens, %d apps, "
           "%d providers, %d issuer pins\n",
           counts[STORE_T_CUSTOMERS], counts[STORE_T_POLICIES], counts[STORE_T_CLIENTS],
           counts[STORE_T_REVOCATIONS], counts[STORE_T_APPS], counts[STORE_T_PROVIDERS],
           counts[STORE_T_ISSUER_PINS]);
    return fflush(stdout) == 0 ? 0 : 1;
}

int app_cmd_backup(struct app *app)
{
    struct err e = {0};
    if (store_backup(app->cfg.db, app->cfg.to, &e) != ST_OK) {
        fprintf(stderr, "socialgate backup: %s\n", e.msg);
        return 1;
    }
    printf("backed up %s to %s\n"
           "keep it with the key file %s: it is not in the backup, and without it the secrets "
           "in the backup cannot be read\n",
           app->cfg.db, app->cfg.to, app->cfg.key_file);
    return fflush(stdout) == 0 ? 0 : 1;
}

int app_cmd_restore(struct app *app)
{
    struct err e = {0};
    if (store_restore(app->cfg.from, app->cfg.db, &e) != ST_OK) {
        fprintf(stderr, "socialgate restore: %s\n", e.msg);
        return 1;
    }
    printf("restored %s from %s\n"
           "serve it with the key file kept with the backup (--key-file; default %s)\n",
           app->cfg.db, app->cfg.from, app->cfg.key_file);
    return fflush(stdout) == 0 ? 0 : 1;
}

/* Blocks, in every thread to come, the signals serve acts on in its main
 * loop (none of them may end the process with lines in the log buffer);
 * their set into *set. SIGPIPE (a peer gone) is ignored. */
static void signals_block(sigset_t *set)
{
    static const int handled[] = {SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2};
    sigemptyset(set);
    for (size_t i = 0; i < sizeof handled / sizeof *handled; i++)
        sigaddset(set, handled[i]);
    pthread_sigmask(SIG_BLOCK, set, NULL); /* before any thread starts */
    signal(SIGPIPE, SIG_IGN);
}

/* Acts on one signal of signals_block's set; true for "stop". */
static bool on_signal(struct app *app, int sig)
{
    struct err e = {0};
    switch (sig) {
    case SIGTERM:
    case SIGINT:
    case SIGQUIT:
        log_msg(LOG_INFO, "signal %d: refusing new connections, finishing requests in flight", sig);
        return true;
    case SIGHUP: /* logrotate has renamed the file: write the rest, open anew */
        if (app->cfg.log_file && log_file_open(app->cfg.log_file, &e) != ST_OK)
            log_msg(LOG_WARN, "signal %d: %s; still writing to the previous file", sig, e.msg);
        else if (app->cfg.log_file)
            log_msg(LOG_INFO, "signal %d: log file reopened", sig);
        break;
    case SIGUSR1:
        break; /* the loop writes the buffered lines after any signal */
    default:
        log_msg(LOG_INFO, "signal %d ignored", sig);
        break;
    }
    return false;
}

static void level_set(const char *name)
{
    static const char *const levels[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(name, levels[i]))
            log_set_level((enum log_level)i);
}

int app_cmd_serve(struct app *app)
{
    struct err e = {0};
    sigset_t set;
    signals_block(&set);
    level_set(app->cfg.log_level);
    log_set_format(strcmp(app->cfg.log_format, "json") ? LOG_TEXT : LOG_JSON);
    struct http_server *srv = NULL;
    enum st st = app->cfg.log_file ? log_file_open(app->cfg.log_file, &e) : ST_OK;
    if (st == ST_OK)
        st = app_open(app, false, &e);
    struct signin_opts so = {
        .net = {.ca_file = app->cfg.outbound_ca_file,
                .allow_private = app->cfg.allow_private_network},
        .skew = app->cfg.clock_skew,
        .saml_allow_sha1 = app->cfg.saml_allow_sha1,
    };
    if (st == ST_OK && (st = signin_start(&so, &app->signin, &e)) == ST_OK)
        app->api.signin = app->signin;
    if (st == ST_OK)
        st = http_server_start(&app->cfg, &app->api, &srv, &e);
    if (st != ST_OK) {
        log_msg(LOG_ERROR, "cannot serve: %s", e.msg);
        signin_stop(app->signin);
        return 1;
    }
    log_msg(LOG_INFO, "socialgate %s serving on %s (public URL %s, %ld threads)", SG_VERSION,
            app->cfg.listen, app->cfg.public_url, app->cfg.threads);
    api_housekeep(&app->api);
    util_notify("READY=1"); /* systemd's Type=notify: the socket is open, the store too */
    for (long tick = 1;; tick++) {
        struct timespec ts = {.tv_nsec = TICK_MS * 1000000L};
        int sig = sigtimedwait(&set, NULL, &ts);
        if (sig > 0 && on_signal(app, sig))
            break;
        if (tick % HOUSEKEEP_TICKS == 0)
            api_housekeep(&app->api);
        log_flush();
    }
    util_notify("STOPPING=1");
    atomic_store(&app->draining, true); /* /healthz: 503 from now on */
    http_server_stop(srv);              /* cancels the sign-ins still waiting on a provider */
    signin_stop(app->signin);
    app->signin = NULL;
    log_msg(LOG_INFO, "stopped");
    log_flush();
    return 0;
}
