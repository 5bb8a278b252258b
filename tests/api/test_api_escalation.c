/* SPDX-License-Identifier: MIT */
/*
 * In-process: no escalation (SPEC §3). Every secret-bearing route against
 * tokens of the four scopes in caller_scopes, and every policy and
 * client write by a caller narrower than what it would grant.
 */
#include "harness.h"

TestSuite(api_escalation, .init = t_setup, .fini = t_teardown);

#define APP "layflfixkxlhgruitref"
#define CLIENTS "/" CID_A "/config/clients"
#define POLICIES "/" CID_A "/config/tokenPolicies"
#define LIST "/" CID_A "/v2/config/low/services/engage-v2/apps/" APP "/custom-providers"
#define OIDC                                                                                       \
    "{\"title\":\"t\",\"protocol\":\"openidconnect\",\"auth_url\":\"https://i.example/a\","        \
    "\"token_url\":\"https://i.example/t\",\"client_id\":\"c\",\"client_secret\":\"s3cr3t\"}"

enum { RO, CONFIG, V2, ALL, NCALLERS };
static const char *const caller_scopes[NCALLERS] = {"GET:**", "*:config/**", "*:v2/**", "*:**"};

/* The customer's admin (*:**) and one client per scope of caller_scopes. */
struct world {
    char admin_id[CLIENT_ID_LEN + 1], admin_secret[CLIENT_SECRET_LEN + 1];
    char auth[NCALLERS][96];
    char narrow_policy[UUID_LEN + 1], wide_policy[UUID_LEN + 1];
    char narrow_client[CLIENT_ID_LEN + 1]; /* its policy: only config/clients */
    char provider[320];                    /* the item path of an OIDC provider */
};

static struct t_resp r;

/* Creates a policy with scopes (a JSON array text) as admin; writes its id. */
static void policy(const char *auth, const char *scopes, char id[UUID_LEN + 1])
{
    char body[256];
    snprintf(body, sizeof body, "{\"title\":\"p\",\"allowedScopes\":%s}", scopes);
    t_call(&r, "POST", POLICIES, "application/json", auth, body);
    cr_assert_eq(r.status, 201, "policy %s: %d %s", scopes, r.status, r.body);
    snprintf(id, UUID_LEN + 1, "%s", json_string_value(r.json));
}

/* Creates a client of policy pid as admin; writes its id and secret. */
static void client(const char *auth, const char *name, const char *pid, char id[CLIENT_ID_LEN + 1],
                   char secret[CLIENT_SECRET_LEN + 1])
{
    char body[256];
    snprintf(body, sizeof body, "{\"name\":\"%s\",\"tokenPolicy\":\"%s\"}", name, pid);
    t_call(&r, "POST", CLIENTS, "application/json", auth, body);
    cr_assert_eq(r.status, 201, "client %s: %d %s", name, r.status, r.body);
    snprintf(id, CLIENT_ID_LEN + 1, "%s", t_jstr(r.json, "id"));
    snprintf(secret, CLIENT_SECRET_LEN + 1, "%s", t_jstr(r.json, "secret"));
}

static void world_init(struct world *w)
{
    char tok[OAUTH_TOKEN_LEN + 1], id[CLIENT_ID_LEN + 1], secret[CLIENT_SECRET_LEN + 1];
    t_customer(CID_A, "[\"*:**\"]", 3600, w->admin_id, w->admin_secret);
    t_token(CID_A, w->admin_id, w->admin_secret, NULL, tok);
    const char *admin = w->auth[ALL];
    snprintf(w->auth[ALL], sizeof w->auth[ALL], "Bearer %s", tok);
    for (int i = 0; i < ALL; i++) {
        char pid[UUID_LEN + 1], scopes[64], name[16];
        snprintf(scopes, sizeof scopes, "[\"%s\"]", caller_scopes[i]);
        snprintf(name, sizeof name, "caller%d", i);
        policy(admin, scopes, pid);
        client(admin, name, pid, id, secret);
        t_token(CID_A, id, secret, NULL, tok);
        snprintf(w->auth[i], sizeof w->auth[i], "Bearer %s", tok);
    }
    policy(admin, "[\"*:config/clients/**\"]", w->narrow_policy);
    policy(admin, "[\"*:**\"]", w->wide_policy);
    client(admin, "narrow", w->narrow_policy, w->narrow_client, secret);
    struct login_app app = {.id = APP, .name = "a", .realm = "https://r.example"};
    struct err e = {0};
    cr_assert_eq(store_app_create(T_app.store, CID_A, &app, &e), ST_OK, "%s", e.msg);
    t_call(&r, "POST", LIST, "application/json", admin, OIDC);
    cr_assert_eq(r.status, 201, "%s", r.body);
    snprintf(w->provider, sizeof w->provider, LIST "/%s", t_jstr(r.json, "id"));
}

