/* SPDX-License-Identifier: MIT */
/*
 * /{c}/config/tokenPolicies (SPEC §4): list, create, view, replace,
 * delete. Validation is model/'s; uniqueness and references are store/'s.
 */
#include "api_int.h"

#include <stdio.h>

#define POLICIES_PATH "/%s/config/tokenPolicies"
#define POLICY_PATH "/%s/config/tokenPolicies/%s"

enum st api_policy_list(struct ctx *c)
{
    struct policy_list l = {0};
    enum st st = store_policy_list(c->env->store, c->a, c->customer_id, &l, &c->err);
    if (st != ST_OK)
        return st;
    struct policy *v = l.v;
    int n = l.n;
    json_t *items = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(
            items, policy_to_json(&v[i], api_href(c, POLICY_PATH, c->customer_id, v[i].id), false));
    api_resp_json(c, 200,
                  json_pack("{s:i,s:{s:o}}", L_TOTAL, n, F_EMBEDDED, "tokenPolicies", items));
    return ST_OK;
}

static enum st show(struct ctx *c, const char *id, int status)
{
    struct policy p;
    enum st st =
        store_policy_get(c->env->store, c->a, (struct row_key){c->customer_id, id}, &p, &c->err);
    if (st == ST_OK)
        api_resp_json(c, status,
                      policy_to_json(&p, api_href(c, POLICY_PATH, c->customer_id, id), true));
    return st;
}

/* Parses the body into p; p->id is left to the caller. */
static enum st read_body(struct ctx *c, json_t **body, struct policy *p)
{
    enum st st = api_body_json(c, body);
    if (st == ST_OK)
        st = policy_from_json(c->a, *body, p, &c->err);
    if (st == ST_OK) /* no escalation: only scopes the caller holds */
        st = api_caller_holds(c, p->scopes, p->nscopes);
    return st;
}

enum st api_policy_create(struct ctx *c)
{
    json_t *body = NULL;
    struct policy p = {0};
    enum st st = read_body(c, &body, &p);
    if (st == ST_OK) {
        util_uuid_v4(p.id);
        st = store_policy_create(c->env->store, c->customer_id, &p, &c->err);
    }
    json_decref(body);
    if (st != ST_OK)
        return st;
    api_resp_header(c, HDR_LOCATION, api_href(c, POLICY_PATH, c->customer_id, p.id));
    api_resp_json(c, 201, json_string(p.id));
    return ST_OK;
}

enum st api_policy_get(struct ctx *c)
{
    return show(c, c->id, 200);
}

enum st api_policy_replace(struct ctx *c)
{
    json_t *body = NULL;
    struct policy p = {0};
    enum st st = ST_NOT_FOUND;
    if (!util_uuid_valid(c->id))
        return ERR(&c->err, ST_NOT_FOUND, NULL, "no such token policy");
    st = read_body(c, &body, &p);
    if (st == ST_OK) {
        snprintf(p.id, sizeof p.id, "%s", c->id);
        st = store_policy_update(c->env->store, c->customer_id, &p, &c->err);
    }
    if (st == ST_OK) /* the answer is what was written: inside a batch, a read
                        would still see the version before it */
        api_resp_json(c, 200,
                      policy_to_json(&p, api_href(c, POLICY_PATH, c->customer_id, p.id), true));
    json_decref(body);
    return st;
}

enum st api_policy_delete(struct ctx *c)
{
    enum st st =
        store_policy_delete(c->env->store, (struct row_key){c->customer_id, c->id}, &c->err);
    if (st == ST_OK)
        api_resp_empty(c, 204);
    return st;
}
