/* config.c - the environment table. Edit the rows here to change what each
 * environment allows; nothing else reads WORKER_ENV. depth_limit must stay
 * at or below JSON_PARSER_MAX_DEPTH (src/jansson_config.h), which bounds the
 * wasm stack use of parsing and merging. container_limit bounds the memory a
 * parse can take (Jansson spends about 200 bytes on each array or object, so
 * 1 MiB of "{}" would otherwise need ~70 MiB). */
#include "config.h"

#include <string.h>

static const char *const local_origins[] = {"http://localhost:8787", "http://127.0.0.1:8787", NULL};
static const char *const staging_origins[] = {"https://staging.example.com", NULL};
static const char *const production_origins[] = {"https://example.com", NULL};
static const char *const warm_ids[] = {"warmup", NULL};

#define MiB (1u << 20)
#define DAY (24LL * 3600 * 1000)
/* What every row shares; a row names only where it differs.
 * - call_memory covers a worst-case body (65,536 containers at ~200 bytes
 *   each, strings copied) and a cache miss on the largest document held
 *   whole (doc.h CW_DOC_RESIDENT, 4 MiB: its rows, then its tree).
 * - state_limit: 64 MiB. A document over 4 MiB is never held whole: it is
 *   read and written row by row (tree.h) and streamed, so wasm memory
 *   (which never shrinks) follows the documents in use, not their size;
 *   with cache_bytes 16 MiB it stays far from the 128 MB isolate.
 * - value_limit stays under SQLite's 2 MB for a value: it bounds one
 *   value (a leaf, or an object too small to spill), not a subtree. */
#define COMMON                                                                                     \
    .body_limit = MiB, .depth_limit = 64, .container_limit = 65536, .value_limit = 1800000,        \
    .plugin_input_limit = 4 * MiB + 65536, .changes_limit = 1000, .frame_limit = MiB + 4096,       \
    .presence_limit = 1024, .bad_frames = 8, .token_leeway = 60, .warm_ids = warm_ids

/* A socket's frames: a well-behaved client stays far under these (it sends
 * a hello per connection and presence on input); a flood is answered
 * rate_limited and, 64 in a row, closed. */
#define RATES                                                                                      \
    .patch_rate = 200, .patch_burst = 500, .presence_rate = 30, .presence_burst = 60,              \
    .hello_rate = 2, .hello_burst = 10, .snapshot_ms = 1000, .rate_strikes = 64

/* One environment a row (clang-format would put one field a line). */
/* clang-format off */
static const cw_config rows[] = {
    {COMMON, .name = "local", .state_limit = 64 * MiB, .log_level = CW_LOG_DEBUG, .cors_origins = local_origins,
     .tokens_required = 0, .call_memory = 48 * MiB, .deadline_ms = 10000, .stream_ms = 60000, .cache_bytes = 16 * MiB,
     .journal_entries = 1000, .journal_bytes = 4 * MiB, .key_ms = DAY, .key_entries = 10000,
     .base_entries = 1000, .base_bytes = 4 * MiB, .live_sockets = 256, RATES},
    {COMMON, .name = "staging", .state_limit = 64 * MiB, .log_level = CW_LOG_INFO, .cors_origins = staging_origins,
     .tokens_required = 1, .call_memory = 48 * MiB, .deadline_ms = 10000, .stream_ms = 60000, .cache_bytes = 16 * MiB,
     .journal_entries = 10000, .journal_bytes = 32 * MiB, .key_ms = 7 * DAY, .key_entries = 100000,
     .base_entries = 1000, .base_bytes = 4 * MiB, .live_sockets = 1000, RATES},
    {COMMON, .name = "production", .state_limit = 64 * MiB, .log_level = CW_LOG_INFO, .cors_origins = production_origins,
     .tokens_required = 1, .call_memory = 48 * MiB, .deadline_ms = 10000, .stream_ms = 60000, .cache_bytes = 16 * MiB,
     .journal_entries = 10000, .journal_bytes = 32 * MiB, .key_ms = 7 * DAY, .key_entries = 100000,
     .base_entries = 1000, .base_bytes = 4 * MiB, .live_sockets = 1000, RATES},
#ifdef CW_TEST_ROUTES
    /* Test builds only (WORKER_ENV=test in the in-workerd tests): local,
     * with limits small enough for tests to reach: a 12 MiB document (past
     * the 4 MiB held whole), the deadline, a streamed read's hold, a journal
     * of 8 entries or 8 KiB, 64 idempotency keys, a base check of 4 writes
     * or 1 KiB, a cache of 512 KiB, 4 sockets an object, and socket rates
     * a test can pass. */
    {COMMON, .name = "test", .state_limit = 12 * MiB, .log_level = CW_LOG_DEBUG, .cors_origins = local_origins,
     .tokens_required = 0, .call_memory = 16 * MiB, .deadline_ms = 400, .cache_bytes = 512 * 1024,
     .journal_entries = 8, .journal_bytes = 8192, .key_ms = DAY, .key_entries = 64,
     .base_entries = 4, .base_bytes = 1024, .live_sockets = 4, .patch_rate = 50,
     .patch_burst = 20, .presence_rate = 5, .presence_burst = 5, .hello_rate = 1, .hello_burst = 3,
     .snapshot_ms = 500, .rate_strikes = 16, .stream_ms = 3000},
#endif
};
/* clang-format on */

const cw_config *cw_config_select(const char *name, size_t n, int *fallback) {
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (name && strlen(rows[i].name) == n && memcmp(rows[i].name, name, n) == 0) {
            *fallback = 0;
            return &rows[i];
        }
    }
    *fallback = 1;
    return &rows[2]; /* production */
}

const cw_config *cw_config_row(int i) {
    return i >= 0 && i < (int)(sizeof rows / sizeof rows[0]) ? &rows[i] : NULL;
}

int cw_config_origin_allowed(const cw_config *cfg, const char *origin, size_t n) {
    for (const char *const *o = cfg->cors_origins; *o; o++)
        if (strlen(*o) == n && memcmp(*o, origin, n) == 0)
            return 1;
    return 0;
}
