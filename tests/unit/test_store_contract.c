/* SPDX-License-Identifier: MIT */
/*
 * The store contract: every operation of STORE_OPS as store.h promises it,
 * run through the public store_* functions only, once per backend of the
 * table below (each test is a Criterion parameterized test). A backend is
 * added by adding one line to `backends`; it must pass unchanged.
 *
 * The PostgreSQL entry needs a cluster named by SOCIALGATE_TEST_PG (a libpq
 * URI with the right to CREATE DATABASE): meson test runs this suite
 * through scripts/pg-cluster, which starts a throwaway one. Without the
 * variable the PostgreSQL tests fail; they never pass by skipping.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store_int.h"

static char T_dir[64]; /* "" until made */
static struct arena T_a;
static const char *T_backend; /* named by every failed assertion */

/* Opens an empty store of the backend whose files, if any, go in dir. */
typedef enum st (*backend_open_fn)(const char *dir, struct store **out, struct err *e);
/* Removes what open made outside dir, once the store is closed. */
typedef void (*backend_drop_fn)(void);

struct backend {
    const char *name;
    backend_open_fn open;
    backend_drop_fn drop; /* NULL: dir holds everything */
};

static enum st open_sqlite(const char *dir, struct store **out, struct err *e)
{
    char path[128];
    snprintf(path, sizeof path, "%s/contract.db", dir);
    return store_sqlite_open(path, false, out, e);
}

static enum st open_cached_sqlite(const char *dir, struct store **out, struct err *e)
{
    enum st st = open_sqlite(dir, out, e);
    if (st == ST_OK)
        *out = store_cache_wrap(*out);
    return st;
}

/* ---- PostgreSQL: a database of its own per test ------------------------- */

#define PG_ENV "SOCIALGATE_TEST_PG"

static PGconn *T_pg;    /* to the cluster's maintenance database */
static char T_pgdb[48]; /* the test's database, "" until created */

/* Runs one statement on T_pg; false with the server's message in e. */
static bool pg_run(const char *sql, struct err *e)
{
    PGresult *r = PQexec(T_pg, sql);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok)
        ERR(e, ST_STORAGE, NULL, "%s: %s", sql, PQerrorMessage(T_pg));
    return ok;
}

/* The test database's URI: the maintenance connection's host (a socket
 * directory, percent-encoded), port and user. A password, if the cluster
 * wants one, comes to both through PGPASSWORD or ~/.pgpass. */
static char *pg_uri(void)
{
    return arena_printf(&T_a, "postgresql:///%s?host=%s&port=%s&user=%s", T_pgdb,
                        util_pct_encode(&T_a, PQhost(T_pg)), PQport(T_pg),
                        util_pct_encode(&T_a, PQuser(T_pg)));
}

/* Creates sg_contract_<pid>_<n> and checks that its URI reaches it (so
 * that a failure below is the backend's); *uri from T_a. */
static enum st create_pg(const char **uri, struct err *e)
{
    static unsigned n;
    const char *admin = getenv(PG_ENV);
    if (!admin || !*admin)
        return ERR(e, ST_STORAGE, NULL,
                   PG_ENV " is not set: run this suite through scripts/pg-cluster "
                          "(meson test does)");
    T_pg = PQconnectdb(admin);
    if (PQstatus(T_pg) != CONNECTION_OK)
        return ERR(e, ST_STORAGE, NULL, PG_ENV ": %s", PQerrorMessage(T_pg));
    char name[sizeof T_pgdb], sql[96];
    snprintf(name, sizeof name, "sg_contract_%ld_%u", (long)getpid(), n++);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
    if (!pg_run(sql, e))
        return ST_STORAGE;
    memcpy(T_pgdb, name, sizeof T_pgdb);
    *uri = pg_uri();
    PGconn *probe = PQconnectdb(*uri);
    bool reached = PQstatus(probe) == CONNECTION_OK;
    PQfinish(probe);
    if (!reached)
        return ERR(e, ST_STORAGE, NULL, "created %s, but %s does not reach it", T_pgdb, *uri);
    return ST_OK;
}

/* The first error wins: make room for the database's name. */
static enum st named(enum st st, const char *uri, struct err *e)
{
    if (st != ST_OK) {
        char why[sizeof e->msg];
        snprintf(why, sizeof why, "%s", e->msg);
        err_clear(e);
        ERR(e, st, NULL, "open(\"%s\"): %s", uri, why);
    }
    return st;
}

/* The backend alone, without the cache or its listener. */
static enum st open_pg(const char *dir, struct store **out, struct err *e)
{
    (void)dir;
    const char *uri = NULL;
    enum st st = create_pg(&uri, e);
    return st == ST_OK ? named(store_pg_open(uri, false, out, e), uri, e) : st;
}

/* With store_open, the way the server opens it: cached, with the listener
 * that keeps the cache told of other servers' writes. */
static enum st open_cached_pg(const char *dir, struct store **out, struct err *e)
{
    (void)dir;
    const char *uri = NULL;
    enum st st = create_pg(&uri, e);
    return st == ST_OK ? named(store_open(uri, out, e), uri, e) : st;
}

/* Plain DROP, no FORCE: it fails if store_close left a connection open. */
static void drop_pg(void)
{
    if (T_pgdb[0]) {
        char sql[96];
        struct err e = {0};
        snprintf(sql, sizeof sql, "DROP DATABASE %s", T_pgdb);
        cr_expect(pg_run(sql, &e), "%s: %s", T_backend, e.msg);
        T_pgdb[0] = '\0';
    }
    PQfinish(T_pg);
    T_pg = NULL;
}

static const struct backend backends[] = {
    {"sqlite", open_sqlite, NULL},
    {"sqlite+cache", open_cached_sqlite, NULL},
    {"postgresql", open_pg, drop_pg},
    {"postgresql+cache", open_cached_pg, drop_pg},
};

#define CID_A "3cc14467-fd4f-437d-a0c0-0b3888dd2ee4"
#define CID_B "e0a70b4f-1eef-4856-bcdb-f050fee66aae"
#define POL_1 "00000000-0000-4000-8000-000000000001"
#define POL_2 "00000000-0000-4000-8000-000000000002"
#define CL_1 "client1aaaaaaaaaaaaaaaaaaaaaaaaa"
#define CL_2 "client2aaaaaaaaaaaaaaaaaaaaaaaaa"
#define APP "myapp"
#define PROV_1 "00000000-0000-4000-8000-0000000000a1"
#define PROV_2 "00000000-0000-4000-8000-0000000000a2"

static const struct backend *T_b;
static struct store *T_store;

static struct store *contract_open(const struct backend *b)
{
    T_b = b;
    T_backend = b->name;
    cr_assert_eq(util_init(), ST_OK);
    char dir[] = "/tmp/sg-store-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    snprintf(T_dir, sizeof T_dir, "%s", dir);
    arena_init(&T_a);
    struct err e = {0};
    cr_assert_eq(b->open(T_dir, &T_store, &e), ST_OK, "%s: %s", b->name, e.msg);
    return T_store;
}

/* The tests' .fini: runs after a failed assertion too, so that no
 * directory or database outlives its test. */
static void contract_close(void)
{
    store_close(T_store);
    T_store = NULL;
    if (T_b && T_b->drop)
        T_b->drop();
    arena_cleanup(&T_a);
    if (T_dir[0]) {
        char cmd[96];
        snprintf(cmd, sizeof cmd, "rm -rf %s", T_dir);
        cr_expect_eq(system(cmd), 0);
    }
}

#define NBACKENDS (sizeof backends / sizeof backends[0])

/* Criterion copies a test's parameter into the process that runs it, where
 * the parent's pointers mean nothing: the parameter is an index. */
static size_t *backend_indices(void)
{
    static size_t idx[NBACKENDS];
    for (size_t i = 0; i < NBACKENDS; i++)
        idx[i] = i;
    return idx;
}

