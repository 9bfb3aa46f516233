/* buf.h - a growable byte buffer (after Redis sds, without the header trick).
 *
 * Invariant: when p is not NULL, p[len] == '\0' and len < cap. A buffer whose
 * allocation failed is "broken": later appends are no-ops and return -1, so a
 * builder can append freely and check once at the end. */
#ifndef CW_BUF_H
#define CW_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *p;    /* owned; NULL until the first append */
    size_t len; /* bytes used, excluding the trailing NUL */
    size_t cap; /* bytes allocated */
    int broken; /* 1 after an allocation failure */
} cw_buf;

#define CW_BUF_INIT                                                                                \
    { NULL, 0, 0, 0 }

/* Appends n bytes of s (borrowed). Returns 0, or -1 if the buffer is broken. */
int cw_buf_append(cw_buf *b, const char *s, size_t n);

/* Makes room for n more bytes in one allocation, so appends up to them
 * never reallocate. Returns 0, or -1 if the buffer is (now) broken. */
int cw_buf_reserve(cw_buf *b, size_t n);

/* Appends a NUL-terminated string. Returns 0 or -1 as cw_buf_append. */
int cw_buf_puts(cw_buf *b, const char *s);

/* Appends the decimal form of v. Returns 0 or -1 as cw_buf_append. */
int cw_buf_putu(cw_buf *b, unsigned long long v);

/* Appends s[0..n) (borrowed, UTF-8) as a quoted JSON string: '"' and '\\'
 * escaped, \b \t \n \f \r as such, the other control bytes as \u00XX,
 * everything else as it is (as Jansson and JSON.stringify write them). For building
 * fixed-shape JSON without an object model. Returns 0 or -1 as
 * cw_buf_append. */
int cw_buf_putjs(cw_buf *b, const char *s, size_t n);

/* Appends the escaped form (as cw_buf_putjs, without the quotes) of the
 * longest start of s[0..n) that takes at most room bytes and does not end
 * inside a UTF-8 sequence. Returns how many bytes of s it took. */
size_t cw_buf_putjs_part(cw_buf *b, const char *s, size_t n, size_t room);

/* Fixed-shape JSON, written straight into b: cw_buf_key appends "key": (a
 * comma first, unless b ends with '{' or '['); cw_buf_kstr and cw_buf_kint
 * append a member with a string (NUL-terminated, borrowed; NULL writes
 * null) or an integer value. The caller writes the braces. Return 0 or -1 as cw_buf_append. */
int cw_buf_key(cw_buf *b, const char *key);
int cw_buf_kstr(cw_buf *b, const char *key, const char *s);
int cw_buf_kint(cw_buf *b, const char *key, long long v);

/* Appends v as 4 bytes, little-endian (the boundary's byte order).
 * Returns 0 or -1 as cw_buf_append. */
int cw_buf_put32(cw_buf *b, uint32_t v);

/* Frees the storage and resets b to empty. */
void cw_buf_free(cw_buf *b);

/* Hands the storage to the caller (new, free with cw_alloc_free) and resets b.
 * Returns NULL when the buffer is broken or empty. */
char *cw_buf_take(cw_buf *b, size_t *len);

#endif
