/* test_startup.c - startup observability and prewarm through the pipeline:
 * Server-Timing on the first response only, /metrics and its token, warmup
 * over HTTP and from cron. One process is one instance, so order matters:
 * the cases run in table order. */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "harness.h"
#include "metrics.h"
#include "pipeline.h"
#include "runtime.h"

static cw_ctx *edge(const char *req, double now, int flags) {
    cw_ctx *ctx = cw_test_pipeline(CW_STAGE_EDGE);
    cw_run in = {req, strlen(req), NULL, 0, NULL, 0, now, 0, flags, -1, 0};
    cw_pipeline_run(ctx, &in);
    return ctx;
}

static char *header(const cw_ctx *ctx, const char *name) {
    static char value[512];
    char *h = strndup(ctx->res.head, ctx->res.head_len), *line = h;
    value[0] = '\0';
    while (line && *line) {
        char *next = strstr(line, "\r\n");
        if (next)
            *next = '\0';
        if (strncmp(line, name, strlen(name)) == 0 && line[strlen(name)] == ':') {
            snprintf(value, sizeof value, "%s", line + strlen(name) + 2);
            break;
        }
        line = next ? next + 2 : NULL;
    }
    free(h);
    return value;
}

static char *body(const cw_ctx *ctx) { return strndup(ctx->res.body, ctx->res.body_len); }

static void first_response_is_cold_then_warm(void) {
    cw_ctx *a, *b;
    cw_runtime_configure("local", 5, "mtok", 4, "wtok", 4);
    cw_metrics_startup(1.5, 0.25, 0.125, 10.0, 1);
    a = edge("GET /health\r\n\r\n", 100.0, 0);
    b = edge("GET /health\r\n\r\n", 200.0, 0);
    CHECK_STR(
        header(a, "server-timing"),
        "cold, instantiate;dur=1.500, init;dur=0.250, config;dur=0.125, first-request;dur=0.000");
    CHECK_STR(header(b, "server-timing"), "warm");
    CHECK(strstr(a->res.log, "\"start\":\"cold\"") != NULL);
    CHECK(strstr(b->res.log, "\"start\":\"warm\"") != NULL);
    cw_pipeline_free(a);
    cw_pipeline_free(b);
}

static void metrics_needs_its_token(void) {
    cw_ctx *none = edge("GET /metrics\r\n\r\n", 300, 0);
    cw_ctx *wrong = edge("GET /metrics\r\nauthorization: Bearer nope\r\n\r\n", 300, 0);
    cw_ctx *ok = edge("GET /metrics\r\nauthorization: Bearer mtok\r\n\r\n", 1010.0, 0);
    char *text = body(ok);
    CHECK_INT(none->res.status, 401);
    CHECK_STR(header(none, "www-authenticate"), "Bearer");
    CHECK_INT(wrong->res.status, 401);
    CHECK_INT(ok->res.status, 200);
    CHECK_STR(header(ok, "content-type"), "text/plain; version=0.0.4; charset=utf-8");
    CHECK(strstr(text, "# TYPE cw_startup_phase_seconds gauge\n") != NULL);
    CHECK(strstr(text, "cw_startup_phase_seconds{phase=\"instantiate\"} 0.001500\n") != NULL);
    CHECK(strstr(text, "cw_cold_starts_total 1\n") != NULL);
    CHECK(strstr(text, "cw_requests_total{route=\"health\",status=\"200\"} 2\n") != NULL);
    CHECK(strstr(text, "cw_requests_total{route=\"metrics\",status=\"401\"} 2\n") != NULL);
    CHECK(strstr(text, "cw_isolate_uptime_seconds 1.000000\n") != NULL);
    CHECK(strstr(text, "cw_build_info{version=\"") != NULL);
    CHECK(strstr(text, "cw_wasm_memory_bytes ") != NULL);
    free(text);
    cw_pipeline_free(none);
    cw_pipeline_free(wrong);
    cw_pipeline_free(ok);
}

