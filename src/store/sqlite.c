/* SPDX-License-Identifier: MIT */
/*
 * The SQLite backend: a pool of connections (one per concurrent caller),
 * each with its prepared statements, WAL mode and synchronous=FULL so a
 * committed write survives power loss. Numbered migrations run at open.
 * Operations are in sqlite_ops.c; this file holds no business rules.
 */
#include "sqlite_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

extern const char *const sqlite_migrations[];
extern const int sqlite_migrations_count;

/* The columns each read of a kind returns, in the order its row reader
 * (sqlite_ops.c, sqlite_providers.c) expects them. */
#define POLICY_SELECT                                                                              \
    "SELECT id, title, access_lifetime, refresh_lifetime, allowed_scopes FROM token_policies"
#define CLIENT_SELECT "SELECT id, name, type, policy_id FROM clients"
#define AUTH_SELECT                                                                                \
    "SELECT c.seq, c.customer_id, c.id, c.secret_verifier, p.access_lifetime,"                     \
    " p.allowed_scopes FROM clients c JOIN token_policies p"                                       \
    " ON p.customer_id = c.customer_id AND p.id = c.policy_id"
#define APP_SELECT "SELECT id, name, realm, token_urls, settings FROM apps"
#define PROVIDER_SELECT                                                                            \
    "SELECT id, app_id, doc, secret_sealed, etag, created_at, updated_at, summary FROM providers"
#define FLOW_COLUMNS                                                                               \
    "key, customer_id, app_id, provider_id, token_url, verifier, nonce, request_id, expires_at"
#define TOKEN_COLUMNS "hash, customer_id, app_id, provider_id, token_url, data, expires_at"

