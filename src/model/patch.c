/* SPDX-License-Identifier: MIT */
/*
 * JSON Patch (RFC 6902) over JSON Pointer (RFC 6901), and JSON Merge Patch
 * (RFC 7396), on jansson values. Both work on deep copies: the inputs are
 * never modified and the results never alias them. Knows nothing of media
 * types, resources or HTTP; duplicate members are the parser's business.
 */
#include "model.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if JANSSON_VERSION_HEX < 0x020e00
#error "model/patch.c needs jansson >= 2.14 (json_object_getn, _setn_new, _deln)"
#endif

/* Member names of a JSON Patch operation (RFC 6902, section 4). */
#define P_OP "op"
#define P_PATH "path"
#define P_FROM "from"
#define P_VALUE "value"
#define P_MOVE "move" /* the operations that read a value */
#define P_COPY "copy"
#define P_TEST "test"
#define P_APPEND "-" /* the array index past the end (RFC 6901, section 4) */

/* One decoded reference token; s is not NUL-terminated. */
struct tok {
    const char *s;
    size_t len;
};

/* A parsed JSON Pointer: n decoded tokens pointing into mem. */
struct ptr {
    const char *name; /* the member it came from: "path" or "from" */
    size_t n;
    struct tok *t;
    char *mem;
};

/* The patch being applied: the working copy, its size as
 * model_json_measure counts it (kept up to date by every operation, so no
 * step measures the whole document), its bounds, and where errors go. */
struct ctx {
    json_t *root;
    size_t bytes;
    size_t work; /* bytes of values measured, copied or freed so far */
    const struct json_bounds *b;
    struct err *e;
    char field[24]; /* "/<index>" of the current operation */
};

/* The members of one operation, checked for presence and type. */
struct args {
    const struct ptr *path;
    const struct ptr *from;
    const json_t *value;
};

static void must(int rc)
{
    if (rc != 0) {
        fputs("socialgate: out of memory\n", stderr);
        abort();
    }
}

static json_t *copy_of(const json_t *v)
{
    json_t *c = json_deep_copy(v);
    if (!c)
        must(-1);
    return c;
}

/* ---- JSON Pointer (RFC 6901) ------------------------------------------ */

static void ptr_cleanup(struct ptr *p)
{
    free(p->t);
    free(p->mem);
    p->t = NULL;
    p->mem = NULL;
    p->n = 0;
}

/* Splits s[0..len) into decoded tokens ("~1" → "/", "~0" → "~", left to
 * right). Returns false on a malformed pointer; call ptr_cleanup either way. */
static bool ptr_parse(const char *s, size_t len, struct ptr *p)
{
    p->n = 0;
    if (len == 0)
        return true;
    if (s[0] != '/')
        return false;
    size_t ntok = 0;
    for (size_t i = 0; i < len; i++)
        ntok += s[i] == '/';
    p->t = xcalloc(ntok, sizeof *p->t);
    p->mem = xmalloc(len);
    char *w = p->mem;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '/') {
            p->t[p->n++] = (struct tok){.s = w, .len = 0};
            continue;
        }
        if (c == '~') {
            if (i + 1 == len || (s[i + 1] != '0' && s[i + 1] != '1'))
                return false;
            c = s[++i] == '0' ? '~' : '/';
        }
        *w++ = c;
        p->t[p->n - 1].len++;
    }
    return true;
}

static bool tok_is(const struct tok *t, const char *lit)
{
    return t->len == strlen(lit) && memcmp(t->s, lit, t->len) == 0;
}

/* An array index: "0" or digits without a leading zero. */
static bool index_parse(const struct tok *t, size_t *out)
{
    if (t->len == 0 || t->len > 15 || (t->s[0] == '0' && t->len > 1))
        return false;
    size_t v = 0;
    for (size_t i = 0; i < t->len; i++) {
        if (t->s[i] < '0' || t->s[i] > '9')
            return false;
        v = v * 10 + (size_t)(t->s[i] - '0');
    }
    *out = v;
    return true;
}

