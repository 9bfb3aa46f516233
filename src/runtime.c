/* runtime.c - allocator and the instance's global state (see runtime.h). */
#include "runtime.h"

#include <string.h>

#include <jansson.h>

#include "alloc.h"

static struct {
    int ready;
    uint64_t rng[2];
    int configured;
    const cw_config *config;
    char *metrics_token, *warmup_token; /* owned, NUL-terminated */
} rt;

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
void cw_runtime_hex16(char *out) {
    uint64_t s0 = rt.rng[0], s1 = rt.rng[1], r = s0 + s1;
    s1 ^= s0;
    rt.rng[0] = ((s0 << 24) | (s0 >> 40)) ^ s1 ^ (s1 << 16);
    rt.rng[1] = (s1 << 37) | (s1 >> 27);
    for (int i = 0; i < 16; i++, r >>= 4)
        out[i] = "0123456789abcdef"[r & 15];
}

static char *copy_token(const char *p, size_t n) {
    char *t = cw_malloc(n + 1);
    if (t) {
        if (n)
            memcpy(t, p, n);
        t[n] = '\0';
    }
    return t;
}

int cw_runtime_configure(const char *env, size_t n, const char *metrics_token, size_t metrics_len,
                         const char *warmup_token, size_t warmup_len) {
    int fallback;
    if (rt.configured)
        return -1;
    rt.configured = 1;
    rt.config = cw_config_select(env, n, &fallback);
    rt.metrics_token = copy_token(metrics_token, metrics_len);
    rt.warmup_token = copy_token(warmup_token, warmup_len);
    return fallback;
}

const cw_config *cw_runtime_config(void) {
    int fallback;
    return rt.config ? rt.config : cw_config_select(NULL, 0, &fallback);
}

const char *cw_runtime_metrics_token(void) { return rt.metrics_token ? rt.metrics_token : ""; }
const char *cw_runtime_warmup_token(void) { return rt.warmup_token ? rt.warmup_token : ""; }

uint64_t cw_runtime_memory_bytes(void) {
#ifdef __wasm__
    return (uint64_t)__builtin_wasm_memory_size(0) * 65536u;
#else
    return 0;
#endif
}
