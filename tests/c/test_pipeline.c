/* test_pipeline.c - handlers and middleware end to end, natively.
 * Cases come from data/requests.tsv; the rest cover the edge/owner hand-off,
 * the log line, the request id and the error body. */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include <jansson.h>

#include "harness.h"
#include "host.h"
#include "jwt.h"
#include "pipeline.h"
#include "plugin_config.h"
#include "runtime.h"

/* Runs req in stage; an OWNER run is settled against the storage of id
 * "x" (host.h) and has the grant to write. */
static cw_ctx *run_n(int stage, const char *req, size_t n, const char *rid) {
    cw_ctx *ctx;
    cw_run in = {req, n, "w ", 2, rid, rid ? strlen(rid) : 0, 1000.0, 1000.0, 0, -1, 0};
    if (stage == CW_STAGE_OWNER)
        return cw_host_owner(req, n, "w ", rid, "x", 0);
    ctx = cw_test_pipeline(stage);
    cw_pipeline_run(ctx, &in);
    return ctx;
}

static cw_ctx *run(int stage, const char *req, const char *rid) {
    return run_n(stage, req, strlen(req), rid);
}

static json_t *body_json(const cw_ctx *ctx) {
    return json_loadb(ctx->res.body, ctx->res.body_len, 0, NULL);
}

static const char *error_code(const cw_ctx *ctx, json_t **hold) {
    *hold = body_json(ctx);
    return json_string_value(json_object_get(json_object_get(*hold, "error"), "code"));
}

static int has_header(const cw_ctx *ctx, const char *line) {
    char *h = strndup(ctx->res.head, ctx->res.head_len);
    int found = strstr(h, line) != NULL;
    free(h);
    return found;
}

static void check_answer(const char *req, int status, int want, const char *head, const char *body,
                         size_t n, const char *code) {
    json_t *b = json_loadb(body, n, 0, NULL);
    if (status != want) {
        fprintf(stderr, "    %s: status %d, want %d: %.*s\n", req, status, want, (int)n, body);
        CHECK(!"status");
    }
    if (strcmp(code, "304") == 0) {
        CHECK_INT(n, 0);
        CHECK(strstr(head, "etag: ") != NULL);
    } else if (strcmp(code, "-") != 0) {
        CHECK_STR(json_string_value(json_object_get(json_object_get(b, "error"), "code")), code);
    } else {
        CHECK(strstr(head, "content-type: application/json\r\n") != NULL);
    }
    json_decref(b);
}

/* stage, envelope, legacy blob or -, status, error code / "forward" / -,
 * committed version or -. An owner case runs the envelope through edge and
 * owner (host.h), the id's storage seeded with the blob as the legacy
 * one-blob table; the version is then the stored one, "-" for nothing
 * journaled. */
static void one_request(char **f) {
    size_t n = cw_test_unescape(f[1]);
    if (strcmp(f[0], "edge") == 0) {
        cw_ctx *ctx = run_n(CW_STAGE_EDGE, f[1], n, NULL);
        if (strcmp(f[4], "forward") == 0) {
            CHECK_INT(ctx->res.action, CW_ACTION_FORWARD);
            CHECK(ctx->res.ask_len > 0);
        } else {
            CHECK_INT(ctx->res.action, CW_ACTION_NONE);
            check_answer(f[1], (int)ctx->res.status, atoi(f[3]), ctx->res.head, ctx->res.body,
                         ctx->res.body_len, f[4]);
        }
        cw_pipeline_free(ctx);
    } else {
        cw_host_answer a;
        char *v;
        cw_host_reset();
        if (strcmp(f[2], "-") != 0) {
            char sql[512];
            snprintf(sql, sizeof sql,
                     "CREATE TABLE state (k INTEGER PRIMARY KEY, blob TEXT NOT NULL);"
                     "INSERT INTO state VALUES (0, '%s')",
                     f[2]);
            sqlite3_exec(cw_host_db("a"), sql, NULL, NULL, NULL);
        }
        CHECK_INT(cw_host_request(f[1], n, 0, 1e12, &a), 0);
        check_answer(f[1], a.status, atoi(f[3]), a.head, a.body, a.body_len, f[4]);
        v = cw_host_query("a", strcmp(f[5], "-") ? "SELECT version FROM cw_meta"
                                                 : "SELECT count(*) FROM cw_journal");
        CHECK_STR(v, strcmp(f[5], "-") ? f[5] : "0");
        free(v);
        cw_host_free(&a);
    }
}

