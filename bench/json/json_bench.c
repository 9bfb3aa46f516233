/* json_bench.c - a benchmark-only wasm module: the product's JSON parse
 * (src/json.c: one pass that checks and builds Jansson values) and its
 * serializer (src/json.c's writer, not Jansson's), built with the product's toolchain and flags
 * (and its formatter, dtoa and heap), so bench/run.mjs can compare it with V8's
 * JSON.parse/stringify including the JS<->wasm bridge, and measure the
 * memory a state takes as a tree and as member texts. Never linked into
 * build/cw.wasm. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "alloc.h"
#include "json.h"

#define EXPORT(name) __attribute__((export_name(#name)))

static void *alloc(size_t n) { return malloc(n ? n : 1); }

EXPORT(jb_init) void jb_init(unsigned seed) {
    json_set_alloc_funcs(alloc, free);
    json_object_seed(seed ? seed : 1);
}
EXPORT(jb_alloc) void *jb_alloc(size_t n) { return alloc(n); }
EXPORT(jb_free) void jb_free(void *p) { free(p); }

/* Parses n bytes at p; returns the document (free with jb_decref) or NULL. */
EXPORT(jb_parse) json_t *jb_parse(const char *p, size_t n) { return cw_json_load(p, n); }
EXPORT(jb_decref) void jb_decref(json_t *j) { json_decref(j); }

/* Serializes j compactly; returns a buffer (free with jb_free) and its
 * length in *len, or NULL. */
EXPORT(jb_dump) char *jb_dump(json_t *j, size_t *len) {
    cw_buf t = CW_BUF_INIT;
    if (cw_json_dump(j, &t) < 0) {
        cw_buf_free(&t);
        *len = 0;
        return NULL;
    }
    *len = t.len;
    return t.p;
}

/* Bytes the heap holds now (src/alloc.h): memory measurements. */
EXPORT(jb_live) size_t jb_live(void) { return cw_alloc_live(); }

/* The state object j as the owner's cache holds it (src/doc.h): an object
 * of each member's compact JSON text. Free with jb_decref. */
EXPORT(jb_members) json_t *jb_members(json_t *j) {
    json_t *out = json_object(), *v;
    const char *k;
    json_object_foreach(j, k, v) {
        cw_buf t = CW_BUF_INIT;
        cw_json_dump(v, &t);
        json_object_set_new_nocheck(out, k, json_stringn_nocheck(t.p, t.len));
        cw_buf_free(&t);
    }
    return out;
}
