/* test_tree.c - the layout by path (tree.h): plans applied to a document
 * held whole agree with RFC 7386 applied to a plain value, objects spill
 * past the threshold and come back under it, deletes and replacements at
 * depth, arrays stay atomic, and the limits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "alloc.h"
#include "harness.h"
#include "json.h"
#include "merge.h"
#include "tree.h"

static const cw_tree_limits LIM = {1800000, 64LL << 20, 64, 65536};

/* Plans patch (JSON text) into t, applies it and checks the document
 * against the reference (merged the plain way). Returns the plan's rc. */
static int step(cw_tree *t, json_t **ref, const char *patch_text) {
    cw_tree_source src;
    cw_tree_change c;
    cw_error err = {0};
    json_t *patch = json_loads(patch_text, 0, NULL), *got;
    cw_buf out = CW_BUF_INIT;
    int rc;
    CHECK(patch != NULL);
    cw_tree_source_of(t, &src);
    rc = cw_tree_plan(&src, patch, t->size, &LIM, &c, &err);
    if (rc == 0) {
        CHECK_INT(cw_tree_apply(t, &c), 0);
        *ref = cw_merge_patch(*ref, patch);
        CHECK_INT(cw_tree_render(t, &out), 0);
        got = json_loadb(out.p, out.len, 0, NULL);
        if (!json_equal(got, *ref)) {
            char *want = json_dumps(*ref, JSON_COMPACT);
            fprintf(stderr, "    after %.80s: got %.200s, want %.200s\n", patch_text, out.p, want);
            free(want);
            CHECK(!"the document matches RFC 7386");
        }
        json_decref(got);
    }
    cw_tree_change_free(&c);
    cw_buf_free(&out);
    json_decref(patch);
    return rc;
}

/* A patch setting n members kNNNNN of object name (or deleting them, with
 * value NULL), as JSON text. */
static char *members(const char *name, int from, int n, const char *value) {
    cw_buf b = CW_BUF_INIT;
    char k[32];
    cw_buf_puts(&b, "{\"");
    cw_buf_puts(&b, name);
    cw_buf_puts(&b, "\":{");
    for (int i = from; i < from + n; i++) {
        snprintf(k, sizeof k, "%s\"k%05d\":", i > from ? "," : "", i);
        cw_buf_puts(&b, k);
        cw_buf_puts(&b, value ? value : "null");
    }
    cw_buf_puts(&b, "}}");
    return cw_buf_take(&b, NULL);
}

static int spilled(const cw_tree *t, const char *key) {
    return json_is_object(json_object_get(t->root, key));
}

static void an_object_spills_past_the_threshold_and_comes_back_under_it(void) {
    cw_tree t;
    json_t *ref = json_object();
    char *p;
    CHECK_INT(cw_tree_init(&t), 0);
    p = members("big", 0, 20, "\"0123456789\"");
    CHECK_INT(step(&t, &ref, p), 0);
    cw_alloc_free(p);
    CHECK(!spilled(&t, "big")); /* 20 short members: inline */
    p = members("big", 20, 300, "\"0123456789\"");
    CHECK_INT(step(&t, &ref, p), 0);
    cw_alloc_free(p);
    CHECK(spilled(&t, "big")); /* over CW_TREE_SPILL: a row per member */
    CHECK(json_integer_value(json_object_get(t.sizes, "/big")) > CW_TREE_SPILL);
    /* A write to one member touches that member only. */
    {
        cw_tree_source src;
        cw_tree_change c;
        cw_error err = {0};
        json_t *patch = json_loads("{\"big\":{\"k00007\":\"x\"}}", 0, NULL);
        cw_tree_source_of(&t, &src);
        CHECK_INT(cw_tree_plan(&src, patch, t.size, &LIM, &c, &err), 0);
        CHECK_INT(c.n, 2); /* the member's row, the object's size */
        CHECK(c.ops[0].op == CW_TREE_PUT && strcmp(c.ops[0].parent, "/big") == 0 &&
              strcmp(c.ops[0].key, "k00007") == 0 && strcmp(c.ops[0].text, "\"x\"") == 0);
        CHECK(c.ops[1].op == CW_TREE_PUT && c.ops[1].text == NULL &&
              strcmp(c.ops[1].key, "big") == 0);
        cw_tree_change_free(&c);
        json_decref(patch);
    }
    /* Deleted down to a few members: back inline, as one value. */
    p = members("big", 0, 315, NULL);
    CHECK_INT(step(&t, &ref, p), 0);
    cw_alloc_free(p);
    CHECK(!spilled(&t, "big"));
    CHECK(json_object_get(t.sizes, "/big") == NULL);
    json_decref(ref);
    cw_tree_free(&t);
}

