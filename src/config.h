/* config.h - per-environment configuration, chosen from a table.
 *
 * WORKER_ENV (a wrangler var) names the environment: local, staging or
 * production. Selection does no I/O. An unknown or missing value falls back
 * to production, the strictest row, and the caller logs that once. */
#ifndef CW_CONFIG_H
#define CW_CONFIG_H

#include <stddef.h>

typedef enum { CW_LOG_DEBUG = 0, CW_LOG_INFO, CW_LOG_WARN, CW_LOG_ERROR } cw_log_level;

typedef struct {
    const char *name;                /* "local", "staging", "production" */
    cw_log_level log_level;          /* lines below this level are dropped */
    const char *const *cors_origins; /* exact origins allowed; NULL-terminated */
    size_t body_limit;               /* largest request body, bytes */
    int depth_limit;                 /* deepest JSON nesting accepted, <= 128 */
    long container_limit;            /* most arrays + objects in one document */
    size_t state_limit;              /* largest document: its stored size (tree.h), bytes */
    size_t value_limit;              /* largest row: a key + one value's JSON text, bytes (SQLite:
                                        2 MB a value) */
    size_t cache_bytes;              /* memory the owners' document cache may hold, bytes */
    long long journal_entries;       /* retention: most journal entries kept */
    long long journal_bytes;         /* retention: most journal bytes kept */
    long long base_entries;          /* a ?base= write checks at most this many later writes... */
    long long base_bytes;            /* ... of at most this many bytes; past either it is 410 */
    long long key_ms;                /* idempotency keys are kept this long, ms ... */
    long long key_entries;           /* ... and at most this many, newest first */
    int changes_limit;               /* most changes one page returns (100 unless asked) */
    int live_sockets;                /* most WebSockets one object holds */
    size_t frame_limit;    /* largest frame a socket may send, bytes: a body_limit patch fits */
    size_t presence_limit; /* largest presence data, bytes (JSON text) */
    int bad_frames;        /* bad frames a socket may send before it is closed */
    long long patch_rate, patch_burst;       /* a socket's patch frames: a second, at once */
    long long presence_rate, presence_burst; /* its presence frames */
    long long hello_rate, hello_burst;       /* its hello frames */
    long long snapshot_ms;       /* a socket gets a snapshot at most once per this, ms */
    long long rate_strikes;      /* frames over their rate in a row before the socket closes */
    long long token_leeway;      /* seconds of clock skew allowed around exp, nbf, iat */
    size_t call_memory;          /* most one call into the module may allocate, bytes */
    size_t plugin_input_limit;   /* largest input handed to a plugin, bytes */
    unsigned deadline_ms;        /* longest a request waits in its Durable Object */
    unsigned stream_ms;          /* longest a streamed answer holds its document's other
                                    requests back, ms: past it the stream is cut off (and
                                    past deadline_ms / 2 once a request waits for it) */
    int tokens_required;         /* 1: token routes refuse when no token is set */
    const char *const *warm_ids; /* Durable Objects the warmup touches; NULL-terminated */
} cw_config;

/* The row for the n bytes at name (borrowed). Sets *fallback to 1 when name
 * matched no row and production was chosen, else 0. Never NULL. */
const cw_config *cw_config_select(const char *name, size_t n, int *fallback);

/* The row for each environment, for tests: index 0..2, else NULL. */
const cw_config *cw_config_row(int i);

/* 1 when origin (n bytes, borrowed) is exactly one of cfg's CORS origins. */
int cw_config_origin_allowed(const cw_config *cfg, const char *origin, size_t n);

#endif
