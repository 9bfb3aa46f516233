/* test_json.c - the strict JSON check (src/json.c) against an independent
 * RFC 8259 recognizer (rfc8259.c): hand-picked cases from the grammar, then
 * every file of the fuzz corpora, compared both ways. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "harness.h"
#include "json.h"
#include "rfc8259.h"

/* The product's verdict on text: 1 accepted, 0 refused as invalid JSON,
 * 2 refused by a documented limit. */
static int product(const char *p, size_t n, cw_error *err) {
    json_t *v = cw_json_parse((cw_slice){p, n}, 64, 65536, "body", NULL, err);
    json_decref(v);
    if (v)
        return 1;
    CHECK_INT(err->code, CW_E_INVALID_JSON);
    return rfc8259_product_limit(err->message) ? 2 : 0;
}

static void one_case(char **f) {
    size_t n = cw_test_unescape(f[1]);
    int want = strcmp(f[0], "valid") == 0 ? 1 : strcmp(f[0], "limit") == 0 ? 2 : 0;
    int ref = rfc8259_recognize(f[1], n, 1000);
    cw_error err = {0};
    int got = product(f[1], n, &err);
    if (got != want || ref != (want ? RFC8259_VALID : RFC8259_INVALID)) {
        fprintf(stderr, "    case %s [%.*s]: product %d (%s), recognizer %d\n", f[0], (int)n, f[1],
                got, err.message, ref);
        CHECK(!"verdict");
    }
}

static void cases_from_the_grammar(void) {
    CHECK(cw_test_each_case("data/json.tsv", 2, one_case) >= 80);
}

/* The same property the fuzzer checks: a text the RFC refuses is refused as
 * invalid_json; one it accepts is accepted unless a documented limit says
 * no. Each corpus file counts as a text, and so does the body of each one
 * that is a request envelope. */
static int compare(const char *p, size_t n) {
    size_t off = n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
    int ref = rfc8259_recognize(p + off, n - off, 1000);
    cw_error err = {0};
    int got = product(p, n, &err);
    if (ref == RFC8259_TOO_DEEP)
        return got != 1; /* deeper than 1000 levels is over the product's limit */
    if (ref == RFC8259_INVALID && got != 0)
        return fprintf(stderr, "    accepted what RFC 8259 refuses: [%.*s]\n", (int)n, p), 0;
    if (ref == RFC8259_VALID && got == 0)
        return fprintf(stderr, "    refused a valid text: %s\n", err.message), 0;
    return 1;
}

static void corpora_agree_with_the_recognizer(void) {
    static const char *const dirs[] = {"../fuzz/corpus/json", "../fuzz/corpus/journal",
                                       "../fuzz/corpus/merge", "../fuzz/corpus/request",
                                       "../fuzz/corpus/errors"};
    int files = 0;
    for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
        DIR *dir = opendir(dirs[d]);
        struct dirent *e;
        if (!dir)
            continue;
        while ((e = readdir(dir))) {
            char path[512];
            size_t n;
            char *p, *body;
            if (e->d_name[0] == '.')
                continue;
            snprintf(path, sizeof path, "%s/%s", dirs[d], e->d_name);
            p = cw_test_read_file(path, &n);
            CHECK(compare(p, n));
            body = strstr(p, "\r\n\r\n");
            if (body)
                CHECK(compare(body + 4, n - (size_t)(body + 4 - p)));
            free(p);
            files++;
        }
        closedir(dir);
    }
    CHECK(files >= 60);
}

/* The module's writer: control characters escaped the short way where
 * there is one, numbers exactly as they came (json.h), and for every value
 * the corpora hold, a text that Jansson's own loader reads as the value it
 * reads from the original, and that writes back the same. */
