/* rfc8259.h - a strict recognizer for JSON texts, written from the grammar
 * of RFC 8259 (sections 2-7) and its UTF-8 rule (section 8.1), for tests
 * only. It shares no code with the product: the differential tests and the
 * fuzzers compare it with the production parse.
 *
 * It knows nothing of the product's extra limits (duplicate keys, nesting
 * depth, container count, number range, lone surrogate escapes, NUL in keys,
 * the byte order mark); the callers account for those. */
#ifndef CW_RFC8259_H
#define CW_RFC8259_H

#include <stddef.h>

enum {
    RFC8259_VALID = 1,    /* p[0..n) is a JSON text */
    RFC8259_INVALID = 0,  /* it is not */
    RFC8259_TOO_DEEP = -1 /* nesting beyond max_depth: not decided */
};

/* Recognizes p[0..n) (borrowed; any bytes). Nesting deeper than max_depth
 * stops the recognizer (bounded recursion). Returns an RFC8259_* value. */
int rfc8259_recognize(const char *p, size_t n, int max_depth);

/* 1 when msg is the product's message for one of its documented extra
 * limits (src/json.h): the only reasons it may refuse a text this
 * recognizer accepts. */
int rfc8259_product_limit(const char *msg);

#endif
