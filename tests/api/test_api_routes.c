/* SPDX-License-Identifier: MIT */
/*
 * In-process: walks THE route table through api_route_count/api_route_info
 * and checks what the router promises for every route (405 + Allow, auth
 * before the handler, 404 for anything else). Handler behaviour is left to
 * the per-resource suites.
 */
#include "harness.h"

TestSuite(api_routes, .init = t_setup, .fini = t_teardown);

#define POLICY_ID "7b1f0a52-3c1e-4c8e-9d0b-2f4a6e8c1d3f" /* plausible, unknown */
#define CLIENT_ID "AbCdEfGhIjKlMnOpQrStUvWxYz012345"     /* 32 chars, unknown */

static const char *const candidates[] = {"GET",   "HEAD",   "POST",    "PUT",
                                         "PATCH", "DELETE", "OPTIONS", "TRACE"};
#define NCANDIDATES ((int)(sizeof candidates / sizeof *candidates))

/* Replaces {c} with cid and {id} with an id of the right kind for the
 * resource; writes the concrete path to out. */
static void instantiate(const char *pattern, const char *cid, char *out, size_t cap)
{
    const char *id = strstr(pattern, "tokenPolicies") ? POLICY_ID : CLIENT_ID;
    size_t n = 0;
    out[0] = '\0';
    for (const char *p = pattern; *p && n + 1 < cap;) {
        if (!strncmp(p, "{c}", 3)) {
            n += (size_t)snprintf(out + n, cap - n, "%s", cid);
            p += 3;
        } else if (!strncmp(p, "{id}", 4)) {
            n += (size_t)snprintf(out + n, cap - n, "%s", id);
            p += 4;
        } else {
            out[n++] = *p++;
            out[n] = '\0';
        }
    }
    cr_assert_lt(n, cap, "path of %s too long", pattern);
}

/* True when the table has method for pattern. */
static bool table_has(const char *pattern, const char *method)
{
    for (int i = 0; i < api_route_count(); i++) {
        const char *m, *p, *s;
        api_route_info(i, &m, &p, &s);
        if (!strcmp(p, pattern) && !strcmp(m, method))
            return true;
    }
    return false;
}

/* Number of table rows for pattern. */
static int table_methods(const char *pattern)
{
    int n = 0;
    for (int i = 0; i < api_route_count(); i++) {
        const char *m, *p, *s;
        api_route_info(i, &m, &p, &s);
        n += !strcmp(p, pattern);
    }
    return n;
}

/* Checks that allow ("A, B, C") names exactly the table's methods for
 * pattern, each once. */
static void assert_allow_exact(const char *allow, const char *pattern)
{
    cr_assert_not_null(allow, "%s: 405 without Allow", pattern);
    char copy[256];
    snprintf(copy, sizeof copy, "%s", allow);
    const char *seen[16];
    int nseen = 0;
    for (char *save = NULL, *tok = strtok_r(copy, ", ", &save); tok;
         tok = strtok_r(NULL, ", ", &save)) {
        cr_assert(table_has(pattern, tok), "%s: Allow \"%s\" names %s, not in the table", pattern,
                  allow, tok);
        for (int i = 0; i < nseen; i++)
            cr_assert_str_neq(seen[i], tok, "%s: Allow \"%s\" repeats %s", pattern, allow, tok);
        cr_assert_lt(nseen, 16);
        seen[nseen++] = tok;
    }
    cr_assert_eq(nseen, table_methods(pattern), "%s: Allow \"%s\" misses a method", pattern, allow);
}

static bool is_config(const char *pattern)
{
    return !strncmp(pattern, "/{c}/config", strlen("/{c}/config"));
}

static bool is_token_endpoint(const char *pattern)
{
    return !strncmp(pattern, "/{c}/login/token", strlen("/{c}/login/token"));
}

Test(api_routes, table_is_not_empty_and_every_row_is_complete)
{
    cr_assert_gt(api_route_count(), 0);
    for (int i = 0; i < api_route_count(); i++) {
        const char *m = NULL, *p = NULL, *s = NULL;
        api_route_info(i, &m, &p, &s);
        cr_assert(m && *m && p && p[0] == '/' && s && *s, "route %d incomplete", i);
        for (int j = 0; j < i; j++) {
            const char *m2, *p2, *s2;
            api_route_info(j, &m2, &p2, &s2);
            cr_assert(strcmp(m, m2) || strcmp(p, p2), "route %s %s appears twice", m, p);
        }
    }
}

/* Each route has a metrics slot of its own: past METRICS_ROUTES_MAX the
 * rest would be counted as "no route". */
Test(api_routes, every_route_has_a_metrics_slot)
{
    cr_assert_leq(api_route_count(), METRICS_ROUTES_MAX);
}