static void the_writer_agrees_with_jansson(void) {
    static const char *const dirs[] = {"../fuzz/corpus/json", "../fuzz/corpus/merge"};
    static const char escapes[] =
        "[\"\\b\\t\\n\\f\\r\\u0000\\u001f\\\"\\\\/\\u00e9\",-0.0,1e300,-5]";
    static const char numbers[] =
        "[1.50,-0,0,1E+2,123456789012345678901234567890,1e400,-9223372036854775808]";
    int values = 0;
    cw_buf out = CW_BUF_INIT;
    json_t *v = cw_json_load(escapes, strlen(escapes)), *theirs, *back;
    cw_buf again = CW_BUF_INIT;
    CHECK(v != NULL);
    CHECK_INT(cw_json_dump(v, &out), 0);
    CHECK_STR(out.p, "[\"\\b\\t\\n\\f\\r\\u0000\\u001F\\\"\\\\/\u00e9\",-0.0,1e300,-5]");
    json_decref(v);
    v = cw_json_load(numbers, strlen(numbers));
    out.len = 0;
    CHECK_INT(cw_json_dump(v, &out), 0);
    CHECK_STR(out.p, numbers);
    CHECK(json_is_integer(json_array_get(v, 2)) && json_is_integer(json_array_get(v, 6)));
    CHECK(json_is_string(json_array_get(v, 0)) &&
          json_string_value(json_array_get(v, 0))[0] == CW_JSON_NUMBER_MARK);
    json_decref(v);
    for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
        DIR *dir = opendir(dirs[d]);
        struct dirent *e;
        while (dir && (e = readdir(dir))) {
            char path[512];
            size_t n;
            char *p;
            if (e->d_name[0] == '.')
                continue;
            snprintf(path, sizeof path, "%s/%s", dirs[d], e->d_name);
            p = cw_test_read_file(path, &n);
            v = cw_json_load(p, n);
            if (!v) {
                free(p);
                continue;
            }
            out.len = 0;
            CHECK_INT(cw_json_dump(v, &out), 0);
            theirs = json_loadb(p, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
            back = json_loadb(out.p, out.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
            if (theirs && !json_equal(theirs, back)) {
                fprintf(stderr, "    %s: Jansson reads [%s] as another value\n", path, out.p);
                CHECK(!"the same value");
            }
            json_decref(theirs);
            json_decref(back);
            json_decref(v);
            /* Written again, the text is the same. */
            v = cw_json_load(out.p, out.len);
            again.len = 0;
            CHECK(v && cw_json_dump(v, &again) == 0 && again.len == out.len &&
                  memcmp(again.p, out.p, out.len) == 0);
            json_decref(v);
            free(p);
            values++;
        }
        if (dir)
            closedir(dir);
    }
    cw_buf_free(&out);
    cw_buf_free(&again);
    CHECK(values >= 15);
}

static void limits_and_stats(void) {
    cw_json_stats st;
    cw_error err;
    char deep[300];
    /* Brackets inside strings do not count. */
    CHECK_INT(cw_json_check("{\"a\":\"[[{{\"}", 12, 64, 1, &st, &err), 0);
    CHECK_INT(st.containers, 1);
    CHECK_INT(st.depth, 1);
    CHECK_INT(cw_json_check("{\"a\":[{},{},{}],\"b\":{}}", 23, 64, 5, &st, &err), -1);
    CHECK(strstr(err.message, "more than 5 arrays and objects") != NULL);
    /* 65 levels against a limit of 64, and the clamp at CW_JSON_MAX_DEPTH. */
    memset(deep, '[', 65);
    memset(deep + 65, ']', 65);
    CHECK_INT(cw_json_check(deep, 130, 64, 1000, &st, &err), -1);
    CHECK(strstr(err.message, "deeper than 64 levels") != NULL);
    CHECK_INT(cw_json_check(deep, 130, 65, 1000, &st, &err), 0);
    memset(deep, '[', 150);
    memset(deep + 150, ']', 150);
    CHECK_INT(cw_json_check(deep, 300, 1000, 1000, &st, &err), -1);
    /* Offsets in messages. */
    CHECK_INT(cw_json_check("[1,]", 4, 64, 10, NULL, &err), -1);
    CHECK_STR(err.message, "invalid JSON at byte 3: expected a value");
    CHECK_INT(cw_json_check("2\0", 2, 64, 10, NULL, &err), -1);
    CHECK_STR(err.message, "invalid JSON at byte 1: unexpected bytes after the JSON value");
}

/* The words JavaScript writes for values JSON cannot carry are refused, and,
 * in a text the glue wrote from a value, the message names the JSON
 * Pointer of where they stand (RFC 6901 escaping), so an RPC caller learns
 * which member was NaN. In a client's text they are invalid JSON. */
static void javascript_words_are_named_by_pointer(void) {
    static const char *const cases[][2] = {
        {"NaN", "NaN at \"\" is"},
        {"{\"n\":NaN}", "NaN at \"/n\" is"},
        {"{\"a\":[1,{\"b/c\":Infinity}]}", "Infinity at \"/a/1/b~1c\" is"},
        {"{\"~\":[-Infinity]}", "-Infinity at \"/~0/0\" is"},
        {"[0,[1,2,undefined]]", "undefined at \"/1/2\" is"},
        {"{\"x\":{\"y\":bigint}}", "bigint at \"/x/y\" is"},
        {"{\"f\":function}", "function at \"/f\" is"},
        {"{\"s\":symbol}", "symbol at \"/s\" is"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cw_error err = {0};
        cw_json_stats st;
        cw_slice text = {cases[i][0], strlen(cases[i][0])};
        json_t *v = cw_json_parse_js(text, 64, 65536, "body", &st, &err);
        CHECK(v == NULL);
        CHECK_INT(err.code, CW_E_INVALID_JSON);
        CHECK_INT(st.unjson, 1);
        if (!strstr(err.message, cases[i][1]))
            fprintf(stderr, "    %s: %s\n", cases[i][0], err.message);
        CHECK(strstr(err.message, cases[i][1]) != NULL);
        /* In a client's text they are bytes like any other: invalid JSON
         * at their offset. */
        CHECK(cw_json_parse(text, 64, 65536, "body", &st, &err) == NULL);
        CHECK_INT(err.code, CW_E_INVALID_JSON);
        CHECK_INT(st.unjson, 0);
        CHECK(strstr(err.message, "invalid JSON at byte ") == err.message);
    }
    {
        cw_error err = {0};
        CHECK(cw_json_parse((cw_slice){"{\"n\":NaN}", 9}, 64, 65536, "body", NULL, &err) == NULL);
        CHECK_STR(err.message, "invalid JSON at byte 5: expected a value");
        CHECK(cw_json_parse((cw_slice){"unwritable", 10}, 64, 65536, "body", NULL, &err) == NULL);
        CHECK_STR(err.message, "invalid JSON at byte 0: expected a value");
    }
    /* Other bad words are plain invalid JSON, not one of these. */
    {
        cw_error err = {0};
        cw_json_stats st;
        CHECK(cw_json_parse_js((cw_slice){"{\"a\":nope}", 10}, 64, 65536, "body", &st, &err) ==
              NULL);
        CHECK_INT(st.unjson, 0);
        CHECK(cw_json_parse_js((cw_slice){"{\"a\":fals}", 10}, 64, 65536, "body", &st, &err) ==
              NULL);
        CHECK_INT(st.unjson, 0);
    }
}

/* JSON Pointers (RFC 6901): written escaped, read back segment by segment. */
static void pointers_escape_and_parse(void) {
    cw_buf p = CW_BUF_INIT, seg = CW_BUF_INIT;
    size_t at = 0;
    cw_json_ptr_push(&p, "a/b", 3);
    cw_json_ptr_push(&p, "~c", 2);
    cw_json_ptr_push(&p, "", 0);
    CHECK_STR(p.p, "/a~1b/~0c/");
    CHECK_INT(cw_json_ptr_next(p.p, p.len, &at, &seg), 1);
    CHECK(seg.len == 3 && memcmp(seg.p, "a/b", 3) == 0);
    CHECK_INT(cw_json_ptr_next(p.p, p.len, &at, &seg), 1);
    CHECK(seg.len == 2 && memcmp(seg.p, "~c", 2) == 0);
    CHECK_INT(cw_json_ptr_next(p.p, p.len, &at, &seg), 1);
    CHECK_INT(seg.len, 0);
    CHECK_INT(cw_json_ptr_next(p.p, p.len, &at, &seg), 0);
    at = 0;
    CHECK_INT(cw_json_ptr_next("a", 1, &at, &seg), -1);
    at = 0;
    CHECK_INT(cw_json_ptr_next("/a~2", 4, &at, &seg), -1);
    cw_buf_free(&p);
    cw_buf_free(&seg);
}

/* cw_json_peek reads a member's plain string at an object text's top level
 * only, whatever the rest of the text holds. */
static void peek_reads_the_top_level_only(void) {
    static const char *const cases[][3] = {
        /* text, key, the value found (NULL: none) */
        {"{\"type\":\"patch\",\"mid\":\"m1\",\"patch\":{\"a\":1,\"a\":2}}", "mid", "m1"},
        {" \n{ \"mid\" : \"m2\" ,\"x\":[[[[[[", "mid", "m2"},
        {"{\"patch\":{\"mid\":\"inner\"},\"mid\":\"outer\"}", "mid", "outer"},
        {"{\"a\":[\"mid\",\"x\"],\"b\":\"mid\",\"mid\":\"m3\"}", "mid", "m3"},
        {"{\"a\":\"}\\\"{\",\"mid\":\"m4\"}", "mid", "m4"},
        {"{\"mid\":1}", "mid", NULL},
        {"{\"mid\":{\"mid\":\"x\"}}", "mid", NULL},
        {"{\"mid\":\"a\\u0041\"}", "mid", NULL},
        {"{\"m\\u0069d\":\"x\"}", "mid", NULL},
        {"{\"x\":\"mid\",\"y\":\"z\"}", "mid", NULL},
        {"[{\"mid\":\"x\"}]", "mid", NULL},
        {"{\"a\":{}}, {\"mid\":\"x\"}", "mid", NULL},
        {"{\"mid\":\"unterminated", "mid", NULL},
        {"", "mid", NULL},
        {"\xef\xbb\xbf{\"mid\":\"bom\",\"a\":nope}", "mid", "bom"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cw_slice v = {0};
        int found = cw_json_peek(cases[i][0], strlen(cases[i][0]), cases[i][1], &v);
        CHECK_INT(found, cases[i][2] != NULL);
        if (found && cases[i][2]) {
            CHECK_INT((long long)v.n, (long long)strlen(cases[i][2]));
            CHECK(memcmp(v.p, cases[i][2], v.n) == 0);
        }
    }
}

const cw_test cw_tests[] = {
    {"cases_from_the_grammar", cases_from_the_grammar},
    {"corpora_agree_with_the_recognizer", corpora_agree_with_the_recognizer},
    {"the_writer_agrees_with_jansson", the_writer_agrees_with_jansson},
    {"limits_and_stats", limits_and_stats},
    {"javascript_words_are_named_by_pointer", javascript_words_are_named_by_pointer},
    {"pointers_escape_and_parse", pointers_escape_and_parse},
    {"peek_reads_the_top_level_only", peek_reads_the_top_level_only},
    {NULL, NULL},
};
