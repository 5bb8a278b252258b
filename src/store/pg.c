/* SPDX-License-Identifier: MIT */
/*
 * The PostgreSQL backend: a pool of connections (one per concurrent
 * caller), each preparing the statements it runs. Every write is a
 * transaction committed with synchronous_commit on (the server's default,
 * never changed here), so a write that returned ST_OK is on the server's
 * disk. Many servers share one database: numbered migrations run at open
 * inside one transaction under an advisory lock, and single-use rows are
 * taken by one statement each. Operations are in pg_ops.c, pg_providers.c
 * and pg_signin.c; this file holds no business rules.
 */
#include "pg_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const char *const pg_migrations[];
extern const int pg_migrations_count;

/* The columns each read of a kind returns, in the order its row reader
 * (pg_ops.c, pg_providers.c, pg_signin.c) expects them. */
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
/* Orders as SQLite does: by bytes, whatever the database's collation. */
#define C_ORDER " COLLATE \"C\""

static const char *const sql_text[Q__COUNT] = {
    [Q_CUSTOMER_INSERT] = "INSERT INTO customers(id, created_at) VALUES ($1, $2)",
    [Q_POLICY_INSERT] = "INSERT INTO token_policies(customer_id, id, title, access_lifetime,"
                        " refresh_lifetime, allowed_scopes, created_at)"
                        " VALUES ($1, $2, $3, $4, $5, $6, $7)",
    [Q_POLICY_GET] = POLICY_SELECT " WHERE customer_id = $1 AND id = $2",
    [Q_POLICY_LIST] = POLICY_SELECT " WHERE customer_id = $1 ORDER BY created_at, id" C_ORDER,
    [Q_POLICY_UPDATE] = "UPDATE token_policies SET title = $3, access_lifetime = $4,"
                        " refresh_lifetime = $5, allowed_scopes = $6"
                        " WHERE customer_id = $1 AND id = $2",
    [Q_POLICY_DELETE] = "DELETE FROM token_policies WHERE customer_id = $1 AND id = $2",
    /* Locks the policy (a client made meanwhile references it). */
    [Q_POLICY_EXISTS] = "SELECT 1 FROM token_policies WHERE customer_id = $1 AND id = $2"
                        " FOR KEY SHARE",
    [Q_POLICY_IN_USE] = "SELECT 1 FROM clients WHERE customer_id = $1 AND policy_id = $2"
                        " LIMIT 1",
    [Q_CLIENT_NAME_TAKEN] = "SELECT 1 FROM clients WHERE customer_id = $1 AND name = $2"
                            " AND id <> $3",
    [Q_CLIENT_INSERT] = "INSERT INTO clients(customer_id, id, name, type, policy_id,"
                        " secret_sealed, secret_verifier, created_at)"
                        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    [Q_CLIENT_GET] = CLIENT_SELECT " WHERE customer_id = $1 AND id = $2",
    [Q_CLIENT_LIST] = CLIENT_SELECT " WHERE customer_id = $1 ORDER BY seq",
    [Q_CLIENT_UPDATE] = "UPDATE clients SET name = $3, type = $4, policy_id = $5"
                        " WHERE customer_id = $1 AND id = $2",
    [Q_CLIENT_DELETE] = "DELETE FROM clients WHERE customer_id = $1 AND id = $2",
    [Q_SECRET_GET] = "SELECT secret_sealed, secret_verifier FROM clients"
                     " WHERE customer_id = $1 AND id = $2",
    [Q_SECRET_SET] = "UPDATE clients SET secret_sealed = $3, secret_verifier = $4"
                     " WHERE customer_id = $1 AND id = $2",
    [Q_AUTH_FIND] = AUTH_SELECT " WHERE c.customer_id = $1 AND c.id = $2",
    [Q_AUTH_SEQ] = AUTH_SELECT " WHERE c.seq = $1",
    [Q_REVOKE_ADD] = "INSERT INTO revocations(tag, expires_at) VALUES ($1, $2)"
                     " ON CONFLICT DO NOTHING",
    [Q_REVOKE_FIND] = "SELECT 1 FROM revocations WHERE tag = $1",
    /* SKIP LOCKED: servers purging at once each take other rows. */
    [Q_REVOKE_PURGE] = "DELETE FROM revocations WHERE tag IN (SELECT tag FROM revocations"
                       " WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)",
    [Q_APP_BY_KEY] = "SELECT customer_id, id FROM apps WHERE api_key_verifier = $1",
    [Q_APP_LOCATE] = "SELECT customer_id, id FROM apps WHERE id = $1"
                     " ORDER BY created_at, customer_id" C_ORDER " LIMIT 1",
    [Q_PIN_GET] = "SELECT iss FROM issuer_pins WHERE customer_id = $1 AND app_id = $2"
                  " AND provider_id = $3 AND endpoints = $4",
    /* Inserts the pin, or replaces one under other endpoints; changes
     * nothing when a pin under these endpoints exists. */
    [Q_PIN_UPSERT] = "INSERT INTO issuer_pins AS p(customer_id, app_id, provider_id, endpoints,"
                     " iss) VALUES ($1, $2, $3, $4, $5)"
                     " ON CONFLICT (customer_id, app_id, provider_id)"
                     " DO UPDATE SET endpoints = excluded.endpoints, iss = excluded.iss"
                     " WHERE p.endpoints <> excluded.endpoints",
    [Q_FLOW_INSERT] = "INSERT INTO flows(key, customer_id, app_id, provider_id, token_url,"
                      " verifier, nonce, request_id, expires_at)"
                      " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    /* A second DELETE of the row waits for the first, then finds it gone. */
    [Q_FLOW_TAKE] = "DELETE FROM flows WHERE key = $1 RETURNING " FLOW_COLUMNS,
    [Q_FLOW_PURGE] = "DELETE FROM flows WHERE key IN (SELECT key FROM flows"
                     " WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)",
    [Q_TOKEN_INSERT] = "INSERT INTO signin_tokens(hash, customer_id, app_id, provider_id,"
                       " token_url, data, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    /* One statement finds the token, marks it and returns it as it was.
     * Under READ COMMITTED a concurrent take waits for the row lock, then
     * re-reads the row, finds it taken and returns nothing. */
    [Q_TOKEN_TAKE] = "UPDATE signin_tokens t SET taken = true, data = ''::bytea"
                     " FROM (SELECT id, " TOKEN_COLUMNS " FROM signin_tokens"
                     " WHERE hash = $1 AND customer_id = $2 AND app_id = $3 AND NOT taken"
                     " FOR UPDATE) o WHERE t.id = o.id RETURNING o.hash, o.customer_id,"
                     " o.app_id, o.provider_id, o.token_url, o.data, o.expires_at",
    [Q_TOKEN_PURGE] = "DELETE FROM signin_tokens WHERE id IN (SELECT id FROM signin_tokens"
                      " WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)",
    /* Inserts the id, or renews an expired record of it; changes nothing
     * while an unexpired one exists (a replay). A concurrent use of the same
     * id waits for the first to commit, then finds its record unexpired. */
    [Q_ASSERTION_USE] = "INSERT INTO saml_assertions AS a(hash, expires_at) VALUES ($1, $2)"
                        " ON CONFLICT (hash) DO UPDATE SET expires_at = excluded.expires_at"
                        " WHERE a.expires_at <= $3",
    [Q_ASSERTION_PURGE] = "DELETE FROM saml_assertions WHERE hash IN (SELECT hash"
                          " FROM saml_assertions WHERE expires_at <= $1 LIMIT $2"
                          " FOR UPDATE SKIP LOCKED)",
    [Q_SECRET_ANY] = "SELECT secret_sealed, secret_verifier FROM clients"
                     " ORDER BY seq LIMIT 1",
    [Q_META_GET] = "SELECT value FROM meta WHERE name = $1",
    [Q_META_INSERT] = "INSERT INTO meta(name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    [Q_APP_INSERT] = "INSERT INTO apps(customer_id, id, name, realm, created_at, token_urls,"
                     " settings) VALUES ($1, $2, $3, $4, $5, COALESCE($6::text, '[]'),"
                     " COALESCE($7::text, '{}'))",
    [Q_APP_UPDATE] = "UPDATE apps SET name = $3, realm = $4, token_urls = $5, settings = $6"
                     " WHERE customer_id = $1 AND id = $2",
    [Q_APP_KEY_GET] = "SELECT api_key_sealed, api_key_verifier FROM apps"
                      " WHERE customer_id = $1 AND id = $2",
    [Q_APP_KEY_SET] = "UPDATE apps SET api_key_sealed = $3, api_key_verifier = $4"
                      " WHERE customer_id = $1 AND id = $2",
    [Q_APP_KEY_CREATE] = "UPDATE apps SET api_key_sealed = $3, api_key_verifier = $4"
                         " WHERE customer_id = $1 AND id = $2 AND api_key_sealed IS NULL",
    [Q_APP_GET] = APP_SELECT " WHERE customer_id = $1 AND id = $2",
    /* A modification's read: concurrent ones wait here, one after the other. */
    [Q_APP_LOCK] = APP_SELECT " WHERE customer_id = $1 AND id = $2 FOR NO KEY UPDATE",
    [Q_APP_LIST] = APP_SELECT " WHERE customer_id = $1 ORDER BY created_at, id" C_ORDER,
    [Q_PROVIDER_INSERT] = "INSERT INTO providers(customer_id, app_id, id, protocol, doc,"
                          " secret_sealed, etag, created_at, updated_at, summary)"
                          " VALUES ($1, $2, $3, $8, $4, $5, $6, $7, $7, $9)",
    [Q_PROVIDER_GET] = PROVIDER_SELECT " WHERE customer_id = $1 AND app_id = $2 AND id = $3",
    [Q_PROVIDER_LOCK] = PROVIDER_SELECT " WHERE customer_id = $1 AND app_id = $2 AND id = $3"
                                        " FOR NO KEY UPDATE",
    [Q_PROVIDER_LOCATE] =
        PROVIDER_SELECT " WHERE customer_id = $1 AND id = $2"
                        " ORDER BY created_at" C_ORDER ", app_id" C_ORDER " LIMIT 1",
    [Q_PROVIDER_LIST] = PROVIDER_SELECT " WHERE customer_id = $1 AND app_id = $2"
                                        " ORDER BY created_at" C_ORDER ", id" C_ORDER,
    [Q_PROVIDER_UPDATE] = "UPDATE providers SET doc = $5, secret_sealed = $6, etag = $7,"
                          " updated_at = $8, summary = $9 WHERE customer_id = $1"
                          " AND app_id = $2 AND id = $3 AND etag = $4",
    [Q_PROVIDER_EXISTS] = "SELECT 1 FROM providers"
                          " WHERE customer_id = $1 AND app_id = $2 AND id = $3",
    [Q_PROVIDER_DELETE] = "DELETE FROM providers WHERE customer_id = $1 AND app_id = $2"
                          " AND id = $3 AND ($4::text IS NULL OR etag = $4::text)",
};

/* Names of the queries, for error messages (never their values). */
static const char *const query_name[Q__COUNT] = {
    [Q_CUSTOMER_INSERT] = "customer insert",
    [Q_POLICY_INSERT] = "policy insert",
    [Q_POLICY_GET] = "policy get",
    [Q_POLICY_LIST] = "policy list",
    [Q_POLICY_UPDATE] = "policy update",
    [Q_POLICY_DELETE] = "policy delete",
    [Q_POLICY_EXISTS] = "policy check",
    [Q_POLICY_IN_USE] = "policy use check",
    [Q_CLIENT_NAME_TAKEN] = "client name check",
    [Q_CLIENT_INSERT] = "client insert",
    [Q_CLIENT_GET] = "client get",
    [Q_CLIENT_LIST] = "client list",
    [Q_CLIENT_UPDATE] = "client update",
    [Q_CLIENT_DELETE] = "client delete",
    [Q_SECRET_GET] = "secret get",
    [Q_SECRET_SET] = "secret set",
    [Q_AUTH_FIND] = "auth find",
    [Q_AUTH_SEQ] = "auth by seq",
    [Q_REVOKE_ADD] = "revocation add",
    [Q_REVOKE_FIND] = "revocation find",
    [Q_REVOKE_PURGE] = "revocation purge",
    [Q_APP_INSERT] = "app insert",
    [Q_APP_GET] = "app get",
    [Q_APP_LOCK] = "app lock",
    [Q_APP_LIST] = "app list",
    [Q_APP_UPDATE] = "app update",
    [Q_APP_KEY_GET] = "app key get",
    [Q_APP_KEY_SET] = "app key set",
    [Q_APP_KEY_CREATE] = "app key create",
    [Q_PROVIDER_INSERT] = "provider insert",
    [Q_PROVIDER_GET] = "provider get",
    [Q_PROVIDER_LOCK] = "provider lock",
    [Q_PROVIDER_LIST] = "provider list",
    [Q_PROVIDER_UPDATE] = "provider update",
    [Q_PROVIDER_EXISTS] = "provider check",
    [Q_PROVIDER_DELETE] = "provider delete",
    [Q_APP_BY_KEY] = "app by key",
    [Q_APP_LOCATE] = "app locate",
    [Q_PROVIDER_LOCATE] = "provider locate",
    [Q_PIN_GET] = "issuer pin get",
    [Q_PIN_UPSERT] = "issuer pin set",
    [Q_FLOW_INSERT] = "flow insert",
    [Q_FLOW_TAKE] = "flow take",
    [Q_FLOW_PURGE] = "flow purge",
    [Q_TOKEN_INSERT] = "sign-in token insert",
    [Q_TOKEN_TAKE] = "sign-in token take",
    [Q_TOKEN_PURGE] = "sign-in token purge",
    [Q_ASSERTION_USE] = "SAML assertion use",
    [Q_ASSERTION_PURGE] = "SAML assertion purge",
    [Q_SECRET_ANY] = "secret find any",
    [Q_META_GET] = "meta get",
    [Q_META_INSERT] = "meta insert",
};

struct pg_store {
    struct store base;
    char *url;
    pthread_mutex_t mu; /* the pool */
    struct conn *idle;
    struct pgs_listener *listener; /* NULL until store_pg_listen */
};

/* This thread's open batch: its store, the connection holding its
 * transaction and the domains its writes changed (a bit each). */
static _Thread_local struct {
    struct pg_store *s;
    struct conn *c;
    unsigned domains;
} batch_of_thread;

_Thread_local enum store_domain pgs_write_domain = SD__COUNT;

/* ---- parameters and columns ---------------------------------------------- */

static void add(struct pgs_params *p, const char *v, int len, int fmt)
{
    if (p->n >= PGS_MAX_PARAMS)
        abort(); /* a statement of ours with more parameters is a build defect */
    p->v[p->n] = v;
    p->len[p->n] = len;
    p->fmt[p->n] = fmt;
    p->n++;
}

void pgs_text(struct pgs_params *p, const char *s)
{
    add(p, s, 0, 0);
}

void pgs_blob(struct pgs_params *p, const void *b, size_t n)
{
    add(p, n ? (const char *)b : "", (int)n, 1); /* a NULL pointer would bind NULL */
}

void pgs_i64(struct pgs_params *p, int64_t v)
{
    char *buf = p->num[p->n < PGS_MAX_PARAMS ? p->n : 0];
    snprintf(buf, sizeof p->num[0], "%lld", (long long)v);
    add(p, buf, 0, 0);
}

const char *pgs_col_text(struct arena *a, const PGresult *r, int row, int i)
{
    return arena_strndup(a, PQgetvalue(r, row, i), (size_t)PQgetlength(r, row, i));
}

void pgs_col_copy(char *out, size_t cap, const PGresult *r, int row, int i)
{
    size_t n = (size_t)PQgetlength(r, row, i);
    if (n >= cap)
        n = cap - 1;
    memcpy(out, PQgetvalue(r, row, i), n);
    out[n] = '\0';
}

/* Binary format: a big-endian integer of its column's width. */
int64_t pgs_col_i64(const PGresult *r, int row, int i)
{
    const unsigned char *b = (const unsigned char *)PQgetvalue(r, row, i);
    int n = PQgetlength(r, row, i);
    uint64_t v = n && (b[0] & 0x80) ? UINT64_MAX : 0; /* sign extension */
    for (int k = 0; k < n; k++)
        v = (v << 8) | b[k];
    return (int64_t)v;
}

const unsigned char *pgs_col_blob(struct arena *a, const PGresult *r, int row, int i, size_t *len)
{
    *len = (size_t)PQgetlength(r, row, i);
    unsigned char *b = arena_alloc(a, *len ? *len : 1);
    if (*len)
        memcpy(b, PQgetvalue(r, row, i), *len);
    return b;
}

/* ---- statements --------------------------------------------------------------- */

/* The server's first line about a failure: names the statement's
 * constraint or fault, not the values bound (those are in DETAIL). */
static const char *primary(const PGresult *r, const struct conn *c)
{
    const char *m = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    return m ? m : PQerrorMessage(c->pg);
}

static enum st fail(struct conn *c, const char *what, const PGresult *r, struct err *e)
{
    return ERR(e, ST_STORAGE, NULL, "postgresql: %s: %s", what, primary(r, c));
}

static bool simple(struct conn *c, const char *sql, const char *tag)
{
    PGresult *r = PQexec(c->pg, sql);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK && strcmp(PQcmdStatus(r), tag) == 0;
    if (!ok) {
        const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
        snprintf(c->sqlstate, sizeof c->sqlstate, "%s", state ? state : "");
    }
    PQclear(r);
    return ok;
}

static enum st control_fail(struct conn *c, const char *what, struct err *e)
{
    return ERR(e, ST_STORAGE, NULL, "postgresql: %s: %s", what, PQerrorMessage(c->pg));
}

static enum st prepare(struct conn *c, enum query q, struct err *e)
{
    char name[16];
    snprintf(name, sizeof name, "q%d", (int)q);
    PGresult *r = PQprepare(c->pg, name, sql_text[q], 0, NULL);
    enum st st = ST_OK;
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
        if (state && strncmp(state, "42", 2) == 0) { /* syntax or undefined name */
            log_msg(LOG_ERROR, "postgresql: cannot prepare %s: %s", query_name[q], primary(r, c));
            abort(); /* a query of ours that does not compile is a build defect */
        }
        st = fail(c, query_name[q], r, e);
    } else {
        c->prepared[q] = true;
    }
    PQclear(r);
    return st;
}

