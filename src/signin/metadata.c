/* SPDX-License-Identifier: MIT */
/*
 * GET /{c}.{p}/metadata (SPEC §7.2): a saml2 provider's SP metadata, what
 * its identity provider is configured from. The entity id is this very
 * URL and the assertion consumer service the provider's callback, both
 * under the app's realm, as start sends them in the AuthnRequest. Any
 * other provider has none: the 404 page.
 */
#include "signin_int.h"

#include <string.h>

#define MEDIA_SAML_METADATA "application/samlmetadata+xml"

enum st api_signin_metadata(struct ctx *c)
{
    struct provider_rec rec;
    struct login_app app;
    struct idp_provider p;
    if (!signin_provider(c, &rec, &app, &p))
        return ST_OK;
    bool saml = !strcmp(p.protocol, PROTO_SAML2);
    const char *xml = NULL;
    size_t len = 0;
    enum st st = ST_OK;
    if (saml)
        st = idp_saml_metadata(c->a, &p, &xml, &len, &c->err);
    idp_provider_cleanup(&p);
    if (!saml) {
        page_error(c, 404, PAGE_UNKNOWN_PROVIDER, "not a SAML provider");
        return ST_OK;
    }
    if (st != ST_OK) {
        page_error(c, 500, PAGE_INTERNAL, "metadata cannot be made");
        return ST_OK;
    }
    page_headers(c);
    api_resp_text(c, 200, MEDIA_SAML_METADATA, xml, len);
    return ST_OK;
}
