/* SPDX-License-Identifier: MIT */
/*
 * In-process: /{c}/config/clients (SPEC §4) — create (the only answer with
 * a secret besides /secret), view, list, replace, delete, the secret's read
 * and rotation, and what each does to the token endpoint and to tokens
 * already issued.
 */
#include <stdarg.h>

#include "harness.h"

TestSuite(api_clients, .init = t_setup, .fini = t_teardown);

#define PUBLIC "https://sg.example.test"
#define CLIENTS "/" CID_A "/config/clients"
#define TOKEN "/" CID_A "/login/token"
#define UNKNOWN_UUID "5d0c3a7e-8f21-4b6a-9c4d-1e2f3a4b5c6d"

struct admin {
    char id[CLIENT_ID_LEN + 1];
    char secret[CLIENT_SECRET_LEN + 1];
    char auth[96];
    char policy[UUID_LEN + 1]; /* a `*:**` policy made through the API */
};

/* A created client as the API answered it. */
struct made {
    char id[CLIENT_ID_LEN + 1];
    char secret[CLIENT_SECRET_LEN + 1];
};

static void assert_error(const struct t_resp *r, int status, const char *reason)
{
    cr_assert_eq(r->status, status, "want %d, got %d %s", status, r->status, r->body);
    cr_assert_str_eq(t_jstr(r->json, "error"), reason, "%s", r->body);
    cr_assert_str_eq(t_jstr(r->json, "errors"), reason, "%s", r->body);
}

/* Creates a policy through the API; writes its id. */
static void policy_create(const struct admin *a, const char *body, char id[UUID_LEN + 1])
{
    struct t_resp r = {0};
    t_call(&r, "POST", "/" CID_A "/config/tokenPolicies", "application/json", a->auth, body);
    cr_assert_eq(r.status, 201, "create policy: %d %s", r.status, r.body);
    snprintf(id, UUID_LEN + 1, "%s", json_string_value(r.json));
    t_resp_free(&r);
}

static void admin_init(struct admin *a)
{
    char tok[OAUTH_TOKEN_LEN + 1];
    t_customer(CID_A, "[\"*:**\"]", 3600, a->id, a->secret);
    t_token(CID_A, a->id, a->secret, NULL, tok);
    snprintf(a->auth, sizeof a->auth, "Bearer %s", tok);
    policy_create(a, "{\"title\":\"all\",\"allowedScopes\":[\"*:**\"]}", a->policy);
}

static bool b64url_only(const char *s)
{
    return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") ==
           strlen(s);
}

/* Creates a client; r keeps the answer. */
static void client_create(const struct admin *a, const char *name, const char *pid, struct made *m)
{
    char body[256];
    snprintf(body, sizeof body, "{\"name\":\"%s\",\"tokenPolicy\":\"%s\"}", name, pid);
    struct t_resp r = {0};
    t_call(&r, "POST", CLIENTS, "application/json", a->auth, body);
    cr_assert_eq(r.status, 201, "create client %s: %d %s", name, r.status, r.body);
    snprintf(m->id, sizeof m->id, "%s", t_jstr(r.json, "id"));
    snprintf(m->secret, sizeof m->secret, "%s", t_jstr(r.json, "secret"));
    t_resp_free(&r);
}

/* Status of a client_credentials request with (id, secret) in the body. */
static int token_status(const char *id, const char *secret)
{
    char body[256];
    snprintf(body, sizeof body, "grant_type=client_credentials&client_id=%s&client_secret=%s", id,
             secret);
    struct t_resp r = {0};
    t_call(&r, "POST", TOKEN, MEDIA_FORM, NULL, body);
    int status = r.status;
    if (status == 401)
        cr_assert_str_eq(t_jstr(r.json, "error"), "invalid_client", "%s", r.body);
    t_resp_free(&r);
    return status;
}

static void bearer(char out[96], const char *id, const char *secret)
{
    char tok[OAUTH_TOKEN_LEN + 1];
    t_token(CID_A, id, secret, NULL, tok);
    snprintf(out, 96, "Bearer %s", tok);
}

