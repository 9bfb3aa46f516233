/* handlers.c - the route table and its handlers.
 *
 * Every handler has the cw_handler signature and runs in both stages; state
 * handlers validate everything they can at the edge, so bad input is refused
 * before a Durable Object is woken, and validate again as owner. */
#include <stdint.h>
#include <string.h>

#include "access.h"
#include "alloc.h"
#include "bearer.h"
#include "buildinfo.h"
#include "cond.h"
#include "fmt.h"
#include "handlers.h"
#include "json.h"
#include "jwt.h"
#include "live.h"
#include "metrics.h"
#include "pipeline.h"
#include "plugin_config.h"
#include "plugin_hooks.h"
#include "plugin_manifest.h"
#include "rpc.h"
#include "runtime.h"
#include "sync.h"

/* GET /health: 200 while the configuration is in force; 503
 * config_refused naming each configured value that was refused (each
 * closes something until it is fixed: SYNC_HOOKS every PATCH, STATE_KEYS
 * the state routes, CORS_ORIGINS every origin), so a probe or a canary
 * sees it. An unset STATE_KEYS is not refused: RPC callers are served. */
static int h_health(cw_ctx *ctx) {
    cw_buf out = CW_BUF_INIT;
    if (cw_plugin_config_error())
        cw_buf_puts(&out, ", SYNC_HOOKS");
    if (cw_jwt_keys() < 0)
        cw_buf_puts(&out, ", STATE_KEYS");
    if (cw_runtime_origins_refused())
        cw_buf_puts(&out, ", CORS_ORIGINS");
    if (out.len) {
        cw_buf_puts(&out, " refused; the isolate logged why at its start");
        cw_error_set(&ctx->err, CW_E_CONFIG_REFUSED, out.broken ? NULL : out.p + 2);
        cw_buf_free(&out);
        return -1;
    }
    cw_buf_puts(&out, "{\"status\":\"ok\"");
    cw_buf_kstr(&out, "version", cw_buildinfo_get()->version);
    cw_buf_puts(&out, "}");
    return cw_pipeline_respond_buf(ctx, 200, "application/json", &out);
}

static int h_version(cw_ctx *ctx) {
    const cw_buildinfo *b = cw_buildinfo_get();
    cw_buf out = CW_BUF_INIT;
    cw_buf_puts(&out, "{");
    cw_buf_kstr(&out, "version", b->version);
    cw_buf_kstr(&out, "commit", b->commit);
    cw_buf_kstr(&out, "built_at", b->built_at);
    cw_buf_kstr(&out, "toolchain", b->toolchain);
    cw_buf_puts(&out, "}");
    return cw_pipeline_respond_buf(ctx, 200, "application/json", &out);
}

/* GET /metrics: Prometheus text. Needs the metrics token when one is set;
 * open without one only where the environment does not require tokens. */
static int h_metrics(cw_ctx *ctx) {
    cw_buf out = CW_BUF_INIT;
    if (cw_bearer_check(cw_http_header(ctx->req, "authorization"), cw_runtime_metrics_token(),
                        !cw_runtime_config()->tokens_required, &ctx->err) < 0)
        return -1;
    cw_metrics_render(&out, ctx->t0_ms, cw_runtime_memory_bytes());
    return cw_pipeline_respond_buf(ctx, 200, "text/plain; version=0.0.4; charset=utf-8", &out);
}

/* A warmup's or a plugin route's own state, across its suspensions. */
typedef struct {
    char plugin[CW_PLUGIN_NAME_MAX + 1]; /* the plugin a route runs */
    cw_buf kept;                         /* the registry's report (warmup); the
                                            plugin's request line (plugin routes) */
} hstate;

static void hstate_free(void *p) {
    hstate *h = p;
    cw_buf_free(&h->kept);
    cw_alloc_free(h);
}

