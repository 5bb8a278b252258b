/* SPDX-License-Identifier: MIT */
/* Private to the PostgreSQL backend: the query catalogue, the connection
 * pool and the helpers its operation files share. */
#ifndef SG_PG_INT_H
#define SG_PG_INT_H

#include <libpq-fe.h>

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
    Q_APP_LOCK,
    Q_APP_LIST,
    Q_APP_UPDATE,
    Q_APP_KEY_GET,
    Q_APP_KEY_SET,
    Q_APP_KEY_CREATE,
    Q_PROVIDER_INSERT,
    Q_PROVIDER_GET,
    Q_PROVIDER_LOCK,
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
    Q_TOKEN_TAKE,
    Q_TOKEN_PURGE,
    Q_ASSERTION_USE,
    Q_ASSERTION_PURGE,
    Q_SECRET_ANY,
    Q_META_GET,
    Q_META_INSERT,
    Q__COUNT
};

/* Names of rows in the meta table. */
#define META_KEY_CHECK "key_check"

/* Where a batch's write stands with its savepoint (pg.c): none to take
 * (outside a batch), to be taken with the write's first statement, taken. */
enum pgs_savepoint { PGS_SP_NONE, PGS_SP_PENDING, PGS_SP_TAKEN };

/* One connection of the pool; prepared[q] once q is prepared on it. */
struct conn {
    PGconn *pg;
    bool prepared[Q__COUNT];
    bool begin_pending; /* a batch's BEGIN, sent with its first statement */
    enum pgs_savepoint savepoint;
    bool savepoint_open; /* an earlier write's, released with the next's */
    char sqlstate[6];    /* of the last failed statement, "" when none */
    char constraint[64]; /* the constraint it violated, "" when none */
    struct conn *next;
};

extern const struct store_ops pg_ops;

/* The application_name of the pool's connections and of the listener's
 * (pg_stat_activity tells them apart), and the channel of the
 * announcements of writes. */
#define PGS_APP_NAME "socialgate"
#define PGS_LISTEN_APP_NAME "socialgate-listen"
#define PGS_CHANNEL "socialgate"

/* Opens a connection to url named app, with the timeouts that make a lost
 * database an error and not a hang. ST_STORAGE with libpq's message (no
 * password) on failure; *out is the caller's: PQfinish. */
enum st pgs_connect(const char *url, const char *app, PGconn **out, struct err *e);

/* The domain the write this thread is running changes: set around each
 * write by the operation table's entry points (pg_ops.c), from its line of
 * STORE_OPS, so that pgs_write announces exactly what the cache forgets. */
extern _Thread_local enum store_domain pgs_write_domain;

/* The listener (pg_listen.c): a connection LISTENing on PGS_CHANNEL and a
 * thread telling cache what it hears. Start: ST_STORAGE when the first
 * connection or LISTEN fails (nothing is left running). Stop: joins the
 * thread and closes the connection; NULL is accepted. */
struct pgs_listener;
enum st pgs_listener_start(const char *url, struct store *cache, struct pgs_listener **out,
                           struct err *e);
void pgs_listener_stop(struct pgs_listener *l);

/* Takes an idle connection (opening one when none is idle). */
enum st pgs_acquire(struct store *s, struct conn **out, struct err *e);
/* Rolls back an open transaction and returns c to the pool, or closes it
 * when it is broken. NULL is accepted. */
void pgs_release(struct store *s, struct conn *c);
void pgs_close(struct store *s);

/* The parameters of one statement: text (NULL is SQL NULL), bytes, or a
 * number; $1, $2, ... in the order added. */
#define PGS_MAX_PARAMS 12
struct pgs_params {
    int n;
    const char *v[PGS_MAX_PARAMS];
    int len[PGS_MAX_PARAMS];
    int fmt[PGS_MAX_PARAMS];
    char num[PGS_MAX_PARAMS][24];
};
void pgs_text(struct pgs_params *p, const char *s);
void pgs_blob(struct pgs_params *p, const void *b, size_t n);
void pgs_i64(struct pgs_params *p, int64_t v);

