/* exports.c - the whole C/JS boundary: every wasm export, and nothing else.
 *
 * The matching JS side is worker/bridge.js. Bytes cross as (pointer, length)
 * in linear memory; JS allocates them with cw_alloc and frees them with
 * cw_dealloc. Every pointer returned to JS names the export that frees it. */
#include <stddef.h>
#include <stdint.h>

#include "pipeline.h"
#include "runtime.h"

#ifdef __wasm__
#define CW_EXPORT(name) __attribute__((export_name(#name)))
#else
#define CW_EXPORT(name)
#endif

/* Seeds the instance from >= 16 bytes of crypto.getRandomValues output.
 * Returns 0, or -1 for too few bytes. Idempotent. */
CW_EXPORT(cw_init) int cw_init(const unsigned char *seed, size_t n) {
    return cw_runtime_init(seed, n);
}

/* n bytes for the host to fill; free with cw_dealloc. NULL on no memory. */
CW_EXPORT(cw_alloc) void *cw_alloc(size_t n) { return cw_malloc(n); }

/* Frees what cw_alloc returned. NULL is a no-op. */
CW_EXPORT(cw_dealloc) void cw_dealloc(void *p) { cw_free(p); }

/* EDGE stage: handles request envelope req[0..n) at host time now_ms. The
 * result is final, or has forward set; then call cw_resume. Free with
 * cw_result_free. NULL when out of memory or not initialized. */
CW_EXPORT(cw_handle) cw_result *cw_handle(const char *req, size_t n, double now_ms) {
    cw_ctx *ctx;
    if (!cw_runtime_ready() || !(ctx = cw_pipeline_new(CW_STAGE_EDGE)))
        return NULL;
    cw_pipeline_run(ctx, req, n, NULL, 0, NULL, 0, now_ms);
    return &ctx->res;
}

/* OWNER stage, inside the Durable Object: handles the same envelope against
 * the stored blob (blob_len 0: never written) under the edge's request id.
 * A result with commit_len > 0 must be persisted before it is answered.
 * Free with cw_result_free. NULL when out of memory or not initialized. */
CW_EXPORT(cw_owner)
cw_result *cw_owner(const char *req, size_t n, const char *blob, size_t blob_len, const char *rid,
                    size_t rid_len, double now_ms) {
    cw_ctx *ctx;
    if (!cw_runtime_ready() || !(ctx = cw_pipeline_new(CW_STAGE_OWNER)))
        return NULL;
    cw_pipeline_run(ctx, req, n, blob, blob_len, rid, rid_len, now_ms);
    return &ctx->res;
}

/* Completes a forwarded EDGE result with the owner's status, head and body
 * (borrowed). status 0: the owner failed. Returns 0, or -1 when r was not
 * waiting on a forward. r stays owned by the caller (cw_result_free). */
CW_EXPORT(cw_resume)
int cw_resume(cw_result *r, int status, const char *head, size_t head_len, const char *body,
              size_t body_len, double now_ms) {
    return cw_pipeline_resume((cw_ctx *)r, status, head, head_len, body, body_len, now_ms);
}

/* Frees a result from cw_request or cw_owner. NULL is a no-op. */
CW_EXPORT(cw_result_free) void cw_result_free(cw_result *r) { cw_pipeline_free((cw_ctx *)r); }
