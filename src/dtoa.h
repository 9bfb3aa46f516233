/* dtoa.h - shortest round-trip decimal form of a double, without printf.
 *
 * libc's %g needs long double (soft-float fp128 on wasm32) and the whole
 * printf core. This computes the exact decimal expansion with a small bignum
 * and picks the fewest significant digits (1..17) that read back to the same
 * double, so 0.1 prints as 0.1 and every printed value round-trips. */
#ifndef CW_DTOA_H
#define CW_DTOA_H

#include <stddef.h>

/* Writes v into buf (size bytes, including the NUL) the way "%.<p>g" would
 * for the smallest p that round-trips through strtod. Returns the length, or
 * -1 when v is not finite or buf is too small (32 bytes always suffice). */
int cw_dtoa(double v, char *buf, size_t size);

/* cw_dtoa as a JSON real: with ".0" added when the form has no '.' or 'e',
 * so it reads back as a real, not an integer. Same returns. */
int cw_dtoa_real(double v, char *buf, size_t size);

#endif
