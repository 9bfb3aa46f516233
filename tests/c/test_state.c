/* test_state.c - versioned state: load, If-Match, apply, blob, view. */
#include <stdio.h>
#include <stdlib.h>

#include "alloc.h"
#include "harness.h"
#include "runtime.h"
#include "state.h"

static cw_slice S(const char *s) { return (cw_slice){s, s ? strlen(s) : 0}; }

/* The stored blob for st (new, free with cw_free). */
static char *blob_of(const cw_state *st, size_t *n) {
    cw_buf view = CW_BUF_INIT, blob = CW_BUF_INIT;
    CHECK_INT(cw_state_render(st, "t", &view, &blob), 0);
    cw_buf_free(&view);
    return cw_buf_take(&blob, n);
}

/* The public view for st under id (new, free with cw_free). */
static char *view_of(const cw_state *st, const char *id) {
    cw_buf view = CW_BUF_INIT;
    CHECK_INT(cw_state_render(st, id, &view, NULL), 0);
    return cw_buf_take(&view, NULL);
}

static void never_written_is_version_0_empty(void) {
    cw_state st;
    cw_error err;
    CHECK_INT(cw_state_load(&st, "", 0, &err), 0);
    CHECK_INT(st.version, 0);
    CHECK(json_is_object(st.doc) && json_object_size(st.doc) == 0);
    cw_state_clear(&st);
}

static void corrupt_blob_is_internal(void) {
    static const char *bad[] = {"{",
                                "[]",
                                "{\"v\":1}",
                                "{\"v\":-1,\"s\":{}}",
                                "{\"v\":\"1\",\"s\":{}}",
                                "{\"v\":1,\"s\":[]}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cw_state st;
        cw_error err;
        CHECK_INT(cw_state_load(&st, bad[i], strlen(bad[i]), &err), -1);
        CHECK_INT(err.code, CW_E_INTERNAL);
        CHECK(st.doc == NULL);
    }
}

static void apply_bumps_version_and_round_trips(void) {
    cw_state st, back;
    cw_error err;
    json_t *p1 = cw_state_parse_patch(S("{\"a\":1,\"b\":{\"c\":0.1}}"), 64, 65536, &err);
    json_t *p2 = cw_state_parse_patch(S("{\"b\":null}"), 64, 65536, &err);
    size_t n;
    char *blob;

    CHECK(p1 && p2);
    cw_state_load(&st, "", 0, &err);
    CHECK_INT(cw_state_apply(&st, p1, &err), 0);
    CHECK_INT(st.version, 1);
    CHECK_INT(cw_state_apply(&st, p2, &err), 0);
    CHECK_INT(st.version, 2);
    blob = blob_of(&st, &n);
    CHECK_STR(blob, "{\"v\":2,\"s\":{\"a\":1}}");
    CHECK_INT(cw_state_load(&back, blob, n, &err), 0);
    CHECK_INT(back.version, 2);
    CHECK(json_equal(back.doc, st.doc));
    cw_free(blob);
    cw_state_clear(&st);
    cw_state_clear(&back);
    json_decref(p1);
    json_decref(p2);
}

static void reals_print_shortest(void) {
    cw_state st;
    cw_error err;
    json_t *p =
        cw_state_parse_patch(S("{\"x\":0.1,\"y\":1e300,\"z\":-2.5,\"w\":3.0}"), 64, 65536, &err);
    char *s;
    cw_state_load(&st, "", 0, &err);
    cw_state_apply(&st, p, &err);
    s = view_of(&st, "id1");
    CHECK_STR(
        s,
        "{\"id\":\"id1\",\"version\":1,\"state\":{\"x\":0.1,\"y\":1e+300,\"z\":-2.5,\"w\":3.0}}");
    cw_free(s);
    json_decref(p);
    cw_state_clear(&st);
}

static void patch_must_be_json_object(void) {
    static const char *non_objects[] = {"null", "[]", "\"s\"", "1", "true"};
    static const char *invalid[] = {"", "{", "{\"a\":1}x", "{\"a\":1,\"a\":2}", "\xff", "{'a':1}"};
    cw_error err;
    for (size_t i = 0; i < sizeof non_objects / sizeof non_objects[0]; i++) {
        CHECK(cw_state_parse_patch(S(non_objects[i]), 64, 65536, &err) == NULL);
        CHECK_INT(err.code, CW_E_INVALID_PATCH);
    }
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        CHECK(cw_state_parse_patch(S(invalid[i]), 64, 65536, &err) == NULL);
        CHECK_INT(err.code, CW_E_INVALID_JSON);
    }
}

