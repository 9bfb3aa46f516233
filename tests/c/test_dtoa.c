/* test_dtoa.c - cw_dtoa gives the same text as libc's shortest "%.<p>g"
 * that round-trips, for hand-picked and many pseudo-random doubles. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "dtoa.h"
#include "harness.h"

static void libc_shortest(double v, char *buf, size_t size) {
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, size, "%.*g", p, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

static int agrees(double v) {
    char a[40], b[40];
    int n = cw_dtoa(v, a, sizeof a);
    libc_shortest(v, b, sizeof b);
    if (n < 0 || strcmp(a, b) != 0 || strtod(a, NULL) != v) {
        fprintf(stderr, "    %a: cw_dtoa \"%s\" libc \"%s\"\n", v, n < 0 ? "(error)" : a, b);
        return 0;
    }
    return 1;
}

static void known_values(void) {
    static const double v[] = {0.0,
                               -0.0,
                               0.1,
                               0.5,
                               1.0,
                               -2.5,
                               1e300,
                               1e-300,
                               123456.0,
                               1234567890123.0,
                               1e21,
                               1e22,
                               0.0001,
                               0.00001,
                               1.5e-5,
                               DBL_MAX,
                               DBL_MIN,
                               4.9e-324,
                               2.2250738585072009e-308,
                               9007199254740993.0,
                               1.7976931348623157e308,
                               0.30000000000000004,
                               100.0,
                               1e16,
                               123.456};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        CHECK(agrees(v[i]));
    char buf[40];
    cw_dtoa(0.1, buf, sizeof buf);
    CHECK_STR(buf, "0.1");
    cw_dtoa(-0.0, buf, sizeof buf);
    CHECK_STR(buf, "-0");
}

static void random_bit_patterns(void) {
    uint64_t s = 0x9e3779b97f4a7c15ULL;
    int bad = 0;
    for (int i = 0; i < 20000 && bad < 5; i++) {
        uint64_t bits;
        double v;
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        bits = s;
        memcpy(&v, &bits, sizeof v);
        if (!isfinite(v))
            continue;
        if (!agrees(v))
            bad++;
    }
    CHECK_INT(bad, 0);
}

static void short_decimals(void) {
    int bad = 0;
    for (int i = -2000; i <= 2000 && bad < 5; i++) {
        double v = i / 100.0;
        if (!agrees(v) || !agrees(v * 1e10) || !agrees(v / 1e7))
            bad++;
    }
    CHECK_INT(bad, 0);
}

static void refuses_non_finite_and_small_buffers(void) {
    char buf[4];
    CHECK_INT(cw_dtoa(INFINITY, buf, sizeof buf), -1);
    CHECK_INT(cw_dtoa(NAN, buf, sizeof buf), -1);
    CHECK_INT(cw_dtoa(123456.0, buf, sizeof buf), -1);
}

const cw_test cw_tests[] = {
    {"known_values", known_values},
    {"random_bit_patterns", random_bit_patterns},
    {"short_decimals", short_decimals},
    {"refuses_non_finite_and_small_buffers", refuses_non_finite_and_small_buffers},
    {NULL, NULL},
};
