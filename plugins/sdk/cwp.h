/* cwp.h - the plugin side of the plugin ABI, version 1.
 *
 * A plugin is its own wasm module (<name>.plugin.wasm) with no imports. The
 * host (worker/plugins.js, with the contract decided by src/plugin_contract.c) reads
 * these exports before first use and refuses the plugin, never half-loading
 * it, when one is missing or does not match the manifest (plugins/manifest):
 *
 *   memory                     linear memory
 *   cwp_abi()     -> i32       CWP_ABI: the ABI the plugin was built for
 *   cwp_name()    -> ptr       NUL-terminated name, equal to its manifest name
 *   cwp_version() -> ptr       NUL-terminated semver, e.g. "1.2.0"
 *   cwp_caps()    -> i32       CWP_CAP_* bits
 *   cwp_alloc(n)  -> ptr       starts a call: releases everything the previous
 *                              call held and returns n bytes for its input
 *   cwp_route(in, n) -> ptr    when caps has CWP_CAP_ROUTE
 *   cwp_sync(in, n)  -> ptr    when caps has CWP_CAP_SYNC
 *
 * Entry points return a pointer to cwp_out: three little-endian u32, the
 * HTTP status and the JSON body (pointer, length). The body of a status of
 * 400 or more is {"error":{"code","message",...}}; the host adds request_id.
 *
 *   route input: "<METHOD> <path>[?<query>]\n" then, for paths under
 *                /state/{id}, the state view {"id","version","state"}.
 *   sync input:  {"namespace","config","target":{"id","version","state"}}
 *                with the merged state before commit; 200 lets it commit,
 *                422 refuses it (nothing is stored).
 *
 * Memory is an arena: everything a call allocates is released by the next
 * cwp_alloc, so a plugin never frees. Write a plugin with CWP_PLUGIN plus
 * CWP_ROUTE and/or CWP_SYNC; see plugins/select and plugins/schema. */
#ifndef CWP_H
#define CWP_H

#include <stddef.h>
#include <stdint.h>

#ifndef CWP_ABI
#define CWP_ABI 1
#endif

enum { CWP_CAP_ROUTE = 1, CWP_CAP_SYNC = 2 };

#ifdef __wasm__
#define CWP_EXPORT(name) __attribute__((export_name(#name)))
#else /* a native build, for the fuzzers (tests/fuzz/fuzz_select.c, ...) */
#define CWP_EXPORT(name)
#endif

typedef struct {
    const char *p;
    size_t n;
} cwp_slice;

/* A growing output buffer in the arena. broken: an allocation failed. */
typedef struct {
    char *p;
    size_t len, cap;
    int broken;
} cwp_buf;

typedef struct {
    uint32_t status;
    const char *body;
    uint32_t body_len;
} cwp_out;

#ifdef __wasm__
/* The layout worker/layout.js reads (PLUGIN_OUT); change both together. */
_Static_assert(offsetof(cwp_out, status) == 0, "cwp_out layout");
_Static_assert(offsetof(cwp_out, body) == 4, "cwp_out layout");
_Static_assert(offsetof(cwp_out, body_len) == 8, "cwp_out layout");
#endif

/* An entry point: reads in, writes the JSON body to out, returns the status. */
typedef int (*cwp_entry)(cwp_slice in, cwp_buf *out);

cwp_out *cwp_run(cwp_entry fn, const char *in, size_t n);

/* Declares the plugin: exports cwp_abi, cwp_name, cwp_version, cwp_caps. */
#define CWP_PLUGIN(name, version, caps)                                                            \
    CWP_EXPORT(cwp_abi) int cwp_abi(void) { return CWP_ABI; }                                      \
    CWP_EXPORT(cwp_name) const char *cwp_name(void) { return name; }                               \
    CWP_EXPORT(cwp_version) const char *cwp_version(void) { return version; }                      \
    CWP_EXPORT(cwp_caps) int cwp_caps(void) { return caps; }

/* Exports fn as the entry point for the route or sync capability. */
#define CWP_ROUTE(fn)                                                                              \
    CWP_EXPORT(cwp_route) cwp_out *cwp_route(const char *in, size_t n) {                           \
        return cwp_run(fn, in, n);                                                                 \
    }

#define CWP_SYNC(fn)                                                                               \
    CWP_EXPORT(cwp_sync) cwp_out *cwp_sync(const char *in, size_t n) { return cwp_run(fn, in, n); }

/* --- arena ------------------------------------------------------------- */

/* n bytes, 8-aligned, valid until the next call; NULL when memory is full. */
void *cwp_mem(size_t n);

/* The exported allocator: starts a call (see above). */
void *cwp_alloc(size_t n);

/* --- output ------------------------------------------------------------ */

void cwp_put(cwp_buf *b, const char *p, size_t n);
void cwp_puts(cwp_buf *b, const char *s);
/* s[0..n) (decoded) as a JSON string, quotes included; bytes that are not
 * UTF-8 become U+FFFD, so the output is always valid JSON. */
void cwp_put_str(cwp_buf *b, const char *s, size_t n);
void cwp_put_uint(cwp_buf *b, unsigned long v);
/* Writes {"error":{"code":code,"message":message}} and returns status. */
int cwp_error(cwp_buf *b, int status, const char *code, const char *message);

/* --- JSON reading, in place -------------------------------------------- *
 * Values are slices of the input with no surrounding whitespace; the first
 * byte tells the type ('{' '[' '"' 't' 'f' 'n', else a number). */

/* The value at the start of s (after whitespace), or {NULL, 0} when s does
 * not start with a well-formed value (or nests deeper than 128). */
cwp_slice cwpj_value(cwp_slice s);

typedef struct {
    const char *p, *e;
    int n; /* items read */
} cwpj_iter;

/* Iterates an object's members (key: the raw string, quotes included) or an
 * array's items (key unused). Returns 1 per item, 0 at the end, -1 when
 * malformed. */
void cwpj_begin(cwpj_iter *it, cwp_slice container);
int cwpj_next(cwpj_iter *it, cwp_slice *key, cwp_slice *val);

/* A raw JSON string decoded to UTF-8 (into the arena when it has escapes).
 * Returns 0, or -1 when malformed or out of memory. */
int cwpj_str(cwp_slice raw, cwp_slice *out);

/* 1 when the raw key decodes to s[0..n). */
int cwpj_key_is(cwp_slice raw, const char *s, size_t n);

/* The member named key (NUL-terminated, or n bytes) of object obj, or
 * {NULL, 0}. With duplicate names, the last one. */
cwp_slice cwpj_get(cwp_slice obj, const char *key);
cwp_slice cwpj_getn(cwp_slice obj, const char *key, size_t n);

/* The number v as a double. Returns 0, or -1 when v is not a number. */
int cwpj_num(cwp_slice v, double *out);

/* 1 when a and b are equal JSON values (numbers by value, strings decoded,
 * objects regardless of member order), else 0. */
int cwpj_equal(cwp_slice a, cwp_slice b);

/* 1 when the slice equals the NUL-terminated s. */
int cwp_is(cwp_slice x, const char *s);

#endif
