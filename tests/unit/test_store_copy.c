/* SPDX-License-Identifier: MIT */
/*
 * store_copy (`socialgate copy`, SPEC §8): a SQLite database with every
 * kind of row, copied to PostgreSQL and back to a new SQLite database,
 * reads back the same through the store API, row for row; a copy into a
 * database that has rows is refused and leaves it as it was.
 *
 * PostgreSQL comes from SOCIALGATE_TEST_PG (meson test runs this through
 * scripts/pg-cluster); without it the tests fail, never skip.
 */
#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

#define CID "3cc14467-fd4f-437d-a0c0-0b3888dd2ee4"
#define POL "00000000-0000-4000-8000-000000000001"
#define CL_1 "client1aaaaaaaaaaaaaaaaaaaaaaaaa"
#define CL_2 "client2aaaaaaaaaaaaaaaaaaaaaaaaa"
#define CL_3 "client3aaaaaaaaaaaaaaaaaaaaaaaaa"
#define CL_4 "client4aaaaaaaaaaaaaaaaaaaaaaaaa"
#define APP_1 "appwithakeyaaaaaaaaa"
#define APP_2 "appwithoutkeyaaaaaaa"
#define PROV_1 "00000000-0000-4000-8000-0000000000a1"
#define PROV_2 "00000000-0000-4000-8000-0000000000a2"
#define ENDPOINTS "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

#define OK(call) cr_assert_eq((call), ST_OK, "%s", #call)

static char T_dir[64];
static struct arena T_a;
static PGconn *T_pg;
static char T_pgdb[48];

static void pg_exec(const char *sql)
{
    PGresult *r = PQexec(T_pg, sql);
    cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s: %s", sql, PQerrorMessage(T_pg));
    PQclear(r);
}

/* A new, empty PostgreSQL database's URI (from T_a). */
static const char *pg_new(void)
{
    const char *admin = getenv("SOCIALGATE_TEST_PG");
    cr_assert(admin && *admin, "SOCIALGATE_TEST_PG is not set: run through scripts/pg-cluster");
    T_pg = PQconnectdb(admin);
    cr_assert_eq(PQstatus(T_pg), CONNECTION_OK, "%s", PQerrorMessage(T_pg));
    snprintf(T_pgdb, sizeof T_pgdb, "sg_copy_%ld", (long)getpid());
    pg_exec(arena_printf(&T_a, "CREATE DATABASE %s", T_pgdb));
    return arena_printf(&T_a, "postgresql:///%s?host=%s&port=%s&user=%s", T_pgdb,
                        util_pct_encode(&T_a, PQhost(T_pg)), PQport(T_pg),
                        util_pct_encode(&T_a, PQuser(T_pg)));
}

static void setup(void)
{
    cr_assert_eq(util_init(), ST_OK);
    arena_init(&T_a);
    char dir[] = "/tmp/sg-copy-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    snprintf(T_dir, sizeof T_dir, "%s", dir);
}

static void teardown(void)
{
    if (T_pgdb[0])
        pg_exec(arena_printf(&T_a, "DROP DATABASE %s", T_pgdb));
    T_pgdb[0] = '\0';
    PQfinish(T_pg);
    T_pg = NULL;
    cr_expect_eq(system(arena_printf(&T_a, "rm -rf %s", T_dir)), 0);
    arena_cleanup(&T_a);
}

static struct store *open_sqlite(const char *name)
{
    struct store *s = NULL;
    struct err e = {0};
    OK(store_open(arena_printf(&T_a, "%s/%s", T_dir, name), &s, &e));
    return s;
}

static struct store *open_url(const char *url)
{
    struct store *s = NULL;
    struct err e = {0};
    cr_assert_eq(store_open(url, &s, &e), ST_OK, "%s", e.msg);
    return s;
}

static struct sealed_secret sealed(unsigned char *blob, size_t len, int fill)
{
    struct sealed_secret sec = {.blob = blob, .len = len};
    memset(blob, fill, len);
    memset(sec.verifier, fill + 1, sizeof sec.verifier);
    return sec;
}

