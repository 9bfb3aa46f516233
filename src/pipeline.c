/* pipeline.c - request context lifecycle and the middleware chain.
 *
 * The chain is a fixed table of (before, after) hooks. befores run in order
 * and may stop the chain; the handler runs when all of them pass; afters run
 * in reverse, exactly once, when the response is final. An EDGE request that
 * forwards is suspended between the handler and the afters. */
#include "pipeline.h"

#include <string.h>

#include "runtime.h"

typedef struct {
    const char *name;
    int (*before)(cw_ctx *ctx); /* -1 stops the chain (ctx->err is set) */
    void (*after)(cw_ctx *ctx);
} cw_middleware;

static void take_result(cw_ctx *ctx);

static int dump_to_buf(const char *s, size_t n, void *data) {
    return cw_buf_append((cw_buf *)data, s, n);
}

/* --- middleware: request id ------------------------------------------- */

static int valid_rid(const char *p, size_t n) {
    if (n != CW_RID_LEN)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
            return 0;
    return 1;
}

static int rid_before(cw_ctx *ctx) {
    static const char hex[] = "0123456789abcdef";
    if (ctx->rid[0])
        return 0;
    for (int half = 0; half < 2; half++) {
        uint64_t r = cw_runtime_rand64();
        for (int i = 0; i < 16; i++, r >>= 4)
            ctx->rid[half * 16 + i] = hex[r & 15];
    }
    ctx->rid[CW_RID_LEN] = '\0';
    return 0;
}

static void rid_after(cw_ctx *ctx) {
    if (ctx->stage == CW_STAGE_EDGE)
        cw_header_add(ctx, "x-request-id", ctx->rid);
}

/* --- middleware: error mapping ---------------------------------------- */

static void errors_after(cw_ctx *ctx) {
    json_t *body, *error;

    if (ctx->err.code == CW_E_NONE && ctx->res.status == 0)
        cw_error_set(&ctx->err, CW_E_INTERNAL, "handler produced no response");
    if (ctx->err.code == CW_E_NONE)
        return;
    ctx->res.status = (uint32_t)cw_error_status(ctx->err.code);
    ctx->body.len = 0;
    body = json_object();
    error = json_object();
    if (!body || !error || json_object_set_new(body, "error", error) < 0 ||
        json_object_set_new(error, "code", json_string(cw_error_name(ctx->err.code))) < 0 ||
        json_object_set_new(error, "message", json_string(ctx->err.message)) < 0 ||
        json_object_set_new(error, "request_id", json_string(ctx->rid)) < 0) {
        if (!body)
            json_decref(error);
        json_decref(body);
        ctx->body.broken = 1;
        return;
    }
    cw_respond_json(ctx, (int)ctx->res.status, body);
}

/* --- middleware: one structured log line per request ------------------ */

static void log_after(cw_ctx *ctx) {
    json_t *line;
    int status = (int)ctx->res.status;
    double dur = ctx->t1_ms - ctx->t0_ms;

    if (ctx->stage != CW_STAGE_EDGE)
        return;
    line = json_object();
    if (!line)
        return;
    json_object_set_new(line, "level",
                        json_string(status >= 500 ? "error" : status >= 400 ? "warn" : "info"));
    json_object_set_new(line, "msg", json_string("request"));
    json_object_set_new(line, "request_id", json_string(ctx->rid));
    json_object_set_new(line, "method", json_string(ctx->method));
    json_object_set_new(line, "route", json_string(ctx->route ? ctx->route->name : "unmatched"));
    json_object_set_new(line, "status", json_integer(status));
    json_object_set_new(line, "duration_us", json_integer(dur > 0 ? (json_int_t)(dur * 1000) : 0));
    if (ctx->id_len)
        json_object_set_new(line, "id", json_string(ctx->id));
    if (ctx->err.code != CW_E_NONE)
        json_object_set_new(line, "error", json_string(cw_error_name(ctx->err.code)));
    /* A log line that cannot be built is dropped; the response still goes. */
    if (json_dump_callback(line, dump_to_buf, &ctx->log, JSON_COMPACT) < 0 || ctx->log.broken)
        cw_buf_free(&ctx->log);
    json_decref(line);
}

static const cw_middleware chain[] = {
    {"request_id", rid_before, rid_after},
    {"log", NULL, log_after},
    {"errors", NULL, errors_after},
};
#define CHAIN_LEN (sizeof(chain) / sizeof(chain[0]))

static void run_afters(cw_ctx *ctx, size_t ran, double now_ms) {
    ctx->t1_ms = now_ms;
    for (size_t i = ran; i-- > 0;)
        if (chain[i].after)
            chain[i].after(ctx);
    ctx->final = 1;
    take_result(ctx);
}

/* --- context ----------------------------------------------------------- */

cw_ctx *cw_pipeline_new(int stage) {
    cw_ctx *ctx = cw_malloc(sizeof(*ctx));
    if (!ctx)
        return NULL;
    memset(ctx, 0, sizeof(*ctx));
    ctx->stage = stage;
    return ctx;
}