static void request_cases(void) {
    CHECK(cw_test_each_case("data/requests.tsv", 6, one_request) >= 30);
}

static void edge_owner_resume_round_trip(void) {
    const char *req =
        "PATCH /state/doc-1\r\ncontent-type: application/merge-patch+json\r\n\r\n{\"a\":{\"b\":1}}";
    cw_ctx *edge, *owner;
    char rid[CW_RID_LEN + 1];
    json_t *body, *log;

    cw_host_reset();
    edge = run(CW_STAGE_EDGE, req, NULL);
    CHECK_INT(edge->res.status, 0);
    CHECK_INT(edge->res.action, CW_ACTION_FORWARD);
    CHECK_INT(edge->res.ask_len, 5);
    CHECK(memcmp(edge->res.ask, "doc-1", 5) == 0);
    CHECK_INT(edge->res.keep, 1); /* the owner's body need not cross back */
    CHECK_INT(edge->res.request_id_len, CW_RID_LEN);
    CHECK_INT(edge->res.log_len, 0); /* logged once, when final */
    memcpy(rid, edge->res.request_id, CW_RID_LEN + 1);

    owner = run(CW_STAGE_OWNER, req, rid);
    CHECK_INT(owner->res.status, 200);
    CHECK(has_header(owner, "etag: \"1\"\r\n"));
    CHECK(!has_header(owner, "x-request-id")); /* the edge adds it */
    CHECK_INT(owner->res.log_len, 0);
    {
        char *v = cw_host_query("x", "SELECT version || ':' || request_id FROM cw_journal");
        char want[64];
        snprintf(want, sizeof want, "1:%s", rid);
        CHECK_STR(v, want);
        free(v);
    }

    CHECK_INT(cw_pipeline_resume(edge, (int)owner->res.status, owner->res.head, owner->res.head_len,
                                 owner->res.body, owner->res.body_len, 1002.5),
              0);
    CHECK_INT(edge->res.status, 200);
    CHECK(has_header(edge, "etag: \"1\"\r\n"));
    CHECK(has_header(edge, "x-request-id: "));
    /* The answer's body is the owner's, which the host kept. */
    CHECK_INT(edge->res.keep, 1);
    CHECK_INT(edge->res.body_len, 0);
    body = json_loadb(owner->res.body, owner->res.body_len, 0, NULL);
    CHECK_STR(json_string_value(json_object_get(body, "id")), "doc-1");
    CHECK_INT(json_integer_value(json_object_get(body, "version")), 1);
    log = json_loadb(edge->res.log, edge->res.log_len, 0, NULL);
    CHECK(log != NULL);
    CHECK_STR(json_string_value(json_object_get(log, "request_id")), rid);
    CHECK_STR(json_string_value(json_object_get(log, "route")), "state.patch");
    CHECK_STR(json_string_value(json_object_get(log, "method")), "PATCH");
    CHECK_STR(json_string_value(json_object_get(log, "id")), "doc-1");
    CHECK_INT(json_integer_value(json_object_get(log, "status")), 200);
    CHECK_INT(json_integer_value(json_object_get(log, "duration_us")), 2500);
    /* a second resume is refused */
    CHECK_INT(cw_pipeline_resume(edge, 200, "", 0, "", 0, 0), -1);
    json_decref(body);
    json_decref(log);
    cw_pipeline_free(owner);
    cw_pipeline_free(edge);
}

