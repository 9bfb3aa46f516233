/* json.h - untrusted JSON in: a strict RFC 8259 check, then Jansson.
 *
 * Jansson alone is not strict enough for input from outside: its stream
 * refills on a NUL byte after an unget, so "2\0" or {"a":0\0} parse as if
 * the NUL were not there, and the stored state would differ from what the
 * client sent. Every JSON text from a client therefore passes
 * cw_json_check first: one linear pass, no allocation, that accepts exactly
 * the texts of RFC 8259 (sections 2-8.1: grammar and UTF-8) within the
 * product's extra limits, which each have their own message:
 *   - nesting deeper than max_depth (bounds the stack of parse and merge);
 *   - more than max_containers arrays and objects (bounds parse memory);
 *   - a \u escape of a lone surrogate (it names no character);
 *   - \u0000 in an object key (keys are C strings in Jansson);
 * and, found while the value is built, duplicate keys.
 *
 * The value is built here too, not by Jansson's loader: a text that passed
 * the check needs no second lexer, and the loader (with its stream, error
 * and UTF-8 machinery) stays out of the module. Jansson's values hold it.
 *
 * Numbers keep every digit and their form. One that is a 64-bit integer
 * (-0 aside) is a Jansson integer; any other (a fraction, an exponent, -0,
 * more digits than 64 bits hold) is kept as the text it was written as, in
 * a Jansson string marked by a leading CW_JSON_NUMBER_MARK byte, which no
 * decoded JSON string holds (they are UTF-8, and 0xFF never is). The
 * writer (cw_json_dump) writes it back as the number it is. So the module
 * never converts decimal to binary floating point, and holds no Jansson
 * reals.
 *
 * Such a number is a Jansson string underneath, so no module but this one
 * reads Jansson strings directly: cw_json_string() answers for JSON
 * strings only, and cw_json_is_number() for numbers of either form (a
 * test, tests/structure.mjs, keeps json_string_value and json_is_string
 * out of every other module). A claim {"sub": 1.5} is then a number, never
 * the string "\xff1.5". */
#ifndef CW_JSON_H
#define CW_JSON_H

#include <stddef.h>

#include <jansson.h>

#include "buf.h"
#include "error.h"
#include "http.h"

/* The first byte of a number held as text (see above). */
#define CW_JSON_NUMBER_MARK '\xff'

/* The deepest nesting cw_json_check can track; limits above it are clamped. */
#define CW_JSON_MAX_DEPTH 128

typedef struct {
    int depth;       /* deepest nesting seen */
    long containers; /* arrays + objects seen */
    int unjson;      /* 1 (cw_json_parse_js): the text failed on a word a JavaScript
                        value JSON cannot carry is written as (NaN, Infinity,
                        -Infinity, undefined, bigint, function, symbol,
                        Invalid Date, unwritable); the message names its
                        pointer */
} cw_json_stats;

/* Checks that p[0..n) (borrowed) is one JSON text within the limits; a
 * leading byte order mark is not allowed here (see cw_json_parse). stats
 * may be NULL. Returns 0, or -1 with err set to CW_E_INVALID_JSON and a
 * message naming the first problem and its byte offset. */
int cw_json_check(const char *p, size_t n, int max_depth, long max_containers, cw_json_stats *stats,
                  cw_error *err);

/* The value of member key at the top level of the object text p[0..n),
 * when it is a string without escapes, into *out (borrowed from p): 1, or
 * 0 when there is none. Only the top level is read, and nothing of the
 * text is checked: this names what a text the parser refused was about (a
 * socket frame's patch and its mid), never accepts it. */
int cw_json_peek(const char *p, size_t n, const char *key, cw_slice *out);

/* 1 when p[0..n) is well-formed UTF-8 (as a JSON text's strings must be),
 * else 0. */
int cw_json_utf8(const char *p, size_t n);

/* The bytes of v when it is a JSON string, with *n (may be NULL) set to
 * their length; NULL for anything else, a number held as text included.
 * Borrowed from v. */
const char *cw_json_string(const json_t *v, size_t *n);

/* 1 when v is a JSON number: a Jansson integer or a number held as text. */
int cw_json_is_number(const json_t *v);

/* Appends v's compact JSON text to out: objects in insertion order, strings
 * escaped as Jansson writes them, numbers held as text written as they
 * came. A Jansson real (the module makes none) breaks out. Returns 0, or -1
 * when out of memory (out is then broken). */
int cw_json_dump(const json_t *v, cw_buf *out);

/* Parses p[0..n) (borrowed), a text the module stored or a trusted party
 * sent (a stored member, a journal patch, a plugin's answer, the host's
 * report): checked and built as cw_json_parse does, with the widest limits.
 * A new reference, or NULL when it is not JSON or memory runs out. */
json_t *cw_json_load(const char *p, size_t n);

/* Parses a client's JSON text: a leading UTF-8 byte order mark is ignored
 * (RFC 8259 section 8.1 allows that), an empty text is refused, then
 * cw_json_check, then the value is built (any value, duplicate keys
 * refused, "\u0000" kept in strings). Returns a new reference, or NULL with
 * err set (CW_E_INVALID_JSON, its message naming the problem and its byte
 * offset; CW_E_INTERNAL when out of memory) and stats (may be NULL). what
 * names the text in messages ("body", "frame"). */
json_t *cw_json_parse(cw_slice text, int max_depth, long max_containers, const char *what,
                      cw_json_stats *stats, cw_error *err);

/* cw_json_parse for a text the RPC glue wrote from a JavaScript value
 * (worker/envelope.js toJson): a word it writes for a value JSON cannot
 * carry is refused with a message naming the value's JSON Pointer, and
 * stats->unjson set. */
json_t *cw_json_parse_js(cw_slice text, int max_depth, long max_containers, const char *what,
                         cw_json_stats *stats, cw_error *err);

/* --- JSON Pointers (RFC 6901) ------------------------------------------------ */

/* Appends "/" and key[0..kn) escaped (~ as ~0, / as ~1) to ptr. Returns
 * 0, or -1 when out of memory (ptr is then broken). */
int cw_json_ptr_push(cw_buf *ptr, const char *key, size_t kn);

/* The next segment of pointer p[*at..n), unescaped into seg (NUL-ended,
 * seg->len not counting the NUL), advancing *at. Returns 1 with a segment,
 * 0 at the end, -1 when p is not a pointer (no leading "/", or a "~" not
 * followed by 0 or 1) or memory ran out. */
int cw_json_ptr_next(const char *p, size_t n, size_t *at, cw_buf *seg);

#endif