static const char *const sql_text[Q__COUNT] = {
    [Q_CUSTOMER_INSERT] = "INSERT INTO customers(id, created_at) VALUES (?1, ?2)",
    [Q_POLICY_INSERT] = "INSERT INTO token_policies(customer_id, id, title, access_lifetime,"
                        " refresh_lifetime, allowed_scopes, created_at)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [Q_POLICY_GET] = POLICY_SELECT " WHERE customer_id = ?1 AND id = ?2",
    [Q_POLICY_LIST] = POLICY_SELECT " WHERE customer_id = ?1 ORDER BY created_at, id",
    [Q_POLICY_UPDATE] = "UPDATE token_policies SET title = ?3, access_lifetime = ?4,"
                        " refresh_lifetime = ?5, allowed_scopes = ?6"
                        " WHERE customer_id = ?1 AND id = ?2",
    [Q_POLICY_DELETE] = "DELETE FROM token_policies WHERE customer_id = ?1 AND id = ?2",
    [Q_POLICY_EXISTS] = "SELECT 1 FROM token_policies WHERE customer_id = ?1 AND id = ?2",
    [Q_POLICY_IN_USE] = "SELECT 1 FROM clients WHERE customer_id = ?1 AND policy_id = ?2"
                        " LIMIT 1",
    [Q_CLIENT_NAME_TAKEN] = "SELECT 1 FROM clients WHERE customer_id = ?1 AND name = ?2"
                            " AND id <> ?3",
    [Q_CLIENT_INSERT] = "INSERT INTO clients(customer_id, id, name, type, policy_id,"
                        " secret_sealed, secret_verifier, created_at)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [Q_CLIENT_GET] = CLIENT_SELECT " WHERE customer_id = ?1 AND id = ?2",
    [Q_CLIENT_LIST] = CLIENT_SELECT " WHERE customer_id = ?1 ORDER BY seq",
    [Q_CLIENT_UPDATE] = "UPDATE clients SET name = ?3, type = ?4, policy_id = ?5"
                        " WHERE customer_id = ?1 AND id = ?2",
    [Q_CLIENT_DELETE] = "DELETE FROM clients WHERE customer_id = ?1 AND id = ?2",
    [Q_SECRET_GET] = "SELECT secret_sealed, secret_verifier FROM clients"
                     " WHERE customer_id = ?1 AND id = ?2",
    [Q_SECRET_SET] = "UPDATE clients SET secret_sealed = ?3, secret_verifier = ?4"
                     " WHERE customer_id = ?1 AND id = ?2",
    [Q_AUTH_FIND] = AUTH_SELECT " WHERE c.customer_id = ?1 AND c.id = ?2",
    [Q_AUTH_SEQ] = AUTH_SELECT " WHERE c.seq = ?1",
    [Q_REVOKE_ADD] = "INSERT OR IGNORE INTO revocations(tag, expires_at) VALUES (?1, ?2)",
    [Q_REVOKE_FIND] = "SELECT 1 FROM revocations WHERE tag = ?1",
    [Q_REVOKE_PURGE] = "DELETE FROM revocations WHERE tag IN (SELECT tag FROM revocations"
                       " WHERE expires_at <= ?1 LIMIT ?2)",
    [Q_APP_BY_KEY] = "SELECT customer_id, id FROM apps WHERE api_key_verifier = ?1",
    [Q_APP_LOCATE] = "SELECT customer_id, id FROM apps WHERE id = ?1"
                     " ORDER BY created_at, customer_id LIMIT 1",
    [Q_PIN_GET] = "SELECT iss FROM issuer_pins WHERE customer_id = ?1 AND app_id = ?2"
                  " AND provider_id = ?3 AND endpoints = ?4",
    /* Inserts the pin, or replaces one under other endpoints; changes
     * nothing when a pin under these endpoints exists. */
    [Q_PIN_UPSERT] = "INSERT INTO issuer_pins(customer_id, app_id, provider_id, endpoints, iss)"
                     " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (customer_id, app_id, provider_id)"
                     " DO UPDATE SET endpoints = excluded.endpoints, iss = excluded.iss"
                     " WHERE endpoints <> excluded.endpoints",
    [Q_FLOW_INSERT] = "INSERT INTO flows(key, customer_id, app_id, provider_id, token_url,"
                      " verifier, nonce, request_id, expires_at)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [Q_FLOW_TAKE] = "DELETE FROM flows WHERE key = ?1 RETURNING " FLOW_COLUMNS,
    [Q_FLOW_PURGE] = "DELETE FROM flows WHERE key IN (SELECT key FROM flows"
                     " WHERE expires_at <= ?1 LIMIT ?2)",
    [Q_TOKEN_INSERT] = "INSERT INTO signin_tokens(hash, customer_id, app_id, provider_id,"
                       " token_url, data, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [Q_TOKEN_FIND] = "SELECT " TOKEN_COLUMNS ", id FROM signin_tokens WHERE hash = ?1"
                     " AND customer_id = ?2 AND app_id = ?3 AND taken = 0",
    [Q_TOKEN_MARK] = "UPDATE signin_tokens SET taken = 1, data = x'' WHERE id = ?1",
    [Q_TOKEN_PURGE] = "DELETE FROM signin_tokens WHERE id IN (SELECT id FROM signin_tokens"
                      " WHERE expires_at <= ?1 LIMIT ?2)",
    /* Inserts the id, or renews an expired record of it; changes nothing
     * while an unexpired one exists (a replay). */
    [Q_ASSERTION_USE] = "INSERT INTO saml_assertions(hash, expires_at) VALUES (?1, ?2)"
                        " ON CONFLICT (hash) DO UPDATE SET expires_at = excluded.expires_at"
                        " WHERE saml_assertions.expires_at <= ?3",
    [Q_ASSERTION_PURGE] = "DELETE FROM saml_assertions WHERE hash IN (SELECT hash"
                          " FROM saml_assertions WHERE expires_at <= ?1 LIMIT ?2)",
    [Q_SECRET_ANY] = "SELECT secret_sealed, secret_verifier FROM clients"
                     " ORDER BY seq LIMIT 1",
    [Q_META_GET] = "SELECT value FROM meta WHERE name = ?1",
    [Q_META_INSERT] = "INSERT OR IGNORE INTO meta(name, value) VALUES (?1, ?2)",
    [Q_BEGIN] = "BEGIN IMMEDIATE",
    [Q_COMMIT] = "COMMIT",
    [Q_ROLLBACK] = "ROLLBACK",
    [Q_SAVEPOINT] = "SAVEPOINT w",
    [Q_RELEASE] = "RELEASE w",
    [Q_ROLLBACK_TO] = "ROLLBACK TO w",
    [Q_APP_INSERT] =
        "INSERT INTO apps(customer_id, id, name, realm, created_at, token_urls,"
        " settings) VALUES (?1, ?2, ?3, ?4, ?5, COALESCE(?6, '[]'), COALESCE(?7, '{}'))",
    [Q_APP_UPDATE] = "UPDATE apps SET name = ?3, realm = ?4, token_urls = ?5, settings = ?6"
                     " WHERE customer_id = ?1 AND id = ?2 AND name = ?7 AND realm = ?8"
                     " AND token_urls = ?9 AND settings = ?10",
    [Q_APP_KEY_GET] = "SELECT api_key_sealed, api_key_verifier FROM apps"
                      " WHERE customer_id = ?1 AND id = ?2",
    [Q_APP_KEY_SET] = "UPDATE apps SET api_key_sealed = ?3, api_key_verifier = ?4"
                      " WHERE customer_id = ?1 AND id = ?2",
    [Q_APP_KEY_CREATE] = "UPDATE apps SET api_key_sealed = ?3, api_key_verifier = ?4"
                         " WHERE customer_id = ?1 AND id = ?2 AND api_key_sealed IS NULL",
    [Q_APP_GET] = APP_SELECT " WHERE customer_id = ?1 AND id = ?2",
    [Q_APP_LIST] = APP_SELECT " WHERE customer_id = ?1 ORDER BY created_at, id",
    [Q_PROVIDER_INSERT] = "INSERT INTO providers(customer_id, app_id, id, protocol, doc,"
                          " secret_sealed, etag, created_at, updated_at, summary)"
                          " VALUES (?1, ?2, ?3, ?8, ?4, ?5, ?6, ?7, ?7, ?9)",
    [Q_PROVIDER_GET] = PROVIDER_SELECT " WHERE customer_id = ?1 AND app_id = ?2 AND id = ?3",
    /* Named: without statistics SQLite prefers the primary key's prefix
     * (customer_id), a scan of all the customer's providers per start. */
    [Q_PROVIDER_LOCATE] = PROVIDER_SELECT " INDEXED BY providers_by_id"
                                          " WHERE customer_id = ?1 AND id = ?2"
                                          " ORDER BY created_at, app_id LIMIT 1",
    [Q_PROVIDER_LIST] = PROVIDER_SELECT " WHERE customer_id = ?1 AND app_id = ?2"
                                        " ORDER BY created_at, id",
    [Q_PROVIDER_UPDATE] = "UPDATE providers SET doc = ?5, secret_sealed = ?6, etag = ?7,"
                          " updated_at = ?8, summary = ?9 WHERE customer_id = ?1"
                          " AND app_id = ?2 AND id = ?3 AND etag = ?4",
    [Q_PROVIDER_EXISTS] = "SELECT 1 FROM providers"
                          " WHERE customer_id = ?1 AND app_id = ?2 AND id = ?3",
    [Q_PROVIDER_DELETE] = "DELETE FROM providers WHERE customer_id = ?1 AND app_id = ?2"
                          " AND id = ?3 AND (?4 IS NULL OR etag = ?4)",
};

