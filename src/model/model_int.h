/* SPDX-License-Identifier: MIT */
/*
 * Private helpers shared by the model files: reading typed members out of
 * a JSON object while recording one error detail per bad field.
 */
#ifndef SG_MODEL_INT_H
#define SG_MODEL_INT_H

#include "model.h"

/* Records a 422 detail for every member of obj not in allowed (NULL-ended). */
void model_reject_unknown(const json_t *obj, const char *const *allowed, struct err *e);

/* The string member name of obj: *out = its value, or NULL when absent.
 * Records a detail when present but not a string, or (when required) absent
 * or empty. */
void model_get_string(const json_t *obj, const char *name, bool required, const char **out,
                      struct err *e);

/* The integer member name of obj, or dflt when absent. Records a detail
 * when present but not an integer. */
void model_get_int(const json_t *obj, const char *name, int64_t dflt, int64_t *out, struct err *e);

/* Adds "_links": {"self": {"href": href}} to obj when href is not NULL. */
void model_add_self(json_t *obj, const char *href);

/* The parts of an accepted URL the rules compare. */
struct url_parts {
    char scheme[6]; /* "http" or "https" */
    char host[256]; /* lower-case; IPv6 with its brackets */
    long port;      /* the default one when absent */
    const char *path;
    size_t path_len; /* up to '?' or the end; 0 means "/" */
};

#define URL_MAX_LEN 2048

/* Parses an absolute URL (app.c) into p: http or https, a valid host and
 * port, no userinfo, fragment, backslash, space, quote, angle bracket or
 * non-ASCII byte, at most URL_MAX_LEN; http only on a loopback host
 * (localhost, 127.0.0.1, [::1]). NULL when fine, else why not. */
const char *model_url_parse(const char *u, struct url_parts *p);

#endif