static void owner_failure_is_503_with_request_id(void) {
    cw_ctx *edge = run(CW_STAGE_EDGE, "GET /state/x\r\n\r\n", NULL);
    json_t *hold, *body;
    CHECK_INT(cw_pipeline_resume(edge, 0, NULL, 0, NULL, 0, 1000), 0);
    CHECK_INT(edge->res.status, 503);
    CHECK_STR(error_code(edge, &hold), "state_unavailable");
    body = json_object_get(hold, "error");
    CHECK_INT(strlen(json_string_value(json_object_get(body, "request_id"))), CW_RID_LEN);
    CHECK(edge->res.log_len > 0);
    json_decref(hold);
    cw_pipeline_free(edge);
}

static void error_body_carries_owner_request_id(void) {
    const char *rid = "0123456789abcdef0123456789abcdef";
    cw_ctx *owner =
        run(CW_STAGE_OWNER,
            "PATCH /state/x\r\ncontent-type: application/json\r\nif-match: \"9\"\r\n\r\n{}", rid);
    json_t *body = body_json(owner);
    CHECK_INT(owner->res.status, 412);
    CHECK_STR(json_string_value(json_object_get(json_object_get(body, "error"), "request_id")),
              rid);
    json_decref(body);
    cw_pipeline_free(owner);
}

/* The owner allows only what an explicit grant from the edge allows: an
 * empty or malformed grant reads and writes nothing (it meant "write"). */
static void the_owner_fails_closed_without_a_grant(void) {
    static const char *const grants[] = {"", "x", "wr", "rw alice", "W alice", " w"};
    static const char *const reqs[] = {
        "GET /state/nogrant\r\n\r\n",
        "PATCH /state/nogrant\r\ncontent-type: application/json\r\n\r\n{\"a\":1}",
        "DELETE /state/nogrant\r\n\r\n",
        "GET /state/nogrant/changes?since=0\r\n\r\n",
        "GET /state/nogrant/live\r\nupgrade: websocket\r\n\r\n",
    };
    for (size_t g = 0; g < sizeof grants / sizeof grants[0]; g++) {
        for (size_t r = 0; r < sizeof reqs / sizeof reqs[0]; r++) {
            cw_ctx *ctx = cw_host_owner(reqs[r], strlen(reqs[r]), grants[g], NULL, "nogrant", 0);
            json_t *hold;
            CHECK_INT(ctx->res.status, 403);
            CHECK_STR(error_code(ctx, &hold), "forbidden");
            json_decref(hold);
            cw_pipeline_free(ctx);
        }
    }
    /* Nothing was written. */
    {
        char *v = cw_host_query("nogrant", "SELECT count(*) FROM cw_meta WHERE version > 0");
        CHECK_STR(v, "0");
        free(v);
    }
}

static void request_ids_are_unique(void) {
    cw_ctx *a = run(CW_STAGE_EDGE, "GET /health\r\n\r\n", NULL);
    cw_ctx *b = run(CW_STAGE_EDGE, "GET /health\r\n\r\n", NULL);
    CHECK(strcmp(a->rid, b->rid) != 0);
    cw_pipeline_free(a);
    cw_pipeline_free(b);
}

/* GET /health is 200 while the configuration is in force, and 503
 * config_refused naming each refused value (HEAD alike, without a body);
 * an unset STATE_KEYS is not refused. */