/* The statements one pipeline carries at most: BEGIN, RELEASE,
 * SAVEPOINT, PREPARE and the statement. */
#define PIPE_MAX 5

/* Reads a pipeline's results up to its sync: the first result of its
 * statement i into res[i] (after a failure the server skips the rest:
 * PGRES_PIPELINE_ABORTED). False when the connection failed first; what
 * did not come stays NULL. */
static bool collect(PGconn *pg, PGresult **res, int n)
{
    int i = 0;
    bool after_null = false;
    for (;;) {
        PGresult *r = PQgetResult(pg);
        if (!r) { /* the end of statement i's results */
            if (after_null || PQstatus(pg) != CONNECTION_OK)
                return false; /* nothing more is coming */
            after_null = true;
            i++;
            continue;
        }
        after_null = false;
        if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
            PQclear(r);
            return true;
        }
        if (i < n && !res[i])
            res[i] = r;
        else
            PQclear(r);
    }
}

/* The statements of a pipeline, sent in order, then a sync. */
static bool send_all(struct conn *c, const char *const *control, int ncontrol, enum query q,
                     const char *name, const struct pgs_params *p)
{
    for (int i = 0; i < ncontrol; i++)
        if (!PQsendQueryParams(c->pg, control[i], 0, NULL, NULL, NULL, NULL, 0))
            return false;
    if (!c->prepared[q] && !PQsendPrepare(c->pg, name, sql_text[q], 0, NULL))
        return false;
    return PQsendQueryPrepared(c->pg, name, p->n, p->v, p->len, p->fmt, 1) && PQpipelineSync(c->pg);
}