/* CONTRACT(name) { body using s } : one test per backend. */
#define CONTRACT(name)                                                                             \
    static void name(struct store *s);                                                             \
    ParameterizedTestParameters(store, name)                                                       \
    {                                                                                              \
        return cr_make_param_array(size_t, backend_indices(), NBACKENDS);                          \
    }                                                                                              \
    ParameterizedTest(size_t *i, store, name, .fini = contract_close)                              \
    {                                                                                              \
        name(contract_open(&backends[*i]));                                                        \
    }                                                                                              \
    static void name(struct store *s)

#define OK(call) cr_assert_eq((call), ST_OK, "%s: %s", T_backend, #call)
#define IS(want, call) cr_assert_eq((call), (want), "%s: %s", T_backend, #call)

static const char *scopes[] = {"read", "write"};

static struct policy policy(const char *id, const char *title)
{
    struct policy p = {.title = title, .access_lifetime = 3600, .refresh_lifetime = 0};
    p.scopes = scopes;
    p.nscopes = 2;
    snprintf(p.id, sizeof p.id, "%s", id);
    return p;
}

static struct client client(const char *id, const char *name, const char *pid)
{
    struct client c = {.name = name, .type = "confidential"};
    snprintf(c.id, sizeof c.id, "%s", id);
    snprintf(c.policy_id, sizeof c.policy_id, "%s", pid);
    return c;
}

static struct sealed_secret secret(unsigned char fill)
{
    static unsigned char blob[40];
    struct sealed_secret sec = {.blob = blob, .len = sizeof blob};
    memset(blob, fill, sizeof blob);
    memset(sec.verifier, fill, sizeof sec.verifier);
    return sec;
}

/* A customer with a policy and a client using it. */
static void seed_client(struct store *s, const char *cid)
{
    struct policy p = policy(POL_1, "default");
    struct client c = client(CL_1, "first", POL_1);
    struct sealed_secret sec = secret(7);
    OK(store_customer_create(s, cid, NULL));
    OK(store_policy_create(s, cid, &p, NULL));
    OK(store_client_create(s, cid, &c, &sec, NULL));
}

static struct provider_rec provider(const char *id, const char *created)
{
    static const unsigned char sealed[] = {1, 2, 3, 4};
    struct provider_rec p = {.protocol = "oidc", .doc = "{\"name\":\"x\"}", .summary = "{}"};
    snprintf(p.id, sizeof p.id, "%s", id);
    snprintf(p.app_id, sizeof p.app_id, "%s", APP);
    p.secret = sealed;
    p.secret_len = sizeof sealed;
    snprintf(p.etag, sizeof p.etag, "etag-%s", id);
    snprintf(p.created_at, sizeof p.created_at, "%s", created);
    snprintf(p.updated_at, sizeof p.updated_at, "%s", created);
    return p;
}

/* A customer with an app and two providers. */
static void seed_providers(struct store *s, const char *cid)
{
    struct login_app app = {.id = APP, .name = "My app", .realm = "r"};
    struct provider_rec p1 = provider(PROV_1, "2026-01-01T00:00:00.000000001Z");
    struct provider_rec p2 = provider(PROV_2, "2026-01-01T00:00:00.000000002Z");
    OK(store_customer_create(s, cid, NULL));
    OK(store_app_create(s, cid, &app, NULL));
    OK(store_provider_create(s, cid, &p1, NULL));
    OK(store_provider_create(s, cid, &p2, NULL));
}

/* ---- customers and policies ---------------------------------------------- */

CONTRACT(customer_create_twice_is_conflict)
{
    OK(store_customer_create(s, CID_A, NULL));
    IS(ST_CONFLICT, store_customer_create(s, CID_A, NULL));
}

CONTRACT(policy_create_get_list_update_delete)
{
    struct policy p1 = policy(POL_1, "one"), p2 = policy(POL_2, "two"), got;
    OK(store_customer_create(s, CID_A, NULL));
    OK(store_policy_create(s, CID_A, &p1, NULL));
    OK(store_policy_create(s, CID_A, &p2, NULL));
    OK(store_policy_get(s, &T_a, (struct row_key){CID_A, POL_1}, &got, NULL));
    cr_expect_str_eq(got.id, POL_1);
    cr_expect_str_eq(got.title, "one");
    cr_expect_eq(got.access_lifetime, 3600);
    cr_assert_eq(got.nscopes, 2);
    cr_expect_str_eq(got.scopes[0], "read");
    cr_expect_str_eq(got.scopes[1], "write");
    struct policy_list l;
    OK(store_policy_list(s, &T_a, CID_A, &l, NULL));
    cr_assert_eq(l.n, 2);
    cr_expect_str_eq(l.v[0].id, POL_1);
    cr_expect_str_eq(l.v[1].id, POL_2);
    p1.title = "renamed";
    p1.nscopes = 1;
    OK(store_policy_update(s, CID_A, &p1, NULL));
    OK(store_policy_get(s, &T_a, (struct row_key){CID_A, POL_1}, &got, NULL));
    cr_expect_str_eq(got.title, "renamed");
    cr_expect_eq(got.nscopes, 1);
    OK(store_policy_delete(s, (struct row_key){CID_A, POL_1}, NULL));
    IS(ST_NOT_FOUND, store_policy_get(s, &T_a, (struct row_key){CID_A, POL_1}, &got, NULL));
    OK(store_policy_list(s, &T_a, CID_A, &l, NULL));
    cr_expect_eq(l.n, 1);
}

CONTRACT(policy_unknown_id_is_not_found)
{
    struct policy p = policy(POL_1, "one"), got;
    struct err e = {0};
    OK(store_customer_create(s, CID_A, NULL));
    IS(ST_NOT_FOUND, store_policy_get(s, &T_a, (struct row_key){CID_A, POL_1}, &got, &e));
    IS(ST_NOT_FOUND, store_policy_update(s, CID_A, &p, NULL));
    IS(ST_NOT_FOUND, store_policy_delete(s, (struct row_key){CID_A, POL_1}, NULL));
    struct policy_list l;
    OK(store_policy_list(s, &T_a, CID_A, &l, NULL));
    cr_expect_eq(l.n, 0);
}

CONTRACT(policy_delete_in_use_is_conflict)
{
    seed_client(s, CID_A);
    IS(ST_CONFLICT, store_policy_delete(s, (struct row_key){CID_A, POL_1}, NULL));
    struct policy got;
    OK(store_policy_get(s, &T_a, (struct row_key){CID_A, POL_1}, &got, NULL));
}

/* ---- clients and secrets --------------------------------------------------- */

CONTRACT(client_create_get_list_update_delete)
{
    seed_client(s, CID_A);
    struct client c2 = client(CL_2, "second", POL_1), got;
    struct sealed_secret sec = secret(9);
    OK(store_client_create(s, CID_A, &c2, &sec, NULL));
    OK(store_client_get(s, &T_a, (struct row_key){CID_A, CL_1}, &got, NULL));
    cr_expect_str_eq(got.name, "first");
    cr_expect_str_eq(got.type, "confidential");
    cr_expect_str_eq(got.policy_id, POL_1);
    struct client_list l;
    OK(store_client_list(s, &T_a, CID_A, &l, NULL));
    cr_assert_eq(l.n, 2);
    cr_expect_str_eq(l.v[0].id, CL_1);
    cr_expect_str_eq(l.v[1].id, CL_2);
    c2.name = "renamed";
    OK(store_client_update(s, CID_A, &c2, NULL));
    OK(store_client_get(s, &T_a, (struct row_key){CID_A, CL_2}, &got, NULL));
    cr_expect_str_eq(got.name, "renamed");
    OK(store_client_delete(s, (struct row_key){CID_A, CL_2}, NULL));
    IS(ST_NOT_FOUND, store_client_get(s, &T_a, (struct row_key){CID_A, CL_2}, &got, NULL));
    IS(ST_NOT_FOUND, store_client_delete(s, (struct row_key){CID_A, CL_2}, NULL));
    IS(ST_NOT_FOUND, store_client_update(s, CID_A, &c2, NULL));
}

