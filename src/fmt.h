/* fmt.h - numbers as decimal text, without printf, and hex digits read.
 *
 * libc's vfprintf is the largest single thing a C wasm module carries (about
 * 10 KB of code, plus stdio, which is what keeps WASI file imports alive),
 * so the module formats its numbers itself. */
#ifndef CW_FMT_H
#define CW_FMT_H

#include <stddef.h>

/* Writes the decimal digits of v to out (at least 20 bytes; no NUL) and
 * returns how many. For numbers in headers and messages. */
size_t cw_fmt_utoa(char *out, unsigned long long v);

/* The value of hex digit c (either case), or -1. */
int cw_fmt_hex(int c);

#endif
