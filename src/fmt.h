/* fmt.h - the formatted output and integer parsing Jansson needs, without
 * libc's printf family or scanf core.
 *
 * libc's vfprintf is the largest single thing a C wasm module carries (about
 * 10 KB of code, plus stdio, which is what keeps WASI file imports alive).
 * Jansson only formats error messages, \u escapes, integers and %p keys, so
 * the Makefile compiles it with -Dsnprintf=cw_snprintf -Dvsnprintf=cw_vsnprintf
 * -Dstrtoll=cw_strtoll, on wasm and on the host alike. */
#ifndef CW_FMT_H
#define CW_FMT_H

#include <stdarg.h>
#include <stddef.h>

/* vsnprintf for the conversions %d %i %u %x %X %c %s %p %% with the flags
 * '-' and '0', a width, a precision (for %s, "%.6s" or "%.*s") and the length
 * modifiers hh h l ll z j t. Returns the length the full output would have,
 * like C99 vsnprintf; writes at most size bytes including the NUL. An
 * unsupported conversion is copied literally (never undefined behaviour).
 * Floating point is not supported: use cw_dtoa. */
int cw_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* snprintf on top of cw_vsnprintf. */
int cw_snprintf(char *buf, size_t size, const char *fmt, ...);

/* Writes the decimal digits of v to out (at least 20 bytes; no NUL) and
 * returns how many. For numbers in headers and messages, without printf. */
size_t cw_utoa(char *out, unsigned long long v);

/* strtoll for base 10 (other bases set errno = EINVAL and return 0).
 * Accepts optional leading whitespace and a sign. On overflow returns
 * LLONG_MAX or LLONG_MIN with errno = ERANGE. *end, when end is not NULL,
 * points past the last digit used (at s when there were none). */
long long cw_strtoll(const char *s, char **end, int base);

#endif
