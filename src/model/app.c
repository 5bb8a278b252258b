/* SPDX-License-Identifier: MIT */
/*
 * Social-login apps (SPEC §5, §7.1): validation, the merge patch of the
 * admin API, the JSON shown, and the URL rules of token_urls and realm
 * (https, or http on a loopback host; no userinfo, fragment or backslash)
 * with the prefix rule a sign-in's token_url must pass. No HTTP, no SQL.
 */
#include "model_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool host_char(char ch, bool v6)
{
    return v6 ? isxdigit((unsigned char)ch) || ch == ':' || ch == '.'
              : isalnum((unsigned char)ch) || ch == '-' || ch == '.';
}

/* Reads [host][:port] from the authority s (n bytes) into p. */
static bool parse_authority(const char *s, size_t n, struct url_parts *p)
{
    bool v6 = n > 0 && s[0] == '[';
    size_t h = 0;
    if (v6) {
        const char *end = memchr(s, ']', n);
        h = end ? (size_t)(end - s) + 1 : 0;
    } else {
        const char *colon = memchr(s, ':', n);
        h = colon ? (size_t)(colon - s) : n;
    }
    if (h == 0 || h >= sizeof p->host || (v6 && h < 3))
        return false;
    for (size_t i = v6; i < h - v6; i++)
        if (!host_char(s[i], v6))
            return false;
    for (size_t i = 0; i < h; i++)
        p->host[i] = (char)tolower((unsigned char)s[i]);
    p->host[h] = '\0';
    p->port = strcmp(p->scheme, "https") == 0 ? 443 : 80;
    if (h == n)
        return true;
    if (s[h] != ':' || n - h < 2 || n - h > 6)
        return false;
    long port = 0;
    for (size_t i = h + 1; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        port = port * 10 + (s[i] - '0');
    }
    p->port = port;
    return port >= 1 && port <= 65535;
}

static bool loopback(const char *host)
{
    return strcmp(host, "localhost") == 0 || strcmp(host, "127.0.0.1") == 0 ||
           strcmp(host, "[::1]") == 0;
}

const char *model_url_parse(const char *u, struct url_parts *p)
{
    if (!u || strlen(u) > URL_MAX_LEN)
        return "must be a URL of at most 2048 characters";
    for (const char *s = u; *s; s++)
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f || strchr("\"<>", *s))
            return "must not contain spaces, quotes, angle brackets or non-ASCII";
    if (strchr(u, '\\'))
        return "must not contain a backslash";
    if (strchr(u, '#'))
        return "must not have a fragment";
    const char *sep = strstr(u, "://");
    size_t sl = sep ? (size_t)(sep - u) : 0;
    if (sl < 4 || sl > 5)
        return "must be an absolute https URL";
    for (size_t i = 0; i < sl; i++)
        p->scheme[i] = (char)tolower((unsigned char)u[i]);
    p->scheme[sl] = '\0';
    if (strcmp(p->scheme, "https") != 0 && strcmp(p->scheme, "http") != 0)
        return "must be an absolute https URL";
    const char *auth = sep + 3;
    size_t an = strcspn(auth, "/?");
    if (memchr(auth, '@', an))
        return "must not have userinfo";
    if (!parse_authority(auth, an, p))
        return "must have a valid host and port";
    if (strcmp(p->scheme, "http") == 0 && !loopback(p->host))
        return "must be https (http only on localhost, 127.0.0.1 or [::1])";
    p->path = auth + an;
    p->path_len = strcspn(p->path, "?");
    return NULL;
}

enum st app_url_validate(const char *url, const char *field, struct err *e)
{
    struct url_parts p;
    const char *why = model_url_parse(url, &p);
    return why ? ERR(e, ST_UNPROCESSABLE, field, "%s", why) : ST_OK;
}

/* A path segment that a server may read as "." or "..", or an encoded
 * slash or backslash: any of these could leave the allowed prefix. */
