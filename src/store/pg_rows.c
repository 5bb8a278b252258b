/* SPDX-License-Identifier: MIT */
/*
 * The PostgreSQL backend's whole-table reads and writes for `socialgate
 * copy`: statements built from the shared table list (store_table_def),
 * unprepared (they run once a table). clients.seq is an identity column:
 * its values are inserted OVERRIDING SYSTEM VALUE and its sequence is then
 * set to the source's high-water mark, so new clients never reuse one.
 */
#include "pg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQL_MAX 512

/* The clients.seq sequence's last value handed out, 0 when none. */
#define SEQ_NAME "pg_get_serial_sequence('clients', 'seq')"
static const char seq_sql[] = "SELECT COALESCE(pg_sequence_last_value(" SEQ_NAME "::regclass), 0)";

static enum st failed(struct conn *c, PGresult *r, enum st on_constraint, struct err *e)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *m = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    snprintf(c->sqlstate, sizeof c->sqlstate, "%s", state ? state : "");
    enum st st = state && strncmp(state, "23", 2) == 0
                     ? ERR(e, on_constraint, NULL, "constraint violated")
                     : ERR(e, ST_STORAGE, NULL, "postgresql: %s", m ? m : PQerrorMessage(c->pg));
    PQclear(r);
    return st;
}

/* Runs sql with n parameters; binary results. On ST_OK *res is the result
 * (PQclear it). */
static enum st exec(struct conn *c, const char *sql, int n, const char *const *v, const int *len,
                    const int *fmt, PGresult **res, struct err *e)
{
    c->sqlstate[0] = c->constraint[0] = '\0';
    enum st st = pgs_settle(c, e);
    if (st != ST_OK)
        return st;
    PGresult *r = PQexecParams(c->pg, sql, n, NULL, v, len, fmt, 1);
    ExecStatusType rs = PQresultStatus(r);
    if (rs != PGRES_COMMAND_OK && rs != PGRES_TUPLES_OK)
        return failed(c, r, ST_CONFLICT, e);
    *res = r;
    return ST_OK;
}

static void read_value(struct arena *a, const PGresult *r, int row, int i, char type,
                       struct store_value *v)
{
    if (PQgetisnull(r, row, i)) {
        v->t = SV_NULL;
        return;
    }
    if (type == 'i') {
        v->t = SV_INT;
        v->i = pgs_col_i64(r, row, i);
        return;
    }
    v->len = (size_t)PQgetlength(r, row, i);
    unsigned char *b = arena_alloc(a, v->len + 1);
    if (v->len)
        memcpy(b, PQgetvalue(r, row, i), v->len);
    b[v->len] = '\0';
    v->b = b;
    v->t = type == 't' ? SV_TEXT : SV_BLOB;
}

enum st pgs_rows_read(struct store *s, struct arena *a, enum store_table t, struct store_rows *out,
                      struct err *e)
{
    char sql[SQL_MAX];
    const char *types;
    enum st st = store_rows_select(t, seq_sql, sql, sizeof sql, &types, e);
    struct conn *c = NULL;
    if (st == ST_OK)
        st = pgs_acquire(s, &c, e);
    if (st != ST_OK)
        return st;
    PGresult *r = NULL;
    st = exec(c, sql, 0, NULL, NULL, NULL, &r, e);
    if (st == ST_OK) {
        int ncols = (int)strlen(types);
        out->ncols = ncols;
        out->n = PQntuples(r);
        out->v = arena_alloc(a, ((size_t)out->n * (size_t)ncols + 1) * sizeof *out->v);
        for (int row = 0; row < out->n; row++)
            for (int i = 0; i < ncols; i++)
                read_value(a, r, row, i, types[i], &out->v[row * ncols + i]);
        PQclear(r);
    }
    pgs_release(s, c);
    return st;
}

struct rows_args {
    enum store_table t;
    const struct store_rows *rows;
};

/* One integer that sql answers. */
static enum st query_int(struct conn *c, const char *sql, int64_t *out, struct err *e)
{
    PGresult *r = NULL;
    enum st st = exec(c, sql, 0, NULL, NULL, NULL, &r, e);
    if (st != ST_OK)
        return st;
    *out = PQntuples(r) ? pgs_col_i64(r, 0, 0) : 0;
    PQclear(r);
    return ST_OK;
}