static json_t *child(json_t *v, const struct tok *t)
{
    size_t i;
    if (json_is_object(v))
        return json_object_getn(v, t->s, t->len);
    if (json_is_array(v) && index_parse(t, &i))
        return json_array_get(v, i); /* NULL when out of range */
    return NULL;
}

/* The value at the first n tokens of p, or NULL when there is none. */
static json_t *locate(json_t *root, const struct ptr *p, size_t n)
{
    json_t *v = root;
    for (size_t i = 0; i < n && v; i++)
        v = child(v, &p->t[i]);
    return v;
}

static bool tok_equal(const struct tok *a, const struct tok *b)
{
    return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
}

/* True when every token of a starts b (a == b counts). */
static bool ptr_starts(const struct ptr *a, const struct ptr *b)
{
    if (a->n > b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (!tok_equal(&a->t[i], &b->t[i]))
            return false;
    return true;
}

/* ---- JSON equality: objects unordered, numbers by value ---------------- */

static bool same(const json_t *a, const json_t *b);

static bool same_number(const json_t *a, const json_t *b)
{
    if (json_is_integer(a) && json_is_integer(b))
        return json_integer_value(a) == json_integer_value(b);
    if (json_is_real(a) && json_is_real(b))
        return json_real_value(a) == json_real_value(b);
    const json_t *i = json_is_integer(a) ? a : b;
    double d = json_real_value(json_is_real(a) ? a : b);
    if (!(d >= -0x1p63 && d < 0x1p63))
        return false; /* beyond json_int_t: no integer can equal it */
    json_int_t k = (json_int_t)d;
    return (double)k == d && k == json_integer_value(i);
}

static bool same_object(const json_t *a, const json_t *b)
{
    const char *key;
    size_t klen;
    json_t *v;
    if (json_object_size(a) != json_object_size(b))
        return false;
    json_object_keylen_foreach((json_t *)a, key, klen, v)
    {
        const json_t *w = json_object_getn(b, key, klen);
        if (!w || !same(v, w))
            return false;
    }
    return true;
}

static bool same_array(const json_t *a, const json_t *b)
{
    size_t n = json_array_size(a);
    if (n != json_array_size(b))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!same(json_array_get(a, i), json_array_get(b, i)))
            return false;
    return true;
}

static bool same(const json_t *a, const json_t *b)
{
    if (json_is_number(a) && json_is_number(b))
        return same_number(a, b);
    if (json_typeof(a) != json_typeof(b))
        return false;
    switch (json_typeof(a)) {
    case JSON_OBJECT:
        return same_object(a, b);
    case JSON_ARRAY:
        return same_array(a, b);
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
    default:
        return true; /* true, false, null */
    }
}

/* ---- the six operations (RFC 6902, section 4) -------------------------- */

static enum st missing(struct ctx *c, const struct ptr *p)
{
    return ERR(c->e, ST_UNPROCESSABLE, c->field, "\"%s\" does not exist", p->name);
}

static size_t measure(const json_t *v)
{
    return model_json_measure(v, SIZE_MAX).bytes;
}

/* The bytes a member or an element brings besides its value: "name": in
 * an object, and a comma when the container holds others (has others
 * besides it). */
static size_t slot_size(const json_t *parent, const struct tok *last, size_t others)
{
    size_t n = json_is_object(parent) ? model_json_string_size(last->s, last->len) + 1 : 0;
    return n + (others > 0);
}

static size_t members(const json_t *v)
{
    return json_is_object(v) ? json_object_size(v) : json_array_size(v);
}

/* Counts the bytes of values an operation measures, copies or frees. */
static enum st spend(struct ctx *c, size_t bytes)
{
    c->work += bytes;
    if (c->work > c->b->work)
        return ERR(c->e, ST_UNPROCESSABLE, c->field,
                   "the patch would copy, replace or remove more than %zu bytes in all",
                   c->b->work);
    return ST_OK;
}

