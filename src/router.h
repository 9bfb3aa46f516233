/* router.h - method + path to handler, over a caller-supplied table.
 *
 * A pattern is a path of segments: literal ("/health"), a named segment
 * ("{id}": any run of bytes without '/', possibly empty), or, last, a named
 * rest ("{path...}": everything left, '/' included, possibly empty). Paths
 * are matched literally (no normalization, no decoding): a parameter is the
 * raw bytes, for its handler to decode and check. HEAD matches the GET
 * routes (the edge drops the body) and is listed in Allow beside GET. */
#ifndef CW_ROUTER_H
#define CW_ROUTER_H

#include <stddef.h>

#include "error.h"
#include "http.h"

struct cw_ctx;
typedef int (*cw_handler)(struct cw_ctx *ctx);

typedef struct {
    const char *method;  /* "GET", "PATCH", ... */
    const char *pattern; /* "/state/{id}/changes" (see above) */
    const char *name;    /* stable route name for logs and metrics */
    cw_handler handler;
    int flags; /* CW_ROUTE_INTERNAL, CW_ROUTE_UPGRADE */
} cw_route;

/* Reached only from the host (a socket's event, an RPC call): never
 * listed in Allow, so another method is 404. */
#define CW_ROUTE_INTERNAL 1
/* Takes Upgrade: websocket (workerd makes any request carrying it a GET,
 * so no other route may take one). */
#define CW_ROUTE_UPGRADE 2

#define CW_ALLOW_MAX 64
#define CW_ROUTE_PARAMS 4

typedef struct {
    const cw_route *route; /* the match, or NULL */
    struct {
        const char *name; /* points into the pattern; name_len bytes */
        size_t name_len;
        cw_slice value; /* raw, borrowed from the path */
    } params[CW_ROUTE_PARAMS];
    size_t nparams;
    char allow[CW_ALLOW_MAX]; /* on 405: "GET, HEAD, PATCH" */
} cw_match;

/* Matches method/path against table[0..n). Returns 0 with m->route and its
 * parameters set, or -1 with err set to CW_E_NOT_FOUND, or CW_E_METHOD with
 * m->allow listing the methods the path does accept. */
int cw_router_match(const cw_route *table, size_t n, cw_slice method, cw_slice path, cw_match *m,
                    cw_error *err);

/* Writes the methods table[0..n) accepts for path to allow (", "-separated,
 * HEAD beside GET; "" when the path has no route). Returns the count. */
int cw_router_allow(const cw_route *table, size_t n, cw_slice path, char allow[CW_ALLOW_MAX]);

/* The raw value of parameter name in m, or {NULL, 0} when it has none. */
cw_slice cw_router_param(const cw_match *m, const char *name);

#endif
