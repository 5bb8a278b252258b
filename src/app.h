/* SPDX-License-Identifier: MIT */
/*
 * struct app: owns the frozen configuration, the store, the keys and the
 * clock. Created once by main, passed everywhere; no globals.
 */
#ifndef SG_APP_H
#define SG_APP_H

#include "api/api.h"
#include "cfg/cfg.h"
#include "store/store.h"

#include <stdatomic.h>

struct app {
    struct cfg cfg;
    struct store *store;
    struct keys keys;
    clock_fn now;                  /* seconds since the epoch; tests may replace it */
    struct limiter *auth_failures; /* per (client id, source address) */
    struct limiter *addr_failures; /* per source address (IPv6: /64), any client id */
    struct limiter *starts;        /* sign-ins begun per source address */
    atomic_bool draining;          /* stopping: /healthz answers 503 */
    struct signin *signin;         /* serve: the sign-in runtime */
    struct api_env api;            /* what api/ and http/ borrow of the above */
};

/* Opens the store and the key file named by app->cfg (create: make the key
 * file when absent, as init does) and checks that the key file belongs to
 * the database (ST_CONFLICT when not). For `serve` (app->cfg.cmd), the
 * store is opened with store_open_server: one server per SQLite database.
 * Fills app->api. On failure, e says why, naming the file at fault. */
enum st app_open(struct app *app, bool create, struct err *e);
/* Releases everything app_open acquired; safe on a partly opened app. */
void app_close(struct app *app);

/* `socialgate init`: one customer, policy, client and app; prints them. */
int app_cmd_init(struct app *app);
/* `socialgate app add`: adds a social-login application. */
int app_cmd_app_add(struct app *app);
/* `socialgate copy`: copies every customer, secret and provider of the
 * database --from (whose key file it checks) into the new, empty database
 * --to, in one transaction, so tokens issued before stay valid (SPEC §8).
 * Sign-ins in progress are not copied. */
int app_cmd_copy(struct app *app);
/* `socialgate backup`: a consistent copy of the SQLite database --db into
 * the new file --to while it is served (store_backup); prints where it went
 * and that the key file, not in it, must be kept with it. */
int app_cmd_backup(struct app *app);
/* `socialgate restore`: replaces the SQLite database --db, which no server
 * may be serving, with the backup file --from (store_restore). */
int app_cmd_restore(struct app *app);
/* `socialgate serve`: serves until SIGTERM, SIGINT or SIGQUIT, then drains
 * and returns the exit code; SIGHUP reopens the log file, SIGUSR1 writes
 * the buffered log lines, SIGUSR2 and SIGPIPE are ignored. */
int app_cmd_serve(struct app *app);

#endif
