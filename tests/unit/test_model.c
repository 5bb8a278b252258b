/* SPDX-License-Identifier: MIT */
/*
 * Token policy and client validation: defaults, bounds, unknown fields,
 * wrong types, and that a 422 names every offending field.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "model/model.h"

static struct arena a;
static json_t *kept[16]; /* parsed bodies: the structs point into them */
static int nkept;

static void setup(void)
{
    arena_init(&a);
}

static void teardown(void)
{
    arena_cleanup(&a);
    while (nkept > 0)
        json_decref(kept[--nkept]);
}

static void keep(json_t *j)
{
    cr_assert_lt(nkept, 16);
    kept[nkept++] = j;
}

TestSuite(policy, .init = setup, .fini = teardown);
TestSuite(client, .init = setup, .fini = teardown);

static enum st policy_of(const char *text, struct policy *p, struct err *e)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    cr_assert_not_null(j, "bad test JSON: %s", je.text);
    enum st st = policy_from_json(&a, j, p, e);
    keep(j);
    return st;
}

static bool has_detail(const struct err *e, const char *field)
{
    for (int i = 0; i < e->ndetails; i++)
        if (strcmp(e->details[i].field, field) == 0)
            return true;
    return false;
}

Test(policy, minimal_body_gets_defaults)
{
    struct policy p = {0};
    struct err e = {0};
    cr_assert_eq(policy_of("{\"title\":\"t\",\"allowedScopes\":[\"*:**\"]}", &p, &e), ST_OK);
    cr_assert_eq(p.access_lifetime, 3600);
    cr_assert_eq(p.refresh_lifetime, 7776000);
    cr_assert_eq(p.nscopes, 1);
    cr_assert_str_eq(p.scopes[0], "*:**");
}

Test(policy, lifetime_bounds_are_60_and_3600)
{
    struct policy p = {0};
    struct err e = {0};
    cr_assert_eq(
        policy_of("{\"title\":\"t\",\"allowedScopes\":[],\"accessTokenLifetime\":60}", &p, &e),
        ST_OK);
    cr_assert_eq(
        policy_of("{\"title\":\"t\",\"allowedScopes\":[],\"accessTokenLifetime\":3600}", &p, &e),
        ST_OK);
    cr_assert_eq(
        policy_of("{\"title\":\"t\",\"allowedScopes\":[],\"accessTokenLifetime\":59}", &p, &e),
        ST_UNPROCESSABLE);
    cr_assert(has_detail(&e, "/accessTokenLifetime"));
    err_clear(&e);
    cr_assert_eq(
        policy_of("{\"title\":\"t\",\"allowedScopes\":[],\"accessTokenLifetime\":3601}", &p, &e),
        ST_UNPROCESSABLE);
    cr_assert(has_detail(&e, "/accessTokenLifetime"));
}

Test(policy, lifetime_as_string_is_rejected)
{
    struct policy p = {0};
    struct err e = {0};
    cr_assert_eq(
        policy_of("{\"title\":\"t\",\"allowedScopes\":[],\"accessTokenLifetime\":\"3600\"}", &p,
                  &e),
        ST_UNPROCESSABLE);
    cr_assert(has_detail(&e, "/accessTokenLifetime"));
}

Test(policy, every_offending_field_is_named)
{
    struct policy p = {0};
    struct err e = {0};
    cr_assert_eq(
        policy_of("{\"titel\":\"t\",\"allowedScopes\":\"*:**\",\"refreshTokenLifetime\":0}", &p,
                  &e),
        ST_UNPROCESSABLE);
    cr_assert(has_detail(&e, "/titel"));
    cr_assert(has_detail(&e, "/title"));
    cr_assert(has_detail(&e, "/allowedScopes"));
}

Test(policy, scope_with_space_or_non_string_is_rejected)
{
    struct policy p = {0};
    struct err e = {0};
    cr_assert_eq(policy_of("{\"title\":\"t\",\"allowedScopes\":[\"*:**\",\"a b\",3]}", &p, &e),
                 ST_UNPROCESSABLE);
    cr_assert(has_detail(&e, "/allowedScopes/2"));
}

Test(policy, more_than_32_scopes_is_rejected)
{
    char body[1024] = "{\"title\":\"t\",\"allowedScopes\":[";
    for (int i = 0; i < 33; i++)
        sprintf(body + strlen(body), "%s\"s%d\"", i ? "," : "", i);
    strcat(body, "]}");
    struct policy p = {0};
    struct err e = {0};
    cr_assert_eq(policy_of(body, &p, &e), ST_UNPROCESSABLE);
    cr_assert(has_detail(&e, "/allowedScopes"));
}

