/* alloc.c - size-class heap for wasm32 (see alloc.h). */
#ifdef __wasm__
#include "alloc.h"

#include <stdint.h>
#include <string.h>

#define HEADER 8u
#define MIN_CLASS 4  /* 16-byte blocks: 8 header + 8 payload */
#define MAX_CLASS 31 /* 2 GiB: more than wasm32 can hold */
#define PAGE 65536u

extern unsigned char __heap_base;

/* Global state: the free lists and the bump region (see runtime.h). */
static struct {
    void *free[MAX_CLASS + 1]; /* class k holds blocks of 2^k bytes */
    uintptr_t top, end;        /* bump region [top, end) */
} heap;

static int class_of(size_t n) {
    int k = MIN_CLASS;
    if (n > ((size_t)1 << MAX_CLASS) - HEADER)
        return -1;
    while (((size_t)1 << k) - HEADER < n)
        k++;
    return k;
}

static void *carve(int k) {
    size_t size = (size_t)1 << k;
    if (!heap.top)
        heap.top = heap.end = ((uintptr_t)&__heap_base + 7) & ~(uintptr_t)7;
    if (heap.end - heap.top < size) {
        size_t need = size - (heap.end - heap.top);
        size_t pages = (need + PAGE - 1) / PAGE;
        if (__builtin_wasm_memory_grow(0, pages) == (size_t)-1)
            return NULL;
        /* memory.grow returns the old size: the new pages start at the old
         * end of memory, which is heap.end unless something else grew it. */
        if (heap.end != __builtin_wasm_memory_size(0) * PAGE - pages * PAGE)
            heap.top = __builtin_wasm_memory_size(0) * PAGE - pages * PAGE;
        heap.end = __builtin_wasm_memory_size(0) * PAGE;
        if (heap.end - heap.top < size)
            return NULL;
    }
    heap.top += size;
    return (void *)(heap.top - size);
}

void *cw_heap_alloc(size_t n) {
    int k = class_of(n);
    unsigned char *b;
    if (k < 0)
        return NULL;
    if (heap.free[k]) {
        b = heap.free[k];
        memcpy(&heap.free[k], b + HEADER, sizeof(void *));
    } else if (!(b = carve(k))) {
        return NULL;
    }
    *(uint32_t *)b = (uint32_t)k;
    return b + HEADER;
}

void cw_heap_free(void *p) {
    unsigned char *b;
    uint32_t k;
    if (!p)
        return;
    b = (unsigned char *)p - HEADER;
    k = *(uint32_t *)b;
    memcpy(b + HEADER, &heap.free[k], sizeof(void *));
    heap.free[k] = b;
}

void *cw_heap_realloc(void *p, size_t n) {
    void *q;
    size_t cap;
    if (!p)
        return cw_heap_alloc(n);
    cap = ((size_t)1 << *(uint32_t *)((unsigned char *)p - HEADER)) - HEADER;
    if (n <= cap)
        return p;
    q = cw_heap_alloc(n);
    if (!q)
        return NULL;
    memcpy(q, p, cap);
    cw_heap_free(p);
    return q;
}

/* libc's own callers (strdup and friends) use the same heap. */
void *malloc(size_t n) { return cw_heap_alloc(n); }
void free(void *p) { cw_heap_free(p); }
void *realloc(void *p, size_t n) { return cw_heap_realloc(p, n); }
void *calloc(size_t m, size_t n) {
    void *p;
    if (n && m > (size_t)-1 / n)
        return NULL;
    p = cw_heap_alloc(m * n);
    if (p)
        memset(p, 0, m * n);
    return p;
}
#endif