static void nested_spills_deletes_and_replacements_at_depth(void) {
    cw_tree t;
    json_t *ref = json_object();
    char *p;
    cw_buf b = CW_BUF_INIT;
    CHECK_INT(cw_tree_init(&t), 0);
    /* {"a":{"b":{"c":{ 400 members }}}}: every level spills. */
    cw_buf_puts(&b, "{\"a\":{\"b\":");
    p = members("c", 0, 400, "{\"v\":\"0123456789\"}");
    cw_buf_puts(&b, p);
    cw_alloc_free(p);
    cw_buf_puts(&b, ",\"x/y~z\":1}}");
    CHECK_INT(step(&t, &ref, b.p), 0);
    CHECK(json_object_get(t.sizes, "/a") && json_object_get(t.sizes, "/a/b") &&
          json_object_get(t.sizes, "/a/b/c"));
    /* A deep leaf, a deep delete, a key with / and ~ (escaped in pointers). */
    CHECK_INT(step(&t, &ref, "{\"a\":{\"b\":{\"c\":{\"k00003\":{\"v\":null,\"w\":[1,2]}}}}}"), 0);
    CHECK_INT(step(&t, &ref, "{\"a\":{\"b\":{\"c\":{\"k00004\":null}},\"x/y~z\":2}}"), 0);
    /* An object replaced by a scalar: its rows go; and back to an object. */
    CHECK_INT(step(&t, &ref, "{\"a\":{\"b\":5}}"), 0);
    CHECK(json_object_get(t.sizes, "/a/b") == NULL && json_object_get(t.sizes, "/a/b/c") == NULL);
    p = members("b", 0, 400, "\"0123456789\"");
    cw_buf_free(&b);
    cw_buf_puts(&b, "{\"a\":");
    cw_buf_puts(&b, p);
    cw_buf_puts(&b, "}");
    cw_alloc_free(p);
    CHECK_INT(step(&t, &ref, b.p), 0);
    CHECK(json_object_get(t.sizes, "/a/b") != NULL);
    /* The whole of a spilled subtree deleted. */
    CHECK_INT(step(&t, &ref, "{\"a\":null}"), 0);
    CHECK_INT(json_object_size(t.sizes), 0);
    CHECK_INT(t.size, 0);
    cw_buf_free(&b);
    json_decref(ref);
    cw_tree_free(&t);
}

static void arrays_are_atomic_values(void) {
    cw_tree t;
    json_t *ref = json_object();
    cw_buf b = CW_BUF_INIT;
    CHECK_INT(cw_tree_init(&t), 0);
    cw_buf_puts(&b, "{\"list\":[");
    for (int i = 0; i < 2000; i++)
        cw_buf_puts(&b, i ? ",{\"n\":1}" : "{\"n\":1}");
    cw_buf_puts(&b, "]}");
    CHECK_INT(step(&t, &ref, b.p), 0);
    CHECK(json_is_string(json_object_get(t.root, "list"))); /* one value, however long */
    CHECK_INT(step(&t, &ref, "{\"list\":[1]}"), 0);
    cw_buf_free(&b);
    json_decref(ref);
    cw_tree_free(&t);
}

static void limits_are_kept(void) {
    cw_tree t;
    json_t *ref = json_object();
    cw_tree_limits small = {100, 300, 64, 65536};
    cw_tree_source src;
    cw_tree_change c;
    cw_error err = {0};
    json_t *patch;
    CHECK_INT(cw_tree_init(&t), 0);
    cw_tree_source_of(&t, &src);
    patch =
        json_loads("{\"a\":\"0123456789012345678901234567890123456789012345678901234567890123456789"
                   "0123456789012345678901234567890123456789\"}",
                   0, NULL);
    CHECK_INT(cw_tree_plan(&src, patch, 0, &small, &c, &err), -1);
    CHECK_INT(err.code, CW_E_TOO_LARGE);
    CHECK(strstr(err.message, "at \"/a\"") != NULL);
    CHECK_INT(c.n, 0);
    json_decref(patch);
    patch = json_loads("{\"a\":\"0123456789\",\"b\":\"0123456789\"}", 0, NULL);
    CHECK_INT(cw_tree_plan(&src, patch, 290, &small, &c, &err), -1);
    CHECK(strstr(err.message, "stored-state limit") != NULL);
    json_decref(patch);
    json_decref(ref);
    cw_tree_free(&t);
}

/* Random patches at depths up to 8, objects growing past and shrinking
 * under the thresholds: the document always matches the plain merge. */
static void random_patches_match_the_plain_merge(void) {
    cw_tree t;
    json_t *ref = json_object();
    unsigned seed = 12345;
    CHECK_INT(cw_tree_init(&t), 0);
    for (int round = 0; round < 400; round++) {
        cw_buf b = CW_BUF_INIT;
        int depth, n;
        seed = seed * 1103515245u + 12345u;
        depth = (int)(seed >> 8) % 8 + 1;
        n = (int)(seed >> 12) % 120 + 1;
        for (int d = 0; d < depth; d++) {
            char k[16];
            snprintf(k, sizeof k, "{\"d%u\":", (seed >> (d + 3)) % 3);
            cw_buf_puts(&b, k);
        }
        cw_buf_puts(&b, "{");
        for (int i = 0; i < n; i++) {
            char m[64];
            unsigned r = (seed >> (i % 16)) ^ (unsigned)(i * 2654435761u);
            snprintf(m, sizeof m, "%s\"m%u\":%s", i ? "," : "", r % 150,
                     r % 5 == 0   ? "null"
                     : r % 7 == 0 ? "{\"x\":[1,2,3]}"
                                  : "\"0123456789abcdef\"");
            cw_buf_puts(&b, m);
        }
        cw_buf_puts(&b, "}");
        for (int d = 0; d < depth; d++)
            cw_buf_puts(&b, "}");
        CHECK_INT(step(&t, &ref, b.p), 0);
        cw_buf_free(&b);
    }
    json_decref(ref);
    cw_tree_free(&t);
}

const cw_test cw_tests[] = {
    {"an_object_spills_past_the_threshold_and_comes_back_under_it",
     an_object_spills_past_the_threshold_and_comes_back_under_it},
    {"nested_spills_deletes_and_replacements_at_depth",
     nested_spills_deletes_and_replacements_at_depth},
    {"arrays_are_atomic_values", arrays_are_atomic_values},
    {"limits_are_kept", limits_are_kept},
    {"random_patches_match_the_plain_merge", random_patches_match_the_plain_merge},
    {NULL, NULL},
};
