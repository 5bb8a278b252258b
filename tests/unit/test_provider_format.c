/* SPDX-License-Identifier: MIT */
/*
 * One provider renderer: the text forms of model/provider_format.c (what
 * GET, POST and PATCH answer, with no JSON library) must be byte for byte
 * json_dumps(provider_to_json(...), JSON_COMPACT), for every valid
 * provider of tests/fuzz/corpus/provider/ and the documents below; and the
 * list forms the same JSON built with jansson.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "model/model.h"

#include "../test_cert.h"

#define OIDC_HEAD                                                                                  \
    "{\"title\":\"t\",\"protocol\":\"openidconnect\",\"auth_url\":\"https://i.example/a\","        \
    "\"token_url\":\"https://i.example/t\",\"client_id\":\"c\""

/* Hand-written documents: each protocol, unicode, escapes, control
 * characters, empty and absent optional members, with and without
 * client_secret, and the numbers a free-form authn_context may hold. */
static const char *const docs[] = {
    OIDC_HEAD ",\"client_secret\":\"s\"}",
    OIDC_HEAD ",\"client_secret\":\"s\\n\\t\\r\\b\\f\\u0001\\u001f\\u007f\\\"\\\\/\"}",
    OIDC_HEAD ",\"client_secret\":\"caf\\u00e9 \\u65e5\\u672c \\ud83d\\ude00 \\u2028\\u2029\"}",
    "{\"client_secret\":\"first\",\"title\":\"t\",\"protocol\":\"oauth2\","
    "\"auth_url\":\"https://i.example/a\",\"token_url\":\"https://i.example/t\","
    "\"client_id\":\"c\"}",
    "{\"title\":\"t\",\"protocol\":\"oauth2\",\"auth_url\":\"https://i.example/a\","
    "\"token_url\":\"https://i.example/t\",\"client_id\":\"c\",\"client_secret\":\"s\","
    "\"profile_url\":\"https://i.example/me?a=1&b=%2F\",\"scopes\":[],\"ui\":{},"
    "\"attribute_map\":{}}",
    OIDC_HEAD ",\"client_secret\":\"s\",\"scopes\":[\"openid\",\"e\\u0080\",\"\"],"
              "\"ui\":{\"title\":\"\\u00c9cole \\\"\\/\\\\ \\u0007\\n\","
              "\"icon_url\":\"https://i.example/i.png\"},"
              "\"attribute_map\":{\"/email\":\"/mail\",\"/name/givenName\":\"/a~1b/c~0d\"}}",
    "{\"title\":\"\\u0001\\u0002\\u001e\\t tab\",\"protocol\":\"saml2\","
    "\"auth_url\":\"https://i.example/sso\",\"idp_certificate\":\"" CERT "\"}",
    "{\"title\":\"\\u65e5\\u672c\\u8a9e\",\"protocol\":\"saml2\","
    "\"auth_url\":\"https://i.example/sso\",\"idp_certificate\":\"" CERT "\","
    "\"authn_context\":{\"n\":[0,-0,1,-1,1.5,-0.0,0.1,1e300,2.5e-300,9007199254740993,"
    "-9223372036854775808,123456789.123456789],\"b\":[true,false,null],"
    "\"o\":{\"\":{},\"a\":[[]]},\"s\":\"\\u007f\\u0080\\uffff\"}}",
    "{\"title\":\"t\",\"protocol\":\"saml2\",\"auth_url\":\"https://i.example/sso\","
    "\"idp_certificate\":\"" CERT
    "\",\"authn_context\":{},\"ui\":{\"icon_url\":\"https://i.example/%F0\"}}",
};

static const struct provider_meta meta = {"7fad4d59-5ad7-44ee-801a-6d126fa3737c",
                                          "2026-01-01T00:00:00.000000001Z",
                                          "2026-01-01T00:00:00.000000002Z"};
static const struct provider_links links = {
    "https://h.example/v1/3cc14467/apps/abc/custom-providers/7fad4d59",
    "https://h.example/v1/3cc14467/apps/abc/custom-providers",
    "https://r.example/3cc14467.7fad4d59/callback",
};

/* The compact text of v (caller frees). */
static char *dumps(const json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT);
    cr_assert_not_null(s);
    return s;
}

/* A document's stored form, as the API keeps it: the text without
 * client_secret, the secret aside, and the summary text. */
