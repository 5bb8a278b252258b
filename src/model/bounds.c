/* SPDX-License-Identifier: MIT */
/*
 * How big a JSON value is, without serialising it: the compact text length
 * (an upper bound that json_dumps and buf_json_string both stay within) and
 * the nesting depth. Every measurement can stop early at a cap, so refusing
 * a huge value costs no more than the cap. Does not allocate.
 */
#include "model.h"

#include <stdint.h>

/* A walk in progress: bytes so far, the deepest nesting seen, the cap. */
struct walk {
    size_t bytes;
    size_t cap;
    int depth;
};

size_t model_json_string_size(const char *s, size_t len)
{
    size_t n = len + 2; /* the quotes */
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\')
            n += 1;
        else if (ch < 0x20)
            n += 5; /* "\u00XX", the longest escape of a control character */
    }
    return n;
}

static size_t integer_size(json_int_t v)
{
    size_t n = v < 0 ? 2 : 1;
    /* Negate in unsigned arithmetic: well defined for the smallest value. */
    uintmax_t u = v < 0 ? (uintmax_t)0 - (uintmax_t)v : (uintmax_t)v;
    for (; u >= 10; u /= 10)
        n++;
    return n;
}

static size_t real_size(const json_t *v)
{
    char text[64]; /* "%.17g" and ".0" fit many times over */
    return json_dumpb(v, text, sizeof text, JSON_ENCODE_ANY);
}

static void walk(const json_t *v, int level, struct walk *w);

static void walk_object(const json_t *v, int level, struct walk *w)
{
    const char *key;
    size_t klen;
    json_t *m;
    w->bytes += json_object_size(v) ? json_object_size(v) + 1 : 2; /* braces, commas */
    json_object_keylen_foreach((json_t *)v, key, klen, m)
    {
        if (w->bytes > w->cap)
            return;
        w->bytes += model_json_string_size(key, klen) + 1; /* the colon */
        walk(m, level, w);
    }
}

static void walk_array(const json_t *v, int level, struct walk *w)
{
    size_t n = json_array_size(v);
    w->bytes += n ? n + 1 : 2; /* brackets, commas */
    for (size_t i = 0; i < n && w->bytes <= w->cap; i++)
        walk(json_array_get(v, i), level, w);
}

/* Adds v, nested in level containers, to w. */
static void walk(const json_t *v, int level, struct walk *w)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
    case JSON_ARRAY:
        if (level + 1 > w->depth)
            w->depth = level + 1;
        if (json_is_object(v))
            walk_object(v, level + 1, w);
        else
            walk_array(v, level + 1, w);
        return;
    case JSON_STRING:
        w->bytes += model_json_string_size(json_string_value(v), json_string_length(v));
        return;
    case JSON_INTEGER:
        w->bytes += integer_size(json_integer_value(v));
        return;
    case JSON_REAL:
        w->bytes += real_size(v);
        return;
    case JSON_TRUE:
    case JSON_NULL:
        w->bytes += 4;
        return;
    case JSON_FALSE:
        w->bytes += 5;
        return;
    }
}

struct json_size model_json_measure(const json_t *v, size_t cap)
{
    struct walk w = {.cap = cap};
    if (v)
        walk(v, 0, &w);
    return (struct json_size){.bytes = w.bytes, .depth = w.depth};
}

enum st model_json_bound(const json_t *v, const struct json_bounds *b, const char *field,
                         struct err *e)
{
    struct json_size m = model_json_measure(v, b->bytes);
    if (m.bytes > b->bytes)
        return ERR(e, ST_UNPROCESSABLE, field, "the document would exceed %zu bytes", b->bytes);
    if (m.depth > b->depth)
        return ERR(e, ST_UNPROCESSABLE, field, "the document would nest deeper than %d", b->depth);
    return ST_OK;
}