/* Renaming a client to a name another one has is a conflict too. */
static void c_update_conflict(struct store *s)
{
    struct client c2 = client(CL_2, "second", POL_1);
    struct sealed_secret sec = secret(9);
    OK(store_client_create(s, CID_A, &c2, &sec, NULL));
    c2.name = "first";
    IS(ST_CONFLICT, store_client_update(s, CID_A, &c2, NULL));
}

CONTRACT(client_name_taken_is_conflict_and_unknown_policy_unprocessable)
{
    seed_client(s, CID_A);
    struct client dup = client(CL_2, "first", POL_1), nopol = client(CL_2, "other", POL_2);
    struct sealed_secret sec = secret(9);
    struct err e = {0};
    IS(ST_CONFLICT, store_client_create(s, CID_A, &dup, &sec, &e));
    cr_expect_str_eq(e.details[0].field, "/name");
    err_clear(&e);
    IS(ST_UNPROCESSABLE, store_client_create(s, CID_A, &nopol, &sec, &e));
    cr_expect_str_eq(e.details[0].field, "/tokenPolicy");
    struct client_list l;
    OK(store_client_list(s, &T_a, CID_A, &l, NULL));
    cr_expect_eq(l.n, 1);
    c_update_conflict(s);
}

CONTRACT(secret_get_set_and_find_any)
{
    struct sealed_secret got = {0};
    IS(ST_NOT_FOUND, store_secret_find_any(s, &got, NULL));
    seed_client(s, CID_A);
    OK(store_secret_get(s, (struct row_key){CID_A, CL_1}, &got, NULL));
    cr_expect_eq(got.len, 40);
    cr_expect_eq(got.blob[0], 7);
    cr_expect_eq(got.verifier[31], 7);
    free(got.blob);
    struct sealed_secret sec = secret(8);
    OK(store_secret_set(s, (struct row_key){CID_A, CL_1}, &sec, NULL));
    OK(store_secret_get(s, (struct row_key){CID_A, CL_1}, &got, NULL));
    cr_expect_eq(got.blob[0], 8);
    cr_expect_eq(got.verifier[0], 8);
    free(got.blob);
    OK(store_secret_find_any(s, &got, NULL));
    cr_expect_eq(got.verifier[0], 8);
    free(got.blob);
    IS(ST_NOT_FOUND, store_secret_get(s, (struct row_key){CID_A, CL_2}, &got, NULL));
    IS(ST_NOT_FOUND, store_secret_set(s, (struct row_key){CID_A, CL_2}, &sec, NULL));
}

/* ---- the token service's look-ups ------------------------------------------ */

CONTRACT(auth_find_and_by_seq_follow_the_client)
{
    seed_client(s, CID_A);
    struct client_auth au, by;
    OK(store_auth_find(s, &T_a, (struct row_key){CID_A, CL_1}, &au, NULL));
    cr_expect_str_eq(au.customer_id, CID_A);
    cr_expect_str_eq(au.client_id, CL_1);
    cr_expect_eq(au.verifier[0], 7);
    cr_expect_eq(au.lifetime, 3600);
    cr_assert_eq(au.nscopes, 2);
    cr_expect_str_eq(au.scopes[1], "write");
    OK(store_auth_by_seq(s, &T_a, au.seq, &by, NULL));
    cr_expect_str_eq(by.client_id, CL_1);
    cr_expect_eq(by.seq, au.seq);
    IS(ST_NOT_FOUND, store_auth_by_seq(s, &T_a, au.seq + 1000, &by, NULL));
    IS(ST_NOT_FOUND, store_auth_find(s, &T_a, (struct row_key){CID_A, CL_2}, &by, NULL));
    /* a changed secret and a deleted client are seen at once */
    struct sealed_secret sec = secret(5);
    OK(store_secret_set(s, (struct row_key){CID_A, CL_1}, &sec, NULL));
    OK(store_auth_find(s, &T_a, (struct row_key){CID_A, CL_1}, &by, NULL));
    cr_expect_eq(by.verifier[0], 5);
    OK(store_client_delete(s, (struct row_key){CID_A, CL_1}, NULL));
    IS(ST_NOT_FOUND, store_auth_find(s, &T_a, (struct row_key){CID_A, CL_1}, &by, NULL));
    IS(ST_NOT_FOUND, store_auth_by_seq(s, &T_a, au.seq, &by, NULL));
}

/* ---- revocations -------------------------------------------------------------- */

CONTRACT(revocation_add_find_and_purge_in_batches)
{
    unsigned char tag[16] = {1};
    bool revoked = true;
    OK(store_revocation_find(s, tag, &revoked, NULL));
    cr_expect_not(revoked);
    OK(store_revocation_add(s, tag, 5000, NULL));
    OK(store_revocation_add(s, tag, 5000, NULL)); /* twice: still one */
    OK(store_revocation_find(s, tag, &revoked, NULL));
    cr_expect(revoked);
    OK(store_batch_begin(s, NULL));
    for (int i = 0; i < STORE_PURGE_BATCH + 20; i++) {
        unsigned char t[16] = {2, (unsigned char)(i >> 8), (unsigned char)i};
        OK(store_revocation_add(s, t, 1000, NULL));
    }
    OK(store_batch_end(s, NULL));
    int purged = -1;
    OK(store_revocation_purge(s, 1000, &purged, NULL));
    cr_expect_eq(purged, STORE_PURGE_BATCH);
    OK(store_revocation_purge(s, 1000, &purged, NULL));
    cr_expect_eq(purged, 20);
    OK(store_revocation_purge(s, 1000, &purged, NULL));
    cr_expect_eq(purged, 0);
    OK(store_revocation_find(s, tag, &revoked, NULL)); /* not expired: kept */
    cr_expect(revoked);
    OK(store_revocation_purge(s, 5000, &purged, NULL));
    cr_expect_eq(purged, 1);
    OK(store_revocation_find(s, tag, &revoked, NULL));
    cr_expect_not(revoked);
}

/* ---- apps and providers ------------------------------------------------------ */

CONTRACT(app_create_get_list)
{
    struct login_app app = {.id = APP, .name = "My app", .realm = "r"}, got;
    OK(store_customer_create(s, CID_A, NULL));
    IS(ST_NOT_FOUND, store_app_get(s, &T_a, (struct row_key){CID_A, APP}, &got, NULL));
    OK(store_app_create(s, CID_A, &app, NULL));
    IS(ST_CONFLICT, store_app_create(s, CID_A, &app, NULL));
    OK(store_app_get(s, &T_a, (struct row_key){CID_A, APP}, &got, NULL));
    cr_expect_str_eq(got.name, "My app");
    cr_expect_str_eq(got.realm, "r");
    struct app_list l;
    OK(store_app_list(s, &T_a, CID_A, &l, NULL));
    cr_assert_eq(l.n, 1);
    cr_expect_str_eq(l.v[0].id, APP);
}

CONTRACT(app_reads_default_token_urls_and_settings)
{
    struct login_app app = {.id = APP, .name = "My app", .realm = "r"}, got;
    OK(store_customer_create(s, CID_A, NULL));
    OK(store_app_create(s, CID_A, &app, NULL));
    OK(store_app_get(s, &T_a, (struct row_key){CID_A, APP}, &got, NULL));
    cr_expect_str_eq(got.token_urls, "[]");
    cr_expect_str_eq(got.settings, "{}");
}

