/* SPDX-License-Identifier: MIT */
/*
 * In-process: custom providers through the real router. Conditional
 * requests (list parsing, weak and strong comparison), patches applied to
 * the representation, server-set and protocol fields that cannot change.
 */
#include <sqlite3.h>

#include "harness.h"

#define APP "layflfixkxlhgruitref"
#define LIST "/" CID_A "/v2/config/low/services/engage-v2/apps/" APP "/custom-providers"
#define OIDC                                                                                       \
    "{\"title\":\"t\",\"protocol\":\"openidconnect\",\"auth_url\":\"https://i.example/a\","        \
    "\"token_url\":\"https://i.example/t\",\"client_id\":\"c\",\"client_secret\":\"s\","           \
    "\"scopes\":[\"openid\"]}"

static char auth[128], item[256], etag[80];
static struct t_resp r;

static void setup(void)
{
    t_setup();
    char id[CLIENT_ID_LEN + 1], secret[CLIENT_SECRET_LEN + 1], tok[OAUTH_TOKEN_LEN + 1];
    t_customer(CID_A, "[\"*:**\"]", 3600, id, secret);
    struct login_app app = {.id = APP, .name = "a", .realm = "https://r.example"};
    struct err e = {0};
    cr_assert_eq(store_app_create(T_app.store, CID_A, &app, &e), ST_OK, "%s", e.msg);
    t_token(CID_A, id, secret, "*:**", tok);
    snprintf(auth, sizeof auth, "Bearer %s", tok);
    t_call(&r, "POST", LIST, "application/json", auth, OIDC);
    cr_assert_eq(r.status, 201, "%s", r.body);
    snprintf(item, sizeof item, LIST "/%s", json_string_value(json_object_get(r.json, "id")));
    snprintf(etag, sizeof etag, "%s", t_header(&r, "ETag"));
}

static void teardown(void)
{
    t_resp_free(&r);
    t_teardown();
}

TestSuite(api_providers, .init = setup, .fini = teardown);

Test(api_providers, etag_is_quoted_64_hex)
{
    cr_assert_eq(strlen(etag), 66);
    cr_assert_eq(etag[0], '"');
    cr_assert_eq(strspn(etag + 1, "0123456789abcdef"), 64);
}

Test(api_providers, if_none_match_in_a_list_or_weak_or_star_gives_304)
{
    char list[200];
    snprintf(list, sizeof list, "\"0000\", W/%s", etag);
    T_if_none_match = list;
    t_call(&r, "GET", item, NULL, auth, NULL);
    cr_assert_eq(r.status, 304);
    cr_assert_str_eq(r.body, "");
    cr_assert_str_eq(t_header(&r, "ETag"), etag);
    T_if_none_match = "*";
    t_call(&r, "GET", item, NULL, auth, NULL);
    cr_assert_eq(r.status, 304);
    T_if_none_match = "\"0000\"";
    t_call(&r, "GET", item, NULL, auth, NULL);
    cr_assert_eq(r.status, 200);
}

Test(api_providers, weak_if_match_never_matches)
{
    char weak[100];
    snprintf(weak, sizeof weak, "W/%s", etag);
    T_if_match = weak;
    t_call(&r, "PATCH", item, "application/merge-patch+json", auth, "{\"title\":\"x\"}");
    cr_assert_eq(r.status, 412);
    T_if_match = etag;
    t_call(&r, "PATCH", item, "application/merge-patch+json", auth, "{\"title\":\"x\"}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_neq(t_header(&r, "ETag"), etag);
}

Test(api_providers, merge_null_removes_and_arrays_replace_whole)
{
    t_call(&r, "PATCH", item, "application/merge-patch+json; charset=utf-8", auth,
           "{\"scopes\":null,\"ui\":{\"title\":\"Go\"}}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_null(json_object_get(r.json, "scopes"));
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(r.json, "ui"), "title")),
                     "Go");
    t_call(&r, "PATCH", item, "application/merge-patch+json", auth, "{\"scopes\":[\"a\",\"b\"]}");
    cr_assert_eq(json_array_size(json_object_get(r.json, "scopes")), 2);
}