static void health_names_refused_configuration(void) {
    static const struct {
        const char *hooks, *keys, *origins, *message;
    } cases[] = {
        {"nope", "", "", "SYNC_HOOKS refused; the isolate logged why at its start"},
        {"", "[]", "", "STATE_KEYS refused; the isolate logged why at its start"},
        {"", "", "*", "CORS_ORIGINS refused; the isolate logged why at its start"},
        {"{\"nosuch\":{}}", "{\"k\":\"short\"}", "https://a.example/",
         "SYNC_HOOKS, STATE_KEYS, CORS_ORIGINS refused; the isolate logged why at its start"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *hold;
        cw_ctx *ctx;
        CHECK(cw_plugin_config_load(cases[i].hooks, strlen(cases[i].hooks)) != NULL ||
              !*cases[i].hooks);
        CHECK(cw_jwt_configure(cases[i].keys, strlen(cases[i].keys)) != NULL || !*cases[i].keys);
        CHECK(cw_runtime_origins(cases[i].origins, strlen(cases[i].origins)) != NULL ||
              !*cases[i].origins);
        ctx = run(CW_STAGE_EDGE, "GET /health\r\n\r\n", NULL);
        CHECK_INT(ctx->res.status, 503);
        CHECK_STR(error_code(ctx, &hold), "config_refused");
        CHECK_STR(json_string_value(json_object_get(json_object_get(hold, "error"), "message")),
                  cases[i].message);
        json_decref(hold);
        cw_pipeline_free(ctx);
        ctx = run(CW_STAGE_EDGE, "HEAD /health\r\n\r\n", NULL);
        CHECK_INT(ctx->res.status, 503);
        CHECK_INT(ctx->res.body_len, 0);
        cw_pipeline_free(ctx);
    }
    CHECK(cw_plugin_config_load("", 0) == NULL);
    CHECK(cw_jwt_configure("", 0) == NULL);
    CHECK(cw_runtime_origins("", 0) == NULL);
    {
        json_t *hold;
        cw_ctx *ctx = run(CW_STAGE_EDGE, "GET /health\r\n\r\n", NULL);
        CHECK_INT(ctx->res.status, 200);
        hold = body_json(ctx);
        CHECK_STR(json_string_value(json_object_get(hold, "status")), "ok");
        json_decref(hold);
        cw_pipeline_free(ctx);
    }
}

static void allow_header_on_405(void) {
    cw_ctx *ctx = run(CW_STAGE_EDGE, "PUT /state/x\r\n\r\n", NULL);
    CHECK_INT(ctx->res.status, 405);
    CHECK(has_header(ctx, "allow: GET, HEAD, PATCH, DELETE\r\n"));
    cw_pipeline_free(ctx);
}

/* The number of header lines named name in ctx's head. */
static int count_header(const cw_ctx *ctx, const char *name) {
    char *h = strndup(ctx->res.head, ctx->res.head_len), *at = h;
    int n = 0;
    size_t len = strlen(name);
    for (; at && *at; at = strstr(at, "\r\n") ? strstr(at, "\r\n") + 2 : NULL)
        if (strncasecmp(at, name, len) == 0 && at[len] == ':')
            n++;
    free(h);
    return n;
}

static void late_errors_keep_no_success_headers(void) {
    cw_ctx *ctx = run(CW_STAGE_EDGE, "POST /__test/trap/late\r\n\r\n", NULL);
    json_t *hold;
    CHECK_INT(ctx->res.status, 500);
    CHECK_STR(error_code(ctx, &hold), "internal");
    CHECK_INT(count_header(ctx, "etag"), 0);
    CHECK_INT(count_header(ctx, "content-type"), 1);
    CHECK_INT(count_header(ctx, "x-request-id"), 1);
    json_decref(hold);
    cw_pipeline_free(ctx);
}

/* An oversized body is never handed over: the host sends its size in
 * content-length and no bytes, and C answers 413 from that. */
static void declared_size_over_the_limit_is_413(void) {
    static const char *const reqs[] = {
        "PATCH /state/x\r\ncontent-type: application/json\r\ncontent-length: 1048577\r\n\r\n",
        "PATCH /state/x\r\ncontent-length: 99999999999999999999999\r\n\r\n",
        "GET /health\r\ncontent-length: 1048577\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
        cw_ctx *ctx = run(CW_STAGE_EDGE, reqs[i], NULL);
        json_t *hold;
        CHECK_INT(ctx->res.status, 413);
        CHECK_STR(error_code(ctx, &hold), "payload_too_large");
        json_decref(hold);
        cw_pipeline_free(ctx);
    }
}

/* The log line of an edge request, parsed. */
static json_t *log_of(const cw_ctx *edge) {
    json_t *log = json_loadb(edge->res.log, edge->res.log_len, 0, NULL);
    CHECK(log != NULL);
    return log;
}

/* A request refused before routing is logged and counted with its method,
 * its route and its id. */
static void refused_early_are_logged_with_route_and_id(void) {
    char req[4096];
    int at = sprintf(req, "GET /state/x\r\n");
    cw_ctx *ctx =
        run(CW_STAGE_EDGE, "PATCH /state/big%2Ddoc\r\ncontent-length: 1048577\r\n\r\n", NULL);
    json_t *log = log_of(ctx);
    CHECK_INT(ctx->res.status, 413);
    CHECK_STR(json_string_value(json_object_get(log, "route")), "state.patch");
    CHECK_STR(json_string_value(json_object_get(log, "id")), "big-doc");
    CHECK_STR(json_string_value(json_object_get(log, "error")), "payload_too_large");
    json_decref(log);
    cw_pipeline_free(ctx);
    /* too many header lines: the head is refused, the method still logged */
    for (int i = 0; i < 200; i++)
        at += sprintf(req + at, "x-h%d: v\r\n", i);
    sprintf(req + at, "\r\n");
    ctx = run(CW_STAGE_EDGE, req, NULL);
    log = log_of(ctx);
    CHECK(ctx->res.status >= 400 && ctx->res.status < 500);
    CHECK_STR(json_string_value(json_object_get(log, "method")), "GET");
    CHECK(json_object_get(log, "error") != NULL);
    json_decref(log);
    cw_pipeline_free(ctx);
}

/* An error the owner decides is named in the edge's log line (a 5xx with
 * its cause); the line that carries it goes no further than the edge. */
static void the_owners_error_is_logged_at_the_edge(void) {
    const char *req =
        "PATCH /state/x\r\ncontent-type: application/json\r\nif-match: \"9\"\r\n\r\n{}";
    cw_ctx *edge = run(CW_STAGE_EDGE, req, NULL), *owner = run(CW_STAGE_OWNER, req, NULL);
    const char *late =
        "content-type: application/json\r\nx-cw-error: storage_failed a write failed: disk\r\n";
    json_t *log;
    CHECK_INT(owner->res.status, 412);
    CHECK(has_header(owner, "x-cw-error: precondition_failed\r\n"));
    CHECK_INT(cw_pipeline_resume(edge, (int)owner->res.status, owner->res.head, owner->res.head_len,
                                 owner->res.body, owner->res.body_len, 1001),
              0);
    CHECK_INT(edge->res.status, 412);
    CHECK_INT(count_header(edge, "x-cw-error"), 0);
    CHECK_INT(count_header(edge, "content-type"), 1);
    log = log_of(edge);
    CHECK_STR(json_string_value(json_object_get(log, "error")), "precondition_failed");
    CHECK(json_object_get(log, "cause") == NULL);
    json_decref(log);
    cw_pipeline_free(edge);
    cw_pipeline_free(owner);

    edge = run(CW_STAGE_EDGE, req, NULL);
    CHECK_INT(cw_pipeline_resume(edge, 500, late, strlen(late), "{}", 2, 1001), 0);
    CHECK_INT(count_header(edge, "x-cw-error"), 0);
    log = log_of(edge);
    CHECK_STR(json_string_value(json_object_get(log, "error")), "storage_failed");
    CHECK_STR(json_string_value(json_object_get(log, "cause")), "a write failed: disk");
    json_decref(log);
    cw_pipeline_free(edge);
}

/* A request carrying Upgrade: websocket off the live route is refused
 * before anything runs: workerd hands it to the worker as a GET, whatever
 * its method, so a PATCH would be answered as a read and seem written. */
static void upgrade_only_on_the_live_route(void) {
    static const char *const reqs[] = {
        "GET /state/x\r\nupgrade: websocket\r\n\r\n",
        "GET /health\r\nupgrade: WebSocket\r\n\r\n",
        "GET /state/x/changes?since=0\r\nupgrade:  websocket \r\n\r\n",
    };
    cw_ctx *ctx;
    for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
        json_t *hold;
        ctx = run(CW_STAGE_EDGE, reqs[i], NULL);
        CHECK_INT(ctx->res.action, CW_ACTION_NONE); /* nothing forwarded */
        CHECK_STR(error_code(ctx, &hold), "bad_request");
        json_decref(hold);
        cw_pipeline_free(ctx);
    }
    ctx = run(CW_STAGE_EDGE, "GET /state/x/live\r\nupgrade: websocket\r\n\r\n", NULL);
    CHECK_INT(ctx->res.action, CW_ACTION_UPGRADE);
    cw_pipeline_free(ctx);
}