/* The control statements c holds back for a batch's write, to be sent
 * with its first statement: the batch's BEGIN (before its first
 * statement), the RELEASE of the previous write's savepoint (when one is
 * open) and this write's SAVEPOINT. */
static int held_back(const struct conn *c, const char *control[3])
{
    int n = 0;
    if (c->begin_pending)
        control[n++] = "BEGIN";
    if (c->savepoint_open)
        control[n++] = "RELEASE SAVEPOINT w";
    control[n++] = "SAVEPOINT w";
    return n;
}

static void savepoint_taken(struct conn *c)
{
    c->begin_pending = false;
    c->savepoint = PGS_SP_TAKEN;
    c->savepoint_open = true;
}

enum st pgs_settle(struct conn *c, struct err *e)
{
    if (c->savepoint != PGS_SP_PENDING)
        return ST_OK;
    const char *control[3];
    int n = held_back(c, control);
    char sql[64] = "";
    for (int i = 0; i < n; i++) /* one simple query: one round trip */
        snprintf(sql + strlen(sql), sizeof sql - strlen(sql), "%s%s", i ? ";" : "", control[i]);
    if (!simple(c, sql, "SAVEPOINT"))
        return control_fail(c, "savepoint", e);
    savepoint_taken(c);
    return ST_OK;
}

