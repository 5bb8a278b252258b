/* SPDX-License-Identifier: MIT */
/*
 * Conditional requests (RFC 9110 §13): the ETag header, If-None-Match on
 * reads (weak comparison, 304) and If-Match / If-None-Match on writes
 * (strong comparison, 412). Tags are 64 hex characters, quoted on the wire.
 */
#include "api_int.h"

#include <string.h>

void api_etag(struct ctx *c, const char *etag)
{
    api_resp_header(c, HDR_ETAG, arena_printf(c->a, "\"%s\"", etag));
}

bool api_etag_list_has(const char *h, const char *etag, bool weak)
{
    size_t n = strlen(etag);
    while (h && *h) {
        h += strspn(h, " \t,");
        if (*h == '*')
            return true;
        bool is_weak = strncmp(h, "W/", 2) == 0;
        if (is_weak)
            h += 2;
        if (*h != '"')
            return false; /* malformed: nothing after it can be trusted */
        const char *end = strchr(h + 1, '"');
        if (!end)
            return false;
        if ((weak || !is_weak) && (size_t)(end - h - 1) == n && memcmp(h + 1, etag, n) == 0)
            return true;
        h = end + 1;
    }
    return false;
}

bool api_not_modified(struct ctx *c, const char *etag)
{
    return c->req->if_none_match && api_etag_list_has(c->req->if_none_match, etag, true);
}

enum st api_preconditions(struct ctx *c, const char *etag)
{
    if (c->req->if_match && !api_etag_list_has(c->req->if_match, etag, false))
        return ERR(&c->err, ST_PRECONDITION, NULL, "If-Match does not match the current ETag");
    if (c->req->if_none_match && api_etag_list_has(c->req->if_none_match, etag, true))
        return ERR(&c->err, ST_PRECONDITION, NULL, "If-None-Match matches the current ETag");
    return ST_OK;
}
