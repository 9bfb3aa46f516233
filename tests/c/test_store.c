/* test_store.c - the storage wire form: batches as the glue reads them,
 * and the rows reader against well-formed and malformed answers. */
#include <stdio.h>

#include "harness.h"
#include "store.h"

static uint32_t u32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void batches_encode_typed_values(void) {
    cw_store_batch b = CW_STORE_BATCH_INIT;
    const unsigned char *p;
    size_t n;
    CHECK_INT(cw_store_add(&b, CW_OP_PUT_MEMBER, "sti", "key", "v\0w", (size_t)3, 42LL), 0);
    CHECK_INT(cw_store_add(&b, CW_OP_APPEND, "zzn", NULL, (size_t)0, "", (size_t)0), 0);
    p = (const unsigned char *)cw_store_bytes(&b, &n);
    CHECK_INT(u32(p), 2);                    /* count */
    CHECK_INT(u32(p + 4), CW_OP_PUT_MEMBER); /* statement */
    CHECK_INT(u32(p + 8), 3);                /* params */
    CHECK_INT(p[12], CW_VAL_TEXT);
    CHECK_INT(u32(p + 13), 3);
    CHECK(memcmp(p + 17, "key", 3) == 0);
    CHECK_INT(p[20], CW_VAL_TEXT);
    CHECK_INT(u32(p + 21), 3);
    CHECK(memcmp(p + 25, "v\0w", 3) == 0); /* bytes, NUL included */
    CHECK_INT(p[28], CW_VAL_INT);
    CHECK_INT(p[29], 42);
    CHECK_INT(u32(p + 37), CW_OP_APPEND);
    CHECK_INT(u32(p + 41), 3);
    CHECK_INT(p[45], CW_VAL_NULL); /* 'z' with NULL: null */
    CHECK_INT(p[46], CW_VAL_NULL); /* 'z' with "": null */
    CHECK_INT(p[47], CW_VAL_NULL);
    CHECK_INT(n, 48);
    cw_store_free(&b);
    /* An empty batch still says its count. */
    p = (const unsigned char *)cw_store_bytes(&b, &n);
    CHECK_INT(n, 4);
    CHECK_INT(u32(p), 0);
    cw_store_free(&b);
}

static void every_statement_has_sql(void) {
    for (int s = 0; s < CW_STMT_COUNT; s++)
        CHECK(cw_store_sql(s) != NULL && strlen(cw_store_sql(s)) > 10);
    CHECK(cw_store_sql(CW_STMT_COUNT) == NULL);
    CHECK(cw_store_sql(-1) == NULL);
    CHECK(strstr(cw_store_schema(), "CREATE TABLE IF NOT EXISTS cw_members") != NULL);
}

static void rows_are_read_and_malformed_ones_refused(void) {
    static const unsigned char ok[] = {1, 0, 0,   0,   2, 0, 0, 0, /* 1 row, 2 cols */
                                       1, 7, 0,   0,   0, 0, 0, 0, 0, 2, 2, 0,
                                       0, 0, 'h', 'i', 0, 0, 0, 0, 0, 0, 0, 0}; /* then 0 rows */
    cw_rows r;
    cw_value v;
    cw_rows_open(&r, (const char *)ok, sizeof ok);
    CHECK_INT(cw_rows_next(&r), 0);
    CHECK_INT(r.rows, 1);
    CHECK_INT(r.cols, 2);
    CHECK_INT(cw_rows_value(&r, &v), 0);
    CHECK_INT(v.type, CW_VAL_INT);
    CHECK_INT(v.i, 7);
    CHECK_INT(cw_rows_value(&r, &v), 0);
    CHECK_INT(v.type, CW_VAL_TEXT);
    CHECK(v.n == 2 && memcmp(v.s, "hi", 2) == 0);
    CHECK_INT(cw_rows_next(&r), 0);
    CHECK_INT(r.rows, 0);
    CHECK_INT(cw_rows_next(&r), -1); /* exhausted */
    /* Truncated anywhere, or an unknown type: refused, never read past. */
    for (size_t cut = 0; cut < 24; cut++) {
        int bad = 0;
        cw_rows_open(&r, (const char *)ok, cut);
        if (cw_rows_next(&r) < 0)
            continue;
        for (int k = 0; k < 2; k++)
            bad |= cw_rows_value(&r, &v) < 0;
        CHECK(bad);
    }
    {
        static const unsigned char odd[] = {1, 0, 0, 0, 1, 0, 0, 0, 9};
        cw_rows_open(&r, (const char *)odd, sizeof odd);
        CHECK_INT(cw_rows_next(&r), 0);
        CHECK_INT(cw_rows_value(&r, &v), -1);
    }
    {
        static const unsigned char huge[] = {1, 0, 0, 0, 1, 0, 0, 0, 2, 255, 255, 255, 255, 'x'};
        cw_rows_open(&r, (const char *)huge, sizeof huge);
        CHECK_INT(cw_rows_next(&r), 0);
        CHECK_INT(cw_rows_value(&r, &v), -1);
    }
}

const cw_test cw_tests[] = {
    {"batches_encode_typed_values", batches_encode_typed_values},
    {"every_statement_has_sql", every_statement_has_sql},
    {"rows_are_read_and_malformed_ones_refused", rows_are_read_and_malformed_ones_refused},
    {NULL, NULL},
};
