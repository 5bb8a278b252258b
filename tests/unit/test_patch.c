/* SPDX-License-Identifier: MIT */
/*
 * JSON Patch (RFC 6902) and JSON Merge Patch (RFC 7396): every example of
 * both RFCs' Appendix A as a table row, then rows of our own for each error
 * path, pointer escapes, number equality, atomicity (every row checks that
 * the input is unchanged) and that results never alias their inputs.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* One JSON Patch case: on success result is the expected document; on
 * failure field is the pointer of the one expected error detail. */
struct patch_row {
    const char *name;
    const char *doc;
    const char *patch;
    const char *result;
    enum st st;
    const char *field;
};

/* One JSON Merge Patch case (RFC 7396 Appendix A columns). */
struct merge_row {
    const char *name;
    const char *target;
    const char *patch;
    const char *result;
};

/* ---- RFC 6902 Appendix A (A.13 is in its own test below) --------------- */

static const struct patch_row rfc6902[] = {
    {"A.1 adding an object member", "{\"foo\": \"bar\"}",
     "[{\"op\": \"add\", \"path\": \"/baz\", \"value\": \"qux\"}]",
     "{\"baz\": \"qux\", \"foo\": \"bar\"}", ST_OK, NULL},
    {"A.2 adding an array element", "{\"foo\": [\"bar\", \"baz\"]}",
     "[{\"op\": \"add\", \"path\": \"/foo/1\", \"value\": \"qux\"}]",
     "{\"foo\": [\"bar\", \"qux\", \"baz\"]}", ST_OK, NULL},
    {"A.3 removing an object member", "{\"baz\": \"qux\", \"foo\": \"bar\"}",
     "[{\"op\": \"remove\", \"path\": \"/baz\"}]", "{\"foo\": \"bar\"}", ST_OK, NULL},
    {"A.4 removing an array element", "{\"foo\": [\"bar\", \"qux\", \"baz\"]}",
     "[{\"op\": \"remove\", \"path\": \"/foo/1\"}]", "{\"foo\": [\"bar\", \"baz\"]}", ST_OK, NULL},
    {"A.5 replacing a value", "{\"baz\": \"qux\", \"foo\": \"bar\"}",
     "[{\"op\": \"replace\", \"path\": \"/baz\", \"value\": \"boo\"}]",
     "{\"baz\": \"boo\", \"foo\": \"bar\"}", ST_OK, NULL},
    {"A.6 moving a value",
     "{\"foo\": {\"bar\": \"baz\", \"waldo\": \"fred\"}, \"qux\": {\"corge\": \"grault\"}}",
     "[{\"op\": \"move\", \"from\": \"/foo/waldo\", \"path\": \"/qux/thud\"}]",
     "{\"foo\": {\"bar\": \"baz\"}, \"qux\": {\"corge\": \"grault\", \"thud\": \"fred\"}}", ST_OK,
     NULL},
    {"A.7 moving an array element", "{\"foo\": [\"all\", \"grass\", \"cows\", \"eat\"]}",
     "[{\"op\": \"move\", \"from\": \"/foo/1\", \"path\": \"/foo/3\"}]",
     "{\"foo\": [\"all\", \"cows\", \"eat\", \"grass\"]}", ST_OK, NULL},
    /* The RFC shows no result: a successful test leaves the document as it was. */
    {"A.8 testing a value: success", "{\"baz\": \"qux\", \"foo\": [\"a\", 2, \"c\"]}",
     "[{\"op\": \"test\", \"path\": \"/baz\", \"value\": \"qux\"},"
     " {\"op\": \"test\", \"path\": \"/foo/1\", \"value\": 2}]",
     "{\"baz\": \"qux\", \"foo\": [\"a\", 2, \"c\"]}", ST_OK, NULL},
    {"A.9 testing a value: error", "{\"baz\": \"qux\"}",
     "[{\"op\": \"test\", \"path\": \"/baz\", \"value\": \"bar\"}]", NULL, ST_CONFLICT, "/0"},
    {"A.10 adding a nested member object", "{\"foo\": \"bar\"}",
     "[{\"op\": \"add\", \"path\": \"/child\", \"value\": {\"grandchild\": {}}}]",
     "{\"foo\": \"bar\", \"child\": {\"grandchild\": {}}}", ST_OK, NULL},
    {"A.11 ignoring unrecognized elements", "{\"foo\": \"bar\"}",
     "[{\"op\": \"add\", \"path\": \"/baz\", \"value\": \"qux\", \"xyz\": 123}]",
     "{\"foo\": \"bar\", \"baz\": \"qux\"}", ST_OK, NULL},
    {"A.12 adding to a nonexistent target", "{\"foo\": \"bar\"}",
     "[{\"op\": \"add\", \"path\": \"/baz/bat\", \"value\": \"qux\"}]", NULL, ST_UNPROCESSABLE,
     "/0"},
    {"A.14 ~ escape ordering", "{\"/\": 9, \"~1\": 10}",
     "[{\"op\": \"test\", \"path\": \"/~01\", \"value\": 10}]", "{\"/\": 9, \"~1\": 10}", ST_OK,
     NULL},
    {"A.15 comparing strings and numbers", "{\"/\": 9, \"~1\": 10}",
     "[{\"op\": \"test\", \"path\": \"/~01\", \"value\": \"10\"}]", NULL, ST_CONFLICT, "/0"},
    {"A.16 adding an array value", "{\"foo\": [\"bar\"]}",
     "[{\"op\": \"add\", \"path\": \"/foo/-\", \"value\": [\"abc\", \"def\"]}]",
     "{\"foo\": [\"bar\", [\"abc\", \"def\"]]}", ST_OK, NULL},
};