static void assert_insufficient_scope(const char *what)
{
    cr_assert_eq(r.status, 403, "%s: %d %s", what, r.status, r.body);
    const char *www = t_header(&r, "WWW-Authenticate");
    cr_assert(www && strstr(www, "insufficient_scope"), "%s: %s", what, www ? www : "(none)");
    cr_assert_null(strstr(r.body, "secret\":\""), "%s leaks: %s", what, r.body);
}

Test(api_escalation, client_secret_read_needs_post_and_every_scope_of_the_client)
{
    struct world w;
    world_init(&w);
    /* the admin's own client holds *:**: only a *:** caller may read it */
    for (int i = 0; i < NCALLERS; i++) {
        t_callf(&r, "GET", NULL, w.auth[i], NULL, CLIENTS "/%s/secret", w.admin_id);
        if (i == ALL) {
            cr_assert_eq(r.status, 200, "%s: %d %s", caller_scopes[i], r.status, r.body);
            cr_assert_str_eq(t_jstr(r.json, "secret"), w.admin_secret);
        } else {
            assert_insufficient_scope(caller_scopes[i]);
        }
    }
    /* a client within config/: its callers may read it, read-only ones not */
    const int want[NCALLERS] = {403, 200, 403, 200};
    for (int i = 0; i < NCALLERS; i++) {
        t_callf(&r, "GET", NULL, w.auth[i], NULL, CLIENTS "/%s/secret", w.narrow_client);
        cr_assert_eq(r.status, want[i], "%s: %d %s", caller_scopes[i], r.status, r.body);
    }
}

Test(api_escalation, client_secret_rotation_needs_every_scope_of_the_client)
{
    struct world w;
    world_init(&w);
    for (int i = 0; i < ALL; i++) {
        t_callf(&r, "POST", NULL, w.auth[i], NULL, CLIENTS "/%s/secret", w.admin_id);
        assert_insufficient_scope(caller_scopes[i]);
    }
    char tok[OAUTH_TOKEN_LEN + 1]; /* the old secret still works: nothing rotated */
    t_token(CID_A, w.admin_id, w.admin_secret, NULL, tok);
    t_callf(&r, "POST", NULL, w.auth[CONFIG], NULL, CLIENTS "/%s/secret", w.narrow_client);
    cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
    t_callf(&r, "POST", NULL, w.auth[ALL], NULL, CLIENTS "/%s/secret", w.admin_id);
    cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
}

Test(api_escalation, provider_client_secret_is_shown_only_to_post_on_the_provider)
{
    struct world w;
    world_init(&w);
    const int status[NCALLERS] = {200, 403, 200, 200};
    const bool shown[NCALLERS] = {false, false, true, true};
    for (int i = 0; i < NCALLERS; i++) {
        t_call(&r, "GET", w.provider, NULL, w.auth[i], NULL);
        cr_assert_eq(r.status, status[i], "%s: %d %s", caller_scopes[i], r.status, r.body);
        if (status[i] == 200) {
            cr_assert_eq(json_object_get(r.json, "client_secret") != NULL, shown[i], "%s: %s",
                         caller_scopes[i], r.body);
            cr_assert_str_eq(t_jstr(r.json, "client_id"), "c");
        }
        t_call(&r, "GET", LIST, NULL, w.auth[i], NULL);
        cr_assert_eq(r.status, status[i], "%s list: %d", caller_scopes[i], r.status);
        cr_assert_null(strstr(r.body, "s3cr3t"), "%s list: %s", caller_scopes[i], r.body);
    }
}

