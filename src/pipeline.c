/* pipeline.c - request context lifecycle and the middleware chain.
 *
 * The chain is a fixed table of (before, after) hooks. befores run in order
 * and may answer early or stop with an error; the handler runs when all of
 * them pass; afters run in reverse, exactly once, when the response is final.
 * An EDGE request that forwards or touches is suspended between the handler
 * and the afters, and cw_pipeline_resume completes it. */
#include "pipeline.h"

#include <string.h>

#include "alloc.h"
#include "fmt.h"
#include "json.h"
#include "metrics.h"
#include "paths.h"
#include "runtime.h"
#include "store.h"

enum { NEXT = 0, ANSWERED = 1, STOP = -1 };

typedef struct {
    const char *name;
    int (*before)(cw_ctx *ctx); /* NEXT; ANSWERED or STOP (ctx->err set) skip
                                   the rest of the befores and the handler */
    void (*after)(cw_ctx *ctx);
} cw_middleware;

static void take_result(cw_ctx *ctx);

/* --- middleware: request id ------------------------------------------- */

/* A request id from outside (the client's x-request-id, or the edge's id
 * handed to the owner) is used only when it is 16-64 of [A-Za-z0-9-]: safe
 * in headers, JSON and logs, and long enough not to collide by accident. */
static int valid_rid(const char *p, size_t n) {
    if (!p || n < 16 || n > CW_RID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'z') ||
              (p[i] >= 'A' && p[i] <= 'Z') || p[i] == '-'))
            return 0;
    return 1;
}

static void set_rid(cw_ctx *ctx, const char *p, size_t n) {
    memcpy(ctx->rid, p, n);
    ctx->rid[n] = '\0';
}

static int rid_before(cw_ctx *ctx) {
    if (ctx->rid[0])
        return NEXT;
    if (ctx->req && ctx->stage == CW_STAGE_EDGE) {
        cw_slice h = cw_http_header(ctx->req, "x-request-id");
        if (valid_rid(h.p, h.n)) {
            set_rid(ctx, h.p, h.n);
            return NEXT;
        }
    }
    cw_runtime_hex16(ctx->rid);
    cw_runtime_hex16(ctx->rid + 16);
    ctx->rid[CW_RID_LEN] = '\0';
    return NEXT;
}

static void rid_after(cw_ctx *ctx) {
    if (ctx->stage == CW_STAGE_EDGE)
        cw_pipeline_header_add(ctx, "x-request-id", ctx->rid);
}

/* --- middleware: CORS, for the environment's configured origins only ---- */

static int cors_before(cw_ctx *ctx) {
    cw_slice origin;
    if (ctx->stage != CW_STAGE_EDGE || !ctx->req)
        return NEXT;
    origin = cw_http_header(ctx->req, "origin");
    if (!cw_http_slice_eq(ctx->req->method, "OPTIONS") || !origin.p ||
        !cw_http_header(ctx->req, "access-control-request-method").p ||
        !cw_runtime_origin_allowed(origin.p, origin.n))
        return NEXT;
    /* A preflight from an allowed origin; cors_after adds the origin. The
     * methods are the path's, from the route table. */
    if (!cw_router_allow(ctx->own.routes, ctx->own.nroutes, ctx->req->path, ctx->own.allow))
        return NEXT;
    ctx->res.status = 204;
    cw_pipeline_header_add(ctx, "access-control-allow-methods", ctx->own.allow);
    cw_pipeline_header_add(
        ctx, "access-control-allow-headers",
        "authorization, content-type, if-match, if-none-match, idempotency-key, prefer, "
        "x-request-id");
    cw_pipeline_header_add(ctx, "access-control-max-age", "600");
    return ANSWERED;
}

static void cors_after(cw_ctx *ctx) {
    if (ctx->stage != CW_STAGE_EDGE)
        return;
    /* The origin was copied at the start: req is gone after a suspension. */
    if (ctx->own.origin[0] && cw_runtime_origin_allowed(ctx->own.origin, strlen(ctx->own.origin))) {
        cw_pipeline_header_add(ctx, "access-control-allow-origin", ctx->own.origin);
        cw_pipeline_header_add(ctx, "access-control-expose-headers",
                               "etag, x-request-id, server-timing, idempotent-replayed, "
                               "preference-applied, retry-after");
    }
    cw_pipeline_header_add(ctx, "vary", "origin");
}

/* --- middleware: the body limit ---------------------------------------- */

/* A body over the environment's limit is 413 on every route. The host
 * hands over at most the limit's worth of bytes: a larger body arrives as
 * no bytes, with its size in content-length, and is never copied in. A
 * socket's frame is live.c's to refuse (the socket closes). A body the
 * host could not read whole (the client went away mid-upload) arrives as
 * none, with x-cw-unread: 400, not an internal error. */
static int limit_before(cw_ctx *ctx) {
    size_t limit = cw_runtime_config()->body_limit;
    cw_slice cl;
    unsigned long long declared = 0;
    int unread;
    if (!ctx->req || cw_http_slice_eq(ctx->req->method, "WS"))
        return NEXT;
    unread = cw_http_header(ctx->req, "x-cw-unread").p != NULL;
    cl = cw_http_header(ctx->req, "content-length");
    for (size_t i = 0; cl.p && i < cl.n && declared <= limit; i++)
        declared = cl.p[i] >= '0' && cl.p[i] <= '9' ? declared * 10 + (unsigned)(cl.p[i] - '0')
                                                    : (unsigned long long)limit + 1;
    if (!unread && ctx->req->body.n <= limit && declared <= limit)
        return NEXT;
    /* Refused before its handler runs, it is still logged and counted with
     * its route and id. */
    if (cw_router_match(ctx->own.routes, ctx->own.nroutes, ctx->req->method, ctx->req->path,
                        &ctx->own.match, &ctx->err) == 0) {
        ctx->own.route = ctx->own.match.route;
        cw_id_parse(cw_pipeline_param(ctx, "id"), ctx->who.id, &ctx->who.id_len, &ctx->err);
    }
    if (unread)
        cw_error_set(&ctx->err, CW_E_BAD_REQUEST,
                     "the body ended before its length: the client went away mid-upload");
    else
        cw_error_set(&ctx->err, CW_E_TOO_LARGE, "body is over the size limit");
    return STOP;
}

