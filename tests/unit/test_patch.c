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

/* ---- bounds: a patch's work is bounded by the document it produces ---- */

/* The compact text length of v, as json_dumps writes it. */
static size_t dumped(const json_t *v)
{
    char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    size_t n = strlen(text);
    free(text);
    return n;
}

/* Nesting of objects and arrays, counted independently of the model. */
static int depth_of(const json_t *v)
{
    int d = 0;
    const char *key;
    json_t *m;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, key, m)
        {
            int dm = depth_of(m);
            d = d > dm ? d : dm;
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, m)
        {
            int dm = depth_of(m);
            d = d > dm ? d : dm;
        }
    } else {
        return 0;
    }
    return d + 1;
}

/* Applies patch and expects a refusal naming operation field, the input
 * left as it was. */
static void expect_refused(const json_t *doc, const json_t *patch, const char *field)
{
    json_t *before = json_deep_copy(doc), *out = NULL;
    struct err e = {0};
    cr_assert_eq(model_patch_apply(doc, patch, &out, &e), ST_UNPROCESSABLE, "%s", e.msg);
    cr_expect_null(out);
    cr_assert_eq(e.ndetails, 1);
    cr_expect_str_eq(e.details[0].field, field);
    cr_expect(json_equal(doc, before), "the input changed");
    json_decref(before);
}

/* The attack of issue 9: every "copy" of an array into itself doubles the
 * document, 26 of them would need gigabytes. The operation that would pass
 * 64 KiB is refused (found here by following the sizes by hand), and the
 * patch up to it applies. */
Test(patch_bounds, doubling_copy_is_refused_at_the_operation_that_passes_64_kib)
{
    json_t *doc = parse("{\"a\": [\"0123456789abcdef\"]}"), *patch = json_array();
    for (int i = 0; i < 26; i++)
        json_array_append_new(patch,
                              parse("{\"op\": \"copy\", \"from\": \"/a\", \"path\": \"/a/-\"}"));
    size_t a = dumped(json_object_get(doc, "a")), frame = dumped(doc) - a;
    int k = 0;
    while (frame + 2 * a + 1 <= MODEL_JSON_MAX_BYTES) { /* [x] → [x,[x]] */
        a = 2 * a + 1;
        k++;
    }
    cr_assert(k > 0 && k < 26);
    char field[16];
    snprintf(field, sizeof field, "/%d", k);
    expect_refused(doc, patch, field);
    json_t *prefix = json_array(), *out = NULL;
    for (int i = 0; i < k; i++)
        json_array_append(prefix, json_array_get(patch, i));
    cr_assert_eq(model_patch_apply(doc, prefix, &out, NULL), ST_OK);
    cr_expect_eq(dumped(out), frame + a);
    json_decref(out);
    json_decref(prefix);
    json_decref(patch);
    json_decref(doc);
}

/* members (an object's text) with a "pad" member of n bytes of 'x'. */
static json_t *padded(const char *members, size_t n)
{
    json_t *doc = parse(members);
    char *pad = malloc(n + 1);
    memset(pad, 'x', n);
    pad[n] = '\0';
    json_object_set_new(doc, "pad", json_string(pad));
    free(pad);
    return doc;
}

/* One operation that grows a document: what it starts from and the op. */
struct grow_row {
    const char *members;
    const char *op;
};