Test(api_escalation, provider_writes_answer_the_secret_only_to_post_on_the_provider)
{
    struct world w;
    world_init(&w);
    const int create[NCALLERS] = {403, 403, 201, 201}, put[NCALLERS] = {403, 403, 200, 200};
    for (int i = 0; i < NCALLERS; i++) {
        t_call(&r, "POST", LIST, "application/json", w.auth[i], OIDC);
        cr_assert_eq(r.status, create[i], "%s: %d %s", caller_scopes[i], r.status, r.body);
        cr_assert_eq(strstr(r.body, "s3cr3t") != NULL, create[i] == 201, "%s", r.body);
        t_call(&r, "PUT", w.provider, "application/json-patch+json", w.auth[i], OIDC);
        cr_assert_eq(r.status, put[i], "%s: %d %s", caller_scopes[i], r.status, r.body);
        cr_assert_eq(strstr(r.body, "s3cr3t") != NULL, put[i] == 200, "%s", r.body);
    }
}

/* A caller that may PATCH providers but not POST to them. */
static void patch_only(struct world *w, char auth[96])
{
    char pid[UUID_LEN + 1], id[CLIENT_ID_LEN + 1], secret[CLIENT_SECRET_LEN + 1];
    char tok[OAUTH_TOKEN_LEN + 1];
    policy(w->auth[ALL], "[\"PATCH:v2/**\",\"GET:v2/**\"]", pid);
    client(w->auth[ALL], "patcher", pid, id, secret);
    t_token(CID_A, id, secret, NULL, tok);
    snprintf(auth, 96, "Bearer %s", tok);
}

Test(api_escalation, a_patch_cannot_copy_move_or_test_the_provider_secret)
{
    struct world w;
    char auth[96];
    world_init(&w);
    patch_only(&w, auth);
    static const char *const reads[] = {
        "[{\"op\":\"copy\",\"from\":\"/client_secret\",\"path\":\"/title\"}]",
        "[{\"op\":\"move\",\"from\":\"/client_secret\",\"path\":\"/title\"}]",
        "[{\"op\":\"copy\",\"from\":\"\",\"path\":\"/ui\"}]",
        "[{\"op\":\"test\",\"path\":\"/client_secret\",\"value\":\"s3cr3t\"}]",
        "[{\"op\":\"test\",\"path\":\"\",\"value\":{}}]",
    };
    for (size_t i = 0; i < sizeof reads / sizeof *reads; i++) {
        t_call(&r, "PATCH", w.provider, "application/json-patch+json", auth, reads[i]);
        assert_insufficient_scope(reads[i]);
    }
    t_call(&r, "PATCH", w.provider, "application/json-patch+json", auth,
           "[{\"op\":\"replace\",\"path\":\"/title\",\"value\":\"new\"}]");
    cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
    cr_assert_str_eq(t_jstr(r.json, "title"), "new");
    cr_assert_null(json_object_get(r.json, "client_secret"), "%s", r.body);
    t_call(&r, "PATCH", w.provider, "application/merge-patch+json", auth, "{\"title\":\"m\"}");
    cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
    cr_assert_null(json_object_get(r.json, "client_secret"), "%s", r.body);
    /* the v2 caller covers POST and still sees it after a patch */
    t_call(&r, "PATCH", w.provider, "application/json-patch+json", w.auth[V2],
           "[{\"op\":\"copy\",\"from\":\"/client_secret\",\"path\":\"/client_id\"}]");
    cr_assert_eq(r.status, 200, "%d %s", r.status, r.body);
    cr_assert_str_eq(t_jstr(r.json, "client_secret"), "s3cr3t");
}

