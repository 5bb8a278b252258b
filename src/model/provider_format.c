/* SPDX-License-Identifier: MIT */
/*
 * The wire text of custom providers (SPEC §5), written without a JSON
 * library: a provider is answered from its stored compact document text.
 * The bytes are those json_dumps(provider_to_json(...), JSON_COMPACT) would
 * write (tests/unit/test_provider_format.c holds them to it). Nothing here
 * parses a document, except a list row that predates stored summaries.
 */
#include "model_int.h"

#include <stdlib.h>
#include <string.h>

static void add_string(struct buf *b, const char *s)
{
    buf_json_string(b, s, strlen(s));
}

/* Appends the members of a compact JSON object text ("{...}"), preceded
 * by a comma when it has any. */
static void add_members(struct buf *b, const char *object)
{
    size_t n = strlen(object);
    if (n > 2) {
        buf_add(b, ",", 1);
        buf_add(b, object + 1, n - 2);
    }
}

static void add_link(struct buf *b, const char *name, const char *href)
{
    buf_puts(b, "\"");
    buf_puts(b, name);
    buf_puts(b, "\":{\"" F_HREF "\":");
    add_string(b, href);
    buf_puts(b, "}");
}

static enum st done(const struct buf *b)
{
    return b->overflow ? ST_INTERNAL : ST_OK;
}

enum st provider_format(struct buf *b, const struct provider_meta *m,
                        const struct provider_links *l, const struct provider_text *t)
{
    buf_puts(b, "{\"" F_LINKS "\":{");
    add_link(b, F_SELF, l->self);
    buf_puts(b, ",");
    add_link(b, F_COLLECTION, l->collection);
    buf_puts(b, ",");
    add_link(b, F_CALLBACK, l->callback);
    buf_puts(b, "},\"" F_ID "\":");
    add_string(b, m->id);
    buf_puts(b, ",\"" F_CREATED_AT "\":");
    add_string(b, m->created_at);
    buf_puts(b, ",\"" F_UPDATED_AT "\":");
    add_string(b, m->updated_at);
    add_members(b, t->doc);
    if (t->secret) {
        buf_puts(b, ",\"" F_CLIENT_SECRET "\":");
        buf_json_string(b, t->secret, t->secret_len);
    }
    buf_puts(b, "}");
    return done(b);
}

/* The summary members of a row stored before summaries were: computed
 * from its document (the only parse on this path). */
static void add_old_summary(struct buf *b, const char *doc_text)
{
    json_t *doc = json_loads(doc_text ? doc_text : "{}", 0, NULL);
    json_t *sum = provider_summary(doc);
    char *text = json_dumps(sum, JSON_COMPACT);
    add_members(b, text ? text : "{}");
    free(text);
    json_decref(sum);
    json_decref(doc);
}

enum st provider_item_format(struct buf *b, const struct provider_item *it)
{
    buf_puts(b, "{\"" F_LINKS "\":{");
    add_link(b, F_SELF, it->self);
    buf_puts(b, "},\"" F_ID "\":");
    add_string(b, it->id);
    if (it->summary && *it->summary)
        add_members(b, it->summary);
    else
        add_old_summary(b, it->doc);
    buf_puts(b, "}");
    return done(b);
}

enum st provider_list_format(struct buf *b, const char *self, const struct provider_item *items,
                             int n)
{
    buf_puts(b, "{\"" F_LINKS "\":{");
    add_link(b, F_SELF, self);
    buf_puts(b, ",\"" F_ITEM "\":{\"" F_HREF "\":");
    const char *tmpl = arena_printf(b->a, "%s{/id}", self);
    add_string(b, tmpl);
    buf_puts(b, ",\"" F_TEMPLATED "\":true}},\"" F_EMBEDDED "\":{\"" F_ITEM "\":[");
    for (int i = 0; i < n && !b->overflow; i++) {
        if (i)
            buf_puts(b, ",");
        provider_item_format(b, &items[i]);
    }
    buf_puts(b, "]}}");
    return done(b);
}