struct sqlite_store {
    struct store base;
    char *path;
    pthread_mutex_t mu; /* the pool of reading connections */
    struct conn *idle;
    pthread_mutex_t wlock; /* the writer's connection: one user at a time */
    struct conn *wconn;
    int lock_fd; /* the one-server lock (store_open_server), or -1 */
};

/* The store whose batch this thread has open, if any. */
static _Thread_local struct sqlite_store *batch_of_thread;

static enum st exec(sqlite3 *db, const char *sql, struct err *e)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return ST_OK;
    enum st st = ERR(e, ST_STORAGE, NULL, "sqlite: %s", msg ? msg : "error");
    sqlite3_free(msg);
    return st;
}

/* ---- helpers shared by the operation files ---- */

void sq_bind_text(sqlite3_stmt *q, int i, const char *s)
{
    sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC);
}

const char *sq_col_text(struct arena *a, sqlite3_stmt *q, int i)
{
    const char *s = (const char *)sqlite3_column_text(q, i);
    return arena_strndup(a, s ? s : "", (size_t)sqlite3_column_bytes(q, i));
}

void sq_col_copy(char *out, size_t cap, sqlite3_stmt *q, int i)
{
    const char *s = (const char *)sqlite3_column_text(q, i);
    size_t n = (size_t)sqlite3_column_bytes(q, i);
    if (n >= cap)
        n = cap - 1;
    memcpy(out, s ? s : "", n);
    out[n] = '\0';
}

