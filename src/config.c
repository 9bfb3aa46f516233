/* config.c - the environment table. Edit the rows here to change what each
 * environment allows; nothing else reads WORKER_ENV. depth_limit must stay
 * at or below JSON_PARSER_MAX_DEPTH (src/jansson_config.h), which bounds the
 * wasm stack use of parsing and merging. container_limit bounds the memory a
 * parse can take (Jansson spends about 200 bytes on each array or object, so
 * 1 MiB of "{}" would otherwise need ~70 MiB); state_limit keeps a stored
 * state well under SQLite's 2 MB value limit and the 128 MB isolate. */
#include "config.h"

#include <string.h>

static const char *const local_origins[] = {"http://localhost:8787", "http://127.0.0.1:8787", NULL};
static const char *const staging_origins[] = {"https://staging.example.com", NULL};
static const char *const production_origins[] = {"https://example.com", NULL};
static const char *const warm_ids[] = {"warmup", NULL};

static const cw_config rows[] = {
    {"local", CW_LOG_DEBUG, local_origins, 1u << 20, 64, 65536, 1u << 20, 0, warm_ids},
    {"staging", CW_LOG_INFO, staging_origins, 1u << 20, 64, 65536, 1u << 20, 1, warm_ids},
    {"production", CW_LOG_INFO, production_origins, 1u << 20, 64, 65536, 1u << 20, 1, warm_ids},
};

const cw_config *cw_config_select(const char *name, size_t n, int *fallback) {
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (name && strlen(rows[i].name) == n && memcmp(rows[i].name, name, n) == 0) {
            *fallback = 0;
            return &rows[i];
        }
    }
    *fallback = 1;
    return &rows[2];
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
