/* test_plugin_config.c - the host side of the plugin contract, natively: version
 * ranges, the contract check (against the test manifest, which adds the
 * test-only plugins), SYNC_HOOKS, and the plugin flows through the pipeline:
 * request plugins (forward, then call), sync hooks (call before commit),
 * the registry routes and how each kind of plugin answer is taken. */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "harness.h"
#include "host.h"
#include "pipeline.h"
#include "plugin_config.h"
#include "plugin_contract.h"
#include "runtime.h"
#include "semver.h"

#define RID "0123456789abcdef0123456789abcdef"

static char current[64]; /* the id an OWNER run works on */

/* Runs req in stage. An OWNER run starts from fresh storage for its id,
 * holding legacy (a one-blob state, converted on first touch) unless that is
 * NULL or "", and is stepped through its storage work up to a plugin call
 * or its end (host.h). */
static cw_ctx *run(int stage, const char *req, const char *legacy) {
    cw_ctx *ctx;
    int owner = stage == CW_STAGE_OWNER;
    cw_run in = {req, strlen(req), "w ", 2, owner ? RID : NULL, owner ? 32 : 0, 1.0, 1.0, 0, -1, 0};
    if (owner) {
        const char *p = strstr(req, "/state/") + 7;
        snprintf(current, sizeof current, "%.*s", (int)strcspn(p, "?\r "), p);
        cw_host_reset();
        if (legacy && *legacy) {
            char sql[256];
            snprintf(sql, sizeof sql,
                     "CREATE TABLE state (k INTEGER PRIMARY KEY, blob TEXT);"
                     "INSERT INTO state VALUES (0, '%s')",
                     legacy);
            sqlite3_exec(cw_host_db(current), sql, NULL, NULL, NULL);
        }
    }
    if (owner)
        return cw_host_owner(req, strlen(req), "w ", RID, current, 1);
    ctx = cw_test_pipeline(stage);
    cw_pipeline_run(ctx, &in);
    return ctx;
}

/* The version stored for the current id ("" when never written). */
static int stored_version(void) {
    char *v = cw_host_query(current, "SELECT version FROM cw_meta");
    int n = *v ? atoi(v) : 0;
    free(v);
    return n;
}

/* The status of an edge request that answers without suspending. */
static int edge_status(const char *req) {
    cw_ctx *ctx = run(CW_STAGE_EDGE, req, NULL);
    int status = ctx->res.action ? -1 : (int)ctx->res.status;
    cw_pipeline_free(ctx);
    return status;
}

static int resume(cw_ctx *ctx, int status, const char *body) {
    if (ctx->stage == CW_STAGE_OWNER)
        return cw_host_resume(ctx, current, status, body, strlen(body));
    return cw_pipeline_resume(ctx, status, "", 0, body, strlen(body), 2.0);
}

static json_t *body_json(const cw_ctx *ctx) {
    return json_loadb(ctx->res.body, ctx->res.body_len, 0, NULL);
}

static int slice_is(const char *p, uint32_t n, const char *s) {
    return n == strlen(s) && memcmp(p, s, n) == 0;
}

static const char *code_of(json_t *doc) {
    return json_string_value(json_object_get(json_object_get(doc, "error"), "code"));
}