Test(api_escalation, a_policy_cannot_grant_more_than_its_author_holds)
{
    struct world w;
    world_init(&w);
    static const char *const wider[] = {"[\"*:**\"]", "[\"*:config/**\",\"GET:v2/**\"]",
                                        "[\"GET:**\"]", "[\"*:*/**\"]"};
    for (size_t i = 0; i < sizeof wider / sizeof *wider; i++) {
        char body[128];
        snprintf(body, sizeof body, "{\"title\":\"x\",\"allowedScopes\":%s}", wider[i]);
        t_call(&r, "POST", POLICIES, "application/json", w.auth[CONFIG], body);
        assert_insufficient_scope(wider[i]);
        t_callf(&r, "PUT", "application/json", w.auth[CONFIG], body, POLICIES "/%s",
                w.narrow_policy);
        assert_insufficient_scope(wider[i]);
    }
    t_callf(&r, "GET", NULL, w.auth[ALL], NULL, POLICIES "/%s", w.narrow_policy);
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(r.json, "allowedScopes"), 0)),
                     "*:config/clients/**", "policy changed: %s", r.body);
    static const char *const within[] = {"[\"*:config/**\"]", "[\"GET:config/clients/*\"]",
                                         "[\"DELETE:config/tokenPolicies/**\"]"};
    for (size_t i = 0; i < sizeof within / sizeof *within; i++) {
        char body[128];
        snprintf(body, sizeof body, "{\"title\":\"x\",\"allowedScopes\":%s}", within[i]);
        t_call(&r, "POST", POLICIES, "application/json", w.auth[CONFIG], body);
        cr_assert_eq(r.status, 201, "%s: %d %s", within[i], r.status, r.body);
    }
    t_call(&r, "POST", POLICIES, "application/json", w.auth[ALL],
           "{\"title\":\"x\",\"allowedScopes\":[\"*:**\"]}");
    cr_assert_eq(r.status, 201, "%d %s", r.status, r.body);
}

Test(api_escalation, a_client_cannot_be_given_a_policy_wider_than_its_author)
{
    struct world w;
    world_init(&w);
    char body[160];
    snprintf(body, sizeof body, "{\"name\":\"n2\",\"tokenPolicy\":\"%s\"}", w.wide_policy);
    t_call(&r, "POST", CLIENTS, "application/json", w.auth[CONFIG], body);
    assert_insufficient_scope("create with wide");
    t_call(&r, "GET", CLIENTS, NULL, w.auth[ALL], NULL);
    cr_assert_null(strstr(r.body, "\"n2\""), "created anyway: %s", r.body);
    snprintf(body, sizeof body, "{\"name\":\"narrow\",\"tokenPolicy\":\"%s\"}", w.wide_policy);
    t_callf(&r, "PUT", "application/json", w.auth[CONFIG], body, CLIENTS "/%s", w.narrow_client);
    assert_insufficient_scope("put with wide");
    t_callf(&r, "GET", NULL, w.auth[ALL], NULL, CLIENTS "/%s", w.narrow_client);
    cr_assert_str_eq(t_jstr(r.json, "tokenPolicy"), w.narrow_policy);
    snprintf(body, sizeof body, "{\"name\":\"n3\",\"tokenPolicy\":\"%s\"}", w.narrow_policy);
    t_call(&r, "POST", CLIENTS, "application/json", w.auth[CONFIG], body);
    cr_assert_eq(r.status, 201, "%d %s", r.status, r.body);
    snprintf(body, sizeof body, "{\"name\":\"n4\",\"tokenPolicy\":\"%s\"}", w.wide_policy);
    t_call(&r, "POST", CLIENTS, "application/json", w.auth[ALL], body);
    cr_assert_eq(r.status, 201, "%d %s", r.status, r.body);
    t_resp_free(&r);
}

Test(api_escalation, read_only_tokens_write_nothing)
{
    struct world w;
    world_init(&w);
    t_call(&r, "POST", POLICIES, "application/json", w.auth[RO],
           "{\"title\":\"x\",\"allowedScopes\":[\"GET:**\"]}");
    assert_insufficient_scope("GET:** create policy");
    t_callf(&r, "POST", NULL, w.auth[RO], NULL, CLIENTS "/%s/secret", w.narrow_client);
    assert_insufficient_scope("GET:** rotate");
    t_call(&r, "PATCH", w.provider, "application/merge-patch+json", w.auth[RO],
           "{\"title\":\"m\"}");
    assert_insufficient_scope("GET:** patch");
    t_resp_free(&r);
}