/* ---- our own JSON Patch cases ------------------------------------------ */

#define OK(name, doc, patch, result)                                                               \
    {                                                                                              \
        name, doc, patch, result, ST_OK, NULL                                                      \
    }
#define FAIL(name, doc, patch, st, field)                                                          \
    {                                                                                              \
        name, doc, patch, NULL, st, field                                                          \
    }

static const struct patch_row own_patch[] = {
    /* the patch document and its operations */
    FAIL("patch not an array", "{}", "{\"op\": \"test\", \"path\": \"\", \"value\": {}}",
         ST_INVALID, ""),
    FAIL("operation not an object", "{}", "[1]", ST_INVALID, "/0"),
    FAIL("operation is a string", "{}", "[\"add\"]", ST_INVALID, "/0"),
    FAIL("op missing", "{}", "[{\"path\": \"/a\", \"value\": 1}]", ST_INVALID, "/0"),
    FAIL("op not a string", "{}", "[{\"op\": 1, \"path\": \"/a\"}]", ST_INVALID, "/0"),
    FAIL("unknown op spam", "{}", "[{\"op\": \"spam\", \"path\": \"/a\"}]", ST_INVALID, "/0"),
    FAIL("op names are case-sensitive", "{}", "[{\"op\": \"ADD\", \"path\": \"/a\", \"value\": 1}]",
         ST_INVALID, "/0"),
    FAIL("path missing", "{}", "[{\"op\": \"add\", \"value\": 1}]", ST_INVALID, "/0"),
    FAIL("path not a string", "{\"a\": 1}", "[{\"op\": \"remove\", \"path\": 5}]", ST_INVALID,
         "/0"),
    FAIL("path null", "{\"a\": 1}", "[{\"op\": \"remove\", \"path\": null}]", ST_INVALID, "/0"),
    FAIL("value missing for add", "{}", "[{\"op\": \"add\", \"path\": \"/a\"}]", ST_INVALID, "/0"),
    FAIL("value missing for replace", "{\"a\": 1}", "[{\"op\": \"replace\", \"path\": \"/a\"}]",
         ST_INVALID, "/0"),
    FAIL("value missing for test", "{\"a\": 1}", "[{\"op\": \"test\", \"path\": \"/a\"}]",
         ST_INVALID, "/0"),
    FAIL("from missing for move", "{\"a\": 1}", "[{\"op\": \"move\", \"path\": \"/b\"}]",
         ST_INVALID, "/0"),
    FAIL("from missing for copy", "{\"a\": 1}", "[{\"op\": \"copy\", \"path\": \"/b\"}]",
         ST_INVALID, "/0"),
    FAIL("from not a string", "{\"a\": 1}",
         "[{\"op\": \"copy\", \"from\": [\"a\"], \"path\": \"/b\"}]", ST_INVALID, "/0"),
    OK("null is a valid value", "{\"a\": 1}",
       "[{\"op\": \"add\", \"path\": \"/b\", \"value\": null},"
       " {\"op\": \"test\", \"path\": \"/b\", \"value\": null}]",
       "{\"a\": 1, \"b\": null}"),
    OK("from is ignored on add", "{}",
       "[{\"op\": \"add\", \"path\": \"/a\", \"value\": 1, \"from\": 5}]", "{\"a\": 1}"),
    OK("empty patch", "{\"a\": [1]}", "[]", "{\"a\": [1]}"),

    /* JSON Pointer syntax and escapes (RFC 6901) */
    FAIL("pointer without leading slash", "{\"a\": {\"b\": 1}}",
         "[{\"op\": \"add\", \"path\": \"a/b\", \"value\": 1}]", ST_INVALID, "/0"),
    FAIL("pointer with ~2", "{\"a\": 1}", "[{\"op\": \"remove\", \"path\": \"/~2\"}]", ST_INVALID,
         "/0"),
    FAIL("pointer ending in ~", "{\"a\": 1}", "[{\"op\": \"remove\", \"path\": \"/a~\"}]",
         ST_INVALID, "/0"),
    FAIL("malformed from", "{\"a\": 1}", "[{\"op\": \"move\", \"from\": \"a\", \"path\": \"/b\"}]",
         ST_INVALID, "/0"),
    OK("~1 and ~0 on keys with / and ~", "{\"a/b\": 1, \"m~n\": 2, \"c\": 3}",
       "[{\"op\": \"replace\", \"path\": \"/a~1b\", \"value\": 10},"
       " {\"op\": \"remove\", \"path\": \"/m~0n\"}]",
       "{\"a/b\": 10, \"c\": 3}"),
    OK("~01 decodes to ~1, not /", "{}", "[{\"op\": \"add\", \"path\": \"/~01\", \"value\": 1}]",
       "{\"~1\": 1}"),
    OK("~10 decodes to /0", "{\"/0\": 1, \"~1\": 2}",
       "[{\"op\": \"test\", \"path\": \"/~10\", \"value\": 1}]", "{\"/0\": 1, \"~1\": 2}"),
    OK("/ is the empty key", "{\"\": 1}", "[{\"op\": \"replace\", \"path\": \"/\", \"value\": 2}]",
       "{\"\": 2}"),
    OK("01 is a plain key on an object", "{\"a\": {\"01\": 1, \"1\": 2}}",
       "[{\"op\": \"remove\", \"path\": \"/a/01\"}]", "{\"a\": {\"1\": 2}}"),

    /* arrays */
    OK("add at index == size appends", "{\"a\": [1]}",
       "[{\"op\": \"add\", \"path\": \"/a/1\", \"value\": 2}]", "{\"a\": [1, 2]}"),
    OK("add at 0 prepends", "{\"a\": [1]}", "[{\"op\": \"add\", \"path\": \"/a/0\", \"value\": 0}]",
       "{\"a\": [0, 1]}"),
    OK("add at - appends", "{\"a\": [1]}", "[{\"op\": \"add\", \"path\": \"/a/-\", \"value\": 2}]",
       "{\"a\": [1, 2]}"),
    OK("replace an array element", "{\"a\": [{\"b\": 1}, 2]}",
       "[{\"op\": \"replace\", \"path\": \"/a/0/b\", \"value\": 5},"
       " {\"op\": \"replace\", \"path\": \"/a/1\", \"value\": [3]}]",
       "{\"a\": [{\"b\": 5}, [3]]}"),
    FAIL("add past the end", "{\"a\": [1, 2]}",
         "[{\"op\": \"add\", \"path\": \"/a/3\", \"value\": 9}]", ST_UNPROCESSABLE, "/0"),
    FAIL("remove past the end", "{\"a\": [1, 2]}", "[{\"op\": \"remove\", \"path\": \"/a/2\"}]",
         ST_UNPROCESSABLE, "/0"),
    FAIL("replace past the end", "{\"a\": [1, 2]}",
         "[{\"op\": \"replace\", \"path\": \"/a/5\", \"value\": 9}]", ST_UNPROCESSABLE, "/0"),
    FAIL("test past the end", "{\"a\": [1, 2]}",
         "[{\"op\": \"test\", \"path\": \"/a/2\", \"value\": null}]", ST_UNPROCESSABLE, "/0"),
    FAIL("leading-zero index on remove", "{\"a\": [1, 2]}",
         "[{\"op\": \"remove\", \"path\": \"/a/01\"}]", ST_UNPROCESSABLE, "/0"),
    FAIL("leading-zero index on add", "{\"a\": [1, 2]}",
         "[{\"op\": \"add\", \"path\": \"/a/01\", \"value\": 0}]", ST_UNPROCESSABLE, "/0"),
    FAIL("negative index", "{\"a\": [1, 2]}", "[{\"op\": \"remove\", \"path\": \"/a/-1\"}]",
         ST_UNPROCESSABLE, "/0"),
    FAIL("non-numeric index", "{\"a\": [1, 2]}", "[{\"op\": \"remove\", \"path\": \"/a/x\"}]",
         ST_UNPROCESSABLE, "/0"),
    FAIL("huge index", "{\"a\": [1, 2]}",
         "[{\"op\": \"remove\", \"path\": \"/a/99999999999999999999999\"}]", ST_UNPROCESSABLE,
         "/0"),
    FAIL("remove at -", "{\"a\": [1]}", "[{\"op\": \"remove\", \"path\": \"/a/-\"}]",
         ST_UNPROCESSABLE, "/0"),
    FAIL("replace at -", "{\"a\": [1]}",
         "[{\"op\": \"replace\", \"path\": \"/a/-\", \"value\": 2}]", ST_UNPROCESSABLE, "/0"),
    FAIL("- not as the final token", "{\"a\": [[1]]}",
         "[{\"op\": \"add\", \"path\": \"/a/-/0\", \"value\": 2}]", ST_UNPROCESSABLE, "/0"),

    /* objects and the whole document */
    FAIL("remove a missing member", "{\"a\": 1}", "[{\"op\": \"remove\", \"path\": \"/b\"}]",
         ST_UNPROCESSABLE, "/0"),
    FAIL("replace a missing member", "{\"a\": 1}",
         "[{\"op\": \"replace\", \"path\": \"/b\", \"value\": 2}]", ST_UNPROCESSABLE, "/0"),
    FAIL("test a missing member", "{\"a\": 1}",
         "[{\"op\": \"test\", \"path\": \"/b\", \"value\": 1}]", ST_UNPROCESSABLE, "/0"),
    FAIL("add below a scalar", "{\"a\": 1}",
         "[{\"op\": \"add\", \"path\": \"/a/b\", \"value\": 2}]", ST_UNPROCESSABLE, "/0"),
    OK("add replaces an existing member", "{\"a\": 1}",
       "[{\"op\": \"add\", \"path\": \"/a\", \"value\": 2}]", "{\"a\": 2}"),
    OK("add at the root replaces the document", "{\"a\": 1}",
       "[{\"op\": \"add\", \"path\": \"\", \"value\": [1]}]", "[1]"),
    OK("replace at the root", "{\"a\": 1}",
       "[{\"op\": \"replace\", \"path\": \"\", \"value\": {\"b\": 2}}]", "{\"b\": 2}"),
    FAIL("remove the root", "{\"a\": 1}", "[{\"op\": \"remove\", \"path\": \"\"}]",
         ST_UNPROCESSABLE, "/0"),

    /* move and copy */
    FAIL("move into its own child", "{\"a\": {\"b\": 1}}",
         "[{\"op\": \"move\", \"from\": \"/a\", \"path\": \"/a/c\"}]", ST_UNPROCESSABLE, "/0"),
    FAIL("move the root into a child", "{\"a\": 1}",
         "[{\"op\": \"move\", \"from\": \"\", \"path\": \"/b\"}]", ST_UNPROCESSABLE, "/0"),
    OK("move to a sibling sharing a string prefix", "{\"a\": 1}",
       "[{\"op\": \"move\", \"from\": \"/a\", \"path\": \"/ab\"}]", "{\"ab\": 1}"),
    OK("move onto itself", "{\"a\": {\"b\": 1}}",
       "[{\"op\": \"move\", \"from\": \"/a\", \"path\": \"/a\"}]", "{\"a\": {\"b\": 1}}"),
    OK("move a child to the root", "{\"a\": {\"b\": 1}}",
       "[{\"op\": \"move\", \"from\": \"/a\", \"path\": \"\"}]", "{\"b\": 1}"),
    OK("move within an array", "{\"a\": [1, 2, 3]}",
       "[{\"op\": \"move\", \"from\": \"/a/0\", \"path\": \"/a/-\"}]", "{\"a\": [2, 3, 1]}"),
    FAIL("move from a missing path", "{\"a\": 1}",
         "[{\"op\": \"move\", \"from\": \"/x\", \"path\": \"/b\"}]", ST_UNPROCESSABLE, "/0"),
    FAIL("move onto itself from a missing path", "{\"a\": 1}",
         "[{\"op\": \"move\", \"from\": \"/x\", \"path\": \"/x\"}]", ST_UNPROCESSABLE, "/0"),
    FAIL("move to a missing parent", "{\"a\": 1}",
         "[{\"op\": \"move\", \"from\": \"/a\", \"path\": \"/x/y\"}]", ST_UNPROCESSABLE, "/0"),
    FAIL("copy from a missing path", "{\"a\": 1}",
         "[{\"op\": \"copy\", \"from\": \"/x\", \"path\": \"/b\"}]", ST_UNPROCESSABLE, "/0"),
    OK("copy is deep", "{\"a\": {\"b\": 1}}",
       "[{\"op\": \"copy\", \"from\": \"/a\", \"path\": \"/c\"},"
       " {\"op\": \"replace\", \"path\": \"/c/b\", \"value\": 2}]",
       "{\"a\": {\"b\": 1}, \"c\": {\"b\": 2}}"),
    OK("copy into its own child", "{\"a\": {\"b\": 1}}",
       "[{\"op\": \"copy\", \"from\": \"/a\", \"path\": \"/a/c\"}]",
       "{\"a\": {\"b\": 1, \"c\": {\"b\": 1}}}"),

    /* test: JSON equality */
    OK("test 1 equals 1.0", "{\"a\": 1}", "[{\"op\": \"test\", \"path\": \"/a\", \"value\": 1.0}]",
       "{\"a\": 1}"),
    OK("test 1.0 equals 1", "{\"a\": 1.0}", "[{\"op\": \"test\", \"path\": \"/a\", \"value\": 1}]",
       "{\"a\": 1.0}"),
    FAIL("test 1 differs from 1.5", "{\"a\": 1}",
         "[{\"op\": \"test\", \"path\": \"/a\", \"value\": 1.5}]", ST_CONFLICT, "/0"),
    FAIL("test 2^53+1 differs from 2^53 as a real", "{\"a\": 9007199254740993}",
         "[{\"op\": \"test\", \"path\": \"/a\", \"value\": 9007199254740992.0}]", ST_CONFLICT,
         "/0"),
    FAIL("test integer against 1e300", "{\"a\": 1}",
         "[{\"op\": \"test\", \"path\": \"/a\", \"value\": 1e300}]", ST_CONFLICT, "/0"),
    OK("test ignores object member order", "{\"o\": {\"x\": 1, \"y\": [1, {\"p\": 1, \"q\": 2}]}}",
       "[{\"op\": \"test\", \"path\": \"/o\", \"value\": {\"y\": [1.0, {\"q\": 2, \"p\": 1}], "
       "\"x\": "
       "1}}]",
       "{\"o\": {\"x\": 1, \"y\": [1, {\"p\": 1, \"q\": 2}]}}"),
    FAIL("test respects array order", "{\"a\": [1, 2]}",
         "[{\"op\": \"test\", \"path\": \"/a\", \"value\": [2, 1]}]", ST_CONFLICT, "/0"),
    FAIL("test an extra member", "{\"a\": {\"x\": 1}}",
         "[{\"op\": \"test\", \"path\": \"/a\", \"value\": {\"x\": 1, \"y\": null}}]", ST_CONFLICT,
         "/0"),
    FAIL("test true against 1", "{\"a\": true}",
         "[{\"op\": \"test\", \"path\": \"/a\", \"value\": 1}]", ST_CONFLICT, "/0"),
    FAIL("test null against false", "{\"a\": null}",
         "[{\"op\": \"test\", \"path\": \"/a\", \"value\": false}]", ST_CONFLICT, "/0"),
    OK("test the whole document", "{\"a\": [true, null]}",
       "[{\"op\": \"test\", \"path\": \"\", \"value\": {\"a\": [true, null]}}]",
       "{\"a\": [true, null]}"),

    /* atomicity: a later failure applies nothing (every row checks doc) */
    FAIL("second op fails: nothing applied", "{\"a\": 1, \"l\": [1]}",
         "[{\"op\": \"add\", \"path\": \"/b\", \"value\": 2},"
         " {\"op\": \"remove\", \"path\": \"/l/0\"},"
         " {\"op\": \"remove\", \"path\": \"/zzz\"}]",
         ST_UNPROCESSABLE, "/2"),
    FAIL("failed test after changes: nothing applied", "{\"a\": 1}",
         "[{\"op\": \"replace\", \"path\": \"/a\", \"value\": 2},"
         " {\"op\": \"test\", \"path\": \"/a\", \"value\": 1}]",
         ST_CONFLICT, "/1"),
    FAIL("invalid op after changes: nothing applied", "{\"a\": 1}",
         "[{\"op\": \"remove\", \"path\": \"/a\"}, {\"op\": \"spam\"}]", ST_INVALID, "/1"),
};

