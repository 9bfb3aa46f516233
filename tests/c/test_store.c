/* test_store.c - the storage calls through the host port: parameters as
 * cells of each type, rows read back as values, a failing host, and every
 * statement's SQL. A port of the test's own records what it is asked. */
#include <stdio.h>
#include <stdlib.h>

#include "alloc.h"
#include "harness.h"
#include "port.h"
#include "store.h"

static struct {
    int op, n, fail;
    cw_cell in[8];
    char text[8][64];
} seen;

/* Records the call, and answers two rows of (INT 7, TEXT "ab", NULL) for a
 * read (a statement numbered below CW_OP_META). */
static int recorder(int op, const cw_cell *in, int n, cw_port_out *out) {
    seen.op = op;
    seen.n = n;
    for (int i = 0; i < n && i < 8; i++) {
        seen.in[i] = in[i];
        if (in[i].type == CW_VAL_TEXT || in[i].type == CW_VAL_BLOB)
            snprintf(seen.text[i], sizeof seen.text[i], "%.*s", (int)in[i].len,
                     (const char *)(uintptr_t)in[i].value);
    }
    if (seen.fail)
        return -1;
    if (op < CW_OP_META) {
        cw_cell *b = cw_malloc(6 * sizeof(cw_cell) + 2);
        char *ab = (char *)(b + 6);
        memcpy(ab, "ab", 2);
        for (int r = 0; r < 2; r++) {
            b[r * 3] = (cw_cell){CW_VAL_INT, 0, 7 + r};
            b[r * 3 + 1] = (cw_cell){r ? CW_VAL_BLOB : CW_VAL_TEXT, 2, (double)(uintptr_t)ab};
            b[r * 3 + 2] = (cw_cell){CW_VAL_NULL, 0, 0};
        }
        out->rows = 2;
        out->cols = 3;
        out->cells = b;
    }
    return 0;
}

static void parameters_cross_as_typed_cells(void) {
    cw_port_install(recorder);
    int rc = cw_store_run(CW_OP_APPEND, NULL, "iitzzbi", 5LL, 1700000000000LL, "rid", (size_t)3,
                          (const char *)NULL, (size_t)0, "key", (size_t)3, "{\"a\":1}", (size_t)7,
                          99LL);
    CHECK_INT(rc, 0);
    CHECK_INT(seen.op, CW_OP_APPEND);
    CHECK_INT(seen.n, 7);
    CHECK_INT(seen.in[0].type, CW_VAL_INT);
    CHECK(seen.in[0].value == 5);
    CHECK(seen.in[1].value == 1700000000000.0);
    CHECK_INT(seen.in[2].type, CW_VAL_TEXT);
    CHECK_STR(seen.text[2], "rid");
    CHECK_INT(seen.in[3].type, CW_VAL_NULL); /* 'z' with no text */
    CHECK_INT(seen.in[4].type, CW_VAL_TEXT);
    CHECK_INT(seen.in[5].type, CW_VAL_BLOB);
    CHECK_STR(seen.text[5], "{\"a\":1}");
    CHECK(seen.in[6].value == 99);
    CHECK_INT(cw_store_run(CW_OP_DEL_MEMBER, NULL, "s", "k"), 0);
    CHECK_INT(seen.in[0].type, CW_VAL_TEXT);
    CHECK_STR(seen.text[0], "k");
    /* Integers to 2^53 - 1 cross exactly. */
    CHECK_INT(cw_store_run(CW_OP_META, NULL, "iiii", 9007199254740991LL, 0LL, 0LL, 1LL), 0);
    CHECK((long long)seen.in[0].value == 9007199254740991LL);
    cw_port_install(NULL);
}

static void rows_read_back_as_values(void) {
    cw_rows r;
    cw_value v;
    cw_port_install(recorder);
    CHECK_INT(cw_store_run(CW_Q_MEMBERS, &r, ""), 0);
    CHECK_INT(r.rows, 2);
    CHECK_INT(r.cols, 3);
    for (int row = 0; row < 2; row++) {
        CHECK_INT(cw_rows_value(&r, &v), 0);
        CHECK_INT(v.type, CW_VAL_INT);
        CHECK_INT(v.i, 7 + row);
        CHECK_INT(cw_rows_value(&r, &v), 0);
        CHECK_INT(v.type, CW_VAL_TEXT); /* a BLOB reads as bytes too */
        CHECK(v.n == 2 && memcmp(v.s, "ab", 2) == 0);
        CHECK_INT(cw_rows_value(&r, &v), 0);
        CHECK_INT(v.type, CW_VAL_NULL);
    }
    CHECK_INT(cw_rows_value(&r, &v), -1); /* past the last */
    cw_rows_done(&r);
    cw_rows_done(&r); /* twice is safe */
    cw_port_install(NULL);
}

static void a_failing_or_missing_host_is_an_error(void) {
    cw_rows r;
    cw_value v;
    cw_port_install(recorder);
    seen.fail = 1;
    CHECK_INT(cw_store_run(CW_Q_META, &r, ""), -1);
    CHECK_INT(r.rows, 0);
    CHECK_INT(cw_rows_value(&r, &v), -1);
    cw_rows_done(&r);
    seen.fail = 0;
    cw_port_install(NULL); /* the edge stage has no host */
    CHECK_INT(cw_store_run(CW_Q_META, &r, ""), -1);
    CHECK_INT(cw_store_run(CW_OP_CLEAR, NULL, ""), -1);
}

static void every_statement_has_sql(void) {
    for (int s = 0; s < CW_STMT_COUNT; s++)
        CHECK(cw_store_sql(s) != NULL && strlen(cw_store_sql(s)) > 10);
    CHECK(cw_store_sql(CW_STMT_COUNT) == NULL);
    CHECK(cw_store_sql(-1) == NULL);
    /* The statements stop short of the port's socket operations. */
    CHECK((int)CW_STMT_COUNT < (int)CW_PORT_SOCKETS);
    CHECK(strstr(cw_store_schema(), "cw_keys") != NULL);
}

const cw_test cw_tests[] = {
    {"parameters_cross_as_typed_cells", parameters_cross_as_typed_cells},
    {"rows_read_back_as_values", rows_read_back_as_values},
    {"a_failing_or_missing_host_is_an_error", a_failing_or_missing_host_is_an_error},
    {"every_statement_has_sql", every_statement_has_sql},
    {NULL, NULL},
};
