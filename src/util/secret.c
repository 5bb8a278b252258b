/* SPDX-License-Identifier: MIT */
/*
 * Secrets and key material: the key file, sub-key derivation, sealing of
 * secrets at rest, keyed verifiers and constant-time comparison, all from
 * libsodium. Does not decide what is secret: callers do.
 */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEYFILE_MAGIC "socialgate-key-v1 "
#define MASTER_HEX (crypto_kdf_KEYBYTES * 2)
#define KEYS_CHECK_CONTEXT "socialgate key check v1"

void secret_cleanup(struct secret *s)
{
    if (s)
        sodium_memzero(s, sizeof *s);
}

void secret_wipe(void *p, size_t n)
{
    sodium_memzero(p, n);
}

bool secret_equal(const void *a, const void *b, size_t n)
{
    return sodium_memcmp(a, b, n) == 0;
}

static enum st keyfile_create(const char *path, unsigned char *master, struct err *e)
{
    crypto_kdf_keygen(master);
    char line[sizeof KEYFILE_MAGIC + MASTER_HEX + 2];
    memcpy(line, KEYFILE_MAGIC, sizeof KEYFILE_MAGIC - 1);
    sodium_bin2hex(line + sizeof KEYFILE_MAGIC - 1, MASTER_HEX + 1, master, crypto_kdf_KEYBYTES);
    size_t len = strlen(line);
    line[len++] = '\n';
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return ERR(e, ST_STORAGE, NULL, "cannot create key file %s: %s", path, strerror(errno));
    bool ok = write(fd, line, len) == (ssize_t)len && fsync(fd) == 0;
    close(fd);
    sodium_memzero(line, sizeof line);
    if (!ok) {
        unlink(path);
        return ERR(e, ST_STORAGE, NULL, "cannot write key file %s", path);
    }
    return ST_OK;
}

static enum st keyfile_read(const char *path, unsigned flags, unsigned char *master, struct err *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ERR(e, errno == ENOENT ? ST_NOT_FOUND : ST_STORAGE, NULL,
                   "cannot open key file %s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        close(fd);
        return ERR(e, ST_STORAGE, NULL, "cannot stat key file %s: %s", path, strerror(errno));
    }
    unsigned mode = (unsigned)sb.st_mode & 07777;
    if ((mode & 077) && !(flags & KEYS_ALLOW_OPEN)) {
        close(fd);
        return ERR(e, ST_FORBIDDEN, NULL,
                   "key file %s is open to group or others (mode %04o): chmod 600 %s", path, mode,
                   path);
    }
    if (mode & 077)
        log_msg(LOG_WARN, "key file %s is open to group or others (mode %04o); chmod 600 it", path,
                mode);
    char line[128] = {0};
    ssize_t n = read(fd, line, sizeof line - 1);
    close(fd);
    size_t magic = sizeof KEYFILE_MAGIC - 1;
    enum st st = ST_OK;
    if (n < (ssize_t)(magic + MASTER_HEX) || memcmp(line, KEYFILE_MAGIC, magic) != 0 ||
        sodium_hex2bin(master, crypto_kdf_KEYBYTES, line + magic, MASTER_HEX, NULL, NULL, NULL) !=
            0)
        st = ERR(e, ST_INVALID, NULL, "key file %s is not a socialgate key file", path);
    sodium_memzero(line, sizeof line);
    return st;
}

enum st keys_load(struct keys *k, const char *path, unsigned flags, struct err *e)
{
    unsigned char master[crypto_kdf_KEYBYTES];
    struct err tmp = {0};
    enum st st = keyfile_read(path, flags, master, &tmp);
    if (st == ST_NOT_FOUND && (flags & KEYS_CREATE))
        st = keyfile_create(path, master, e);
    else if (st != ST_OK)
        ERR(e, st, NULL, "%s", tmp.msg);
    if (st != ST_OK)
        return st;
    crypto_kdf_derive_from_key(k->seal, sizeof k->seal, 1, "sg-seal_", master);
    crypto_kdf_derive_from_key(k->verify, sizeof k->verify, 2, "sg-verif", master);
    crypto_kdf_derive_from_key(k->token, sizeof k->token, 3, "sg-token", master);
    unsigned char sub[KEYS_LEN];
    crypto_kdf_derive_from_key(sub, sizeof sub, 4, "sg-check", master);
    crypto_generichash(k->check, sizeof k->check, (const unsigned char *)KEYS_CHECK_CONTEXT,
                       sizeof KEYS_CHECK_CONTEXT - 1, sub, sizeof sub);
    sodium_memzero(sub, sizeof sub);
    sodium_memzero(master, sizeof master);
    return ST_OK;
}

void keys_cleanup(struct keys *k)
{
    if (k)
        sodium_memzero(k, sizeof *k);
}

void keys_seal(const struct keys *k, const void *plain, size_t n, unsigned char **out,
               size_t *outlen)
{
    size_t len = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + n;
    unsigned char *p = xmalloc(len);
    util_random_fast(p, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(p + crypto_secretbox_NONCEBYTES, plain, n, p, k->seal);
    *out = p;
    *outlen = len;
}

enum st keys_unseal(const struct keys *k, const void *blob, size_t n, struct secret *s)
{
    const unsigned char *b = blob;
    size_t over = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES;
    if (n < over || n - over > sizeof s->b)
        return ST_INTERNAL;
    if (crypto_secretbox_open_easy(s->b, b + crypto_secretbox_NONCEBYTES,
                                   n - crypto_secretbox_NONCEBYTES, b, k->seal) != 0)
        return ST_INTERNAL;
    s->len = n - over;
    return ST_OK;
}

enum st keys_unseal_text(const struct keys *k, const void *blob, size_t n, struct arena *a,
                         char **out, size_t *len)
{
    const unsigned char *b = blob;
    size_t over = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES;
    if (n < over)
        return ST_INTERNAL;
    char *p = arena_alloc(a, n - over + 1);
    if (crypto_secretbox_open_easy((unsigned char *)p, b + crypto_secretbox_NONCEBYTES,
                                   n - crypto_secretbox_NONCEBYTES, b, k->seal) != 0)
        return ST_INTERNAL;
    p[n - over] = '\0';
    *out = p;
    *len = n - over;
    return ST_OK;
}

void keys_verifier(const struct keys *k, const void *secret, size_t n, unsigned char out[32])
{
    crypto_generichash(out, 32, secret, n, k->verify, sizeof k->verify);
}
