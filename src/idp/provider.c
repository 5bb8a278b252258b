/* SPDX-License-Identifier: MIT */
/*
 * Reads a stored provider document into the struct the runtime uses: the
 * scope string, the callback and metadata URLs, the title shown, the
 * endpoints' hash an issuer pin is bound to. Validation is model/'s job at write time; this
 * only refuses a document it cannot use.
 */
#include "idp_int.h"

#include "../model/model.h"

#include <string.h>

/* The string member key of doc copied into a, or NULL. */
static const char *str(struct arena *a, const json_t *doc, const char *key)
{
    const json_t *v = json_object_get(doc, key);
    return json_is_string(v) ? arena_strndup(a, json_string_value(v), json_string_length(v)) : NULL;
}

/* The scopes joined by spaces; for OIDC "openid" first, once. */
static const char *scope_of(struct arena *a, const json_t *doc, bool oidc)
{
    struct buf b;
    buf_init(&b, a);
    if (oidc)
        buf_puts(&b, OIDC_SCOPE);
    size_t i;
    const json_t *v;
    json_array_foreach(json_object_get(doc, F_SCOPES), i, v)
    {
        const char *s = json_string_value(v);
        if (!s || !*s || (oidc && !strcmp(s, OIDC_SCOPE)))
            continue;
        if (b.len)
            buf_puts(&b, " ");
        buf_puts(&b, s);
    }
    return b.p ? b.p : "";
}

static enum st read_doc(struct arena *a, const json_t *doc, struct idp_provider *p, struct err *e)
{
    p->protocol = str(a, doc, F_PROTOCOL);
    if (!p->protocol)
        return ERR(e, ST_INVALID, "/" F_PROTOCOL, "provider without a protocol");
    bool oidc = !strcmp(p->protocol, PROTO_OIDC), oauth2 = !strcmp(p->protocol, PROTO_OAUTH2);
    if (!oidc && !oauth2 && strcmp(p->protocol, PROTO_SAML2) != 0)
        return ERR(e, ST_INVALID, "/" F_PROTOCOL, "unknown protocol");
    p->auth_url = str(a, doc, F_AUTH_URL);
    p->client_id = str(a, doc, F_CLIENT_ID);
    p->token_url = str(a, doc, F_TOKEN_URL);
    p->profile_url = str(a, doc, F_PROFILE_URL);
    if (!p->auth_url)
        return ERR(e, ST_INVALID, "/" F_AUTH_URL, "provider without auth_url");
    if ((oidc || oauth2) && (!p->client_id || !p->token_url))
        return ERR(e, ST_INVALID, "/" F_TOKEN_URL, "provider without client_id or token_url");
    p->idp_certificate = str(a, doc, F_IDP_CERTIFICATE);
    if (!oidc && !oauth2 && !p->idp_certificate)
        return ERR(e, ST_INVALID, "/" F_IDP_CERTIFICATE, "provider without idp_certificate");
    const json_t *ui = json_object_get(doc, F_UI);
    p->title = str(a, ui, F_TITLE);
    if (!p->title)
        p->title = str(a, doc, F_TITLE);
    if (!p->title)
        p->title = "";
    p->icon_url = str(a, ui, F_ICON_URL);
    p->scope = scope_of(a, doc, oidc);
    const json_t *map = json_object_get(doc, F_ATTRIBUTE_MAP);
    p->attribute_map = json_is_object(map) ? json_deep_copy(map) : NULL;
    const json_t *ctx = json_object_get(doc, F_AUTHN_CONTEXT);
    p->authn_context = json_is_object(ctx) ? json_deep_copy(ctx) : NULL;
    const char *second = oidc || oauth2 ? p->token_url : p->idp_certificate;
    const char *hashed = arena_printf(a, "%s\n%s", p->auth_url, second ? second : "");
    util_sha256_hex(hashed, strlen(hashed), p->endpoints);
    return ST_OK;
}

enum st idp_provider_read(struct arena *a, const char *base_url, const char *cid,
                          const char *app_id, const char *id, const char *doc, const char *secret,
                          size_t secret_len, struct idp_provider *p, struct err *e)
{
    memset(p, 0, sizeof *p);
    json_t *d = doc && util_json_depth_within(doc, strlen(doc), IDP_JSON_MAX_DEPTH)
                    ? json_loads(doc, 0, NULL)
                    : NULL;
    if (!json_is_object(d)) {
        json_decref(d);
        return ERR(e, ST_INVALID, NULL, "the provider document does not read");
    }
    enum st st = read_doc(a, d, p, e);
    json_decref(d);
    if (st != ST_OK) {
        idp_provider_cleanup(p);
        return st;
    }
    p->cid = arena_strdup(a, cid);
    p->app_id = arena_strdup(a, app_id);
    p->id = arena_strdup(a, id);
    p->callback = arena_printf(a, "%s/%s.%s/callback", base_url, cid, id);
    p->metadata = arena_printf(a, "%s/%s.%s/metadata", base_url, cid, id);
    if (secret) {
        p->client_secret = arena_strndup(a, secret, secret_len);
        p->secret_len = secret_len;
    }
    return ST_OK;
}

void idp_provider_cleanup(struct idp_provider *p)
{
    json_decref(p->attribute_map);
    json_decref(p->authn_context);
    p->attribute_map = NULL;
    p->authn_context = NULL;
}
