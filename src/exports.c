/* exports.c - the whole C/JS boundary: every wasm export, and nothing else.
 *
 * Two modules are built from this file: the core (build/cw.wasm; its JS
 * side is worker/bridge.js) and, with CW_CONTRACT_MODULE defined, the
 * contract module of the plugins worker (build/contract.wasm; its JS side
 * is worker/plugins.js), which exports the allocator and the plugin
 * contract check only. Bytes cross as (pointer, length) in linear memory;
 * JS allocates them with cw_alloc and frees them with cw_dealloc. Every
 * pointer returned to JS names the export that frees it. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#ifdef CW_CONTRACT_MODULE
#include "plugin_registry.h"
#else
#include "buf.h"
#include "handlers.h"
#include "http.h"
#include "jwt.h"
#include "metrics.h"
#include "pipeline.h"
#include "plugin_config.h"
#include "port.h"
#include "runtime.h"
#include "store.h"
#endif

#ifdef __wasm__
#define CW_EXPORT(name) __attribute__((export_name(#name)))
#define CW_IMPORT(name) __attribute__((import_module("cw"), import_name(#name)))
#else
#define CW_EXPORT(name)
#endif

/* n bytes for the host to fill; free with cw_dealloc. NULL on no memory. */
CW_EXPORT(cw_alloc) void *cw_alloc(size_t n) { return cw_alloc_new(n); }

/* Frees what cw_alloc returned. NULL is a no-op. */
CW_EXPORT(cw_dealloc) void cw_dealloc(void *p) { cw_alloc_free(p); }

#ifndef CW_CONTRACT_MODULE
/* The input area (global state, runtime.h): one buffer the host writes a
 * call's inputs into, reused from call to call, so a request's bytes cross
 * without an allocation of their own. */
static cw_buf input_area = CW_BUF_INIT;

/* At least n bytes for the host to write the next call's inputs into (the
 * envelope, the grant, the request id, a resume's head and body); valid
 * until the next cw_in. The call borrows them and copies what it keeps.
 * NULL on no memory. */
CW_EXPORT(cw_in) char *cw_in(size_t n) {
    input_area.len = 0;
    input_area.broken = 0;
    if (cw_buf_reserve(&input_area, n) < 0)
        return NULL;
    return input_area.p;
}
#endif

#ifdef CW_CONTRACT_MODULE
/* The plugins worker's registry (plugin_registry.h): each call says what the host
 * does with a plugin; names and texts are borrowed, pointers returned are
 * C's and valid until the next call. After each call the host prints
 * cw_plugin_log()'s lines. */

/* How the host may use plugin name now: 0 the instance it holds, 1 load
 * it (instantiate, read its contract, cw_plugin_check), 2 not at all
 * (cw_plugin_why says why). */
CW_EXPORT(cw_plugin_use) int cw_plugin_use(const char *name, size_t n) {
    return cw_plugin_registry_use(name, n);
}

/* Why the last cw_plugin_use answered 2. */
CW_EXPORT(cw_plugin_why) const char *cw_plugin_why(void) { return cw_plugin_registry_why(); }

/* Checks a plugin's contract after instantiating it, before its first use
 * (see plugin_contract.h): the manifest name it is loaded as, its own name and
 * version, its ABI and capabilities (-1: unreadable) and its exports as a
 * bit per CW_PLUGIN_EXPORTS name. Returns NULL when accepted (it is
 * loaded), else why it is refused (it stays refused). */
CW_EXPORT(cw_plugin_check)
const char *cw_plugin_check(const char *name, size_t name_len, const char *self, size_t self_len,
                            const char *version, size_t version_len, int abi, int caps,
                            unsigned exports) {
    cw_plugin_contract_facts f = {name,        self, version, name_len, self_len,
                                  version_len, abi,  caps,    exports};
    return cw_plugin_registry_check(&f);
}

/* The plugin could not be instantiated, its contract not read, or its
 * instance trapped: it is failed, with cause; the host drops the instance. */
