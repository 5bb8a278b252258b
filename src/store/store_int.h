/* SPDX-License-Identifier: MIT */
/* Private: the backends' constructors, chosen by store_open, and what the
 * read cache and a backend that hears other servers' writes share. */
#ifndef SG_STORE_INT_H
#define SG_STORE_INT_H

#include "store.h"

/* server: take the one-server lock first (see store_open_server). */
enum st store_sqlite_open(const char *path, bool server, struct store **out, struct err *e);

/* url: "postgresql://..." or "postgres://..." (libpq's URI form). server
 * is accepted and ignored: many servers may share one database. */
enum st store_pg_open(const char *url, bool server, struct store **out, struct err *e);

/* What a write can change, as the read cache tracks it: each has its own
 * generation there, so provider writes leave the token service's entries
 * alone. STORE_DOMAIN_<data> maps each `data` of STORE_OPS to one; client
 * look-ups join clients, their policies and their customer. */
enum store_domain { SD_AUTH, SD_REVOKED, SD_APP, SD_PROVIDER, SD_META, SD_SIGNIN, SD__COUNT };

#define STORE_DOMAIN_batch SD__COUNT /* group-commit control changes nothing itself */
#define STORE_DOMAIN_customer SD_AUTH
#define STORE_DOMAIN_policy SD_AUTH
#define STORE_DOMAIN_client SD_AUTH
#define STORE_DOMAIN_revocation SD_REVOKED
#define STORE_DOMAIN_app SD_APP
#define STORE_DOMAIN_provider SD_PROVIDER
#define STORE_DOMAIN_meta SD_META
#define STORE_DOMAIN_flow SD_SIGNIN
#define STORE_DOMAIN_signin_token SD_SIGNIN

/* Whether other servers must hear of a write of d: nothing is cached of
 * the key check (meta) or of flows and one-time tokens (only ever taken),
 * so those, the busiest writes of a sign-in, are not announced. */
static inline bool store_domain_announced(enum store_domain d)
{
    return d == SD_AUTH || d == SD_REVOKED || d == SD_APP || d == SD_PROVIDER;
}

/* d's name between servers ("auth", "revoked", ...): a static string of
 * lower-case letters, no longer than 15 bytes. */
const char *store_domain_name(enum store_domain d);
/* The domain named name; false for a name this build does not know. */
bool store_domain_parse(const char *name, enum store_domain *out);

/* Returns a store that caches inner's hot reads (see cache.c) and owns
 * inner. */
struct store *store_cache_wrap(struct store *inner);

/* Called by whatever hears of writes made outside this process (another
 * server's): forgets every entry of cache (a store_cache_wrap handle) that
 * depends on d. Thread-safe, lock-free; a write this process made itself
 * heard once more is harmless. */
void store_cache_changed(struct store *cache, enum store_domain d);
/* on: while writes made elsewhere may go unheard (the channel that tells of
 * them is lost), every look-up of cache reads through and nothing is
 * cached; everything cached before is forgotten at once. off (once the
 * channel is back): caching resumes, forgetting once more whatever a read
 * that began while it was lost could still insert. Thread-safe. */
void store_cache_bypass(struct store *cache, bool on);

/* Makes pg (a store_pg_open handle) keep cache (a store_cache_wrap handle
 * that owns pg) told of every write any server announces on pg's
 * database: a connection of its own LISTENs, a thread calls
 * store_cache_changed for each notification, and store_cache_bypass while
 * the connection is lost (reconnecting with backoff). ST_STORAGE when the
 * first subscription fails. Stopped by closing pg (closing cache does). */
enum st store_pg_listen(struct store *pg, struct store *cache, struct err *e);

/* A copied table as both backends read and write it (see rows_read): its
 * SQL name, its columns, one type letter a column (i integer, t text, b
 * blob; any may hold NULL) and the ORDER BY of a read. The columns are the
 * same in both schemas; only their SQL types differ. */
struct store_table_def {
    const char *name;
    const char *cols;
    const char *types;
    const char *order;
};
/* NULL for STORE_T_CLIENT_SEQ, which each backend keeps its own way. */
const struct store_table_def *store_table_def(enum store_table t);
/* The statement rows_read runs for t into sql (cap bytes): every row of
 * a copied table, its columns in order, or for STORE_T_CLIENT_SEQ the
 * backend's own seq_sql (one integer); *types the columns' type letters.
 * ST_INVALID for any other t, or a statement over cap. */
enum st store_rows_select(enum store_table t, const char *seq_sql, char *sql, size_t cap,
                          const char **types, struct err *e);

#endif