static const struct grow_row grow_rows[] = {
    {"{}", "{\"op\": \"add\", \"path\": \"/new\", \"value\": \"vvvv\"}"},
    {"{\"o\": {}}", "{\"op\": \"add\", \"path\": \"/o/k\", \"value\": [1]}"},
    {"{\"o\": {\"k\": 1}}", "{\"op\": \"add\", \"path\": \"/o/k\", \"value\": [1, 2]}"},
    {"{\"a\": []}", "{\"op\": \"add\", \"path\": \"/a/-\", \"value\": {\"b\": null}}"},
    {"{\"a\": [1, 2]}", "{\"op\": \"add\", \"path\": \"/a/1\", \"value\": true}"},
    {"{\"o\": {\"k\": 1}}", "{\"op\": \"replace\", \"path\": \"/o/k\", \"value\": \"a\\\"b\"}"},
    {"{\"a\": [1]}", "{\"op\": \"replace\", \"path\": \"/a/0\", \"value\": 0.1}"},
    {"{\"o\": {\"k\": [1, 2]}}", "{\"op\": \"copy\", \"from\": \"/o\", \"path\": \"/p\"}"},
    {"{\"o\": {\"k\": [1, 2]}}", "{\"op\": \"copy\", \"from\": \"/o/k\", \"path\": \"/o/k/-\"}"},
    {"{\"a\": [\"s\"]}", "{\"op\": \"move\", \"from\": \"/a/0\", \"path\": \"/a long~1key\"}"},
    {"{\"o\": {\"k\": 1}, \"a\": [1]}",
     "{\"op\": \"move\", \"from\": \"/a\", \"path\": \"/o/\\u00e9t\\u00e9\"}"},
};

/* Every operation that can grow a document, each at the bound: a result
 * of exactly 64 KiB applies, one byte more is refused, naming the
 * operation (the second: the first grows a little and fits). Covers the
 * exactness of what each operation adds: names, commas, escapes, numbers. */
Test(patch_bounds, every_growing_operation_stops_at_exactly_64_kib)
{
    for (size_t i = 0; i < LEN(grow_rows); i++) {
        char text[512];
        snprintf(text, sizeof text, "[{\"op\": \"add\", \"path\": \"/t\", \"value\": 0}, %s]",
                 grow_rows[i].op);
        json_t *patch = parse(text), *doc = padded(grow_rows[i].members, 0), *out = NULL;
        cr_assert_eq(model_patch_apply(doc, patch, &out, NULL), ST_OK, "row %zu", i);
        size_t pad = MODEL_JSON_MAX_BYTES - dumped(out);
        json_decref(out);
        json_decref(doc);
        doc = padded(grow_rows[i].members, pad);
        cr_assert_eq(model_patch_apply(doc, patch, &out, NULL), ST_OK, "row %zu", i);
        cr_expect_eq(dumped(out), MODEL_JSON_MAX_BYTES, "row %zu", i);
        json_decref(out);
        json_decref(doc);
        doc = padded(grow_rows[i].members, pad + 1);
        expect_refused(doc, patch, "/1");
        json_decref(doc);
        json_decref(patch);
    }
}

/* A chain of k objects under "d": {"d": {"a": {"a": … {}}}}. */
static json_t *chain(int k)
{
    json_t *inner = json_object();
    for (int i = 0; i < k; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "a", inner);
        inner = o;
    }
    json_t *doc = parse("{\"s\": [[[]]], \"t\": 1}");
    json_object_set_new(doc, "d", inner);
    return doc;
}

/* One operation that places a value at the end of the chain ("%s" is the
 * pointer of its innermost object). */
static const char *const deep_ops[] = {
    "[{\"op\": \"add\", \"path\": \"%s/x\", \"value\": {\"b\": [{}]}}]",
    "[{\"op\": \"replace\", \"path\": \"%s\", \"value\": [[[[{}]]]]}]",
    "[{\"op\": \"copy\", \"from\": \"/s\", \"path\": \"%s/x\"}]",
    "[{\"op\": \"move\", \"from\": \"/s\", \"path\": \"%s/x\"}]",
    "[{\"op\": \"test\", \"path\": \"%s\", \"value\": {}}, "
    "{\"op\": \"move\", \"from\": \"/s/0\", \"path\": \"%s/x\"}]",
};