static void warmup_needs_its_token_then_touches(void) {
    cw_ctx *none = edge("POST /internal/warmup\r\n\r\n", 0, 0);
    cw_ctx *wrong = edge("POST /internal/warmup\r\nauthorization: Bearer mtok\r\n\r\n", 0, 0);
    cw_ctx *ok = edge("POST /internal/warmup\r\nauthorization: Bearer wtok\r\n\r\n", 500, 0);
    const char *report = "[{\"id\":\"warmup\",\"ok\":true,\"ms\":2.5}]";
    json_t *out, *dos;
    char *text;

    CHECK_INT(none->res.status, 401);
    CHECK_INT(wrong->res.status, 401);
    CHECK_INT(ok->res.status, 0);
    /* First every plugin is loaded, then the Durable Objects are touched. */
    CHECK_INT(ok->res.action, CW_ACTION_PLUGINS);
    CHECK_INT(ok->res.ask_len, 4);
    CHECK(memcmp(ok->res.ask, "load", 4) == 0);
    CHECK_INT(
        cw_pipeline_resume(ok, 200, "", 0, "[{\"name\":\"schema\",\"state\":\"loaded\"}]", 36, 502),
        0);
    CHECK_INT(ok->res.action, CW_ACTION_TOUCH);
    CHECK_INT(ok->res.ask_len, 6);
    CHECK(memcmp(ok->res.ask, "warmup", 6) == 0);
    CHECK_INT(cw_pipeline_resume(ok, 200, "", 0, report, strlen(report), 504.25), 0);
    CHECK_INT(ok->res.status, 200);
    text = body(ok);
    out = json_loads(text, 0, NULL);
    CHECK_STR(json_string_value(json_object_get(out, "trigger")), "http");
    CHECK(json_real_value(json_object_get(out, "total_ms")) == 4.25);
    CHECK_STR(json_string_value(json_object_get(
                  json_object_get(json_object_get(out, "warmed"), "config"), "env")),
              "local");
    CHECK_STR(json_string_value(json_object_get(
                  json_array_get(json_object_get(json_object_get(out, "warmed"), "plugins"), 0),
                  "state")),
              "loaded");
    dos = json_object_get(json_object_get(out, "warmed"), "durable_objects");
    CHECK_INT(json_array_size(dos), 1); /* the host's report, as it is */
    CHECK(json_is_true(json_object_get(json_array_get(dos, 0), "ok")));
    CHECK(json_real_value(json_object_get(json_array_get(dos, 0), "ms")) == 2.5);
    json_decref(out);
    free(text);
    /* A report that is not a JSON array is an empty one. */
    cw_pipeline_free(ok);
    ok = edge("POST /internal/warmup\r\nauthorization: Bearer wtok\r\n\r\n", 500, 0);
    cw_pipeline_resume(ok, 200, "", 0, "{}", 2, 501);
    cw_pipeline_resume(ok, 200, "", 0, "[{\"id\":", 7, 502);
    text = body(ok);
    CHECK(strstr(text, "\"durable_objects\":[],\"plugins\":[]}") != NULL);
    free(text);
    cw_pipeline_free(none);
    cw_pipeline_free(wrong);
    cw_pipeline_free(ok);
}

static void cron_warmup_needs_no_token_and_reports_failures(void) {
    cw_ctx *cron = edge("POST /internal/warmup\r\n\r\n", 0, CW_FLAG_SCHEDULED);
    cw_ctx *m;
    char *text;
    CHECK_INT(cron->res.action, CW_ACTION_PLUGINS);
    cw_pipeline_resume(cron, 200, "", 0, "[]", 2, 1);
    CHECK_INT(cron->res.action, CW_ACTION_TOUCH);
    /* The host could not reach the object: it reports ok false. */
    cw_pipeline_resume(cron, 200, "", 0, "[{\"id\":\"warmup\",\"ok\":false,\"ms\":0}]", 35, 1);
    text = body(cron);
    CHECK(strstr(text, "\"trigger\":\"cron\"") != NULL);
    CHECK(strstr(text, "\"ok\":false") != NULL);
    CHECK(strstr(cron->res.log, "\"trigger\":\"cron\"") != NULL);
    free(text);
    m = edge("GET /metrics\r\nauthorization: Bearer mtok\r\n\r\n", 0, 0);
    text = body(m);
    CHECK(strstr(text, "cw_warmups_total{trigger=\"http\"} 2\n") != NULL);
    CHECK(strstr(text, "cw_warmups_total{trigger=\"cron\"} 1\n") != NULL);
    free(text);
    cw_pipeline_free(m);
    cw_pipeline_free(cron);
}

static void cors_only_for_configured_origins(void) {
    cw_ctx *pre = edge("OPTIONS /state/x\r\norigin: http://localhost:8787\r\n"
                       "access-control-request-method: PATCH\r\n\r\n",
                       0, 0);
    cw_ctx *evil = edge("OPTIONS /state/x\r\norigin: https://evil.example\r\n"
                        "access-control-request-method: PATCH\r\n\r\n",
                        0, 0);
    cw_ctx *get = edge("GET /health\r\norigin: http://127.0.0.1:8787\r\n\r\n", 0, 0);
    cw_ctx *get_evil = edge("GET /health\r\norigin: https://evil.example\r\n\r\n", 0, 0);
    CHECK_INT(pre->res.status, 204);
    CHECK_STR(header(pre, "access-control-allow-origin"), "http://localhost:8787");
    CHECK_INT(evil->res.status, 405);
    CHECK_STR(header(evil, "access-control-allow-origin"), "");
    CHECK_STR(header(get, "access-control-allow-origin"), "http://127.0.0.1:8787");
    CHECK_STR(header(get_evil, "access-control-allow-origin"), "");
    CHECK_STR(header(get_evil, "vary"), "origin");
    cw_pipeline_free(pre);
    cw_pipeline_free(evil);
    cw_pipeline_free(get);
    cw_pipeline_free(get_evil);
}

const cw_test cw_tests[] = {
    {"first_response_is_cold_then_warm", first_response_is_cold_then_warm},
    {"metrics_needs_its_token", metrics_needs_its_token},
    {"warmup_needs_its_token_then_touches", warmup_needs_its_token_then_touches},
    {"cron_warmup_needs_no_token_and_reports_failures",
     cron_warmup_needs_no_token_and_reports_failures},
    {"cors_only_for_configured_origins", cors_only_for_configured_origins},
    {NULL, NULL},
};
