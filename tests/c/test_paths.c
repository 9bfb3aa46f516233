/* test_paths.c - pointer prefixes (paths.h): what they cover, RFC 6901
 * escaping, sibling names, the normal form of a list, what a merge patch
 * touches (parent replacement, null deletes of a parent, __proto__), and
 * projections of a state and of a patch. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "harness.h"
#include "paths.h"

static json_t *J(const char *text) {
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    CHECK(v != NULL);
    return v;
}

/* The normal list of a JSON array text. */
static json_t *L(const char *text) {
    json_t *v = J(text), *out = NULL;
    const char *why = NULL;
    CHECK_INT(cw_paths_read(v, &out, &why), 0);
    json_decref(v);
    return out;
}

static int same(json_t *got, const char *want) {
    json_t *w = J(want);
    int eq = json_equal(got, w);
    if (!eq) {
        char *g = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
        fprintf(stderr, "    got %s, want %s\n", g, want);
        free(g);
    }
    json_decref(w);
    return eq;
}

static void pointers_and_lists(void) {
    const char *why;
    json_t *out, *v;
    CHECK(cw_paths_pointer_ok("", 0));
    CHECK(cw_paths_pointer_ok("/a~0b~1c", 8));
    CHECK(!cw_paths_pointer_ok("a", 1));
    CHECK(!cw_paths_pointer_ok("/a~", 3));
    CHECK(!cw_paths_pointer_ok("/a~2", 4));
    CHECK(!cw_paths_pointer_ok("/a\0b", 4));
    /* Not lists: not an array, a non-string, a bad pointer, too many. */
    const char *bad[] = {"{}", "\"/a\"", "[1]", "[\"a\"]", "[\"/a~x\"]", NULL};
    for (int i = 0; bad[i]; i++) {
        v = J(bad[i]);
        why = NULL;
        CHECK_INT(cw_paths_read(v, &out, &why), -1);
        CHECK(why != NULL);
        json_decref(v);
    }
    v = json_array();
    for (int i = 0; i < CW_PATHS_MAX + 1; i++)
        json_array_append_new(v, json_string("/x"));
    CHECK_INT(cw_paths_read(v, &out, &why), -1);
    json_decref(v);
    /* "" is the whole document: NULL. */
    v = J("[\"/a\", \"\"]");
    CHECK_INT(cw_paths_read(v, &out, &why), 0);
    CHECK(out == NULL);
    json_decref(v);
    /* Normal form: an entry under another goes, duplicates go, siblings stay. */
    out = L("[\"/users/alice/x\", \"/users/al\", \"/users/alice\", \"/users/al\", \"/cards\"]");
    CHECK(same(out, "[\"/users/al\", \"/users/alice\", \"/cards\"]"));
    json_decref(out);
}

static void cover_is_exact_under_escaping(void) {
    json_t *l = L("[\"/users/al\", \"/a~1b\", \"/t~0\"]");
    CHECK(cw_paths_covers(l, "/users/al", 9));
    CHECK(cw_paths_covers(l, "/users/al/x", 11));
    CHECK(!cw_paths_covers(l, "/users/alice", 12)); /* a sibling sharing a name prefix */
    CHECK(!cw_paths_covers(l, "/users/al~1x", 12)); /* the member "al/x" */
    CHECK(!cw_paths_covers(l, "/users", 6));
    CHECK(!cw_paths_covers(l, "", 0));
    CHECK(cw_paths_covers(l, "/a~1b", 5));  /* the member "a/b" */
    CHECK(!cw_paths_covers(l, "/a/b", 4));  /* the member "b" of "a" */
    CHECK(cw_paths_covers(l, "/t~0/x", 6)); /* under the member "t~" */
    CHECK(!cw_paths_covers(l, "/t~01", 5)); /* the member "t~1" */
    CHECK(cw_paths_above(l, "/users", 6));
    CHECK(cw_paths_above(l, "", 0));
    CHECK(!cw_paths_above(l, "/users/al", 9));
    CHECK(!cw_paths_above(l, "/use", 4));
    CHECK(cw_paths_covers(NULL, "/anything", 9));
    CHECK(!cw_paths_above(NULL, "", 0));
    /* The covering entry's segments: its depth, escaped slashes not counted. */
    CHECK_INT(cw_paths_covering(l, "/users/al/x/y", 13), 2);
    CHECK_INT(cw_paths_covering(l, "/a~1b/0", 7), 1);
    CHECK_INT(cw_paths_covering(l, "/users/alice", 12), -1);
    CHECK_INT(cw_paths_covering(NULL, "/anything", 9), 0);
    json_decref(l);
}

