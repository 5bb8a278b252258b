/* SPDX-License-Identifier: MIT */
/*
 * Configuration clients and social-login apps: conversion from a request
 * body, validation, representation, and generation of ids and secrets.
 * Secrets are generated here but sealed and stored elsewhere.
 */
#include "model_int.h"

#include <ctype.h>
#include <string.h>

static const char *const client_fields[] = {
    F_ID, F_LINKS, F_NAME, F_TYPE, F_TOKEN_POLICY, NULL,
};

enum st client_from_json(struct arena *a, const json_t *body, struct client *c, struct err *e)
{
    (void)a;
    if (!json_is_object(body))
        return ERR(e, ST_INVALID, "", "body must be a JSON object");
    struct err local = {0};
    const char *policy = NULL;
    model_reject_unknown(body, client_fields, &local);
    model_get_string(body, F_NAME, true, &c->name, &local);
    model_get_string(body, F_TYPE, false, &c->type, &local);
    model_get_string(body, F_TOKEN_POLICY, true, &policy, &local);
    if (!c->type)
        c->type = CLIENT_TYPE_CONFIDENTIAL;
    c->policy_id[0] = '\0';
    if (policy) {
        if (util_uuid_valid(policy))
            memcpy(c->policy_id, policy, UUID_LEN + 1);
        else if (*policy)
            ERR(&local, ST_UNPROCESSABLE, "/" F_TOKEN_POLICY, "unknown token policy");
    }
    if (local.st == ST_OK)
        client_validate(c, &local);
    if (local.st != ST_OK && e)
        *e = local;
    return local.st;
}

enum st client_validate(const struct client *c, struct err *e)
{
    enum st st = ST_OK;
    if (!c->name || !*c->name || strlen(c->name) > NAME_MAX_LEN)
        st = ERR(e, ST_UNPROCESSABLE, "/" F_NAME, "must be 1 to %d characters", NAME_MAX_LEN);
    if (!c->type || strcmp(c->type, CLIENT_TYPE_CONFIDENTIAL) != 0)
        st = ERR(e, ST_UNPROCESSABLE, "/" F_TYPE, "only \"confidential\" is supported");
    if (!util_uuid_valid(c->policy_id))
        st = ERR(e, ST_UNPROCESSABLE, "/" F_TOKEN_POLICY, "unknown token policy");
    return st;
}

json_t *client_to_json(const struct client *c, const char *self_href, bool full, const char *secret)
{
    json_t *o = json_object();
    json_object_set_new(o, F_ID, json_string(c->id));
    json_object_set_new(o, F_NAME, json_string(c->name));
    if (full) {
        json_object_set_new(o, F_TYPE, json_string(c->type));
        json_object_set_new(o, F_TOKEN_POLICY, json_string(c->policy_id));
    }
    if (secret)
        json_object_set_new(o, F_SECRET, json_string(secret));
    model_add_self(o, self_href);
    return o;
}

void client_id_generate(char out[CLIENT_ID_LEN + 1])
{
    util_random_b64url(out, 24);
}

void client_secret_generate(char out[CLIENT_SECRET_LEN + 1])
{
    util_random_b64url(out, 32);
}