/* Checks that v, placed under n containers where gone bytes leave and
 * extra bytes come with it, keeps the document within bounds, and counts
 * it. Measuring v stops at the bound, so a huge value is refused before
 * it is built. A step that does not grow the document is always allowed. */
static enum st fit(struct ctx *c, const json_t *v, size_t n, size_t gone, size_t extra)
{
    struct json_size m = model_json_measure(v, c->b->bytes);
    size_t next = c->bytes - gone + extra + m.bytes;
    if (spend(c, m.bytes + gone) != ST_OK)
        return ST_UNPROCESSABLE;
    if (m.bytes > c->b->bytes || (next > c->b->bytes && next > c->bytes))
        return ERR(c->e, ST_UNPROCESSABLE, c->field, "the document would exceed %zu bytes",
                   c->b->bytes);
    if (n + (size_t)m.depth > (size_t)c->b->depth)
        return ERR(c->e, ST_UNPROCESSABLE, c->field, "the document would nest deeper than %d",
                   c->b->depth);
    c->bytes = next;
    return ST_OK;
}

/* A copy of v, or v itself when shared (a value just taken out). */
static json_t *placed(const json_t *v, bool share)
{
    return share ? json_incref((json_t *)v) : copy_of(v);
}

/* Puts v (borrowed; copied unless share) at p: object member added or
 * replaced, array element inserted ("-" appends), or the whole document
 * when p is "". */
static enum st add(struct ctx *c, const struct ptr *p, const json_t *v, bool share)
{
    if (p->n == 0) {
        enum st st = fit(c, v, 0, c->bytes, 0);
        if (st == ST_OK) {
            json_t *old = c->root; /* v may be inside it: copy first */
            c->root = placed(v, share);
            json_decref(old);
        }
        return st;
    }
    json_t *parent = locate(c->root, p, p->n - 1);
    const struct tok *last = &p->t[p->n - 1];
    json_t *old = json_is_object(parent) ? json_object_getn(parent, last->s, last->len) : NULL;
    size_t i = 0;
    bool append = json_is_array(parent) && tok_is(last, P_APPEND);
    bool insert =
        json_is_array(parent) && !append && index_parse(last, &i) && i <= json_array_size(parent);
    if (json_is_array(parent) && !append && !insert)
        return ERR(c->e, ST_UNPROCESSABLE, c->field, "\"%s\": array index out of range", p->name);
    if (!json_is_object(parent) && !json_is_array(parent))
        return ERR(c->e, ST_UNPROCESSABLE, c->field, "\"%s\": parent %s", p->name,
                   parent ? "is not a container" : "does not exist");
    enum st st =
        fit(c, v, p->n, old ? measure(old) : 0, old ? 0 : slot_size(parent, last, members(parent)));
    if (st != ST_OK)
        return st;
    if (json_is_object(parent))
        must(json_object_setn_new(parent, last->s, last->len, placed(v, share)));
    else if (append)
        must(json_array_append_new(parent, placed(v, share)));
    else
        must(json_array_insert_new(parent, i, placed(v, share)));
    return ST_OK;
}

/* Removes the value at p; *taken (when not NULL) receives a reference. */
static enum st take(struct ctx *c, const struct ptr *p, json_t **taken)
{
    if (p->n == 0)
        return ERR(c->e, ST_UNPROCESSABLE, c->field, "cannot remove the whole document");
    json_t *parent = locate(c->root, p, p->n - 1);
    const struct tok *last = &p->t[p->n - 1];
    json_t *v = child(parent, last);
    size_t i = 0;
    if (!v)
        return missing(c, p);
    size_t gone = measure(v);
    if (spend(c, gone) != ST_OK)
        return ST_UNPROCESSABLE;
    c->bytes -= gone + slot_size(parent, last, members(parent) - 1);
    if (taken)
        *taken = json_incref(v);
    if (json_is_object(parent))
        must(json_object_deln(parent, last->s, last->len));
    else if (index_parse(last, &i))
        must(json_array_remove(parent, i));
    return ST_OK;
}