/* The document the touch checks run against. */
static json_t *doc;

static int doc_object(void *arg, const char *p, size_t n) {
    json_t *v = doc;
    char seg[256];
    size_t i = 0;
    (void)arg;
    while (i < n) {
        size_t k = 0;
        if (!json_is_object(v))
            return 1; /* nothing at p: a value above it is its own pointer's */
        for (i++; i < n && p[i] != '/'; i++)
            seg[k++] = p[i] == '~' ? (p[++i] == '1' ? '/' : '~') : p[i];
        seg[k] = '\0';
        if (!(v = json_object_get(v, seg)))
            return 1;
    }
    return json_is_object(v);
}

/* The pointers patch touches outside list, as a JSON array text. */
static int touches(const char *list, const char *patch, const char *want) {
    json_t *l = L(list), *p = J(patch), *out = json_array();
    int n = cw_paths_outside(p, l, doc_object, NULL, out);
    int ok = n == (int)json_array_size(out) && same(out, want);
    json_decref(l);
    json_decref(p);
    json_decref(out);
    return ok;
}

static void what_a_patch_touches(void) {
    const char *w = "[\"/cursors/ann\", \"/users/ann\"]";
    doc = J(
        "{\"users\":{\"ann\":{\"n\":1},\"bob\":{\"n\":2}},\"cursors\":{},\"title\":\"t\",\"s\":5}");
    CHECK(touches(w, "{\"users\":{\"ann\":{\"n\":3}}}", "[]"));
    CHECK(touches(w, "{\"users\":{\"ann\":null},\"cursors\":{\"ann\":[1,2]}}", "[]"));
    /* Another member, the title, a sibling sharing a prefix. */
    CHECK(touches(w, "{\"users\":{\"bob\":{\"n\":0}},\"title\":\"x\"}",
                  "[\"/users/bob\", \"/title\"]"));
    CHECK(touches(w, "{\"users\":{\"annie\":1,\"ann~\":1,\"ann/x\":1}}",
                  "[\"/users/annie\", \"/users/ann~0\", \"/users/ann~1x\"]"));
    /* Replacing or deleting a parent touches everything under it. */
    CHECK(touches(w, "{\"users\":null}", "[\"/users\"]"));
    CHECK(touches(w, "{\"users\":{\"ann\":{}},\"cursors\":5}", "[\"/cursors\"]"));
    CHECK(touches(w, "{\"users\":[\"ann\"]}", "[\"/users\"]"));
    /* A merge into a parent that holds a value, not an object, replaces it. */
    json_object_set_new(doc, "cursors", json_string("flat"));
    CHECK(touches(w, "{\"cursors\":{\"ann\":1}}", "[\"/cursors\"]"));
    /* ... and into a parent that is not there creates it: allowed. */
    json_object_del(doc, "cursors");
    CHECK(touches(w, "{\"cursors\":{\"ann\":1}}", "[]"));
    /* __proto__ is a member like any other. */
    CHECK(touches(w, "{\"__proto__\":{\"ann\":1},\"users\":{\"__proto__\":1}}",
                  "[\"/__proto__\", \"/users/__proto__\"]"));
    CHECK(touches("[\"/__proto__\"]", "{\"__proto__\":{\"x\":1}}", "[]"));
    /* The whole document: nothing is outside. */
    json_t *p = J("{\"a\":null}"), *out = json_array();
    CHECK_INT(cw_paths_outside(p, NULL, doc_object, NULL, out), 0);
    CHECK_INT((int)json_array_size(out), 0);
    json_decref(p);
    json_decref(out);
    json_decref(doc);
}