/* The pointer of the innermost object of chain(k). */
static json_t *deep_patch(const char *op, int k)
{
    char *ptr = malloc(2 + 2 * (size_t)k + 1), text[1024], *text_big = NULL;
    strcpy(ptr, "/d");
    for (int i = 0; i < k; i++)
        strcat(ptr, "/a");
    size_t n = strlen(op) + 2 * strlen(ptr) + 1;
    text_big = n > sizeof text ? malloc(n) : text;
    snprintf(text_big, n, op, ptr, ptr);
    json_t *patch = parse(text_big);
    if (text_big != text)
        free(text_big);
    free(ptr);
    return patch;
}

/* Every way to put a value deep, including "replace" into a deep pointer
 * (which once stored 120 levels): a result nested exactly 64 deep applies,
 * one level more is refused, naming the operation. */
Test(patch_bounds, every_placing_operation_stops_at_depth_64)
{
    for (size_t i = 0; i < LEN(deep_ops); i++) {
        json_t *doc = chain(1), *patch = deep_patch(deep_ops[i], 1), *out = NULL;
        cr_assert_eq(model_patch_apply(doc, patch, &out, NULL), ST_OK, "row %zu", i);
        int k = 1 + MODEL_JSON_MAX_DEPTH - depth_of(out);
        json_decref(out);
        json_decref(patch);
        json_decref(doc);
        cr_assert(k > 1, "row %zu", i);
        doc = chain(k);
        patch = deep_patch(deep_ops[i], k);
        cr_assert_eq(model_patch_apply(doc, patch, &out, NULL), ST_OK, "row %zu", i);
        cr_expect_eq(depth_of(out), MODEL_JSON_MAX_DEPTH, "row %zu", i);
        json_decref(out);
        json_decref(patch);
        json_decref(doc);
        doc = chain(k + 1);
        patch = deep_patch(deep_ops[i], k + 1);
        char field[8];
        snprintf(field, sizeof field, "/%zu", json_array_size(patch) - 1);
        expect_refused(doc, patch, field);
        json_decref(patch);
        json_decref(doc);
    }
}

/* model_json_measure counts what json_dumps writes, byte for byte, except
 * a control character, counted at its longest escape (\u00XX) so the
 * count also bounds the server's own string writer. */
Test(json_measure, counts_the_compact_text_json_dumps_writes)
{
    static const char *const same_size[] = {
        "null",
        "true",
        "false",
        "0",
        "-1",
        "9223372036854775807",
        "-9223372036854775808",
        "0.1",
        "-0.0",
        "1e300",
        "1.5e-300",
        "123456789.125",
        "\"\"",
        "\"a\\\"b\\\\c/d\"",
        "\"\\u00e9\\u4e2d\\ud83d\\ude00\"",
        "\"\\u0001\\u001f\"",
        "[]",
        "{}",
        "[[],{},[1,2.5]]",
        "{\"a\":{\"b\":[null,true,{\"c\\\"\":\"\\u00e9\"}]},\"\":0}",
    };
    for (size_t i = 0; i < LEN(same_size); i++) {
        json_t *v = parse(same_size[i]);
        struct json_size m = model_json_measure(v, SIZE_MAX);
        cr_expect_eq(m.bytes, dumped(v), "%s: %zu, dumped %zu", same_size[i], m.bytes, dumped(v));
        cr_expect_eq(m.depth, depth_of(v), "%s", same_size[i]);
        json_decref(v);
    }
    json_t *v = parse("{\"k\\n\":\"\\t\\r\\b\\f\"}"); /* 5 two-byte escapes, 4 more each */
    cr_expect_eq(model_json_measure(v, SIZE_MAX).bytes, dumped(v) + 5 * 4);
    json_decref(v);
}

/* Measuring stops at the cap: the answer is only "more than cap". */
Test(json_measure, stops_past_the_cap)
{
    json_t *a = json_array();
    for (int i = 0; i < 100000; i++)
        json_array_append_new(a, json_integer(i));
    struct json_size m = model_json_measure(a, 1000);
    cr_expect(m.bytes > 1000, "%zu", m.bytes);
    cr_expect_eq(model_json_measure(a, SIZE_MAX).bytes, dumped(a));
    cr_expect_eq(model_json_measure(NULL, 10).bytes, 0);
    json_decref(a);
}