/* The handler's state, made on first use. NULL with ctx->err set. */
static hstate *state_of(cw_ctx *ctx) {
    hstate *h = ctx->state;
    if (h)
        return h;
    if (!(h = cw_alloc_new(sizeof *h))) {
        cw_error_oom(&ctx->err);
        return NULL;
    }
    memset(h, 0, sizeof *h);
    ctx->state = h;
    ctx->state_free = hstate_free;
    return h;
}

/* A member "key": milliseconds to the microsecond, e.g. 1.250. */
static void put_ms(cw_buf *out, const char *key, double ms) {
    long long us = ms > 0 ? (long long)(ms * 1000 + 0.5) : 0;
    char frac[4] = {(char)('0' + us / 100 % 10), (char)('0' + us / 10 % 10), (char)('0' + us % 10)};
    cw_buf_kint(out, key, us / 1000);
    cw_buf_append(out, ".", 1);
    cw_buf_append(out, frac, 3);
}

/* Appends a host's report when it is a JSON array, else []. */
static void put_report(cw_buf *out, const char *p, size_t n) {
    if (n && p[0] == '[' && cw_json_check(p, n, CW_JSON_MAX_DEPTH, 1L << 30, NULL, NULL) == 0)
        cw_buf_append(out, p, n);
    else
        cw_buf_puts(out, "[]");
}

/* Finishes a warmup with the host's report of the Durable Objects it
 * touched: a JSON array of {"id","ok","ms"}, one per id asked for. */
static int warmup_finish(cw_ctx *ctx, void *arg, int status, const char *head, size_t head_len,
                         const char *body, size_t body_len) {
    const cw_config *cfg = cw_runtime_config();
    hstate *h = arg;
    cw_buf out = CW_BUF_INIT;

    (void)head;
    (void)head_len;
    cw_buf_puts(&out, "{\"warmed\":{\"module\":{");
    put_ms(&out, "instantiate_ms", cw_metrics_phase_ms(CW_PHASE_INSTANTIATE));
    put_ms(&out, "init_ms", cw_metrics_phase_ms(CW_PHASE_INIT));
    cw_buf_puts(&out, "},\"config\":{");
    cw_buf_kstr(&out, "env", cfg->name);
    put_ms(&out, "config_ms", cw_metrics_phase_ms(CW_PHASE_CONFIG));
    cw_buf_puts(&out, "},\"durable_objects\":");
    put_report(&out, status == 200 ? body : "", body_len);
    /* The registry's entries after loading every plugin in the manifest. */
    cw_buf_puts(&out, ",\"plugins\":");
    put_report(&out, h->kept.p, h->kept.len);
    cw_buf_puts(&out, "}");
    cw_buf_kstr(&out, "trigger", ctx->flags & CW_FLAG_SCHEDULED ? "cron" : "http");
    put_ms(&out, "total_ms", ctx->t1_ms - ctx->t0_ms);
    cw_buf_puts(&out, "}");
    return cw_pipeline_respond_buf(ctx, 200, "application/json", &out);
}

/* Plugins are loaded: keep the registry's report, then touch the Durable
 * Objects the environment lists. */
static int warmup_touch(cw_ctx *ctx, void *arg, int status, const char *head, size_t head_len,
                        const char *body, size_t body_len) {
    hstate *h = arg;
    cw_buf ids = CW_BUF_INIT;
    int rc;
    (void)head;
    (void)head_len;
    if (status == 200)
        cw_buf_append(&h->kept, body, body_len);
    for (const char *const *w = cw_runtime_config()->warm_ids; *w; w++) {
        if (ids.len)
            cw_buf_append(&ids, "\n", 1);
        cw_buf_puts(&ids, *w);
    }
    /* Each object is touched with a GET under a read grant, no actor. */
    ctx->who.read_only = 1;
    rc = ids.broken || h->kept.broken || cw_pipeline_grant(ctx, (cw_slice){NULL, 0}) < 0
             ? cw_error_oom(&ctx->err)
             : cw_pipeline_suspend(ctx, CW_ACTION_TOUCH, ids.p ? ids.p : "", ids.len, warmup_finish,
                                   h);
    cw_buf_free(&ids);
    return rc;
}