/* --- middleware: Server-Timing (cold on the instance's first response) -- */

static void timing_after(cw_ctx *ctx) {
    cw_buf v = CW_BUF_INIT;
    if (ctx->stage != CW_STAGE_EDGE)
        return;
    if (!ctx->own.cold) {
        cw_pipeline_header_add(ctx, "server-timing", "warm");
        return;
    }
    cw_buf_puts(&v, "cold");
    for (int p = 0; p < CW_PHASE_COUNT; p++) {
        cw_buf_puts(&v, ", ");
        cw_buf_puts(&v, cw_metrics_phase_name((cw_phase)p));
        cw_buf_puts(&v, ";dur=");
        cw_metrics_put_ms(&v, cw_metrics_phase_ms((cw_phase)p));
    }
    if (!v.broken)
        cw_pipeline_header_add(ctx, "server-timing", v.p);
    cw_buf_free(&v);
}

/* --- middleware: one structured log line per request ------------------ */

/* The owner's answer names its error (and a 5xx's cause) in its head's
 * x-cw-error line, which the edge takes out for its log line. */
#define ERROR_LINE "x-cw-error: "

static void log_after(cw_ctx *ctx) {
    cw_buf *line = &ctx->own.log;
    int status = (int)ctx->res.status;
    double dur = ctx->t1_ms - ctx->t0_ms;
    cw_log_level level = status >= 500 ? CW_LOG_ERROR : status >= 400 ? CW_LOG_WARN : CW_LOG_INFO;
    int own = ctx->err.code != CW_E_NONE;
    const char *code = own ? cw_error_name(ctx->err.code) : ctx->own.answered;
    const char *cause = own ? ctx->err.message : ctx->own.answered_cause;

    if (ctx->stage == CW_STAGE_OWNER && status >= 400 && code[0]) {
        cw_buf_puts(&ctx->head, ERROR_LINE);
        cw_buf_puts(&ctx->head, code);
        if (status >= 500 && cause[0]) {
            cw_buf_puts(&ctx->head, " ");
            cw_buf_puts(&ctx->head, cause);
        }
        cw_buf_puts(&ctx->head, "\r\n");
    }
    if (ctx->stage != CW_STAGE_EDGE || level < cw_runtime_config()->log_level)
        return;
    cw_buf_puts(line, "{");
    cw_buf_kstr(line, "level",
                level == CW_LOG_ERROR  ? "error"
                : level == CW_LOG_WARN ? "warn"
                                       : "info");
    cw_buf_kstr(line, "msg", "request");
    cw_buf_kstr(line, "request_id", ctx->rid);
    cw_buf_kstr(line, "method", ctx->own.method);
    cw_buf_kstr(line, "route", ctx->own.route ? ctx->own.route->name : "unmatched");
    cw_buf_kint(line, "status", status);
    cw_buf_kstr(line, "start", ctx->own.cold ? "cold" : "warm");
    cw_buf_kint(line, "duration_us", dur > 0 ? (long long)(dur * 1000) : 0);
    if (ctx->flags & CW_FLAG_SCHEDULED)
        cw_buf_kstr(line, "trigger", "cron");
    if (ctx->who.id_len)
        cw_buf_kstr(line, "id", ctx->who.id);
    if (ctx->who.kid[0]) { /* of a token, only its key id and subject */
        cw_buf_kstr(line, "kid", ctx->who.kid);
        cw_buf_kstr(line, "sub", ctx->who.actor);
    }
    if (code[0])
        cw_buf_kstr(line, "error", code);
    if (status >= 500 && cause[0])
        cw_buf_kstr(line, "cause", cause);
    /* A log line that cannot be built is dropped; the response still goes. */
    if (cw_buf_puts(line, "}") < 0)
        cw_buf_free(line);
}

/* --- middleware: metrics ---------------------------------------------- */

static void metrics_after(cw_ctx *ctx) {
    if (ctx->stage != CW_STAGE_EDGE)
        return;
    ctx->own.cold = cw_metrics_claim_cold();
    if (ctx->own.cold)
        cw_metrics_phase(CW_PHASE_FIRST_REQUEST, ctx->t1_ms - ctx->t0_ms);
    cw_metrics_request(ctx->own.route ? ctx->own.route->name : "unmatched", (int)ctx->res.status);
}

/* --- middleware: the RPC value ----------------------------------------- */

/* The value an RPC call resolves to is the body's object with the call's
 * own members: {"ok","status"[,"version"][,"replayed"]}, version from the
 * answer's ETag, replayed when it answered an idempotent retry. The host
 * merges them (or sets the body beside them as text). */
static void rpc_after(cw_ctx *ctx) {
    cw_buf *v = &ctx->own.rpc;
    const char *h = ctx->head.p, *end = h + ctx->head.len;
    if (ctx->stage != CW_STAGE_EDGE || !(ctx->flags & CW_FLAG_RPC))
        return;
    cw_buf_puts(v, ctx->res.status == 200 ? "{\"ok\":true" : "{\"ok\":false");
    cw_buf_kint(v, "status", ctx->res.status);
    for (const char *line = h; line && line < end;) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        size_t n = (size_t)((eol ? eol : end) - line);
        if (n > 8 && memcmp(line, "etag: \"", 7) == 0) {
            cw_buf_key(v, "version");
            cw_buf_append(v, line + 7, n - 9); /* the digits between the quotes */
        }
        if (n == 26 && memcmp(line, "idempotent-replayed: true\r", 26) == 0)
            cw_buf_puts(v, ",\"replayed\":true");
        line = eol ? eol + 1 : NULL;
    }
    cw_buf_puts(v, "}");
}

/* --- middleware: error mapping ---------------------------------------- */

