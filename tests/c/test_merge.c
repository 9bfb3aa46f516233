/* test_merge.c - RFC 7386 merge patch, driven by data/rfc7386.tsv. */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "alloc.h"
#include "harness.h"
#include "merge.h"

static json_t *parse(const char *s) { return json_loads(s, JSON_DECODE_ANY, NULL); }

static void one_example(char **f) {
    json_t *target = parse(f[0]), *patch = parse(f[1]), *want = parse(f[2]), *got;
    CHECK(target && patch && want);
    got = cw_merge_patch(target, patch);
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
        fprintf(stderr, "    patch %s: got %s, want %s\n", f[1], g ? g : "NULL", f[2]);
        cw_alloc_free(g);
        CHECK(!"merge result differs");
    }
    json_decref(got);
    json_decref(patch);
    json_decref(want);
}

static void rfc7386_examples(void) {
    CHECK_INT(cw_test_each_case("data/rfc7386.tsv", 3, one_example), 16);
}

static void absent_target_is_empty_object(void) {
    json_t *patch = parse("{\"a\":{\"b\":null,\"c\":1}}");
    json_t *got = cw_merge_patch(NULL, patch);
    json_t *want = parse("{\"a\":{\"c\":1}}");
    CHECK(json_equal(got, want));
    json_decref(got);
    json_decref(patch);
    json_decref(want);
}

static void patch_is_not_modified(void) {
    json_t *patch = parse("{\"a\":{\"b\":null},\"c\":[1]}");
    json_t *before = json_deep_copy(patch);
    json_t *got = cw_merge_patch(parse("{\"a\":{\"b\":1}}"), patch);
    CHECK(json_equal(patch, before));
    json_decref(got);
    json_decref(patch);
    json_decref(before);
}

const cw_test cw_tests[] = {
    {"rfc7386_examples", rfc7386_examples},
    {"absent_target_is_empty_object", absent_target_is_empty_object},
    {"patch_is_not_modified", patch_is_not_modified},
    {NULL, NULL},
};
