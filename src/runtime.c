/* runtime.c - the instance's global state: seeding, the environment row and
 * the operator tokens (see runtime.h). */
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
    char *origins;   /* CORS_ORIGINS: owned, each origin NUL-terminated, then "" */
    int has_origins; /* 1: origins replaces the row's list (empty: none allowed) */
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
    json_set_alloc_funcs(cw_alloc_new, cw_alloc_free);
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
    char *t = cw_alloc_new(n + 1);
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

/* 1 when o[0..n) is an origin as a browser sends it (RFC 6454): the
 * scheme, a host in lowercase ([...] for IPv6), and a port unless it is
 * the scheme's default. */
static int origin_ok(const char *o, size_t n) {
    size_t s = n > 8 && memcmp(o, "https://", 8) == 0  ? 8
               : n > 7 && memcmp(o, "http://", 7) == 0 ? 7
                                                       : 0;
    size_t i, host;
    unsigned long port = 0;
    if (!s || n > 127)
        return 0;
    host = i = s + (o[s] == '['); /* (n > s: o[s] is there) */
    while (i < n && ((o[i] >= 'a' && o[i] <= 'z') || (o[i] >= '0' && o[i] <= '9') || o[i] == '-' ||
                     o[i] == '.' || o[i] == '_' || (o[s] == '[' && o[i] == ':')))
        i++;
    if (i == host || (o[s] == '[' && (i == n || o[i++] != ']')))
        return 0;
    if (i == n)
        return 1;
    if (o[i++] != ':' || i == n || o[i] == '0')
        return 0;
    while (i < n && o[i] >= '0' && o[i] <= '9' && port < 65536)
        port = port * 10 + (unsigned long)(o[i++] - '0');
    return i == n && port < 65536 && port != (s == 8 ? 443u : 80u);
}

const char *cw_runtime_origins(const char *p, size_t n) {
    char *out;
    size_t len = 0, i = 0;
    int json;
    /* (JSON may have white space around it, as TOML's ''' strings do) */
    while (n && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++, n--;
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\n' || p[n - 1] == '\r'))
        n--;
    json = n && p[0] == '[';
    cw_alloc_free(rt.origins);
    rt.origins = NULL;
    rt.has_origins = 0;
    if (!n)
        return NULL;
    rt.has_origins = 1; /* from here on, a refusal leaves none allowed */
    if (!(out = cw_alloc_new(n + 2)))
        return "CORS_ORIGINS: out of memory";
    if (json && p[n - 1] != ']') {
        cw_alloc_free(out);
        return "CORS_ORIGINS: a JSON array of origin strings, or origins separated by commas";
    }
    for (i = json, n -= json; i < n;) {
        size_t start, end;
        while (i < n &&
               (p[i] == ',' || p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
            i++;
        if (i == n)
            break;
        start = i + (json && p[i] == '"');
        end = start;
        while (end < n && p[end] != ',' && p[end] != ' ' && p[end] != '\t' && p[end] != '\n' &&
               p[end] != '\r' && p[end] != '"')
            end++;
        i = end + (json && end < n && p[end] == '"');
        if (json != (start > 0 && p[start - 1] == '"') || (json && (end == n || p[end] != '"')) ||
            !origin_ok(p + start, end - start)) {
            cw_alloc_free(out);
            return "CORS_ORIGINS: each origin is http(s)://host[:port] as a browser sends it: the "
                   "host in lowercase, no default port, no path, no '*'";
        }
        memcpy(out + len, p + start, end - start);
        len += end - start;
        out[len++] = '\0';
    }
    out[len] = '\0';
    rt.origins = out;
    return NULL;
}

int cw_runtime_origins_refused(void) { return rt.has_origins && !rt.origins; }

int cw_runtime_origin_allowed(const char *origin, size_t n) {
    if (!rt.has_origins)
        return cw_config_origin_allowed(cw_runtime_config(), origin, n);
    for (const char *o = rt.origins; o && *o; o += strlen(o) + 1)
        if (strlen(o) == n && memcmp(o, origin, n) == 0)
            return 1;
    return 0;
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
