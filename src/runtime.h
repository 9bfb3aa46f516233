/* runtime.h - the per-instance global state: seeding, the environment.
 *
 * Global state: every mutable global in the module, and who sets it.
 *   - runtime.c rt.ready:  set once by cw_runtime_init (once-guard).
 *   - runtime.c rt.rng:    generator state for request ids, seeded from the
 *                          host's CSPRNG bytes handed to cw_runtime_init.
 *   - runtime.c rt.config, rt.*_token, rt.configured: the environment row and
 *                          operator tokens, set once by cw_runtime_configure;
 *                          rt.origins: CORS_ORIGINS, set by cw_runtime_origins
 *                          (the cw_configure export orchestrates it with the
 *                          plugins' SYNC_HOOKS).
 *   - plugin_config.c hooks, hooks_error: SYNC_HOOKS, read by cw_plugin_config_load.
 *   - jwt.c keys, keys_state: STATE_KEYS, read by cw_jwt_configure.
 *   - plugin_contract.c refusal: the last contract check's message (the contract
 *              module only).
 *   - plugin_registry.c table, log_lines, report, why: the plugins worker's
 *              registry (the contract module only).
 *   - metrics.c m:         startup phases and request counters.
 *   - alloc.c heap:        free lists and bump region (wasm32 only);
 *              acct:       live bytes and the per-call ceiling.
 *   - doc.c cache:         the owners' documents, under one byte budget.
 *   - sync.c known, known_next: each document's meta row as the object
 *              instance that last read or wrote it saw it.
 *   - port.c host:         the host's function, installed by cw_init.
 *   - exports.c input_area: where the host writes a call's inputs (cw_in).
 *   - store.c queued_cells, queued_bytes: the writes queued for the next
 *              commit; empty between calls into the module.
 *   - jansson_glue.c hashtable_seed: Jansson's hash seed (below).
 * Jansson's own hashtable seed is set from the same bytes at init, so its
 * hash-flooding protection never falls back to time or pid.
 * The allocator is alloc.h's. */
#ifndef CW_RUNTIME_H
#define CW_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* Initializes the runtime from n (>= 16) bytes of host randomness (borrowed).
 * Idempotent: later calls return 0 and change nothing. Returns 0, or -1 when
 * fewer than 16 bytes are given. */
int cw_runtime_init(const unsigned char *seed, size_t n);

/* 1 once cw_runtime_init has succeeded, else 0. */
int cw_runtime_ready(void);

/* Writes 16 random lowercase hex digits (no NUL) from the instance
 * generator: request ids and peer ids. Not for secrets. */
void cw_runtime_hex16(char *out);

/* Selects the environment row for WORKER_ENV (env, n bytes) and keeps
 * copies of the operator tokens (empty when not configured); all arguments
 * are borrowed. Only the first call takes effect (once-guard). Returns 0, 1
 * when WORKER_ENV matched no row and production was chosen (the caller logs
 * that once), or -1 when already configured. */
int cw_runtime_configure(const char *env, size_t n, const char *metrics_token, size_t metrics_len,
                         const char *warmup_token, size_t warmup_len);

/* Takes CORS_ORIGINS, p[0..n) (borrowed): the exact origins allowed
 * cross-origin, instead of the environment row's defaults. Either a JSON
 * array of strings or origins separated by commas or white space; each is
 * scheme "://" host [":" port] with scheme http or https, nothing after
 * (no path, no trailing slash) and no "*": a wildcard is never reflected.
 * n == 0 keeps the row's. Returns NULL, or why it is refused; then no
 * origin is allowed (closed, not the defaults). */
const char *cw_runtime_origins(const char *p, size_t n);

/* 1 when origin[0..n) (borrowed) is one of the allowed origins: those of
 * CORS_ORIGINS when set, else the environment row's. */
int cw_runtime_origin_allowed(const char *origin, size_t n);

/* 1 when CORS_ORIGINS was set and refused (then no origin is allowed). */
int cw_runtime_origins_refused(void);

/* The selected environment row; the production row until configured. */
const cw_config *cw_runtime_config(void);

/* The configured tokens, NUL-terminated; "" when not set. */
const char *cw_runtime_metrics_token(void);
const char *cw_runtime_warmup_token(void);

/* Bytes of linear memory (wasm32), or 0 on the host. */
uint64_t cw_runtime_memory_bytes(void);

#endif
