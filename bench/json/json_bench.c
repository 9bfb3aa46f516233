/* json_bench.c - a benchmark-only wasm module: Jansson parse and serialize,
 * built with the product's toolchain and flags (and its formatter, dtoa and
 * heap), so bench/run.mjs can compare it with V8's JSON.parse/stringify
 * including the JS<->wasm bridge. Never linked into build/cw.wasm. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define EXPORT(name) __attribute__((export_name(#name)))

static void *alloc(size_t n) { return malloc(n ? n : 1); }

EXPORT(jb_init) void jb_init(unsigned seed) {
    json_set_alloc_funcs(alloc, free);
    json_object_seed(seed ? seed : 1);
}
EXPORT(jb_alloc) void *jb_alloc(size_t n) { return alloc(n); }
EXPORT(jb_free) void jb_free(void *p) { free(p); }

/* Parses n bytes at p; returns the document (free with jb_decref) or NULL. */
EXPORT(jb_parse) json_t *jb_parse(const char *p, size_t n) {
    return json_loadb(p, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
}
EXPORT(jb_decref) void jb_decref(json_t *j) { json_decref(j); }

/* Serializes j compactly; returns a buffer (free with jb_free) and its
 * length in *len, or NULL. */
EXPORT(jb_dump) char *jb_dump(json_t *j, size_t *len) {
    char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    *len = s ? strlen(s) : 0;
    return s;
}
