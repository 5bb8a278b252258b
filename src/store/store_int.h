/* SPDX-License-Identifier: MIT */
/* Private: the backends' constructors, chosen by store_open. */
#ifndef SG_STORE_INT_H
#define SG_STORE_INT_H

#include "store.h"

/* server: take the one-server lock first (see store_open_server). */
enum st store_sqlite_open(const char *path, bool server, struct store **out, struct err *e);

/* url: "postgresql://..." or "postgres://..." (libpq's URI form). server
 * is accepted and ignored: many servers may share one database. */
enum st store_pg_open(const char *url, bool server, struct store **out, struct err *e);

/* Returns a store that caches inner's hot reads (see cache.c) and owns
 * inner. */
struct store *store_cache_wrap(struct store *inner);

#endif
