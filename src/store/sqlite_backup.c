/* SPDX-License-Identifier: MIT */
/*
 * Backup and restore of a SQLite database through SQLite's online backup
 * API: a copy of every page made in one read transaction of the source, so
 * one consistent snapshot however its server goes on writing (WAL readers
 * never wait for the writer, nor it for them). The key file is not in the
 * copy: the caller says so.
 */
#include "sqlite_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern const int sqlite_migrations_count;

#define BUSY_TRIES 200 /* a page copy the source or target refuses, tried again after 50 ms */

/* The path of a SQLite url; NULL (ST_NOT_IMPLEMENTED in e) for PostgreSQL. */
static const char *sqlite_path(const char *url, struct err *e)
{
    if (!strncmp(url, "postgres://", 11) || !strncmp(url, "postgresql://", 13)) {
        ERR(e, ST_NOT_IMPLEMENTED, NULL,
            "backup and restore are for SQLite; back PostgreSQL up with pg_dump and keep the key "
            "file with it (docs/DEPLOYMENT.md)");
        return NULL;
    }
    return strncmp(url, "sqlite:", 7) == 0 ? url + 7 : url;
}

/* Opens the existing database file at path (never creates one), with
 * SQLITE_OPEN_READWRITE (a live database, which a server may be writing)
 * or SQLITE_OPEN_READONLY (a backup, left as it is). */
static enum st open_existing(const char *path, int flags, sqlite3 **db, struct err *e)
{
    if (access(path, F_OK) != 0)
        return ERR(e, ST_NOT_FOUND, NULL, "no database %s", path);
    if (sqlite3_open_v2(path, db, flags, NULL) != SQLITE_OK)
        return ERR(e, ST_STORAGE, NULL, "cannot open %s: %s", path,
                   *db ? sqlite3_errmsg(*db) : "out of memory");
    sqlite3_busy_timeout(*db, 5000);
    return ST_OK;
}

/* One integer of a PRAGMA, or -1. */
static long pragma_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    long v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* The database of db is intact (quick_check) and a socialgate one that
 * this version can open (its schema version from 1 to ours). */
static enum st check(sqlite3 *db, const char *path, struct err *e)
{
    sqlite3_stmt *st = NULL;
    bool ok = sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL) == SQLITE_OK &&
              sqlite3_step(st) == SQLITE_ROW &&
              !strcmp((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    if (!ok)
        return ERR(e, ST_INVALID, NULL, "%s is not an intact SQLite database", path);
    long v = pragma_int(db, "PRAGMA user_version");
    if (v < 1 || v > sqlite_migrations_count)
        return ERR(e, ST_INVALID, NULL,
                   "%s is not a socialgate database this version can open (schema version %ld)",
                   path, v);
    return ST_OK;
}

/* Copies every page of src into dst in one step, so in one read
 * transaction of src; a busy source or target is tried again. */
static enum st copy_pages(sqlite3 *src, sqlite3 *dst, const char *to, struct err *e)
{
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
    if (!b)
        return ERR(e, ST_STORAGE, NULL, "cannot copy into %s: %s", to, sqlite3_errmsg(dst));
    int rc = SQLITE_BUSY;
    for (int i = 0; i < BUSY_TRIES && (rc == SQLITE_BUSY || rc == SQLITE_LOCKED); i++) {
        rc = sqlite3_backup_step(b, -1);
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
            sqlite3_sleep(50);
    }
    int fin = sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE || fin != SQLITE_OK)
        return ERR(e, ST_STORAGE, NULL, "copying into %s failed: %s", to, sqlite3_errmsg(dst));
    return ST_OK;
}

/* fsync of the file at path (O_DIRECTORY: a directory's entries). */
static enum st sync_path(const char *path, int flags, struct err *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | flags);
    int rc = fd < 0 ? -1 : fsync(fd);
    int err = errno;
    if (fd >= 0)
        close(fd);
    return rc == 0 ? ST_OK : ERR(e, ST_STORAGE, NULL, "cannot flush %s: %s", path, strerror(err));
}

