/* SPDX-License-Identifier: MIT */
/*
 * One-line logging to stderr, or to a log file, with UTC time and level.
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

static enum log_level min_level = LOG_INFO;
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