static void body_limit_is_413(void) {
    size_t n = (1u << 20) + 64;
    char *req = malloc(n + 1);
    cw_ctx *ctx;
    int at = sprintf(req, "PATCH /state/x\r\ncontent-type: application/json\r\n\r\n");
    memset(req + at, ' ', n - (size_t)at);
    req[n] = '\0';
    ctx = run(CW_STAGE_EDGE, req, NULL);
    CHECK_INT(ctx->res.status, 413);
    cw_pipeline_free(ctx);
    free(req);
}

static void client_request_id_only_when_valid(void) {
    static const char *good[] = {
        "0123456789abcdef", "550e8400-e29b-41d4-a716-446655440000",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyz01"};
    static const char *bad[] = {"short",
                                "has space in the middle",
                                "quote\"injection-000",
                                "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdefX",
                                "line\rbreak-0123456789",
                                "under_score_0123456789"};
    char req[256];
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        cw_ctx *ctx;
        snprintf(req, sizeof req, "GET /health\r\nx-request-id: %s\r\n\r\n", good[i]);
        ctx = run(CW_STAGE_EDGE, req, NULL);
        CHECK_STR(ctx->rid, good[i]);
        cw_pipeline_free(ctx);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cw_ctx *ctx;
        snprintf(req, sizeof req, "GET /health\r\nx-request-id: %s\r\n\r\n", bad[i]);
        ctx = run(CW_STAGE_EDGE, req, NULL);
        CHECK(strcmp(ctx->rid, bad[i]) != 0);
        CHECK_INT(strlen(ctx->rid), CW_RID_LEN); /* replaced by a generated one */
        cw_pipeline_free(ctx);
    }
}