Test(policy, server_set_fields_are_ignored_so_get_put_round_trips)
{
    struct policy p = {0};
    struct err e = {0};
    cr_assert_eq(policy_of("{\"id\":\"x\",\"_links\":{\"self\":{}},\"title\":\"t\","
                           "\"allowedScopes\":[]}",
                           &p, &e),
                 ST_OK);
}

Test(policy, non_object_body_is_invalid)
{
    struct policy p = {0};
    struct err e = {0};
    cr_assert_eq(policy_of("[1]", &p, &e), ST_INVALID);
}

Test(policy, to_json_has_the_spec_members)
{
    const char *scopes[] = {"*:**"};
    struct policy p = {.id = "002a99a8-0000-4000-8000-000000000000",
                       .title = "T",
                       .access_lifetime = 600,
                       .refresh_lifetime = 7776000,
                       .nscopes = 1,
                       .scopes = scopes};
    json_t *j = policy_to_json(&p, "http://h/c/config/tokenPolicies/x", true);
    cr_assert_eq(json_integer_value(json_object_get(j, "accessTokenLifetime")), 600);
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(j, "allowedScopes"), 0)),
                     "*:**");
    cr_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(json_object_get(j, "_links"), "self"), "href")),
                     "http://h/c/config/tokenPolicies/x");
    json_decref(j);
}

static enum st client_of(const char *text, struct client *c, struct err *e)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    cr_assert_not_null(j, "bad test JSON: %s", je.text);
    enum st st = client_from_json(&a, j, c, e);
    keep(j);
    return st;
}

Test(client, confidential_is_the_default_type)
{
    struct client c = {0};
    struct err e = {0};
    cr_assert_eq(
        client_of("{\"name\":\"n\",\"tokenPolicy\":\"002a99a8-0000-4000-8000-000000000000\"}", &c,
                  &e),
        ST_OK);
    cr_assert_str_eq(c.type, "confidential");
    cr_assert_str_eq(c.policy_id, "002a99a8-0000-4000-8000-000000000000");
}

Test(client, public_type_is_rejected)
{
    struct client c = {0};
    struct err e = {0};
    cr_assert_eq(client_of("{\"name\":\"n\",\"type\":\"public\","
                           "\"tokenPolicy\":\"002a99a8-0000-4000-8000-000000000000\"}",
                           &c, &e),
                 ST_UNPROCESSABLE);
    cr_assert(has_detail(&e, "/type"));
}

Test(client, missing_name_and_non_uuid_policy_are_both_named)
{
    struct client c = {0};
    struct err e = {0};
    cr_assert_eq(client_of("{\"tokenPolicy\":\"nope\"}", &c, &e), ST_UNPROCESSABLE);
    cr_assert(has_detail(&e, "/name"));
    cr_assert(has_detail(&e, "/tokenPolicy"));
}

Test(client, unknown_field_is_rejected)
{
    struct client c = {0};
    struct err e = {0};
    cr_assert_eq(client_of("{\"name\":\"n\",\"secret\":\"s\","
                           "\"tokenPolicy\":\"002a99a8-0000-4000-8000-000000000000\"}",
                           &c, &e),
                 ST_UNPROCESSABLE);
    cr_assert(has_detail(&e, "/secret"));
}

Test(client, generated_ids_and_secrets_are_urlsafe_and_long_enough)
{
    char id[CLIENT_ID_LEN + 1], secret[CLIENT_SECRET_LEN + 1];
    cr_assert_eq(util_init(), ST_OK);
    client_id_generate(id);
    client_secret_generate(secret);
    const char *set = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    cr_assert_eq(strlen(id), CLIENT_ID_LEN);
    cr_assert_eq(strspn(id, set), CLIENT_ID_LEN);
    cr_assert_eq(strlen(secret), 43); /* 32 random bytes: 256 bits */
    cr_assert_eq(strspn(secret, set), 43);
}

Test(client, app_id_must_be_20_lower_case_letters)
{
    struct login_app ok = {.id = "layflfixkxlhgruitref", .name = "n", .realm = "https://x.example"};
    struct err e = {0};
    cr_assert_eq(login_app_validate(&ok, &e), ST_OK);
    struct login_app bad = ok;
    strcpy(bad.id, "Layflfixkxlhgruitref");
    cr_assert_eq(login_app_validate(&bad, &e), ST_UNPROCESSABLE);
    bad = ok;
    bad.realm = "https://x.example/";
    err_clear(&e);
    cr_assert_eq(login_app_validate(&bad, &e), ST_UNPROCESSABLE);
    cr_assert(has_detail(&e, "/realm"));
}
