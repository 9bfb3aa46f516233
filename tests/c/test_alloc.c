/* test_alloc.c - the allocator's live-byte count and the per-call ceiling,
 * and the 413 a request gets when it needs more than its call may use. */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "alloc.h"
#include "harness.h"
#include "pipeline.h"
#include "runtime.h"

static void live_bytes_are_counted(void) {
    size_t base = cw_alloc_live();
    void *a = cw_alloc_new(100), *b = cw_alloc_new(0);
    CHECK(a && b && a != b);
    CHECK(cw_alloc_live() >= base + 100);
    a = cw_alloc_resize(a, 5000);
    CHECK(a != NULL && cw_alloc_live() >= base + 5000);
    cw_alloc_free(a);
    cw_alloc_free(b);
    cw_alloc_free(NULL);
    CHECK_INT(cw_alloc_live(), base);
}

static void the_ceiling_refuses_and_lifts(void) {
    void *small, *big, *grown;
    cw_alloc_ceiling(4096);
    CHECK(!cw_alloc_ceiling_hit());
    small = cw_alloc_new(1000);
    CHECK(small != NULL);
    big = cw_alloc_new(8192);
    CHECK(big == NULL);
    CHECK(cw_alloc_ceiling_hit());
    grown = cw_alloc_resize(small, 1 << 20); /* fails, and small stays valid */
    CHECK(grown == NULL);
    memset(small, 1, 1000);
    cw_alloc_ceiling(0);
    CHECK(!cw_alloc_ceiling_hit());
    big = cw_alloc_new(1 << 20);
    CHECK(big != NULL);
    cw_alloc_free(big);
    cw_alloc_free(small);
}

/* 1 MiB of [0,0,...]: inside every input limit, yet on the host its tree
 * needs more than the test row's 16 MiB for one call. */
static void a_request_over_its_memory_is_413(void) {
    size_t n = (1u << 20) - 64, at;
    char *req = malloc(n + 128);
    cw_ctx *ctx = cw_test_pipeline(CW_STAGE_EDGE);
    json_t *body;
    at = (size_t)sprintf(req, "PATCH /state/x\r\ncontent-type: application/json\r\n\r\n{\"a\":[0");
    while (at + 4 < n) {
        memcpy(req + at, ",0", 2);
        at += 2;
    }
    memcpy(req + at, "]}", 2);
    at += 2;
    cw_run in = {req, at, NULL, 0, NULL, 0, 0, 0, 0, -1, 0};
    cw_pipeline_run(ctx, &in);
    if (ctx->res.status != 413)
        fprintf(stderr, "    %.*s\n", (int)ctx->res.body_len, ctx->res.body);
    CHECK_INT(ctx->res.status, 413);
    body = json_loadb(ctx->res.body, ctx->res.body_len, 0, NULL);
    CHECK(strstr(json_string_value(json_object_get(json_object_get(body, "error"), "message")),
                 "more than the 16 MiB") != NULL);
    json_decref(body);
    cw_pipeline_free(ctx);
    free(req);
    /* The ceiling is lifted after every call. */
    CHECK(!cw_alloc_ceiling_hit());
    req = cw_alloc_new(64u << 20);
    CHECK(req != NULL);
    cw_alloc_free(req);
}

static void configure_the_test_row(void) {
    CHECK_INT(cw_runtime_configure("test", 4, "", 0, "", 0), 0);
    CHECK_STR(cw_runtime_config()->name, "test");
}

const cw_test cw_tests[] = {
    {"configure_the_test_row", configure_the_test_row},
    {"live_bytes_are_counted", live_bytes_are_counted},
    {"the_ceiling_refuses_and_lifts", the_ceiling_refuses_and_lifts},
    {"a_request_over_its_memory_is_413", a_request_over_its_memory_is_413},
    {NULL, NULL},
};
