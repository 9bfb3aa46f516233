/* test_journal.c - the paths a merge patch touches (RFC 6901 pointers), the
 * overlap rule, changes entries, and retention cuts. */
#include <stdio.h>

#include <jansson.h>

#include "alloc.h"
#include "harness.h"
#include "journal.h"
#include "json.h"

static json_t *J(const char *s) { return cw_json_load(s, strlen(s)); }

/* The paths of patch text, joined with spaces. */
static char *paths_of(const char *patch) {
    static char out[1024];
    json_t *p = J(patch), *paths = cw_journal_paths(p), *v;
    size_t i;
    out[0] = '\0';
    json_array_foreach(paths, i, v) {
        if (i)
            strcat(out, " ");
        strcat(out, json_string_value(v));
    }
    json_decref(p);
    json_decref(paths);
    return out;
}

static void paths_are_rfc6901_pointers(void) {
    CHECK_STR(paths_of("{\"a\":1}"), "/a");
    CHECK_STR(paths_of("{\"a\":{\"b\":1,\"c\":null},\"d\":[1]}"), "/a/b /a/c /d");
    /* An empty object is a leaf: it creates or replaces one. */
    CHECK_STR(paths_of("{\"a\":{}}"), "/a");
    /* Escapes: "~" as "~0", "/" as "~1", in that order of meaning. */
    CHECK_STR(paths_of("{\"a/b\":1,\"m~n\":2,\"~1\":3}"), "/a~1b /m~0n /~01");
    /* The empty key is a segment too; so is a key of spaces. */
    CHECK_STR(paths_of("{\"\":{\"\":1},\" \":2}"), "// / ");
    CHECK_STR(paths_of("{\"\\u00e9\":{\"x\":true}}"), "/\xc3\xa9/x");
    CHECK_STR(paths_of("{}"), "");
}

/* 1 when some path of mine overlaps one of theirs. */
static int clash(const char *mine, const char *theirs) {
    json_t *m = J(mine), *t = J(theirs), *pm = cw_journal_paths(m), *pt = cw_journal_paths(t);
    json_t *seen, *above, *hits;
    int n;
    CHECK_INT(cw_journal_cover(pt, &seen, &above), 0);
    hits = cw_journal_conflicts(pm, seen, above);
    n = (int)json_array_size(hits);
    json_decref(m);
    json_decref(t);
    json_decref(pm);
    json_decref(pt);
    json_decref(seen);
    json_decref(above);
    json_decref(hits);
    return n;
}

static void overlap_is_by_segment(void) {
    /* Equal, parent, child. */
    CHECK_INT(clash("{\"a\":1}", "{\"a\":2}"), 1);
    CHECK_INT(clash("{\"a\":1}", "{\"a\":{\"b\":2}}"), 1);
    CHECK_INT(clash("{\"a\":{\"b\":1}}", "{\"a\":2}"), 1);
    CHECK_INT(clash("{\"a\":{\"b\":{\"c\":1}}}", "{\"a\":{\"b\":null}}"), 1);
    /* Siblings, and prefixes of characters that are not prefixes of segments. */
    CHECK_INT(clash("{\"a\":{\"b\":1}}", "{\"a\":{\"c\":1}}"), 0);
    CHECK_INT(clash("{\"ab\":1}", "{\"a\":1}"), 0);
    CHECK_INT(clash("{\"a\":1}", "{\"ab\":{\"c\":1}}"), 0);
    /* "/a~1b" is the key "a/b", not the path a, b. */
    CHECK_INT(clash("{\"a/b\":1}", "{\"a\":{\"b\":1}}"), 0);
    CHECK_INT(clash("{\"a\":{\"b\":1}}", "{\"a/b\":1}"), 0);
    CHECK_INT(clash("{\"a/b\":1}", "{\"a/b\":2}"), 1);
    /* "~01" is the key "~1", not "/". */
    CHECK_INT(clash("{\"~1\":1}", "{\"/\":1}"), 0);
    /* The empty key: "/" is above "//x", and not the same as "/x". */
    CHECK_INT(clash("{\"\":1}", "{\"\":{\"x\":1}}"), 1);
    CHECK_INT(clash("{\"\":1}", "{\"x\":1}"), 0);
    /* Only this patch's paths in conflict are named. */
    CHECK_INT(clash("{\"a\":1,\"b\":{\"c\":1,\"d\":1}}", "{\"b\":{\"d\":5},\"z\":1}"), 1);
}

static void entries_render_as_json(void) {
    cw_buf b = CW_BUF_INIT;
    json_t *e;
    cw_journal_entry(&b, 7, 1700000000123LL, "rid-1", 5, NULL, 0, "{\"a\":1}", 7);
    e = J(b.p);
    CHECK_INT(json_integer_value(json_object_get(e, "version")), 7);
    CHECK_INT(json_integer_value(json_object_get(e, "at")), 1700000000123LL);
    CHECK(json_is_null(json_object_get(e, "actor")));
    CHECK_INT(json_integer_value(json_object_get(json_object_get(e, "patch"), "a")), 1);
    json_decref(e);
    b.len = 0;
    cw_journal_entry(&b, 8, 0, "r", 1, "a \"quoted\" actor", 16, "{}", 2);
    e = J(b.p);
    CHECK_STR(json_string_value(json_object_get(e, "actor")), "a \"quoted\" actor");
    json_decref(e);
    cw_buf_free(&b);
}

static void retention_cuts_to_ninety_percent(void) {
    long long sizes[20];
    for (int i = 0; i < 20; i++)
        sizes[i] = 100;
    /* Within both limits: nothing. */
    CHECK_INT(cw_journal_cut(10, 1000, 10, 100000, sizes, 10), 0);
    /* One entry over 10: down to 9 (90%). */
    CHECK_INT(cw_journal_cut(11, 1100, 10, 100000, sizes, 10), 2);
    /* Bytes over: down to 90% of the bytes. */
    CHECK_INT(cw_journal_cut(5, 2000, 100, 1000, (long long[]){500, 500, 500, 400}, 4), 3);
    /* Never the newest entry, however big. */
    CHECK_INT(cw_journal_cut(2, 5000, 100, 1000, (long long[]){100}, 1), 1);
    CHECK_INT(cw_journal_cut(1, 5000, 100, 1000, sizes, 0), 0);
    CHECK(cw_journal_over(11, 1, 10, 1000));
    CHECK(!cw_journal_over(10, 1000, 10, 1000));
}

const cw_test cw_tests[] = {
    {"paths_are_rfc6901_pointers", paths_are_rfc6901_pointers},
    {"overlap_is_by_segment", overlap_is_by_segment},
    {"entries_render_as_json", entries_render_as_json},
    {"retention_cuts_to_ninety_percent", retention_cuts_to_ninety_percent},
    {NULL, NULL},
};
