/* alloc.h - the module's heap on wasm32: size classes over linear memory.
 *
 * dlmalloc is about 12 KB of code. Requests here are short-lived (a request's
 * JSON trees and buffers) and repeat in shape, so power-of-two size classes
 * with one free list each reuse memory well, in a few hundred bytes of code.
 * Blocks never move between classes, so the heap grows to the sum of each
 * class's peak (at most 2x the live bytes per class); the body, container and
 * state limits in config.c bound those peaks.
 * Block layout: an 8-byte header holding the class, then the payload,
 * 8-byte aligned. Memory is taken from memory.grow and never returned.
 *
 * On the host (native tests) these are not compiled: runtime.c uses libc's
 * malloc there, so AddressSanitizer sees every allocation. */
#ifndef CW_ALLOC_H
#define CW_ALLOC_H

#include <stddef.h>

/* n bytes, 8-byte aligned, or NULL when memory cannot grow. */
void *cw_heap_alloc(size_t n);

/* Resizes p (NULL: like cw_heap_alloc). Keeps the block when it still fits.
 * Returns NULL on failure, leaving p valid. */
void *cw_heap_realloc(void *p, size_t n);

/* Returns p to its class's free list. NULL is a no-op. */
void cw_heap_free(void *p);

#endif