void cw_pipeline_free(cw_ctx *ctx) {
    if (!ctx)
        return;
    cw_buf_free(&ctx->head);
    cw_buf_free(&ctx->body);
    cw_buf_free(&ctx->log);
    cw_free(ctx->commit);
    cw_free(ctx);
}

/* Points the host-visible result at the context's buffers. */
static void take_result(cw_ctx *ctx) {
    cw_result *r = &ctx->res;
    if (ctx->head.broken || ctx->body.broken) {
        /* Out of memory while building the answer: a bare 500 the host can
         * always render, since nothing here allocates. */
        r->status = 500;
        r->head = "";
        r->head_len = 0;
        r->body = "";
        r->body_len = 0;
        cw_free(ctx->commit);
        ctx->commit = NULL;
        ctx->commit_len = 0;
    } else {
        r->head = ctx->head.p ? ctx->head.p : "";
        r->head_len = (uint32_t)ctx->head.len;
        r->body = ctx->body.p ? ctx->body.p : "";
        r->body_len = (uint32_t)ctx->body.len;
    }
    r->commit = ctx->commit;
    r->commit_len = (uint32_t)ctx->commit_len;
    r->request_id = ctx->rid;
    r->request_id_len = (uint32_t)strlen(ctx->rid);
    r->log = ctx->log.p ? ctx->log.p : "";
    r->log_len = (uint32_t)ctx->log.len;
}

static void dispatch(cw_ctx *ctx, const char *bytes, size_t n) {
    cw_request req;
    cw_match m;

    if (cw_http_parse(bytes, n, &req, &ctx->err) < 0)
        return;
    ctx->req = &req;
    {
        size_t mlen = req.method.n < sizeof(ctx->method) - 1 ? req.method.n : sizeof(ctx->method) - 1;
        memcpy(ctx->method, req.method.p, mlen);
        ctx->method[mlen] = '\0';
    }
    if (cw_router_match(cw_routes, cw_routes_len, req.method, req.path, &m, &ctx->err) < 0) {
        if (ctx->err.code == CW_E_METHOD)
            cw_header_add(ctx, "allow", m.allow);
    } else {
        ctx->route = m.route;
        ctx->param = m.param;
        m.route->handler(ctx);
    }
    ctx->req = NULL;
    ctx->param = (cw_slice){NULL, 0};
}

void cw_pipeline_run(cw_ctx *ctx, const char *req, size_t n, const char *blob, size_t blob_len,
                     const char *rid, size_t rid_len, double now_ms) {
    size_t ran = 0;

    ctx->t0_ms = now_ms;
    ctx->state_blob = blob;
    ctx->state_len = blob ? blob_len : 0;
    if (rid && valid_rid(rid, rid_len)) {
        memcpy(ctx->rid, rid, CW_RID_LEN);
        ctx->rid[CW_RID_LEN] = '\0';
    }
    for (; ran < CHAIN_LEN; ran++)
        if (chain[ran].before && chain[ran].before(ctx) < 0)
            break;
    if (ran == CHAIN_LEN)
        dispatch(ctx, req, n);
    ctx->state_blob = NULL;
    if (ctx->res.forward_len && ctx->err.code == CW_E_NONE) {
        take_result(ctx); /* suspended: afters run in cw_pipeline_resume */
        return;
    }
    ctx->res.forward = NULL;
    ctx->res.forward_len = 0;
    run_afters(ctx, ran, now_ms);
}

int cw_pipeline_resume(cw_ctx *ctx, int status, const char *head, size_t head_len,
                       const char *body, size_t body_len, double now_ms) {
    if (ctx->final || !ctx->res.forward_len)
        return -1;
    ctx->res.forward = NULL;
    ctx->res.forward_len = 0;
    if (status < 100 || status > 599) {
        cw_error_set(&ctx->err, CW_E_UNAVAILABLE, NULL);
    } else {
        ctx->res.status = (uint32_t)status;
        cw_buf_append(&ctx->head, head, head_len);
        cw_buf_append(&ctx->body, body, body_len);
    }
    run_afters(ctx, CHAIN_LEN, now_ms);
    return 0;
}

/* --- handler API ------------------------------------------------------- */

int cw_header_add(cw_ctx *ctx, const char *name, const char *value) {
    cw_buf_puts(&ctx->head, name);
    cw_buf_append(&ctx->head, ": ", 2);
    cw_buf_puts(&ctx->head, value);
    return cw_buf_append(&ctx->head, "\r\n", 2);
}

int cw_respond_json(cw_ctx *ctx, int status, json_t *body) {
    int rc;
    ctx->body.len = 0;
    rc = json_dump_callback(body, dump_to_buf, &ctx->body, JSON_COMPACT);
    json_decref(body);
    if (rc < 0 || ctx->body.broken) {
        ctx->body.broken = 1;
        return cw_error_set(&ctx->err, CW_E_INTERNAL, "out of memory");
    }
    ctx->res.status = (uint32_t)status;
    return cw_header_add(ctx, "content-type", "application/json");
}

int cw_forward(cw_ctx *ctx) {
    ctx->res.status = 0;
    ctx->res.forward = ctx->id;
    ctx->res.forward_len = (uint32_t)ctx->id_len;
    return 0;
}
