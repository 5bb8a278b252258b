/* SPDX-License-Identifier: MIT */
/*
 * The store interface: picks a backend by URL scheme and forwards each
 * call through the backend's operation table (the forwarders are generated
 * from STORE_OPS). No SQL here.
 */
#include "store_int.h"

#include <string.h>

static const char *const domain_names[SD__COUNT] = {
    [SD_AUTH] = "auth",         [SD_REVOKED] = "revoked", [SD_APP] = "app",
    [SD_PROVIDER] = "provider", [SD_META] = "meta",       [SD_SIGNIN] = "signin",
};

const char *store_domain_name(enum store_domain d)
{
    return (unsigned)d < SD__COUNT ? domain_names[d] : "";
}

bool store_domain_parse(const char *name, enum store_domain *out)
{
    for (int d = 0; d < SD__COUNT; d++)
        if (strcmp(name, domain_names[d]) == 0) {
            *out = (enum store_domain)d;
            return true;
        }
    return false;
}

static const struct store_table_def tables[STORE_T__COUNT] = {
    [STORE_T_CUSTOMERS] = {"customers", "id, created_at", "ti", "id"},
    [STORE_T_POLICIES] = {"token_policies",
                          "customer_id, id, title, access_lifetime, refresh_lifetime,"
                          " allowed_scopes, created_at",
                          "tttiiti", "customer_id, id"},
    [STORE_T_CLIENTS] = {"clients",
                         "seq, customer_id, id, name, type, policy_id, secret_sealed,"
                         " secret_verifier, created_at",
                         "itttttbbi", "seq"},
    [STORE_T_REVOCATIONS] = {"revocations", "tag, expires_at", "bi", "tag"},
    [STORE_T_APPS] = {"apps",
                      "customer_id, id, name, realm, created_at, api_key_sealed,"
                      " api_key_verifier, token_urls, settings",
                      "ttttibbtt", "customer_id, id"},
    [STORE_T_PROVIDERS] = {"providers",
                           "customer_id, app_id, id, protocol, doc, secret_sealed, etag,"
                           " created_at, updated_at, summary",
                           "tttttbtttt", "customer_id, app_id, id"},
    [STORE_T_ISSUER_PINS] = {"issuer_pins", "customer_id, app_id, provider_id, endpoints, iss",
                             "ttttt", "customer_id, app_id, provider_id"},
    [STORE_T_META] = {"meta", "name, value", "tb", "name"},
};

const struct store_table_def *store_table_def(enum store_table t)
{
    return (unsigned)t < STORE_T__COUNT && tables[t].name ? &tables[t] : NULL;
}

enum st store_rows_select(enum store_table t, const char *seq_sql, char *sql, size_t cap,
                          const char **types, struct err *e)
{
    const struct store_table_def *d = store_table_def(t);
    int n;
    if (d)
        n = snprintf(sql, cap, "SELECT %s FROM %s ORDER BY %s", d->cols, d->name, d->order);
    else if (t == STORE_T_CLIENT_SEQ)
        n = snprintf(sql, cap, "%s", seq_sql);
    else
        return ERR(e, ST_INVALID, NULL, "no such table");
    if (n < 0 || (size_t)n >= cap)
        return ERR(e, ST_INVALID, NULL, "the read of %s is too long", store_table_name(t));
    *types = d ? d->types : "i";
    return ST_OK;
}

const char *store_table_columns(enum store_table t)
{
    const struct store_table_def *d = store_table_def(t);
    return d ? d->cols : "seq";
}

const char *store_table_name(enum store_table t)
{
    const struct store_table_def *d = store_table_def(t);
    return d ? d->name : "client_seq";
}

/* PostgreSQL is cached too: other servers write to the same database, and
 * the backend's listener tells the cache of every write they announce
 * (SPEC §8), or makes it read through while it cannot. */
static enum st open_pg(const char *url, bool server, struct store **out, struct err *e)
{
    struct store *inner = NULL;
    enum st st = store_pg_open(url, server, &inner, e);
    if (st != ST_OK)
        return st;
    struct store *cache = store_cache_wrap(inner);
    st = store_pg_listen(inner, cache, e);
    if (st != ST_OK) {
        store_close(cache);
        return st;
    }
    *out = cache;
    return ST_OK;
}

static enum st open_url(const char *url, bool server, struct store **out, struct err *e)
{
    *out = NULL;
    if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0)
        return open_pg(url, server, out, e);
    if (strncmp(url, "sqlite:", 7) == 0)
        url += 7;
    if (!*url)
        return ERR(e, ST_STORAGE, NULL, "empty database path");
    struct store *inner = NULL;
    enum st st = store_sqlite_open(url, server, &inner, e);
    if (st == ST_OK)
        *out = store_cache_wrap(inner);
    return st;
}

enum st store_open(const char *url, struct store **out, struct err *e)
{
    return open_url(url, false, out, e);
}

enum st store_open_server(const char *url, struct store **out, struct err *e)
{
    return open_url(url, true, out, e);
}

void store_close(struct store *s)
{
    if (s)
        s->ops->close(s);
}

#define FORWARD(name, kind, data, params, args)                                                    \
    enum st store_##name(struct store *s, STORE_UNPAREN params)                                    \
    {                                                                                              \
        return s->ops->name(s, STORE_UNPAREN args);                                                \
    }
STORE_OPS(FORWARD)

enum st store_copy(struct store *from, struct store *to, int counts[STORE_T__COUNT], struct err *e)
{
    struct arena a;
    arena_init(&a);
    enum st st = store_batch_begin(to, e);
    bool begun = st == ST_OK;
    for (int t = 0; st == ST_OK && t < STORE_T__COUNT; t++) {
        struct store_rows rows = {0};
        st = store_rows_read(from, &a, (enum store_table)t, &rows, e);
        if (st == ST_OK)
            st = store_rows_write(to, (enum store_table)t, &rows, e);
        if (counts)
            counts[t] = rows.n;
    }
    if (st == ST_OK) {
        st = store_batch_end(to, e);
    } else if (begun) {
        struct err ignored = {0};
        store_batch_abort(to, &ignored);
    }
    arena_cleanup(&a);
    return st;
}