static enum st on_app(void *arg, const struct login_app *cur, struct login_app *next)
{
    const struct login_app *want = arg;
    if (!want)
        return ST_UNPROCESSABLE;
    cr_expect_str_eq(next->name, cur->name, "next starts as a copy of cur");
    next->name = want->name;
    next->realm = want->realm;
    next->token_urls = want->token_urls;
    next->settings = want->settings;
    return ST_OK;
}

CONTRACT(app_modify_writes_fn_result_and_fn_status_abandons)
{
    struct login_app app = {.id = APP, .name = "My app", .realm = "r"}, got;
    OK(store_customer_create(s, CID_A, NULL));
    OK(store_app_create(s, CID_A, &app, NULL));
    struct row_key k = {CID_A, APP};
    struct login_app next = {.id = APP,
                             .name = "Renamed",
                             .realm = "https://r2",
                             .token_urls = "[\"https://a/cb\"]",
                             .settings = "{\"token_ttl\":60}"};
    OK(store_app_modify(s, &T_a, k, &(struct app_change){on_app, &next}, NULL));
    OK(store_app_get(s, &T_a, k, &got, NULL));
    cr_expect_str_eq(got.name, "Renamed");
    cr_expect_str_eq(got.realm, "https://r2");
    cr_expect_str_eq(got.token_urls, "[\"https://a/cb\"]");
    cr_expect_str_eq(got.settings, "{\"token_ttl\":60}");
    IS(ST_UNPROCESSABLE, store_app_modify(s, &T_a, k, &(struct app_change){on_app, NULL}, NULL));
    OK(store_app_get(s, &T_a, k, &got, NULL));
    cr_expect_str_eq(got.name, "Renamed", "an abandoned change writes nothing");
    IS(ST_NOT_FOUND, store_app_modify(s, &T_a, (struct row_key){CID_A, "nosuchappnosuchappxx"},
                                      &(struct app_change){on_app, &next}, NULL));
    IS(ST_NOT_FOUND, store_app_modify(s, &T_a, (struct row_key){CID_B, APP},
                                      &(struct app_change){on_app, &next}, NULL));
}

CONTRACT(app_key_create_set_get)
{
    struct login_app app = {.id = APP, .name = "My app", .realm = "r"};
    OK(store_customer_create(s, CID_A, NULL));
    OK(store_app_create(s, CID_A, &app, NULL));
    struct row_key k = {CID_A, APP}, gone = {CID_A, "nosuchappnosuchappxx"};
    unsigned char b1[40], b2[48];
    memset(b1, 1, sizeof b1);
    memset(b2, 2, sizeof b2);
    struct sealed_secret got = {0}, one = {.blob = b1, .len = sizeof b1},
                         two = {.blob = b2, .len = sizeof b2};
    memset(one.verifier, 1, 32);
    memset(two.verifier, 2, 32);
    OK(store_app_key_get(s, k, &got, NULL));
    cr_expect_null(got.blob, "an app made without a key has none");
    cr_expect_eq(got.len, 0);
    OK(store_app_key_create(s, k, &one, NULL));
    IS(ST_CONFLICT, store_app_key_create(s, k, &two, NULL));
    OK(store_app_key_get(s, k, &got, NULL));
    cr_assert_eq(got.len, one.len);
    cr_expect_eq(memcmp(got.blob, one.blob, one.len), 0);
    cr_expect_eq(memcmp(got.verifier, one.verifier, 32), 0);
    free(got.blob);
    OK(store_app_key_set(s, k, &two, NULL));
    OK(store_app_key_get(s, k, &got, NULL));
    cr_assert_eq(got.len, two.len);
    cr_expect_eq(memcmp(got.blob, two.blob, two.len), 0);
    cr_expect_eq(memcmp(got.verifier, two.verifier, 32), 0);
    free(got.blob);
    IS(ST_NOT_FOUND, store_app_key_get(s, gone, &got, NULL));
    IS(ST_NOT_FOUND, store_app_key_set(s, gone, &two, NULL));
    IS(ST_CONFLICT, store_app_key_create(s, gone, &two, NULL));
    IS(ST_NOT_FOUND, store_app_key_get(s, (struct row_key){CID_B, APP}, &got, NULL));
}

CONTRACT(provider_create_get_list_in_creation_order)
{
    seed_providers(s, CID_A);
    struct provider_rec got;
    OK(store_provider_get(s, &T_a, (struct provider_key){CID_A, APP, PROV_1}, &got, NULL));
    cr_expect_str_eq(got.app_id, APP);
    cr_expect_str_eq(got.doc, "{\"name\":\"x\"}");
    cr_expect_str_eq(got.summary, "{}");
    cr_expect_str_eq(got.etag, "etag-" PROV_1);
    cr_expect_str_eq(got.created_at, "2026-01-01T00:00:00.000000001Z");
    cr_assert_eq(got.secret_len, 4);
    cr_expect_eq(got.secret[3], 4);
    struct provider_list l;
    OK(store_provider_list(s, &T_a, (struct row_key){CID_A, APP}, &l, NULL));
    cr_assert_eq(l.n, 2);
    cr_expect_str_eq(l.v[0].id, PROV_1);
    cr_expect_str_eq(l.v[1].id, PROV_2);
    IS(ST_NOT_FOUND,
       store_provider_get(s, &T_a, (struct provider_key){CID_A, APP, POL_1}, &got, NULL));
    struct provider_rec orphan = provider(PROV_1, "2026-01-01T00:00:00.000000003Z");
    snprintf(orphan.app_id, sizeof orphan.app_id, "noapp");
    IS(ST_NOT_FOUND, store_provider_create(s, CID_A, &orphan, NULL));
}

struct change {
    const char *doc;
    enum st status;
    int calls;
    char seen_etag[65];
};

static enum st on_change(void *arg, const struct provider_rec *cur, struct provider_rec *next)
{
    struct change *ch = arg;
    ch->calls++;
    snprintf(ch->seen_etag, sizeof ch->seen_etag, "%s", cur->etag);
    if (ch->status != ST_OK)
        return ch->status;
    next->doc = ch->doc;
    next->secret = NULL;
    next->secret_len = 0;
    snprintf(next->etag, sizeof next->etag, "etag-next");
    snprintf(next->updated_at, sizeof next->updated_at, "2026-02-02T00:00:00.000000000Z");
    return ST_OK;
}

CONTRACT(provider_modify_writes_fn_result_and_fn_status_abandons)
{
    seed_providers(s, CID_A);
    struct provider_key k = {CID_A, APP, PROV_1};
    struct provider_rec got;
    struct change no = {.doc = "{\"name\":\"no\"}", .status = ST_UNPROCESSABLE};
    IS(ST_UNPROCESSABLE,
       store_provider_modify(s, &T_a, k, &(struct provider_change){on_change, &no}, NULL));
    cr_expect_eq(no.calls, 1);
    OK(store_provider_get(s, &T_a, k, &got, NULL));
    cr_expect_str_eq(got.doc, "{\"name\":\"x\"}");
    cr_expect_str_eq(got.etag, "etag-" PROV_1);
    struct change yes = {.doc = "{\"name\":\"y\"}"};
    OK(store_provider_modify(s, &T_a, k, &(struct provider_change){on_change, &yes}, NULL));
    cr_expect_str_eq(yes.seen_etag, "etag-" PROV_1);
    OK(store_provider_get(s, &T_a, k, &got, NULL));
    cr_expect_str_eq(got.doc, "{\"name\":\"y\"}");
    cr_expect_str_eq(got.etag, "etag-next");
    cr_expect_str_eq(got.updated_at, "2026-02-02T00:00:00.000000000Z");
    cr_expect_str_eq(got.created_at, "2026-01-01T00:00:00.000000001Z");
    cr_expect_null(got.secret);
    struct change gone = {.doc = "{}"};
    IS(ST_NOT_FOUND, store_provider_modify(s, &T_a, (struct provider_key){CID_A, APP, POL_1},
                                           &(struct provider_change){on_change, &gone}, NULL));
    cr_expect_eq(gone.calls, 0);
}

