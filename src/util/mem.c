/* SPDX-License-Identifier: MIT */
/*
 * Allocation that aborts on exhaustion, and the per-request arena (a list
 * of blocks freed together). No free of single arena allocations.
 */
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(void)
{
    fputs("socialgate: out of memory\n", stderr);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom();
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom();
    return p;
}

void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        oom();
    return p;
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc(n), s, n);
}

#define ARENA_BLOCK 4096

struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

void arena_init(struct arena *a)
{
    a->head = NULL;
}

void *arena_alloc(struct arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    struct arena_block *b = a->head;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        b = xmalloc(sizeof *b + cap);
        b->used = 0;
        b->cap = cap;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        oom();
    if ((size_t)n < sizeof small)
        return arena_strndup(a, small, (size_t)n);
    char *p = arena_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void arena_cleanup(struct arena *a)
{
    struct arena_block *b = a->head;
    while (b) {
        struct arena_block *next = b->next;
        secret_wipe(b->data, b->used); /* requests carry secrets: leave none behind */
        free(b);
        b = next;
    }
    a->head = NULL;
}

void buf_init(struct buf *b, struct arena *a)
{
    b->a = a;
    b->len = 0;
    b->cap = 1024;
    b->max = BUF_MAX_DEFAULT;
    b->overflow = false;
    b->p = arena_alloc(a, b->cap);
}

void buf_add(struct buf *b, const char *s, size_t n)
{
    if (b->overflow || n > b->max || b->len > b->max - n) {
        b->overflow = true;
        return;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap * 2;
        while (b->len + n + 1 > cap)
            cap *= 2;
        if (cap > b->max + 1)
            cap = b->max + 1;
        char *p = arena_alloc(b->a, cap);
        memcpy(p, b->p, b->len);
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void buf_puts(struct buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

/* The escape of byte ch, as jansson writes it. */
static size_t escape(unsigned char ch, char esc[6])
{
    static const char hex[] = "0123456789ABCDEF";
    static const char named[] = "btnvfr"; /* \b \t \n (\v) \f \r: 0x08 to 0x0d */
    esc[0] = '\\';
    if (ch == '"' || ch == '\\' || (ch >= '\b' && ch <= '\r' && ch != '\v')) {
        esc[1] = ch == '"' || ch == '\\' ? (char)ch : named[ch - '\b'];
        return 2;
    }
    memcpy(esc + 1, "u00", 3);
    esc[4] = hex[ch >> 4];
    esc[5] = hex[ch & 15];
    return 6;
}

void buf_json_string(struct buf *b, const char *s, size_t n)
{
    buf_add(b, "\"", 1);
    size_t run = 0; /* bytes that need no escape, copied in one go */
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        buf_add(b, s + run, i - run);
        char esc[6];
        buf_add(b, esc, escape(ch, esc));
        run = i + 1;
    }
    buf_add(b, s + run, n - run);
    buf_add(b, "\"", 1);
}
