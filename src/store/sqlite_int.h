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

#endif
