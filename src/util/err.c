/* SPDX-License-Identifier: MIT */
/*
 * The project-wide status codes and the caller-owned error record.
 * Mapping a status to HTTP is not done here (see api/status.c).
 */
#include "util.h"

#include <stdio.h>
#include <string.h>

static const char *const names[ST__COUNT] = {
    [ST_OK] = "ok",
    [ST_INVALID] = "invalid",
    [ST_UNPROCESSABLE] = "unprocessable",
    [ST_NOT_FOUND] = "not_found",
    [ST_CONFLICT] = "conflict",
    [ST_FORBIDDEN] = "forbidden",
    [ST_UNAUTHORIZED] = "unauthorized",
    [ST_METHOD] = "method_not_allowed",
    [ST_UNSUPPORTED_MEDIA] = "unsupported_media_type",
    [ST_TOO_LARGE] = "too_large",
    [ST_PRECONDITION] = "precondition_failed",
    [ST_RATE_LIMITED] = "rate_limited",
    [ST_NOT_IMPLEMENTED] = "not_implemented",
    [ST_STORAGE] = "storage",
    [ST_INTERNAL] = "internal",
};

const char *st_name(enum st st)
{
    if ((unsigned)st >= ST__COUNT)
        return "internal";
    return names[st];
}

enum st err_set(struct err *e, const char *file, int line, enum st st, const char *field,
                const char *fmt, ...)
{
    if (!e)
        return st;
    char msg[sizeof e->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (e->st == ST_OK) {
        e->st = st;
        e->file = file;
        e->line = line;
        snprintf(e->msg, sizeof e->msg, "%s", msg);
    }
    if (field && e->ndetails < ERR_MAX_DETAILS) {
        struct err_detail *d = &e->details[e->ndetails++];
        snprintf(d->field, sizeof d->field, "%s", field);
        snprintf(d->reason, sizeof d->reason, "%.*s", (int)sizeof d->reason - 1, msg);
    }
    return e->st;
}

void err_clear(struct err *e)
{
    if (e)
        memset(e, 0, sizeof *e);
}