CW_EXPORT(cw_plugin_failed)
void cw_plugin_failed(const char *name, size_t n, const char *cause, size_t cause_len) {
    cw_plugin_registry_failed(name, n, cause, cause_len);
}

/* Unloads a plugin: 1 when the host drops its instance. */
CW_EXPORT(cw_plugin_unload) int cw_plugin_unload(const char *name, size_t n) {
    return cw_plugin_registry_unload(name, n);
}

/* The registry as a JSON array (every plugin, or only name when n > 0);
 * NULL when out of memory. */
CW_EXPORT(cw_plugin_report) const char *cw_plugin_report(const char *name, size_t n) {
    return cw_plugin_registry_report(name, n);
}

/* The log lines of the transitions since the last call, or "". */
CW_EXPORT(cw_plugin_log) const char *cw_plugin_log(void) { return cw_plugin_registry_log(); }
#else
#ifdef __wasm__
/* The module's one import: the host port (port.h), worker/bridge.js's
 * host(). Synchronous; inside the Durable Object it runs storage
 * statements and socket operations for the request being handled. */
CW_IMPORT(host) int cw_host(int op, const cw_cell *in, int n, cw_port_out *out);
#endif

/* Seeds the instance from >= 16 bytes of crypto.getRandomValues output,
 * and installs the host port. Returns 0, or -1 for too few bytes.
 * Idempotent. */
CW_EXPORT(cw_init) int cw_init(const unsigned char *seed, size_t n) {
#ifdef __wasm__
    cw_port_install(cw_host);
#endif
    return cw_runtime_init(seed, n);
}

/* Appends one JSON log line {"level":"warn","msg":msg,key:value} to out;
 * value is shown as printable ASCII, at most 160 bytes. */
static void warn(cw_buf *out, const char *msg, const char *key, const char *value, size_t n) {
    char shown[CW_ERROR_TEXT_LENGTH]; /* a cause whole; a value cut */
    size_t k;
    for (k = 0; k < n && k < sizeof shown; k++)
        shown[k] = (value[k] >= 0x20 && value[k] < 0x7f) ? value[k] : '?';
    if (out->len)
        cw_buf_append(out, "\n", 1);
    cw_buf_puts(out, "{\"level\":\"warn\"");
    cw_buf_kstr(out, "msg", msg);
    cw_buf_key(out, key);
    cw_buf_putjs(out, shown, k);
    cw_buf_append(out, "}", 1);
}

/* Configures the instance once: the environment row from WORKER_ENV and
 * the operator tokens (runtime.h), the sync hooks from SYNC_HOOKS
 * (plugin_config.h), the document token keys from STATE_KEYS (jwt.h) and the
 * allowed origins from CORS_ORIGINS (runtime.h); all arguments borrowed,
 * empty when unset. Later calls change nothing and
 * return NULL. Returns NUL-terminated log lines for the host to print (an
 * unknown environment, a refused SYNC_HOOKS, STATE_KEYS or CORS_ORIGINS), or NULL; the
 * host frees them with cw_dealloc. */
CW_EXPORT(cw_configure)
char *cw_configure(const char *env, size_t env_len, const char *metrics_token, size_t metrics_len,
                   const char *warmup_token, size_t warmup_len, const char *hooks, size_t hooks_len,
                   const char *keys, size_t keys_len, const char *origins, size_t origins_len) {
    cw_buf out = CW_BUF_INIT;
    const char *why;
    int rc =
        cw_runtime_configure(env, env_len, metrics_token, metrics_len, warmup_token, warmup_len);
    if (rc < 0)
        return NULL;
    if (rc == 1)
        warn(&out, "unknown WORKER_ENV; using production", "worker_env", env, env_len);
    if ((why = cw_plugin_config_load(hooks, hooks_len)))
        warn(&out, "SYNC_HOOKS refused; every PATCH answers 503 until it is fixed", "cause", why,
             strlen(why));
    if ((why = cw_jwt_configure(keys, keys_len)))
        warn(&out, "STATE_KEYS refused; every state route answers 503 until it is fixed", "cause",
             why, strlen(why));
    if ((why = cw_runtime_origins(origins, origins_len)))
        warn(&out, "CORS_ORIGINS refused; no origin is allowed until it is fixed", "cause", why,
             strlen(why));
    return cw_buf_take(&out, NULL);
}

