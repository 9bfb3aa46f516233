/* test_error.c - the error table and fixed-size messages. */
#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "harness.h"

static void every_code_has_name_and_4xx_or_5xx(void) {
    for (int c = CW_E_NONE + 1; c < CW_E_COUNT; c++) {
        int st = cw_error_status((cw_errcode)c);
        CHECK(st >= 400 && st <= 599);
        CHECK(strlen(cw_error_name((cw_errcode)c)) > 0);
        for (int d = c + 1; d < CW_E_COUNT; d++)
            CHECK(strcmp(cw_error_name((cw_errcode)c), cw_error_name((cw_errcode)d)) != 0);
    }
    CHECK_INT(cw_error_status(CW_E_PRECONDITION), 412);
    CHECK_INT(cw_error_status(CW_E_INVALID_PATCH), 400);
    CHECK_INT(cw_error_status((cw_errcode)999), 500);
    CHECK_STR(cw_error_name((cw_errcode)-3), "internal");
}

static void messages_are_bounded(void) {
    char big[1000];
    cw_error err;
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    CHECK_INT(cw_error_set2(&err, CW_E_INVALID_JSON, "prefix: ", big), -1);
    CHECK_INT(strlen(err.message), CW_ERROR_TEXT_LENGTH - 1);
    CHECK(strncmp(err.message, "prefix: x", 9) == 0);
    cw_error_set(&err, CW_E_NOT_FOUND, NULL);
    CHECK_STR(err.message, "no such route");
    CHECK_INT(cw_error_set(NULL, CW_E_NOT_FOUND, "ignored"), -1);
    cw_error_set(&err, (cw_errcode)77, "x");
    CHECK_INT(err.code, CW_E_INTERNAL);
}

static void formatted_messages(void) {
    cw_error err;
    CHECK_INT(cw_error_setf(&err, CW_E_TOO_LARGE, "member \"%.4s\" is over %d bytes (%d)",
                            "abcdefgh", 1048576LL, -7LL),
              -1);
    CHECK_INT(err.code, CW_E_TOO_LARGE);
    CHECK_STR(err.message, "member \"abcd\" is over 1048576 bytes (-7)");
    cw_error_setf(&err, CW_E_INVALID_JSON, "%s and %s: 100%", "\001bytes", "more");
    CHECK_STR(err.message, "?bytes and more: 100%");
    cw_error_setf(&err, CW_E_INVALID_JSON, "%d", (long long)INT64_MIN);
    CHECK_STR(err.message, "-9223372036854775808");
    cw_error_setf(&err, (cw_errcode)99, "trailing %");
    CHECK_INT(err.code, CW_E_INTERNAL);
    CHECK_STR(err.message, "trailing %");
    CHECK_INT(cw_error_setf(NULL, CW_E_NOT_FOUND, "x"), -1);
}

const cw_test cw_tests[] = {
    {"every_code_has_name_and_4xx_or_5xx", every_code_has_name_and_4xx_or_5xx},
    {"messages_are_bounded", messages_are_bounded},
    {"formatted_messages", formatted_messages},
    {NULL, NULL},
};
