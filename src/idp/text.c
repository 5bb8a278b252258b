/* SPDX-License-Identifier: MIT */
/*
 * Small text helpers of idp/: percent-encoding, the https URL an issuer or
 * a key set may have, media types, and reading an IdP's JSON answer with
 * the nesting cap before jansson sees it.
 */
#include "idp_int.h"

#include <string.h>

bool idp_https_url(const char *s)
{
    static const char scheme[] = "https://";
    if (!s || strncmp(s, scheme, sizeof scheme - 1) != 0 || strlen(s) > IDP_URL_MAX)
        return false;
    const char *host = s + sizeof scheme - 1;
    size_t hlen = strcspn(host, "/?#");
    if (hlen == 0 || memchr(host, '@', hlen))
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f || *p == '#' || *p == '\\')
            return false;
    return true;
}

bool idp_too_large(const struct net_response *resp, size_t max)
{
    return resp->st == ST_TOO_LARGE || (resp->st == ST_OK && resp->len > max);
}

json_t *idp_json_object(const struct net_response *resp)
{
    if (resp->st != ST_OK || !resp->body ||
        !util_json_depth_within(resp->body, resp->len, IDP_JSON_MAX_DEPTH))
        return NULL;
    json_t *v = json_loadb(resp->body, resp->len, JSON_REJECT_DUPLICATES, NULL);
    if (json_is_object(v))
        return v;
    json_decref(v);
    return NULL;
}

void idp_json_wipe_free(json_t *v)
{
    const char *key;
    json_t *m;
    json_object_foreach(v, key, m)
    {
        if (json_is_string(m))
            secret_wipe((char *)json_string_value(m), json_string_length(m));
    }
    json_decref(v);
}
