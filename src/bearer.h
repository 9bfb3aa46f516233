/* bearer.h - bearer tokens for the operator routes (/metrics, /internal/warmup). */
#ifndef CW_BEARER_H
#define CW_BEARER_H

#include <stddef.h>

#include "error.h"
#include "http.h"

/* Checks an Authorization header value h (h.p == NULL when absent) against
 * token (NUL-terminated, borrowed; NULL or "" when none is configured).
 * With no token configured the route is open only when open_without_token.
 * The comparison takes time that depends only on the token's length.
 * Returns 0, or -1 with err set to CW_E_UNAUTHORIZED. */
int cw_bearer_check(cw_slice h, const char *token, int open_without_token, cw_error *err);

/* Constant-time equality of a[0..an) and b[0..bn): time depends on bn only.
 * Returns 1 when equal. */
int cw_bearer_equal(const char *a, size_t an, const char *b, size_t bn);

#endif