/* What the control statements and the PREPARE of a pipeline answered:
 * ST_OK when all succeeded (the savepoint is then taken). */
static enum st control_results(struct conn *c, PGresult **res, const char *const *control,
                               int ncontrol, enum query q, struct err *e)
{
    for (int i = 0; i < ncontrol; i++) {
        if (PQresultStatus(res[i]) != PGRES_COMMAND_OK)
            return fail(c, control[i], res[i], e);
        if (strcmp(control[i], "BEGIN") == 0)
            c->begin_pending = false;
    }
    savepoint_taken(c);
    if (c->prepared[q])
        return ST_OK;
    PGresult *r = res[ncontrol];
    if (PQresultStatus(r) == PGRES_COMMAND_OK) {
        c->prepared[q] = true;
        return ST_OK;
    }
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    if (state && strncmp(state, "42", 2) == 0) { /* syntax or undefined name */
        log_msg(LOG_ERROR, "postgresql: cannot prepare %s: %s", query_name[q], primary(r, c));
        abort(); /* a query of ours that does not compile is a build defect */
    }
    return fail(c, query_name[q], r, e);
}

/* The first statement of a batch's write: sent in one pipeline after the
 * control statements held back (held_back) and q's PREPARE when c has not
 * prepared it, so they cost no round trip of their own. On ST_OK *out is
 * q's result, whatever it says (NULL when the connection failed). Whatever
 * happens, c leaves pipeline mode, or is broken (and closed by
 * pgs_release). */