CONTRACT(provider_delete_checks_the_expected_etag)
{
    seed_providers(s, CID_A);
    struct provider_key k1 = {CID_A, APP, PROV_1}, k2 = {CID_A, APP, PROV_2};
    struct provider_rec got;
    IS(ST_PRECONDITION, store_provider_delete(s, k1, "etag-stale", NULL));
    OK(store_provider_get(s, &T_a, k1, &got, NULL));
    OK(store_provider_delete(s, k1, "etag-" PROV_1, NULL));
    IS(ST_NOT_FOUND, store_provider_get(s, &T_a, k1, &got, NULL));
    IS(ST_NOT_FOUND, store_provider_delete(s, k1, "etag-" PROV_1, NULL));
    IS(ST_NOT_FOUND, store_provider_delete(s, k1, NULL, NULL));
    OK(store_provider_delete(s, k2, NULL, NULL)); /* NULL: any etag */
    struct provider_list l;
    OK(store_provider_list(s, &T_a, (struct row_key){CID_A, APP}, &l, NULL));
    cr_expect_eq(l.n, 0);
}

/* ---- the sign-in runtime's rows ------------------------------------------------ */

#define APP_2 "otherapp"

static struct flow_rec flow(unsigned char fill, int64_t expires_at)
{
    struct flow_rec f = {.token_url = "https://site.example/signed-in?x=1",
                         .verifier = "pkce-verifier-0123456789",
                         .nonce = "nonce-abc",
                         .request_id = "_req-42",
                         .expires_at = expires_at};
    memset(f.key, fill, sizeof f.key);
    f.key[FLOW_KEY_LEN - 1] = (unsigned char)(fill + 1); /* not all one byte */
    snprintf(f.cid, sizeof f.cid, "%s", CID_A);
    snprintf(f.app_id, sizeof f.app_id, "%s", APP);
    snprintf(f.provider_id, sizeof f.provider_id, "%s", PROV_1);
    return f;
}

static const unsigned char sealed_profile[] = {0, 1, 2, 0, 255, 7}; /* NULs inside */

static struct signin_token_rec token(unsigned char fill, int64_t expires_at)
{
    struct signin_token_rec t = {.token_url = "https://site.example/signed-in",
                                 .data = sealed_profile,
                                 .data_len = sizeof sealed_profile,
                                 .expires_at = expires_at};
    memset(t.hash, fill, sizeof t.hash);
    t.hash[0] = (unsigned char)(fill + 3);
    snprintf(t.cid, sizeof t.cid, "%s", CID_A);
    snprintf(t.app_id, sizeof t.app_id, "%s", APP);
    snprintf(t.provider_id, sizeof t.provider_id, "%s", PROV_2);
    return t;
}

static void expect_flow_eq(const struct flow_rec *got, const struct flow_rec *want)
{
    cr_expect_arr_eq(got->key, want->key, sizeof want->key, "%s", T_backend);
    cr_expect_str_eq(got->cid, want->cid);
    cr_expect_str_eq(got->app_id, want->app_id);
    cr_expect_str_eq(got->provider_id, want->provider_id);
    cr_expect_str_eq(got->token_url, want->token_url);
    cr_expect_str_eq(got->verifier, want->verifier);
    cr_expect_str_eq(got->nonce, want->nonce);
    cr_expect_str_eq(got->request_id, want->request_id);
    cr_expect_eq(got->expires_at, want->expires_at);
}

static void expect_token_eq(const struct signin_token_rec *got, const struct signin_token_rec *want)
{
    cr_expect_arr_eq(got->hash, want->hash, sizeof want->hash, "%s", T_backend);
    cr_expect_str_eq(got->cid, want->cid);
    cr_expect_str_eq(got->app_id, want->app_id);
    cr_expect_str_eq(got->provider_id, want->provider_id);
    cr_expect_str_eq(got->token_url, want->token_url);
    cr_assert_eq(got->data_len, want->data_len, "%s", T_backend);
    cr_expect_arr_eq(got->data, want->data, want->data_len);
    cr_expect_eq(got->expires_at, want->expires_at);
}

CONTRACT(flow_create_take_returns_every_field_once)
{
    struct flow_rec f = flow(1, 5000), other = flow(2, 6000), got;
    other.request_id = "";
    OK(store_flow_create(s, &f, NULL));
    OK(store_flow_create(s, &other, NULL));
    IS(ST_CONFLICT, store_flow_create(s, &f, NULL));
    OK(store_flow_take(s, &T_a, f.key, &got, NULL));
    expect_flow_eq(&got, &f);
    IS(ST_NOT_FOUND, store_flow_take(s, &T_a, f.key, &got, NULL));
    OK(store_flow_take(s, &T_a, other.key, &got, NULL)); /* the other one stayed */
    expect_flow_eq(&got, &other);
    IS(ST_NOT_FOUND, store_flow_take(s, &T_a, other.key, &got, NULL));
    OK(store_flow_create(s, &f, NULL)); /* taken: its hash is free again */
}

CONTRACT(flow_expired_is_taken_and_returned)
{
    struct flow_rec f = flow(1, 1000), got;
    OK(store_flow_create(s, &f, NULL));
    OK(store_flow_take(s, &T_a, f.key, &got, NULL));
    cr_expect_eq(got.expires_at, 1000);
    IS(ST_NOT_FOUND, store_flow_take(s, &T_a, f.key, &got, NULL));
}

CONTRACT(signin_token_create_take_returns_every_field_once)
{
    struct signin_token_rec t = token(1, 5000), expired = token(2, 1000), got;
    struct row_key app = {CID_A, APP};
    OK(store_signin_token_create(s, &t, NULL));
    OK(store_signin_token_create(s, &expired, NULL));
    IS(ST_CONFLICT, store_signin_token_create(s, &t, NULL));
    OK(store_signin_token_take(s, &T_a, app, t.hash, &got, NULL));
    expect_token_eq(&got, &t);
    IS(ST_NOT_FOUND, store_signin_token_take(s, &T_a, app, t.hash, &got, NULL));
    OK(store_signin_token_take(s, &T_a, app, expired.hash, &got, NULL));
    expect_token_eq(&got, &expired);
    IS(ST_NOT_FOUND, store_signin_token_take(s, &T_a, app, expired.hash, &got, NULL));
}

CONTRACT(signin_token_taken_keeps_its_hash_until_purged_once_expired)
{
    struct signin_token_rec t = token(1, 1001), got;
    struct row_key app = {CID_A, APP};
    OK(store_signin_token_create(s, &t, NULL));
    OK(store_signin_token_take(s, &T_a, app, t.hash, &got, NULL));
    IS(ST_CONFLICT, store_signin_token_create(s, &t, NULL)); /* never minted twice */
    int purged = -1;
    OK(store_signin_purge(s, 1000, &purged, NULL));
    cr_expect_eq(purged, 0, "%s: taken, but not expired yet", T_backend);
    OK(store_signin_purge(s, 1001, &purged, NULL));
    cr_expect_eq(purged, 1, "%s: taken and expired", T_backend);
    OK(store_signin_token_create(s, &t, NULL));
    OK(store_signin_token_take(s, &T_a, app, t.hash, &got, NULL));
    expect_token_eq(&got, &t);
}

CONTRACT(signin_token_of_another_app_is_neither_taken_nor_deleted)
{
    struct signin_token_rec t = token(1, 5000), got;
    OK(store_signin_token_create(s, &t, NULL));
    IS(ST_NOT_FOUND,
       store_signin_token_take(s, &T_a, (struct row_key){CID_A, APP_2}, t.hash, &got, NULL));
    IS(ST_NOT_FOUND,
       store_signin_token_take(s, &T_a, (struct row_key){CID_B, APP}, t.hash, &got, NULL));
    OK(store_signin_token_take(s, &T_a, (struct row_key){CID_A, APP}, t.hash, &got, NULL));
    expect_token_eq(&got, &t);
}

