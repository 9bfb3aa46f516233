/* test_router.c - table-driven routing, 404 and 405 with Allow. */
#include <stdio.h>

#include "harness.h"
#include "router.h"

static int h(struct cw_ctx *ctx) {
    (void)ctx;
    return 0;
}

static const cw_route table[] = {
    {"GET", "/health", "health", h},
    {"GET", "/state/*", "state.get", h},
    {"PATCH", "/state/*", "state.patch", h},
};

static cw_slice S(const char *s) { return (cw_slice){s, strlen(s)}; }

static int match(const char *method, const char *path, cw_match *m, cw_error *err) {
    cw_error_clear(err);
    return cw_router_match(table, 3, S(method), S(path), m, err);
}

static void exact_and_prefix(void) {
    cw_match m;
    cw_error err;
    CHECK_INT(match("GET", "/health", &m, &err), 0);
    CHECK_STR(m.route->name, "health");
    CHECK_INT(match("PATCH", "/state/abc", &m, &err), 0);
    CHECK_STR(m.route->name, "state.patch");
    CHECK(cw_slice_eq(m.param, "abc"));
    CHECK_INT(match("GET", "/state/", &m, &err), 0);
    CHECK_INT(m.param.n, 0);
    CHECK_INT(match("GET", "/state/a/b", &m, &err), 0); /* id grammar refuses it later */
    CHECK(cw_slice_eq(m.param, "a/b"));
}

static void not_found(void) {
    cw_match m;
    cw_error err;
    static const char *paths[] = {"/", "/healthz", "/health/", "/state", "/State/a", "/HEALTH"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        CHECK_INT(match("GET", paths[i], &m, &err), -1);
        CHECK_INT(err.code, CW_E_NOT_FOUND);
    }
}

static void method_not_allowed_lists_allow(void) {
    cw_match m;
    cw_error err;
    CHECK_INT(match("DELETE", "/state/x", &m, &err), -1);
    CHECK_INT(err.code, CW_E_METHOD);
    CHECK_STR(m.allow, "GET, HEAD, PATCH");
    CHECK_INT(match("POST", "/health", &m, &err), -1);
    CHECK_STR(m.allow, "GET, HEAD");
    CHECK_INT(match("HEAD", "/state/x", &m, &err), 0); /* HEAD runs the GET route */
    CHECK_STR(m.route->name, "state.get");
    CHECK_INT(match("get", "/health", &m, &err), -1); /* methods are case-sensitive */
    CHECK_INT(err.code, CW_E_METHOD);
}

const cw_test cw_tests[] = {
    {"exact_and_prefix", exact_and_prefix},
    {"not_found", not_found},
    {"method_not_allowed_lists_allow", method_not_allowed_lists_allow},
    {NULL, NULL},
};