static void add_client(struct store *s, const char *id, const char *name, int fill)
{
    unsigned char blob[72];
    struct client c = {.name = name, .type = "confidential"};
    snprintf(c.id, sizeof c.id, "%s", id);
    snprintf(c.policy_id, sizeof c.policy_id, "%s", POL);
    struct sealed_secret sec = sealed(blob, sizeof blob, fill);
    OK(store_client_create(s, CID, &c, &sec, NULL));
}

static struct provider_rec provider(const char *id, bool with_secret)
{
    static const unsigned char secret[] = {9, 0, 8, 0, 7};
    struct provider_rec p = {.protocol = "oidc",
                             .doc = "{\"title\":\"Mine\",\"clientId\":\"x\"}",
                             .summary = "{\"protocol\":\"oidc\",\"title\":\"Mine\"}",
                             .secret = with_secret ? secret : NULL,
                             .secret_len = with_secret ? sizeof secret : 0};
    snprintf(p.id, sizeof p.id, "%s", id);
    snprintf(p.app_id, sizeof p.app_id, "%s", APP_1);
    snprintf(p.etag, sizeof p.etag, "etag-of-%s", id);
    snprintf(p.created_at, sizeof p.created_at, "2026-01-02T03:04:05.000000006Z");
    snprintf(p.updated_at, sizeof p.updated_at, "%s", p.created_at);
    return p;
}

/* A modification: a later version, with an etag and time of its own. */
static enum st on_modify(void *arg, const struct provider_rec *cur, struct provider_rec *next)
{
    (void)arg;
    (void)cur;
    snprintf(next->etag, sizeof next->etag, "etag-of-%s-v2", next->id);
    snprintf(next->updated_at, sizeof next->updated_at, "2026-02-03T04:05:06.000000007Z");
    return ST_OK;
}

/* Every kind of row the copy moves, through the public API: a rotated
 * secret, a deleted client (so the sequence's high-water mark is above
 * every seq left), an app with a key and one without, providers with and
 * without a secret, an issuer pin, a revocation and the key check value. */
static void fill(struct store *s)
{
    static const char *scopes[] = {"read", "write"};
    struct policy p = {.title = "Pol", .access_lifetime = 1234, .refresh_lifetime = 0};
    p.scopes = scopes;
    p.nscopes = 2;
    snprintf(p.id, sizeof p.id, "%s", POL);
    OK(store_customer_create(s, CID, NULL));
    OK(store_policy_create(s, CID, &p, NULL));
    add_client(s, CL_1, "one", 1);
    add_client(s, CL_2, "two", 3);
    add_client(s, CL_3, "three", 5);
    OK(store_client_delete(s, (struct row_key){CID, CL_3}, NULL));
    unsigned char rotated[72];
    struct sealed_secret sec = sealed(rotated, sizeof rotated, 7);
    OK(store_secret_set(s, (struct row_key){CID, CL_1}, &sec, NULL));
    struct login_app a1 = {.id = APP_1,
                           .name = "With key",
                           .realm = "https://a.example",
                           .token_urls = "[\"https://a.example/t\"]",
                           .settings = "{\"tokenTtl\":300}"};
    struct login_app a2 = {.id = APP_2, .name = "Without", .realm = "https://b.example"};
    OK(store_app_create(s, CID, &a1, NULL));
    OK(store_app_create(s, CID, &a2, NULL));
    unsigned char key[56];
    sec = sealed(key, sizeof key, 11);
    OK(store_app_key_create(s, (struct row_key){CID, APP_1}, &sec, NULL));
    struct provider_rec p1 = provider(PROV_1, true), p2 = provider(PROV_2, false);
    OK(store_provider_create(s, CID, &p1, NULL));
    OK(store_provider_create(s, CID, &p2, NULL));
    OK(store_provider_modify(s, &T_a, (struct provider_key){CID, APP_1, PROV_1},
                             &(struct provider_change){on_modify, NULL}, NULL));
    OK(store_issuer_pin_set(s, (struct provider_key){CID, APP_1, PROV_1}, ENDPOINTS,
                            "https://issuer.example", NULL));
    unsigned char tag[16];
    memset(tag, 0xab, sizeof tag);
    OK(store_revocation_add(s, tag, 4102444800, NULL));
    unsigned char check[STORE_KEY_CHECK_LEN];
    memset(check, 0x5c, sizeof check);
    OK(store_key_check_create(s, check, NULL));
}

