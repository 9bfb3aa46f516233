/* alloc.h - the module's one allocator: what C code uses, what Jansson is
 * given, and what JS reaches through the exported cw_alloc / cw_dealloc.
 *
 * On wasm32 it is a size-class heap over linear memory. dlmalloc is about
 * 12 KB of code; requests here are short-lived (a request's JSON trees and
 * buffers) and repeat in shape, so power-of-two size classes with one free
 * list each reuse memory well in a few hundred bytes of code. Blocks never
 * move between classes, so the heap grows to the sum of each class's peak
 * (at most 2x the live bytes per class); the limits in config.c bound those
 * peaks. Block layout: an 8-byte header holding the class, then the
 * payload, 8-byte aligned. Memory is taken from memory.grow and never
 * returned. On the host (native tests) blocks come from libc's malloc with
 * a 16-byte header holding the size, so AddressSanitizer sees every one.
 *
 * Both count the bytes live (block sizes, headers included), which gives
 * the per-call ceiling: while one is set, an allocation that would take the
 * live bytes over it fails (returns NULL), so no single request can grow
 * wasm memory, which never shrinks, past what its call is allowed.
 *
 * Global state (listed in runtime.h): the heap's free lists and bump
 * region, the live-byte count and the ceiling. */
#ifndef CW_ALLOC_H
#define CW_ALLOC_H

#include <stddef.h>

/* n bytes (n == 0 gives a unique pointer), 8-byte aligned, or NULL when
 * memory cannot grow or the ceiling would be passed. Free with cw_alloc_free. */
void *cw_alloc_new(size_t n);

/* Resizes p (NULL: like cw_alloc_new). Returns NULL on failure, leaving p
 * valid. */
void *cw_alloc_resize(void *p, size_t n);

/* Releases p. NULL is a no-op. */
void cw_alloc_free(void *p);

/* Bytes in live blocks, headers included. */
size_t cw_alloc_live(void);

/* Sets the ceiling to the live bytes now plus budget, or lifts it (budget
 * 0). Clears the hit flag. */
void cw_alloc_ceiling(size_t budget);

/* 1 when an allocation failed against the ceiling since it was set. */
int cw_alloc_ceiling_hit(void);

#endif
