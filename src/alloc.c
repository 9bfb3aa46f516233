/* alloc.c - the allocator (see alloc.h): a size-class heap on wasm32, libc
 * with a size header on the host; both count live bytes. */
#include "alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Global state: the live-byte count and the per-call ceiling (0: none). */
static struct {
    size_t live, ceiling;
    int hit;
} acct;

static int over_ceiling(size_t more) {
    if (acct.ceiling && (more > acct.ceiling || acct.live > acct.ceiling - more)) {
        acct.hit = 1;
        return 1;
    }
    return 0;
}

size_t cw_alloc_live(void) { return acct.live; }

void cw_alloc_ceiling(size_t budget) {
    acct.ceiling = budget ? acct.live + budget : 0;
    acct.hit = 0;
}

int cw_alloc_ceiling_hit(void) { return acct.hit; }

#ifdef __wasm__
#define HEADER 8u
#define MIN_CLASS 4  /* 16-byte blocks: 8 header + 8 payload */
#define MAX_CLASS 31 /* 2 GiB: more than wasm32 can hold */
#define PAGE 65536u

extern unsigned char __heap_base;

/* Global state: the free lists and the bump region. */
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

void *cw_alloc_new(size_t n) {
    int k = class_of(n ? n : 1);
    unsigned char *b;
    if (k < 0 || over_ceiling((size_t)1 << k))
        return NULL;
    if (heap.free[k]) {
        b = heap.free[k];
        memcpy(&heap.free[k], b + HEADER, sizeof(void *));
    } else if (!(b = carve(k))) {
        return NULL;
    }
    *(uint32_t *)b = (uint32_t)k;
    acct.live += (size_t)1 << k;
    return b + HEADER;
}

void cw_alloc_free(void *p) {
    unsigned char *b;
    uint32_t k;
    if (!p)
        return;
    b = (unsigned char *)p - HEADER;
    k = *(uint32_t *)b;
    acct.live -= (size_t)1 << k;
    memcpy(b + HEADER, &heap.free[k], sizeof(void *));
    heap.free[k] = b;
}

void *cw_alloc_resize(void *p, size_t n) {
    void *q;
    size_t cap;
    if (!p)
        return cw_alloc_new(n);
    cap = ((size_t)1 << *(uint32_t *)((unsigned char *)p - HEADER)) - HEADER;
    if (n <= cap)
        return p;
    q = cw_alloc_new(n);
    if (!q)
        return NULL;
    memcpy(q, p, cap);
    cw_alloc_free(p);
    return q;
}

/* libc's own callers (strdup and friends) use the same heap. */
void *malloc(size_t n) { return cw_alloc_new(n); }
void free(void *p) { cw_alloc_free(p); }
void *realloc(void *p, size_t n) { return cw_alloc_resize(p, n); }
void *calloc(size_t m, size_t n) {
    void *p;
    if (n && m > (size_t)-1 / n)
        return NULL;
    p = cw_alloc_new(m * n);
    if (p)
        memset(p, 0, m * n);
    return p;
}
#else
#define HEADER 16u /* keeps the payload 16-byte aligned, as malloc's */

void *cw_alloc_new(size_t n) {
    unsigned char *b;
    if (n > (size_t)-1 - HEADER || over_ceiling(n + HEADER) || !(b = malloc(n + HEADER)))
        return NULL;
    memcpy(b, &n, sizeof n);
    acct.live += n + HEADER;
    return b + HEADER;
}

void cw_alloc_free(void *p) {
    size_t n;
    if (!p)
        return;
    memcpy(&n, (unsigned char *)p - HEADER, sizeof n);
    acct.live -= n + HEADER;
    free((unsigned char *)p - HEADER);
}

void *cw_alloc_resize(void *p, size_t n) {
    size_t old;
    unsigned char *b;
    if (!p)
        return cw_alloc_new(n);
    memcpy(&old, (unsigned char *)p - HEADER, sizeof old);
    if (n > (size_t)-1 - HEADER || (n > old && over_ceiling(n - old)))
        return NULL;
    if (!(b = realloc((unsigned char *)p - HEADER, n + HEADER)))
        return NULL;
    memcpy(b, &n, sizeof n);
    acct.live = acct.live - old + n;
    return b + HEADER;
}
#endif
