/* SPDX-License-Identifier: MIT */
/*
 * The store interface: picks a backend by URL scheme and forwards each
 * call through the backend's operation table (the forwarders are generated
 * from STORE_OPS). No SQL here.
 */
#include "store_int.h"

#include <string.h>

static enum st open_url(const char *url, bool server, struct store **out, struct err *e)
{
    *out = NULL;
    /* PostgreSQL is not cached yet: other instances write to the same
     * database, and until each learns of their writes (change
     * notifications, SPEC §8) a cached row could be a second old. Every
     * read goes to the database meanwhile. */
    if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0)
        return store_pg_open(url, server, out, e);
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
