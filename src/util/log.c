/* SPDX-License-Identifier: MIT */
/*
 * One-line logging to stderr, or to a log file, with UTC time and level:
 * as text, or as one JSON object a line (--log-format json).
 * Lines are appended whole to one buffer under a lock, so threads never
 * interleave; the buffer is written when a warning or error arrives, when
 * it fills, by log_flush, and before the file is reopened. Knows nothing
 * of requests (the request line is http/'s) nor of signals (app/'s).
 */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#define LOG_BUFFER (64 * 1024)
#define LOG_MSG 1024  /* a message's bytes, before escaping: the rest is cut */
#define LOG_LINE 4096 /* a whole line, escaped: a JSON line is cut, still closed, at this */

static enum log_level min_level = LOG_INFO;
static enum log_format format = LOG_TEXT;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char buffer[LOG_BUFFER];
static size_t used;
static int out = STDERR_FILENO; /* or the log file's descriptor */

static void flush_locked(void)
{
    size_t off = 0;
    while (off < used) {
        ssize_t w = write(out, buffer + off, used - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break; /* nowhere to report it: drop the lines */
        off += (size_t)w;
    }
    used = 0;
}

void log_flush(void)
{
    pthread_mutex_lock(&mu);
    flush_locked();
    pthread_mutex_unlock(&mu);
}

enum st log_file_open(const char *path, struct err *e)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
    if (fd < 0)
        return ERR(e, ST_INVALID, "log-file", "cannot open log file %s: %s", path, strerror(errno));
    pthread_mutex_lock(&mu);
    flush_locked(); /* what was written before goes to the old file */
    if (out != STDERR_FILENO)
        close(out);
    out = fd;
    pthread_mutex_unlock(&mu);
    return ST_OK;
}

void log_set_level(enum log_level lvl)
{
    min_level = lvl;
}

void log_set_format(enum log_format f)
{
    format = f;
}

/* A line being built: appends stop, leaving room for the closing bytes,
 * once the line is full, so a cut JSON line still parses. */
struct line {
    char p[LOG_LINE];
    size_t len;
};

#define CLOSING 4                  /* "}\n at most */
#define FIELDS_ROOM (LOG_LINE / 2) /* where the message's text stops, for the fields */

static void put(struct line *l, const char *s, size_t n)
{
    if (l->len + n + CLOSING > sizeof l->p)
        n = sizeof l->p - CLOSING - l->len;
    memcpy(l->p + l->len, s, n);
    l->len += n;
}

/* A JSON string: quotes, backslashes and every byte outside printable
 * ASCII escaped (bytes above 0x7f as \u00XX: a log line need not be valid
 * UTF-8, a JSON line must). Cut, but still closed, where the line would
 * pass stop (room is left there for the string's closing quote). */
static void put_json_str(struct line *l, const char *s, size_t stop)
{
    l->p[l->len++] = '"'; /* callers leave room: stop < LOG_LINE - CLOSING - 1 */
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        char esc[8];
        int n = 1;
        if (ch == '"' || ch == '\\')
            n = snprintf(esc, sizeof esc, "\\%c", ch);
        else if (ch < 0x20 || ch >= 0x7f)
            n = snprintf(esc, sizeof esc, "\\u%04x", ch);
        else
            esc[0] = (char)ch;
        if (l->len + (size_t)n > stop)
            break;
        put(l, esc, (size_t)n);
    }
    l->p[l->len++] = '"'; /* stop left room for it */
}

static void put_time(struct line *l, const char *level)
{
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    char t[64];
    int n = snprintf(t, sizeof t, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     (long)tv.tv_usec / 1000);
    if (format == LOG_TEXT) {
        put(l, t, (size_t)n);
        put(l, " ", 1);
        put(l, level, strlen(level));
        put(l, " ", 1);
        return;
    }
    put(l, "{\"time\":\"", 9);
    put(l, t, (size_t)n);
    put(l, "\",\"level\":\"", 11);
    put(l, level, strlen(level));
    put(l, "\",\"msg\":", 8);
}

/* The fields as members; those that no longer fit whole are left out. */
static void put_fields(struct line *l, const struct log_field *f, int n)
{
    for (int i = 0; i < n; i++) {
        char num[32];
        size_t head = strlen(f[i].key) + 8; /* ,"key": and the opening quote */
        if (l->len + head + sizeof num + CLOSING + 1 > sizeof l->p)
            return;
        put(l, ",\"", 2);
        put(l, f[i].key, strlen(f[i].key));
        put(l, "\":", 2);
        if (f[i].str) {
            put_json_str(l, f[i].str, sizeof l->p - CLOSING - 1);
        } else {
            int k = snprintf(num, sizeof num, "%lld", f[i].num);
            put(l, num, (size_t)k);
        }
    }
}

static void append(const struct line *l, enum log_level lvl)
{
    pthread_mutex_lock(&mu);
    if (used + l->len > sizeof buffer)
        flush_locked();
    memcpy(buffer + used, l->p, l->len);
    used += l->len;
    if (lvl >= LOG_WARN)
        flush_locked();
    pthread_mutex_unlock(&mu);
}

static void emit(enum log_level lvl, const struct log_field *f, int n, const char *fmt, va_list ap)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    char msg[LOG_MSG];
    if (vsnprintf(msg, sizeof msg, fmt, ap) < 0)
        msg[0] = '\0';
    struct line l; /* not zeroed: 4 KiB per line */
    l.len = 0;
    put_time(&l, names[lvl]);
    if (format == LOG_TEXT) {
        put(&l, msg, strlen(msg));
    } else {
        put_json_str(&l, msg, FIELDS_ROOM); /* the fields get the rest */
        put_fields(&l, f, n);
        l.p[l.len++] = '}';
    }
    l.p[l.len++] = '\n';
    append(&l, lvl);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
    if (lvl < min_level)
        return;
    va_list ap;
    va_start(ap, fmt);
    emit(lvl, NULL, 0, fmt, ap);
    va_end(ap);
}

void log_fields(enum log_level lvl, const struct log_field *f, int n, const char *fmt, ...)
{
    if (lvl < min_level)
        return;
    va_list ap;
    va_start(ap, fmt);
    emit(lvl, f, n, fmt, ap);
    va_end(ap);
}