/* Runs q with p on c. A violated constraint (SQLSTATE class 23) is
 * on_constraint, any other failure ST_STORAGE naming the query. On ST_OK,
 * *changed (when not NULL) is the number of rows the statement changed or
 * returned. */
enum st pgs_run(struct conn *c, enum query q, const struct pgs_params *p, enum st on_constraint,
                long *changed, struct err *e);
/* As pgs_run with on_constraint ST_CONFLICT, for a write that must change
 * exactly one row: ST_NOT_FOUND ("no such <what>") when it changed none. */
enum st pgs_changed_one(struct conn *c, enum query q, const struct pgs_params *p, const char *what,
                        struct err *e);
/* Runs a query: *found when it yields a row. */
enum st pgs_exists(struct conn *c, enum query q, const struct pgs_params *p, bool *found,
                   struct err *e);

/* Column readers of a row of a result (binary format). */
const char *pgs_col_text(struct arena *a, const PGresult *r, int row, int i);
void pgs_col_copy(char *out, size_t cap, const PGresult *r, int row, int i);
int64_t pgs_col_i64(const PGresult *r, int row, int i);
/* Column i as an arena copy of its bytes (never NULL). */
const unsigned char *pgs_col_blob(struct arena *a, const PGresult *r, int row, int i, size_t *len);

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

/* A write: runs its statements on c, inside a transaction it must not
 * begin or end itself. */
typedef enum st (*pgs_write_fn)(struct conn *c, const void *args, struct err *e);

/* Sends on their own the control statements (BEGIN, SAVEPOINT) that a
 * batch's write holds back for its first statement on c: for a statement
 * not run by pgs_run and its kin, before it. ST_STORAGE when they fail. */
enum st pgs_settle(struct conn *c, struct err *e);

/* Runs fn(args). Inside a batch this thread opened (pgs_batch_begin), in a
 * savepoint of the batch's transaction, durable when the batch is
 * committed; otherwise in a transaction of its own on a pooled connection,
 * committed (synchronous_commit on: durable) before this returns. Either
 * way the commit announces pgs_write_domain to every listening server
 * (once per domain for a batch), in the committing transaction. */
enum st pgs_write(struct store *s, pgs_write_fn fn, const void *args, struct err *e);
enum st pgs_batch_begin(struct store *s, struct err *e);
enum st pgs_batch_end(struct store *s, struct err *e);
enum st pgs_batch_abort(struct store *s, struct err *e);

/* Reads row `row` of r into out (strings from a); any status but ST_OK
 * fails the read. */
typedef enum st (*pgs_row_fn)(struct arena *a, const PGresult *r, int row, void *out,
                              struct err *e);

/* A read: the query, its parameters and how to read a row. */
struct pgs_read {
    enum query q;
    struct pgs_params p;
    pgs_row_fn row;
    struct arena *a;
    const char *what; /* _one: no row is ST_NOT_FOUND "no such <what>"; NULL: ST_OK */
    size_t size;      /* _list: the size of one item */
};

/* What pgs_query_list fills: an arena array of r->size items. */
struct pgs_rows {
    void *v;
    int n;
};

/* On c: runs r->q and reads its first row into out with r->row. Also for
 * a statement that changes the row it returns (a take). */
enum st pgs_read_one(struct conn *c, const struct pgs_read *r, void *out, struct err *e);
/* pgs_read_one on a pooled connection. */
enum st pgs_query_one(struct store *s, const struct pgs_read *r, void *out, struct err *e);
/* As pgs_query_one, for every row, into out (an arena array; empty, not
 * NULL, when there is no row). */
enum st pgs_query_list(struct store *s, const struct pgs_read *r, struct pgs_rows *out,
                       struct err *e);

/* The backend's operations, one pgs_<name> per line of STORE_OPS; the
 * table in pg_ops.c is generated from the same list. */
#define PGS_OP_DECL(name, kind, data, params, args)                                                \
    enum st pgs_##name(struct store *s, STORE_UNPAREN params);
STORE_OPS(PGS_OP_DECL)
#undef PGS_OP_DECL

#endif