static void errors_after(cw_ctx *ctx) {
    cw_buf b = CW_BUF_INIT;

    if (ctx->err.code == CW_E_NONE && ctx->res.status == 0)
        cw_error_set(&ctx->err, CW_E_INTERNAL, "handler produced no response");
    if (ctx->err.code == CW_E_NONE)
        return;
    /* An error replaces whatever answer was being built, headers included:
     * an ETag or content type of a success it replaced would be a lie. The
     * middleware's own headers are added after this hook. */
    ctx->res.status = (uint32_t)cw_error_status(ctx->err.code);
    ctx->body.len = 0;
    ctx->own.body_ref = NULL;
    ctx->head.len = 0;
    ctx->head.broken = 0;
    ctx->own.keeping = 0;
    if (ctx->err.code == CW_E_METHOD && ctx->own.allow[0])
        cw_pipeline_header_add(ctx, "allow", ctx->own.allow);
    if (ctx->err.code == CW_E_UNAUTHORIZED)
        cw_pipeline_header_add(ctx, "www-authenticate",
                               ctx->who.challenge ? ctx->who.challenge : "Bearer");
    if (ctx->err.code == CW_E_TIMEOUT || ctx->err.code == CW_E_TOO_MANY_SOCKETS)
        cw_pipeline_header_add(ctx, "retry-after", "1");
    if (ctx->err.code == CW_E_UPGRADE_REQUIRED)
        cw_pipeline_header_add(ctx, "upgrade", "websocket");
    ctx->frames.len = 0; /* they went with the answer the error replaced */
    ctx->res.flags &= ~(uint32_t)(CW_RESULT_HELD | CW_RESULT_STREAM | CW_RESULT_UNSIZED);
    ctx->more = NULL;
    ctx->res.hold = -1;
    /* An error answer stands for nothing written: writes the request queued
     * before it failed are dropped, never committed. */
    if (ctx->stage == CW_STAGE_OWNER)
        cw_store_discard();
    cw_pipeline_error_json(ctx, &b);
    cw_pipeline_respond_buf(ctx, (int)ctx->res.status, "application/json", &b);
}

/* {"error":{"code","message","request_id"[,extra]}}: fixed shape; the
 * message is printable ASCII (error.h) and extra is JSON members. */
void cw_pipeline_error_json(const cw_ctx *ctx, cw_buf *b) {
    cw_buf_puts(b, "{\"error\":{\"code\":\"");
    cw_buf_puts(b, cw_error_name(ctx->err.code));
    cw_buf_puts(b, "\",\"message\":");
    cw_buf_putjs(b, ctx->err.message, strlen(ctx->err.message));
    cw_buf_puts(b, ",\"request_id\":\"");
    cw_buf_puts(b, ctx->rid);
    cw_buf_puts(b, "\"");
    cw_buf_append(b, ctx->err_extra.p, ctx->err_extra.len);
    cw_buf_puts(b, "}}");
}

#ifdef CW_TEST_ROUTES
/* Test builds only: an owner request with x-cw-test-delay: <ms> first asks
 * the host to wait that long and run it again (CW_ACTION_WAIT), so tests
 * can hold a Durable Object's answer (the deadline; a trap elsewhere in the
 * meantime). */
static int test_delay_before(cw_ctx *ctx) {
    cw_slice ms;
    if (ctx->stage != CW_STAGE_OWNER || !ctx->req || (ctx->flags & CW_FLAG_WAITED))
        return NEXT;
    ms = cw_http_header(ctx->req, "x-cw-test-delay");
    if (!ms.p)
        return NEXT;
    return cw_pipeline_suspend(ctx, CW_ACTION_WAIT, ms.p, ms.n, NULL, NULL) < 0 ? STOP : ANSWERED;
}
#endif

static const cw_middleware chain[] = {
    {"request_id", rid_before, rid_after},   {"cors", cors_before, cors_after},
    {"limit", limit_before, NULL},
#ifdef CW_TEST_ROUTES
    {"test_delay", test_delay_before, NULL},
#endif
    {"timing", NULL, timing_after},          {"log", NULL, log_after},
    {"metrics", NULL, metrics_after},        {"rpc", NULL, rpc_after},
    {"errors", NULL, errors_after},
};
#define CHAIN_LEN (sizeof(chain) / sizeof(chain[0]))

/* Each call into the pipeline may allocate at most the environment's
 * call_memory: a request that needs more (an adversarial body, say) fails
 * its allocations, is answered 413, and never grows wasm memory, which
 * cannot shrink, past that. */
static void begin_call(void) { cw_alloc_ceiling(cw_runtime_config()->call_memory); }

static void end_call(cw_ctx *ctx) {
    if (cw_alloc_ceiling_hit() && (ctx->err.code == CW_E_INTERNAL || ctx->err.code == CW_E_NONE)) {
        cw_error_setf(&ctx->err, CW_E_TOO_LARGE,
                      "the request needs more than the %d MiB of memory it may use",
                      (long long)(cw_runtime_config()->call_memory >> 20));
    }
    cw_alloc_ceiling(0);
}

/* A HEAD answer is the GET answer without its body (RFC 9110 section
 * 9.3.2), with the length the body would have had. Only the edge does
 * this: the owner answers HEAD as GET, and the edge strips the result. */
static void strip_head(cw_ctx *ctx) {
    char n[24];
    if (ctx->stage != CW_STAGE_EDGE || strcmp(ctx->own.method, "HEAD") != 0)
        return;
    if (ctx->own.unsized) { /* no length to tell: none is told */
        ctx->body.len = 0;
        ctx->own.keeping = 0;
        return;
    }
    n[cw_fmt_utoa(n, ctx->own.keeping    ? ctx->own.kept
                     : ctx->own.body_ref ? ctx->own.body_ref_len
                                         : ctx->body.len)] = '\0';
    /* (the owner answers HEAD as GET: a held body's length is the edge's kept) */
    cw_pipeline_header_add(ctx, "content-length", n);
    ctx->body.len = 0;
    ctx->own.body_ref = NULL;
    ctx->own.keeping = 0;
}