static bool path_escapes(const char *path, size_t n)
{
    for (size_t i = 0; i + 3 <= n; i++)
        if (path[i] == '%' &&
            (strncasecmp(path + i, "%2f", 3) == 0 || strncasecmp(path + i, "%5c", 3) == 0))
            return true;
    size_t i = 0;
    while (i < n) {
        size_t j = i + 1, dots = 0;
        bool only_dots = true;
        while (j < n && path[j] != '/') {
            if (path[j] == '.')
                dots++, j++;
            else if (j + 3 <= n && strncasecmp(path + j, "%2e", 3) == 0)
                dots++, j += 3;
            else
                only_dots = false, j++;
        }
        if (only_dots && (dots == 1 || dots == 2))
            return true;
        i = j;
    }
    return false;
}

/* The prefix rule: same scheme, host and port; the entry's path is the
 * url's path or a prefix of it ending on a segment boundary. */
static bool covers(const struct url_parts *entry, const struct url_parts *url)
{
    const char *ep = entry->path_len ? entry->path : "/";
    size_t en = entry->path_len ? entry->path_len : 1;
    const char *up = url->path_len ? url->path : "/";
    size_t un = url->path_len ? url->path_len : 1;
    if (strcmp(entry->scheme, url->scheme) != 0 || strcmp(entry->host, url->host) != 0 ||
        entry->port != url->port || un < en || memcmp(ep, up, en) != 0)
        return false;
    return un == en || ep[en - 1] == '/' || up[en] == '/';
}

bool app_token_url_allowed(const struct login_app *app, const char *url)
{
    struct url_parts u;
    if (!app || !app->token_urls || model_url_parse(url, &u) || path_escapes(u.path, u.path_len))
        return false;
    json_t *list = json_loads(app->token_urls, 0, NULL);
    bool ok = false;
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        struct url_parts entry;
        if (!ok && json_is_string(v) && !model_url_parse(json_string_value(v), &entry))
            ok = covers(&entry, &u);
    }
    json_decref(list);
    return ok;
}

/* ---- settings ----------------------------------------------------------- */

static const struct app_settings settings_default = {
    .post_tokens_to_token_url = true,
    .token_ttl = APP_TOKEN_TTL_DEFAULT,
};

static json_t *settings_json(const struct app_settings *s)
{
    return json_pack("{s:b,s:I,s:b,s:b}", F_POST_TOKENS, s->post_tokens_to_token_url, F_TOKEN_TTL,
                     (json_int_t)s->token_ttl, F_STANDARD_CLAIMS, s->standard_claims,
                     F_RETURN_ACCESS, s->return_access_credentials);
}

static void setting_error(struct err *e, const char *member, const char *why)
{
    char ptr[96];
    snprintf(ptr, sizeof ptr, "/%s/%.64s", F_SETTINGS, member);
    ERR(e, ST_UNPROCESSABLE, ptr, "%s", why);
}

static void read_bool(const json_t *o, const char *name, bool *out, struct err *e)
{
    json_t *v = json_object_get(o, name);
    if (v && !json_is_boolean(v))
        setting_error(e, name, "must be true or false");
    else if (v)
        *out = json_is_true(v);
}

/* Reads the settings object v (NULL: all defaults) into out, recording a
 * detail "/settings/<member>" per bad member. */
static void read_settings(const json_t *v, struct app_settings *out, struct err *e)
{
    *out = settings_default;
    if (!v)
        return;
    if (!json_is_object(v)) {
        ERR(e, ST_UNPROCESSABLE, "/" F_SETTINGS, "must be an object");
        return;
    }
    const char *key;
    json_t *m;
    json_object_foreach((json_t *)v, key, m)
    {
        if (strcmp(key, F_POST_TOKENS) && strcmp(key, F_TOKEN_TTL) &&
            strcmp(key, F_STANDARD_CLAIMS) && strcmp(key, F_RETURN_ACCESS))
            setting_error(e, key, "unknown setting");
    }
    read_bool(v, F_POST_TOKENS, &out->post_tokens_to_token_url, e);
    read_bool(v, F_STANDARD_CLAIMS, &out->standard_claims, e);
    read_bool(v, F_RETURN_ACCESS, &out->return_access_credentials, e);
    json_t *ttl = json_object_get(v, F_TOKEN_TTL);
    if (ttl && (!json_is_integer(ttl) || json_integer_value(ttl) < APP_TOKEN_TTL_MIN ||
                json_integer_value(ttl) > APP_TOKEN_TTL_MAX))
        setting_error(e, F_TOKEN_TTL, "must be an integer from 30 to 600 (seconds)");
    else if (ttl)
        out->token_ttl = json_integer_value(ttl);
}

