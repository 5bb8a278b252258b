/* SPDX-License-Identifier: MIT */
/* GET /openapi.json: the OpenAPI description of the route table, which the
 * build turns from docs/openapi.yaml into JSON text (scripts/embed-openapi.py).
 * Public, like /healthz: it holds no secret and tells no more than the
 * routes' own answers do. */
#include "api_int.h"

/* The generated file's, in the binary's read-only data. */
extern const char api_openapi_doc[];
extern const size_t api_openapi_doc_len;

const char *api_openapi_text(size_t *len)
{
    *len = api_openapi_doc_len;
    return api_openapi_doc;
}

enum st api_openapi_get(struct ctx *c)
{
    api_resp_text(c, 200, MEDIA_JSON, api_openapi_doc, api_openapi_doc_len);
    return ST_OK;
}
