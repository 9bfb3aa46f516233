/* test_config.c - environment selection for every WORKER_ENV value, and the
 * once-only configure with its one warning for an unknown value. */
#include <stdio.h>

#include <jansson.h>

#include "alloc.h"
#include "config.h"
#include "doc.h"
#include "harness.h"
#include "jwt.h"
#include "runtime.h"

static const cw_config *sel(const char *name, int *fallback) {
    return cw_config_select(name, name ? strlen(name) : 0, fallback);
}

static void every_env_value(void) {
    int fb;
    const cw_config *c;

    c = sel("local", &fb);
    CHECK_STR(c->name, "local");
    CHECK_INT(fb, 0);
    CHECK_INT(c->tokens_required, 0);
    CHECK_INT(c->log_level, CW_LOG_DEBUG);

    c = sel("staging", &fb);
    CHECK_STR(c->name, "staging");
    CHECK_INT(fb, 0);
    CHECK_INT(c->tokens_required, 1);

    c = sel("production", &fb);
    CHECK_STR(c->name, "production");
    CHECK_INT(fb, 0);
    CHECK_INT(c->tokens_required, 1);

    /* Anything else is production, flagged as a fallback. */
    static const char *unknown[] = {"", "Production", "prod", "local ", "dev", "staging\n"};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        c = sel(unknown[i], &fb);
        CHECK_STR(c->name, "production");
        CHECK_INT(fb, 1);
    }
    c = sel(NULL, &fb);
    CHECK_STR(c->name, "production");
    CHECK_INT(fb, 1);
}

static void rows_are_sane(void) {
    for (int i = 0; cw_config_row(i); i++) {
        const cw_config *c = cw_config_row(i);
        CHECK(c->body_limit >= 1024);
        CHECK(c->cors_origins[0] != NULL);
        for (const char *const *o = c->cors_origins; *o; o++)
            CHECK(strcmp(*o, "*") != 0); /* never a wildcard */
        CHECK(c->warm_ids[0] != NULL);
        CHECK(c->call_memory >= 8 * c->body_limit);
        CHECK(c->deadline_ms >= 100);
        CHECK(c->plugin_input_limit > (size_t)CW_DOC_RESIDENT); /* a hook gets a whole state */
    }
    /* The three real rows, and the test build's "test" row last. */
    CHECK_STR(cw_config_row(3)->name, "test");
    CHECK(cw_config_row(4) == NULL);
}

static void origins_match_exactly(void) {
    int fb;
    const cw_config *c = sel("local", &fb);
    CHECK(cw_config_origin_allowed(c, "http://localhost:8787", 21));
    CHECK(!cw_config_origin_allowed(c, "http://localhost:8787.evil.com", 30));
    CHECK(!cw_config_origin_allowed(c, "http://localhost:878", 20));
    CHECK(!cw_config_origin_allowed(c, "https://evil.example", 20));
}

/* The configure export (src/exports.c), which orchestrates runtime and
 * plugins and builds the warning lines. */
char *cw_configure(const char *env, size_t env_len, const char *metrics_token, size_t metrics_len,
                   const char *warmup_token, size_t warmup_len, const char *hooks, size_t hooks_len,
                   const char *keys, size_t keys_len, const char *origins, size_t origins_len);