static void exotic_but_valid_json(void) {
    cw_error err;
    json_t *p;
    char *deep = malloc(200);
    /* A byte order mark is ignored. */
    p = cw_state_parse_patch(S("\xef\xbb\xbf{\"a\":1}"), 64, 65536, &err);
    CHECK(p && json_integer_value(json_object_get(p, "a")) == 1);
    json_decref(p);
    /* \u0000 is fine inside a value and survives a round trip... */
    p = cw_state_parse_patch(S("{\"a\":\"x\\u0000y\"}"), 64, 65536, &err);
    CHECK(p && json_string_length(json_object_get(p, "a")) == 3);
    {
        char *out = json_dumps(p, JSON_COMPACT);
        CHECK_STR(out, "{\"a\":\"x\\u0000y\"}");
        cw_free(out);
    }
    /* ...and through a stored blob, so the id stays readable afterwards. */
    {
        cw_state st, back;
        size_t n;
        char *blob;
        cw_state_load(&st, "", 0, &err);
        CHECK_INT(cw_state_apply(&st, p, &err), 0);
        blob = blob_of(&st, &n);
        CHECK_INT(cw_state_load(&back, blob, n, &err), 0);
        CHECK(json_equal(back.doc, st.doc));
        cw_state_clear(&st);
        cw_state_clear(&back);
        cw_free(blob);
    }
    json_decref(p);
    /* ...but not in a key: a defined 400. */
    CHECK(cw_state_parse_patch(S("{\"a\\u0000\":1}"), 64, 65536, &err) == NULL);
    CHECK_INT(err.code, CW_E_INVALID_JSON);
    /* Numbers outside what a double or a 64-bit integer holds: a defined 400. */
    CHECK(cw_state_parse_patch(S("{\"a\":1e400}"), 64, 65536, &err) == NULL);
    CHECK_INT(err.code, CW_E_INVALID_JSON);
    CHECK(cw_state_parse_patch(S("{\"a\":123456789012345678901234567890}"), 64, 65536, &err) ==
          NULL);
    CHECK_INT(err.code, CW_E_INVALID_JSON);
    p = cw_state_parse_patch(
        S("{\"a\":9223372036854775807,\"b\":-1e-300,\"c\":1.7976931348623157e308}"), 64, 65536,
        &err);
    CHECK(p != NULL);
    json_decref(p);
    /* Nesting: 64 levels pass, 65 are refused before Jansson parses them. */
    for (int d = 64; d <= 65; d++) {
        int n = 0;
        for (int i = 0; i < d; i++)
            deep[n++] = i == 0 ? '{' : '[';
        if (d == 1)
            deep[n++] = '}';
        for (int i = d - 1; i > 0; i--)
            deep[n++] = ']';
        if (d > 1) {
            memmove(deep + 5, deep + 1, (size_t)n - 1);
            memcpy(deep + 1, "\"a\":", 4);
            n += 4;
            deep[n++] = '}';
        }
        p = cw_state_parse_patch((cw_slice){deep, (size_t)n}, 64, 65536, &err);
        if (d == 64)
            CHECK(p != NULL);
        else
            CHECK(p == NULL && err.code == CW_E_INVALID_JSON &&
                  strstr(err.message, "deeper than 64"));
        json_decref(p);
    }
    /* Brackets inside strings do not count. */
    p = cw_state_parse_patch(
        S("{\"a\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"[[\"}"), 64,
        65536, &err);
    CHECK(p != NULL);
    json_decref(p);
    free(deep);
}

static void error_messages_are_ascii_even_when_truncated(void) {
    cw_error err;
    char body[400];
    /* Multi-byte characters right where the message gets cut. */
    memset(body, 0, sizeof body);
    strcpy(body, "{\"");
    for (int i = 0; i < 60; i++)
        strcat(body, "\xc3\xa9");
    strcat(body, "\":tru}");
    CHECK(cw_state_parse_patch(S(body), 64, 65536, &err) == NULL);
    for (const char *c = err.message; *c; c++)
        CHECK((unsigned char)*c >= 0x20 && (unsigned char)*c < 0x7f);
}

static void container_limit_bounds_parse_memory(void) {
    cw_error err;
    /* 6 arrays/objects with a limit of 5 is refused before parsing. */
    CHECK(cw_state_parse_patch(S("{\"a\":[{},{},{}],\"b\":{}}"), 64, 5, &err) == NULL);
    CHECK_INT(err.code, CW_E_INVALID_JSON);
    CHECK(strstr(err.message, "more than 5 arrays and objects") != NULL);
}

const cw_test cw_tests[] = {
    {"container_limit_bounds_parse_memory", container_limit_bounds_parse_memory},
    {"exotic_but_valid_json", exotic_but_valid_json},
    {"error_messages_are_ascii_even_when_truncated", error_messages_are_ascii_even_when_truncated},
    {"never_written_is_version_0_empty", never_written_is_version_0_empty},
    {"corrupt_blob_is_internal", corrupt_blob_is_internal},
    {"apply_bumps_version_and_round_trips", apply_bumps_version_and_round_trips},
    {"reals_print_shortest", reals_print_shortest},
    {"patch_must_be_json_object", patch_must_be_json_object},
    {NULL, NULL},
};