static enum st exec_in_savepoint(struct conn *c, enum query q, const char *name,
                                 const struct pgs_params *p, PGresult **out, struct err *e)
{
    const char *control[3];
    int ncontrol = held_back(c, control);
    int n = ncontrol + !c->prepared[q] + 1;
    PGresult *res[PIPE_MAX] = {0};
    if (!PQenterPipelineMode(c->pg))
        return control_fail(c, "pipeline", e);
    /* Without its sync nothing of a pipeline would come back: read only
     * what was sent whole. */
    if (send_all(c, control, ncontrol, q, name, p))
        collect(c->pg, res, n);
    PQexitPipelineMode(c->pg); /* fails only on a connection left broken */
    enum st st = control_results(c, res, control, ncontrol, q, e);
    if (st == ST_OK) {
        *out = res[n - 1];
        res[n - 1] = NULL;
    }
    for (int i = 0; i < n; i++)
        PQclear(res[i]);
    return st;
}

/* Runs q; on ST_OK *res holds its result (PQclear it). */
static enum st exec_q(struct conn *c, enum query q, const struct pgs_params *p,
                      enum st on_constraint, PGresult **res, struct err *e)
{
    *res = NULL;
    c->sqlstate[0] = c->constraint[0] = '\0';
    char name[16];
    snprintf(name, sizeof name, "q%d", (int)q);
    static const struct pgs_params none;
    if (!p)
        p = &none;
    PGresult *r = NULL;
    enum st st = ST_OK;
    if (c->savepoint == PGS_SP_PENDING) {
        st = exec_in_savepoint(c, q, name, p, &r, e);
    } else {
        st = c->prepared[q] ? ST_OK : prepare(c, q, e);
        if (st == ST_OK)
            r = PQexecPrepared(c->pg, name, p->n, p->v, p->len, p->fmt, 1);
    }
    if (st != ST_OK)
        return st;
    ExecStatusType rs = PQresultStatus(r);
    if (rs == PGRES_COMMAND_OK || rs == PGRES_TUPLES_OK) {
        *res = r;
        return ST_OK;
    }
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    snprintf(c->sqlstate, sizeof c->sqlstate, "%s", state ? state : "");
    const char *cons = r ? PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME) : NULL;
    snprintf(c->constraint, sizeof c->constraint, "%s", cons ? cons : "");
    if (state && strncmp(state, "23", 2) == 0)
        st = ERR(e, on_constraint, NULL, "constraint violated");
    else
        st = fail(c, query_name[q], r, e);
    PQclear(r);
    return st;
}