struct stored {
    char *doc, *summary, *secret;
    size_t secret_len;
};

static struct stored store_form(const json_t *doc)
{
    struct stored s = {0};
    json_t *copy = json_deep_copy(doc), *secret = json_object_get(copy, F_CLIENT_SECRET);
    if (json_is_string(secret)) {
        s.secret_len = json_string_length(secret);
        s.secret = xmalloc(s.secret_len + 1);
        memcpy(s.secret, json_string_value(secret), s.secret_len + 1);
    }
    json_object_del(copy, F_CLIENT_SECRET);
    s.doc = dumps(copy);
    json_t *sum = provider_summary(copy);
    s.summary = dumps(sum);
    json_decref(sum);
    json_decref(copy);
    return s;
}

static void stored_cleanup(struct stored *s)
{
    free(s->doc);
    free(s->summary);
    free(s->secret);
}

/* The text form of one provider equals jansson's, shown with its secret
 * and without: jansson's document is the stored text parsed again with
 * client_secret set last, as a modification reads it. */
static void full_forms_agree(const char *name, const struct stored *s,
                             const struct provider_meta *m, const struct provider_links *l)
{
    for (int shown = 0; shown <= 1; shown++) {
        json_t *doc = json_loads(s->doc, 0, NULL);
        cr_assert_not_null(doc, "%s", name);
        if (shown && s->secret)
            json_object_set_new(doc, F_CLIENT_SECRET, json_stringn(s->secret, s->secret_len));
        json_t *rep = provider_to_json(doc, m, l);
        char *want = dumps(rep);
        struct arena a;
        arena_init(&a);
        struct buf b;
        buf_init(&b, &a);
        struct provider_text t = {s->doc, shown ? s->secret : NULL, s->secret_len};
        cr_expect_eq(provider_format(&b, m, l, &t), ST_OK);
        cr_expect_str_eq(b.p, want, "%s (secret %s)", name, shown ? "shown" : "hidden");
        cr_expect_eq(b.len, strlen(want), "%s", name);
        arena_cleanup(&a);
        free(want);
        json_decref(rep);
        json_decref(doc);
    }
}

/* The list item, from the stored summary and from an old row's document,
 * equals {"_links":{"self":{"href":…}},"id":…} + provider_summary's members. */
static void item_forms_agree(const char *name, const struct stored *s)
{
    json_t *doc = json_loads(s->doc, 0, NULL), *sum = provider_summary(doc);
    json_t *want_v =
        json_pack("{s:{s:{s:s}},s:s}", F_LINKS, F_SELF, F_HREF, links.self, F_ID, meta.id);
    json_object_update(want_v, sum);
    char *want = dumps(want_v);
    for (int old = 0; old <= 1; old++) {
        struct arena a;
        arena_init(&a);
        struct buf b;
        buf_init(&b, &a);
        struct provider_item it = {links.self, meta.id, old ? NULL : s->summary, s->doc};
        cr_expect_eq(provider_item_format(&b, &it), ST_OK);
        cr_expect_str_eq(b.p, want, "%s (%s row)", name, old ? "old" : "summarised");
        arena_cleanup(&a);
    }
    free(want);
    json_decref(want_v);
    json_decref(sum);
    json_decref(doc);
}

/* Checks every form of doc; returns false (checking nothing) when doc is
 * not a valid provider. */
static bool forms_agree(const char *name, const json_t *doc)
{
    if (provider_validate(doc, NULL) != ST_OK)
        return false;
    struct stored s = store_form(doc);
    full_forms_agree(name, &s, &meta, &links);
    item_forms_agree(name, &s);
    stored_cleanup(&s);
    return true;
}

Test(provider_format, hand_written_documents_render_as_jansson_does)
{
    for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
        json_error_t je;
        json_t *doc = json_loads(docs[i], 0, &je);
        cr_assert_not_null(doc, "document %zu: %s", i, je.text);
        char name[32];
        snprintf(name, sizeof name, "document %zu", i);
        cr_expect(forms_agree(name, doc), "%s is not a valid provider", name);
        json_decref(doc);
    }
}

