/* SPDX-License-Identifier: MIT */
/*
 * In-process: docs/openapi.yaml, as built into the binary, describes THE
 * route table and nothing else (each path of the document is a pattern of
 * the table, parameter names included: "/{c}.{id}/start" is one segment
 * with two), and GET /openapi.json answers exactly that document.
 */
#include <ctype.h>
#include <strings.h>

#include "harness.h"

TestSuite(api_openapi, .init = t_setup, .fini = t_teardown);

static const char *const http_methods[] = {"get",   "put",     "post",  "delete",
                                           "patch", "options", "trace", "head"};
#define NMETHODS ((int)(sizeof http_methods / sizeof *http_methods))

/* The embedded document, parsed; the caller frees it. */
static json_t *document(void)
{
    size_t n = 0;
    const char *text = api_openapi_text(&n);
    cr_assert_gt(n, 0);
    cr_assert_eq(strlen(text), n, "the document is one NUL-terminated string");
    json_error_t je;
    json_t *doc = json_loadb(text, n, 0, &je);
    cr_assert_not_null(doc, "the embedded document is not JSON: %s (line %d)", je.text, je.line);
    cr_assert_str_eq(json_string_value(json_object_get(doc, "openapi")), "3.1.0");
    return doc;
}

/* The operation of the document for a route: method upper-case, as the
 * table writes it. */
static json_t *operation(json_t *doc, const char *method, const char *pattern)
{
    json_t *item = json_object_get(json_object_get(doc, "paths"), pattern);
    char lower[16];
    size_t i = 0;
    for (; method[i] && i + 1 < sizeof lower; i++)
        lower[i] = (char)tolower((unsigned char)method[i]);
    lower[i] = '\0';
    return json_object_get(item, lower);
}

static bool table_has(const char *method, const char *pattern)
{
    for (int i = 0; i < api_route_count(); i++) {
        const char *m, *p, *s;
        api_route_info(i, &m, &p, &s);
        if (!strcasecmp(m, method) && !strcmp(p, pattern))
            return true;
    }
    return false;
}

Test(api_openapi, every_route_of_the_table_is_described)
{
    json_t *doc = document();
    for (int i = 0; i < api_route_count(); i++) {
        const char *m, *p, *s;
        api_route_info(i, &m, &p, &s);
        json_t *op = operation(doc, m, p);
        cr_assert_not_null(op, "%s %s is in the route table but not in docs/openapi.yaml", m, p);
        cr_assert(json_is_object(json_object_get(op, "responses")), "%s %s: no responses", m, p);
    }
    json_decref(doc);
}

Test(api_openapi, every_operation_described_is_a_route)
{
    json_t *doc = document();
    const char *path;
    json_t *item;
    int nops = 0;
    json_object_foreach(json_object_get(doc, "paths"), path, item)
    {
        int here = 0;
        for (int k = 0; k < NMETHODS; k++) {
            if (!json_object_get(item, http_methods[k]))
                continue;
            cr_assert(table_has(http_methods[k], path),
                      "docs/openapi.yaml describes %s %s, which the route table lacks",
                      http_methods[k], path);
            here++;
        }
        cr_assert_gt(here, 0, "docs/openapi.yaml: %s has no operation", path);
        nops += here;
    }
    cr_assert_eq(nops, api_route_count(), "operations described: %d, routes: %d", nops,
                 api_route_count());
    json_decref(doc);
}

Test(api_openapi, the_document_is_served_as_json_without_a_token)
{
    struct api_req req = {.method = "GET", .path = "/openapi.json", .query = "", .id = "7"};
    struct arena a;
    struct api_resp resp;
    arena_init(&a);
    api_handle(&T_app.api, &a, &req, &resp);
    size_t n = 0;
    const char *text = api_openapi_text(&n);
    cr_assert_eq(resp.status, 200);
    cr_assert_str_eq(resp.content_type, "application/json");
    cr_assert_eq(resp.body_len, n);
    cr_assert(!memcmp(resp.body, text, n), "GET /openapi.json answers another document");
    arena_cleanup(&a);
}