/* n expired flows, m expired tokens, one live of each; in one batch. */
static void seed_signin_rows(struct store *s, int n, int m)
{
    OK(store_batch_begin(s, NULL));
    for (int i = 0; i < n; i++) {
        struct flow_rec f = flow(9, 1000 - i % 2); /* expires_at == now is expired too */
        f.key[0] = (unsigned char)(i >> 8);
        f.key[1] = (unsigned char)i;
        OK(store_flow_create(s, &f, NULL));
    }
    for (int i = 0; i < m; i++) {
        struct signin_token_rec t = token(9, 1000 - i % 2);
        t.hash[1] = (unsigned char)(i >> 8);
        t.hash[2] = (unsigned char)i;
        OK(store_signin_token_create(s, &t, NULL));
    }
    struct flow_rec live_f = flow(1, 1001);
    struct signin_token_rec live_t = token(1, 1001);
    OK(store_flow_create(s, &live_f, NULL));
    OK(store_signin_token_create(s, &live_t, NULL));
    OK(store_batch_end(s, NULL));
}

CONTRACT(signin_purge_removes_only_expired_rows_in_batches)
{
    seed_signin_rows(s, STORE_PURGE_BATCH + 20, 30);
    int purged = -1;
    OK(store_signin_purge(s, 1000, &purged, NULL));
    cr_expect_eq(purged, STORE_PURGE_BATCH, "%s: at most one batch per call", T_backend);
    OK(store_signin_purge(s, 1000, &purged, NULL));
    cr_expect_eq(purged, 50, "%s: the 20 flows and 30 tokens left", T_backend);
    OK(store_signin_purge(s, 1000, &purged, NULL));
    cr_expect_eq(purged, 0);
    struct flow_rec f = flow(9, 0), live_f = flow(1, 1001), gf;
    struct signin_token_rec live_t = token(1, 1001), gt;
    f.key[0] = 0;
    f.key[1] = 3;
    IS(ST_NOT_FOUND, store_flow_take(s, &T_a, f.key, &gf, NULL));
    OK(store_flow_take(s, &T_a, live_f.key, &gf, NULL));
    OK(store_signin_token_take(s, &T_a, (struct row_key){CID_A, APP}, live_t.hash, &gt, NULL));
}

CONTRACT(signin_purge_budget_is_shared_by_flows_and_tokens)
{
    seed_signin_rows(s, 10, STORE_PURGE_BATCH);
    int purged = -1;
    OK(store_signin_purge(s, 1000, &purged, NULL));
    cr_expect_eq(purged, STORE_PURGE_BATCH);
    OK(store_signin_purge(s, 1000, &purged, NULL));
    cr_expect_eq(purged, 10);
    OK(store_signin_purge(s, 1001, &purged, NULL)); /* now the live ones expire */
    cr_expect_eq(purged, 2);
}

/* RACERS threads use one hash at once: a flow or token take, or an
 * assertion id's use. Exactly one may win; every other must lose as the
 * contract says (ST_NOT_FOUND for a take, ST_CONFLICT for a use). */
enum race_kind { RACE_FLOW, RACE_TOKEN, RACE_ASSERTION };

struct race {
    struct store *s;
    pthread_barrier_t go;
    const unsigned char *hash;
    enum race_kind kind;
    atomic_int ok, lost;
};

static void *race_one(void *arg)
{
    struct race *r = arg;
    struct arena a;
    arena_init(&a);
    struct err e = {0};
    struct flow_rec f;
    struct signin_token_rec t;
    pthread_barrier_wait(&r->go);
    enum st st, lose = ST_NOT_FOUND;
    if (r->kind == RACE_TOKEN) {
        st = store_signin_token_take(r->s, &a, (struct row_key){CID_A, APP}, r->hash, &t, &e);
    } else if (r->kind == RACE_FLOW) {
        st = store_flow_take(r->s, &a, r->hash, &f, &e);
    } else {
        st = store_assertion_use(r->s, r->hash, 5000, 1000, &e);
        lose = ST_CONFLICT;
    }
    if (st == ST_OK)
        atomic_fetch_add(&r->ok, 1);
    else if (st == lose)
        atomic_fetch_add(&r->lost, 1);
    err_clear(&e);
    arena_cleanup(&a);
    return NULL;
}

#define RACERS 50

static void race(struct store *s, const unsigned char *hash, enum race_kind kind)
{
    struct race r = {.s = s, .hash = hash, .kind = kind};
    pthread_t th[RACERS];
    pthread_barrier_init(&r.go, NULL, RACERS);
    for (int i = 0; i < RACERS; i++)
        cr_assert_eq(pthread_create(&th[i], NULL, race_one, &r), 0);
    for (int i = 0; i < RACERS; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&r.go);
    cr_expect_eq(atomic_load(&r.ok), 1, "%s: exactly one wins", T_backend);
    cr_expect_eq(atomic_load(&r.lost), RACERS - 1, "%s", T_backend);
}

CONTRACT(concurrent_flow_takes_exactly_one_wins)
{
    struct flow_rec f = flow(1, 5000);
    OK(store_flow_create(s, &f, NULL));
    race(s, f.key, RACE_FLOW);
}

CONTRACT(concurrent_signin_token_takes_exactly_one_wins)
{
    struct signin_token_rec t = token(1, 5000);
    OK(store_signin_token_create(s, &t, NULL));
    race(s, t.hash, RACE_TOKEN);
}

/* ---- SAML assertion ids ------------------------------------------------------ */

static void assertion_hash(unsigned char h[32], int n)
{
    memset(h, 0xa5, 32);
    h[0] = (unsigned char)n;
}

CONTRACT(assertion_use_refuses_a_replay_until_it_expires)
{
    unsigned char h[32], other[32];
    assertion_hash(h, 1);
    assertion_hash(other, 2);
    OK(store_assertion_use(s, h, 1000, 900, NULL));
    IS(ST_CONFLICT, store_assertion_use(s, h, 1000, 999, NULL));
    IS(ST_CONFLICT, store_assertion_use(s, h, 5000, 999, NULL)); /* nor renewed early */
    OK(store_assertion_use(s, other, 1000, 999, NULL));
    OK(store_assertion_use(s, h, 2000, 1000, NULL)); /* expired: used anew */
    IS(ST_CONFLICT, store_assertion_use(s, h, 2000, 1500, NULL));
}

CONTRACT(signin_purge_removes_expired_assertion_ids)
{
    unsigned char h[32];
    for (int i = 0; i < 3; i++) {
        assertion_hash(h, i);
        OK(store_assertion_use(s, h, 1000 + i, 900, NULL));
    }
    int purged = -1;
    OK(store_signin_purge(s, 1001, &purged, NULL));
    cr_expect_eq(purged, 2, "%s: the two expired ids", T_backend);
    assertion_hash(h, 0); /* gone: usable again, even by a clock behind */
    OK(store_assertion_use(s, h, 3000, 900, NULL));
    assertion_hash(h, 2); /* kept */
    IS(ST_CONFLICT, store_assertion_use(s, h, 3000, 1001, NULL));
}

CONTRACT(concurrent_assertion_uses_exactly_one_wins)
{
    unsigned char h[32];
    assertion_hash(h, 7);
    race(s, h, RACE_ASSERTION);
}

/* One take on another thread, started while this thread's batch is open. */
struct taker {
    struct store *s;
    const unsigned char *hash;
    bool token;
    atomic_bool done;
    enum st st;
};

static void *take_one(void *arg)
{
    struct taker *t = arg;
    struct arena a;
    arena_init(&a);
    struct flow_rec f;
    struct signin_token_rec tr;
    t->st = t->token ? store_signin_token_take(t->s, &a, (struct row_key){CID_A, APP}, t->hash, &tr,
                                               NULL)
                     : store_flow_take(t->s, &a, t->hash, &f, NULL);
    atomic_store(&t->done, true);
    arena_cleanup(&a);
    return NULL;
}