/* Runs a prepared write statement to completion and maps constraint errors. */
enum st sq_step_write(struct conn *c, sqlite3_stmt *q, enum st on_constraint, struct err *e)
{
    int rc = sqlite3_step(q);
    if (rc == SQLITE_DONE)
        return ST_OK;
    if ((rc & 0xff) == SQLITE_CONSTRAINT)
        return ERR(e, on_constraint, NULL, "constraint violated");
    return sq_fail(c, e);
}

/* True when q (bound) yields a row. */
enum st sq_exists(struct conn *c, sqlite3_stmt *q, bool *found, struct err *e)
{
    int rc = sqlite3_step(q);
    *found = rc == SQLITE_ROW;
    sqlite3_reset(q);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? ST_OK : sq_fail(c, e);
}

static void bind_read(sqlite3_stmt *q, const struct sq_read *r)
{
    int first = 1;
    if (r->tag)
        sqlite3_bind_blob(q, first++, r->tag, (int)r->tag_len, SQLITE_STATIC);
    else if (r->by_num)
        sqlite3_bind_int64(q, first++, r->num);
    for (int i = 0; i < 4 && r->text[i]; i++)
        sq_bind_text(q, first + i, r->text[i]);
}

enum st sq_read_one(struct conn *c, const struct sq_read *r, void *out, struct err *e)
{
    sqlite3_stmt *q = sq_stmt(c, r->q);
    bind_read(q, r);
    int rc = sqlite3_step(q);
    enum st st = ST_OK;
    if (rc == SQLITE_ROW)
        st = r->row(r->a, q, out, e);
    else if (rc != SQLITE_DONE)
        st = sq_fail(c, e);
    else if (r->what)
        st = ERR(e, ST_NOT_FOUND, NULL, "no such %s", r->what);
    sqlite3_reset(q);
    return st;
}

enum st sq_take_one(struct conn *c, const struct sq_read *r, void *out, struct err *e)
{
    sqlite3_stmt *q = sq_stmt(c, r->q);
    bind_read(q, r);
    int rc = sqlite3_step(q);
    enum st st = ST_OK;
    if (rc == SQLITE_ROW) {
        st = r->row(r->a, q, out, e);
        rc = sqlite3_step(q); /* the key is unique: no second row */
    } else if (rc == SQLITE_DONE) {
        st = ERR(e, ST_NOT_FOUND, NULL, "no such %s", r->what);
    }
    if (st == ST_OK && rc != SQLITE_DONE)
        st = sq_fail(c, e);
    sqlite3_reset(q);
    return st;
}

enum st sq_query_one(struct store *s, const struct sq_read *r, void *out, struct err *e)
{
    struct conn *c = NULL;
    enum st st = sq_acquire(s, &c, e);
    if (st != ST_OK)
        return st;
    st = sq_read_one(c, r, out, e);
    sq_release(s, c);
    return st;
}

