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
    Q_APP_UPDATE,
    Q_APP_KEY_GET,
    Q_APP_KEY_SET,
    Q_APP_KEY_CREATE,
    Q_PROVIDER_INSERT,
    Q_PROVIDER_GET,
    Q_PROVIDER_LIST,
    Q_PROVIDER_UPDATE,
    Q_PROVIDER_EXISTS,
    Q_PROVIDER_DELETE,
    Q_APP_BY_KEY,
    Q_APP_LOCATE,
    Q_PROVIDER_LOCATE,
    Q_PIN_GET,
    Q_PIN_UPSERT,
    Q_FLOW_INSERT,
    Q_FLOW_TAKE,
    Q_FLOW_PURGE,
    Q_TOKEN_INSERT,
    Q_TOKEN_FIND,
    Q_TOKEN_MARK,
    Q_TOKEN_PURGE,
    Q_ASSERTION_USE,
    Q_ASSERTION_PURGE,
    Q_SECRET_ANY,
    Q_META_GET,
    Q_META_INSERT,
    Q_BEGIN,
    Q_COMMIT,
    Q_ROLLBACK,
    Q_SAVEPOINT,
    Q_RELEASE,
    Q_ROLLBACK_TO,
    Q__COUNT
};

/* Names of rows in the meta table. */
#define META_KEY_CHECK "key_check"

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
/* Records the connection's last error as ST_STORAGE. */
enum st sq_fail(struct conn *c, struct err *e);
void sq_close(struct store *s);

/* The arguments of one write, whichever it is (unused members NULL). */
struct wargs {
    const char *cid, *id, *app_id, *expected;
    const struct policy *policy;
    const struct client *client;
    const struct sealed_secret *sec;
    const struct login_app *app;
    const struct provider_rec *prov;
    const unsigned char *tag;
    int64_t num; /* an expiry, or the present */
    int *count;
    struct arena *arena;
    provider_modify_fn modify;
    void *modify_arg;
};

/* A write: runs its statements on the writer's connection, inside a
 * transaction it must not begin or end itself. */
typedef enum st (*sq_write_fn)(struct conn *c, const void *args, struct err *e);

/* Runs fn(args) on the writer's connection in a savepoint. Inside a batch
 * this thread opened (sq_batch_begin), it joins the batch and is durable
 * when the batch is committed; otherwise it is its own transaction,
 * committed (and so durable: synchronous=FULL) before this returns. */
enum st sq_write(struct store *s, sq_write_fn fn, const void *args, struct err *e);
/* Open, commit and roll back this thread's batch (see store_batch_begin). */
enum st sq_batch_begin(struct store *s, struct err *e);
enum st sq_batch_end(struct store *s, struct err *e);
enum st sq_batch_abort(struct store *s, struct err *e);

/* Binds a borrowed string (it must outlive the step). */
void sq_bind_text(sqlite3_stmt *q, int i, const char *s);
/* Column i as an arena string ("" for NULL). */
const char *sq_col_text(struct arena *a, sqlite3_stmt *q, int i);
/* Column i copied into out (truncated to cap - 1). */
void sq_col_copy(char *out, size_t cap, sqlite3_stmt *q, int i);
/* Steps a bound write to completion; a constraint failure becomes
 * on_constraint, any other failure ST_STORAGE. */
enum st sq_step_write(struct conn *c, sqlite3_stmt *q, enum st on_constraint, struct err *e);
/* Steps a bound write that must change exactly one row: ST_NOT_FOUND
 * ("no such <what>") when it changed none. */
enum st sq_changed_one(struct conn *c, sqlite3_stmt *q, const char *what, struct err *e);
/* Steps a bound query once: *found when it yields a row. Resets q. */
enum st sq_exists(struct conn *c, sqlite3_stmt *q, bool *found, struct err *e);

/* Reads the current row of q into out (strings from a); any status but
 * ST_OK fails the read. */
typedef enum st (*sq_row_fn)(struct arena *a, sqlite3_stmt *q, void *out, struct err *e);

/* A read: the query, its parameters and how to read a row. */
struct sq_read {
    enum query q;
    const unsigned char *tag; /* when set, ?1 as a blob of tag_len bytes */
    size_t tag_len;
    bool by_num; /* or, when set, ?1 as num */
    sqlite3_int64 num;
    const char *text[4]; /* then the next parameters as text, up to the first NULL */
    sq_row_fn row;
    struct arena *a;
    const char *what; /* _one: no row is ST_NOT_FOUND "no such <what>"; NULL: ST_OK */
    size_t size;      /* _list: the size of one item */
};

/* What sq_query_list fills: an arena array of r->size items. */
struct sq_rows {
    void *v;
    int n;
};

/* On c: binds r's parameters to r->q, reads its first row into out with
 * r->row, resets the statement. */
enum st sq_read_one(struct conn *c, const struct sq_read *r, void *out, struct err *e);
/* As sq_read_one, for a DELETE ... RETURNING that returns at most one row:
 * steps it to completion, so the row is gone once this returns ST_OK. */
enum st sq_take_one(struct conn *c, const struct sq_read *r, void *out, struct err *e);
/* sq_read_one on a pooled connection. */
enum st sq_query_one(struct store *s, const struct sq_read *r, void *out, struct err *e);
/* As sq_query_one, for every row, into out (an arena array, grown as it
 * fills; empty, not NULL, when there is no row). */
enum st sq_query_list(struct store *s, const struct sq_read *r, struct sq_rows *out, struct err *e);

/* The backend's operations, one sq_<name> per line of STORE_OPS; the
 * table in sqlite_ops.c is generated from the same list. */
#define SQ_OP_DECL(name, kind, data, params, args)                                                 \
    enum st sq_##name(struct store *s, STORE_UNPAREN params);
STORE_OPS(SQ_OP_DECL)
#undef SQ_OP_DECL

/* Makes this process the only server of the database at path (flock on
 * PATH-serve.lock, store_open_server's claim) into *fd, held until *fd is
 * closed. ST_CONFLICT, naming the lock file, while another process holds
 * it; ST_STORAGE when it cannot be taken. */
enum st sq_serve_lock(const char *path, int *fd, struct err *e);

#endif