/* Takes hash inside a batch, has another thread take it too, ends the
 * batch (commit, or abort); returns what the other thread got. */
static enum st take_in_batch(struct store *s, const unsigned char *hash, bool token, bool commit)
{
    struct flow_rec f;
    struct signin_token_rec t;
    struct taker other = {.s = s, .hash = hash, .token = token};
    pthread_t th;
    OK(store_batch_begin(s, NULL));
    if (token)
        OK(store_signin_token_take(s, &T_a, (struct row_key){CID_A, APP}, hash, &t, NULL));
    else
        OK(store_flow_take(s, &T_a, hash, &f, NULL));
    cr_assert_eq(pthread_create(&th, NULL, take_one, &other), 0);
    cr_expect_not(atomic_load(&other.done), "%s: a take finished inside another's batch",
                  T_backend);
    if (commit)
        OK(store_batch_end(s, NULL));
    else
        OK(store_batch_abort(s, NULL));
    pthread_join(th, NULL);
    return other.st;
}

CONTRACT(take_in_a_batch_counts_for_others_once_committed)
{
    struct flow_rec f = flow(1, 5000), got;
    struct signin_token_rec t = token(1, 5000);
    OK(store_flow_create(s, &f, NULL));
    OK(store_signin_token_create(s, &t, NULL));
    IS(ST_NOT_FOUND, take_in_batch(s, f.key, false, true));
    IS(ST_NOT_FOUND, take_in_batch(s, t.hash, true, true));
    IS(ST_NOT_FOUND, store_flow_take(s, &T_a, f.key, &got, NULL));
}

CONTRACT(take_in_an_aborted_batch_never_happened)
{
    struct flow_rec f = flow(1, 5000), got;
    struct signin_token_rec t = token(1, 5000), gt;
    OK(store_flow_create(s, &f, NULL));
    OK(store_signin_token_create(s, &t, NULL));
    IS(ST_OK, take_in_batch(s, f.key, false, false)); /* the other thread has it */
    IS(ST_OK, take_in_batch(s, t.hash, true, false));
    IS(ST_NOT_FOUND, store_flow_take(s, &T_a, f.key, &got, NULL));
    IS(ST_NOT_FOUND,
       store_signin_token_take(s, &T_a, (struct row_key){CID_A, APP}, t.hash, &gt, NULL));
}

CONTRACT(app_find_by_key_follows_the_current_key)
{
    struct login_app app = {.id = APP, .name = "My app", .realm = "r"};
    struct row_key a1 = {CID_A, APP}, a2 = {CID_B, APP};
    OK(store_customer_create(s, CID_A, NULL));
    OK(store_customer_create(s, CID_B, NULL));
    OK(store_app_create(s, CID_A, &app, NULL));
    OK(store_app_create(s, CID_B, &app, NULL));
    struct sealed_secret one = secret(1), two = secret(2), three = secret(3);
    struct app_ref got;
    IS(ST_NOT_FOUND, store_app_find_by_key(s, one.verifier, &got, NULL));
    OK(store_app_key_create(s, a1, &one, NULL));
    OK(store_app_key_create(s, a2, &three, NULL));
    OK(store_app_find_by_key(s, one.verifier, &got, NULL));
    cr_expect_str_eq(got.cid, CID_A);
    cr_expect_str_eq(got.app_id, APP);
    OK(store_app_find_by_key(s, three.verifier, &got, NULL));
    cr_expect_str_eq(got.cid, CID_B);
    OK(store_app_key_set(s, a1, &two, NULL)); /* rotation */
    IS(ST_NOT_FOUND, store_app_find_by_key(s, one.verifier, &got, NULL));
    OK(store_app_find_by_key(s, two.verifier, &got, NULL));
    cr_expect_str_eq(got.cid, CID_A);
    /* a key names one app */
    IS(ST_CONFLICT, store_app_key_set(s, a2, &two, NULL));
    OK(store_app_find_by_key(s, three.verifier, &got, NULL));
    cr_expect_str_eq(got.cid, CID_B, "%s: a refused key changed nothing", T_backend);
}

#define ENDPOINTS_1 "1111111111111111111111111111111111111111111111111111111111111111"
#define ENDPOINTS_2 "2222222222222222222222222222222222222222222222222222222222222222"
#define ISS_1 "https://idp.example"
#define ISS_2 "https://other.example"

CONTRACT(issuer_pin_first_wins_until_the_endpoints_change)
{
    seed_providers(s, CID_A);
    struct provider_key k = {CID_A, APP, PROV_1}, k2 = {CID_A, APP, PROV_2};
    const char *iss = NULL;
    IS(ST_NOT_FOUND, store_issuer_pin_get(s, &T_a, k, ENDPOINTS_1, &iss, NULL));
    OK(store_issuer_pin_set(s, k, ENDPOINTS_1, ISS_1, NULL));
    OK(store_issuer_pin_get(s, &T_a, k, ENDPOINTS_1, &iss, NULL));
    cr_expect_str_eq(iss, ISS_1);
    IS(ST_NOT_FOUND, store_issuer_pin_get(s, &T_a, k, ENDPOINTS_2, &iss, NULL));
    IS(ST_NOT_FOUND, store_issuer_pin_get(s, &T_a, k2, ENDPOINTS_1, &iss, NULL));
    IS(ST_NOT_FOUND, store_issuer_pin_get(s, &T_a, (struct provider_key){CID_B, APP, PROV_1},
                                          ENDPOINTS_1, &iss, NULL));
    OK(store_issuer_pin_set(s, k, ENDPOINTS_1, ISS_1, NULL)); /* the same again */
    IS(ST_CONFLICT, store_issuer_pin_set(s, k, ENDPOINTS_1, ISS_2, NULL));
    OK(store_issuer_pin_get(s, &T_a, k, ENDPOINTS_1, &iss, NULL));
    cr_expect_str_eq(iss, ISS_1, "%s: the first pin stays", T_backend);
    OK(store_issuer_pin_set(s, k, ENDPOINTS_2, ISS_2, NULL)); /* endpoints changed */
    OK(store_issuer_pin_get(s, &T_a, k, ENDPOINTS_2, &iss, NULL));
    cr_expect_str_eq(iss, ISS_2);
    IS(ST_NOT_FOUND, store_issuer_pin_get(s, &T_a, k, ENDPOINTS_1, &iss, NULL));
}

CONTRACT(issuer_pin_goes_with_its_provider)
{
    seed_providers(s, CID_A);
    struct provider_key k = {CID_A, APP, PROV_1}, k2 = {CID_A, APP, PROV_2};
    const char *iss = NULL;
    OK(store_issuer_pin_set(s, k, ENDPOINTS_1, ISS_1, NULL));
    OK(store_issuer_pin_set(s, k2, ENDPOINTS_1, ISS_2, NULL));
    OK(store_provider_delete(s, k, NULL, NULL));
    IS(ST_NOT_FOUND, store_issuer_pin_get(s, &T_a, k, ENDPOINTS_1, &iss, NULL));
    IS(ST_NOT_FOUND, store_issuer_pin_set(s, k, ENDPOINTS_1, ISS_1, NULL));
    struct provider_rec again = provider(PROV_1, "2026-01-01T00:00:00.000000003Z");
    OK(store_provider_create(s, CID_A, &again, NULL));
    IS(ST_NOT_FOUND, store_issuer_pin_get(s, &T_a, k, ENDPOINTS_1, &iss, NULL));
    OK(store_issuer_pin_get(s, &T_a, k2, ENDPOINTS_1, &iss, NULL));
    cr_expect_str_eq(iss, ISS_2, "%s: another provider's pin stays", T_backend);
}