/* Every after hook runs, in reverse order, once, without the call's memory
 * ceiling (an error answer must always be buildable). */
static void run_afters(cw_ctx *ctx, double now_ms) {
    end_call(ctx);
    ctx->t1_ms = now_ms;
    for (size_t i = CHAIN_LEN; i-- > 0;)
        if (chain[i].after)
            chain[i].after(ctx);
    strip_head(ctx);
    if (ctx->finish)
        ctx->finish(ctx);
    /* An upgrade that ends in anything but a 101 leaves no socket open: the
     * one accepted for it is closed, whatever failed after the accept. */
    if (ctx->own.upgraded && ctx->res.status != 101)
        cw_pipeline_frame_close(ctx, CW_FRAME_ACCEPTED, 1011, "the upgrade failed");
    ctx->own.final = 1;
    take_result(ctx);
}

/* --- context ----------------------------------------------------------- */

cw_ctx *cw_pipeline_new(int stage, const cw_route *routes, size_t n) {
    cw_ctx *ctx = cw_alloc_new(sizeof(*ctx));
    if (!ctx)
        return NULL;
    memset(ctx, 0, sizeof(*ctx));
    ctx->stage = stage;
    ctx->own.routes = routes;
    ctx->own.nroutes = n;
    ctx->held = -1;
    ctx->res.hold = -1;
    return ctx;
}

cw_slice cw_pipeline_param(const cw_ctx *ctx, const char *name) {
    return cw_router_param(&ctx->own.match, name);
}

void cw_pipeline_free(cw_ctx *ctx) {
    if (!ctx)
        return;
    if (ctx->stage == CW_STAGE_OWNER)
        cw_store_discard(); /* a batch never outlives its request */
    if (ctx->state && ctx->state_free)
        ctx->state_free(ctx->state);
    for (size_t i = 0; i < sizeof ctx->own.owned / sizeof ctx->own.owned[0]; i++)
        if (ctx->own.owned[i].p)
            ctx->own.owned[i].free(ctx->own.owned[i].p);
    json_decref(ctx->who.read_paths);
    json_decref(ctx->who.write_paths);
    cw_buf_free(&ctx->envelope);
    cw_buf_free(&ctx->err_extra);
    cw_buf_free(&ctx->head);
    cw_buf_free(&ctx->body);
    cw_buf_free(&ctx->own.log);
    cw_buf_free(&ctx->own.rpc);
    cw_buf_free(&ctx->frames);
    cw_buf_free(&ctx->own.ask);
    cw_buf_free(&ctx->input);
    cw_alloc_free(ctx);
}

/* Points the host-visible result at the context's buffers. */
static void take_result(cw_ctx *ctx) {
    cw_result *r = &ctx->res;
    if (ctx->head.broken || ctx->body.broken || ctx->frames.broken) {
        /* Out of memory while building the answer: a bare 500 the host can
         * always render, since nothing here allocates. */
        r->status = 500;
        r->head = "";
        r->head_len = 0;
        r->body = "";
        r->body_len = 0;
        ctx->own.keeping = 0;
        ctx->frames.len = 0;
        r->flags = 0;
        r->hold = -1;
    } else {
        r->head = ctx->head.p ? ctx->head.p : "";
        r->head_len = (uint32_t)ctx->head.len;
        r->body = ctx->own.body_ref ? ctx->own.body_ref : ctx->body.p ? ctx->body.p : "";
        r->body_len = (uint32_t)(ctx->own.body_ref ? ctx->own.body_ref_len : ctx->body.len);
    }
    if (r->action == CW_ACTION_NONE)
        r->keep = (uint32_t)ctx->own.keeping;
    r->request_id = ctx->rid;
    r->request_id_len = (uint32_t)strlen(ctx->rid);
    r->log = ctx->own.log.p ? ctx->own.log.p : "";
    r->log_len = (uint32_t)ctx->own.log.len;
    r->frames = ctx->frames.p ? ctx->frames.p : "";
    r->frames_len = (uint32_t)ctx->frames.len;
    r->rpc = ctx->own.rpc.p ? ctx->own.rpc.p : "";
    r->rpc_len = (uint32_t)ctx->own.rpc.len;
}

static void clear_action(cw_ctx *ctx) {
    ctx->res.action = CW_ACTION_NONE;
    ctx->res.ask = ctx->res.input = NULL;
    ctx->res.ask_len = ctx->res.input_len = 0;
    ctx->res.keep = 0;
}

static void copy_cstr(char *dst, size_t cap, cw_slice s) {
    size_t n = s.p ? (s.n < cap - 1 ? s.n : cap - 1) : 0;
    if (n)
        memcpy(dst, s.p, n);
    dst[n] = '\0';
}

static void dispatch(cw_ctx *ctx) {
    const cw_request *req = ctx->req;
    if (cw_router_match(ctx->own.routes, ctx->own.nroutes, req->method, req->path, &ctx->own.match,
                        &ctx->err) < 0) {
        if (ctx->err.code == CW_E_METHOD)
            memcpy(ctx->own.allow, ctx->own.match.allow, sizeof ctx->own.allow);
        return;
    }
    ctx->own.route = ctx->own.match.route;
    /* workerd hands the worker a request with Upgrade: websocket as a GET
     * whatever its method: answered as a read, a PATCH would seem written. */
    if (!(ctx->own.route->flags & CW_ROUTE_UPGRADE) &&
        cw_http_slice_ieq(cw_http_slice_trim(cw_http_header(req, "upgrade")), "websocket")) {
        cw_error_set(&ctx->err, CW_E_BAD_REQUEST,
                     "Upgrade: websocket is taken only by /state/{id}/live; send this request "
                     "without it");
        return;
    }
    ctx->own.route->handler(ctx);
}

