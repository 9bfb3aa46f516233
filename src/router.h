/* router.h - method + path to handler, over a caller-supplied table.
 *
 * Paths are matched literally (no normalization). HEAD matches the GET
 * routes (the edge drops the body), and is listed in Allow beside GET. A pattern ending in a
 * slash and a star ("/state/" + "*") matches any remainder after the slash,
 * empty or not, and hands it back as the raw parameter, undecoded. */
#ifndef CW_ROUTER_H
#define CW_ROUTER_H

#include <stddef.h>

#include "error.h"
#include "http.h"

struct cw_ctx;
typedef int (*cw_handler)(struct cw_ctx *ctx);

typedef struct {
    const char *method;  /* "GET", "PATCH", ... */
    const char *pattern; /* "/health", or a prefix pattern (see above) */
    const char *name;    /* stable route name for logs and metrics */
    cw_handler handler;
} cw_route;

#define CW_ALLOW_MAX 64

typedef struct {
    const cw_route *route;    /* the match, or NULL */
    cw_slice param;           /* remainder, for prefix patterns */
    char allow[CW_ALLOW_MAX]; /* on 405: "GET, PATCH" */
} cw_match;

/* Matches method/path against table[0..n). Returns 0 with m->route set, or
 * -1 with err set to CW_E_NOT_FOUND, or CW_E_METHOD with m->allow listing
 * the methods the path does accept. */
int cw_router_match(const cw_route *table, size_t n, cw_slice method, cw_slice path, cw_match *m,
                    cw_error *err);

#endif
