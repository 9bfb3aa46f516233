/* test_cond.c - If-Match and If-None-Match (RFC 9110 section 13). */
#include <stdio.h>

#include "cond.h"
#include "harness.h"

static const cw_slice NONE = {NULL, 0};
static cw_slice S(const char *s) { return (cw_slice){s, strlen(s)}; }

static int im(const char *h, long long v, cw_error *err) {
    return cw_cond_check(S(h), NONE, 0, v, err);
}

static void if_match_strong(void) {
    cw_error err;
    CHECK_INT(cw_cond_check(NONE, NONE, 0, 5, &err), CW_COND_PROCEED);
    CHECK_INT(im("\"5\"", 5, &err), 0);
    CHECK_INT(im(" \"4\" , \"5\"", 5, &err), 0);
    CHECK_INT(im("*", 1, &err), 0);
    static const char *const no[] = {"\"4\"", "W/\"5\"", "\"05\"", "\"abc\"",
                                     "\"99999999999999999999\""};
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        CHECK_INT(im(no[i], 5, &err), -1);
        CHECK_INT(err.code, CW_E_PRECONDITION);
    }
    /* "*" needs a current representation: nothing before the first write. */
    CHECK_INT(im("*", 0, &err), -1);
    CHECK_INT(err.code, CW_E_PRECONDITION);
    /* syntax only */
    CHECK_INT(im("\"4\"", -1, &err), 0);
    CHECK_INT(im("*", -1, &err), 0);
}

static void empty_list_elements_are_skipped(void) {
    cw_error err;
    static const char *const ok[] = {"\"1\", ,\"5\"", "\"5\",",        ",\"5\"",
                                     " , \"5\" , , ", "\"2\",,,\"5\"", "\"5\"\t,\t"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (im(ok[i], 5, &err) != 0) {
            fprintf(stderr, "    refused If-Match: [%s] %s\n", ok[i], err.message);
            CHECK(!"list with empty elements");
        }
}

static void malformed_lists(void) {
    cw_error err;
    static const char *const bad[] = {"",    ",",       " , ,",        "5",  "\"5",
                                      "W/5", "\"a b\"", "\"5\" \"6\"", "**", "\"5\" x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (im(bad[i], 5, &err) != -1 || err.code != CW_E_INVALID_IF_MATCH) {
            fprintf(stderr, "    accepted If-Match: [%s]\n", bad[i]);
            CHECK(!"malformed If-Match accepted");
        }
        if (cw_cond_check(NONE, S(bad[i]), 1, 5, &err) != -1 ||
            err.code != CW_E_INVALID_IF_NONE_MATCH)
            CHECK(!"malformed If-None-Match accepted");
    }
}

static void if_none_match_weak(void) {
    cw_error err;
    /* GET/HEAD: a match is 304. */
    CHECK_INT(cw_cond_check(NONE, S("\"3\""), 1, 3, &err), CW_COND_NOT_MODIFIED);
    CHECK_INT(cw_cond_check(NONE, S("W/\"3\""), 1, 3, &err), CW_COND_NOT_MODIFIED);
    CHECK_INT(cw_cond_check(NONE, S("\"1\", W/\"3\""), 1, 3, &err), CW_COND_NOT_MODIFIED);
    CHECK_INT(cw_cond_check(NONE, S("*"), 1, 3, &err), CW_COND_NOT_MODIFIED);
    CHECK_INT(cw_cond_check(NONE, S("*"), 1, 0, &err), CW_COND_PROCEED);
    CHECK_INT(cw_cond_check(NONE, S("\"2\""), 1, 3, &err), CW_COND_PROCEED);
    /* Other methods: a match is 412; "*" is create-only. */
    CHECK_INT(cw_cond_check(NONE, S("*"), 0, 0, &err), CW_COND_PROCEED);
    CHECK_INT(cw_cond_check(NONE, S("*"), 0, 1, &err), -1);
    CHECK_INT(err.code, CW_E_PRECONDITION);
    CHECK_INT(cw_cond_check(NONE, S("W/\"7\""), 0, 7, &err), -1);
    CHECK_INT(err.code, CW_E_PRECONDITION);
    /* If-Match is evaluated first. */
    CHECK_INT(cw_cond_check(S("\"2\""), S("\"2\""), 1, 3, &err), -1);
    CHECK_INT(err.code, CW_E_PRECONDITION);
    CHECK_INT(cw_cond_check(S("\"3\""), S("\"3\""), 1, 3, &err), CW_COND_NOT_MODIFIED);
}

const cw_test cw_tests[] = {
    {"if_match_strong", if_match_strong},
    {"empty_list_elements_are_skipped", empty_list_elements_are_skipped},
    {"malformed_lists", malformed_lists},
    {"if_none_match_weak", if_none_match_weak},
    {NULL, NULL},
};