enum st sq_query_list(struct store *s, const struct sq_read *r, struct sq_rows *out, struct err *e)
{
    struct conn *c = NULL;
    enum st st = sq_acquire(s, &c, e);
    if (st != ST_OK)
        return st;
    sqlite3_stmt *q = sq_stmt(c, r->q);
    bind_read(q, r);
    int cap = 16, count = 0, rc = SQLITE_DONE;
    char *v = arena_alloc(r->a, (size_t)cap * r->size);
    while (st == ST_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (count == cap) {
            char *nv = arena_alloc(r->a, (size_t)cap * 2 * r->size);
            memcpy(nv, v, (size_t)cap * r->size);
            v = nv;
            cap *= 2;
        }
        st = r->row(r->a, q, v + (size_t)count++ * r->size, e);
    }
    if (st == ST_OK && rc != SQLITE_DONE)
        st = sq_fail(c, e);
    out->v = v;
    out->n = count;
    sq_release(s, c);
    return st;
}

static void conn_free(struct conn *c)
{
    if (!c)
        return;
    for (int i = 0; i < Q__COUNT; i++)
        sqlite3_finalize(c->stmts[i]);
    sqlite3_close(c->db);
    free(c);
}

static enum st conn_open(const char *path, struct conn **out, struct err *e)
{
    struct conn *c = xcalloc(1, sizeof *c);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &c->db, flags, NULL) != SQLITE_OK) {
        enum st st = ERR(e, ST_STORAGE, NULL, "cannot open database %s: %s", path,
                         c->db ? sqlite3_errmsg(c->db) : "out of memory");
        conn_free(c);
        return st;
    }
    sqlite3_busy_timeout(c->db, 5000);
    enum st st = exec(c->db,
                      "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                      " PRAGMA foreign_keys = ON;",
                      e);
    if (st != ST_OK) {
        conn_free(c);
        return st;
    }
    *out = c;
    return ST_OK;
}

sqlite3_stmt *sq_stmt(struct conn *c, enum query q)
{
    if (!c->stmts[q] && sqlite3_prepare_v3(c->db, sql_text[q], -1, SQLITE_PREPARE_PERSISTENT,
                                           &c->stmts[q], NULL) != SQLITE_OK) {
        log_msg(LOG_ERROR, "sqlite: cannot prepare query %d: %s", (int)q, sqlite3_errmsg(c->db));
        abort(); /* a query of ours that does not compile is a build defect */
    }
    return c->stmts[q];
}

enum st sq_acquire(struct store *s, struct conn **out, struct err *e)
{
    struct sqlite_store *ss = (struct sqlite_store *)s;
    pthread_mutex_lock(&ss->mu);
    struct conn *c = ss->idle;
    if (c)
        ss->idle = c->next;
    pthread_mutex_unlock(&ss->mu);
    if (!c) {
        enum st st = conn_open(ss->path, &c, e);
        if (st != ST_OK)
            return st;
    }
    c->next = NULL;
    *out = c;
    return ST_OK;
}

void sq_release(struct store *s, struct conn *c)
{
    struct sqlite_store *ss = (struct sqlite_store *)s;
    if (!c)
        return;
    for (int i = 0; i < Q__COUNT; i++)
        if (c->stmts[i])
            sqlite3_reset(c->stmts[i]);
    if (!sqlite3_get_autocommit(c->db))
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    pthread_mutex_lock(&ss->mu);
    c->next = ss->idle;
    ss->idle = c;
    pthread_mutex_unlock(&ss->mu);
}

enum st sq_changed_one(struct conn *c, sqlite3_stmt *q, const char *what, struct err *e)
{
    enum st st = sq_step_write(c, q, ST_CONFLICT, e);
    if (st == ST_OK && sqlite3_changes(c->db) == 0)
        st = ERR(e, ST_NOT_FOUND, NULL, "no such %s", what);
    return st;
}

enum st sq_fail(struct conn *c, struct err *e)
{
    return ERR(e, ST_STORAGE, NULL, "sqlite: %s", sqlite3_errmsg(c->db));
}

