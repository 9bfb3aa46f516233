/* test_fmt.c - cw_vsnprintf and cw_strtoll against libc on the host. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

#include "fmt.h"
#include "harness.h"

#define SAME(...)                                                                                  \
    do {                                                                                           \
        char sa_[128], sb_[128];                                                                   \
        int na_ = cw_snprintf(sa_, sizeof sa_, __VA_ARGS__);                                       \
        int nb_ = snprintf(sb_, sizeof sb_, __VA_ARGS__);                                          \
        CHECK_STR(sa_, sb_);                                                                       \
        CHECK_INT(na_, nb_);                                                                       \
    } while (0)

static void matches_libc(void) {
    SAME("%s near '%s'", "unexpected token", "}");
    SAME("\\u%04X", 0x1fU);
    SAME("\\u%04X\\u%04X", 0xd83dU, 0xde00U);
    SAME("control character 0x%x", 7);
    SAME("invalid Unicode escape '%.6s'", "\\uZZZZZZZ");
    SAME("%lld", LLONG_MIN);
    SAME("%lld", LLONG_MAX);
    SAME("%d|%5d|%-5d|%05d|%i", -42, 42, 42, -42, 0);
    SAME("%u %x %X %zu %lu", 4000000000u, 255u, 255u, (size_t)123, 99ul);
    /* size_t and ptrdiff_t are read at their own width (4 bytes on wasm32) */
    SAME("%zu|%d|%s|%td|%zd", (size_t)5, 7, "x", (ptrdiff_t)-3, (ssize_t)-9);
    SAME("%c%3c%-3c|", 'a', 'b', 'c');
    SAME("%10s|%-10s|%.2s|%*s|%.*s", "hi", "hi", "hello", 4, "x", 3, "abcdef");
    SAME("100%%");
    SAME("%s", "");
}

static void truncates_like_c99(void) {
    char small[6];
    CHECK_INT(cw_snprintf(small, sizeof small, "%s-%d", "abcd", 1234), 9);
    CHECK_STR(small, "abcd-");
    CHECK_INT(cw_snprintf(NULL, 0, "%d", 12345), 5);
}

static void pointer_and_unknown(void) {
    char buf[64];
    int x;
    cw_snprintf(buf, sizeof buf, "%p", (void *)&x);
    CHECK(buf[0] == '0' && buf[1] == 'x');
    CHECK_INT(cw_snprintf(buf, sizeof buf, "a%qb"), 4); /* unsupported: copied */
    CHECK_STR(buf, "a%qb");
    CHECK_INT(cw_snprintf(buf, sizeof buf, "end%"), 4);
}

static void utoa_writes_digits(void) {
    char out[24];
    CHECK_INT(cw_utoa(out, 0), 1);
    CHECK(out[0] == '0');
    out[cw_utoa(out, 18446744073709551615ULL)] = '\0';
    CHECK_STR(out, "18446744073709551615");
    out[cw_utoa(out, 1048576)] = '\0';
    CHECK_STR(out, "1048576");
}

static void strtoll_matches_libc(void) {
    static const char *in[] = {"0",
                               "-0",
                               "42",
                               "-42",
                               "+7",
                               "  12x",
                               "9223372036854775807",
                               "-9223372036854775808",
                               "9223372036854775808",
                               "-9223372036854775809",
                               "99999999999999999999999",
                               "",
                               "-",
                               "x"};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        char *ea, *eb;
        long long a, b;
        int erra, errb;
        errno = 0;
        a = cw_strtoll(in[i], &ea, 10);
        erra = errno;
        errno = 0;
        b = strtoll(in[i], &eb, 10);
        errb = errno;
        if (a != b || ea != eb || (erra == ERANGE) != (errb == ERANGE)) {
            fprintf(stderr, "    strtoll(\"%s\"): %lld/%d vs libc %lld/%d\n", in[i], a, erra, b,
                    errb);
            CHECK(!"differs from libc");
        }
    }
    errno = 0;
    CHECK_INT(cw_strtoll("10", NULL, 16), 0);
    CHECK_INT(errno, EINVAL);
}

const cw_test cw_tests[] = {
    {"matches_libc", matches_libc},
    {"truncates_like_c99", truncates_like_c99},
    {"pointer_and_unknown", pointer_and_unknown},
    {"utoa_writes_digits", utoa_writes_digits},
    {"strtoll_matches_libc", strtoll_matches_libc},
    {NULL, NULL},
};