Test(api_providers, json_patch_sees_the_representation_and_secret)
{
    t_call(&r, "PATCH", item, "application/json-patch+json", auth,
           "[{\"op\":\"test\",\"path\":\"/client_secret\",\"value\":\"s\"},"
           "{\"op\":\"copy\",\"from\":\"/client_id\",\"path\":\"/title\"}]");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(json_string_value(json_object_get(r.json, "title")), "c");
}

Test(api_providers, changing_server_fields_or_protocol_is_422)
{
    t_call(&r, "PATCH", item, "application/merge-patch+json", auth,
           "{\"createdAt\":\"2000-01-01T00:00:00.000000000Z\"}");
    cr_assert_eq(r.status, 422);
    cr_assert_str_eq(json_string_value(json_object_get(
                         json_array_get(json_object_get(r.json, "details"), 0), "field")),
                     "/createdAt");
    t_call(&r, "PATCH", item, "application/json-patch+json", auth,
           "[{\"op\":\"remove\",\"path\":\"/_links/callback\"}]");
    cr_assert_eq(r.status, 422);
    t_call(&r, "PATCH", item, "application/merge-patch+json", auth, "{\"protocol\":\"oauth2\"}");
    cr_assert_eq(r.status, 422);
    cr_assert_str_eq(json_string_value(json_object_get(
                         json_array_get(json_object_get(r.json, "details"), 0), "field")),
                     "/protocol");
}

Test(api_providers, object_json_patch_replaces_client_fields_and_ignores_server_ones)
{
    t_call(&r, "PUT", item, "application/json-patch+json", auth,
           "{\"id\":\"ignored\",\"title\":\"n\",\"protocol\":\"openidconnect\","
           "\"auth_url\":\"https://i.example/a\",\"token_url\":\"https://i.example/t\","
           "\"client_id\":\"c\",\"client_secret\":\"s2\"}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_null(json_object_get(r.json, "scopes"));
    cr_assert_str_eq(json_string_value(json_object_get(r.json, "client_secret")), "s2");
    cr_assert_str_neq(json_string_value(json_object_get(r.json, "id")), "ignored");
}

Test(api_providers, failed_patch_changes_nothing)
{
    t_call(&r, "PATCH", item, "application/json-patch+json", auth,
           "[{\"op\":\"replace\",\"path\":\"/title\",\"value\":\"changed\"},"
           "{\"op\":\"test\",\"path\":\"/title\",\"value\":\"nope\"}]");
    cr_assert_eq(r.status, 409);
    t_call(&r, "GET", item, NULL, auth, NULL);
    cr_assert_str_eq(json_string_value(json_object_get(r.json, "title")), "t");
    cr_assert_str_eq(t_header(&r, "ETag"), etag);
}

Test(api_providers, stored_document_holds_no_secret_in_clear)
{
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open(T_app.cfg.db, &db), SQLITE_OK);
    sqlite3_stmt *q = NULL;
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT doc FROM providers", -1, &q, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
    const char *doc = (const char *)sqlite3_column_text(q, 0);
    cr_assert_null(strstr(doc, "client_secret"), "%s", doc);
    sqlite3_finalize(q);
    sqlite3_close(db);
}

Test(api_providers, unknown_app_and_non_uuid_id_are_404)
{
    t_call(&r, "GET",
           "/" CID_A "/v2/config/low/services/engage-v2/apps/zzzzzzzzzzzzzzzzzzzz/custom-providers",
           NULL, auth, NULL);
    cr_assert_eq(r.status, 404);
    t_call(&r, "GET", LIST "/not-a-uuid", NULL, auth, NULL);
    cr_assert_eq(r.status, 404);
    t_call(&r, "DELETE", LIST "/7fad4d59-5ad7-44ee-801a-6d126fa3737c", NULL, auth, NULL);
    cr_assert_eq(r.status, 404);
}