/* Records the startup phases the host measured (milliseconds), when the
 * isolate made its first instance (the requests' clock), and how many
 * instances the isolate has made. */
CW_EXPORT(cw_startup)
void cw_startup(double instantiate_ms, double init_ms, double config_ms, double isolate_start_ms,
                uint32_t instances) {
    cw_metrics_startup(instantiate_ms, init_ms, config_ms, isolate_start_ms, instances);
}

/* A limit of the selected environment for the host to apply before it
 * copies anything into the module (worker/layout.js names the kinds):
 *   0 body: the largest body, in bytes. The host hands over at most one
 *           byte more, so a larger body is refused (413) here without ever
 *           being buffered whole.
 *   1 field: the largest header value or RPC string, likewise + 1.
 *   2 deadline: how long a request waits for its Durable Object, in ms.
 *   3 stream: how long a streamed answer (CW_RESULT_STREAM) may hold its
 *           object's other requests back, in ms; the host then ends it
 *           with an error, cut off.
 *   4 contended: how much longer it may go on once another request waits
 *           for it, in ms: half the deadline, so the waiting one is served
 *           in time.
 *   5 frame: the largest socket frame, as 0 for a body: the host hands a
 *           larger one over as its size alone (live.c closes with 1009).
 * Returns 0 for an unknown kind. */
CW_EXPORT(cw_limit) uint32_t cw_limit(int kind) {
    const cw_config *c = cw_runtime_config();
    return kind == 0   ? (uint32_t)c->body_limit
           : kind == 1 ? CW_HTTP_MAX_FIELD
           : kind == 2 ? c->deadline_ms
           : kind == 3 ? c->stream_ms
           : kind == 4 ? c->deadline_ms / 2
           : kind == 5 ? (uint32_t)c->frame_limit
                       : 0;
}

#define n_of(s) (sizeof(s) - 1)

static cw_result *run(int stage, const cw_run *in) {
    size_t n;
    const cw_route *routes = cw_handlers_routes(&n);
    cw_ctx *ctx;
    if (!cw_runtime_ready() || !(ctx = cw_pipeline_new(stage, routes, n)))
        return NULL;
    cw_pipeline_run(ctx, in);
    return &ctx->res;
}

/* EDGE stage: handles request envelope req[0..n) at host time now_ms (the
 * monotonic clock) and wall time wall_ms (the epoch, for token expiry),
 * with CW_FLAG_* flags (1: the cron trigger, 4: an RPC call). rid[0..rid_len)
 * is empty, or the request id of an earlier run of the same request on an
 * instance that was since replaced (the host runs it again here and keeps
 * its id). The result is final (action 0) or suspended (see CW_ACTION_*);
 * then call cw_resume. Free with cw_result_free. NULL when out of memory or
 * not initialized. */
CW_EXPORT(cw_handle)
cw_result *cw_handle(const char *req, size_t n, const char *rid, size_t rid_len, double now_ms,
                     double wall_ms, int flags) {
    cw_run in = {
        req, n, NULL, 0, rid, rid_len, now_ms, wall_ms, flags & (CW_FLAG_SCHEDULED | CW_FLAG_RPC),
        -1,  0};
    return run(CW_STAGE_EDGE, &in);
}

