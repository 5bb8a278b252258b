/* SPDX-License-Identifier: MIT */
/*
 * The Engage profile of a signed-in person (SPEC §7.5): the identifier
 * built from the subject, never from an e-mail address; what attribute_map
 * maps from the profile document by RFC 6901 pointers; with
 * standard_claims, the OIDC standard claims where nothing is mapped; each
 * value at most IDP_PROFILE_VALUE_MAX bytes. Also the oauth2 subject. Pure
 * functions of their arguments.
 */
#include "idp_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define F_IDENTIFIER "/identifier"
#define F_VERIFIED_EMAIL "/verifiedEmail"
#define F_FORMATTED "/name/formatted"
#define INDEX_DIGITS 9 /* array indexes past a billion find nothing */

/* The Engage fields a map may fill, as pointers into the profile. The
 * identifier and the provider's names are not among them. */
static const char *const fields[] = {
    "/email",
    "/verifiedEmail",
    "/displayName",
    "/name/givenName",
    "/name/familyName",
    "/name/formatted",
    "/preferredUsername",
    "/photo",
    "/url",
    NULL,
};

/* OIDC Core §5.1 claims and the field each fills under standard_claims. */
static const struct {
    const char *field, *claim;
} standard[] = {
    {"/email", "email"},
    {"/displayName", "name"},
    {"/name/givenName", "given_name"},
    {"/name/familyName", "family_name"},
    {"/preferredUsername", "preferred_username"},
    {"/photo", "picture"},
    {"/url", "profile"},
};

/* The array index token t[0..n) (RFC 6901 §4: "0" or no leading zero),
 * or -1. */
static long index_of(const char *t, size_t n)
{
    if (n == 0 || n > INDEX_DIGITS || (n > 1 && t[0] == '0'))
        return -1;
    long i = 0;
    for (size_t k = 0; k < n; k++) {
        if (t[k] < '0' || t[k] > '9')
            return -1;
        i = i * 10 + (t[k] - '0');
    }
    return i;
}

/* Unescapes the reference token t[0..n) into out (~1 is '/', ~0 is '~');
 * its length, or -1 on a '~' followed by anything else. */
static long unescape(char *out, const char *t, size_t n)
{
    size_t o = 0;
    for (size_t k = 0; k < n; k++) {
        if (t[k] != '~') {
            out[o++] = t[k];
        } else if (k + 1 < n && (t[k + 1] == '0' || t[k + 1] == '1')) {
            out[o++] = t[++k] == '0' ? '~' : '/';
        } else {
            return -1;
        }
    }
    return (long)o;
}

const json_t *idp_pointer_find(const json_t *doc, const char *ptr)
{
    if (!doc || !ptr || (*ptr && *ptr != '/'))
        return NULL;
    char *tok = xmalloc(strlen(ptr) + 1);
    const json_t *v = doc;
    for (const char *p = ptr; v && *p == '/';) {
        p++;
        size_t n = strcspn(p, "/");
        long len = unescape(tok, p, n);
        if (len < 0)
            v = NULL;
        else if (json_is_object(v))
            v = json_object_getn(v, tok, (size_t)len);
        else if (json_is_array(v) && index_of(tok, (size_t)len) >= 0)
            v = json_array_get(v, (size_t)index_of(tok, (size_t)len));
        else
            v = NULL;
        p += n;
    }
    free(tok);
    return v;
}

/* A string of at most IDP_PROFILE_VALUE_MAX bytes: what a profile field
 * may hold. A longer one is left out rather than cut (a cut address or
 * URL would be wrong) or failing the sign-in (a long name is no attack on
 * the person signing in); it bounds what one sign-in stores. */
static bool fits(const json_t *v)
{
    return json_is_string(v) && json_string_length(v) <= IDP_PROFILE_VALUE_MAX;
}

/* A scalar as profile text: strings as they are, numbers and booleans
 * written out; NULL for anything else (objects, arrays, null) and for a
 * string that does not fit. */
static json_t *as_text(const json_t *v)
{
    char num[40];
    if (json_is_string(v))
        return fits(v) ? json_stringn_nocheck(json_string_value(v), json_string_length(v)) : NULL;
    if (json_is_boolean(v))
        return json_string(json_is_true(v) ? "true" : "false");
    if (json_is_integer(v)) {
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return json_string(num);
    }
    if (json_is_real(v)) { /* the shortest text that reads back the same */
        snprintf(num, sizeof num, "%.15g", json_real_value(v));
        if (strtod(num, NULL) != json_real_value(v))
            snprintf(num, sizeof num, "%.17g", json_real_value(v));
        return json_string(num);
    }
    return NULL;
}

