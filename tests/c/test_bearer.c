/* test_bearer.c - bearer token checks. */
#include <stdio.h>

#include "bearer.h"
#include "harness.h"

static cw_slice S(const char *s) { return (cw_slice){s, s ? strlen(s) : 0}; }

static int check(const char *header, const char *token, int open) {
    cw_error err;
    int rc = cw_bearer_check(S(header), token, open, &err);
    if (rc < 0)
        CHECK_INT(err.code, CW_E_UNAUTHORIZED);
    return rc;
}

static void accepts_the_right_token(void) {
    CHECK_INT(check("Bearer s3cret", "s3cret", 0), 0);
    CHECK_INT(check("bearer s3cret", "s3cret", 0), 0);
    CHECK_INT(check("  Bearer   s3cret  ", "s3cret", 0), 0);
}

static void refuses_missing_wrong_and_other_schemes(void) {
    CHECK_INT(check(NULL, "s3cret", 0), -1);
    CHECK_INT(check("", "s3cret", 0), -1);
    CHECK_INT(check("Bearer", "s3cret", 0), -1);
    CHECK_INT(check("Bearer ", "s3cret", 0), -1);
    CHECK_INT(check("Bearer s3cre", "s3cret", 0), -1);
    CHECK_INT(check("Bearer s3cretX", "s3cret", 0), -1);
    CHECK_INT(check("Bearer S3CRET", "s3cret", 0), -1);
    CHECK_INT(check("Basic czNjcmV0", "s3cret", 0), -1);
    CHECK_INT(check("s3cret", "s3cret", 0), -1);
}

static void no_token_configured(void) {
    CHECK_INT(check(NULL, NULL, 1), 0); /* open where allowed */
    CHECK_INT(check("Bearer x", "", 1), 0);
    CHECK_INT(check(NULL, NULL, 0), -1);    /* closed where tokens are required */
    CHECK_INT(check("Bearer ", "", 0), -1); /* an empty token never matches */
}

static void constant_time_equal(void) {
    CHECK(cw_bearer_equal("abc", 3, "abc", 3));
    CHECK(!cw_bearer_equal("abd", 3, "abc", 3));
    CHECK(!cw_bearer_equal("ab", 2, "abc", 3));
    CHECK(!cw_bearer_equal("abcd", 4, "abc", 3));
    CHECK(!cw_bearer_equal("", 0, "abc", 3));
    CHECK(cw_bearer_equal("", 0, "", 0));
}

const cw_test cw_tests[] = {
    {"accepts_the_right_token", accepts_the_right_token},
    {"refuses_missing_wrong_and_other_schemes", refuses_missing_wrong_and_other_schemes},
    {"no_token_configured", no_token_configured},
    {"constant_time_equal", constant_time_equal},
    {NULL, NULL},
};
