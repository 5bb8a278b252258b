/* SPDX-License-Identifier: MIT */
/*
 * The SQLite backend's whole-table reads and writes for `socialgate copy`:
 * statements built from the shared table list (store_table_def), run on
 * one connection; the client sequence is sqlite_sequence's row of
 * "clients" (AUTOINCREMENT's high-water mark).
 */
#include "sqlite_int.h"

#include <stdio.h>
#include <string.h>

#define SQL_MAX 512

/* Prepares sql on c (finalize it); ST_STORAGE when it does not compile. */
static enum st prepare(struct conn *c, const char *sql, sqlite3_stmt **q, struct err *e)
{
    if (sqlite3_prepare_v2(c->db, sql, -1, q, NULL) != SQLITE_OK)
        return sq_fail(c, e);
    return ST_OK;
}

static void read_value(struct arena *a, sqlite3_stmt *q, int i, char type, struct store_value *v)
{
    if (sqlite3_column_type(q, i) == SQLITE_NULL) {
        v->t = SV_NULL;
        return;
    }
    if (type == 'i') {
        v->t = SV_INT;
        v->i = sqlite3_column_int64(q, i);
        return;
    }
    const void *src =
        type == 't' ? (const void *)sqlite3_column_text(q, i) : sqlite3_column_blob(q, i);
    v->len = (size_t)sqlite3_column_bytes(q, i);
    unsigned char *b = arena_alloc(a, v->len + 1);
    if (v->len)
        memcpy(b, src, v->len);
    b[v->len] = '\0';
    v->b = b;
    v->t = type == 't' ? SV_TEXT : SV_BLOB;
}

/* Every row of q into out, ncols values a row typed by types. */
static enum st read_rows(struct arena *a, struct conn *c, sqlite3_stmt *q, const char *types,
                         struct store_rows *out, struct err *e)
{
    int ncols = (int)strlen(types), cap = 16, rc;
    out->ncols = ncols;
    out->n = 0;
    out->v = arena_alloc(a, (size_t)cap * (size_t)ncols * sizeof *out->v);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (out->n == cap) {
            struct store_value *nv = arena_alloc(a, (size_t)cap * 2 * (size_t)ncols * sizeof *nv);
            memcpy(nv, out->v, (size_t)cap * (size_t)ncols * sizeof *nv);
            out->v = nv;
            cap *= 2;
        }
        for (int i = 0; i < ncols; i++)
            read_value(a, q, i, types[i], &out->v[out->n * ncols + i]);
        out->n++;
    }
    return rc == SQLITE_DONE ? ST_OK : sq_fail(c, e);
}

#define SEQ_SELECT "SELECT seq FROM sqlite_sequence WHERE name = 'clients'"
static const char seq_sql[] = SEQ_SELECT;
/* What rows_read runs for STORE_T_CLIENT_SEQ: 0 before the first client. */
static const char seq_read_sql[] = "SELECT COALESCE((" SEQ_SELECT "), 0)";

enum st sq_rows_read(struct store *s, struct arena *a, enum store_table t, struct store_rows *out,
                     struct err *e)
{
    char sql[SQL_MAX];
    const char *types;
    enum st st = store_rows_select(t, seq_read_sql, sql, sizeof sql, &types, e);
    struct conn *c = NULL;
    if (st == ST_OK)
        st = sq_acquire(s, &c, e);
    if (st != ST_OK)
        return st;
    sqlite3_stmt *q = NULL;
    st = prepare(c, sql, &q, e);
    if (st == ST_OK)
        st = read_rows(a, c, q, types, out, e);
    sqlite3_finalize(q);
    sq_release(s, c);
    return st;
}

struct rows_args {
    enum store_table t;
    const struct store_rows *rows;
};