Test(api_routes, method_not_in_table_is_405_with_exact_allow)
{
    struct t_resp r = {0};
    int checked = 0;
    for (int i = 0; i < api_route_count(); i++) {
        const char *m, *pattern, *s;
        api_route_info(i, &m, &pattern, &s);
        char path[256];
        instantiate(pattern, CID_A, path, sizeof path);
        for (int k = 0; k < NCANDIDATES; k++) {
            const char *method = candidates[k];
            if (table_has(pattern, method) ||
                (!strcmp(method, "HEAD") && table_has(pattern, "GET")))
                continue;
            t_call(&r, method, path, NULL, NULL, NULL);
            cr_assert_eq(r.status, 405, "%s %s: %d %s", method, path, r.status, r.body);
            assert_allow_exact(t_header(&r, "Allow"), pattern);
            checked++;
        }
    }
    cr_assert_gt(checked, api_route_count());
    t_resp_free(&r);
}

Test(api_routes, config_routes_without_authorization_are_403_before_the_handler)
{
    char id[CLIENT_ID_LEN + 1], secret[CLIENT_SECRET_LEN + 1];
    t_customer(CID_A, "[\"*:**\"]", 3600, id, secret);
    struct t_resp r = {0};
    int checked = 0;
    for (int i = 0; i < api_route_count(); i++) {
        const char *method, *pattern, *s;
        api_route_info(i, &method, &pattern, &s);
        if (!is_config(pattern))
            continue;
        char path[256];
        instantiate(pattern, CID_A, path, sizeof path);
        /* a bad body and an unknown id: auth must answer first */
        t_call(&r, method, path, "application/json", NULL, "{not json");
        cr_assert_eq(r.status, 403, "%s %s: %d %s", method, path, r.status, r.body);
        cr_assert_str_eq(t_header(&r, "WWW-Authenticate"), "Bearer realm=\"socialgate\"", "%s %s",
                         method, path);
        cr_assert_str_eq(json_string_value(json_object_get(r.json, "error")), "Forbidden");
        cr_assert_str_eq(json_string_value(json_object_get(r.json, "errors")), "Forbidden");
        /* a wrong media type is not looked at before auth either */
        t_call(&r, method, path, "text/plain", NULL, "x");
        cr_assert_eq(r.status, 403, "%s %s text/plain: %d %s", method, path, r.status, r.body);
        cr_assert_str_eq(t_header(&r, "WWW-Authenticate"), "Bearer realm=\"socialgate\"");
        checked++;
    }
    cr_assert_geq(checked, 12, "expected every SPEC §4 route, found %d", checked);
    t_resp_free(&r);
}

Test(api_routes, token_endpoints_without_credentials_are_401_invalid_client)
{
    char id[CLIENT_ID_LEN + 1], secret[CLIENT_SECRET_LEN + 1];
    t_customer(CID_A, "[\"*:**\"]", 3600, id, secret);
    struct t_resp r = {0};
    int checked = 0;
    for (int i = 0; i < api_route_count(); i++) {
        const char *method, *pattern, *s;
        api_route_info(i, &method, &pattern, &s);
        if (!is_token_endpoint(pattern))
            continue;
        char path[256];
        instantiate(pattern, CID_A, path, sizeof path);
        t_call(&r, method, path, MEDIA_FORM, NULL, "grant_type=client_credentials&token=abc");
        cr_assert_eq(r.status, 401, "%s %s: %d %s", method, path, r.status, r.body);
        cr_assert_str_eq(json_string_value(json_object_get(r.json, "error")), "invalid_client",
                         "%s %s: %s", method, path, r.body);
        cr_assert_str_eq(t_header(&r, "WWW-Authenticate"), "Basic realm=\"socialgate\"", "%s %s",
                         method, path);
        checked++;
    }
    cr_assert_eq(checked, 3, "token, introspect, revoke; found %d", checked);
    t_resp_free(&r);
}

Test(api_routes, unknown_paths_are_404_with_json_body)
{
    const char *const paths[] = {
        "/",
        "/x",
        "/" CID_A "/config",
        "/" CID_A "/config/clients/",
        "/" CID_A "/config/tokenPolicies/",
        "/" CID_A "/login",
        "/healthz/",
    };
    json_t *want = json_pack("{s:s,s:s}", "error", "Not Found", "errors", "Not Found");
    struct t_resp r = {0};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        t_call(&r, "GET", paths[i], NULL, NULL, NULL);
        cr_assert_eq(r.status, 404, "GET %s: %d %s", paths[i], r.status, r.body);
        cr_assert(json_equal(r.json, want), "GET %s: %s", paths[i], r.body);
        cr_assert_null(t_header(&r, "Allow"), "GET %s", paths[i]);
    }
    json_decref(want);
    t_resp_free(&r);
}
