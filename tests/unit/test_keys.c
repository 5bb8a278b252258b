/* SPDX-License-Identifier: MIT */
/*
 * The key file: created private, refused when group or others may use it
 * (every such mode bit) unless allowed, and its check value, which names a
 * key without revealing it: the same for one file loaded twice, different
 * for another key, and none of the derived keys.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"

static char dir[64];
static char path_a[96], path_b[96];

static void setup(void)
{
    cr_assert_eq(util_init(), ST_OK);
    snprintf(dir, sizeof dir, "/tmp/sg-keys-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path_a, sizeof path_a, "%s/a.key", dir);
    snprintf(path_b, sizeof path_b, "%s/b.key", dir);
}

static void teardown(void)
{
    unlink(path_a);
    unlink(path_b);
    rmdir(dir);
}

TestSuite(keys, .init = setup, .fini = teardown);

static void load(struct keys *k, const char *path, unsigned flags, enum st want)
{
    struct err e = {0};
    memset(k, 0, sizeof *k);
    cr_assert_eq(keys_load(k, path, flags, &e), want, "%s: %s", path, e.msg);
}

Test(keys, created_file_is_0600_and_loads_again)
{
    struct keys k1, k2;
    load(&k1, path_a, KEYS_CREATE, ST_OK);
    struct stat sb;
    cr_assert_eq(stat(path_a, &sb), 0);
    cr_assert_eq(sb.st_mode & 07777, 0600);
    load(&k2, path_a, 0, ST_OK);
    cr_assert_eq(memcmp(&k1, &k2, sizeof k1), 0);
}

Test(keys, every_group_or_other_bit_is_refused_unless_allowed)
{
    struct keys k;
    load(&k, path_a, KEYS_CREATE, ST_OK);
    for (unsigned bit = 1; bit < 0100; bit <<= 1) {
        cr_assert_eq(chmod(path_a, 0600 | bit), 0);
        struct err e = {0};
        cr_assert_eq(keys_load(&k, path_a, 0, &e), ST_FORBIDDEN, "mode %o", 0600 | bit);
        cr_assert(strstr(e.msg, path_a) && strstr(e.msg, "chmod 600"), "%s", e.msg);
        load(&k, path_a, KEYS_ALLOW_OPEN, ST_OK);
    }
    for (unsigned mode = 0400; mode <= 0700; mode += 0100) {
        cr_assert_eq(chmod(path_a, mode | 0400), 0);
        load(&k, path_a, 0, ST_OK);
    }
}

Test(keys, check_value_names_the_key_and_is_no_derived_key)
{
    struct keys a1, a2, b;
    load(&a1, path_a, KEYS_CREATE, ST_OK);
    load(&a2, path_a, 0, ST_OK);
    load(&b, path_b, KEYS_CREATE, ST_OK);
    static const unsigned char zero[KEYS_LEN];
    cr_assert_neq(memcmp(a1.check, zero, KEYS_LEN), 0);
    cr_assert_eq(memcmp(a1.check, a2.check, KEYS_LEN), 0);
    cr_assert_neq(memcmp(a1.check, b.check, KEYS_LEN), 0);
    cr_assert_neq(memcmp(a1.check, a1.seal, KEYS_LEN), 0);
    cr_assert_neq(memcmp(a1.check, a1.verify, KEYS_LEN), 0);
    cr_assert_neq(memcmp(a1.check, a1.token, KEYS_LEN), 0);
}
