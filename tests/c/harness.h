/* harness.h - a minimal test harness for the native C tests.
 *
 * A test file defines `const cw_test cw_tests[]` (NULL-terminated) and gets
 * main() from harness.c, which seeds the runtime, runs every case, prints one
 * line per case, and appends "c <passed> <failed>" to $CW_TEST_RESULTS. */
#ifndef CW_HARNESS_H
#define CW_HARNESS_H

#include <stddef.h>
#include <string.h>

typedef struct {
    const char *name;
    void (*fn)(void);
} cw_test;

extern const cw_test cw_tests[];

/* Records a failure of the current case; used through the macros. */
void cw_check_fail(const char *file, int line, const char *what);

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            cw_check_fail(__FILE__, __LINE__, #c);                                                 \
    } while (0)
#define CHECK_INT(a, b)                                                                            \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (a_ != b_) {                                                                            \
            char m_[160];                                                                          \
            snprintf(m_, sizeof m_, "%s == %s (%lld != %lld)", #a, #b, a_, b_);                    \
            cw_check_fail(__FILE__, __LINE__, m_);                                                 \
        }                                                                                          \
    } while (0)
#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                                   \
            char m_[512];                                                                          \
            snprintf(m_, sizeof m_, "%s == %s (\"%s\" != \"%s\")", #a, #b, a_ ? a_ : "(null)",     \
                     b_ ? b_ : "(null)");                                                          \
            cw_check_fail(__FILE__, __LINE__, m_);                                                 \
        }                                                                                          \
    } while (0)

/* Reads a whole data file (path relative to tests/c). New, NUL-terminated;
 * free() it. Aborts the test binary when the file is missing. */
char *cw_test_read_file(const char *path, size_t *len);

/* Splits s in place at each sep; stores up to max field pointers. Returns
 * the number of fields. */
int cw_test_split(char *s, char sep, char **fields, int max);

/* Calls fn(fields) for each data line of a tab-separated file (path relative
 * to tests/c); blank lines and lines starting with '#' are skipped. A line
 * without exactly nfields fields fails the current case. Returns the number
 * of lines handed to fn. */
int cw_test_each_case(const char *path, int nfields, void (*fn)(char **fields));

struct cw_ctx;
/* A new pipeline context for stage over the product's route table
 * (handlers.h); free with cw_pipeline_free. */
struct cw_ctx *cw_test_pipeline(int stage);

/* Replaces the escapes \r \n \t \\ and \xHH (lowercase hex, any byte,
 * NUL included) in s, in place. Returns the unescaped length. */
size_t cw_test_unescape(char *s);

#endif
