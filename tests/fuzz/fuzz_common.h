/* fuzz_common.h - shared setup and checks for the libFuzzer harnesses.
 * Every harness asserts properties, not only the absence of crashes: a
 * violated property calls abort(), which libFuzzer records as a crash. */
#ifndef CW_FUZZ_COMMON_H
#define CW_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "handlers.h"
#include "pipeline.h"
#include "plugin.h"
#include "runtime.h"
#include "state.h"

#define REQUIRE(c)                                                                                 \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "property failed: %s (%s:%d)\n", #c, __FILE__, __LINE__);              \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Every id starting with "h" has the schema sync hook (the answer is
 * played by fuzz_answer). */
static inline void fuzz_setup(void) {
    static const unsigned char seed[32] = "fuzzing seed, fixed for replays";
    static const char hooks[] = "{\"schema\":{\"h\":{\"type\":\"object\"}}}";
    cw_runtime_init(seed, sizeof seed);
    cw_runtime_configure("local", 5, "mtok", 4, "wtok", 4);
    cw_plugin_configure(hooks, sizeof hooks - 1);
}

/* libFuzzer's one-time setup hook; each harness includes this header once. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_setup();
    return 0;
}

static inline cw_ctx *fuzz_run(int stage, const char *req, size_t n, const char *blob, size_t bn) {
    size_t nroutes;
    const cw_route *routes = cw_handlers_routes(&nroutes);
    cw_ctx *ctx = cw_pipeline_new(stage, routes, nroutes);
    REQUIRE(ctx != NULL);
    cw_pipeline_run(ctx, req, n, blob, bn,
                    stage == CW_STAGE_OWNER ? "0123456789abcdef0123456789abcdef" : NULL,
                    stage == CW_STAGE_OWNER ? 32 : 0, 0, 0);
    return ctx;
}

/* Answers one suspension other than a forward, as the host would: an empty
 * report for touch and registry operations, and for a plugin call one of a
 * plugin's well-formed answers, chosen by pick. */
static inline void fuzz_answer(cw_ctx *ctx, unsigned pick) {
    static const struct {
        int status;
        const char *body;
    } calls[] = {
        {200, "{\"valid\":true}"},
        {422, "{\"error\":{\"code\":\"schema_violation\",\"message\":\"m\",\"reasons\":[]}}"},
        {400, "{\"error\":{\"code\":\"invalid_select\",\"message\":\"m\"}}"},
    };
    int s = 200;
    const char *b = "[]";
    REQUIRE(ctx->res.status == 0 && ctx->res.forward != NULL);
    if (ctx->res.action == CW_ACTION_CALL) {
        REQUIRE(ctx->res.input != NULL);
        s = calls[pick % 3].status;
        b = calls[pick % 3].body;
    }
    REQUIRE(cw_pipeline_resume(ctx, s, "", 0, b, strlen(b), 1) == 0);
}

/* Answers suspensions until ctx is final or asks for a forward. */
static inline void fuzz_settle(cw_ctx *ctx, unsigned pick) {
    while (ctx->res.action != CW_ACTION_NONE && ctx->res.action != CW_ACTION_FORWARD)
        fuzz_answer(ctx, pick++);
}

/* A final response's invariants: a status we define, a JSON error body with
 * printable ASCII message for every error, never a 5xx for any input. */
static inline void fuzz_check_final(const cw_ctx *ctx) {
    const cw_result *r = &ctx->res;
    REQUIRE(r->action == CW_ACTION_NONE);
    REQUIRE(r->status >= 200 && r->status < 500);
    /* A HEAD answer is the GET answer without its body (RFC 9110 9.3.2). */
    if (strcmp(ctx->method, "HEAD") == 0 && ctx->stage == CW_STAGE_EDGE)
        REQUIRE(r->body_len == 0);
    else if (r->status >= 400) {
        json_t *body = json_loadb(r->body, r->body_len, 0, NULL);
        json_t *err = json_object_get(body, "error");
        const char *msg = json_string_value(json_object_get(err, "message"));
        REQUIRE(json_is_string(json_object_get(err, "code")));
        REQUIRE(msg != NULL);
        for (const char *c = msg; *c; c++)
            REQUIRE((unsigned char)*c >= 0x20 && (unsigned char)*c < 0x7f);
        json_decref(body);
    }
    for (uint32_t i = 0; i < r->head_len; i++)
        REQUIRE(r->head[i] != '\0');
}

#endif