Test(api_clients, create_is_201_with_secret_and_location)
{
    struct admin a;
    admin_init(&a);
    struct t_resp r = {0};
    char body[256];
    snprintf(body, sizeof body, "{\"name\":\"ci\",\"tokenPolicy\":\"%s\"}", a.policy);
    t_call(&r, "POST", CLIENTS, "application/json", a.auth, body);
    cr_assert_eq(r.status, 201, "%d %s", r.status, r.body);
    const char *id = t_jstr(r.json, "id"), *secret = t_jstr(r.json, "secret");
    cr_assert(id && strlen(id) == CLIENT_ID_LEN && b64url_only(id), "id %s", r.body);
    cr_assert(secret && strlen(secret) == CLIENT_SECRET_LEN && b64url_only(secret), "%s", r.body);
    char href[256];
    snprintf(href, sizeof href, PUBLIC CLIENTS "/%s", id);
    json_t *want = json_pack("{s:s,s:s,s:s,s:s,s:s,s:{s:{s:s}}}", "id", id, "name", "ci", "type",
                             "confidential", "tokenPolicy", a.policy, "secret", secret, "_links",
                             "self", "href", href);
    cr_assert(json_equal(r.json, want), "got %s", r.body);
    cr_assert_str_eq(t_header(&r, "Location"), href);
    cr_assert_str_eq(t_header(&r, "Pragma"), "no-cache");
    /* and the secret works at once */
    struct made m;
    snprintf(m.id, sizeof m.id, "%s", id);
    snprintf(m.secret, sizeof m.secret, "%s", secret);
    cr_assert_eq(token_status(m.id, m.secret), 200);
    json_decref(want);
    t_resp_free(&r);
}

Test(api_clients, get_shows_the_client_without_its_secret)
{
    struct admin a;
    admin_init(&a);
    struct made m;
    client_create(&a, "viewer", a.policy, &m);
    struct t_resp r = {0};
    t_callf(&r, "GET", NULL, a.auth, NULL, CLIENTS "/%s", m.id);
    cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
    char href[256];
    snprintf(href, sizeof href, PUBLIC CLIENTS "/%s", m.id);
    json_t *want =
        json_pack("{s:s,s:s,s:s,s:s,s:{s:{s:s}}}", "id", m.id, "name", "viewer", "type",
                  "confidential", "tokenPolicy", a.policy, "_links", "self", "href", href);
    cr_assert(json_equal(r.json, want), "got %s", r.body);
    cr_assert_null(strstr(r.body, m.secret), "secret leaked: %s", r.body);
    json_decref(want);
    t_resp_free(&r);
}

Test(api_clients, list_has_total_and_embedded_summaries_without_secrets)
{
    struct admin a;
    admin_init(&a); /* one client ("c") from t_customer */
    struct made m;
    client_create(&a, "second", a.policy, &m);
    struct t_resp r = {0};
    t_call(&r, "GET", CLIENTS, NULL, a.auth, NULL);
    cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
    cr_assert_eq(json_object_size(r.json), 2, "%s", r.body);
    cr_assert_eq(json_integer_value(json_object_get(r.json, "total")), 2, "%s", r.body);
    json_t *emb = json_object_get(r.json, "_embedded");
    cr_assert_eq(json_object_size(emb), 1, "%s", r.body);
    json_t *items = json_object_get(emb, "clients");
    cr_assert_eq(json_array_size(items), 2, "%s", r.body);
    bool found_admin = false, found_new = false;
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        char href[256];
        snprintf(href, sizeof href, PUBLIC CLIENTS "/%s", t_jstr(it, "id"));
        json_t *want = json_pack("{s:s,s:s,s:{s:{s:s}}}", "id", t_jstr(it, "id"), "name",
                                 t_jstr(it, "name"), "_links", "self", "href", href);
        cr_assert(json_equal(it, want), "item in %s", r.body);
        json_decref(want);
        found_admin |= !strcmp(t_jstr(it, "id"), a.id) && !strcmp(t_jstr(it, "name"), "c");
        found_new |= !strcmp(t_jstr(it, "id"), m.id) && !strcmp(t_jstr(it, "name"), "second");
    }
    cr_assert(found_admin && found_new, "%s", r.body);
    cr_assert_null(strstr(r.body, m.secret), "secret leaked: %s", r.body);
    t_resp_free(&r);
}