Test(json_measure, bound_names_the_field_and_the_limit)
{
    json_t *v = parse("[[[1]], \"abc\"]");
    struct err e = {0};
    struct json_bounds fit = {dumped(v), 3, 0}, small = {dumped(v) - 1, 3, 0},
                       shallow = {100, 2, 0};
    cr_expect_eq(model_json_bound(v, &fit, "/f", &e), ST_OK);
    cr_expect_eq(model_json_bound(v, &small, "/f", &e), ST_UNPROCESSABLE);
    cr_expect_str_eq(e.details[0].field, "/f");
    err_clear(&e);
    cr_expect_eq(model_json_bound(v, &shallow, "", &e), ST_UNPROCESSABLE);
    cr_expect(strstr(e.details[0].reason, "deeper than 2"), "%s", e.details[0].reason);
    json_decref(v);
}

/* Patches of several steps under small bounds. The oracle follows the
 * sizes of the unbounded run: with the bound one byte (or level) under
 * the largest step, the first step that reaches it is refused; at the
 * bound, all applies. This checks that the size the patch keeps up to
 * date through removals, moves and replacements is exact. */
static const char *const steps[][2] = {
    {"{\"a\": \"0123456789\", \"b\": [1, 2]}",
     "[{\"op\": \"remove\", \"path\": \"/a\"}, {\"op\": \"add\", \"path\": \"/c\", \"value\": "
     "\"0123456789abc\"}]"},
    {"{\"a\": [1, 2, 3]}", "[{\"op\": \"remove\", \"path\": \"/a/1\"}, {\"op\": \"copy\", "
                           "\"from\": \"/a\", \"path\": \"/b\"}]"},
    {"{\"a\": [\"x\"], \"o\": {}}",
     "[{\"op\": \"move\", \"from\": \"/a/0\", \"path\": \"/o/k\"}, {\"op\": \"move\", \"from\": "
     "\"/o\", \"path\": \"/a/0\"}, {\"op\": \"copy\", \"from\": \"/a\", \"path\": \"/a/-\"}]"},
    {"{\"a\": {\"b\": 1}}",
     "[{\"op\": \"replace\", \"path\": \"\", \"value\": [1]}, {\"op\": \"add\", \"path\": "
     "\"/-\", \"value\": [[2, 3, 4, 5, 6]]}]"},
    {"[{\"a\": 1}, 2]", "[{\"op\": \"replace\", \"path\": \"/0/a\", \"value\": \"é\"}, {\"op\": "
                        "\"remove\", \"path\": \"/1\"}, {\"op\": \"add\", \"path\": \"/0/b\", "
                        "\"value\": {\"c\": {}}}]"},
    {"{\"a\": [1]}", "[{\"op\": \"add\", \"path\": \"/a/0\", \"value\": [2]}, {\"op\": \"move\", "
                     "\"from\": \"/a\", \"path\": \"/b\"}, {\"op\": \"copy\", \"from\": \"/b\", "
                     "\"path\": \"/b/0/-\"}]"},
};

/* Applies the first n operations of patch without bounds. */
static json_t *prefix_result(const json_t *doc, const json_t *patch, size_t n)
{
    json_t *p = json_array(), *out = NULL;
    for (size_t i = 0; i < n; i++)
        json_array_append(p, json_array_get(patch, i));
    struct json_bounds huge = {SIZE_MAX, 1000, SIZE_MAX};
    cr_assert_eq(model_patch_apply_within(doc, p, &huge, &out, NULL), ST_OK);
    json_decref(p);
    return out;
}

