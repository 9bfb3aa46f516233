/* test_merge.c - RFC 7386 merge patch, driven by data/rfc7386.tsv. */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "harness.h"
#include "merge.h"

static json_t *parse(const char *s) { return json_loads(s, JSON_DECODE_ANY, NULL); }

static void rfc7386_examples(void) {
    char *data = cw_test_read_file("data/rfc7386.tsv", NULL);
    char *line = data;
    int cases = 0;

    while (line && *line) {
        char *next = strchr(line, '\n');
        char *f[3];
        if (next)
            *next++ = '\0';
        if (line[0] != '#' && line[0] != '\0') {
            json_t *target, *patch, *want, *got;
            CHECK_INT(cw_test_split(line, '\t', f, 3), 3);
            target = parse(f[0]);
            patch = parse(f[1]);
            want = parse(f[2]);
            CHECK(target && patch && want);
            got = cw_merge_patch(target, patch);
            if (!json_equal(got, want)) {
                char *g = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
                fprintf(stderr, "    patch %s: got %s, want %s\n", f[1], g ? g : "NULL", f[2]);
                free(g);
                CHECK(!"merge result differs");
            }
            json_decref(got);
            json_decref(patch);
            json_decref(want);
            cases++;
        }
        line = next;
    }
    CHECK_INT(cases, 16);
    free(data);
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