/* ---- group commit ------------------------------------------------------------- */

CONTRACT(batch_writes_are_visible_after_end_and_a_failed_write_rolls_back_alone)
{
    struct policy p = policy(POL_1, "one"), got;
    OK(store_customer_create(s, CID_A, NULL));
    OK(store_batch_begin(s, NULL));
    OK(store_policy_create(s, CID_A, &p, NULL));
    IS(ST_CONFLICT, store_customer_create(s, CID_A, NULL)); /* fails alone */
    OK(store_customer_create(s, CID_B, NULL));
    OK(store_batch_end(s, NULL));
    OK(store_policy_get(s, &T_a, (struct row_key){CID_A, POL_1}, &got, NULL));
    IS(ST_CONFLICT, store_customer_create(s, CID_B, NULL));
}

CONTRACT(batch_abort_keeps_nothing_of_the_batch_and_ends_it)
{
    struct policy p = policy(POL_1, "one"), got;
    OK(store_customer_create(s, CID_A, NULL));
    OK(store_batch_begin(s, NULL));
    OK(store_policy_create(s, CID_A, &p, NULL));
    OK(store_customer_create(s, CID_B, NULL));
    OK(store_batch_abort(s, NULL));
    IS(ST_NOT_FOUND, store_policy_get(s, &T_a, (struct row_key){CID_A, POL_1}, &got, NULL));
    OK(store_customer_create(s, CID_B, NULL)); /* it never happened; writes go on */
    OK(store_policy_create(s, CID_A, &p, NULL));
}

/* Writes of a batch failing every way, first, in a row and last: each
 * rolls back alone, the others stay, and the batch's connection serves the
 * next batch. */
CONTRACT(batch_failed_writes_roll_back_alone_wherever_they_fail)
{
    seed_providers(s, CID_A);
    struct provider_key k1 = {CID_A, APP, PROV_1}, k2 = {CID_A, APP, PROV_2};
    struct provider_key none = {CID_A, APP, POL_1};
    struct change no = {.doc = "{\"name\":\"no\"}", .status = ST_UNPROCESSABLE};
    struct change yes = {.doc = "{\"name\":\"y\"}"}, gone = {.doc = "{}"};
    struct policy p = policy(POL_1, "one"), got_policy;
    struct provider_rec got;
    OK(store_batch_begin(s, NULL));
    IS(ST_CONFLICT, store_customer_create(s, CID_A, NULL)); /* an error of the server's */
    IS(ST_UNPROCESSABLE,                                    /* refused after the row was locked */
       store_provider_modify(s, &T_a, k1, &(struct provider_change){on_change, &no}, NULL));
    IS(ST_NOT_FOUND,
       store_provider_modify(s, &T_a, none, &(struct provider_change){on_change, &gone}, NULL));
    OK(store_provider_modify(s, &T_a, k2, &(struct provider_change){on_change, &yes}, NULL));
    IS(ST_PRECONDITION, store_provider_delete(s, k1, "etag-other", NULL));
    OK(store_policy_create(s, CID_A, &p, NULL));
    for (int i = 0; i < 40; i++) /* failures in a row */
        IS(ST_CONFLICT, store_customer_create(s, CID_A, NULL));
    OK(store_customer_create(s, CID_B, NULL));
    IS(ST_CONFLICT, store_customer_create(s, CID_B, NULL));
    OK(store_batch_end(s, NULL));
    OK(store_provider_get(s, &T_a, k1, &got, NULL));
    cr_expect_str_eq(got.doc, "{\"name\":\"x\"}", "%s: a refused modify changes nothing",
                     T_backend);
    OK(store_provider_get(s, &T_a, k2, &got, NULL));
    cr_expect_str_eq(got.doc, "{\"name\":\"y\"}", "%s: a write between failures stays", T_backend);
    OK(store_policy_get(s, &T_a, (struct row_key){CID_A, POL_1}, &got_policy, NULL));
    IS(ST_CONFLICT, store_customer_create(s, CID_B, NULL));
    OK(store_batch_begin(s, NULL));
    OK(store_provider_delete(s, k1, NULL, NULL));
    OK(store_batch_end(s, NULL));
    IS(ST_NOT_FOUND, store_provider_get(s, &T_a, k1, &got, NULL));
}

/* ---- the key check value ---------------------------------------------------- */

CONTRACT(key_check_first_value_wins)
{
    unsigned char v1[STORE_KEY_CHECK_LEN], v2[STORE_KEY_CHECK_LEN], got[STORE_KEY_CHECK_LEN];
    memset(v1, 1, sizeof v1);
    memset(v2, 2, sizeof v2);
    IS(ST_NOT_FOUND, store_key_check_find(s, got, NULL));
    OK(store_key_check_create(s, v1, NULL));
    OK(store_key_check_find(s, got, NULL));
    cr_expect_arr_eq(got, v1, sizeof v1);
    OK(store_key_check_create(s, v2, NULL));
    OK(store_key_check_find(s, got, NULL));
    cr_expect_arr_eq(got, v1, sizeof v1);
}

/* ---- customer isolation ------------------------------------------------------- */

CONTRACT(another_customer_sees_nothing)
{
    seed_client(s, CID_A);
    OK(store_customer_create(s, CID_B, NULL));
    struct login_app app = {.id = APP, .name = "My app", .realm = "r"};
    struct provider_rec p1 = provider(PROV_1, "2026-01-01T00:00:00.000000001Z");
    OK(store_app_create(s, CID_A, &app, NULL));
    OK(store_provider_create(s, CID_A, &p1, NULL));

    struct row_key pol = {CID_B, POL_1}, cl = {CID_B, CL_1};
    struct provider_key pk = {CID_B, APP, PROV_1};
    struct policy pg;
    struct client cg;
    struct client_auth au;
    struct sealed_secret sec = secret(1);
    struct login_app ag;
    struct provider_rec prg;
    IS(ST_NOT_FOUND, store_policy_get(s, &T_a, pol, &pg, NULL));
    IS(ST_NOT_FOUND, store_policy_delete(s, pol, NULL));
    IS(ST_NOT_FOUND, store_client_get(s, &T_a, cl, &cg, NULL));
    IS(ST_NOT_FOUND, store_client_delete(s, cl, NULL));
    IS(ST_NOT_FOUND, store_secret_get(s, cl, &sec, NULL));
    IS(ST_NOT_FOUND, store_secret_set(s, cl, &sec, NULL));
    IS(ST_NOT_FOUND, store_auth_find(s, &T_a, cl, &au, NULL));
    IS(ST_NOT_FOUND, store_app_get(s, &T_a, (struct row_key){CID_B, APP}, &ag, NULL));
    IS(ST_NOT_FOUND, store_provider_get(s, &T_a, pk, &prg, NULL));
    IS(ST_NOT_FOUND, store_provider_delete(s, pk, NULL, NULL));
    struct change ch = {.doc = "{}"};
    IS(ST_NOT_FOUND,
       store_provider_modify(s, &T_a, pk, &(struct provider_change){on_change, &ch}, NULL));
    struct policy_list pl;
    struct client_list cll;
    struct app_list al;
    struct provider_list prl;
    OK(store_policy_list(s, &T_a, CID_B, &pl, NULL));
    OK(store_client_list(s, &T_a, CID_B, &cll, NULL));
    OK(store_app_list(s, &T_a, CID_B, &al, NULL));
    OK(store_provider_list(s, &T_a, (struct row_key){CID_B, APP}, &prl, NULL));
    cr_expect_eq(pl.n + cll.n + al.n + prl.n, 0);
    /* and A still has everything */
    OK(store_policy_get(s, &T_a, (struct row_key){CID_A, POL_1}, &pg, NULL));
    OK(store_provider_get(s, &T_a, (struct provider_key){CID_A, APP, PROV_1}, &prg, NULL));
}
