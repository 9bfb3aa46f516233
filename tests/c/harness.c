/* harness.c - runs a test file's cases and reports counts. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>

#include "handlers.h"
#include "pipeline.h"
#include "runtime.h"

static int case_failed;

void cw_check_fail(const char *file, int line, const char *what) {
    fprintf(stderr, "    %s:%d: check failed: %s\n", file, line, what);
    case_failed = 1;
}

char *cw_test_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
        exit(2);
    buf[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return buf;
}

int cw_test_split(char *s, char sep, char **fields, int max) {
    int n = 0;
    while (n < max) {
        char *e = strchr(s, sep);
        fields[n++] = s;
        if (!e)
            break;
        *e = '\0';
        s = e + 1;
    }
    return n;
}

int cw_test_each_case(const char *path, int nfields, void (*fn)(char **fields)) {
    char *data = cw_test_read_file(path, NULL);
    char *line = data;
    char *fields[16];
    int cases = 0;
    while (line && *line) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (line[0] != '#' && line[0] != '\0') {
            if (nfields > 16 || cw_test_split(line, '\t', fields, nfields) != nfields) {
                fprintf(stderr, "    %s: line %d has the wrong number of fields\n", path,
                        cases + 1);
                cw_check_fail(__FILE__, __LINE__, "data line shape");
            } else {
                fn(fields);
            }
            cases++;
        }
        line = next;
    }
    free(data);
    return cases;
}

cw_ctx *cw_test_pipeline(int stage) {
    size_t n;
    const cw_route *routes = cw_handlers_routes(&n);
    return cw_pipeline_new(stage, routes, n);
}

static int hexdigit(int c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

size_t cw_test_unescape(char *s) {
    char *w = s, *start = s;
    for (; *s; s++) {
        if (s[0] == '\\' && s[1] == 'x' && hexdigit(s[2]) >= 0 && hexdigit(s[3]) >= 0) {
            *w++ = (char)(hexdigit(s[2]) * 16 + hexdigit(s[3]));
            s += 3;
        } else if (s[0] == '\\' && s[1]) {
            s++;
            *w++ = *s == 'r' ? '\r' : *s == 'n' ? '\n' : *s == 't' ? '\t' : *s;
        } else {
            *w++ = *s;
        }
    }
    *w = '\0';
    return (size_t)(w - start);
}

int main(int argc, char **argv) {
    static const unsigned char seed[32] = "deterministic test seed 0123456";
    int passed = 0, failed = 0;
    const char *results = getenv("CW_TEST_RESULTS");
    const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];

    (void)argc;
    if (cw_runtime_init(seed, sizeof seed) != 0) {
        fprintf(stderr, "runtime init failed\n");
        return 2;
    }
    for (const cw_test *t = cw_tests; t->name; t++) {
        case_failed = 0;
        t->fn();
        if (case_failed) {
            failed++;
            printf("  FAIL %s.%s\n", name, t->name);
        } else {
            passed++;
            printf("  ok   %s.%s\n", name, t->name);
        }
    }
    printf("%s: %d passed, %d failed\n", name, passed, failed);
    if (results) {
        FILE *f = fopen(results, "a");
        if (f) {
            fprintf(f, "c %d %d\n", passed, failed);
            fclose(f);
        }
    }
    return failed ? 1 : 0;
}