static void expect_same_value(const struct store_value *a, const struct store_value *b,
                              const char *where)
{
    cr_assert_eq(a->t, b->t, "%s: type", where);
    if (a->t == SV_INT)
        cr_expect_eq(a->i, b->i, "%s: %lld != %lld", where, (long long)a->i, (long long)b->i);
    if (a->t == SV_TEXT || a->t == SV_BLOB) {
        cr_assert_eq(a->len, b->len, "%s: length", where);
        cr_expect_eq(memcmp(a->b, b->b, a->len), 0, "%s: bytes", where);
    }
}

/* Every row of every copied table of a and b is the same, value for value. */
static void expect_same_rows(struct store *a, struct store *b, const char *what)
{
    for (int t = 0; t < STORE_T__COUNT; t++) {
        struct store_rows ra = {0}, rb = {0};
        OK(store_rows_read(a, &T_a, (enum store_table)t, &ra, NULL));
        OK(store_rows_read(b, &T_a, (enum store_table)t, &rb, NULL));
        const char *name = store_table_name((enum store_table)t);
        cr_assert_gt(ra.n, 0, "%s: the test fills %s", what, name);
        cr_assert_eq(ra.n, rb.n, "%s: %s has %d rows, not %d", what, name, rb.n, ra.n);
        cr_assert_eq(ra.ncols, rb.ncols);
        for (int i = 0; i < ra.n * ra.ncols; i++)
            expect_same_value(&ra.v[i], &rb.v[i],
                              arena_printf(&T_a, "%s: %s row %d column %d", what, name,
                                           i / ra.ncols, i % ra.ncols));
    }
}

/* What the token service, the API and the sign-in runtime read of s. */
static void expect_readable(struct store *s, uint64_t seq1)
{
    struct client_auth ca = {0};
    OK(store_auth_by_seq(s, &T_a, seq1, &ca, NULL));
    cr_expect_str_eq(ca.client_id, CL_1, "tokens bound to seq %llu still name client 1",
                     (unsigned long long)seq1);
    cr_expect_eq(ca.lifetime, 1234);
    cr_assert_eq(ca.nscopes, 2);
    cr_expect_str_eq(ca.scopes[1], "write");
    unsigned char want[32];
    memset(want, 8, sizeof want);
    cr_expect_eq(memcmp(ca.verifier, want, 32), 0, "the rotated secret's verifier");
    struct sealed_secret sec = {0};
    OK(store_secret_get(s, (struct row_key){CID, CL_1}, &sec, NULL));
    cr_assert_eq(sec.len, 72);
    cr_expect_eq(sec.blob[0], 7, "the rotated secret, sealed as it was");
    free(sec.blob);
    OK(store_app_key_get(s, (struct row_key){CID, APP_1}, &sec, NULL));
    cr_assert_eq(sec.len, 56);
    cr_expect_eq(sec.blob[55], 11);
    free(sec.blob);
    OK(store_app_key_get(s, (struct row_key){CID, APP_2}, &sec, NULL));
    cr_expect_null(sec.blob, "an app without a key still has none");
    struct login_app la = {0};
    OK(store_app_get(s, &T_a, (struct row_key){CID, APP_1}, &la, NULL));
    cr_expect_str_eq(la.token_urls, "[\"https://a.example/t\"]");
    cr_expect_str_eq(la.settings, "{\"tokenTtl\":300}");
    struct provider_rec p = {0};
    OK(store_provider_get(s, &T_a, (struct provider_key){CID, APP_1, PROV_1}, &p, NULL));
    cr_expect_str_eq(p.etag, "etag-of-" PROV_1 "-v2");
    cr_expect_str_eq(p.created_at, "2026-01-02T03:04:05.000000006Z");
    cr_expect_str_eq(p.updated_at, "2026-02-03T04:05:06.000000007Z");
    cr_expect_str_eq(p.summary, "{\"protocol\":\"oidc\",\"title\":\"Mine\"}");
    cr_assert_eq(p.secret_len, 5);
    cr_expect_eq(p.secret[2], 8);
    OK(store_provider_get(s, &T_a, (struct provider_key){CID, APP_1, PROV_2}, &p, NULL));
    cr_expect_null(p.secret);
    const char *iss = NULL;
    OK(store_issuer_pin_get(s, &T_a, (struct provider_key){CID, APP_1, PROV_1}, ENDPOINTS, &iss,
                            NULL));
    cr_expect_str_eq(iss, "https://issuer.example");
    unsigned char tag[16];
    memset(tag, 0xab, sizeof tag);
    bool revoked = false;
    OK(store_revocation_find(s, tag, &revoked, NULL));
    cr_expect(revoked, "a token revoked before the copy stays revoked");
    unsigned char check[STORE_KEY_CHECK_LEN], want_check[STORE_KEY_CHECK_LEN];
    memset(want_check, 0x5c, sizeof want_check);
    OK(store_key_check_find(s, check, NULL));
    cr_expect_eq(memcmp(check, want_check, sizeof check), 0);
}