int cw_pipeline_reroute(cw_ctx *ctx) {
    if (ctx->envelope.broken)
        return cw_error_oom(&ctx->err);
    if (cw_http_parse(ctx->envelope.p, ctx->envelope.len, &ctx->own.owned_req, &ctx->err) < 0)
        return -1;
    ctx->req = &ctx->own.owned_req;
    copy_cstr(ctx->own.method, sizeof ctx->own.method, ctx->req->method);
    ctx->own.route = NULL;
    dispatch(ctx);
    return ctx->err.code == CW_E_NONE ? 0 : -1;
}

void cw_pipeline_who_paths(cw_ctx *ctx, json_t *read, json_t *write) {
    json_decref(ctx->who.read_paths);
    json_decref(ctx->who.write_paths);
    ctx->who.read_paths = json_incref(read);
    ctx->who.write_paths = json_incref(write);
}

/* p[0..n) to the grant, its controls, spaces, '%' and non-ASCII bytes
 * percent-escaped: a header keeps it as it is. */
static void put_escaped(cw_ctx *ctx, const char *p, size_t n) {
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        char e[3] = {'%', hex[c >> 4], hex[c & 15]};
        if (c > 0x20 && c < 0x7f && c != '%')
            cw_buf_append(&ctx->input, (const char *)&c, 1);
        else
            cw_buf_append(&ctx->input, e, 3);
    }
}

/* who's path lists as the grant's scope suffix: ":" and the JSON
 * {"read"?:[...],"write"?:[...]} percent-encoded (every byte but printable
 * ASCII, and "%"), so that it holds no space and fits a header. Nothing
 * when both are the whole document. */
static void put_paths(cw_ctx *ctx) {
    json_t *o;
    cw_buf j = CW_BUF_INIT;
    if (!ctx->who.read_paths && !ctx->who.write_paths)
        return;
    if (!(o = json_object()) ||
        (ctx->who.read_paths && json_object_set(o, "read", ctx->who.read_paths) < 0) ||
        (ctx->who.write_paths && json_object_set(o, "write", ctx->who.write_paths) < 0) ||
        cw_json_dump(o, &j) < 0) {
        ctx->input.broken = 1;
    } else {
        cw_buf_append(&ctx->input, ":", 1);
        put_escaped(ctx, j.p, j.len);
    }
    json_decref(o);
    cw_buf_free(&j);
}

/* The grant an OWNER request runs under: "<scope> <exp> <kid> <actor>",
 * scope "w" (read and write) or "r" (read only), in capitals for an RPC
 * caller (the owner then runs the request as an RPC call's), then, when
 * the token limits the paths, ":" and them (put_paths); exp the token's
 * expiry in seconds (0: none), kid its key ("" when none), the actor
 * escaped as the paths are (put_escaped), so that a header (the upgrade's
 * x-cw-grant) keeps it whole. A header loses trailing spaces, so the parts
 * after the scope may be cut short. Anything else, the empty grant included, grants
 * nothing (who.granted 0): fail closed. An owner of an earlier version
 * reads a scope with paths as no scope: it grants nothing. */
int cw_pipeline_grant(cw_ctx *ctx, cw_slice actor) {
    char num[24];
    ctx->input.len = 0;
    cw_buf_append(&ctx->input,
                  (ctx->flags & CW_FLAG_RPC) ? (ctx->who.read_only ? "R" : "W")
                                             : (ctx->who.read_only ? "r" : "w"),
                  1);
    put_paths(ctx);
    cw_buf_append(&ctx->input, " ", 1);
    /* An exp past 2^53 - 1 s is as good as never: it stays a JS number. */
    cw_buf_append(&ctx->input, num,
                  cw_fmt_utoa(num, (unsigned long long)(ctx->who.exp <= 0 ? 0
                                                        : ctx->who.exp < 9007199254740991LL
                                                            ? ctx->who.exp
                                                            : 9007199254740991LL)));
    cw_buf_append(&ctx->input, " ", 1);
    cw_buf_puts(&ctx->input, ctx->who.kid);
    cw_buf_append(&ctx->input, " ", 1);
    put_escaped(ctx, actor.p, actor.n);
    return ctx->input.broken ? cw_error_oom(&ctx->err) : 0;
}

/* Splits off the part of g up to the next space (or its end). */
static cw_slice part(cw_slice *g) {
    cw_slice p = {g->p, 0};
    while (p.n < g->n && g->p[p.n] != ' ')
        p.n++;
    g->p += p.n + (p.n < g->n);
    g->n -= p.n + (p.n < g->n);
    return p;
}

/* The path lists of a scope's suffix (put_paths) into who: 0, or -1
 * when they are not lists. */
static int take_paths(cw_ctx *ctx, cw_slice s) {
    cw_buf j = CW_BUF_INIT;
    json_t *o = NULL, *read = NULL, *write = NULL;
    const char *why;
    int rc = -1;
    if (cw_http_unescape(s, &j) == 0 && (o = cw_json_load(j.p ? j.p : "", j.len)) &&
        json_is_object(o) && json_object_size(o) <= 2 &&
        (!json_object_get(o, "read") ||
         cw_paths_read(json_object_get(o, "read"), &read, &why) == 0) &&
        (!json_object_get(o, "write") ||
         cw_paths_read(json_object_get(o, "write"), &write, &why) == 0)) {
        cw_pipeline_who_paths(ctx, read, write);
        rc = 0;
    }
    json_decref(read);
    json_decref(write);
    json_decref(o);
    cw_buf_free(&j);
    return rc;
}