static void unknown_env_warns_once_and_is_production(void) {
    const char env[] = "bogus\x01";
    char *w = cw_configure(env, sizeof env - 1, "m", 1, "", 0, "{\"nope\":1}", 10, "[]", 2, "*", 1);
    json_t *line;
    CHECK(w != NULL);
    line = json_loads(w ? w : "", JSON_DISABLE_EOF_CHECK, NULL);
    CHECK_STR(json_string_value(json_object_get(line, "level")), "warn");
    CHECK_STR(json_string_value(json_object_get(line, "worker_env")), "bogus?");
    json_decref(line);
    /* The second line: SYNC_HOOKS refused. */
    CHECK(w && strchr(w, '\n') && strstr(strchr(w, '\n'), "SYNC_HOOKS refused") != NULL);
    /* The third: STATE_KEYS refused, and the state routes closed. */
    CHECK(w && strstr(w, "STATE_KEYS refused") != NULL);
    CHECK_INT(cw_jwt_keys(), -1);
    /* The fourth: CORS_ORIGINS refused, and no origin allowed. */
    CHECK(w && strstr(w, "CORS_ORIGINS refused") != NULL);
    CHECK(!cw_runtime_origin_allowed("https://example.com", 19));
    cw_alloc_free(w);
    CHECK_STR(cw_runtime_config()->name, "production");
    CHECK_STR(cw_runtime_metrics_token(), "m");
    CHECK_STR(cw_runtime_warmup_token(), "");
    /* Once per instance: a second call changes nothing and says nothing. */
    CHECK(cw_configure("local", 5, "x", 1, "y", 1, NULL, 0, NULL, 0, NULL, 0) == NULL);
    CHECK_INT(cw_runtime_configure("local", 5, "x", 1, "y", 1), -1);
    CHECK_STR(cw_runtime_config()->name, "production");
    CHECK_STR(cw_runtime_metrics_token(), "m");
}

static int allowed(const char *o) { return cw_runtime_origin_allowed(o, strlen(o)); }

/* CORS_ORIGINS: exact origins as a list or a JSON array; anything else is
 * refused whole, and then nothing is allowed (closed, never the defaults). */
static void cors_origins_from_the_environment(void) {
    static const char *const bad[] = {
        "*",
        "https://a.example, *",
        "https://a.example/",
        "https://a.example/app",
        "a.example",
        "ftp://a.example",
        "https://*.example",
        "[\"https://a.example\"",
        "[https://a.example]",
        "null",
        /* never sent by a browser: it would never match */
        "https://A.example",
        "https://a.example:443",
        "http://a.example:80",
        "https://a.example?x",
        "https://a.example#x",
        "https://user@a.example",
        "http://a.example:99999",
        "http://a.example:0",
        "http://a.example:08080",
        "http://a.example:",
        "https://",
        "http://[::1",
    };
    const char *list = " https://a.example,http://127.0.0.1:9000\n https://b.example:8443 ";
    const char *json = "[\"https://c.example\", \"http://localhost:3000\"]";
    CHECK(cw_runtime_origins(list, strlen(list)) == NULL);
    CHECK(allowed("https://a.example"));
    CHECK(allowed("http://127.0.0.1:9000"));
    CHECK(allowed("https://b.example:8443"));
    CHECK(!allowed("https://a.example.evil"));
    CHECK(!allowed("https://b.example"));
    CHECK(!allowed("http://localhost:8787")); /* the row's default is replaced */
    CHECK(cw_runtime_origins(json, strlen(json)) == NULL);
    CHECK(allowed("https://c.example"));
    CHECK(allowed("http://localhost:3000"));
    CHECK(!allowed("https://a.example"));
    /* JSON with white space around it (a TOML ''' string); IPv6 */
    json = "\n  [\"https://d.example\", \"http://[::1]:8787\"]\n";
    CHECK(cw_runtime_origins(json, strlen(json)) == NULL);
    CHECK(allowed("https://d.example"));
    CHECK(allowed("http://[::1]:8787"));
    /* [] allows none */
    CHECK(cw_runtime_origins("[]", 2) == NULL);
    CHECK(!allowed("https://d.example"));
    CHECK(!allowed("https://example.com"));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(cw_runtime_origins(bad[i], strlen(bad[i])) != NULL);
        CHECK(!allowed("https://a.example"));
        CHECK(!allowed("*"));
    }
    /* Unset: the environment row's own list again. */
    CHECK(cw_runtime_origins("", 0) == NULL);
    CHECK(allowed("https://example.com") ==
          cw_config_origin_allowed(cw_runtime_config(), "https://example.com", 19));
}

const cw_test cw_tests[] = {
    {"every_env_value", every_env_value},
    {"rows_are_sane", rows_are_sane},
    {"origins_match_exactly", origins_match_exactly},
    {"cors_origins_from_the_environment", cors_origins_from_the_environment},
    {"unknown_env_warns_once_and_is_production", unknown_env_warns_once_and_is_production},
    {NULL, NULL},
};