/* ---- RFC 7396 Appendix A, then our own merge cases --------------------- */

static const struct merge_row rfc7396[] = {
    {"A row 1", "{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}"},
    {"A row 2", "{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\", \"b\":\"c\"}"},
    {"A row 3", "{\"a\":\"b\"}", "{\"a\":null}", "{}"},
    {"A row 4", "{\"a\":\"b\", \"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}"},
    {"A row 5", "{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}"},
    {"A row 6", "{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}"},
    {"A row 7", "{\"a\": {\"b\": \"c\"}}", "{\"a\": {\"b\": \"d\", \"c\": null}}",
     "{\"a\": {\"b\": \"d\"}}"},
    {"A row 8", "{\"a\": [{\"b\":\"c\"}]}", "{\"a\": [1]}", "{\"a\": [1]}"},
    {"A row 9", "[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]"},
    {"A row 10", "{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]"},
    {"A row 11", "{\"a\":\"foo\"}", "null", "null"},
    {"A row 12", "{\"a\":\"foo\"}", "\"bar\"", "\"bar\""},
    {"A row 13", "{\"e\":null}", "{\"a\":1}", "{\"e\":null, \"a\":1}"},
    {"A row 14", "[1,2]", "{\"a\":\"b\", \"c\":null}", "{\"a\":\"b\"}"},
    {"A row 15", "{}", "{\"a\": {\"bb\": {\"ccc\": null}}}", "{\"a\": {\"bb\": {}}}"},
};