/* Raises the clients' sequence to v, never lowers it. */
static enum st write_seq(struct conn *c, int64_t v, struct err *e)
{
    int64_t cur = 0;
    enum st st = query_int(c, seq_sql, &cur, e);
    if (st != ST_OK || v == 0)
        return st;
    if (cur > v)
        return ERR(e, ST_CONFLICT, NULL, "the database has handed out client sequences already");
    char sql[SQL_MAX];
    snprintf(sql, sizeof sql, "SELECT setval(%s, %lld)", SEQ_NAME, (long long)v);
    return query_int(c, sql, &cur, e);
}

/* Binds row r's values as the parameters of one INSERT: integers and text
 * as text, blobs as binary, NULL as NULL. num holds the integers' text. */
static void bind_row(const struct store_rows *rows, int r, const char **v, int *len, int *fmt,
                     char (*num)[24])
{
    for (int i = 0; i < rows->ncols; i++) {
        const struct store_value *x = &rows->v[r * rows->ncols + i];
        v[i] = NULL;
        len[i] = 0;
        fmt[i] = 0;
        if (x->t == SV_INT) {
            snprintf(num[i], sizeof num[i], "%lld", (long long)x->i);
            v[i] = num[i];
        } else if (x->t == SV_TEXT) {
            v[i] = (const char *)x->b;
        } else if (x->t == SV_BLOB) {
            v[i] = x->len ? (const char *)x->b : "";
            len[i] = (int)x->len;
            fmt[i] = 1;
        }
    }
}

static enum st insert_rows(struct conn *c, enum store_table t, const struct store_rows *rows,
                           struct err *e)
{
    const struct store_table_def *d = store_table_def(t);
    char sql[SQL_MAX];
    int n = snprintf(sql, sizeof sql, "INSERT INTO %s(%s)%s VALUES (", d->name, d->cols,
                     t == STORE_T_CLIENTS ? " OVERRIDING SYSTEM VALUE" : "");
    for (int i = 1; i <= rows->ncols; i++)
        n += snprintf(sql + n, sizeof sql - (size_t)n, "%s$%d", i > 1 ? ", " : "", i);
    snprintf(sql + n, sizeof sql - (size_t)n, ")");
    const char *v[PGS_MAX_PARAMS];
    int len[PGS_MAX_PARAMS], fmt[PGS_MAX_PARAMS];
    char num[PGS_MAX_PARAMS][24];
    enum st st = ST_OK;
    for (int r = 0; st == ST_OK && r < rows->n; r++) {
        bind_row(rows, r, v, len, fmt, num);
        PGresult *res = NULL;
        st = exec(c, sql, rows->ncols, v, len, fmt, &res, e);
        PQclear(res);
    }
    return st;
}

static enum st do_rows_write(struct conn *c, const void *args, struct err *e)
{
    const struct rows_args *w = args;
    const struct store_table_def *d = store_table_def(w->t);
    if (!d)
        return write_seq(c, w->rows->v[0].i, e);
    char sql[SQL_MAX];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM (SELECT 1 FROM %s LIMIT 1) AS t", d->name);
    int64_t have = 0;
    enum st st = query_int(c, sql, &have, e);
    if (st == ST_OK && have)
        st = ERR(e, ST_CONFLICT, NULL, "table %s is not empty", d->name);
    return st == ST_OK ? insert_rows(c, w->t, w->rows, e) : st;
}

enum st pgs_rows_write(struct store *s, enum store_table t, const struct store_rows *rows,
                       struct err *e)
{
    const struct store_table_def *d = store_table_def(t);
    int ncols = (int)strlen(d ? d->types : "i");
    if ((unsigned)t >= STORE_T__COUNT || rows->ncols != ncols || ncols > PGS_MAX_PARAMS ||
        (t == STORE_T_CLIENT_SEQ && (rows->n != 1 || rows->v[0].t != SV_INT)))
        return ERR(e, ST_INVALID, NULL, "rows do not fit table %s", store_table_name(t));
    struct rows_args w = {.t = t, .rows = rows};
    return pgs_write(s, do_rows_write, &w, e);
}