static enum st op_add(struct ctx *c, const struct args *a)
{
    return add(c, a->path, a->value, false);
}

static enum st op_remove(struct ctx *c, const struct args *a)
{
    return take(c, a->path, NULL);
}

static enum st op_replace(struct ctx *c, const struct args *a)
{
    const struct ptr *p = a->path;
    if (p->n == 0)
        return add(c, p, a->value, false);
    json_t *parent = locate(c->root, p, p->n - 1);
    const struct tok *last = &p->t[p->n - 1];
    json_t *old = child(parent, last);
    size_t i = 0;
    if (!old)
        return missing(c, p);
    enum st st = fit(c, a->value, p->n, measure(old), 0);
    if (st != ST_OK)
        return st;
    if (json_is_object(parent))
        must(json_object_setn_new(parent, last->s, last->len, copy_of(a->value)));
    else if (index_parse(last, &i))
        must(json_array_set_new(parent, i, copy_of(a->value)));
    return ST_OK;
}

static enum st op_move(struct ctx *c, const struct args *a)
{
    json_t *v = NULL;
    if (ptr_starts(a->from, a->path) && a->from->n == a->path->n)
        return locate(c->root, a->from, a->from->n) ? ST_OK : missing(c, a->from);
    if (ptr_starts(a->from, a->path))
        return ERR(c->e, ST_UNPROCESSABLE, c->field, "cannot move a value into its own child");
    enum st st = take(c, a->from, &v);
    if (st == ST_OK)
        st = add(c, a->path, v, true);
    json_decref(v);
    return st;
}

static enum st op_copy(struct ctx *c, const struct args *a)
{
    json_t *v = locate(c->root, a->from, a->from->n);
    if (!v)
        return missing(c, a->from);
    return add(c, a->path, v, false);
}

static enum st op_test(struct ctx *c, const struct args *a)
{
    json_t *v = locate(c->root, a->path, a->path->n);
    if (!v)
        return missing(c, a->path);
    if (!same(v, a->value))
        return ERR(c->e, ST_CONFLICT, c->field, "test failed: values differ");
    return ST_OK;
}

static const struct op_def {
    const char *name;
    bool need_from;
    bool need_value;
    enum st (*run)(struct ctx *c, const struct args *a);
} op_defs[] = {
    {.name = "add", .need_value = true, .run = op_add},
    {.name = "remove", .run = op_remove},
    {.name = "replace", .need_value = true, .run = op_replace},
    {.name = P_MOVE, .need_from = true, .run = op_move},
    {.name = P_COPY, .need_from = true, .run = op_copy},
    {.name = P_TEST, .need_value = true, .run = op_test},
};

/* ---- the patch document ------------------------------------------------ */

static const struct op_def *op_find(const json_t *op)
{
    for (size_t i = 0; i < sizeof op_defs / sizeof op_defs[0]; i++)
        if (strlen(op_defs[i].name) == json_string_length(op) &&
            strcmp(op_defs[i].name, json_string_value(op)) == 0)
            return &op_defs[i];
    return NULL;
}

/* Reads the pointer member name of op into p. */
static enum st ptr_get(struct ctx *c, const json_t *op, const char *name, struct ptr *p)
{
    const json_t *v = json_object_get(op, name);
    p->name = name;
    if (!v)
        return ERR(c->e, ST_INVALID, c->field, "\"%s\" is required", name);
    if (!json_is_string(v))
        return ERR(c->e, ST_INVALID, c->field, "\"%s\" must be a string", name);
    if (!ptr_parse(json_string_value(v), json_string_length(v), p))
        return ERR(c->e, ST_INVALID, c->field, "\"%s\" is not a JSON Pointer", name);
    return ST_OK;
}