/* A merge that would take the document past the stored-state limit is
 * refused with 413, and nothing is committed; containers are bounded per
 * value: an object that grows by merges spills into rows and stays within
 * them. */
static void merged_state_limits_are_413_without_commit(void) {
    size_t value = 1000000;
    char *req = malloc(value + 128), *p;
    const cw_config *cfg;
    cw_host_answer a;
    int n, fits;

    cw_host_reset();
    cfg = cw_runtime_config();
    fits = (int)(cfg->state_limit / (value + 3));
    for (int i = 0; i <= fits; i++) {
        n = sprintf(req, "PATCH /state/big\r\ncontent-type: application/json\r\n\r\n{\"m%d\":\"",
                    i);
        memset(req + n, 'x', value);
        strcpy(req + n + value, "\"}");
        cw_host_request(req, strlen(req), 0, 1e12, &a);
        CHECK_INT(a.status, i < fits ? 200 : 413);
        if (i == fits)
            CHECK(strstr(a.body, "stored-state limit") != NULL);
        cw_host_free(&a);
    }
    {
        char *v = cw_host_query("big", "SELECT version FROM cw_meta"), want[16];
        snprintf(want, sizeof want, "%d", fits);
        CHECK_STR(v, want);
        free(v);
    }
    /* Two merges of 40,000 objects each into one member: it spills into
     * rows, each value small, so neither passes the container limit. */
    for (int round = 0; round < 2; round++) {
        p = req +
            sprintf(req, "PATCH /state/objs\r\ncontent-type: application/json\r\n\r\n{\"a\":{");
        for (int i = 0; i < 40000; i++)
            p += sprintf(p, "%s\"%c%d\":{}", i ? "," : "", 'k' + round, i);
        strcpy(p, "}}");
        cw_host_request(req, strlen(req), 0, 1e12, &a);
        CHECK_INT(a.status, 200);
        cw_host_free(&a);
    }
    free(req);
}