/* Checks the token_urls value v: an array of at most APP_TOKEN_URLS_MAX
 * acceptable URLs ("/token_urls/<i>" per bad one). */
static void read_token_urls(const json_t *v, struct err *e)
{
    if (!json_is_array(v) || json_array_size(v) > APP_TOKEN_URLS_MAX) {
        ERR(e, ST_UNPROCESSABLE, "/" F_TOKEN_URLS, "must be an array of at most %d URLs",
            APP_TOKEN_URLS_MAX);
        return;
    }
    size_t i;
    json_t *u;
    json_array_foreach((json_t *)v, i, u)
    {
        char ptr[64];
        snprintf(ptr, sizeof ptr, "/%s/%zu", F_TOKEN_URLS, i);
        if (!json_is_string(u))
            ERR(e, ST_UNPROCESSABLE, ptr, "must be a string");
        else
            app_url_validate(json_string_value(u), ptr, e);
    }
}

/* ---- the app ------------------------------------------------------------ */

static char *dump(struct arena *a, json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    char *r = arena_strdup(a, s);
    free(s);
    json_decref(v);
    return r;
}

void login_app_defaults(struct login_app *app)
{
    app->token_urls = "[]";
    app->settings = APP_SETTINGS_DEFAULT_JSON;
}

enum st app_settings_get(const struct login_app *app, struct app_settings *out)
{
    json_t *v = app->settings ? json_loads(app->settings, 0, NULL) : NULL;
    struct err e = {0};
    read_settings(v, out, &e);
    json_decref(v);
    if (e.st != ST_OK)
        *out = settings_default;
    return e.st == ST_OK ? ST_OK : ST_INTERNAL;
}

/* The stored token_urls and settings texts are what login_app_patch wrote:
 * they are checked again, as any other input. */
static void check_stored(const struct login_app *app, struct err *e)
{
    json_t *urls = json_loads(app->token_urls ? app->token_urls : "[]", 0, NULL);
    read_token_urls(urls, e);
    json_decref(urls);
    json_t *set = json_loads(app->settings ? app->settings : "{}", 0, NULL);
    struct app_settings s;
    if (!set)
        ERR(e, ST_UNPROCESSABLE, "/" F_SETTINGS, "must be an object");
    read_settings(set, &s, e);
    json_decref(set);
}

enum st login_app_validate(const struct login_app *app, struct err *e)
{
    enum st st = ST_OK;
    size_t n = strlen(app->id);
    bool lower = n == APP_ID_LEN;
    for (size_t i = 0; i < n && lower; i++)
        lower = islower((unsigned char)app->id[i]);
    if (!lower)
        st = ERR(e, ST_UNPROCESSABLE, "/" F_ID, "app id must be %d lower-case letters", APP_ID_LEN);
    if (!app->name || !*app->name || strlen(app->name) > NAME_MAX_LEN)
        st = ERR(e, ST_UNPROCESSABLE, "/" F_NAME, "name must be 1 to %d characters", NAME_MAX_LEN);
    const char *r = app->realm;
    bool url = r && (strncmp(r, "https://", 8) == 0 || strncmp(r, "http://", 7) == 0) &&
               strlen(r) > 8 && r[strlen(r) - 1] != '/' && !strpbrk(r, " \"<>\\");
    if (!url)
        st = ERR(e, ST_UNPROCESSABLE, "/" F_REALM,
                 "realm must be an http(s) URL without a trailing slash");
    struct err le = {0};
    check_stored(app, &le);
    for (int i = 0; i < le.ndetails; i++)
        st = ERR(e, ST_UNPROCESSABLE, le.details[i].field, "%s", le.details[i].reason);
    return st;
}

