/* SPDX-License-Identifier: MIT */
/*
 * Fault injection for the in-process tests: a store that forwards every
 * call to another store, except the Nth, which fails with ST_STORAGE as a
 * broken disk or database would. Counts calls so a test can first learn how
 * many a request makes, then fail each position in turn. Test code only.
 */
#ifndef SG_TEST_FAULT_STORE_H
#define SG_TEST_FAULT_STORE_H

#include <stdlib.h>
#include <string.h>

#include "store/store.h"

struct fault_store {
    struct store base;
    struct store *inner;
    int calls;   /* made so far */
    int fail_at; /* the call (0-based) that fails; -1: none */
};

#define FS(s) ((struct fault_store *)(s))

/* True (and e filled) when this call is the one to fail. */
static inline bool fault_now(struct store *s, struct err *e)
{
    struct fault_store *f = FS(s);
    if (f->calls++ != f->fail_at)
        return false;
    ERR(e, ST_STORAGE, NULL, "injected failure at call %d", f->fail_at);
    return true;
}

/* A failed commit (batch_end) or rollback still ends the batch, as the
 * store's contract says: the inner batch is rolled back. */
static inline enum st fault_fail(struct store *s, const char *op)
{
    struct err ignored = {0};
    if (!strcmp(op, "batch_end") || !strcmp(op, "batch_abort"))
        store_batch_abort(FS(s)->inner, &ignored);
    return ST_STORAGE;
}

/* One forwarding operation for each line of STORE_OPS. */
#define FAULT_OP(name, kind, data, params, args)                                                   \
    static enum st fault_##name(struct store *s, STORE_UNPAREN params)                             \
    {                                                                                              \
        if (fault_now(s, e))                                                                       \
            return fault_fail(s, #name);                                                           \
        return store_##name(FS(s)->inner, STORE_UNPAREN args);                                     \
    }
STORE_OPS(FAULT_OP)

static inline void fault_close(struct store *s)
{
    store_close(FS(s)->inner);
    free(s);
}

#define FAULT_ENTRY(name, kind, data, params, args) .name = fault_##name,
static const struct store_ops fault_ops = {
    .name = "fault", .close = fault_close, STORE_OPS(FAULT_ENTRY)};

/* Wraps inner (taking ownership); no call fails until fail_at is set. */
static inline struct fault_store *fault_wrap(struct store *inner)
{
    struct fault_store *f = calloc(1, sizeof *f);
    f->base.ops = &fault_ops;
    f->inner = inner;
    f->fail_at = -1;
    return f;
}

#endif