/* The grant cw_pipeline_grant wrote, read back in the owner. */
static void take_grant(cw_ctx *ctx, const char *p, size_t n) {
    cw_slice g = {p, p ? n : 0}, scope = part(&g), exp = part(&g), kid = part(&g);
    cw_buf actor = CW_BUF_INIT;
    long long e = 0;
    char c = scope.n == 1 || (scope.n > 2 && scope.p[1] == ':') ? scope.p[0] : 0;
    if (scope.n > 2 && take_paths(ctx, (cw_slice){scope.p + 2, scope.n - 2}) < 0)
        c = 0;
    ctx->who.granted = c == 'r' || c == 'w' || c == 'R' || c == 'W';
    ctx->who.read_only = !ctx->who.granted || c == 'r' || c == 'R';
    if (c == 'R' || c == 'W')
        ctx->flags |= CW_FLAG_RPC;
    if (exp.n && cw_http_uint(exp, &e) < 0)
        ctx->who.granted = 0, ctx->who.read_only = 1;
    ctx->who.exp = e;
    copy_cstr(ctx->who.kid, sizeof ctx->who.kid, kid);
    if (cw_http_unescape(g, &actor) < 0)
        ctx->who.granted = 0, ctx->who.read_only = 1;
    copy_cstr(ctx->who.actor, sizeof ctx->who.actor, (cw_slice){actor.p, actor.len});
    cw_buf_free(&actor);
}

void cw_pipeline_run(cw_ctx *ctx, const cw_run *run) {
    cw_request req, *parsed;
    const char *bytes = run->req;
    int answered = 0;

    begin_call();
    ctx->t0_ms = run->now_ms;
    ctx->wall_ms = run->wall_ms;
    ctx->flags = run->flags;
    ctx->held = run->held;
    ctx->incarnation = run->incarnation;
    if (valid_rid(run->rid, run->rid_len))
        set_rid(ctx, run->rid, run->rid_len);
    if (ctx->stage == CW_STAGE_OWNER) {
        /* The owner suspends to read and commit: it keeps its own copy. */
        take_grant(ctx, run->grant, run->grant ? run->grant_len : 0);
        if (cw_buf_append(&ctx->envelope, bytes, run->n) < 0)
            cw_error_oom(&ctx->err);
        bytes = ctx->envelope.p;
    }
    /* The owner parses into its own request, kept; the edge onto the stack. */
    parsed = ctx->stage == CW_STAGE_OWNER ? &ctx->own.owned_req : &req;
    if (ctx->err.code == CW_E_NONE && cw_http_parse(bytes, run->n, parsed, &ctx->err) == 0) {
        ctx->req = parsed;
        copy_cstr(ctx->own.method, sizeof ctx->own.method, parsed->method);
        copy_cstr(ctx->own.origin, sizeof ctx->own.origin, cw_http_header(parsed, "origin"));
    } else if (bytes) { /* refused for its head: its method is still logged */
        const char *sp =
            memchr(bytes, ' ', run->n < sizeof ctx->own.method ? run->n : sizeof ctx->own.method);
        if (sp)
            copy_cstr(ctx->own.method, sizeof ctx->own.method,
                      (cw_slice){bytes, (size_t)(sp - bytes)});
    }
    /* Even an unparsable envelope (its error already recorded) gets a
     * request id and the after hooks. */
    for (size_t i = 0; i < CHAIN_LEN && !answered; i++)
        answered = chain[i].before ? chain[i].before(ctx) != NEXT : 0;
    if (ctx->flags & CW_FLAG_FAILED) {
        cw_error_set(&ctx->err, CW_E_INTERNAL, "internal error; the module was reset");
        ctx->own.upgraded = (ctx->flags & CW_FLAG_ACCEPTED) != 0;
    } else if (!answered && ctx->req && ctx->err.code == CW_E_NONE)
        dispatch(ctx);
    if (ctx->stage == CW_STAGE_EDGE) {
        ctx->req = NULL;
        ctx->own.match.nparams = 0;
    }
    if (ctx->res.action != CW_ACTION_NONE && ctx->err.code == CW_E_NONE) {
        end_call(ctx);
        take_result(ctx); /* suspended: afters run in cw_pipeline_resume */
        return;
    }
    clear_action(ctx);
    run_afters(ctx, run->now_ms);
}

/* head without the owner's x-cw-error line (log_after), whose code and
 * cause are kept for the log line; the rest of head is copied to rest. */
static const char *take_answered(cw_ctx *ctx, const char *head, size_t *n, cw_buf *rest) {
    const char *end = head + *n;
    for (const char *line = head; line < end;) {
        const char *eol = memchr(line, '\n', (size_t)(end - line)), *next = eol ? eol + 1 : end;
        const char *v = line + sizeof ERROR_LINE - 1, *ve = next - (eol ? 2 : 0), *sp;
        if (ve > v && memcmp(line, ERROR_LINE, sizeof ERROR_LINE - 1) == 0) {
            sp = memchr(v, ' ', (size_t)(ve - v));
            copy_cstr(ctx->own.answered, sizeof ctx->own.answered,
                      (cw_slice){v, (size_t)((sp ? sp : ve) - v)});
            if (sp)
                copy_cstr(ctx->own.answered_cause, sizeof ctx->own.answered_cause,
                          (cw_slice){sp + 1, (size_t)(ve - sp - 1)});
            cw_buf_append(rest, head, (size_t)(line - head));
            cw_buf_append(rest, next, (size_t)(end - next));
            *n = rest->len;
            return rest->p ? rest->p : "";
        }
        line = next;
    }
    return head;
}