static const struct merge_row own_merge[] = {
    {"null removes a member", "{\"a\": 1, \"b\": 2}", "{\"b\": null}", "{\"a\": 1}"},
    {"null for an absent member", "{\"a\": 1}", "{\"z\": null}", "{\"a\": 1}"},
    {"nested objects merge", "{\"a\": {\"b\": {\"c\": 1, \"d\": 2}}, \"k\": 0}",
     "{\"a\": {\"b\": {\"c\": null, \"e\": 3}}}",
     "{\"a\": {\"b\": {\"d\": 2, \"e\": 3}}, \"k\": 0}"},
    {"arrays are replaced whole", "{\"a\": [1, 2, 3]}", "{\"a\": [4]}", "{\"a\": [4]}"},
    {"arrays of objects are not merged", "{\"a\": [{\"b\": 1}]}", "{\"a\": [{\"c\": 2}]}",
     "{\"a\": [{\"c\": 2}]}"},
    {"nulls inside arrays are kept", "{}", "{\"a\": [null, {\"b\": null}]}",
     "{\"a\": [null, {\"b\": null}]}"},
    {"number patch replaces an object", "{\"a\": 1}", "42", "42"},
    {"empty array patch replaces an object", "{\"a\": 1}", "[]", "[]"},
    {"object patch over a string", "\"s\"", "{\"a\": 1, \"b\": null}", "{\"a\": 1}"},
    {"object patch over null", "null", "{\"a\": {\"b\": null}}", "{\"a\": {}}"},
    {"object member replaces a scalar member", "{\"a\": 1}", "{\"a\": {\"b\": 2, \"c\": null}}",
     "{\"a\": {\"b\": 2}}"},
    {"empty patch keeps the target", "{\"a\": [1, {\"b\": 2}]}", "{}", "{\"a\": [1, {\"b\": 2}]}"},
};