Test(api_clients, duplicate_name_is_409)
{
    struct admin a;
    admin_init(&a);
    struct made m;
    client_create(&a, "dup", a.policy, &m);
    char body[256];
    snprintf(body, sizeof body, "{\"name\":\"dup\",\"tokenPolicy\":\"%s\"}", a.policy);
    struct t_resp r = {0};
    t_call(&r, "POST", CLIENTS, "application/json", a.auth, body);
    assert_error(&r, 409, "Conflict");
    t_call(&r, "GET", CLIENTS, NULL, a.auth, NULL);
    cr_assert_eq(json_integer_value(json_object_get(r.json, "total")), 2, "%s", r.body);
    t_resp_free(&r);
}

Test(api_clients, put_renaming_onto_another_clients_name_is_409)
{
    struct admin a;
    admin_init(&a);
    struct made one, two;
    client_create(&a, "one", a.policy, &one);
    client_create(&a, "two", a.policy, &two);
    char body[256];
    snprintf(body, sizeof body, "{\"name\":\"one\",\"tokenPolicy\":\"%s\"}", a.policy);
    struct t_resp r = {0};
    t_callf(&r, "PUT", "application/json", a.auth, body, CLIENTS "/%s", two.id);
    assert_error(&r, 409, "Conflict");
    t_callf(&r, "GET", NULL, a.auth, NULL, CLIENTS "/%s", two.id);
    cr_assert_str_eq(t_jstr(r.json, "name"), "two", "%s", r.body);
    /* keeping one's own name is no conflict */
    snprintf(body, sizeof body, "{\"name\":\"two\",\"tokenPolicy\":\"%s\"}", a.policy);
    t_callf(&r, "PUT", "application/json", a.auth, body, CLIENTS "/%s", two.id);
    cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
    t_resp_free(&r);
}

Test(api_clients, unknown_token_policy_is_422_on_tokenPolicy)
{
    struct admin a;
    admin_init(&a);
    struct t_resp r = {0};
    t_call(&r, "POST", CLIENTS, "application/json", a.auth,
           "{\"name\":\"orphan\",\"tokenPolicy\":\"" UNKNOWN_UUID "\"}");
    assert_error(&r, 422, "Unprocessable Entity");
    cr_assert(t_has_detail(&r, "/tokenPolicy"), "%s", r.body);
    t_call(&r, "POST", CLIENTS, "application/json", a.auth,
           "{\"name\":\"orphan\",\"tokenPolicy\":\"nope\"}");
    assert_error(&r, 422, "Unprocessable Entity");
    cr_assert(t_has_detail(&r, "/tokenPolicy"), "%s", r.body);
    /* on PUT too */
    struct made m;
    client_create(&a, "real", a.policy, &m);
    t_callf(&r, "PUT", "application/json", a.auth,
            "{\"name\":\"real\",\"tokenPolicy\":\"" UNKNOWN_UUID "\"}", CLIENTS "/%s", m.id);
    assert_error(&r, 422, "Unprocessable Entity");
    cr_assert(t_has_detail(&r, "/tokenPolicy"), "%s", r.body);
    t_resp_free(&r);
}