/* POST /internal/warmup (and the cron trigger): the module and config are
 * warm by the time this runs; the host then loads every plugin in the
 * manifest and touches the Durable Objects the environment lists, and
 * warmup_finish reports what was warmed and how long each part took. HTTP
 * callers need the warmup token; cron does not. */
static int h_warmup(cw_ctx *ctx) {
    if (!(ctx->flags & CW_FLAG_SCHEDULED) &&
        cw_bearer_check(cw_http_header(ctx->req, "authorization"), cw_runtime_warmup_token(), 0,
                        &ctx->err) < 0)
        return -1;
    cw_metrics_warmup(ctx->flags & CW_FLAG_SCHEDULED);
    hstate *h = state_of(ctx);
    return h ? cw_pipeline_suspend(ctx, CW_ACTION_PLUGINS, "load", 4, warmup_touch, h) : -1;
}

/* --- plugins --------------------------------------------------------------- */

/* Wraps the registry's report (a JSON array from the host) as the answer. */
static int plugins_finish(cw_ctx *ctx, void *arg, int status, const char *head, size_t head_len,
                          const char *body, size_t body_len) {
    cw_buf out = CW_BUF_INIT;
    (void)arg;
    (void)head;
    (void)head_len;
    if (status != 200 || !body_len || body[0] != '[')
        return cw_error_set(&ctx->err, CW_E_INTERNAL, "the plugin registry gave no report");
    cw_buf_puts(&out, "{\"plugins\":");
    cw_buf_append(&out, body, body_len);
    cw_buf_append(&out, "}", 1);
    return cw_pipeline_respond_buf(ctx, 200, "application/json", &out);
}

/* GET /plugins: every plugin in the manifest and its state in this isolate.
 * Token rules as for /metrics. */
static int h_plugins(cw_ctx *ctx) {
    if (cw_bearer_check(cw_http_header(ctx->req, "authorization"), cw_runtime_metrics_token(),
                        !cw_runtime_config()->tokens_required, &ctx->err) < 0)
        return -1;
    return cw_pipeline_suspend(ctx, CW_ACTION_PLUGINS, "list", 4, plugins_finish, NULL);
}

/* The plugin named by the route's {name}, with roles: its name into the
 * handler's state. Returns the state, or NULL with ctx->err set (404 when
 * there is no such plugin). */
static hstate *plugin_param(cw_ctx *ctx, int roles) {
    cw_slice name = cw_pipeline_param(ctx, "name");
    hstate *h;
    if (!cw_plugin_manifest_find(name.p, name.n, roles))
        return cw_error_set(&ctx->err, CW_E_NOT_FOUND, "no such plugin"), NULL;
    if (!(h = state_of(ctx)))
        return NULL;
    memcpy(h->plugin, name.p, name.n);
    h->plugin[name.n] = '\0';
    return h;
}

/* POST /internal/plugins/{name}/unload: drops the plugin's instance in this
 * isolate; its next use instantiates it again. Needs the warmup token. */
static int h_plugin_unload(cw_ctx *ctx) {
    cw_buf what = CW_BUF_INIT;
    hstate *h;
    int rc;
    if (cw_bearer_check(cw_http_header(ctx->req, "authorization"), cw_runtime_warmup_token(), 0,
                        &ctx->err) < 0 ||
        !(h = plugin_param(ctx, 0)))
        return -1;
    cw_buf_puts(&what, "unload ");
    cw_buf_puts(&what, h->plugin);
    rc = what.broken
             ? cw_error_oom(&ctx->err)
             : cw_pipeline_suspend(ctx, CW_ACTION_PLUGINS, what.p, what.len, plugins_finish, NULL);
    cw_buf_free(&what);
    return rc;
}

