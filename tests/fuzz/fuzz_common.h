/* fuzz_common.h - shared setup and checks for the libFuzzer harnesses.
 * Every harness asserts properties, not only the absence of crashes: a
 * violated property calls abort(), which libFuzzer records as a crash.
 * Requests run through edge and owner with SQLite storage (tests/c/host.h). */
#ifndef CW_FUZZ_COMMON_H
#define CW_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "alloc.h"
#include "handlers.h"
#include "host.h"
#include "pipeline.h"
#include "plugin_config.h"
#include "runtime.h"

#define REQUIRE(c)                                                                                 \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "property failed: %s (%s:%d)\n", #c, __FILE__, __LINE__);              \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static unsigned fuzz_pick; /* which of a plugin's answers the next call gets */

/* A plugin's well-formed answers, one chosen per call. */
static inline const char *fuzz_plugin(const char *what, const char *input, size_t n, int *status) {
    static const struct {
        int status;
        const char *body;
    } calls[] = {
        {200, "{\"valid\":true}"},
        {422, "{\"error\":{\"code\":\"schema_violation\",\"message\":\"m\",\"reasons\":[]}}"},
        {400, "{\"error\":{\"code\":\"invalid_select\",\"message\":\"m\"}}"},
    };
    unsigned k = fuzz_pick++ % 3;
    (void)what;
    REQUIRE(input != NULL || n == 0);
    *status = calls[k].status;
    return calls[k].body;
}

/* Every id starting with "h" has the schema sync hook (the answer is
 * played by fuzz_plugin). */
static inline void fuzz_setup(void) {
    static const unsigned char seed[32] = "fuzzing seed, fixed for replays";
    static const char hooks[] = "{\"schema\":{\"h\":{\"type\":\"object\"}}}";
    cw_runtime_init(seed, sizeof seed);
    cw_runtime_configure("local", 5, "mtok", 4, "wtok", 4);
    cw_plugin_config_load(hooks, sizeof hooks - 1);
    cw_host_set_plugin(fuzz_plugin);
}

/* libFuzzer's one-time setup hook; each harness includes this header once. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_setup();
    return 0;
}

/* A final answer's invariants: a status we define, never a 5xx for any
 * input, a JSON error body with a printable ASCII message for every error
 * (no body at all for HEAD). */
static inline void fuzz_check(const char *req, size_t n, const cw_host_answer *a) {
    /* Only a HEAD answer carries content-length from C: the length of the
     * body it does not have. */
    int head = strstr(a->head, "content-length: ") != NULL;
    (void)req;
    (void)n;
    REQUIRE(a->status >= 200 && a->status < 500);
    if (head) {
        REQUIRE(a->body_len == 0);
    } else if (a->status >= 400) {
        json_t *body = json_loadb(a->body, a->body_len, 0, NULL);
        json_t *err = json_object_get(body, "error");
        const char *msg = json_string_value(json_object_get(err, "message"));
        REQUIRE(json_is_string(json_object_get(err, "code")));
        REQUIRE(msg != NULL);
        for (const char *c = msg; *c; c++)
            REQUIRE((unsigned char)*c >= 0x20 && (unsigned char)*c < 0x7f);
        json_decref(body);
    }
    REQUIRE(strlen(a->head) > 0);
}

/* Runs one request through edge and owner and checks its answer. */
static inline int fuzz_request(const char *req, size_t n, int flags) {
    cw_host_answer a;
    int status;
    REQUIRE(cw_host_request(req, n, flags, 1.7e12, &a) == 0);
    fuzz_check(req, n, &a);
    status = a.status;
    cw_host_free(&a);
    return status;
}

#endif