/* A client made after the copy gets a sequence above every one handed out
 * before it, the deleted client's included. */
static void expect_fresh_seq(struct store *s, uint64_t high)
{
    add_client(s, CL_4, "four", 9);
    struct client_auth ca = {0};
    OK(store_auth_find(s, &T_a, (struct row_key){CID, CL_4}, &ca, NULL));
    cr_expect_gt(ca.seq, high, "new seq %llu, high-water %llu", (unsigned long long)ca.seq,
                 (unsigned long long)high);
}

Test(copy, sqlite_to_postgresql_and_back, .init = setup, .fini = teardown)
{
    struct store *src = open_sqlite("src.db");
    fill(src);
    struct client_auth ca = {0};
    OK(store_auth_find(src, &T_a, (struct row_key){CID, CL_1}, &ca, NULL));
    uint64_t seq1 = ca.seq;
    struct store_rows hw = {0};
    OK(store_rows_read(src, &T_a, STORE_T_CLIENT_SEQ, &hw, NULL));
    cr_assert_eq(hw.v[0].i, 3, "three clients made, one deleted");

    struct store *pg = open_url(pg_new());
    int counts[STORE_T__COUNT] = {0};
    struct err e = {0};
    cr_assert_eq(store_copy(src, pg, counts, &e), ST_OK, "%s", e.msg);
    cr_expect_eq(counts[STORE_T_CLIENTS], 2);
    cr_expect_eq(counts[STORE_T_PROVIDERS], 2);
    struct store *back = open_sqlite("back.db");
    cr_assert_eq(store_copy(pg, back, NULL, &e), ST_OK, "%s", e.msg);

    expect_same_rows(src, pg, "postgresql");
    expect_same_rows(src, back, "sqlite again");
    expect_readable(pg, seq1);
    expect_readable(back, seq1);
    expect_fresh_seq(pg, 3);
    expect_fresh_seq(back, 3);
    store_close(src);
    store_close(pg);
    store_close(back);
}

/* A destination with rows is refused, and the copy, stopped at the first
 * table that has some, leaves the tables before it empty too. */
static void expect_refused(struct store *src, struct store *dst)
{
    unsigned char check[STORE_KEY_CHECK_LEN];
    memset(check, 1, sizeof check);
    OK(store_key_check_create(dst, check, NULL)); /* meta: copied after every other table */
    struct err e = {0};
    cr_assert_eq(store_copy(src, dst, NULL, &e), ST_CONFLICT);
    cr_expect(strstr(e.msg, "meta"), "names the table: %s", e.msg);
    for (int t = 0; t < STORE_T_META; t++) {
        struct store_rows r = {0};
        OK(store_rows_read(dst, &T_a, (enum store_table)t, &r, NULL));
        cr_expect_eq(r.n, 0, "%s: rolled back", store_table_name((enum store_table)t));
    }
    struct client_auth ca = {0};
    cr_expect_eq(store_auth_find(dst, &T_a, (struct row_key){CID, CL_1}, &ca, NULL), ST_NOT_FOUND);
}

Test(copy, into_a_database_with_rows_is_refused, .init = setup, .fini = teardown)
{
    struct store *src = open_sqlite("src.db");
    fill(src);
    struct store *sq = open_sqlite("dst.db");
    expect_refused(src, sq);
    struct store *pg = open_url(pg_new());
    expect_refused(src, pg);
    store_close(src);
    store_close(sq);
    store_close(pg);
}
