/* test_fmt.c - cw_fmt_utoa: the module's numbers as decimal text. */
#include <stdio.h>

#include "fmt.h"
#include "harness.h"

static void utoa_writes_digits(void) {
    char out[24], want[24];
    CHECK_INT(cw_fmt_utoa(out, 0), 1);
    CHECK(out[0] == '0');
    out[cw_fmt_utoa(out, 18446744073709551615ULL)] = '\0';
    CHECK_STR(out, "18446744073709551615");
    out[cw_fmt_utoa(out, 1048576)] = '\0';
    CHECK_STR(out, "1048576");
    /* every power of ten and its neighbours, against libc */
    for (unsigned long long v = 1; v && v <= 10000000000000000000ULL; v *= 10)
        for (unsigned long long d = v - 1; d <= v + 1; d++) {
            out[cw_fmt_utoa(out, d)] = '\0';
            snprintf(want, sizeof want, "%llu", d);
            CHECK_STR(out, want);
        }
}

const cw_test cw_tests[] = {
    {"utoa_writes_digits", utoa_writes_digits},
    {NULL, NULL},
};
