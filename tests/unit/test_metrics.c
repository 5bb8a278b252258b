/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of util/metrics.c, the registry and its text format: a
 * request lands in its route's slot and bucket (cumulative, as Prometheus
 * reads them), a route number the table does not have counts as "no
 * route", a check outside the named ones is "other", and label values are
 * escaped. The registry is the process's: each test counts moves, not
 * absolute values.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

static const struct metrics_route routes[] = {
    {"GET", "/healthz"},
    {"POST", "/{c}/login/token"},
    {"GET", "/odd\"\\\npattern"},
};
static const char *const checks[] = {"nonce", "id_token signature"};

static void setup(void)
{
    metrics_routes_set(routes, 3);
    metrics_checks_set(checks, 2);
}

/* The whole exposition, malloc'd. */
static char *render(void)
{
    struct arena a;
    arena_init(&a);
    struct buf b;
    buf_init(&b, &a);
    struct metrics_gauges g = {.open_connections = 3, .requests_in_flight = 1};
    metrics_render(&b, &g);
    cr_assert(!b.overflow);
    char *out = strndup(b.p, b.len);
    arena_cleanup(&a);
    return out;
}

/* The value of the sample line that begins with prefix (name and labels
 * up to the space), or -1 when there is none. */
static double value(const char *text, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (!strncmp(l, prefix, n) && l[n] == ' ')
            return strtod(l + n + 1, NULL);
    return -1;
}

#define TOKEN_LABELS "method=\"POST\",route=\"/{c}/login/token\""

Test(metrics, a_request_counts_in_its_route_class_and_bucket, .init = setup)
{
    char *t0 = render();
    metrics_request(2, 200, 120); /* 120 µs: bucket le=0.000250 */
    metrics_request(2, 401, 30);
    char *t1 = render();
    const char *ok = "socialgate_http_requests_total{" TOKEN_LABELS ",code=\"2xx\"}";
    const char *bad = "socialgate_http_requests_total{" TOKEN_LABELS ",code=\"4xx\"}";
    cr_expect_eq(value(t1, ok) - value(t0, ok), 1);
    cr_expect_eq(value(t1, bad) - value(t0, bad), 1);
    const char *b50 =
        "socialgate_http_request_duration_seconds_bucket{" TOKEN_LABELS ",le=\"0.000050\"}";
    const char *b100 =
        "socialgate_http_request_duration_seconds_bucket{" TOKEN_LABELS ",le=\"0.000100\"}";
    const char *b250 =
        "socialgate_http_request_duration_seconds_bucket{" TOKEN_LABELS ",le=\"0.000250\"}";
    const char *inf =
        "socialgate_http_request_duration_seconds_bucket{" TOKEN_LABELS ",le=\"+Inf\"}";
    cr_expect_eq(value(t1, b50) - value(t0, b50), 1);
    cr_expect_eq(value(t1, b100) - value(t0, b100), 1);
    cr_expect_eq(value(t1, b250) - value(t0, b250), 2, "buckets are cumulative");
    cr_expect_eq(value(t1, inf) - value(t0, inf), 2);
    free(t0);
    free(t1);
}

Test(metrics, a_route_number_out_of_the_table_is_no_route, .init = setup)
{
    char *t0 = render();
    metrics_request(99, 404, 10);
    metrics_request(0, 404, 10);
    char *t1 = render();
    const char *none = "socialgate_http_requests_total{method=\"-\",route=\"-\",code=\"4xx\"}";
    cr_expect_eq(value(t1, none) - value(t0, none), 2);
    free(t0);
    free(t1);
}

Test(metrics, a_check_not_named_is_other_and_values_are_escaped, .init = setup)
{
    metrics_sign_in("oauth2", "login_failed", "nonce");
    metrics_sign_in("oauth2", "login_failed", "a check nobody named");
    metrics_sign_in("urn:whatever", "weird", "nonce");
    char *t = render();
    cr_expect_geq(value(t, "socialgate_sign_ins_total{protocol=\"oauth2\",outcome=\"login_failed\","
                           "check=\"nonce\"}"),
                  1);
    cr_expect_geq(value(t, "socialgate_sign_ins_total{protocol=\"oauth2\",outcome=\"login_failed\","
                           "check=\"other\"}"),
                  1);
    cr_expect_geq(value(t, "socialgate_sign_ins_total{protocol=\"unknown\",outcome=\"other\","
                           "check=\"nonce\"}"),
                  1);
    cr_expect_null(strstr(t, "a check nobody named"));
    cr_expect_null(strstr(t, "urn:whatever"));
    cr_expect_not_null(strstr(t, "route=\"/odd\\\"\\\\\\npattern\""), "escaped: \\\" \\\\ \\n");
    cr_expect_eq(value(t, "socialgate_open_connections"), 3);
    free(t);
}

Test(metrics, batches_and_their_commits, .init = setup)
{
    char *t0 = render();
    metrics_batch(3, 1500);
    metrics_batch(1, -1); /* did not commit: no commit time */
    char *t1 = render();
    cr_expect_eq(value(t1, "socialgate_write_batch_size_count") -
                     value(t0, "socialgate_write_batch_size_count"),
                 2);
    cr_expect_eq(value(t1, "socialgate_write_batch_size_sum") -
                     value(t0, "socialgate_write_batch_size_sum"),
                 4);
    cr_expect_eq(value(t1, "socialgate_write_batch_size_bucket{le=\"2\"}") -
                     value(t0, "socialgate_write_batch_size_bucket{le=\"2\"}"),
                 1);
    cr_expect_eq(value(t1, "socialgate_write_commit_duration_seconds_count") -
                     value(t0, "socialgate_write_commit_duration_seconds_count"),
                 1);
    free(t0);
    free(t1);
}