/* The members a patch may change, as they are now. */
static json_t *changeable(const struct login_app *app)
{
    json_t *o = json_pack("{s:s,s:s}", F_NAME, app->name, F_REALM, app->realm);
    json_object_set_new(o, F_TOKEN_URLS,
                        json_loads(app->token_urls ? app->token_urls : "[]", 0, NULL));
    json_object_set_new(o, F_SETTINGS, json_loads(app->settings ? app->settings : "{}", 0, NULL));
    return o;
}

/* Reads the merged document m into out (strings from a). */
static void read_merged(struct arena *a, const json_t *m, struct login_app *out, struct err *e)
{
    static const char *const allowed[] = {F_NAME, F_REALM, F_TOKEN_URLS, F_SETTINGS, NULL};
    model_reject_unknown(m, allowed, e);
    const char *name, *realm;
    model_get_string(m, F_NAME, true, &name, e);
    model_get_string(m, F_REALM, true, &realm, e);
    if (name && strlen(name) > NAME_MAX_LEN)
        ERR(e, ST_UNPROCESSABLE, "/" F_NAME, "must be at most %d characters", NAME_MAX_LEN);
    if (realm && *realm && app_url_validate(realm, "/" F_REALM, e) == ST_OK &&
        realm[strlen(realm) - 1] == '/')
        ERR(e, ST_UNPROCESSABLE, "/" F_REALM, "must not end with a slash");
    json_t *urls = json_object_get(m, F_TOKEN_URLS);
    if (urls)
        read_token_urls(urls, e);
    struct app_settings s;
    read_settings(json_object_get(m, F_SETTINGS), &s, e);
    out->name = name ? arena_strdup(a, name) : NULL;
    out->realm = realm ? arena_strdup(a, realm) : NULL;
    out->token_urls = urls ? dump(a, json_incref(urls)) : "[]";
    out->settings = dump(a, settings_json(&s));
}

enum st login_app_patch(struct arena *a, const struct login_app *cur, const json_t *patch,
                        struct login_app *out, struct err *e)
{
    if (!json_is_object(patch))
        return ERR(e, ST_INVALID, NULL, "the body must be a JSON object");
    struct err le = {0};
    json_t *id = json_object_get(patch, F_ID);
    if (id && !(json_is_string(id) && strcmp(json_string_value(id), cur->id) == 0))
        ERR(&le, ST_UNPROCESSABLE, "/" F_ID, "is set by the server");
    json_t *doc = changeable(cur);
    json_t *m = model_patch_merge(doc, patch);
    json_object_del(m, F_ID);
    json_object_del(m, F_LINKS);
    *out = *cur;
    read_merged(a, m, out, &le);
    json_decref(m);
    json_decref(doc);
    if (le.st == ST_OK)
        return ST_OK;
    if (e)
        *e = le;
    return le.st;
}

json_t *login_app_to_json(const struct login_app *app, const char *self_href)
{
    json_t *o = json_object();
    model_add_self(o, self_href);
    json_object_set_new(o, F_ID, json_string(app->id));
    json_object_set_new(o, F_NAME, json_string(app->name));
    json_object_set_new(o, F_REALM, json_string(app->realm));
    json_t *urls = json_loads(app->token_urls ? app->token_urls : "[]", 0, NULL);
    json_object_set_new(o, F_TOKEN_URLS, urls ? urls : json_array());
    struct app_settings s;
    app_settings_get(app, &s);
    json_object_set_new(o, F_SETTINGS, settings_json(&s));
    return o;
}

void login_app_etag(const struct login_app *app, char out[65])
{
    struct app_settings s;
    app_settings_get(app, &s);
    json_t *sj = settings_json(&s);
    char *set = json_dumps(sj, JSON_COMPACT); /* the shown settings */
    json_decref(sj);
    size_t n = strlen(app->id) + strlen(app->name) + strlen(app->realm) +
               strlen(app->token_urls ? app->token_urls : "[]") + strlen(set) + 8;
    char *shown = xmalloc(n);
    snprintf(shown, n, "%s\n%s\n%s\n%s\n%s", app->id, app->name, app->realm,
             app->token_urls ? app->token_urls : "[]", set);
    util_sha256_hex(shown, strlen(shown), out);
    free(shown);
    free(set);
}

void app_key_generate(char out[APP_KEY_LEN + 1])
{
    util_random_secret_hex(out, APP_KEY_LEN / 2);
}