/* Steps a prepared control statement (BEGIN, SAVEPOINT, ...). */
static bool control(struct conn *c, enum query q)
{
    sqlite3_stmt *st = sq_stmt(c, q);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE;
}

static void reset_all(struct conn *c)
{
    for (int i = 0; i < Q__COUNT; i++)
        if (c->stmts[i])
            sqlite3_reset(c->stmts[i]);
}

/* Runs one write in a savepoint of the open transaction. */
static enum st in_savepoint(struct conn *c, sq_write_fn fn, const void *args, struct err *e)
{
    if (!control(c, Q_SAVEPOINT))
        return sq_fail(c, e);
    enum st st = fn(c, args, e);
    reset_all(c);
    if (st != ST_OK)
        control(c, Q_ROLLBACK_TO);
    control(c, Q_RELEASE);
    return st;
}

enum st sq_write(struct store *s, sq_write_fn fn, const void *args, struct err *e)
{
    struct sqlite_store *ss = (struct sqlite_store *)s;
    if (batch_of_thread == ss) /* durable when the batch is committed */
        return in_savepoint(ss->wconn, fn, args, e);
    pthread_mutex_lock(&ss->wlock);
    enum st st = control(ss->wconn, Q_BEGIN) ? ST_OK : sq_fail(ss->wconn, e);
    if (st == ST_OK)
        st = in_savepoint(ss->wconn, fn, args, e);
    if (st == ST_OK && !control(ss->wconn, Q_COMMIT))
        st = sq_fail(ss->wconn, e);
    if (!sqlite3_get_autocommit(ss->wconn->db))
        control(ss->wconn, Q_ROLLBACK);
    pthread_mutex_unlock(&ss->wlock);
    return st;
}

enum st sq_batch_begin(struct store *s, struct err *e)
{
    struct sqlite_store *ss = (struct sqlite_store *)s;
    pthread_mutex_lock(&ss->wlock);
    if (!control(ss->wconn, Q_BEGIN)) {
        enum st st = sq_fail(ss->wconn, e);
        pthread_mutex_unlock(&ss->wlock);
        return st;
    }
    batch_of_thread = ss;
    return ST_OK;
}

enum st sq_batch_end(struct store *s, struct err *e)
{
    struct sqlite_store *ss = (struct sqlite_store *)s;
    enum st st = control(ss->wconn, Q_COMMIT) ? ST_OK : sq_fail(ss->wconn, e);
    if (!sqlite3_get_autocommit(ss->wconn->db))
        control(ss->wconn, Q_ROLLBACK); /* the commit failed: nothing of it stays */
    batch_of_thread = NULL;
    pthread_mutex_unlock(&ss->wlock);
    return st;
}

enum st sq_batch_abort(struct store *s, struct err *e)
{
    struct sqlite_store *ss = (struct sqlite_store *)s;
    enum st st = ST_OK;
    if (!sqlite3_get_autocommit(ss->wconn->db) && !control(ss->wconn, Q_ROLLBACK))
        st = sq_fail(ss->wconn, e);
    batch_of_thread = NULL;
    pthread_mutex_unlock(&ss->wlock);
    return st;
}

void sq_close(struct store *s)
{
    struct sqlite_store *ss = (struct sqlite_store *)s;
    if (ss->lock_fd >= 0)
        close(ss->lock_fd); /* releases the lock */
    conn_free(ss->wconn);
    pthread_mutex_destroy(&ss->wlock);
    struct conn *c = ss->idle;
    while (c) {
        struct conn *next = c->next;
        conn_free(c);
        c = next;
    }
    pthread_mutex_destroy(&ss->mu);
    free(ss->path);
    free(ss);
}

