/* SPDX-License-Identifier: MIT */
/*
 * Token policies: conversion from a request body, validation, and the
 * representation of SPEC §4. Storage and HTTP are elsewhere.
 */
#include "model_int.h"

#include "../oauth/oauth.h"

#include <stdio.h>
#include <string.h>

static const char *const policy_fields[] = {
    F_ID, F_LINKS, F_TITLE, F_ACCESS_LIFETIME, F_REFRESH_LIFETIME, F_ALLOWED_SCOPES, NULL,
};

static void get_scopes(struct arena *a, const json_t *body, struct policy *p, struct err *e)
{
    json_t *v = json_object_get(body, F_ALLOWED_SCOPES);
    p->nscopes = 0;
    p->scopes = NULL;
    if (!v || json_is_null(v)) {
        ERR(e, ST_UNPROCESSABLE, "/" F_ALLOWED_SCOPES, "required");
        return;
    }
    if (!json_is_array(v)) {
        ERR(e, ST_UNPROCESSABLE, "/" F_ALLOWED_SCOPES, "must be an array of strings");
        return;
    }
    size_t n = json_array_size(v);
    if (n > POLICY_SCOPES_MAX) {
        ERR(e, ST_UNPROCESSABLE, "/" F_ALLOWED_SCOPES, "at most %d scopes", POLICY_SCOPES_MAX);
        return;
    }
    p->scopes = arena_alloc(a, (n + 1) * sizeof *p->scopes);
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(v, i);
        if (!json_is_string(s)) {
            char ptr[64];
            snprintf(ptr, sizeof ptr, "/%s/%zu", F_ALLOWED_SCOPES, i);
            ERR(e, ST_UNPROCESSABLE, ptr, "must be a string");
            continue;
        }
        p->scopes[p->nscopes++] = json_string_value(s);
    }
}

enum st policy_from_json(struct arena *a, const json_t *body, struct policy *p, struct err *e)
{
    if (!json_is_object(body))
        return ERR(e, ST_INVALID, "", "body must be a JSON object");
    struct err local = {0};
    model_reject_unknown(body, policy_fields, &local);
    model_get_string(body, F_TITLE, true, &p->title, &local);
    model_get_int(body, F_ACCESS_LIFETIME, POLICY_LIFETIME_DEFAULT, &p->access_lifetime, &local);
    model_get_int(body, F_REFRESH_LIFETIME, POLICY_REFRESH_DEFAULT, &p->refresh_lifetime, &local);
    get_scopes(a, body, p, &local);
    if (local.st == ST_OK)
        policy_validate(p, &local);
    if (local.st != ST_OK && e)
        *e = local;
    return local.st;
}

/* allowedScopes[i] follows the grammar of SPEC §3 and is not a repeat of
 * an earlier entry; else a 422 detail "/allowedScopes/<i>". */
static enum st scope_check(const struct policy *p, int i, struct err *e)
{
    const char *why = NULL;
    if (!oauth_scope_valid(p->scopes[i]))
        why = "not a valid scope: METHOD:PATH, METHOD \"*\" or an upper-case HTTP method, PATH "
              "'/'-separated glob segments (\"**\" or text with '*')";
    for (int j = 0; j < i && !why; j++)
        if (strcmp(p->scopes[i], p->scopes[j]) == 0)
            why = "repeats an earlier scope";
    if (!why)
        return ST_OK;
    char ptr[64];
    snprintf(ptr, sizeof ptr, "/%s/%d", F_ALLOWED_SCOPES, i);
    return ERR(e, ST_UNPROCESSABLE, ptr, "%s", why);
}

enum st policy_validate(const struct policy *p, struct err *e)
{
    enum st st = ST_OK;
    if (!p->title || !*p->title || strlen(p->title) > NAME_MAX_LEN)
        st = ERR(e, ST_UNPROCESSABLE, "/" F_TITLE, "must be 1 to %d characters", NAME_MAX_LEN);
    if (p->access_lifetime < POLICY_LIFETIME_MIN || p->access_lifetime > POLICY_LIFETIME_MAX)
        st = ERR(e, ST_UNPROCESSABLE, "/" F_ACCESS_LIFETIME, "must be between %d and %d",
                 POLICY_LIFETIME_MIN, POLICY_LIFETIME_MAX);
    if (p->refresh_lifetime < 1 || p->refresh_lifetime > INT32_MAX)
        st = ERR(e, ST_UNPROCESSABLE, "/" F_REFRESH_LIFETIME, "must be a positive integer");
    if (p->nscopes > POLICY_SCOPES_MAX)
        st = ERR(e, ST_UNPROCESSABLE, "/" F_ALLOWED_SCOPES, "at most %d scopes", POLICY_SCOPES_MAX);
    for (int i = 0; i < p->nscopes && i < POLICY_SCOPES_MAX; i++) {
        enum st one = scope_check(p, i, e);
        if (one != ST_OK)
            st = one;
    }
    return st;
}

json_t *policy_to_json(const struct policy *p, const char *self_href, bool full)
{
    json_t *o = json_object();
    json_object_set_new(o, F_ID, json_string(p->id));
    json_object_set_new(o, F_TITLE, json_string(p->title));
    if (full) {
        json_t *scopes = json_array();
        for (int i = 0; i < p->nscopes; i++)
            json_array_append_new(scopes, json_string(p->scopes[i]));
        json_object_set_new(o, F_ACCESS_LIFETIME, json_integer(p->access_lifetime));
        json_object_set_new(o, F_REFRESH_LIFETIME, json_integer(p->refresh_lifetime));
        json_object_set_new(o, F_ALLOWED_SCOPES, scopes);
    }
    model_add_self(o, self_href);
    return o;
}

char *scopes_join(struct arena *a, const char *const *scopes, int n, uint32_t mask)
{
    size_t len = 1;
    for (int i = 0; i < n && i < 32; i++)
        if (mask & (UINT32_C(1) << i))
            len += strlen(scopes[i]) + 1;
    char *out = arena_alloc(a, len);
    char *p = out;
    for (int i = 0; i < n && i < 32; i++) {
        if (!(mask & (UINT32_C(1) << i)))
            continue;
        if (p != out)
            *p++ = ' ';
        size_t l = strlen(scopes[i]);
        memcpy(p, scopes[i], l);
        p += l;
    }
    *p = '\0';
    return out;
}