Test(api_clients, put_changes_name_and_policy)
{
    struct admin a;
    admin_init(&a);
    char ro[UUID_LEN + 1];
    policy_create(
        &a, "{\"title\":\"ro\",\"accessTokenLifetime\":120,\"allowedScopes\":[\"GET:**\"]}", ro);
    struct made m;
    client_create(&a, "before", a.policy, &m);
    char body[256];
    snprintf(body, sizeof body, "{\"name\":\"after\",\"tokenPolicy\":\"%s\"}", ro);
    struct t_resp r = {0};
    t_callf(&r, "PUT", "application/json", a.auth, body, CLIENTS "/%s", m.id);
    cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
    char href[256];
    snprintf(href, sizeof href, PUBLIC CLIENTS "/%s", m.id);
    json_t *want = json_pack("{s:s,s:s,s:s,s:s,s:{s:{s:s}}}", "id", m.id, "name", "after", "type",
                             "confidential", "tokenPolicy", ro, "_links", "self", "href", href);
    cr_assert(json_equal(r.json, want), "PUT answered %s", r.body);
    t_callf(&r, "GET", NULL, a.auth, NULL, CLIENTS "/%s", m.id);
    cr_assert(json_equal(r.json, want), "GET after PUT %s", r.body);
    /* the token endpoint follows the new policy */
    char tbody[256];
    snprintf(tbody, sizeof tbody, "grant_type=client_credentials&client_id=%s&client_secret=%s",
             m.id, m.secret);
    t_call(&r, "POST", TOKEN, MEDIA_FORM, NULL, tbody);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(t_jstr(r.json, "scope"), "GET:**", "%s", r.body);
    cr_assert_eq(json_integer_value(json_object_get(r.json, "expires_in")), 120, "%s", r.body);
    json_decref(want);
    t_resp_free(&r);
}

Test(api_clients, unknown_client_is_404)
{
    struct admin a;
    admin_init(&a);
    const char *const ids[] = {"AbCdEfGhIjKlMnOpQrStUvWxYz012345", "x"};
    char body[256];
    snprintf(body, sizeof body, "{\"name\":\"n\",\"tokenPolicy\":\"%s\"}", a.policy);
    struct t_resp r = {0};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
        t_callf(&r, "GET", NULL, a.auth, NULL, CLIENTS "/%s", ids[i]);
        assert_error(&r, 404, "Not Found");
        t_callf(&r, "PUT", "application/json", a.auth, body, CLIENTS "/%s", ids[i]);
        assert_error(&r, 404, "Not Found");
        t_callf(&r, "DELETE", NULL, a.auth, NULL, CLIENTS "/%s", ids[i]);
        assert_error(&r, 404, "Not Found");
        t_callf(&r, "GET", NULL, a.auth, NULL, CLIENTS "/%s/secret", ids[i]);
        assert_error(&r, 404, "Not Found");
        t_callf(&r, "POST", NULL, a.auth, NULL, CLIENTS "/%s/secret", ids[i]);
        assert_error(&r, 404, "Not Found");
    }
    t_resp_free(&r);
}

Test(api_clients, get_secret_returns_the_secret_create_returned)
{
    struct admin a;
    admin_init(&a);
    struct made m;
    client_create(&a, "s", a.policy, &m);
    struct t_resp r = {0};
    t_callf(&r, "GET", NULL, a.auth, NULL, CLIENTS "/%s/secret", m.id);
    cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
    json_t *want = json_pack("{s:s}", "secret", m.secret);
    cr_assert(json_equal(r.json, want), "got %s", r.body);
    cr_assert_str_eq(t_header(&r, "Pragma"), "no-cache");
    json_decref(want);
    t_resp_free(&r);
}

Test(api_clients, rotating_the_secret_retires_the_old_one_at_once_but_not_old_tokens)
{
    struct admin a;
    admin_init(&a);
    struct made m;
    client_create(&a, "rot", a.policy, &m);
    char before[96];
    bearer(before, m.id, m.secret);
    struct t_resp r = {0};
    t_callf(&r, "POST", NULL, a.auth, NULL, CLIENTS "/%s/secret", m.id);
    cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
    cr_assert_eq(json_object_size(r.json), 1, "%s", r.body);
    const char *fresh = t_jstr(r.json, "secret");
    cr_assert(fresh && strlen(fresh) == CLIENT_SECRET_LEN && b64url_only(fresh), "%s", r.body);
    cr_assert_str_neq(fresh, m.secret);
    char news[CLIENT_SECRET_LEN + 1];
    snprintf(news, sizeof news, "%s", fresh);
    cr_assert_eq(token_status(m.id, m.secret), 401, "old secret still works");
    cr_assert_eq(token_status(m.id, news), 200, "new secret refused");
    t_callf(&r, "GET", NULL, a.auth, NULL, CLIENTS "/%s/secret", m.id);
    cr_assert_str_eq(t_jstr(r.json, "secret"), news, "GET /secret: %s", r.body);
    t_call(&r, "GET", CLIENTS, NULL, before, NULL);
    cr_assert_eq(r.status, 200, "a token from before rotation: %d %s", r.status, r.body);
    t_resp_free(&r);
}

