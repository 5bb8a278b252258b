/* SPDX-License-Identifier: MIT */
/*
 * One-line logging to stderr with UTC time and level. Lines are appended
 * whole to one buffer under a lock, so threads never interleave; the
 * buffer is written when a warning or error arrives, when it fills, and by
 * log_flush. Knows nothing of requests: the request line is http/'s.
 */
#include "util.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#define LOG_BUFFER (64 * 1024)

static enum log_level min_level = LOG_INFO;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char buffer[LOG_BUFFER];
static size_t used;

static void flush_locked(void)
{
    size_t off = 0;
    while (off < used) {
        ssize_t w = write(STDERR_FILENO, buffer + off, used - off);
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

void log_set_level(enum log_level lvl)
{
    min_level = lvl;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    if (lvl < min_level)
        return;
    char line[1024];
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     (long)tv.tv_usec / 1000, names[lvl]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    line[len++] = '\n';
    pthread_mutex_lock(&mu);
    if (used + len > sizeof buffer)
        flush_locked();
    memcpy(buffer + used, line, len);
    used += len;
    if (lvl >= LOG_WARN)
        flush_locked();
    pthread_mutex_unlock(&mu);
}
