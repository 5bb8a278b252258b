/* SPDX-License-Identifier: MIT */
/* Private to the SQLite backend: the query catalogue and connection pool. */
#ifndef SG_SQLITE_INT_H
#define SG_SQLITE_INT_H

#include <sqlite3.h>

#include "store_int.h"

enum query {
    Q_CUSTOMER_INSERT,
    Q_POLICY_INSERT,
    Q_POLICY_GET,
    Q_POLICY_LIST,
    Q_POLICY_UPDATE,
    Q_POLICY_DELETE,
    Q_POLICY_EXISTS,
    Q_POLICY_IN_USE,
    Q_CLIENT_NAME_TAKEN,
    Q_CLIENT_INSERT,
    Q_CLIENT_GET,
    Q_CLIENT_LIST,
    Q_CLIENT_UPDATE,
    Q_CLIENT_DELETE,
    Q_SECRET_GET,
    Q_SECRET_SET,
    Q_AUTH_FIND,
    Q_AUTH_SEQ,
    Q_REVOKE_ADD,
    Q_REVOKE_FIND,
    Q_REVOKE_PURGE,
    Q_APP_INSERT,
    Q_APP_GET,
    Q_APP_LIST,
    Q_PROVIDER_INSERT,
    Q_PROVIDER_GET,
    Q_PROVIDER_LIST,
    Q_PROVIDER_UPDATE,
    Q_PROVIDER_EXISTS,
    Q_PROVIDER_DELETE,
    Q__COUNT
};

/* One connection of the pool with its prepared statements. */
struct conn {
    sqlite3 *db;
    sqlite3_stmt *stmts[Q__COUNT];
    struct conn *next;
};

extern const struct store_ops sqlite_ops;

/* Takes an idle connection (opening one when none is idle). */
enum st sq_acquire(struct store *s, struct conn **out, struct err *e);
/* Resets its statements, rolls back an open transaction, returns it. */
void sq_release(struct store *s, struct conn *c);
/* The prepared statement for q on c (prepared on first use). */
sqlite3_stmt *sq_stmt(struct conn *c, enum query q);
enum st sq_begin(struct conn *c, struct err *e);
enum st sq_commit(struct conn *c, struct err *e);
/* Records the connection's last error as ST_STORAGE. */
enum st sq_fail(struct conn *c, struct err *e);
void sq_close(struct store *s);

/* Binds a borrowed string (it must outlive the step). */
void sq_bind_text(sqlite3_stmt *q, int i, const char *s);
/* Column i as an arena string ("" for NULL). */
const char *sq_col_text(struct arena *a, sqlite3_stmt *q, int i);
/* Column i copied into out (truncated to cap - 1). */
void sq_col_copy(char *out, size_t cap, sqlite3_stmt *q, int i);
/* Steps a bound write to completion; a constraint failure becomes
 * on_constraint, any other failure ST_STORAGE. */
enum st sq_step_write(struct conn *c, sqlite3_stmt *q, enum st on_constraint, struct err *e);
/* Steps a bound query once: *found when it yields a row. Resets q. */
enum st sq_exists(struct conn *c, sqlite3_stmt *q, bool *found, struct err *e);

/* The apps and providers operations (sqlite_providers.c). */
enum st sq_app_get(struct store *s, struct arena *a, const char *cid, const char *id,
                   struct login_app *out, struct err *e);
enum st sq_app_list(struct store *s, struct arena *a, const char *cid, struct login_app **out,
                    int *n, struct err *e);
enum st sq_provider_create(struct store *s, const char *cid, const struct provider_rec *p,
                           struct err *e);
enum st sq_provider_get(struct store *s, struct arena *a, const char *cid, const char *app_id,
                        const char *id, struct provider_rec *out, struct err *e);
enum st sq_provider_list(struct store *s, struct arena *a, const char *cid, const char *app_id,
                         struct provider_rec **out, int *n, struct err *e);
enum st sq_provider_update(struct store *s, const char *cid, const struct provider_rec *p,
                           const char *expected_etag, struct err *e);
enum st sq_provider_delete(struct store *s, const char *cid, const char *app_id, const char *id,
                           const char *expected_etag, struct err *e);

#endif