static int plugin_done(cw_ctx *ctx, void *arg, int status, const char *head, size_t head_len,
                       const char *body, size_t body_len) {
    hstate *h = arg;
    (void)head;
    (void)head_len;
    return cw_plugin_hooks_answer(ctx, h->plugin, status, body, body_len, 1) < 0 ? -1 : 0;
}

/* Calls the plugin's route entry with its request line (and what follows). */
static int plugin_call(cw_ctx *ctx, hstate *h) {
    ctx->input.len = 0;
    if (cw_buf_append(&ctx->input, h->kept.p, h->kept.len) < 0)
        return cw_error_oom(&ctx->err);
    return cw_pipeline_call(ctx, h->plugin, "route", plugin_done, h);
}

/* The owner's state view arrived: hand it to the plugin after its request
 * line; an owner error is the answer as it is. */
static int plugin_with_state(cw_ctx *ctx, void *arg, int status, const char *head, size_t head_len,
                             const char *body, size_t body_len) {
    hstate *h = arg;
    if (status != 200) {
        if (status < 100 || status > 599)
            return cw_error_set(&ctx->err, CW_E_UNAVAILABLE, NULL);
        ctx->res.status = (uint32_t)status;
        cw_buf_append(&ctx->head, head, head_len);
        return cw_buf_append(&ctx->body, body, body_len);
    }
    cw_buf_append(&h->kept, body, body_len);
    return plugin_call(ctx, h);
}

/* The caller may read the document: the owner answers with its view,
 * under the caller's grant; the plugin then needs the view itself. */
static int plugin_forward(cw_ctx *ctx) {
    if (cw_sync_grant(ctx) < 0)
        return -1;
    return cw_pipeline_forward(ctx, plugin_with_state, ctx->state);
}

/* GET /plugins/{name}/...: a request plugin. Under /state/{id} the plugin
 * gets the state view too: the edge forwards to the id's owner, which
 * answers with the view as for GET /state/{id}; then the plugin runs. */
static int h_plugin_route(cw_ctx *ctx) {
    cw_slice rest = cw_pipeline_param(ctx, "path");
    int state = rest.n > 6 && memcmp(rest.p, "state/", 6) == 0;
    hstate *h;

    if (!(h = plugin_param(ctx, CW_PLUGIN_ROUTE)))
        return -1;
    if (state && cw_id_parse((cw_slice){rest.p + 6, rest.n - 6}, ctx->who.id, &ctx->who.id_len,
                             &ctx->err) < 0)
        return -1;
    if (ctx->stage == CW_STAGE_OWNER) {
        /* The owner only answers with the view: its state is sync's. */
        hstate_free(ctx->state);
        ctx->state = NULL;
        return cw_sync_view(ctx);
    }
    cw_buf_append(&h->kept, "GET /", 5);
    cw_buf_append(&h->kept, rest.p, rest.n);
    if (ctx->req->query.n) {
        cw_buf_append(&h->kept, "?", 1);
        cw_buf_append(&h->kept, ctx->req->query.p, ctx->req->query.n);
    }
    if (cw_buf_append(&h->kept, "\n", 1) < 0)
        return cw_error_oom(&ctx->err);
    if (!state)
        return plugin_call(ctx, h);
    return cw_access_check(ctx, CW_ACCESS_READ, plugin_forward);
}

#ifdef CW_TEST_ROUTES
/* Test builds only (never in build/cw.wasm): POST /__test/trap/{kind} makes
 * the module fail the ways a real bug would, so the host's recovery can be
 * tested. kind: unreachable, oob (out-of-bounds load), stack (overflow),
 * oom (an allocation that fails), late (an error after a success was
 * built), or owner:<id> (forwarded to the Durable
 * Object for <id>, whose module then traps before committing anything). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winfinite-recursion"
static int recurse(volatile int depth) {
    volatile char pad[256]; /* shadow-stack use per frame */
    pad[0] = (char)depth;
    return recurse(depth + 1) + pad[0];
}
#pragma GCC diagnostic pop