/* The local row without STATE_KEYS: state routes open, as under make dev
 * (production would refuse them, 503 auth_unconfigured). */
static void configure_local(void) { CHECK_INT(cw_runtime_configure("local", 5, "", 0, "", 0), 0); }

/* The frames of r as (op, target, code, text) records: the count found;
 * the first record's fields in the out parameters. */
static int first_frame(const cw_result *r, uint32_t *op, uint32_t *target, uint32_t *code,
                       char *text, size_t cap) {
    const unsigned char *p = (const unsigned char *)r->frames;
    int n = 0;
    for (size_t at = 0; at + 16 <= r->frames_len; n++) {
        uint32_t w[4];
        memcpy(w, p + at, sizeof w);
        if (n == 0) {
            *op = w[0];
            *target = w[1];
            *code = w[2];
            snprintf(text, cap, "%.*s", (int)w[3], (const char *)p + at + 16);
        }
        at += 16 + ((w[3] + 3) & ~3u);
    }
    return n;
}

cw_result *cw_failed(int stage, const char *rid, size_t rid_len, double now_ms, int flags);
void cw_result_free(cw_result *r);

/* A call that failed after accepting a socket for an upgrade: the 500
 * closes that socket (1011), at the owner and at the edge; without a
 * socket there is nothing to close. */
static void a_failed_upgrade_closes_its_socket(void) {
    for (int stage = CW_STAGE_EDGE; stage <= CW_STAGE_OWNER; stage++) {
        uint32_t op = 0, target = 0, code = 0;
        char reason[64] = "";
        cw_result *r = cw_failed(stage, "", 0, 1000.0, CW_FLAG_ACCEPTED);
        CHECK_INT(r->status, 500);
        CHECK_INT(first_frame(r, &op, &target, &code, reason, sizeof reason), 1);
        CHECK_INT(op, CW_FRAME_CLOSE);
        CHECK(target == CW_FRAME_ACCEPTED);
        CHECK_INT(code, 1011);
        CHECK_STR(reason, "the upgrade failed");
        cw_result_free(r);
        r = cw_failed(stage, "", 0, 1000.0, 0);
        CHECK_INT(r->frames_len, 0);
        cw_result_free(r);
    }
}

const cw_test cw_tests[] = {
    {"a_failed_upgrade_closes_its_socket", a_failed_upgrade_closes_its_socket},
    {"configure_local", configure_local},
    {"merged_state_limits_are_413_without_commit", merged_state_limits_are_413_without_commit},
    {"client_request_id_only_when_valid", client_request_id_only_when_valid},
    {"request_cases", request_cases},
    {"edge_owner_resume_round_trip", edge_owner_resume_round_trip},
    {"owner_failure_is_503_with_request_id", owner_failure_is_503_with_request_id},
    {"error_body_carries_owner_request_id", error_body_carries_owner_request_id},
    {"request_ids_are_unique", request_ids_are_unique},
    {"the_owner_fails_closed_without_a_grant", the_owner_fails_closed_without_a_grant},
    {"allow_header_on_405", allow_header_on_405},
    {"health_names_refused_configuration", health_names_refused_configuration},
    {"body_limit_is_413", body_limit_is_413},
    {"upgrade_only_on_the_live_route", upgrade_only_on_the_live_route},
    {"refused_early_are_logged_with_route_and_id", refused_early_are_logged_with_route_and_id},
    {"the_owners_error_is_logged_at_the_edge", the_owners_error_is_logged_at_the_edge},
    {"late_errors_keep_no_success_headers", late_errors_keep_no_success_headers},
    {"declared_size_over_the_limit_is_413", declared_size_over_the_limit_is_413},
    {NULL, NULL},
};