/* Sets field (one of fields[]: "/a" or "/a/b") of profile to value (taken). */
static void put(json_t *profile, const char *field, json_t *value)
{
    const char *slash = strchr(field + 1, '/');
    if (!slash) {
        json_object_set_new(profile, field + 1, value);
        return;
    }
    json_t *parent = json_object_getn(profile, field + 1, (size_t)(slash - field - 1));
    if (!json_is_object(parent)) {
        parent = json_object();
        json_object_setn_new(profile, field + 1, (size_t)(slash - field - 1), parent);
    }
    json_object_set_new(parent, slash + 1, value);
}

static bool mapped(const struct idp_provider *p, const char *field)
{
    return json_object_get(p->attribute_map, field) != NULL;
}

static void map_fields(json_t *profile, const struct idp_provider *p, const json_t *doc)
{
    for (const char *const *f = fields; *f; f++) {
        const char *ptr = json_string_value(json_object_get(p->attribute_map, *f));
        json_t *v = ptr ? as_text(idp_pointer_find(doc, ptr)) : NULL;
        if (v)
            put(profile, *f, v);
    }
}

static void map_standard(json_t *profile, const struct idp_provider *p, const json_t *doc)
{
    for (size_t i = 0; i < sizeof standard / sizeof *standard; i++) {
        json_t *v =
            mapped(p, standard[i].field) ? NULL : as_text(json_object_get(doc, standard[i].claim));
        if (v)
            put(profile, standard[i].field, v);
    }
    /* a verified address only on the IdP's word, a JSON true */
    const json_t *email = json_object_get(doc, "email");
    if (!mapped(p, F_VERIFIED_EMAIL) && json_is_true(json_object_get(doc, "email_verified")) &&
        fits(email))
        put(profile, F_VERIFIED_EMAIL, json_copy((json_t *)email));
}

/* name.formatted: the given and family names joined by one space. */
static void formatted(json_t *profile, const struct idp_provider *p)
{
    json_t *name = json_object_get(profile, "name");
    const char *given = json_string_value(json_object_get(name, "givenName"));
    const char *family = json_string_value(json_object_get(name, "familyName"));
    if (mapped(p, F_FORMATTED) || (!given && !family))
        return;
    struct arena a;
    arena_init(&a);
    const char *text = given && family ? arena_printf(&a, "%s %s", given, family)
                       : given         ? given
                                       : family;
    if (strlen(text) <= IDP_PROFILE_VALUE_MAX)
        json_object_set_new(name, "formatted", json_string(text));
    arena_cleanup(&a);
}

json_t *idp_profile(const struct idp_provider *p, const char *realm, const char *subject,
                    const json_t *doc, bool standard_claims)
{
    struct arena a;
    arena_init(&a);
    const char *cid = p->cid ? p->cid : "", *id = p->id ? p->id : "";
    json_t *profile = json_object();
    json_object_set_new(profile, "identifier",
                        json_string(arena_printf(&a, "%s/%s.%s/id/%s", realm ? realm : "", cid, id,
                                                 util_pct_encode(&a, subject ? subject : ""))));
    json_object_set_new(profile, "providerName", json_string(p->title ? p->title : ""));
    json_object_set_new(profile, "providerSpecifier",
                        json_string(arena_printf(&a, "%s.%s", cid, id)));
    arena_cleanup(&a);
    if (json_is_object(doc)) {
        map_fields(profile, p, doc);
        if (standard_claims)
            map_standard(profile, p, doc);
    }
    formatted(profile, p);
    return profile;
}

/* The subject v holds: a non-empty string without NUL of at most
 * IDP_SUBJECT_MAX bytes, or an integer in decimal; else NULL. */
static const char *subject_of(struct arena *a, const json_t *v)
{
    if (json_is_integer(v))
        return arena_printf(a, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    if (!json_is_string(v))
        return NULL;
    size_t n = json_string_length(v);
    if (n == 0 || n > IDP_SUBJECT_MAX || strlen(json_string_value(v)) != n)
        return NULL;
    return arena_strndup(a, json_string_value(v), n);
}

const char *idp_subject(struct arena *a, const struct idp_provider *p, const json_t *doc)
{
    static const char *const usual[] = {"/sub", "/id", "/user_id"};
    const char *ptr = json_string_value(json_object_get(p->attribute_map, F_IDENTIFIER));
    if (ptr) /* an explicit mapping that finds nothing does not fall back */
        return subject_of(a, idp_pointer_find(doc, ptr));
    for (size_t i = 0; i < sizeof usual / sizeof *usual; i++) {
        const char *s = subject_of(a, idp_pointer_find(doc, usual[i]));
        if (s)
            return s;
    }
    return NULL;
}