Test(api_clients, delete_is_204_and_revokes_the_clients_tokens)
{
    struct admin a;
    admin_init(&a);
    struct made m;
    client_create(&a, "doomed", a.policy, &m);
    char auth[96];
    bearer(auth, m.id, m.secret);
    struct t_resp r = {0};
    t_call(&r, "GET", CLIENTS, NULL, auth, NULL);
    cr_assert_eq(r.status, 200, "before: %s", r.body);
    t_callf(&r, "DELETE", NULL, a.auth, NULL, CLIENTS "/%s", m.id);
    cr_assert_eq(r.status, 204, "%d %s", r.status, r.body);
    cr_assert_str_eq(r.body, "");
    t_call(&r, "GET", CLIENTS, NULL, auth, NULL);
    assert_error(&r, 403, "Forbidden");
    cr_assert_str_eq(t_header(&r, "WWW-Authenticate"),
                     "Bearer realm=\"socialgate\", error=\"invalid_token\"");
    t_callf(&r, "GET", NULL, a.auth, NULL, CLIENTS "/%s", m.id);
    assert_error(&r, 404, "Not Found");
    cr_assert_eq(token_status(m.id, m.secret), 401, "deleted client got a token");
    t_resp_free(&r);
}

Test(api_clients, a_deleted_clients_name_can_be_reused_and_old_tokens_stay_dead)
{
    struct admin a;
    admin_init(&a);
    struct made old, reborn;
    client_create(&a, "phoenix", a.policy, &old);
    char auth[96];
    bearer(auth, old.id, old.secret);
    struct t_resp r = {0};
    t_callf(&r, "DELETE", NULL, a.auth, NULL, CLIENTS "/%s", old.id);
    cr_assert_eq(r.status, 204, "%d %s", r.status, r.body);
    client_create(&a, "phoenix", a.policy, &reborn);
    cr_assert_str_neq(reborn.id, old.id);
    cr_assert_eq(token_status(reborn.id, reborn.secret), 200);
    t_call(&r, "GET", CLIENTS, NULL, auth, NULL);
    cr_assert_eq(r.status, 403, "the old client's token came back: %s", r.body);
    t_resp_free(&r);
}

Test(api_clients, invalid_client_bodies_are_422)
{
    struct admin a;
    admin_init(&a);
    char body[256];
    struct t_resp r = {0};
    snprintf(body, sizeof body, "{\"tokenPolicy\":\"%s\"}", a.policy);
    t_call(&r, "POST", CLIENTS, "application/json", a.auth, body);
    assert_error(&r, 422, "Unprocessable Entity");
    cr_assert(t_has_detail(&r, "/name"), "missing name: %s", r.body);
    snprintf(body, sizeof body, "{\"name\":\"n\",\"tokenPolicy\":\"%s\",\"type\":\"public\"}",
             a.policy);
    t_call(&r, "POST", CLIENTS, "application/json", a.auth, body);
    assert_error(&r, 422, "Unprocessable Entity");
    cr_assert(t_has_detail(&r, "/type"), "public type: %s", r.body);
    snprintf(body, sizeof body, "{\"name\":\"n\",\"tokenPolicy\":\"%s\",\"secret\":\"mine\"}",
             a.policy);
    t_call(&r, "POST", CLIENTS, "application/json", a.auth, body);
    assert_error(&r, 422, "Unprocessable Entity");
    cr_assert(t_has_detail(&r, "/secret"), "client-chosen secret: %s", r.body);
    t_resp_free(&r);
}