Test(provider_format, every_valid_corpus_provider_renders_as_jansson_does)
{
    DIR *d = opendir(PROVIDER_CORPUS);
    cr_assert_not_null(d, "%s", PROVIDER_CORPUS);
    int checked = 0;
    for (struct dirent *de; (de = readdir(d));) {
        if (de->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", PROVIDER_CORPUS, de->d_name);
        json_t *doc = json_load_file(path, 0, NULL);
        if (doc && forms_agree(de->d_name, doc))
            checked++;
        json_decref(doc);
    }
    closedir(d);
    cr_expect_geq(checked, 3, "only %d valid providers in the corpus", checked);
}

/* Server members and links with every kind of character the escaper
 * treats: both must escape them alike. */
Test(provider_format, server_members_escape_as_jansson_does)
{
    char all[128];
    for (int i = 0; i < 127; i++)
        all[i] = (char)(i + 1);
    all[127] = '\0';
    const struct provider_meta m = {all, "\"\\/\x7f", "caf\xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x98\x80"};
    const struct provider_links l = {all + 40, "a\nb\tc\rd\be\ff", ""};
    json_t *doc = json_loads(OIDC_HEAD ",\"client_secret\":\"s\"}", 0, NULL);
    struct stored s = store_form(doc);
    full_forms_agree("escapes", &s, &m, &l);
    stored_cleanup(&s);
    json_decref(doc);
}

/* The list form equals the same HAL list built with jansson. */
Test(provider_format, list_renders_as_jansson_does)
{
    const char *self = "https://h.example/v1/c/apps/a/custom-providers";
    json_t *docs_v[3] = {json_loads(docs[1], 0, NULL), json_loads(docs[6], 0, NULL),
                         json_loads(docs[7], 0, NULL)};
    for (int n = 0; n <= 3; n++) {
        struct stored s[3];
        struct provider_item items[3];
        json_t *want_items = json_array();
        for (int i = 0; i < n; i++) {
            s[i] = store_form(docs_v[i]);
            char id[8];
            snprintf(id, sizeof id, "id%d", i);
            items[i] = (struct provider_item){links.self, xstrdup(id), i == 1 ? "" : s[i].summary,
                                              s[i].doc};
            json_t *it =
                json_pack("{s:{s:{s:s}},s:s}", F_LINKS, F_SELF, F_HREF, links.self, F_ID, id);
            json_object_update_new(it, provider_summary(docs_v[i]));
            json_array_append_new(want_items, it);
        }
        char tmpl[128];
        snprintf(tmpl, sizeof tmpl, "%s{/id}", self);
        json_t *want_v =
            json_pack("{s:{s:{s:s},s:{s:s,s:b}},s:{s:o}}", F_LINKS, F_SELF, F_HREF, self, F_ITEM,
                      F_HREF, tmpl, F_TEMPLATED, 1, F_EMBEDDED, F_ITEM, want_items);
        char *want = dumps(want_v);
        struct arena a;
        arena_init(&a);
        struct buf b;
        buf_init(&b, &a);
        cr_expect_eq(provider_list_format(&b, self, items, n), ST_OK);
        cr_expect_str_eq(b.p, want, "%d items", n);
        arena_cleanup(&a);
        free(want);
        json_decref(want_v);
        for (int i = 0; i < n; i++) {
            free((char *)items[i].id);
            stored_cleanup(&s[i]);
        }
    }
    for (int i = 0; i < 3; i++)
        json_decref(docs_v[i]);
}

/* Past its cap a list is refused whole, never cut short silently. */
Test(provider_format, a_list_past_the_cap_is_refused)
{
    json_t *doc = json_loads(docs[0], 0, NULL);
    struct stored s = store_form(doc);
    struct provider_item items[4];
    for (int i = 0; i < 4; i++)
        items[i] = (struct provider_item){links.self, meta.id, s.summary, s.doc};
    struct arena a;
    arena_init(&a);
    struct buf b;
    buf_init(&b, &a);
    cr_assert_eq(provider_list_format(&b, links.collection, items, 4), ST_OK);
    size_t whole = b.len;
    buf_init(&b, &a);
    b.max = whole;
    cr_expect_eq(provider_list_format(&b, links.collection, items, 4), ST_OK, "exactly the cap");
    buf_init(&b, &a);
    b.max = whole - 1;
    cr_expect_eq(provider_list_format(&b, links.collection, items, 4), ST_INTERNAL);
    cr_expect(b.overflow);
    cr_expect_lt(b.len, whole);
    arena_cleanup(&a);
    stored_cleanup(&s);
    json_decref(doc);
}