static int projects(const char *list, const char *value, int patch, const char *want) {
    json_t *l = L(list), *v = J(value), *got = cw_paths_project(v, l, patch);
    int ok = got && same(got, want);
    json_decref(l);
    json_decref(v);
    json_decref(got);
    return ok;
}

static void projections(void) {
    const char *r = "[\"/cards/c17\", \"/meta\", \"/users/al\"]";
    const char *state = "{\"cards\":{\"c17\":{\"t\":1},\"c18\":{\"t\":2}},\"meta\":{\"v\":1},"
                        "\"users\":{\"alice\":1,\"al\":{\"x\":[1]}},\"other\":5}";
    CHECK(projects(
        r, state, 0,
        "{\"cards\":{\"c17\":{\"t\":1}},\"meta\":{\"v\":1},\"users\":{\"al\":{\"x\":[1]}}}"));
    CHECK(projects(r, "{\"cards\":{\"c18\":1},\"meta\":5}", 0, "{\"meta\":5}"));
    CHECK(projects(r, "{\"cards\":7}", 0, "{}"));
    /* A patch: the part under the entries; a delete or replacement above an
     * entry is null at the entry; nothing of others. */
    CHECK(projects(r, "{\"cards\":{\"c17\":{\"t\":9},\"c18\":null},\"x\":1}", 1,
                   "{\"cards\":{\"c17\":{\"t\":9}}}"));
    CHECK(projects(r, "{\"cards\":null,\"meta\":{\"v\":null}}", 1,
                   "{\"cards\":{\"c17\":null},\"meta\":{\"v\":null}}"));
    CHECK(projects(r, "{\"users\":\"flat\"}", 1, "{\"users\":{\"al\":null}}"));
    CHECK(projects(r, "{\"users\":{\"alice\":2}}", 1, "{}"));
    CHECK(projects(r, "{\"cards\":{\"c17\":null}}", 1, "{\"cards\":{\"c17\":null}}"));
    /* NULL: the whole value. */
    json_t *v = J(state), *all = cw_paths_project(v, NULL, 0);
    CHECK(json_equal(v, all));
    json_decref(all);
    json_decref(v);
}

/* Where two lists both reach: of each pair, the one under the other. */
static void meets(void) {
    json_t *a = L("[\"/cards\", \"/meta/x\", \"/users/al\"]"),
           *b = L("[\"/cards/c17\", \"/meta\", \"/users/alice\"]");
    int oom = 0;
    json_t *m = cw_paths_meet(a, b, &oom);
    CHECK(!oom && same(m, "[\"/cards/c17\", \"/meta/x\"]"));
    json_decref(m);
    m = cw_paths_meet(NULL, b, &oom);
    CHECK(m == b);
    json_decref(m);
    CHECK(cw_paths_meet(NULL, NULL, &oom) == NULL && !oom);
    json_t *none = L("[\"/z\"]");
    m = cw_paths_meet(a, none, &oom);
    CHECK(!oom && json_array_size(m) == 0); /* nothing both reach: an empty list, not everything */
    json_decref(m);
    json_decref(none);
    json_decref(a);
    json_decref(b);
}

const cw_test cw_tests[] = {
    {"pointers_and_lists", pointers_and_lists},
    {"cover_is_exact_under_escaping", cover_is_exact_under_escaping},
    {"what_a_patch_touches", what_a_patch_touches},
    {"projections", projections},
    {"meets", meets},
    {NULL, NULL},
};
