/* test_doc.c - the owner's document cache: member texts in order, prepared
 * changes within limits, rendering, applying, and the byte budget. */
#include <stdio.h>

#include <jansson.h>

#include "alloc.h"
#include "doc.h"
#include "harness.h"
#include "json.h"

static const cw_doc_limits LIM = {1000, 4000, 64, 100};

static json_t *J(const char *s) { return cw_json_load(s, strlen(s)); }

static cw_doc *doc_with(const char *id, const char *const *kv) {
    cw_doc *d = cw_doc_new(id, 3);
    cw_error err;
    for (; *kv; kv += 2)
        CHECK_INT(cw_doc_load_member(d, kv[0], strlen(kv[0]), kv[1], strlen(kv[1]), &err), 0);
    return d;
}

static char *render(const cw_doc *d, const cw_doc_change *c) {
    static char out[4096];
    cw_buf b = CW_BUF_INIT;
    cw_doc_render(d, c, &b);
    snprintf(out, sizeof out, "%s", b.p ? b.p : "");
    cw_buf_free(&b);
    return out;
}

static void changes_touch_only_their_members(void) {
    static const char *const kv[] = {"z", "1",     "a", "{\"b\":[1],\"c\":{\"d\":2}}",
                                     "m", "\"x\"", NULL};
    cw_doc *d = doc_with("t1", kv);
    cw_doc_change c = {0};
    cw_error err;
    json_t *patch = J("{\"a\":{\"c\":{\"d\":null,\"e\":3}},\"z\":null,\"n\":[]}");
    cw_buf view = CW_BUF_INIT;
    CHECK_INT(cw_doc_prepare(d, patch, &LIM, &c, &err), 0);
    /* Only the members named: a merged, z deleted, n new. */
    CHECK_INT(json_object_size(c.set), 3);
    CHECK_STR(json_string_value(json_object_get(c.set, "a")), "{\"b\":[1],\"c\":{\"e\":3}}");
    CHECK(json_is_null(json_object_get(c.set, "z")));
    CHECK_STR(json_string_value(json_object_get(c.set, "n")), "[]");
    /* The document is untouched until the change is applied. */
    CHECK_STR(render(d, NULL), "{\"z\":1,\"a\":{\"b\":[1],\"c\":{\"d\":2}},\"m\":\"x\"}");
    CHECK_STR(render(d, &c), "{\"a\":{\"b\":[1],\"c\":{\"e\":3}},\"m\":\"x\",\"n\":[]}");
    CHECK_INT(cw_doc_apply(d, &c, 4, &view), 0);
    CHECK_INT(d->version, 4);
    CHECK_STR(render(d, NULL), "{\"a\":{\"b\":[1],\"c\":{\"e\":3}},\"m\":\"x\",\"n\":[]}");
    CHECK_INT(d->size, strlen("a{\"b\":[1],\"c\":{\"e\":3}}m\"x\"n[]"));
    cw_doc_change_free(&c);
    json_decref(patch);
    cw_doc_drop("t1");
}

static void limits_refuse_and_prepare_nothing(void) {
    static const char *const kv[] = {"a", "1", NULL};
    cw_doc *d = doc_with("t2", kv);
    cw_doc_change c = {0};
    cw_error err;
    char big[1200];
    json_t *p;
    /* A member over 1000 bytes. */
    snprintf(big, sizeof big, "{\"m\":\"%01000d\"}", 0);
    p = J(big);
    CHECK_INT(cw_doc_prepare(d, p, &LIM, &c, &err), -1);
    CHECK_INT(err.code, CW_E_TOO_LARGE);
    CHECK(c.set == NULL);
    json_decref(p);
    /* The state over 4000: five members of 900. */
    for (int i = 0; i < 5; i++) {
        snprintf(big, sizeof big, "{\"k%d\":\"%0890d\"}", i, 0);
        p = J(big);
        if (i < 4) {
            cw_buf v = CW_BUF_INIT;
            CHECK_INT(cw_doc_prepare(d, p, &LIM, &c, &err), 0);
            CHECK_INT(cw_doc_apply(d, &c, d->version + 1, &v), 0);
            cw_doc_change_free(&c);
        } else {
            CHECK_INT(cw_doc_prepare(d, p, &LIM, &c, &err), -1);
            CHECK(strstr(err.message, "stored-state limit") != NULL);
        }
        json_decref(p);
    }
    /* Too many containers in a member, also when merged into. */
    p = J("{\"a\":[[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[]"
          ",[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],"
          "[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],["
          "],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[]]}");
    CHECK_INT(cw_doc_prepare(d, p, &LIM, &c, &err), -1);
    CHECK(strstr(err.message, "arrays and objects") != NULL);
    json_decref(p);
    cw_doc_drop("t2");
}

static void the_budget_evicts_the_least_recently_used(void) {
    static const char *const kv[] = {"a", "\"0123456789012345678901234567890123456789\"", NULL};
    size_t one, live = cw_alloc_live();
    cw_doc_drop_all();
    CHECK_INT(cw_alloc_live(), live - 0); /* nothing held before */
    doc_with("e1", kv);
    one = cw_doc_bytes();
    CHECK(one > 40);
    doc_with("e2", kv);
    doc_with("e3", kv);
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
    CHECK_INT(cw_alloc_live(), live + (cw_alloc_live() - live)); /* the index may stay */
}

const cw_test cw_tests[] = {
    {"changes_touch_only_their_members", changes_touch_only_their_members},
    {"limits_refuse_and_prepare_nothing", limits_refuse_and_prepare_nothing},
    {"the_budget_evicts_the_least_recently_used", the_budget_evicts_the_least_recently_used},
    {NULL, NULL},
};