enum st pgs_run(struct conn *c, enum query q, const struct pgs_params *p, enum st on_constraint,
                long *changed, struct err *e)
{
    PGresult *r = NULL;
    enum st st = exec_q(c, q, p, on_constraint, &r, e);
    if (st == ST_OK && changed)
        *changed =
            PQresultStatus(r) == PGRES_TUPLES_OK ? PQntuples(r) : strtol(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return st;
}

enum st pgs_changed_one(struct conn *c, enum query q, const struct pgs_params *p, const char *what,
                        struct err *e)
{
    long n = 0;
    enum st st = pgs_run(c, q, p, ST_CONFLICT, &n, e);
    if (st == ST_OK && n == 0)
        st = ERR(e, ST_NOT_FOUND, NULL, "no such %s", what);
    return st;
}

enum st pgs_exists(struct conn *c, enum query q, const struct pgs_params *p, bool *found,
                   struct err *e)
{
    long n = 0;
    enum st st = pgs_run(c, q, p, ST_CONFLICT, &n, e);
    *found = st == ST_OK && n > 0;
    return st;
}

enum st pgs_read_one(struct conn *c, const struct pgs_read *r, void *out, struct err *e)
{
    PGresult *res = NULL;
    enum st st = exec_q(c, r->q, &r->p, ST_CONFLICT, &res, e);
    if (st != ST_OK)
        return st;
    if (PQntuples(res) > 0)
        st = r->row(r->a, res, 0, out, e);
    else if (r->what)
        st = ERR(e, ST_NOT_FOUND, NULL, "no such %s", r->what);
    PQclear(res);
    return st;
}

/* A read that failed because its pooled connection had broken (the
 * server restarted, say) is tried once more on a new one. */
static bool broken(const struct conn *c)
{
    return PQstatus(c->pg) != CONNECTION_OK || PQpipelineStatus(c->pg) != PQ_PIPELINE_OFF;
}

enum st pgs_query_one(struct store *s, const struct pgs_read *r, void *out, struct err *e)
{
    for (int attempt = 0;; attempt++) {
        struct conn *c = NULL;
        enum st st = pgs_acquire(s, &c, e);
        if (st != ST_OK)
            return st;
        st = pgs_read_one(c, r, out, e);
        bool retry = st == ST_STORAGE && broken(c) && attempt == 0;
        pgs_release(s, c);
        if (!retry)
            return st;
        err_clear(e);
    }
}

static enum st read_rows(struct conn *c, const struct pgs_read *r, struct pgs_rows *out,
                         struct err *e)
{
    PGresult *res = NULL;
    out->v = arena_alloc(r->a, r->size);
    out->n = 0;
    enum st st = exec_q(c, r->q, &r->p, ST_CONFLICT, &res, e);
    if (st != ST_OK)
        return st;
    int n = PQntuples(res);
    char *v = arena_alloc(r->a, (size_t)(n ? n : 1) * r->size);
    for (int i = 0; i < n && st == ST_OK; i++)
        st = r->row(r->a, res, i, v + (size_t)i * r->size, e);
    PQclear(res);
    out->v = v;
    out->n = st == ST_OK ? n : 0;
    return st;
}

enum st pgs_query_list(struct store *s, const struct pgs_read *r, struct pgs_rows *out,
                       struct err *e)
{
    for (int attempt = 0;; attempt++) {
        struct conn *c = NULL;
        enum st st = pgs_acquire(s, &c, e);
        if (st != ST_OK)
            return st;
        st = read_rows(c, r, out, e);
        bool retry = st == ST_STORAGE && broken(c) && attempt == 0;
        pgs_release(s, c);
        if (!retry)
            return st;
        err_clear(e);
    }
}

/* ---- connections ------------------------------------------------------------- */

/* The server's notices ("relation ... already exists, skipping") are not
 * errors and not for the log. */
static void on_notice(void *arg, const char *msg)
{
    (void)arg, (void)msg;
}

static void conn_free(struct conn *c)
{
    if (!c)
        return;
    PQfinish(c->pg);
    free(c);
}

/* Connects to url. Defaults that the URL may override: a connection
 * attempt gives up after 5 s, a dead server is noticed by keepalives and
 * unacknowledged writes within about 15 s, and no statement runs longer
 * than 30 s, so a lost database is an error and never a hang. */
enum st pgs_connect(const char *url, const char *app, PGconn **out, struct err *e)
{
    static const char *const keys[] = {"connect_timeout",  "keepalives",
                                       "keepalives_idle",  "keepalives_interval",
                                       "keepalives_count", "tcp_user_timeout",
                                       "options",          "application_name",
                                       "dbname",           NULL};
    const char *values[] = {"5", "1", "10", "2", "3", "15000", "-c statement_timeout=30000",
                            app, url, NULL};
    PGconn *pg = PQconnectdbParams(keys, values, 1);
    if (PQstatus(pg) != CONNECTION_OK) {
        /* libpq's message names host and port, never the password */
        enum st st = ERR(e, ST_STORAGE, NULL, "cannot connect to PostgreSQL: %s",
                         pg ? PQerrorMessage(pg) : "out of memory");
        PQfinish(pg);
        return st;
    }
    PQsetNoticeProcessor(pg, on_notice, NULL);
    *out = pg;
    return ST_OK;
}

static enum st conn_open(const char *url, struct conn **out, struct err *e)
{
    PGconn *pg = NULL;
    enum st st = pgs_connect(url, PGS_APP_NAME, &pg, e);
    if (st != ST_OK)
        return st;
    struct conn *c = xcalloc(1, sizeof *c);
    c->pg = pg;
    *out = c;
    return ST_OK;
}

enum st pgs_acquire(struct store *s, struct conn **out, struct err *e)
{
    struct pg_store *ps = (struct pg_store *)s;
    struct conn *c = NULL;
    pthread_mutex_lock(&ps->mu);
    while ((c = ps->idle) && broken(c)) { /* a connection known dead goes */
        ps->idle = c->next;
        conn_free(c);
    }
    if (c)
        ps->idle = c->next;
    pthread_mutex_unlock(&ps->mu);
    if (!c) {
        enum st st = conn_open(ps->url, &c, e);
        if (st != ST_OK)
            return st;
    }
    c->next = NULL;
    *out = c;
    return ST_OK;
}

void pgs_release(struct store *s, struct conn *c)
{
    struct pg_store *ps = (struct pg_store *)s;
    if (!c)
        return;
    if (!broken(c) && PQtransactionStatus(c->pg) != PQTRANS_IDLE)
        simple(c, "ROLLBACK", "ROLLBACK");
    if (broken(c) || PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
        conn_free(c);
        return;
    }
    pthread_mutex_lock(&ps->mu);
    c->next = ps->idle;
    ps->idle = c;
    pthread_mutex_unlock(&ps->mu);
}

/* ---- writes and batches -------------------------------------------------------- */

/* Commits c's transaction, announcing to every server listening (this one
 * too) the domains it changed (a bit each): NOTIFY in the same
 * transaction, so it is delivered only if the commit succeeds, and only
 * after it; PostgreSQL delivers a transaction's notifications in commit
 * order. One round trip: the NOTIFYs travel with the COMMIT. The payload
 * is the domain's name, never an id or a value. */
static bool commit(struct conn *c, unsigned domains)
{
    char sql[SD__COUNT * 48 + 8] = "";
    size_t n = 0;
    for (int d = 0; d < SD__COUNT; d++)
        if ((domains & (1u << d)) && store_domain_announced((enum store_domain)d))
            n += (size_t)snprintf(sql + n, sizeof sql - n, "NOTIFY " PGS_CHANNEL ", '%s';",
                                  store_domain_name((enum store_domain)d));
    snprintf(sql + n, sizeof sql - n, "COMMIT");
    return simple(c, sql, "COMMIT");
}

/* The domain bit of the write this thread is making (pgs_write_domain). */
static unsigned write_domain_bit(void)
{
    return pgs_write_domain < SD__COUNT ? 1u << pgs_write_domain : 0;
}

/* Runs one write in a savepoint of the open transaction, so that a write
 * refused for its own reasons rolls back alone. The savepoint travels with
 * the write's first statement (exec_in_savepoint); it is released with the
 * next write's, or by the COMMIT, so a write that succeeds costs no round
 * trip besides its statements. A write that failed before any statement
 * took no savepoint and changed nothing: nothing to roll back. */
static enum st in_savepoint(struct conn *c, pgs_write_fn fn, const void *args, struct err *e)
{
    c->savepoint = PGS_SP_PENDING;
    enum st st = fn(c, args, e);
    bool taken = c->savepoint == PGS_SP_TAKEN;
    c->savepoint = PGS_SP_NONE;
    if (st == ST_OK) {
        batch_of_thread.domains |= write_domain_bit();
        return ST_OK;
    }
    if (taken && !simple(c, "ROLLBACK TO SAVEPOINT w", "ROLLBACK")) {
        err_clear(e); /* the batch cannot go on: its transaction holds this write */
        return control_fail(c, "rollback to savepoint", e);
    }
    return st;
}

/* A deadlock or serialization failure: the server rolled the transaction
 * back, and running it again is safe. */
static bool retryable(const struct conn *c)
{
    return strcmp(c->sqlstate, "40P01") == 0 || strcmp(c->sqlstate, "40001") == 0;
}

/* One attempt of a write in a transaction of its own on c; *begun once
 * its BEGIN went through. */
static enum st write_once(struct conn *c, pgs_write_fn fn, const void *args, bool *begun,
                          struct err *e)
{
    *begun = simple(c, "BEGIN", "BEGIN");
    if (!*begun)
        return control_fail(c, "begin", e);
    enum st st = fn(c, args, e);
    if (st != ST_OK) {
        simple(c, "ROLLBACK", "ROLLBACK");
        return st;
    }
    if (!commit(c, write_domain_bit())) /* an aborted transaction answers ROLLBACK */
        st = control_fail(c, "commit", e);
    return st;
}

enum st pgs_write(struct store *s, pgs_write_fn fn, const void *args, struct err *e)
{
    struct pg_store *ps = (struct pg_store *)s;
    if (batch_of_thread.s == ps) /* durable when the batch is committed */
        return in_savepoint(batch_of_thread.c, fn, args, e);
    for (int attempt = 0;; attempt++) {
        struct conn *c = NULL;
        bool begun = false;
        enum st st = pgs_acquire(s, &c, e);
        if (st != ST_OK)
            return st;
        st = write_once(c, fn, args, &begun, e);
        /* Safe to run again: a pooled connection found dead at BEGIN (the
         * server restarted) changed nothing; a deadlock's loser was rolled
         * back whole. */
        bool retry = st == ST_STORAGE && attempt < 3 &&
                     ((!begun && broken(c) && attempt == 0) || retryable(c));
        pgs_release(s, c);
        if (!retry)
            return st;
        err_clear(e);
    }
}

/* The batch's BEGIN waits for its first statement (exec_in_savepoint): a
 * batch whose writes all failed before sending any has no transaction. */
enum st pgs_batch_begin(struct store *s, struct err *e)
{
    struct conn *c = NULL;
    enum st st = pgs_acquire(s, &c, e);
    if (st != ST_OK)
        return st;
    c->begin_pending = true;
    c->savepoint = PGS_SP_NONE;
    c->savepoint_open = false;
    batch_of_thread.s = (struct pg_store *)s;
    batch_of_thread.c = c;
    batch_of_thread.domains = 0;
    return ST_OK;
}

enum st pgs_batch_end(struct store *s, struct err *e)
{
    struct conn *c = batch_of_thread.c;
    enum st st = ST_OK;
    if (!c->begin_pending && !commit(c, batch_of_thread.domains))
        st = control_fail(c, "commit", e);
    c->begin_pending = false;
    batch_of_thread.s = NULL;
    batch_of_thread.c = NULL;
    pgs_release(s, c); /* rolls back what a failed commit left */
    return st;
}

enum st pgs_batch_abort(struct store *s, struct err *e)
{
    struct conn *c = batch_of_thread.c;
    enum st st = ST_OK;
    if (c && !c->begin_pending && !broken(c) && !simple(c, "ROLLBACK", "ROLLBACK"))
        st = control_fail(c, "rollback", e);
    if (c)
        c->begin_pending = false;
    batch_of_thread.s = NULL;
    batch_of_thread.c = NULL;
    pgs_release(s, c);
    return st;
}

void pgs_close(struct store *s)
{
    struct pg_store *ps = (struct pg_store *)s;
    pgs_listener_stop(ps->listener); /* before the cache it tells goes */
    struct conn *c = ps->idle;
    while (c) {
        struct conn *next = c->next;
        conn_free(c);
        c = next;
    }
    pthread_mutex_destroy(&ps->mu);
    free(ps->url);
    free(ps);
}

/* ---- migrations ------------------------------------------------------------------ */

/* Any 64-bit number of our own: servers starting at once wait on it, so
 * one migrates and the others find the schema made. */
#define MIGRATION_LOCK "7305189430210562049"

static enum st exec_simple(struct conn *c, const char *sql, PGresult **res, struct err *e)
{
    PGresult *r = PQexec(c->pg, sql);
    ExecStatusType rs = PQresultStatus(r);
    if (rs == PGRES_COMMAND_OK || rs == PGRES_TUPLES_OK) {
        if (res)
            *res = r;
        else
            PQclear(r);
        return ST_OK;
    }
    enum st st = fail(c, "migration", r, e);
    PQclear(r);
    return st;
}

/* The schema's version: the highest migration applied, 0 for none. */
static enum st schema_version(struct conn *c, int *version, struct err *e)
{
    PGresult *r = NULL;
    enum st st = exec_simple(c,
                             "CREATE TABLE IF NOT EXISTS schema_version ("
                             " version INTEGER PRIMARY KEY,"
                             " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                             NULL, e);
    if (st == ST_OK)
        st = exec_simple(c, "SELECT COALESCE(max(version), 0) FROM schema_version", &r, e);
    if (st == ST_OK)
        *version = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    return st;
}

static enum st migrate_locked(struct conn *c, struct err *e)
{
    int version = 0;
    enum st st = exec_simple(c, "SELECT pg_advisory_xact_lock(" MIGRATION_LOCK ")", NULL, e);
    if (st == ST_OK)
        st = schema_version(c, &version, e);
    if (st == ST_OK && version > pg_migrations_count)
        return ERR(e, ST_STORAGE, NULL,
                   "database schema version %d is newer than this socialgate (%d)", version,
                   pg_migrations_count);
    for (int v = version; st == ST_OK && v < pg_migrations_count; v++) {
        char set[80];
        snprintf(set, sizeof set, "INSERT INTO schema_version(version) VALUES (%d)", v + 1);
        st = exec_simple(c, pg_migrations[v], NULL, e);
        if (st == ST_OK)
            st = exec_simple(c, set, NULL, e);
    }
    return st;
}

/* Brings the schema up to date in one transaction: all the migrations
 * missing, or none. */
static enum st migrate(struct conn *c, struct err *e)
{
    if (!simple(c, "BEGIN", "BEGIN"))
        return control_fail(c, "begin", e);
    enum st st = migrate_locked(c, e);
    if (st == ST_OK && !simple(c, "COMMIT", "COMMIT"))
        st = control_fail(c, "commit", e);
    if (st != ST_OK)
        simple(c, "ROLLBACK", "ROLLBACK");
    return st;
}

enum st store_pg_open(const char *url, bool server, struct store **out, struct err *e)
{
    (void)server; /* many servers may share a PostgreSQL database: no lock */
    *out = NULL;
    struct conn *c = NULL;
    enum st st = conn_open(url, &c, e);
    if (st == ST_OK)
        st = migrate(c, e);
    if (st != ST_OK) {
        conn_free(c);
        return st;
    }
    struct pg_store *ps = xcalloc(1, sizeof *ps);
    ps->base.ops = &pg_ops;
    ps->url = xstrdup(url);
    pthread_mutex_init(&ps->mu, NULL);
    ps->idle = c;
    *out = &ps->base;
    return ST_OK;
}

enum st store_pg_listen(struct store *pg, struct store *cache, struct err *e)
{
    struct pg_store *ps = (struct pg_store *)pg;
    if (ps->listener)
        return ERR(e, ST_INTERNAL, NULL, "the store has a listener already");
    return pgs_listener_start(ps->url, cache, &ps->listener, e);
}
