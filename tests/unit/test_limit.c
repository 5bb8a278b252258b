/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of util/limit.c, the failure counter, on a fake clock: a pair
 * that reached its limit stays locked for its whole window whatever other
 * keys do (a spray of more keys than the table has slots, or a table whose
 * every slot is locked), and windows end on time.
 */
#include <criterion/criterion.h>
#include <stdio.h>

#include "util/util.h"

#define MAX 20
#define WINDOW 60
#define T0 1000000  /* a fake clock's start, in seconds */
#define SPRAY 40000 /* more distinct keys than the table's 16,384 slots */

static void fail_n(struct limiter *l, const char *key, int n, int64_t now)
{
    for (int i = 0; i < n; i++)
        limiter_fail(l, key, now);
}

Test(limit, locks_after_max_failures_until_the_window_ends)
{
    struct limiter *l = limiter_new(MAX, WINDOW);
    fail_n(l, "victim", MAX - 1, T0);
    cr_expect_eq(limiter_retry_after(l, "victim", T0), 0);
    limiter_fail(l, "victim", T0);
    cr_expect_eq(limiter_retry_after(l, "victim", T0), WINDOW);
    cr_expect_eq(limiter_retry_after(l, "victim", T0 + WINDOW - 1), 1);
    cr_expect_eq(limiter_retry_after(l, "victim", T0 + WINDOW), 0);
    cr_expect_eq(limiter_retry_after(l, "another", T0), 0);
    limiter_free(l);
}

Test(limit, a_spray_of_more_keys_than_slots_does_not_unlock_a_locked_pair)
{
    struct limiter *l = limiter_new(MAX, WINDOW);
    fail_n(l, "customer\nvictim\n192.0.2.1", MAX, T0);
    char key[64];
    for (int i = 0; i < SPRAY; i++) {
        snprintf(key, sizeof key, "customer\nspray-%d\n192.0.2.1", i);
        int64_t now = T0 + i / 1000; /* 40 s of spraying, inside the window */
        limiter_fail(l, key, now);
        limiter_retry_after(l, key, now);
    }
    cr_expect_gt(limiter_retry_after(l, "customer\nvictim\n192.0.2.1", T0 + 40), 0,
                 "the locked pair was freed by other keys");
    limiter_free(l);
}

Test(limit, repeated_sprays_do_not_unlock_a_locked_pair)
{
    struct limiter *l = limiter_new(MAX, WINDOW);
    fail_n(l, "victim", MAX, T0);
    char key[32];
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < SPRAY; i++) {
            snprintf(key, sizeof key, "r%d-%d", round, i);
            fail_n(l, key, 2, T0 + 10 * round);
        }
    cr_expect_gt(limiter_retry_after(l, "victim", T0 + 30), 0);
    limiter_free(l);
}

/* Every slot locked: no pair is freed, and a new key is refused (fails
 * closed) rather than given an uncounted try. */
Test(limit, a_full_table_of_locked_pairs_fails_closed)
{
    struct limiter *l = limiter_new(2, WINDOW);
    char key[32];
    for (int i = 0; i < SPRAY; i++) {
        snprintf(key, sizeof key, "locked-%d", i);
        fail_n(l, key, 2, T0);
    }
    int locked = 0;
    for (int i = 0; i < SPRAY; i++) {
        snprintf(key, sizeof key, "locked-%d", i);
        locked += limiter_retry_after(l, key, T0 + 1) > 0;
    }
    /* the first pairs of every bucket stay locked; those that found no slot
     * are refused with the rest of their bucket */
    cr_expect_eq(locked, SPRAY, "%d of %d pairs locked", locked, SPRAY);
    cr_expect_gt(limiter_retry_after(l, "never-seen", T0 + 1), 0);
    /* and the window ends for everyone */
    cr_expect_eq(limiter_retry_after(l, "locked-0", T0 + WINDOW + 1), 0);
    cr_expect_eq(limiter_retry_after(l, "never-seen", T0 + WINDOW + 1), 0);
    limiter_free(l);
}

Test(limit, looking_up_a_key_counts_nothing)
{
    struct limiter *l = limiter_new(MAX, WINDOW);
    fail_n(l, "victim", MAX, T0);
    char key[32];
    for (int i = 0; i < SPRAY; i++) {
        snprintf(key, sizeof key, "look-%d", i);
        cr_assert_eq(limiter_retry_after(l, key, T0), 0);
    }
    cr_expect_gt(limiter_retry_after(l, "victim", T0), 0);
    limiter_free(l);
}