static enum st migrate(sqlite3 *db, struct err *e)
{
    sqlite3_stmt *st = NULL;
    int version = 0;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (version > sqlite_migrations_count)
        return ERR(e, ST_STORAGE, NULL,
                   "database schema version %d is newer than this socialgate (%d)", version,
                   sqlite_migrations_count);
    for (int v = version; v < sqlite_migrations_count; v++) {
        char set[64];
        snprintf(set, sizeof set, "PRAGMA user_version = %d", v + 1);
        enum st rc = exec(db, "BEGIN IMMEDIATE", e);
        if (rc == ST_OK)
            rc = exec(db, sqlite_migrations[v], e);
        if (rc == ST_OK)
            rc = exec(db, set, e);
        if (rc == ST_OK)
            rc = exec(db, "COMMIT", e);
        if (rc != ST_OK) {
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return rc;
        }
    }
    return ST_OK;
}

/* Writes to out the database's path with symbolic links resolved (of its
 * directory when the file does not exist yet), + "-serve.lock". */
static enum st lock_path(const char *path, char *out, size_t cap, struct err *e)
{
    char real[PATH_MAX];
    if (realpath(path, real)) {
        if ((size_t)snprintf(out, cap, "%s-serve.lock", real) < cap)
            return ST_OK;
        return ERR(e, ST_STORAGE, NULL, "database path %s is too long", path);
    }
    int err = errno;
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(base - path) : 1, slash ? path : ".");
    if (err != ENOENT || !*base || !realpath(dir, real))
        return ERR(e, ST_STORAGE, NULL, "cannot resolve database path %s: %s", path,
                   strerror(err != ENOENT ? err : errno));
    const char *sep = real[strlen(real) - 1] == '/' ? "" : "/";
    if ((size_t)snprintf(out, cap, "%s%s%s-serve.lock", real, sep, base) < cap)
        return ST_OK;
    return ERR(e, ST_STORAGE, NULL, "database path %s is too long", path);
}

/* Makes this process the only server of the database: flock(2) on a lock
 * file of its own. Not fcntl(2) on the database file: SQLite takes POSIX
 * locks there, and closing any descriptor of a file drops all of a
 * process's POSIX locks on it. flock locks belong to the open file, so the
 * lock lasts until *fd is closed or the process ends, however it ends. */
enum st sq_serve_lock(const char *path, int *fd, struct err *e)
{
    char lock[PATH_MAX + 16];
    enum st st = lock_path(path, lock, sizeof lock, e);
    if (st != ST_OK)
        return st;
    *fd = open(lock, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (*fd < 0)
        return ERR(e, ST_STORAGE, NULL, "cannot open lock file %s: %s", lock, strerror(errno));
    if (flock(*fd, LOCK_EX | LOCK_NB) == 0)
        return ST_OK;
    int err = errno;
    close(*fd);
    *fd = -1;
    if (err == EWOULDBLOCK)
        return ERR(e, ST_CONFLICT, NULL,
                   "another server already serves %s (lock held on %s); "
                   "several instances need PostgreSQL",
                   path, lock);
    return ERR(e, ST_STORAGE, NULL, "cannot lock %s: %s", lock, strerror(err));
}

enum st store_sqlite_open(const char *path, bool server, struct store **out, struct err *e)
{
    int lock_fd = -1;
    struct conn *c = NULL, *w = NULL;
    enum st st = server ? sq_serve_lock(path, &lock_fd, e) : ST_OK;
    if (st == ST_OK)
        st = conn_open(path, &c, e);
    if (st == ST_OK)
        st = migrate(c->db, e);
    if (st == ST_OK)
        st = conn_open(path, &w, e);
    if (st != ST_OK) {
        conn_free(c);
        if (lock_fd >= 0)
            close(lock_fd);
        return st;
    }
    struct sqlite_store *ss = xcalloc(1, sizeof *ss);
    ss->base.ops = &sqlite_ops;
    ss->path = xstrdup(path);
    pthread_mutex_init(&ss->mu, NULL);
    ss->idle = c;
    ss->wconn = w;
    ss->lock_fd = lock_fd;
    pthread_mutex_init(&ss->wlock, NULL);
    *out = &ss->base;
    return ST_OK;
}
