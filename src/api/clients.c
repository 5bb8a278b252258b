/* SPDX-License-Identifier: MIT */
/*
 * /{c}/config/clients (SPEC §4): list, create (the only answer besides
 * /secret that carries a secret), view, replace, delete, and the secret's
 * read and rotation. Secrets are sealed with the installation key before
 * they reach the store and verified by a keyed hash.
 */
#include "api_int.h"

#include <stdlib.h>
#include <string.h>

#define CLIENT_PATH "/%s/config/clients/%s"

enum st api_client_list(struct ctx *c)
{
    struct client_list l = {0};
    enum st st = store_client_list(c->env->store, c->a, c->customer_id, &l, &c->err);
    if (st != ST_OK)
        return st;
    struct client *v = l.v;
    int n = l.n;
    json_t *items = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(
            items,
            client_to_json(&v[i], api_href(c, CLIENT_PATH, c->customer_id, v[i].id), false, NULL));
    api_resp_json(c, 200, json_pack("{s:i,s:{s:o}}", L_TOTAL, n, F_EMBEDDED, "clients", items));
    return ST_OK;
}

/* Generates a secret, seals it into sec (free sec->blob) and returns it. */
static void new_secret(struct ctx *c, char out[CLIENT_SECRET_LEN + 1], struct sealed_secret *sec)
{
    client_secret_generate(out);
    keys_seal(c->env->keys, out, CLIENT_SECRET_LEN, &sec->blob, &sec->len);
    keys_verifier(c->env->keys, out, CLIENT_SECRET_LEN, sec->verifier);
}

/* No escalation: ST_OK when the caller holds every scope of policy pid (an
 * unknown policy is left to the store, which answers 422). */
static enum st may_assign(struct ctx *c, const char *pid)
{
    struct policy p;
    struct err e = {0};
    enum st st =
        store_policy_get(c->env->store, c->a, (struct row_key){c->customer_id, pid}, &p, &e);
    if (st == ST_NOT_FOUND)
        return ST_OK;
    if (st != ST_OK) {
        c->err = e;
        return st;
    }
    return api_caller_holds(c, p.scopes, p.nscopes);
}

/* No escalation: a client's secret is for callers covering POST on it and
 * holding every scope the client may get. */
static enum st may_know_secret(struct ctx *c)
{
    if (!api_caller_covers(c, "POST", c->rest))
        return api_insufficient_scope(c);
    struct client_auth who;
    enum st st = store_auth_find(c->env->store, c->a, (struct row_key){c->customer_id, c->id}, &who,
                                 &c->err);
    if (st == ST_NOT_FOUND) /* unknown client: the store's 404 follows */
        err_clear(&c->err);
    if (st != ST_OK)
        return st == ST_NOT_FOUND ? ST_OK : st;
    return api_caller_holds(c, who.scopes, who.nscopes);
}

/* Answers with a secret, which is never to be cached. */
static void resp_secret(struct ctx *c, int status, json_t *body)
{
    api_resp_header(c, HDR_PRAGMA, "no-cache");
    api_resp_json(c, status, body);
}

/* Parses the body into cl (its id is the caller's) and checks that the
 * caller may give it that policy (caller decrefs *body). */
static enum st read_body(struct ctx *c, json_t **body, struct client *cl)
{
    enum st st = api_body_json(c, body);
    if (st == ST_OK)
        st = client_from_json(c->a, *body, cl, &c->err);
    if (st == ST_OK)
        st = may_assign(c, cl->policy_id);
    return st;
}

enum st api_client_create(struct ctx *c)
{
    json_t *body = NULL;
    struct client cl = {0};
    enum st st = read_body(c, &body, &cl);
    char secret[CLIENT_SECRET_LEN + 1] = "";
    struct sealed_secret sec = {0};
    if (st == ST_OK) {
        client_id_generate(cl.id);
        new_secret(c, secret, &sec);
        st = store_client_create(c->env->store, c->customer_id, &cl, &sec, &c->err);
        free(sec.blob);
    }
    if (st == ST_OK) {
        const char *self = api_href(c, CLIENT_PATH, c->customer_id, cl.id);
        api_resp_header(c, HDR_LOCATION, self);
        resp_secret(c, 201, client_to_json(&cl, self, true, secret));
    }
    secret_wipe(secret, sizeof secret);
    json_decref(body);
    return st;
}

enum st api_client_get(struct ctx *c)
{
    struct client cl;
    enum st st = store_client_get(c->env->store, c->a, (struct row_key){c->customer_id, c->id}, &cl,
                                  &c->err);
    if (st == ST_OK)
        api_resp_json(
            c, 200,
            client_to_json(&cl, api_href(c, CLIENT_PATH, c->customer_id, c->id), true, NULL));
    return st;
}

enum st api_client_replace(struct ctx *c)
{
    json_t *body = NULL;
    struct client cl = {0};
    enum st st = read_body(c, &body, &cl);
    if (st == ST_OK) {
        snprintf(cl.id, sizeof cl.id, "%s", c->id);
        st = strlen(c->id) == CLIENT_ID_LEN
                 ? store_client_update(c->env->store, c->customer_id, &cl, &c->err)
                 : ERR(&c->err, ST_NOT_FOUND, NULL, "no such client");
    }
    if (st == ST_OK) /* what was written (a read could predate the batch) */
        api_resp_json(
            c, 200,
            client_to_json(&cl, api_href(c, CLIENT_PATH, c->customer_id, cl.id), true, NULL));
    json_decref(body);
    return st;
}

enum st api_client_delete(struct ctx *c)
{
    enum st st =
        store_client_delete(c->env->store, (struct row_key){c->customer_id, c->id}, &c->err);
    if (st == ST_OK)
        api_resp_empty(c, 204);
    return st;
}

enum st api_client_secret_get(struct ctx *c)
{
    struct sealed_secret sec = {0};
    struct secret plain = {0};
    enum st st = may_know_secret(c);
    if (st == ST_OK)
        st =
            store_secret_get(c->env->store, (struct row_key){c->customer_id, c->id}, &sec, &c->err);
    if (st == ST_OK && keys_unseal(c->env->keys, sec.blob, sec.len, &plain) != ST_OK)
        st = ERR(&c->err, ST_INTERNAL, NULL, "a stored secret does not open with this key file");
    free(sec.blob);
    if (st == ST_OK) {
        json_t *body = json_object();
        json_object_set_new(body, F_SECRET, json_stringn((const char *)plain.b, plain.len));
        resp_secret(c, 200, body);
    }
    secret_cleanup(&plain);
    return st;
}

enum st api_client_secret_rotate(struct ctx *c)
{
    char secret[CLIENT_SECRET_LEN + 1] = "";
    struct sealed_secret sec = {0};
    enum st st = may_know_secret(c);
    if (st == ST_OK) {
        new_secret(c, secret, &sec);
        st =
            store_secret_set(c->env->store, (struct row_key){c->customer_id, c->id}, &sec, &c->err);
        free(sec.blob);
    }
    if (st == ST_OK)
        resp_secret(c, 200, json_pack("{s:s}", F_SECRET, secret));
    secret_wipe(secret, sizeof secret);
    return st;
}