/* OWNER stage, inside the Durable Object: handles the same envelope under
 * the edge's grant and request id, at wall time now_ms (epoch), with
 * CW_FLAG_* flags (2: the test-only wait is done, 8: a socket's event),
 * holding the body tagged held (-1: none; see cw_result.hold), in the
 * object's instance incarnation (a number of the host's, never the same
 * for two instances in this isolate; 0: unknown). It reads
 * storage through the host port as it goes and commits its writes there
 * in one batch (store.h); the result is final, or suspended for a sync
 * hook's call (CW_ACTION_CALL; cw_resume), or, in test builds, asks to be
 * run again after a wait (CW_ACTION_WAIT). Free with cw_result_free. NULL when out of memory
 * or not initialized. */
CW_EXPORT(cw_owner)
cw_result *cw_owner(const char *req, size_t n, const char *grant, size_t grant_len, const char *rid,
                    size_t rid_len, double now_ms, int flags, double held, double incarnation) {
    cw_run in = {req,       n,          grant,
                 grant_len, rid,        rid_len,
                 now_ms,    now_ms,     flags & (CW_FLAG_WAITED | CW_FLAG_SOCKET),
                 held,      incarnation};
    return run(CW_STAGE_OWNER, &in);
}

/* The storage schema: DDL for the Durable Object to run when it starts
 * (store.h). Static; NUL-terminated. */
CW_EXPORT(cw_schema) const char *cw_schema(void) { return cw_store_schema(); }

/* The SQL of storage statement s (store.h), or NULL past the last. The host
 * reads them once and runs batches by number. Static; NUL-terminated. */
CW_EXPORT(cw_statement) const char *cw_statement(int s) { return cw_store_sql(s); }

/* Completes a suspended result with the host's answer (borrowed): the
 * owner's status, head and body for a forward (status 0: the owner failed),
 * 200 and the report for a touch or registry operation, or the plugin's
 * answer for a call (see CW_ACTION_CALL). The result may be suspended again.
 * Returns 0, or -1 when r was not suspended. r stays owned by the caller. */
CW_EXPORT(cw_resume)
int cw_resume(cw_result *r, int status, const char *head, size_t head_len, const char *body,
              size_t body_len, double now_ms) {
    return cw_pipeline_resume((cw_ctx *)r, status, head, head_len, body, body_len, now_ms);
}

/* The next piece of a streamed answer (cw_result.flags CW_RESULT_STREAM)
 * into r's body: 1 while more follows, 0 at the end, -1 when it failed
 * (the host then ends the stream with an error). */
CW_EXPORT(cw_next) int cw_next(cw_result *r) { return cw_pipeline_next((cw_ctx *)r); }

/* Ends a streamed answer the host cut off: r's frames are what ends it for
 * the client (a socket's error frame), its body empty. */
CW_EXPORT(cw_cut) void cw_cut(cw_result *r) { cw_pipeline_cut((cw_ctx *)r); }

/* Frees a result from cw_handle, cw_owner or cw_failed. NULL is a no-op. */
CW_EXPORT(cw_result_free) void cw_result_free(cw_result *r) { cw_pipeline_free((cw_ctx *)r); }

/* The answer for a request the module could not finish (a trap discarded
 * the instance that ran it; this is a new one): 500 internal with request
 * id rid[0..rid_len) when it is one (else a new one), the log line at the
 * edge (stage 1) or owner (2), and, in the owner, a rollback; flags as the
 * request's (4: an RPC call, which gets its value's members), and 32 when
 * a socket was accepted for it (the answer then closes it, 1011). Free with
 * cw_result_free. NULL when out of memory or not initialized. */
CW_EXPORT(cw_failed)
cw_result *cw_failed(int stage, const char *rid, size_t rid_len, double now_ms, int flags) {
    static const char req[] = "GET /\r\n\r\n";
    cw_run in = {req,    n_of(req), "",
                 0,      rid,       rid_len,
                 now_ms, now_ms,    CW_FLAG_FAILED | (flags & (CW_FLAG_RPC | CW_FLAG_ACCEPTED)),
                 -1,     0};
    return run(stage == CW_STAGE_OWNER ? CW_STAGE_OWNER : CW_STAGE_EDGE, &in);
}
#endif
