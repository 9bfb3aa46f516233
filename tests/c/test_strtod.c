/* test_strtod.c - cw_strtod agrees bit for bit with glibc's strtod (which
 * rounds correctly) on hand-picked hard cases and on many pseudo-random
 * inputs: printed doubles at every precision, halfway points between
 * neighbouring doubles, long digit strings, and extreme exponents. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "strtod.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int same(const char *s) {
    char *e1, *e2;
    int of;
    double a = cw_strtod(s, &e1, &of), b = strtod(s, &e2);
    uint64_t x, y;
    memcpy(&x, &a, 8);
    memcpy(&y, &b, 8);
    if (x != y || e1 != e2 || of != (isinf(b) != 0)) {
        fprintf(stderr, "    \"%.80s\": cw %a (end %td, overflow %d), libc %a (end %td)\n", s, a,
                e1 - s, of, b, e2 - s);
        return 0;
    }
    return 1;
}

static void hard_cases(void) {
    static const char *const v[] = {
        "0",
        "-0",
        "0.0",
        "1",
        "-1",
        "0.1",
        "0.5",
        "1e0",
        "1E+2",
        "1e-2",
        "123.456e7",
        "9007199254740993",
        "9007199254740992.5",
        "9007199254740993.0000000000000000001",
        "2.2250738585072011e-308",
        "2.2250738585072012e-308",
        "2.2250738585072014e-308",
        "4.9406564584124654e-324",
        "2.4703282292062327e-324",
        "2.4703282292062328e-324",
        "2.4703282292062327208828439643411068618252990130716238221279284125033775364e-324",
        "1e-400",
        "1.7976931348623157e308",
        "1.7976931348623158e308",
        "1.7976931348623159e308",
        "1e309",
        "-1e400",
        "179769313486231580793728971405301e276",
        "0.000000000000000000000000000000000000000000001e45",
        "100000000000000000000000",
        "1e22",
        "1e23",
        "8.98846567431158e307",
        "3.0540412499691e-319",
        "7.2057594037927933e16",
        "5e-324",
        "1.00000000000000011102230246251565404236316680908203125",
        "1.00000000000000011102230246251565404236316680908203124",
        "1.00000000000000011102230246251565404236316680908203126",
        "12e",
        "1.5e+",
        "-",
        ".5",
        "5.",
    };
    int bad = 0;
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        bad += !same(v[i]);
    CHECK_INT(bad, 0);
}

/* Every double printed at every precision reads back as libc reads it. */
static void printed_doubles(void) {
    char buf[64];
    int bad = 0;
    for (int i = 0; i < 15000 && bad < 5; i++) {
        uint64_t bits = next();
        double v;
        memcpy(&v, &bits, 8);
        if (!isfinite(v))
            continue;
        for (int p = 1; p <= 19; p += 1 + (i & 3)) {
            snprintf(buf, sizeof buf, "%.*e", p, v);
            bad += !same(buf);
        }
    }
    CHECK_INT(bad, 0);
}

/* The exact midpoint between a double and the next one (and a hair either
 * side), where rounding must be to even. */
static void halfway_points(void) {
    char buf[1200];
    int bad = 0;
    for (int i = 0; i < 3000 && bad < 5; i++) {
        uint64_t bits = next() & 0x7fefffffffffffffULL;
        double lo, hi;
        long double mid;
        int n;
        memcpy(&lo, &bits, 8);
        hi = nextafter(lo, INFINITY);
        mid = ((long double)lo + (long double)hi) / 2;
        n = snprintf(buf, sizeof buf, "%.800Le", mid);
        if (n <= 0 || n >= (int)sizeof buf)
            continue;
        bad += !same(buf);
        snprintf(buf, sizeof buf, "%.40Le", mid);
        bad += !same(buf);
    }
    CHECK_INT(bad, 0);
}

/* Random digit strings with random exponents, up to 900 digits. */
static void random_digits(void) {
    char buf[1024];
    int bad = 0;
    for (int i = 0; i < 20000 && bad < 5; i++) {
        int nd = 1 + (int)(next() % (i % 10 == 0 ? 900 : 25)), at = 0, dot = 0;
        if (next() & 1)
            buf[at++] = '-';
        for (int d = 0; d < nd; d++) {
            if (!dot && d == (int)(next() % (unsigned)nd)) {
                buf[at++] = '.';
                dot = 1;
            }
            buf[at++] = (char)('0' + next() % 10);
        }
        buf[at] = '\0';
        at += snprintf(buf + at, sizeof buf - (size_t)at, "e%d", (int)(next() % 700) - 350);
        bad += !same(buf);
        rng += (uint64_t)i;
    }
    CHECK_INT(bad, 0);
}

/* More than the 800 digits the decimal buffer holds, before the point:
 * the dropped digits still count for where the point is. */
static void long_integer_parts(void) {
    static const int lengths[] = {798, 799, 800, 801, 850, 1200, 5000};
    static const int exps[] = {0, -400, -541, -800, -1190, -5300, 300};
    char *buf = malloc(6000);
    int bad = 0;
    for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
        for (size_t j = 0; j < sizeof exps / sizeof exps[0]; j++) {
            int n = lengths[i];
            buf[0] = '1';
            memset(buf + 1, '0', (size_t)n);
            buf[n] = '7'; /* a nonzero digit past the buffer too */
            snprintf(buf + n + 1, 32, "e%d", exps[j]);
            bad += !same(buf);
            snprintf(buf + n + 1, 32, ".25e%d", exps[j]);
            bad += !same(buf);
        }
    }
    for (int i = 0; i < 2000 && bad < 5; i++) { /* random long integer parts */
        int n = 790 + (int)(next() % 40), at = 0;
        for (int d = 0; d < n; d++)
            buf[at++] = (char)('0' + (d ? next() % 10 : 1 + next() % 9));
        snprintf(buf + at, 32, "e%d", -(int)(next() % 1200));
        bad += !same(buf);
    }
    free(buf);
    CHECK_INT(bad, 0);
}

const cw_test cw_tests[] = {
    {"long_integer_parts", long_integer_parts}, {"hard_cases", hard_cases},
    {"printed_doubles", printed_doubles},       {"halfway_points", halfway_points},
    {"random_digits", random_digits},           {NULL, NULL},
};
