/* runtime.c - allocator and the instance's global state (see runtime.h). */
#include "runtime.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static struct {
    int ready;
    uint64_t rng[2];
} rt;

#ifdef __wasm__
#include "alloc.h"
void *cw_malloc(size_t n) { return cw_heap_alloc(n ? n : 1); }
void *cw_realloc(void *p, size_t n) { return cw_heap_realloc(p, n ? n : 1); }
void cw_free(void *p) { cw_heap_free(p); }
#else
void *cw_malloc(size_t n) { return malloc(n ? n : 1); }
void *cw_realloc(void *p, size_t n) { return realloc(p, n ? n : 1); }
void cw_free(void *p) { free(p); }
#endif

static uint64_t load64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

int cw_runtime_init(const unsigned char *seed, size_t n) {
    uint32_t hseed;
    if (rt.ready)
        return 0;
    if (!seed || n < 16)
        return -1;
    rt.rng[0] = load64(seed);
    rt.rng[1] = load64(seed + 8);
    if (!rt.rng[0] && !rt.rng[1])
        rt.rng[1] = 0x9e3779b97f4a7c15ULL;
    json_set_alloc_funcs(cw_malloc, cw_free);
    hseed = (uint32_t)(rt.rng[0] ^ (rt.rng[1] >> 32));
    json_object_seed(hseed ? hseed : 1);
    rt.ready = 1;
    return 0;
}

int cw_runtime_ready(void) { return rt.ready; }

/* xoroshiro128+ */
uint64_t cw_runtime_rand64(void) {
    uint64_t s0 = rt.rng[0], s1 = rt.rng[1], r = s0 + s1;
    s1 ^= s0;
    rt.rng[0] = ((s0 << 24) | (s0 >> 40)) ^ s1 ^ (s1 << 16);
    rt.rng[1] = (s1 << 37) | (s1 >> 27);
    return r;
}