static void bind_value(sqlite3_stmt *q, int i, const struct store_value *v)
{
    switch (v->t) {
    case SV_NULL:
        sqlite3_bind_null(q, i);
        break;
    case SV_INT:
        sqlite3_bind_int64(q, i, v->i);
        break;
    case SV_TEXT:
        sqlite3_bind_text(q, i, (const char *)v->b, (int)v->len, SQLITE_STATIC);
        break;
    case SV_BLOB:
        sqlite3_bind_blob(q, i, v->len ? (const void *)v->b : "", (int)v->len, SQLITE_STATIC);
        break;
    }
}

/* One integer that sql answers (0 when it answers no row). */
static enum st query_int(struct conn *c, const char *sql, int64_t *out, struct err *e)
{
    sqlite3_stmt *q = NULL;
    enum st st = prepare(c, sql, &q, e);
    *out = 0;
    if (st == ST_OK) {
        int rc = sqlite3_step(q);
        if (rc == SQLITE_ROW)
            *out = sqlite3_column_int64(q, 0);
        else if (rc != SQLITE_DONE)
            st = sq_fail(c, e);
    }
    sqlite3_finalize(q);
    return st;
}

/* Raises the high-water mark of client sequences to v, never lowers it. */
static enum st write_seq(struct conn *c, int64_t v, struct err *e)
{
    int64_t cur = 0;
    enum st st = query_int(c, seq_sql, &cur, e);
    if (st != ST_OK)
        return st;
    if (cur > v)
        return ERR(e, ST_CONFLICT, NULL, "the database has handed out client sequences already");
    char sql[SQL_MAX];
    snprintf(sql, sizeof sql,
             "DELETE FROM sqlite_sequence WHERE name = 'clients';"
             " INSERT INTO sqlite_sequence(name, seq) VALUES ('clients', %lld)",
             (long long)v);
    if (sqlite3_exec(c->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return sq_fail(c, e);
    return ST_OK;
}

static enum st insert_rows(struct conn *c, const struct store_table_def *d,
                           const struct store_rows *rows, struct err *e)
{
    char sql[SQL_MAX];
    int n = snprintf(sql, sizeof sql, "INSERT INTO %s(%s) VALUES (", d->name, d->cols);
    for (int i = 1; i <= rows->ncols; i++)
        n += snprintf(sql + n, sizeof sql - (size_t)n, "%s?%d", i > 1 ? ", " : "", i);
    snprintf(sql + n, sizeof sql - (size_t)n, ")");
    sqlite3_stmt *q = NULL;
    enum st st = prepare(c, sql, &q, e);
    for (int r = 0; st == ST_OK && r < rows->n; r++) {
        for (int i = 0; i < rows->ncols; i++)
            bind_value(q, i + 1, &rows->v[r * rows->ncols + i]);
        st = sq_step_write(c, q, ST_CONFLICT, e);
        sqlite3_reset(q);
        sqlite3_clear_bindings(q);
    }
    sqlite3_finalize(q);
    return st;
}

static enum st do_rows_write(struct conn *c, const void *args, struct err *e)
{
    const struct rows_args *w = args;
    const struct store_table_def *d = store_table_def(w->t);
    if (!d)
        return write_seq(c, w->rows->n ? w->rows->v[0].i : 0, e);
    char sql[SQL_MAX];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM (SELECT 1 FROM %s LIMIT 1)", d->name);
    int64_t have = 0;
    enum st st = query_int(c, sql, &have, e);
    if (st == ST_OK && have)
        st = ERR(e, ST_CONFLICT, NULL, "table %s is not empty", d->name);
    return st == ST_OK ? insert_rows(c, d, w->rows, e) : st;
}

enum st sq_rows_write(struct store *s, enum store_table t, const struct store_rows *rows,
                      struct err *e)
{
    int ncols = (int)strlen(store_table_def(t) ? store_table_def(t)->types : "i");
    if ((unsigned)t >= STORE_T__COUNT || rows->ncols != ncols ||
        (t == STORE_T_CLIENT_SEQ && (rows->n != 1 || rows->v[0].t != SV_INT)))
        return ERR(e, ST_INVALID, NULL, "rows do not fit table %s", store_table_name(t));
    struct rows_args w = {.t = t, .rows = rows};
    return sq_write(s, do_rows_write, &w, e);
}