int cw_pipeline_resume(cw_ctx *ctx, int status, const char *head, size_t head_len, const char *body,
                       size_t body_len, double now_ms) {
    cw_resume_fn fn = ctx->own.on_resume;
    void *arg = ctx->own.resume_arg;
    int keep = (int)ctx->res.keep;
    cw_buf rest = CW_BUF_INIT;
    if (ctx->own.final || ctx->res.action == CW_ACTION_NONE)
        return -1;
    begin_call();
    if (ctx->res.action == CW_ACTION_FORWARD || ctx->res.action == CW_ACTION_UPGRADE) {
        ctx->body.len = 0; /* the envelope it handed over is not the answer */
        head = take_answered(ctx, head, &head_len, &rest);
    }
    clear_action(ctx);
    ctx->own.on_resume = NULL;
    ctx->own.resume_arg = NULL;
    ctx->t1_ms = now_ms;
    if (fn) {
        fn(ctx, arg, status, head, head_len, body, body_len);
        cw_buf_free(&rest);
        if (ctx->res.action != CW_ACTION_NONE && ctx->err.code == CW_E_NONE) {
            end_call(ctx);
            take_result(ctx); /* suspended again */
            return 0;
        }
        clear_action(ctx);
    } else if (status == CW_OWNER_TIMEOUT) {
        cw_error_set(&ctx->err, CW_E_TIMEOUT, NULL);
    } else if (status < 100 || status > 599) {
        cw_error_set(&ctx->err, CW_E_UNAVAILABLE, NULL);
    } else {
        /* The owner's answer is the response. Its body stays with the host
         * (only its length crossed) unless the host was not asked to keep it. */
        ctx->res.status = (uint32_t)status;
        ctx->own.upgraded = status == 101;
        cw_buf_append(&ctx->head, head, head_len);
        if (keep) {
            ctx->own.keeping = 1;
            ctx->own.unsized = body_len == CW_KEPT_UNSIZED;
            ctx->own.kept = ctx->own.unsized ? 0 : body_len;
        } else {
            cw_buf_append(&ctx->body, body, body_len);
        }
    }
    cw_buf_free(&rest);
    run_afters(ctx, now_ms);
    return 0;
}

/* --- handler API ------------------------------------------------------- */

int cw_pipeline_header_add(cw_ctx *ctx, const char *name, const char *value) {
    cw_buf_puts(&ctx->head, name);
    cw_buf_append(&ctx->head, ": ", 2);
    cw_buf_puts(&ctx->head, value);
    return cw_buf_append(&ctx->head, "\r\n", 2);
}

void cw_pipeline_answered(cw_ctx *ctx, const char *code) {
    size_t n = 0;
    for (; *code && n < sizeof ctx->own.answered - 1; code++)
        if (((*code | 32) >= 'a' && (*code | 32) <= 'z') || (*code >= '0' && *code <= '9') ||
            strchr("_.-", *code))
            ctx->own.answered[n++] = *code;
    ctx->own.answered[n] = '\0';
}

int cw_pipeline_respond_json(cw_ctx *ctx, int status, json_t *body) {
    int rc;
    ctx->body.len = 0;
    ctx->own.body_ref = NULL;
    rc = cw_json_dump(body, &ctx->body);
    json_decref(body);
    if (rc < 0 || ctx->body.broken) {
        ctx->body.broken = 1;
        return cw_error_oom(&ctx->err);
    }
    ctx->res.status = (uint32_t)status;
    return cw_pipeline_header_add(ctx, "content-type", "application/json");
}

static int frame(cw_ctx *ctx, uint32_t op, uint32_t target, uint32_t code, const char *p,
                 size_t n) {
    static const char pad[3] = {0};
    cw_buf_put32(&ctx->frames, op);
    cw_buf_put32(&ctx->frames, target);
    cw_buf_put32(&ctx->frames, code);
    cw_buf_put32(&ctx->frames, (uint32_t)n);
    cw_buf_append(&ctx->frames, p, n);
    if (cw_buf_append(&ctx->frames, pad, (4 - n % 4) % 4) < 0)
        return cw_error_oom(&ctx->err);
    return 0;
}

int cw_pipeline_frame_text(cw_ctx *ctx, const char *text, size_t n) {
    return frame(ctx, CW_FRAME_TEXT, 0, 0, text, n);
}

int cw_pipeline_frame_to(cw_ctx *ctx, uint32_t target) {
    return frame(ctx, CW_FRAME_TO, target, 0, NULL, 0);
}

void cw_pipeline_accepted(cw_ctx *ctx) { ctx->own.upgraded = 1; }

void cw_pipeline_unsized(cw_ctx *ctx) { ctx->res.flags |= CW_RESULT_UNSIZED; }

int cw_pipeline_stream_answer(cw_ctx *ctx, int status, const char *content_type,
                              int (*more)(cw_ctx *ctx, void *arg, cw_buf *out), void *arg) {
    int rc;
    ctx->body.len = 0;
    ctx->own.body_ref = NULL;
    ctx->more = more;
    ctx->more_arg = arg;
    if ((rc = more(ctx, arg, &ctx->body)) < 0) {
        ctx->more = NULL;
        return -1;
    }
    if (rc == 0)
        ctx->more = NULL; /* it all fit in one piece */
    ctx->res.status = (uint32_t)status;
    ctx->res.flags |= rc ? CW_RESULT_STREAM : 0;
    if (!content_type)
        return 0;
    ctx->res.flags |= CW_RESULT_UNSIZED;
    return cw_pipeline_header_add(ctx, "content-type", content_type);
}

/* A streamed answer's piece, in body and frames, as the result's; over: no
 * piece follows it. */
static void piece(cw_ctx *ctx, int over) {
    if (over) {
        ctx->more = NULL;
        ctx->res.flags &= ~(uint32_t)CW_RESULT_STREAM;
    }
    ctx->res.body = ctx->body.p ? ctx->body.p : "";
    ctx->res.body_len = (uint32_t)ctx->body.len;
    ctx->res.frames = ctx->frames.p ? ctx->frames.p : "";
    ctx->res.frames_len = (uint32_t)ctx->frames.len;
}

int cw_pipeline_next(cw_ctx *ctx) {
    int rc;
    if (!ctx->more || !(ctx->res.flags & CW_RESULT_STREAM))
        return 0;
    begin_call();
    ctx->body.len = ctx->frames.len = 0;
    ctx->body.broken = ctx->frames.broken = 0;
    rc = ctx->more(ctx, ctx->more_arg, &ctx->body);
    end_call(ctx);
    if (rc < 0 || ctx->body.broken || ctx->frames.broken)
        ctx->body.len = ctx->frames.len = 0, rc = -1;
    piece(ctx, rc <= 0);
    return rc;
}

