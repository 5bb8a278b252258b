/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of util/log.c's JSON format: every line is one JSON object
 * that jansson parses, whatever bytes the message and the fields hold
 * (quotes, control bytes, bytes above 0x7f) and however long they are (a
 * cut line is still closed); the text format is unchanged.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"

/* Logs through f into a fresh file and returns its text (caller frees). */
static char *logged(void (*f)(void))
{
    char path[] = "/tmp/sg-test-log-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    cr_assert_eq(log_file_open(path, NULL), ST_OK);
    f();
    log_flush();
    FILE *in = fopen(path, "r");
    cr_assert(in);
    char *text = calloc(1, 64 * 1024);
    size_t n = fread(text, 1, 64 * 1024 - 1, in);
    text[n] = '\0';
    fclose(in);
    unlink(path);
    return text;
}

/* Each line of text as a JSON object, into out (at most max); the count. */
static int parse_lines(char *text, json_t **out, int max)
{
    int n = 0;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line && n < max;
         line = strtok_r(NULL, "\n", &save)) {
        json_error_t err;
        out[n] = json_loads(line, JSON_REJECT_DUPLICATES, &err);
        cr_assert(out[n], "line %d is not JSON (%s): %s", n + 1, err.text, line);
        cr_assert(json_is_object(out[n]));
        n++;
    }
    return n;
}

static void hostile(void)
{
    log_set_format(LOG_JSON);
    struct log_field f[] = {
        {"request_id", "7", 0}, {"route", "/{c}/x\"}{\x01\xff", 0}, {"status", NULL, 404}};
    log_fields(LOG_INFO, f, 3, "msg \"quoted\" \\ \x1b[31m \xc3\xa9 %s", "tail");
    log_msg(LOG_WARN, "plain");
}

Test(log, json_lines_parse_and_keep_every_field_escaped)
{
    char *text = logged(hostile);
    json_t *o[4] = {0};
    cr_assert_eq(parse_lines(text, o, 4), 2, "%s", text);
    cr_expect_str_eq(json_string_value(json_object_get(o[0], "level")), "info");
    cr_expect_str_eq(json_string_value(json_object_get(o[0], "request_id")), "7");
    cr_expect_str_eq(json_string_value(json_object_get(o[0], "route")), "/{c}/x\"}{\x01\xc3\xbf");
    cr_expect_eq(json_integer_value(json_object_get(o[0], "status")), 404);
    cr_expect_str_eq(json_string_value(json_object_get(o[0], "msg")),
                     "msg \"quoted\" \\ \x1b[31m \xc3\x83\xc2\xa9 tail");
    cr_expect(json_is_string(json_object_get(o[0], "time")));
    cr_expect_str_eq(json_string_value(json_object_get(o[1], "msg")), "plain");
    cr_expect_str_eq(json_string_value(json_object_get(o[1], "level")), "warn");
    for (int i = 0; i < 2; i++)
        json_decref(o[i]);
    free(text);
}

static void huge(void)
{
    log_set_format(LOG_JSON);
    static char big[3000];
    memset(big, '"', sizeof big - 1); /* each byte escapes to two */
    struct log_field f[] = {{"a", big, 0}, {"b", big, 0}, {"n", NULL, 1}};
    log_fields(LOG_INFO, f, 3, "%s", big);
    log_fields(LOG_INFO, f + 2, 1, "%s", "after");
}

Test(log, an_overlong_json_line_is_cut_but_still_one_object)
{
    char *text = logged(huge);
    json_t *o[4] = {0};
    cr_assert_eq(parse_lines(text, o, 4), 2, "%s", text);
    cr_expect(json_string_length(json_object_get(o[0], "msg")) > 500);
    cr_expect_eq(json_integer_value(json_object_get(o[1], "n")), 1);
    cr_expect_str_eq(json_string_value(json_object_get(o[1], "msg")), "after");
    for (int i = 0; i < 2; i++)
        json_decref(o[i]);
    free(text);
}

static void text_line(void)
{
    struct log_field f[] = {{"status", NULL, 200}};
    log_fields(LOG_INFO, f, 1, "rid=%d status=%d", 1, 200);
}

Test(log, the_text_format_writes_the_message_alone)
{
    char *text = logged(text_line);
    cr_expect(strstr(text, " info rid=1 status=200\n"), "%s", text);
    cr_expect_null(strchr(text, '{'), "%s", text);
    cr_expect_eq(text[4], '-'); /* starts with the date */
    free(text);
}