Test(patch_bounds, the_size_kept_through_every_operation_is_exact)
{
    for (size_t r = 0; r < LEN(steps); r++) {
        json_t *doc = parse(steps[r][0]), *patch = parse(steps[r][1]), *out = NULL;
        size_t start = dumped(doc), peak = start, at = 0;
        for (size_t i = 0; i < json_array_size(patch); i++) {
            json_t *res = prefix_result(doc, patch, i + 1);
            if (dumped(res) > peak) {
                peak = dumped(res);
                at = i;
            }
            json_decref(res);
        }
        cr_assert(peak > start, "row %zu grows", r);
        struct json_bounds fit = {peak, 1000, SIZE_MAX}, under = {peak - 1, 1000, SIZE_MAX};
        struct err e = {0};
        cr_expect_eq(model_patch_apply_within(doc, patch, &fit, &out, NULL), ST_OK, "row %zu", r);
        json_decref(out);
        cr_expect_eq(model_patch_apply_within(doc, patch, &under, &out, &e), ST_UNPROCESSABLE,
                     "row %zu", r);
        char field[8];
        snprintf(field, sizeof field, "/%zu", at);
        cr_expect_str_eq(e.details[0].field, field, "row %zu", r);
        json_decref(patch);
        json_decref(doc);
    }
}

/* A document already past the bounds (stored before they existed) can
 * still be shrunk: only a step that grows past them is refused. */
Test(patch_bounds, a_step_that_does_not_grow_applies_past_the_bound)
{
    json_t *doc = parse("{\"a\": \"0123456789\", \"b\": [[[1]]]}");
    json_t *patch = parse("[{\"op\": \"test\", \"path\": \"/b\", \"value\": [[[1]]]}, "
                          "{\"op\": \"remove\", \"path\": \"/a\"}, {\"op\": \"replace\", "
                          "\"path\": \"/b/0\", \"value\": 2}]");
    json_t *grow = parse("[{\"op\": \"add\", \"path\": \"/c\", \"value\": 1}]");
    struct json_bounds small = {8, 2, SIZE_MAX};
    json_t *out = NULL;
    cr_expect_eq(model_patch_apply_within(doc, patch, &small, &out, NULL), ST_OK);
    expect_json("shrunk", out, "{\"b\": [2]}");
    json_decref(out);
    cr_expect_eq(model_patch_apply_within(doc, grow, &small, &out, NULL), ST_UNPROCESSABLE);
    json_decref(grow);
    json_decref(patch);
    json_decref(doc);
}

/* The work of a patch is the bytes of values it copies, replaces or
 * removes, in all: here 12 ("0123456789" and its quotes) for the first
 * copy, 12 + 12 for the second (the value it replaces is freed), 12 for
 * the remove. At the bound it applies; one byte under, the operation that
 * passes it is refused. */
Test(patch_bounds, work_counts_bytes_copied_replaced_or_removed)
{
    json_t *doc = parse("{\"a\": \"0123456789\"}");
    json_t *patch = parse("[{\"op\": \"copy\", \"from\": \"/a\", \"path\": \"/b\"}, "
                          "{\"op\": \"copy\", \"from\": \"/a\", \"path\": \"/b\"}, "
                          "{\"op\": \"test\", \"path\": \"/b\", \"value\": \"0123456789\"}, "
                          "{\"op\": \"remove\", \"path\": \"/b\"}]");
    struct json_bounds fit = {100, 8, 48}, under = {100, 8, 47};
    json_t *out = NULL;
    struct err e = {0};
    cr_expect_eq(model_patch_apply_within(doc, patch, &fit, &out, NULL), ST_OK);
    json_decref(out);
    cr_expect_eq(model_patch_apply_within(doc, patch, &under, &out, &e), ST_UNPROCESSABLE);
    cr_expect_str_eq(e.details[0].field, "/3");
    cr_expect(strstr(e.details[0].reason, "47 bytes in all"), "%s", e.details[0].reason);
    json_decref(patch);
    json_decref(doc);
}

/* A document that stays small can still be copied over and over: a
 * 64 KiB patch of copies of a 32 KiB array took seconds of the write
 * thread. Past 1 MiB of values copied or replaced, it is refused; a few
 * such copies apply. */