static int h_test_trap(cw_ctx *ctx) {
    cw_slice kind = cw_pipeline_param(ctx, "kind");
    if (kind.n > 6 && memcmp(kind.p, "owner:", 6) == 0) {
        if (ctx->stage == CW_STAGE_OWNER)
            __builtin_trap();
        if (cw_id_parse((cw_slice){kind.p + 6, kind.n - 6}, ctx->who.id, &ctx->who.id_len,
                        &ctx->err) < 0)
            return -1;
        ctx->who.read_only = 1;
        return cw_pipeline_grant(ctx, (cw_slice){NULL, 0}) < 0
                   ? -1
                   : cw_pipeline_forward(ctx, NULL, NULL);
    }
    if (cw_http_slice_eq(kind, "unreachable"))
        __builtin_trap();
    if (cw_http_slice_eq(kind, "oob"))
        return *(volatile int *)(uintptr_t)0xfffffff0u;
    if (cw_http_slice_eq(kind, "stack"))
        return recurse(0);
    if (cw_http_slice_eq(kind, "late")) {
        /* A success fully built, then a failure: the error must not keep
         * the success's headers. */
        cw_buf ok = CW_BUF_INIT;
        cw_buf_puts(&ok, "{}");
        cw_pipeline_respond_buf(ctx, 200, "application/json", &ok);
        cw_pipeline_header_add(ctx, "etag", "\"9\"");
        return cw_error_oom(&ctx->err);
    }
    if (cw_http_slice_eq(kind, "oom")) {
        void *p = cw_alloc_new((size_t)3 << 30); /* more than wasm32 can hold */
        if (!p)
            return cw_error_oom(&ctx->err);
        cw_alloc_free(p);
    }
    return cw_error_set(&ctx->err, CW_E_NOT_FOUND, "no such trap kind");
}

/* Test builds only: POST /__test/keys replaces STATE_KEYS with the body, in
 * this instance (the worker's and its Durable Objects' in workerd), as a
 * rotation that removes a key does on a new deployment. */
static int h_test_keys(cw_ctx *ctx) {
    const char *why = cw_jwt_configure(ctx->req->body.p, ctx->req->body.n);
    cw_buf out = CW_BUF_INIT;
    if (why)
        return cw_error_set(&ctx->err, CW_E_BAD_REQUEST, why);
    cw_buf_puts(&out, "{}");
    return cw_pipeline_respond_buf(ctx, 200, "application/json", &out);
}
#endif

static const cw_route routes[] = {
    {"GET", "/health", "health", h_health, 0},
    {"GET", "/version", "version", h_version, 0},
    {"GET", "/state/{id}", "state.get", cw_sync_get, 0},
    {"PATCH", "/state/{id}", "state.patch", cw_sync_patch, 0},
    {"DELETE", "/state/{id}", "state.delete", cw_sync_delete, 0},
    {"GET", "/state/{id}/changes", "state.changes", cw_sync_changes, 0},
    {"GET", "/state/{id}/live", "state.live", cw_live_open, CW_ROUTE_UPGRADE},
    {"WS", "/live", "live.frame", cw_live_frame, CW_ROUTE_INTERNAL},
    {"RPC", "/rpc/{method}", "rpc", cw_rpc_call, CW_ROUTE_INTERNAL},
    {"GET", "/metrics", "metrics", h_metrics, 0},
    {"POST", "/internal/warmup", "internal.warmup", h_warmup, 0},
    {"GET", "/plugins", "plugins", h_plugins, 0},
    {"GET", "/plugins/{name}/{path...}", "plugins.route", h_plugin_route, 0},
    {"POST", "/internal/plugins/{name}/unload", "internal.plugins", h_plugin_unload, 0},
#ifdef CW_TEST_ROUTES
    {"POST", "/__test/trap/{kind}", "test.trap", h_test_trap, 0},
    {"POST", "/__test/keys", "test.keys", h_test_keys, 0},
#endif
};

const cw_route *cw_handlers_routes(size_t *n) {
    *n = sizeof routes / sizeof routes[0];
    return routes;
}
