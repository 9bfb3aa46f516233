/* test_router.c - segment patterns, named parameters, 404, 405 with Allow. */
#include <stdio.h>

#include "harness.h"
#include "router.h"

static int h(struct cw_ctx *ctx) {
    (void)ctx;
    return 0;
}

static const cw_route table[] = {
    {"GET", "/health", "health", h, 0},
    {"GET", "/state/{id}", "state.get", h, 0},
    {"PATCH", "/state/{id}", "state.patch", h, 0},
    {"DELETE", "/state/{id}", "state.delete", h, 0},
    {"GET", "/state/{id}/changes", "state.changes", h, 0},
    {"GET", "/plugins/{name}/{path...}", "plugins.route", h, 0},
    {"POST", "/internal/plugins/{name}/unload", "internal.plugins", h, 0},
    {"WS", "/live", "live.frame", h, CW_ROUTE_INTERNAL},
};
#define N (sizeof table / sizeof table[0])

static cw_slice S(const char *s) { return (cw_slice){s, strlen(s)}; }

static int match(const char *method, const char *path, cw_match *m, cw_error *err) {
    cw_error_clear(err);
    return cw_router_match(table, N, S(method), S(path), m, err);
}

static int param_is(const cw_match *m, const char *name, const char *want) {
    cw_slice v = cw_router_param(m, name);
    return want ? cw_http_slice_eq(v, want) || (v.p && !*want && v.n == 0) : v.p == NULL;
}

static void literal_and_named_segments(void) {
    cw_match m;
    cw_error err;
    CHECK_INT(match("GET", "/health", &m, &err), 0);
    CHECK_STR(m.route->name, "health");
    CHECK(param_is(&m, "id", NULL));
    CHECK_INT(match("PATCH", "/state/abc", &m, &err), 0);
    CHECK_STR(m.route->name, "state.patch");
    CHECK(param_is(&m, "id", "abc"));
    CHECK_INT(match("GET", "/state/a%2Fb/changes", &m, &err), 0); /* raw, not decoded */
    CHECK_STR(m.route->name, "state.changes");
    CHECK(param_is(&m, "id", "a%2Fb"));
    CHECK_INT(match("GET", "/state/", &m, &err), 0); /* the id grammar refuses it later */
    CHECK(param_is(&m, "id", ""));
    CHECK_INT(match("POST", "/internal/plugins/select/unload", &m, &err), 0);
    CHECK(param_is(&m, "name", "select"));
}

static void rest_parameters(void) {
    cw_match m;
    cw_error err;
    CHECK_INT(match("GET", "/plugins/select/state/x", &m, &err), 0);
    CHECK(param_is(&m, "name", "select"));
    CHECK(param_is(&m, "path", "state/x"));
    CHECK_INT(match("GET", "/plugins/select/", &m, &err), 0);
    CHECK(param_is(&m, "path", ""));
    CHECK_INT(match("GET", "/plugins/select/a/b/c", &m, &err), 0);
    CHECK(param_is(&m, "path", "a/b/c"));
}

static void not_found(void) {
    cw_match m;
    cw_error err;
    static const char *paths[] = {"/",
                                  "/healthz",
                                  "/health/",
                                  "/state",
                                  "/State/a",
                                  "/HEALTH",
                                  "/state/a/b",
                                  "/state/a/changes/x",
                                  "/plugins/select",
                                  "/internal/plugins/a/b/unload"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        if (match("GET", paths[i], &m, &err) != -1 || err.code != CW_E_NOT_FOUND) {
            fprintf(stderr, "    matched %s\n", paths[i]);
            CHECK(!"not found");
        }
    }
}

static void method_not_allowed_lists_allow(void) {
    cw_match m;
    cw_error err;
    char allow[CW_ALLOW_MAX];
    CHECK_INT(match("PUT", "/state/x", &m, &err), -1);
    CHECK_INT(err.code, CW_E_METHOD);
    CHECK_STR(m.allow, "GET, HEAD, PATCH, DELETE");
    CHECK_INT(match("POST", "/health", &m, &err), -1);
    CHECK_STR(m.allow, "GET, HEAD");
    CHECK_INT(match("PATCH", "/state/x/changes", &m, &err), -1);
    CHECK_STR(m.allow, "GET, HEAD");
    CHECK_INT(match("get", "/health", &m, &err), -1); /* methods are case-sensitive */
    CHECK_INT(err.code, CW_E_METHOD);
    CHECK_INT(match("HEAD", "/state/x", &m, &err), 0); /* HEAD runs the GET route */
    CHECK_STR(m.route->name, "state.get");
    /* The same list serves CORS preflights. */
    CHECK_INT(cw_router_allow(table, N, S("/state/x"), allow), 3);
    CHECK_STR(allow, "GET, HEAD, PATCH, DELETE");
    CHECK_INT(cw_router_allow(table, N, S("/nope"), allow), 0);
    CHECK_STR(allow, "");
}

/* A host-internal route is matched by its own method only, and is never
 * listed in Allow: another method on its path is 404. */
static void internal_routes_stay_out_of_allow(void) {
    cw_match m;
    cw_error err;
    CHECK_INT(match("WS", "/live", &m, &err), 0);
    CHECK_INT(match("GET", "/live", &m, &err), -1);
    CHECK_INT(err.code, CW_E_NOT_FOUND);
    CHECK_STR(m.allow, "");
}

const cw_test cw_tests[] = {
    {"literal_and_named_segments", literal_and_named_segments},
    {"rest_parameters", rest_parameters},
    {"not_found", not_found},
    {"method_not_allowed_lists_allow", method_not_allowed_lists_allow},
    {"internal_routes_stay_out_of_allow", internal_routes_stay_out_of_allow},
    {NULL, NULL},
};
