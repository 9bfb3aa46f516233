/* test_doc.c - the owner's document cache: a document held whole loads its
 * rows, renders, takes a committed change (and a change rendered onto a
 * copy leaves it as it was), grows past what is held whole and becomes
 * paged, and the byte budget evicts the least recently used. */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "alloc.h"
#include "doc.h"
#include "harness.h"
#include "json.h"

static const cw_tree_limits LIM = {1800000, 64LL << 20, 64, 65536};

static json_t *J(const char *s) { return cw_json_load(s, strlen(s)); }

/* A resident document at version 3 from rows (parent, key, text or NULL,
 * size), NULL-terminated. */
static cw_doc *doc_with(const char *id, const char *const *rows) {
    cw_doc *d = cw_doc_new(id, 3, 1, 0);
    cw_error err;
    for (; *rows; rows += 4)
        CHECK_INT(cw_doc_load_row(d, rows[0], strlen(rows[0]), rows[1], strlen(rows[1]), rows[2],
                                  rows[2] ? strlen(rows[2]) : 0, atoll(rows[3]), &err),
                  0);
    return d;
}

static char *render(const cw_doc *d) {
    static char out[4096];
    cw_buf b = CW_BUF_INIT;
    cw_doc_render(d, &b);
    snprintf(out, sizeof out, "%s", b.p ? b.p : "");
    cw_buf_free(&b);
    return out;
}

static int plan(cw_doc *d, const char *patch, cw_tree_change *c) {
    cw_tree_source src;
    cw_error err;
    json_t *p = J(patch);
    int rc;
    cw_doc_source(d, &src);
    rc = cw_tree_plan(&src, p, d->size, &LIM, c, &err);
    json_decref(p);
    return rc;
}

static void a_loaded_document_renders_and_takes_a_change(void) {
    /* {"z":1,"big":{spilled: "x":"y"},"m":"x"} as rows. */
    static const char *const rows[] = {"",  "z",     "1", "2",    "",  "big",   NULL, "8", "",
                                       "m", "\"x\"", "4", "/big", "x", "\"y\"", "4",  NULL};
    cw_doc *d = doc_with("t1", rows);
    cw_tree_change c = {0};
    cw_buf view = CW_BUF_INIT;
    CHECK_STR(render(d), "{\"z\":1,\"big\":{\"x\":\"y\"},\"m\":\"x\"}");
    CHECK_INT(d->size, 14);
    CHECK_INT(plan(d, "{\"big\":{\"x\":null,\"w\":2},\"z\":null,\"n\":[]}", &c), 0);
    /* Staged ahead of its commit: rendered, but no committed version held. */
    CHECK_INT(cw_doc_stage(d, &c), 0);
    CHECK_INT(d->version, -1);
    CHECK_STR(render(d), "{\"big\":{\"w\":2},\"m\":\"x\",\"n\":[]}");
    /* It stood: the version, not applied twice. */
    CHECK_INT(cw_doc_apply(d, &c, 4, &view), 0);
    CHECK_INT(d->version, 4);
    CHECK_STR(render(d), "{\"big\":{\"w\":2},\"m\":\"x\",\"n\":[]}");
    cw_tree_change_free(&c);
    /* Applied without staging, as a write no view was needed for. */
    CHECK_INT(plan(d, "{\"m\":null}", &c), 0);
    CHECK_INT(cw_doc_apply(d, &c, 5, &view), 0);
    CHECK_STR(render(d), "{\"big\":{\"w\":2},\"n\":[]}");
    cw_tree_change_free(&c);
    cw_doc_drop("t1");
}

static void malformed_rows_are_refused(void) {
    cw_doc *d = cw_doc_new("t2", 1, 1, 0);
    cw_error err;
    /* A row under an object no row made. */
    CHECK_INT(cw_doc_load_row(d, "/nope", 5, "k", 1, "1", 1, 2, &err), -1);
    CHECK_INT(err.code, CW_E_STORAGE);
    CHECK(cw_doc_find("t2") == NULL); /* dropped */
}

static void a_document_grown_past_what_is_held_whole_becomes_paged(void) {
    static const char *const rows[] = {"", "a", "1", "2", NULL};
    cw_doc *d = doc_with("t3", rows);
    cw_tree_change c = {0};
    cw_buf view = CW_BUF_INIT;
    CHECK_INT(plan(d, "{\"b\":2}", &c), 0);
    c.size = CW_DOC_RESIDENT + 1; /* as if it had grown so */
    cw_buf_puts(&view, "{\"id\":\"t3\"}");
    CHECK_INT(cw_doc_apply(d, &c, 4, &view), 0);
    CHECK_INT(d->resident, 0);
    CHECK_INT(d->size, CW_DOC_RESIDENT + 1);
    CHECK_INT(d->view.len, 0); /* no serialization is kept of a paged document */
    cw_tree_change_free(&c);
    cw_buf_free(&view);
    cw_doc_drop("t3");
}

static void the_budget_evicts_the_least_recently_used(void) {
    static const char *const rows[] = {"", "a", "\"0123456789012345678901234567890123456789\"",
                                       "43", NULL};
    size_t one, live = cw_alloc_live();
    cw_doc_drop_all();
    CHECK_INT(cw_alloc_live(), live - 0); /* nothing held before */
    doc_with("e1", rows);
    one = cw_doc_bytes();
    CHECK(one > 40);
    doc_with("e2", rows);
    doc_with("e3", rows);
    CHECK_INT(cw_doc_bytes(), 3 * one);
    CHECK(cw_doc_find("e1") != NULL); /* e1 is now the most recent */
    cw_doc_settle(cw_doc_find("e3"), 2 * one);
    CHECK(cw_doc_find("e2") == NULL); /* the least recently used went first */
    CHECK(cw_doc_find("e1") != NULL);
    CHECK(cw_doc_find("e3") != NULL);
    CHECK_INT(cw_doc_bytes(), 2 * one);
    /* A view is counted, and the entry being used is never evicted. */
    {
        cw_buf v = CW_BUF_INIT;
        cw_buf_append(&v, "0123456789", 10);
        cw_doc_keep_view(cw_doc_find("e3"), &v, 0);
        CHECK(cw_doc_find("e3") != NULL);
        CHECK(cw_doc_find("e1") == NULL);
    }
    cw_doc_drop_all();
    CHECK_INT(cw_doc_bytes(), 0);
}

const cw_test cw_tests[] = {
    {"a_loaded_document_renders_and_takes_a_change", a_loaded_document_renders_and_takes_a_change},
    {"malformed_rows_are_refused", malformed_rows_are_refused},
    {"a_document_grown_past_what_is_held_whole_becomes_paged",
     a_document_grown_past_what_is_held_whole_becomes_paged},
    {"the_budget_evicts_the_least_recently_used", the_budget_evicts_the_least_recently_used},
    {NULL, NULL},
};
