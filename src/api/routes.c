/* SPDX-License-Identifier: MIT */
/*
 * THE route table: every route of socialgate, with its authentication,
 * accepted body and limit. The router answers 404, 405 + Allow, 413 and
 * 415 from this table and runs authentication before any handler.
 */
#include "api_int.h"

#define TOKEN_BODY_LIMIT (16 * 1024)

const struct route api_routes[] = {
    {.method = "GET",
     .pattern = "/healthz",
     .handler = h_health,
     .auth = AUTH_NONE,
     .summary = "200 once the server is ready"},

    /* SPEC §2: the token service */
    {.method = "POST",
     .pattern = "/{c}/login/token",
     .handler = h_token,
     .auth = AUTH_CLIENT,
     .media = MEDIA_FORM,
     .body_limit = TOKEN_BODY_LIMIT,
     .summary = "client_credentials grant: an administrative access token"},
    {.method = "POST",
     .pattern = "/{c}/login/token/introspect",
     .handler = h_introspect,
     .auth = AUTH_CLIENT,
     .media = MEDIA_FORM,
     .body_limit = TOKEN_BODY_LIMIT,
     .summary = "RFC 7662 token introspection"},
    {.method = "POST",
     .pattern = "/{c}/login/token/revoke",
     .handler = h_revoke,
     .auth = AUTH_CLIENT,
     .media = MEDIA_FORM,
     .body_limit = TOKEN_BODY_LIMIT,
     .summary = "RFC 7009 token revocation"},

    /* SPEC §4: token policies */
    {.method = "GET",
     .pattern = "/{c}/config/tokenPolicies",
     .handler = h_policy_list,
     .auth = AUTH_BEARER,
     .summary = "list token policies"},
    {.method = "POST",
     .pattern = "/{c}/config/tokenPolicies",
     .handler = h_policy_create,
     .auth = AUTH_BEARER,
     .media = MEDIA_JSON,
     .body_limit = API_BODY_LIMIT,
     .summary = "create a token policy; 201 with its id"},
    {.method = "GET",
     .pattern = "/{c}/config/tokenPolicies/{id}",
     .handler = h_policy_get,
     .auth = AUTH_BEARER,
     .summary = "view a token policy"},
    {.method = "PUT",
     .pattern = "/{c}/config/tokenPolicies/{id}",
     .handler = h_policy_put,
     .auth = AUTH_BEARER,
     .media = MEDIA_JSON,
     .body_limit = API_BODY_LIMIT,
     .summary = "replace a token policy"},
    {.method = "DELETE",
     .pattern = "/{c}/config/tokenPolicies/{id}",
     .handler = h_policy_delete,
     .auth = AUTH_BEARER,
     .summary = "delete a token policy no client uses"},

    /* SPEC §4: configuration clients */
    {.method = "GET",
     .pattern = "/{c}/config/clients",
     .handler = h_client_list,
     .auth = AUTH_BEARER,
     .summary = "list configuration clients"},
    {.method = "POST",
     .pattern = "/{c}/config/clients",
     .handler = h_client_create,
     .auth = AUTH_BEARER,
     .media = MEDIA_JSON,
     .body_limit = API_BODY_LIMIT,
     .summary = "create a client; 201 with its secret"},
    {.method = "GET",
     .pattern = "/{c}/config/clients/{id}",
     .handler = h_client_get,
     .auth = AUTH_BEARER,
     .summary = "view a client (no secret)"},
    {.method = "PUT",
     .pattern = "/{c}/config/clients/{id}",
     .handler = h_client_put,
     .auth = AUTH_BEARER,
     .media = MEDIA_JSON,
     .body_limit = API_BODY_LIMIT,
     .summary = "replace a client"},
    {.method = "DELETE",
     .pattern = "/{c}/config/clients/{id}",
     .handler = h_client_delete,
     .auth = AUTH_BEARER,
     .summary = "delete a client and revoke its tokens"},
    {.method = "GET",
     .pattern = "/{c}/config/clients/{id}/secret",
     .handler = h_secret_get,
     .auth = AUTH_BEARER,
     .summary = "read a client's secret"},
    {.method = "POST",
     .pattern = "/{c}/config/clients/{id}/secret",
     .handler = h_secret_rotate,
     .auth = AUTH_BEARER,
     .summary = "rotate a client's secret; the old one stops working at once"},
};

const int api_nroutes = (int)(sizeof api_routes / sizeof *api_routes);

int api_route_count(void)
{
    return api_nroutes;
}

void api_route_info(int i, const char **method, const char **pattern, const char **summary)
{
    *method = api_routes[i].method;
    *pattern = api_routes[i].pattern;
    *summary = api_routes[i].summary;
}