void cw_pipeline_cut(cw_ctx *ctx) {
    int going = ctx->more != NULL; /* (one that ended has said so already) */
    ctx->body.len = ctx->frames.len = 0;
    if (going && (ctx->flags & CW_FLAG_SOCKET)) {
        cw_error_set(&ctx->err, CW_E_TIMEOUT,
                     "the snapshot's parts were cut off: they held the document past the stream "
                     "limit; drop them and say hello again");
        cw_pipeline_error_frame(ctx);
    }
    piece(ctx, 1);
}

int cw_pipeline_error_frame(cw_ctx *ctx) {
    cw_buf e = CW_BUF_INIT, f = CW_BUF_INIT;
    int rc;
    cw_pipeline_error_json(ctx, &e);
    cw_buf_puts(&f, "{\"type\":\"error\",");
    if (e.len > 1)
        cw_buf_append(&f, e.p + 1, e.len - 1);
    cw_buf_free(&e);
    rc = cw_pipeline_frame_reply(ctx, &f);
    cw_buf_free(&f);
    return rc;
}

int cw_pipeline_frame_close(cw_ctx *ctx, uint32_t target, int code, const char *reason) {
    return frame(ctx, CW_FRAME_CLOSE, target, (uint32_t)code, reason, strlen(reason));
}

int cw_pipeline_frame_reply(cw_ctx *ctx, const cw_buf *b) {
    if (b->broken || cw_pipeline_frame_text(ctx, b->p, b->len) < 0)
        return cw_error_oom(&ctx->err);
    return cw_pipeline_frame_to(ctx, CW_FRAME_SENDER);
}

int cw_pipeline_respond_ref(cw_ctx *ctx, int status, const char *content_type, const char *p,
                            size_t n) {
    ctx->body.len = 0;
    ctx->own.body_ref = p;
    ctx->own.body_ref_len = n;
    ctx->res.status = (uint32_t)status;
    return cw_pipeline_header_add(ctx, "content-type", content_type);
}

int cw_pipeline_respond_held(cw_ctx *ctx, int status, const char *content_type) {
    ctx->body.len = 0;
    ctx->own.body_ref = NULL;
    ctx->res.flags |= CW_RESULT_HELD;
    ctx->res.status = (uint32_t)status;
    return cw_pipeline_header_add(ctx, "content-type", content_type);
}

void cw_pipeline_hold(cw_ctx *ctx, double tag) { ctx->res.hold = tag; }

void *cw_pipeline_own(cw_ctx *ctx, void *p, void (*free_fn)(void *p)) {
    for (size_t i = 0; p && i < sizeof ctx->own.owned / sizeof ctx->own.owned[0]; i++)
        if (!ctx->own.owned[i].p) {
            ctx->own.owned[i].p = p;
            ctx->own.owned[i].free = free_fn;
            return p;
        }
    if (p)
        free_fn(p);
    return NULL;
}

int cw_pipeline_respond_buf(cw_ctx *ctx, int status, const char *content_type, cw_buf *b) {
    if (b->broken) {
        cw_buf_free(b);
        return cw_error_oom(&ctx->err);
    }
    cw_buf_free(&ctx->body);
    ctx->body = *b;
    ctx->own.body_ref = NULL;
    *b = (cw_buf)CW_BUF_INIT;
    ctx->res.status = (uint32_t)status;
    return cw_pipeline_header_add(ctx, "content-type", content_type);
}

int cw_pipeline_forward(cw_ctx *ctx, cw_resume_fn fn, void *arg) {
    ctx->res.status = 0;
    ctx->res.action = CW_ACTION_FORWARD;
    ctx->res.ask = ctx->who.id;
    ctx->res.ask_len = (uint32_t)ctx->who.id_len;
    ctx->res.input = ctx->input.p ? ctx->input.p : "";
    ctx->res.input_len = (uint32_t)ctx->input.len;
    /* An envelope the module built (an RPC call's) goes as the body. */
    ctx->body.len = 0;
    cw_buf_append(&ctx->body, ctx->envelope.p, ctx->envelope.len);
    ctx->own.on_resume = fn;
    ctx->own.resume_arg = arg;
    /* Without a resume hook the owner's answer is the response as it is:
     * its body need not cross back into the module. */
    ctx->res.keep = fn == NULL;
    return ctx->body.broken ? cw_error_oom(&ctx->err) : 0;
}

int cw_pipeline_suspend(cw_ctx *ctx, int action, const char *what, size_t n, cw_resume_fn fn,
                        void *arg) {
    /* Other requests run while this one waits: a write it queued would go
     * in their batch. */
    if (cw_store_pending())
        return cw_error_set(&ctx->err, CW_E_INTERNAL, "writes queued across a suspension");
    ctx->own.ask.len = 0;
    if (cw_buf_append(&ctx->own.ask, what, n) < 0)
        return cw_error_oom(&ctx->err);
    ctx->res.status = 0;
    ctx->res.action = (uint32_t)action;
    ctx->res.ask = ctx->own.ask.p ? ctx->own.ask.p : "";
    ctx->res.ask_len = (uint32_t)ctx->own.ask.len;
    ctx->res.input = ctx->input.p ? ctx->input.p : "";
    ctx->res.input_len = (uint32_t)ctx->input.len;
    ctx->own.on_resume = fn;
    ctx->own.resume_arg = arg;
    return 0;
}

int cw_pipeline_call(cw_ctx *ctx, const char *plugin, const char *entry, cw_resume_fn fn,
                     void *arg) {
    cw_buf what = CW_BUF_INIT;
    int rc;
    /* The host copies the input into the plugin's memory: bound it first. */
    if (ctx->input.len > cw_runtime_config()->plugin_input_limit)
        return cw_error_set(&ctx->err, CW_E_TOO_LARGE,
                            "the input for the plugin is over its limit");
    cw_buf_puts(&what, plugin);
    cw_buf_append(&what, " ", 1);
    cw_buf_puts(&what, entry);
    rc = ctx->input.broken || what.broken
             ? cw_error_oom(&ctx->err)
             : cw_pipeline_suspend(ctx, CW_ACTION_CALL, what.p, what.len, fn, arg);
    cw_buf_free(&what);
    return rc;
}
