/* test_store.c - the storage calls through the host port: reads at once,
 * writes queued and committed as one batch, parameters as cells of each
 * type, rows read back as values, a failing host, and every statement's
 * SQL. A port of the test's own records what it is asked. */
#include <stdio.h>
#include <stdlib.h>

#include "alloc.h"
#include "harness.h"
#include "port.h"
#include "store.h"

static struct {
    int op, n, fail, calls;
    cw_cell in[32];
    char text[32][64];
} seen;

/* Records the call, and answers two rows of (INT 7, TEXT "ab", NULL) for a
 * read (a statement numbered below CW_OP_META). */
static int recorder(int op, const cw_cell *in, int n, cw_port_out *out) {
    seen.op = op;
    seen.n = n;
    seen.calls++;
    for (int i = 0; i < n && i < 32; i++) {
        seen.in[i] = in[i];
        if (in[i].type == CW_VAL_TEXT || in[i].type == CW_VAL_BLOB)
            snprintf(seen.text[i], sizeof seen.text[i], "%.*s", (int)in[i].len,
                     (const char *)(uintptr_t)in[i].value);
    }
    if (seen.fail)
        return -1;
    if (op < CW_OP_META) {
        cw_cell *b = cw_alloc_new(6 * sizeof(cw_cell) + 2);
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

static void writes_are_queued_and_committed_as_one_batch(void) {
    char key[] = "key";
    int rc;
    cw_port_install(recorder);
    seen.calls = 0;
    CHECK_INT(cw_store_pending(), 0);
    rc = cw_store_run(CW_OP_APPEND, NULL, "iitzzbi", 5LL, 1700000000000LL, "rid", (size_t)3,
                      (const char *)NULL, (size_t)0, key, (size_t)3, "{\"a\":1}", (size_t)7, 99LL);
    CHECK_INT(rc, 0);
    key[0] = 'X'; /* queued with a copy of its bytes */
    CHECK_INT(cw_store_run(CW_OP_CLEAR_UNDER, NULL, "s", "/k"), 0);
    /* Integers to 2^53 - 1 cross exactly. */
    CHECK_INT(cw_store_run(CW_OP_META, NULL, "iiii", 9007199254740991LL, 0LL, 0LL, 1LL), 0);
    CHECK_INT(seen.calls, 0); /* nothing crossed yet */
    CHECK_INT(cw_store_pending(), 1);
    CHECK_INT(cw_store_commit(), 0);
    CHECK_INT(seen.calls, 1);
    CHECK_INT(seen.op, CW_PORT_COMMIT);
    CHECK_INT(seen.n, 18);
    CHECK(seen.in[0].type == CW_VAL_INT && seen.in[0].value == CW_OP_APPEND);
    CHECK(seen.in[1].type == CW_VAL_INT && seen.in[1].value == 7);
    CHECK(seen.in[2].value == 5);
    CHECK(seen.in[3].value == 1700000000000.0);
    CHECK_INT(seen.in[4].type, CW_VAL_TEXT);
    CHECK_STR(seen.text[4], "rid");
    CHECK_INT(seen.in[5].type, CW_VAL_NULL); /* 'z' with no text */
    CHECK_INT(seen.in[6].type, CW_VAL_TEXT);
    CHECK_STR(seen.text[6], "key");
    CHECK_INT(seen.in[7].type, CW_VAL_BLOB);
    CHECK_STR(seen.text[7], "{\"a\":1}");
    CHECK(seen.in[8].value == 99);
    CHECK(seen.in[9].value == CW_OP_CLEAR_UNDER && seen.in[10].value == 1);
    CHECK_INT(seen.in[11].type, CW_VAL_TEXT);
    CHECK_STR(seen.text[11], "/k");
    CHECK(seen.in[12].value == CW_OP_META && seen.in[13].value == 4);
    CHECK((long long)seen.in[14].value == 9007199254740991LL);
    CHECK_INT(cw_store_pending(), 0);
    /* 'B': bytes, or NULL for a NULL pointer (a spilled object's row). */
    CHECK_INT(cw_store_run(CW_OP_PUT_NODE, NULL, "ttBii", "", (size_t)0, "k", (size_t)1,
                           (const char *)NULL, (size_t)0, 7LL, 1LL),
              0);
    CHECK_INT(cw_store_commit(), 0);
    CHECK_INT(seen.n, 7);
    CHECK_INT(seen.in[4].type, CW_VAL_NULL);
    seen.calls = 1;
    CHECK_INT(cw_store_commit(), 0); /* nothing queued: nothing crosses */
    CHECK_INT(seen.calls, 1);
    /* A read runs at once, queued writes or not. */
    CHECK_INT(cw_store_run(CW_OP_CLEAR, NULL, ""), 0);
    CHECK_INT(cw_store_run(CW_Q_META, NULL, ""), 0);
    CHECK_INT(seen.calls, 2);
    CHECK_INT(seen.op, CW_Q_META);
    cw_store_discard();
    CHECK_INT(cw_store_pending(), 0);
    cw_port_install(NULL);
}

static void rows_read_back_as_values(void) {
    cw_rows r;
    cw_value v;
    cw_port_install(recorder);
    CHECK_INT(cw_store_run(CW_Q_CHILDREN, &r, "s", ""), 0);
    CHECK_INT(r.rows, 2);
    CHECK_INT(r.cols, 3);
    for (int row = 0; row < 2; row++) {
        CHECK_INT(cw_store_rows_value(&r, &v), 0);
        CHECK_INT(v.type, CW_VAL_INT);
        CHECK_INT(v.i, 7 + row);
        CHECK_INT(cw_store_rows_value(&r, &v), 0);
        CHECK_INT(v.type, CW_VAL_TEXT); /* a BLOB reads as bytes too */
        CHECK(v.n == 2 && memcmp(v.s, "ab", 2) == 0);
        CHECK_INT(cw_store_rows_value(&r, &v), 0);
        CHECK_INT(v.type, CW_VAL_NULL);
    }
    CHECK_INT(cw_store_rows_value(&r, &v), -1); /* past the last */
    cw_store_rows_done(&r);
    cw_store_rows_done(&r); /* twice is safe */
    cw_port_install(NULL);
}

static void a_failing_or_missing_host_is_an_error(void) {
    cw_rows r;
    cw_value v;
    cw_port_install(recorder);
    seen.fail = 1;
    CHECK_INT(cw_store_run(CW_Q_META, &r, ""), -1);
    CHECK_INT(r.rows, 0);
    CHECK_INT(cw_store_rows_value(&r, &v), -1);
    cw_store_rows_done(&r);
    /* A commit the host fails: -1, and the queue is empty again. */
    CHECK_INT(cw_store_run(CW_OP_CLEAR, NULL, ""), 0);
    CHECK_INT(cw_store_commit(), -1);
    CHECK_INT(cw_store_pending(), 0);
    seen.fail = 0;
    cw_port_install(NULL); /* the edge stage has no host */
    CHECK_INT(cw_store_run(CW_Q_META, &r, ""), -1);
    CHECK_INT(cw_store_run(CW_OP_CLEAR, NULL, ""), 0);
    CHECK_INT(cw_store_commit(), -1);
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
    {"writes_are_queued_and_committed_as_one_batch", writes_are_queued_and_committed_as_one_batch},
    {"rows_read_back_as_values", rows_read_back_as_values},
    {"a_failing_or_missing_host_is_an_error", a_failing_or_missing_host_is_an_error},
    {"every_statement_has_sql", every_statement_has_sql},
    {NULL, NULL},
};