/* ---- helpers ----------------------------------------------------------- */

/* Parses test JSON the way the server does (duplicates rejected). */
static json_t *parse(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
    cr_assert_not_null(j, "bad test JSON %s: %s", text, je.text);
    return j;
}

static void expect_json(const char *name, const json_t *got, const char *want_text)
{
    json_t *want = parse(want_text);
    char *dump = got ? json_dumps(got, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    cr_expect(got && json_equal(got, want), "%s: got %s, want %s", name, dump ? dump : "NULL",
              want_text);
    free(dump);
    json_decref(want);
}

static void check_patch_row(const struct patch_row *r)
{
    json_t *doc = parse(r->doc), *patch = parse(r->patch);
    json_t *doc_before = json_deep_copy(doc), *patch_before = json_deep_copy(patch);
    json_t *out = NULL;
    struct err e = {0};
    enum st st = model_patch_apply(doc, patch, &out, &e);
    cr_expect_eq(st, r->st, "%s: got %s (%s), want %s", r->name, st_name(st), e.msg,
                 st_name(r->st));
    cr_expect(json_equal(doc, doc_before), "%s: the input document was modified", r->name);
    cr_expect(json_equal(patch, patch_before), "%s: the patch was modified", r->name);
    json_decref(doc); /* the result must not depend on the inputs */
    json_decref(patch);
    if (r->st == ST_OK) {
        cr_expect_eq(e.ndetails, 0, "%s: unexpected detail %s", r->name, e.msg);
        expect_json(r->name, out, r->result);
    } else {
        cr_expect_null(out, "%s: a result despite an error", r->name);
        cr_expect_eq(e.ndetails, 1, "%s: %d details", r->name, e.ndetails);
        cr_expect_str_eq(e.details[0].field, r->field, "%s: detail field %s, want %s", r->name,
                         e.details[0].field, r->field);
    }
    json_decref(out);
    json_decref(doc_before);
    json_decref(patch_before);
}

static void check_merge_row(const struct merge_row *r)
{
    json_t *target = parse(r->target), *patch = parse(r->patch);
    json_t *target_before = json_deep_copy(target), *patch_before = json_deep_copy(patch);
    json_t *out = model_patch_merge(target, patch);
    cr_expect(json_equal(target, target_before), "%s: the target was modified", r->name);
    cr_expect(json_equal(patch, patch_before), "%s: the patch was modified", r->name);
    json_decref(target);
    json_decref(patch);
    expect_json(r->name, out, r->result);
    json_decref(out);
    json_decref(target_before);
    json_decref(patch_before);
}

/* ---- tests ------------------------------------------------------------- */

Test(rfc6902, appendix_a_examples_apply_as_specified)
{
    cr_assert_eq(LEN(rfc6902), 15, "A.1 to A.16 without A.13");
    for (size_t i = 0; i < LEN(rfc6902); i++)
        check_patch_row(&rfc6902[i]);
}

/* A.13 repeats "op" in one object. jansson (like most parsers) cannot hand
 * that to model_patch_apply: the server parses bodies with
 * JSON_REJECT_DUPLICATES (api/router.c), so the document is refused as
 * invalid JSON before it is ever treated as a patch. */
Test(rfc6902, a13_duplicate_op_is_rejected_by_the_parser)
{
    const char *a13 =
        "[{\"op\": \"add\", \"path\": \"/baz\", \"value\": \"qux\", \"op\": \"remove\"}]";
    json_error_t je;
    json_t *j = json_loads(a13, JSON_REJECT_DUPLICATES, &je);
    cr_expect_null(j, "a duplicate \"op\" must not parse");
    json_decref(j);
}

Test(patch, own_cases)
{
    for (size_t i = 0; i < LEN(own_patch); i++)
        check_patch_row(&own_patch[i]);
}

Test(patch, result_does_not_alias_the_patch_value)
{
    json_t *doc = parse("{}");
    json_t *patch = parse("[{\"op\": \"add\", \"path\": \"/x\", \"value\": {\"y\": 1}}]");
    json_t *out = NULL;
    cr_assert_eq(model_patch_apply(doc, patch, &out, NULL), ST_OK);
    json_object_set_new(json_object_get(out, "x"), "y", json_integer(2));
    expect_json("patch value", json_array_get(patch, 0),
                "{\"op\": \"add\", \"path\": \"/x\", "
                "\"value\": {\"y\": 1}}");
    cr_expect_neq(out, doc);
    json_decref(out);
    json_decref(patch);
    json_decref(doc);
}

Test(patch, null_err_is_allowed_and_out_is_cleared)
{
    json_t *doc = parse("{\"a\": 1}"), *patch = parse("[{\"op\": \"remove\", \"path\": \"/b\"}]");
    json_t *out = doc; /* any stale value must be overwritten */
    cr_expect_eq(model_patch_apply(doc, patch, &out, NULL), ST_UNPROCESSABLE);
    cr_expect_null(out);
    json_decref(patch);
    json_decref(doc);
}

Test(rfc7396, appendix_a_examples_merge_as_specified)
{
    cr_assert_eq(LEN(rfc7396), 15, "every row of the Appendix A table");
    for (size_t i = 0; i < LEN(rfc7396); i++)
        check_merge_row(&rfc7396[i]);
}

Test(merge, own_cases)
{
    for (size_t i = 0; i < LEN(own_merge); i++)
        check_merge_row(&own_merge[i]);
}

Test(merge, null_target_counts_as_absent)
{
    json_t *patch = parse("{\"a\": 1, \"b\": null}");
    json_t *out = model_patch_merge(NULL, patch);
    expect_json("NULL target", out, "{\"a\": 1}");
    json_decref(out);
    json_decref(patch);
}

Test(merge, result_does_not_alias_the_inputs)
{
    json_t *target = parse("{\"keep\": {\"k\": 1}, \"m\": {\"x\": 1}}");
    json_t *patch = parse("{\"new\": {\"n\": 1}, \"m\": {\"y\": 2}, \"l\": [1]}");
    json_t *out = model_patch_merge(target, patch);
    json_object_set_new(json_object_get(out, "keep"), "k", json_integer(9));
    json_object_set_new(json_object_get(out, "new"), "n", json_integer(9));
    json_object_set_new(json_object_get(out, "m"), "x", json_integer(9));
    json_array_append_new(json_object_get(out, "l"), json_integer(9));
    expect_json("target", target, "{\"keep\": {\"k\": 1}, \"m\": {\"x\": 1}}");
    expect_json("patch", patch, "{\"new\": {\"n\": 1}, \"m\": {\"y\": 2}, \"l\": [1]}");
    json_decref(out);
    json_decref(patch);
    json_decref(target);
}

Test(merge, non_object_patch_result_is_a_copy)
{
    json_t *target = parse("{\"a\": 1}"), *patch = parse("[{\"b\": 2}]");
    json_t *out = model_patch_merge(target, patch);
    cr_assert(json_is_array(out));
    json_object_set_new(json_array_get(out, 0), "b", json_integer(9));
    json_array_append_new(out, json_true());
    expect_json("patch", patch, "[{\"b\": 2}]");
    json_decref(out);
    json_decref(patch);
    json_decref(target);
}