Test(patch_bounds, repeated_copies_of_a_large_value_are_refused_past_1_mib)
{
    json_t *doc = parse("{\"b\": 0}"), *a = json_array();
    for (int i = 0; i < 10000; i++)
        json_array_append_new(a, json_array());
    json_object_set_new(doc, "a", a);
    json_t *op = parse("{\"op\": \"copy\", \"from\": \"/a\", \"path\": \"/b\"}");
    json_t *few = json_array(), *many = json_array(), *out = NULL;
    for (int i = 0; i < 8; i++)
        json_array_append(few, op);
    for (int i = 0; i < 1700; i++)
        json_array_append(many, op);
    cr_expect_eq(model_patch_apply(doc, few, &out, NULL), ST_OK);
    json_decref(out);
    struct err e = {0};
    cr_expect_eq(model_patch_apply(doc, many, &out, &e), ST_UNPROCESSABLE);
    cr_expect(strstr(e.details[0].reason, "in all"), "%s", e.details[0].reason);
    json_decref(many);
    json_decref(few);
    json_decref(op);
    json_decref(doc);
}

/* A value copied over the whole document is copied before the document
 * it lives in is let go. */
Test(patch, copy_of_a_member_onto_the_root_replaces_the_document)
{
    json_t *doc = parse("{\"a\": {\"b\": [1, {\"c\": \"x\"}]}, \"d\": 2}");
    json_t *patch = parse("[{\"op\": \"copy\", \"from\": \"/a/b\", \"path\": \"\"}, "
                          "{\"op\": \"add\", \"path\": \"/-\", \"value\": 3}]");
    json_t *out = NULL;
    cr_assert_eq(model_patch_apply(doc, patch, &out, NULL), ST_OK);
    expect_json("copied to the root", out, "[1, {\"c\": \"x\"}, 3]");
    json_decref(out);
    json_decref(patch);
    json_decref(doc);
}

Test(patch, reads_tells_copy_move_and_test_of_a_member_or_what_holds_it)
{
    static const char *const reads[] = {
        "[{\"op\":\"copy\",\"from\":\"/s\",\"path\":\"/t\"}]",
        "[{\"op\":\"move\",\"from\":\"/s\",\"path\":\"/t\"}]",
        "[{\"op\":\"copy\",\"from\":\"/s/0\",\"path\":\"/t\"}]",
        "[{\"op\":\"copy\",\"from\":\"\",\"path\":\"/t\"}]",
        "[{\"op\":\"test\",\"path\":\"/s\",\"value\":1}]",
        "[{\"op\":\"test\",\"path\":\"\",\"value\":{}}]",
        "[{\"op\":\"add\",\"path\":\"/t\",\"value\":1},{\"op\":\"copy\",\"from\":\"/"
        "s\",\"path\":\"/u\"}]",
    };
    static const char *const others[] = {
        "[{\"op\":\"copy\",\"from\":\"/st\",\"path\":\"/t\"}]",
        "[{\"op\":\"replace\",\"path\":\"/s\",\"value\":1}]",
        "[{\"op\":\"remove\",\"path\":\"/s\"}]",
        "[{\"op\":\"test\",\"path\":\"/t\",\"value\":1}]",
        "[{\"op\":\"copy\",\"from\":7,\"path\":\"/t\"}]",
        "{\"op\":\"copy\",\"from\":\"/s\"}",
        "[]",
    };
    for (size_t i = 0; i < sizeof reads / sizeof *reads; i++) {
        json_t *p = json_loads(reads[i], 0, NULL);
        cr_expect(model_patch_reads(p, "/s"), "%s", reads[i]);
        json_decref(p);
    }
    for (size_t i = 0; i < sizeof others / sizeof *others; i++) {
        json_t *p = json_loads(others[i], 0, NULL);
        cr_expect_not(model_patch_reads(p, "/s"), "%s", others[i]);
        json_decref(p);
    }
}