/* Checks one operation's members (unknown ones are ignored) and runs it. */
static enum st apply_one(struct ctx *c, const json_t *op)
{
    if (!json_is_object(op))
        return ERR(c->e, ST_INVALID, c->field, "an operation must be an object");
    const json_t *name = json_object_get(op, P_OP);
    if (!json_is_string(name))
        return ERR(c->e, ST_INVALID, c->field, "\"" P_OP "\" must be a string");
    const struct op_def *def = op_find(name);
    if (!def)
        return ERR(c->e, ST_INVALID, c->field, "unknown op \"%.40s\"", json_string_value(name));
    struct ptr path = {0}, from = {0};
    struct args a = {.path = &path, .from = &from, .value = json_object_get(op, P_VALUE)};
    enum st st = ptr_get(c, op, P_PATH, &path);
    if (st == ST_OK && def->need_from)
        st = ptr_get(c, op, P_FROM, &from);
    if (st == ST_OK && def->need_value && !a.value)
        st = ERR(c->e, ST_INVALID, c->field, "\"" P_VALUE "\" is required");
    if (st == ST_OK)
        st = def->run(c, &a);
    ptr_cleanup(&path);
    ptr_cleanup(&from);
    return st;
}

enum st model_patch_apply_within(const json_t *doc, const json_t *patch,
                                 const struct json_bounds *b, json_t **out, struct err *e)
{
    *out = NULL;
    if (!json_is_array(patch))
        return ERR(e, ST_INVALID, "", "a JSON Patch document must be an array");
    /* A NULL doc counts as the JSON null document. */
    struct ctx c = {.root = doc ? copy_of(doc) : json_null(), .b = b, .e = e};
    c.bytes = measure(c.root);
    enum st st = ST_OK;
    for (size_t i = 0; i < json_array_size(patch) && st == ST_OK; i++) {
        snprintf(c.field, sizeof c.field, "/%zu", i);
        st = apply_one(&c, json_array_get(patch, i));
    }
    if (st != ST_OK) {
        json_decref(c.root);
        return st;
    }
    *out = c.root;
    return ST_OK;
}

enum st model_patch_apply(const json_t *doc, const json_t *patch, json_t **out, struct err *e)
{
    return model_patch_apply_within(doc, patch, &MODEL_JSON_BOUNDS, out, e);
}

/* ---- JSON Merge Patch (RFC 7396, section 2) ---------------------------- */

json_t *model_patch_merge(const json_t *target, const json_t *patch)
{
    if (!patch)
        return json_null(); /* defensive: NULL counts as JSON null */
    if (!json_is_object(patch))
        return copy_of(patch);
    json_t *res = json_is_object(target) ? copy_of(target) : json_object();
    if (!res)
        must(-1);
    const char *key;
    size_t klen;
    json_t *v;
    json_object_keylen_foreach((json_t *)patch, key, klen, v)
    {
        if (json_is_null(v))
            json_object_deln(res, key, klen); /* absent is fine */
        else
            must(json_object_setn_new(res, key, klen,
                                      model_patch_merge(json_object_getn(res, key, klen), v)));
    }
    return res;
}

/* True when from names pointer, something inside it, or the whole document. */
static bool covers_pointer(const char *from, const char *pointer)
{
    size_t n = strlen(pointer);
    return !*from || (!strncmp(from, pointer, n) && (!from[n] || from[n] == '/'));
}

bool model_patch_reads(const json_t *patch, const char *pointer)
{
    size_t i;
    json_t *op;
    json_array_foreach(patch, i, op)
    {
        const char *name = json_string_value(json_object_get(op, P_OP));
        const char *from = NULL;
        if (name && (!strcmp(name, P_COPY) || !strcmp(name, P_MOVE)))
            from = json_string_value(json_object_get(op, P_FROM));
        else if (name && !strcmp(name, P_TEST))
            from = json_string_value(json_object_get(op, P_PATH));
        if (from && covers_pointer(from, pointer))
            return true;
    }
    return false;
}