static void semver_ranges(void) {
    static const struct {
        const char *v, *range;
        int want;
    } cases[] = {
        {"1.2.0", ">=1.2.0 <2.0.0", 1},
        {"1.9.99", ">=1.2.0 <2.0.0", 1},
        {"1.1.9", ">=1.2.0 <2.0.0", 0},
        {"2.0.0", ">=1.2.0 <2.0.0", 0},
        {"1.10.0", ">1.9.0", 1},
        {"1.2.3", "1.2.3", 1},
        {"1.2.3", "=1.2.4", 0},
        {"0.0.1", "<=0.0.1", 1},
        {"10.0.0", ">9.99.99", 1},
        {"1.2", ">=1.0.0", -1},
        {"01.2.3", ">=1.0.0", -1},
        {"1.2.3-beta", ">=1.0.0", -1},
        {"1.2.3", "", -2},
        {"1.2.3", ">=1.x.0", -2},
        {"1.2.3", "~1.2.0", -2},
        {"1.2.3", ">= 1.0.0", -2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = cw_semver_satisfies(cases[i].v, strlen(cases[i].v), cases[i].range);
        if (got != cases[i].want)
            fprintf(stderr, "    %s in \"%s\": %d, want %d\n", cases[i].v, cases[i].range, got,
                    cases[i].want);
        CHECK_INT(got, cases[i].want);
    }
}

static const char *check(const char *name, const char *self, const char *version, int abi, int caps,
                         unsigned exports) {
    cw_plugin_contract_facts f = {name, self, version, strlen(name), strlen(self), strlen(version),
                                  abi,  caps, exports};
    return cw_plugin_contract_check(&f);
}

static int says(const char *why, const char *part) {
    if (why && strstr(why, part))
        return 1;
    fprintf(stderr, "    refusal \"%s\" lacks \"%s\"\n", why ? why : "(accepted)", part);
    return 0;
}

static void contract_check(void) {
    /* bits: memory cwp_abi cwp_name cwp_version cwp_caps cwp_alloc cwp_route cwp_sync */
    CHECK(check("select", "select", "1.0.0", 1, 1, 0x7f) == NULL);
    CHECK(check("schema", "schema", "1.2.0", 1, 2, 0xbf) == NULL);
    CHECK(check("trap", "trap", "1.0.0", 1, 3, 0xff) == NULL);
    CHECK(says(check("nosuch", "nosuch", "1.0.0", 1, 1, 0x7f), "not in the manifest"));
    CHECK(says(check("badabi", "badabi", "1.0.0", 99, 1, 0x7f), "ABI"));
    CHECK(
        says(check("oldver", "oldver", "1.4.0", 1, 1, 0x7f), "outside the accepted range >=2.0.0"));
    CHECK(says(check("noexport", "noexport", "1.0.0", 1, 1, 0x3f), "missing export cwp_route"));
    CHECK(says(check("select", "select", "1.0.0", -1, -1, 0x3d), "missing export cwp_abi"));
    CHECK(says(check("select", "select", "1.0.0", 1, 1, 0x7e), "missing export memory"));
    CHECK(says(check("schema", "schema", "1.2.0", 1, 3, 0xbf), "missing export cwp_route"));
    CHECK(says(check("schema", "schema", "1.1.9", 1, 2, 0xbf), "outside the accepted range"));
    CHECK(says(check("schema", "schema", "1.2", 1, 2, 0xbf), "not MAJOR.MINOR.PATCH"));
    CHECK(says(check("schema", "other", "1.2.0", 1, 2, 0xbf), "own name differs: other"));
    CHECK(says(check("schema", "schema", "1.2.0", 1, 1, 0x7f), "capability"));
    CHECK(says(check("select", "select", "1.0.0", 1, 0, 0x3f), "capability"));
}

static void sync_hooks_config(void) {
    const char *ok = "{\"trap\":{\"t.\":{}},\"schema\":{\"s.\":{\"type\":\"object\"}}}";
    CHECK(cw_plugin_config_load("[1]", 3) != NULL);
    CHECK(says(cw_plugin_config_error(), "not a JSON object"));
    CHECK(says(cw_plugin_config_load("{\"select\":{}}", 13), "no sync hook for: select"));
    CHECK(says(cw_plugin_config_load("{\"nosuch\":{}}", 13), "nosuch"));
    CHECK(says(cw_plugin_config_load("{\"schema\":[]}", 13), "id prefix"));
    CHECK(says(cw_plugin_config_load("{\"schema\":", 10), "not a JSON object"));
    CHECK(cw_plugin_config_load("", 0) == NULL);
    CHECK(cw_plugin_config_error() == NULL);
    CHECK(cw_plugin_config_load(ok, strlen(ok)) == NULL);
}

/* While SYNC_HOOKS is refused, every PATCH is refused too: by the object,
 * past the edge's access check (a caller without a token learns nothing of
 * the configuration). */
static void refused_hooks_refuse_writes(void) {
    cw_ctx *ctx;
    json_t *b;
    cw_plugin_config_load("nope", 4);
    ctx = run(CW_STAGE_EDGE, "PATCH /state/x\r\ncontent-type: application/json\r\n\r\n{}", NULL);
    CHECK_INT(ctx->res.action, CW_ACTION_FORWARD);
    cw_pipeline_free(ctx);
    ctx = cw_host_owner("PATCH /state/x\r\ncontent-type: application/json\r\n\r\n{}", 52, "r ",
                        NULL, "x", 0);
    CHECK_INT(ctx->res.status, 403); /* a grant that may not write learns nothing of it */
    cw_pipeline_free(ctx);
    ctx = run(CW_STAGE_OWNER, "PATCH /state/x\r\ncontent-type: application/json\r\n\r\n{}", NULL);
    CHECK_INT(ctx->res.status, 503);
    b = body_json(ctx);
    CHECK(strstr(json_string_value(json_object_get(json_object_get(b, "error"), "message")),
                 "SYNC_HOOKS") != NULL);
    json_decref(b);
    cw_pipeline_free(ctx);
    sync_hooks_config();
}

#define PATCH_S "PATCH /state/s.1\r\ncontent-type: application/json\r\n\r\n{\"a\":1}"

static void sync_hook_accepts(void) {
    cw_ctx *ctx = run(CW_STAGE_OWNER, PATCH_S, "{\"v\":4,\"s\":{\"b\":2}}");
    json_t *in;
    CHECK_INT(ctx->res.action, CW_ACTION_CALL);
    CHECK_INT(ctx->res.status, 0);
    CHECK_INT(stored_version(), 4); /* while a hook runs, only the conversion is
                                       committed: the same state, the same version */
    CHECK(slice_is(ctx->res.ask, ctx->res.ask_len, "schema sync"));
    in = json_loadb(ctx->res.input, ctx->res.input_len, 0, NULL);
    CHECK_STR(json_string_value(json_object_get(in, "namespace")), "s.");
    CHECK_STR(json_string_value(json_object_get(json_object_get(in, "config"), "type")), "object");
    CHECK_INT(json_integer_value(json_object_get(json_object_get(in, "target"), "version")), 5);
    CHECK_INT(json_integer_value(
                  json_object_get(json_object_get(json_object_get(in, "target"), "state"), "a")),
              1);
    json_decref(in);
    CHECK_INT(resume(ctx, 200, "{\"valid\":true}"), 0);
    CHECK_INT(ctx->res.action, CW_ACTION_NONE);
    CHECK_INT(ctx->res.status, 200);
    CHECK_INT(stored_version(), 5);
    CHECK(strstr(ctx->res.head, "etag: \"5\"") != NULL);
    cw_pipeline_free(ctx);
}

static void sync_hook_refuses(void) {
    const char *no = "{\"error\":{\"code\":\"schema_violation\",\"message\":\"1 violation\","
                     "\"reasons\":[{\"path\":\"/a\",\"message\":\"must be string\"}]}}";
    cw_ctx *ctx = run(CW_STAGE_OWNER, PATCH_S, "");
    json_t *b;
    CHECK_INT(resume(ctx, 422, no), 0);
    CHECK_INT(ctx->res.status, 422);
    CHECK_INT(stored_version(), 0);
    CHECK(strstr(ctx->res.head, "etag") == NULL);
    b = body_json(ctx);
    CHECK_STR(code_of(b), "schema_violation");
    CHECK_STR(json_string_value(json_object_get(json_object_get(b, "error"), "request_id")), RID);
    CHECK_INT(json_array_size(json_object_get(json_object_get(b, "error"), "reasons")), 1);
    json_decref(b);
    cw_pipeline_free(ctx);
}

/* Failures: a trap (0), an unavailable plugin (1), a 5xx, a non-JSON body
 * or an error without code: never a commit. */
static void sync_hook_failures(void) {
    static const struct {
        int status;
        const char *body, *code;
    } cases[] = {
        {0, "trap in sync: unreachable", "plugin_failed"},
        {1, "version is outside the accepted range", "plugin_unavailable"},
        {500, "{\"error\":{\"code\":\"invalid_schema\",\"message\":\"bad\"}}", "plugin_failed"},
        {200, "not json", "plugin_failed"},
        {200, "[]", "plugin_failed"},
        {422, "{\"error\":{\"message\":\"no code\"}}", "plugin_failed"},
        {302, "{}", "plugin_failed"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cw_ctx *ctx = run(CW_STAGE_OWNER, PATCH_S, "");
        json_t *b;
        CHECK_INT(resume(ctx, cases[i].status, cases[i].body), 0);
        CHECK_INT(stored_version(), 0);
        CHECK_INT(ctx->res.status, strcmp(cases[i].code, "plugin_unavailable") ? 500 : 503);
        b = body_json(ctx);
        CHECK_STR(code_of(b), cases[i].code);
        json_decref(b);
        cw_pipeline_free(ctx);
    }
}

/* Hooks chain in SYNC_HOOKS order; ids outside every namespace skip them. */
static void sync_hooks_chain_and_namespaces(void) {
    const char *two = "{\"schema\":{\"c.\":true,\"c.deep.\":false},\"trap\":{\"c.\":{}}}";
    cw_ctx *ctx;
    json_t *in;
    CHECK(cw_plugin_config_load(two, strlen(two)) == NULL);
    ctx = run(CW_STAGE_OWNER, "PATCH /state/c.deep.1\r\ncontent-type: application/json\r\n\r\n{}",
              "");
    CHECK(slice_is(ctx->res.ask, ctx->res.ask_len, "schema sync"));
    in = json_loadb(ctx->res.input, ctx->res.input_len, 0, NULL);
    CHECK_STR(json_string_value(json_object_get(in, "namespace")), "c.deep."); /* longest */
    CHECK(json_is_false(json_object_get(in, "config")));
    json_decref(in);
    CHECK_INT(resume(ctx, 200, "{}"), 0);
    CHECK_INT(ctx->res.action, CW_ACTION_CALL);
    CHECK(slice_is(ctx->res.ask, ctx->res.ask_len, "trap sync"));
    CHECK_INT(resume(ctx, 200, "{}"), 0);
    CHECK_INT(ctx->res.status, 200);
    CHECK_INT(stored_version(), 1);
    cw_pipeline_free(ctx);
    ctx = run(CW_STAGE_OWNER, "PATCH /state/other\r\ncontent-type: application/json\r\n\r\n{}", "");
    CHECK_INT(ctx->res.action, CW_ACTION_NONE);
    CHECK_INT(stored_version(), 1);
    cw_pipeline_free(ctx);
    sync_hooks_config();
}

static void request_plugin_over_state(void) {
    cw_ctx *edge = run(CW_STAGE_EDGE, "GET /plugins/select/state/abc?select=a.b\r\n\r\n", NULL);
    cw_ctx *owner = run(CW_STAGE_OWNER, "GET /plugins/select/state/abc?select=a.b\r\n\r\n",
                        "{\"v\":2,\"s\":{\"a\":{\"b\":1}}}");
    const char *expect =
        "GET /state/abc?select=a.b\n{\"id\":\"abc\",\"version\":2,\"state\":{\"a\":{\"b\":1}}}";
    CHECK_INT(edge->res.action, CW_ACTION_FORWARD);
    CHECK(slice_is(edge->res.ask, edge->res.ask_len, "abc"));
    CHECK_INT(edge->res.keep, 0); /* the plugin needs the owner's body */
    CHECK_INT(owner->res.status, 200);
    CHECK_INT(cw_pipeline_resume(edge, 200, owner->res.head, owner->res.head_len, owner->res.body,
                                 owner->res.body_len, 2),
              0);
    CHECK_INT(edge->res.action, CW_ACTION_CALL);
    CHECK(slice_is(edge->res.ask, edge->res.ask_len, "select route"));
    CHECK(slice_is(edge->res.input, edge->res.input_len, expect));
    CHECK_INT(resume(edge, 200, "{\"id\":\"abc\",\"state\":{}}"), 0);
    CHECK_INT(edge->res.status, 200);
    CHECK(slice_is(edge->res.body, edge->res.body_len, "{\"id\":\"abc\",\"state\":{}}"));
    CHECK(strstr(edge->res.head, "x-request-id: ") != NULL);
    cw_pipeline_free(edge);
    cw_pipeline_free(owner);
}

/* The host copies a plugin's input into the plugin's memory: C refuses an
 * input over the environment's plugin_input_limit before it is handed on. */
static void plugin_input_is_bounded(void) {
    size_t n = cw_runtime_config()->plugin_input_limit + 1;
    char *view = malloc(n);
    cw_ctx *ctx = run(CW_STAGE_EDGE, "GET /plugins/select/state/abc\r\n\r\n", NULL);
    json_t *b;
    memset(view, ' ', n);
    CHECK_INT(cw_pipeline_resume(ctx, 200, "", 0, view, n, 2), 0);
    CHECK_INT(ctx->res.action, CW_ACTION_NONE);
    CHECK_INT(ctx->res.input_len, 0);
    CHECK_INT(ctx->res.status, 413);
    b = body_json(ctx);
    CHECK_STR(code_of(b), "payload_too_large");
    json_decref(b);
    cw_pipeline_free(ctx);
    free(view);
}

static void request_plugin_errors(void) {
    cw_ctx *ctx = run(CW_STAGE_EDGE, "GET /plugins/select/x?y=1\r\n\r\n", NULL);
    json_t *b;
    CHECK_INT(ctx->res.action, CW_ACTION_CALL); /* no state: called at once */
    CHECK(slice_is(ctx->res.input, ctx->res.input_len, "GET /x?y=1\n"));
    CHECK_INT(resume(ctx, 404, "{\"error\":{\"code\":\"not_found\",\"message\":\"m\"}}"), 0);
    CHECK_INT(ctx->res.status, 404);
    b = body_json(ctx);
    CHECK_STR(code_of(b), "not_found");
    CHECK(json_is_string(json_object_get(json_object_get(b, "error"), "request_id")));
    json_decref(b);
    cw_pipeline_free(ctx);
    /* An owner error is the answer, as it is; the plugin is not called. */
    ctx = run(CW_STAGE_EDGE, "GET /plugins/select/state/abc\r\n\r\n", NULL);
    CHECK_INT(cw_pipeline_resume(ctx, 503, "content-type: application/json\r\n", 32,
                                 "{\"error\":{}}", 12, 2),
              0);
    CHECK_INT(ctx->res.action, CW_ACTION_NONE);
    CHECK_INT(ctx->res.status, 503);
    cw_pipeline_free(ctx);
    /* Unknown plugins, a sync-only plugin, a bad id, another method. */
    CHECK_INT(edge_status("GET /plugins/nosuch/x\r\n\r\n"), 404);
    CHECK_INT(edge_status("GET /plugins/schema/x\r\n\r\n"), 404);
    CHECK_INT(edge_status("GET /plugins/select/state/a%2Fb\r\n\r\n"), 400);
    CHECK_INT(edge_status("POST /plugins/select/state/a\r\n\r\n"), 405);
    /* A trap in a request plugin: 500 with the request id. */
    ctx = run(CW_STAGE_EDGE, "GET /plugins/trap/boom\r\n\r\n", NULL);
    CHECK_INT(resume(ctx, 0, "trap in route: unreachable"), 0);
    CHECK_INT(ctx->res.status, 500);
    b = body_json(ctx);
    CHECK_STR(code_of(b), "plugin_failed");
    CHECK(strstr(json_string_value(json_object_get(json_object_get(b, "error"), "message")),
                 "plugin trap failed: trap in route") != NULL);
    json_decref(b);
    cw_pipeline_free(ctx);
}

static void registry_routes(void) {
    const char *list = "[{\"name\":\"select\",\"state\":\"unloaded\"}]";
    cw_ctx *ctx = run(CW_STAGE_EDGE, "GET /plugins\r\nauthorization: Bearer m\r\n\r\n", NULL);
    json_t *b;
    CHECK_INT(ctx->res.action, CW_ACTION_PLUGINS);
    CHECK(slice_is(ctx->res.ask, ctx->res.ask_len, "list"));
    CHECK_INT(resume(ctx, 200, list), 0);
    b = body_json(ctx);
    CHECK_STR(json_string_value(
                  json_object_get(json_array_get(json_object_get(b, "plugins"), 0), "state")),
              "unloaded");
    json_decref(b);
    cw_pipeline_free(ctx);
    CHECK_INT(edge_status("GET /plugins\r\n\r\n"), 401);
    ctx = run(CW_STAGE_EDGE,
              "POST /internal/plugins/select/unload\r\nauthorization: Bearer w\r\n\r\n", NULL);
    CHECK(slice_is(ctx->res.ask, ctx->res.ask_len, "unload select"));
    CHECK_INT(resume(ctx, 200, "not a report"), 0);
    CHECK_INT(ctx->res.status, 500);
    cw_pipeline_free(ctx);
    CHECK_INT(edge_status("POST /internal/plugins/select/unload\r\n\r\n"), 401);
    CHECK_INT(
        edge_status("POST /internal/plugins/nosuch/unload\r\nauthorization: Bearer w\r\n\r\n"),
        404);
    CHECK_INT(
        edge_status("POST /internal/plugins/select/reload\r\nauthorization: Bearer w\r\n\r\n"),
        404);
}

static void setup(void) {
    CHECK_INT(cw_runtime_configure("local", 5, "m", 1, "w", 1), 0);
    sync_hooks_config();
}

const cw_test cw_tests[] = {
    {"setup", setup},
    {"semver_ranges", semver_ranges},
    {"contract_check", contract_check},
    {"refused_hooks_refuse_writes", refused_hooks_refuse_writes},
    {"sync_hook_accepts", sync_hook_accepts},
    {"sync_hook_refuses", sync_hook_refuses},
    {"sync_hook_failures", sync_hook_failures},
    {"sync_hooks_chain_and_namespaces", sync_hooks_chain_and_namespaces},
    {"request_plugin_over_state", request_plugin_over_state},
    {"request_plugin_errors", request_plugin_errors},
    {"plugin_input_is_bounded", plugin_input_is_bounded},
    {"registry_routes", registry_routes},
    {NULL, NULL},
};