/* The directory of path, into dir. */
static void dir_of(const char *path, char dir[PATH_MAX])
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, PATH_MAX, ".");
    else
        snprintf(dir, PATH_MAX, "%.*s", slash == path ? 1 : (int)(slash - path), path);
}

/* Backs src up into tmp (an empty file) and checks the copy. */
static enum st backup_into(sqlite3 *src, const char *tmp, struct err *e)
{
    sqlite3 *dst = NULL;
    enum st st = ST_OK;
    if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        st = ERR(e, ST_STORAGE, NULL, "cannot open %s: %s", tmp,
                 dst ? sqlite3_errmsg(dst) : "out of memory");
    if (st == ST_OK)
        st = copy_pages(src, dst, tmp, e);
    /* a file of its own: the copy keeps the source's WAL mode otherwise,
     * and would need a -wal and -shm beside it even to be read */
    if (st == ST_OK &&
        sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) != SQLITE_OK)
        st = ERR(e, ST_STORAGE, NULL, "cannot leave WAL mode in %s: %s", tmp, sqlite3_errmsg(dst));
    if (st == ST_OK)
        st = check(dst, tmp, e);
    if (sqlite3_close(dst) != SQLITE_OK && st == ST_OK)
        st = ERR(e, ST_STORAGE, NULL, "cannot close %s", tmp);
    return st;
}

enum st store_backup(const char *url, const char *to, struct err *e)
{
    const char *path = sqlite_path(url, e);
    if (!path)
        return ST_NOT_IMPLEMENTED;
    if (access(to, F_OK) == 0)
        return ERR(e, ST_CONFLICT, NULL, "%s exists: back up into a new file", to);
    sqlite3 *src = NULL;
    enum st st = open_existing(path, SQLITE_OPEN_READWRITE, &src, e);
    if (st == ST_OK)
        st = check(src, path, e);
    char tmp[PATH_MAX];
    int fd = -1;
    if (st == ST_OK && (size_t)snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", to) >= sizeof tmp)
        st = ERR(e, ST_INVALID, NULL, "path %s is too long", to);
    if (st == ST_OK && (fd = mkostemp(tmp, O_CLOEXEC)) < 0)
        st = ERR(e, ST_STORAGE, NULL, "cannot create %s: %s", tmp, strerror(errno));
    if (fd >= 0)
        close(fd);
    if (st == ST_OK)
        st = backup_into(src, tmp, e);
    sqlite3_close(src);
    if (st == ST_OK)
        st = sync_path(tmp, 0, e);
    /* never over a file that appeared meanwhile */
    if (st == ST_OK && renameat2(AT_FDCWD, tmp, AT_FDCWD, to, RENAME_NOREPLACE) != 0)
        st = ERR(e, errno == EEXIST ? ST_CONFLICT : ST_STORAGE, NULL, "cannot rename %s to %s: %s",
                 tmp, to, strerror(errno));
    if (st != ST_OK && fd >= 0)
        unlink(tmp);
    char dir[PATH_MAX];
    dir_of(to, dir);
    if (st == ST_OK)
        st = sync_path(dir, O_DIRECTORY, e);
    return st;
}

enum st store_restore(const char *from, const char *url, struct err *e)
{
    const char *path = sqlite_path(url, e);
    if (!path)
        return ST_NOT_IMPLEMENTED;
    int lock = -1;
    sqlite3 *src = NULL, *dst = NULL;
    enum st st = open_existing(from, SQLITE_OPEN_READONLY, &src, e);
    if (st == ST_OK)
        st = check(src, from, e);
    if (st == ST_OK) /* no server may write to it meanwhile, nor serve the old pages after */
        st = sq_serve_lock(path, &lock, e);
    if (st == ST_OK &&
        sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
        st = ERR(e, ST_STORAGE, NULL, "cannot open %s: %s", path,
                 dst ? sqlite3_errmsg(dst) : "out of memory");
    if (st == ST_OK) {
        sqlite3_busy_timeout(dst, 5000);
        st = copy_pages(src, dst, path, e); /* one write transaction of dst */
    }
    if (st == ST_OK)
        st = check(dst, path, e);
    sqlite3_close(dst);
    sqlite3_close(src);
    if (lock >= 0)
        close(lock);
    return st;
}
