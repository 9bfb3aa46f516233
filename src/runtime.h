/* runtime.h - the allocator and the per-instance global state.
 *
 * Global state (the only mutable globals in the module; all live here):
 *   - rt.ready: set once by cw_runtime_init, guards against double init.
 *   - rt.rng:   xoshiro-style generator state for request ids, seeded from
 *               the host's CSPRNG bytes handed to cw_runtime_init.
 * Jansson's own hashtable seed is set from the same bytes at init, so its
 * hash-flooding protection never falls back to time or pid.
 *
 * One allocator: cw_malloc/cw_free are what C code uses, what Jansson is
 * given, and what JS reaches through the exported allocator. */
#ifndef CW_RUNTIME_H
#define CW_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

/* Initializes the runtime from n (>= 16) bytes of host randomness (borrowed).
 * Idempotent: later calls return 0 and change nothing. Returns 0, or -1 when
 * fewer than 16 bytes are given. */
int cw_runtime_init(const unsigned char *seed, size_t n);

/* 1 once cw_runtime_init has succeeded, else 0. */
int cw_runtime_ready(void);

/* Next 64 random bits from the instance generator. Not for secrets. */
uint64_t cw_runtime_rand64(void);

/* malloc/realloc/free under one name. cw_malloc(0) returns a unique pointer.
 * Return NULL on failure; cw_free(NULL) is a no-op. */
void *cw_malloc(size_t n);
void *cw_realloc(void *p, size_t n);
void cw_free(void *p);

#endif
