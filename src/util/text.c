/* SPDX-License-Identifier: MIT */
/*
 * Randomness, identifiers, Base64 codecs, time and small string helpers.
 * Base64 is libsodium's; nothing here allocates.
 */
#include "util.h"

#include <ctype.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

enum st util_init(void)
{
    json_set_alloc_funcs(xmalloc, free); /* out of memory aborts in jansson too */
    return sodium_init() < 0 ? ST_INTERNAL : ST_OK;
}

void util_b64url_encode(char *out, const void *in, size_t n)
{
    sodium_bin2base64(out, sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                      in, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

bool util_b64url_decode(void *out, size_t outlen, const char *in, size_t inlen)
{
    size_t got = 0;
    const char *end = NULL;
    if (sodium_base642bin(out, outlen, in, inlen, NULL, &got, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return false;
    return got == outlen && end == in + inlen;
}

long util_b64_decode(unsigned char *out, size_t outcap, const char *in, size_t inlen)
{
    size_t got = 0;
    const char *end = NULL;
    if (sodium_base642bin(out, outcap, in, inlen, NULL, &got, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != in + inlen)
        return -1;
    return (long)got;
}

void util_random_b64url(char *out, size_t nbytes)
{
    unsigned char buf[64];
    if (nbytes > sizeof buf)
        nbytes = sizeof buf;
    randombytes_buf(buf, nbytes);
    util_b64url_encode(out, buf, nbytes);
    sodium_memzero(buf, sizeof buf);
}

void util_uuid_v4(char out[37])
{
    unsigned char b[16];
    util_random_fast(b, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    static const char hex[] = "0123456789abcdef";
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hex[b[i] >> 4];
        *p++ = hex[b[i] & 15];
    }
    *p = '\0';
}

bool util_uuid_valid(const char *s)
{
    if (!s || strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
        } else if (!isxdigit((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

void util_random_lower(char *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (char)('a' + randombytes_uniform(26));
    out[n] = '\0';
}

struct fast_rng {
    unsigned char key[crypto_stream_chacha20_KEYBYTES];
    uint64_t counter; /* the nonce: never repeats under one key */
    bool keyed;
};

static _Thread_local struct fast_rng rng;

void util_random_fast(void *out, size_t n)
{
    if (!rng.keyed) {
        randombytes_buf(rng.key, sizeof rng.key);
        rng.keyed = true;
    }
    unsigned char nonce[crypto_stream_chacha20_NONCEBYTES];
    memcpy(nonce, &rng.counter, sizeof nonce);
    rng.counter++;
    crypto_stream_chacha20(out, n, nonce, rng.key);
}

void util_random_secret_hex(char *out, size_t nbytes)
{
    unsigned char buf[64];
    if (nbytes > sizeof buf)
        nbytes = sizeof buf;
    randombytes_buf(buf, nbytes);
    sodium_bin2hex(out, nbytes * 2 + 1, buf, nbytes);
    sodium_memzero(buf, sizeof buf);
}

void util_random_hex(char *out, size_t nbytes)
{
    unsigned char buf[64];
    if (nbytes > sizeof buf)
        nbytes = sizeof buf;
    util_random_fast(buf, nbytes);
    sodium_bin2hex(out, nbytes * 2 + 1, buf, nbytes);
}

void util_sha256_hex(const void *in, size_t n, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, in, n);
    sodium_bin2hex(out, 65, h, sizeof h);
}

void util_rfc3339_ns(char out[RFC3339_NS_LEN + 1])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    char buf[64]; /* roomier than needed, so no field can be cut */
    snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", (tm.tm_year + 1900) % 10000,
             (tm.tm_mon + 1) % 100, tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100,
             tm.tm_sec % 100, ts.tv_nsec % 1000000000L);
    memcpy(out, buf, RFC3339_NS_LEN);
    out[RFC3339_NS_LEN] = '\0';
}

int64_t util_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}

int64_t util_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

bool util_strncaseeq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
            return false;
    return true;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *util_pct_encode(struct arena *a, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = arena_alloc(a, 3 * strlen(s) + 1), *o = out;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    return out;
}

bool util_media_is(const char *content_type, const char *type)
{
    if (!content_type)
        return false;
    const char *s = content_type;
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strcspn(s, ";");
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return n == strlen(type) && util_strncaseeq(s, type, n);
}

long util_pct_decode(char *out, const char *s, size_t n, bool plus_is_space)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
            int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return -1;
            out[o++] = (char)(hi << 4 | lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out[o++] = ' ';
        } else {
            out[o++] = c;
        }
    }
    out[o] = '\0';
    return (long)o;
}

static bool is_ctl(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

long util_path_decode(char *out, const char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_ctl(c) || c == ' ')
            return -1;
        if (c != '%') {
            out[o++] = (char)c;
            continue;
        }
        int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
        int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
        if (hi < 0 || lo < 0)
            return -1;
        c = (unsigned char)(hi << 4 | lo);
        i += 2;
        if (is_ctl(c))
            return -1;
        if (c == '/' || c == '%') {
            memcpy(out + o, c == '/' ? "%2F" : "%25", 3);
            o += 3;
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
    return (long)o;
}

bool util_json_depth_within(const char *s, size_t n, int max)
{
    int depth = 0;
    bool in_str = false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (in_str) {
            if (ch == '\\')
                i++;
            else if (ch == '"')
                in_str = false;
        } else if (ch == '"') {
            in_str = true;
        } else if (ch == '{' || ch == '[') {
            if (++depth > max)
                return false;
        } else if (ch == '}' || ch == ']') {
            depth--;
        }
    }
    return true;
}
