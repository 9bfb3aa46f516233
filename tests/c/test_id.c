/* test_id.c - the state id grammar. */
#include <stdio.h>

#include "harness.h"
#include "id.h"

static int parse(const char *raw, char *out, size_t *len) {
    cw_error err;
    cw_slice s = {raw, strlen(raw)};
    int rc = cw_id_parse(s, out, len, &err);
    if (rc < 0)
        CHECK_INT(err.code, CW_E_INVALID_ID);
    return rc;
}

static void accepts_valid(void) {
    char out[CW_ID_MAX + 1];
    size_t len;
    CHECK_INT(parse("alpha", out, &len), 0);
    CHECK_STR(out, "alpha");
    CHECK_INT(parse("A-z_0.9~", out, &len), 0);
    CHECK_INT(parse("%41b%2d", out, &len), 0);
    CHECK_STR(out, "Ab-");
    CHECK_INT(len, 3);
    CHECK_INT(parse("...", out, &len), 0); /* not a path segment of its own */
}

static void length_bounds(void) {
    char raw[CW_ID_MAX + 2], out[CW_ID_MAX + 1];
    size_t len;
    memset(raw, 'a', sizeof raw);
    raw[CW_ID_MAX] = '\0';
    CHECK_INT(parse(raw, out, &len), 0);
    CHECK_INT(len, CW_ID_MAX);
    raw[CW_ID_MAX] = 'a';
    raw[CW_ID_MAX + 1] = '\0';
    CHECK_INT(parse(raw, out, &len), -1);
    CHECK_INT(parse("", out, &len), -1);
}

static void refuses_invalid(void) {
    static const char *bad[] = {
        ".",  "..",  "%2e", "%2e%2e", "%2E.",        "a/b",  "a%2fb", "a%2Fb", "a b", "a%20b", "%",
        "%4", "%zz", "a%",  "%00",    "caf\xc3\xa9", "a\\b", "a?b",   "a#b",   "a:b", "a%25b",
    };
    char out[CW_ID_MAX + 1];
    size_t len;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (parse(bad[i], out, &len) != -1) {
            fprintf(stderr, "    accepted id: %s\n", bad[i]);
            CHECK(!"invalid id accepted");
        }
    }
}

const cw_test cw_tests[] = {
    {"accepts_valid", accepts_valid},
    {"length_bounds", length_bounds},
    {"refuses_invalid", refuses_invalid},
    {NULL, NULL},
};
