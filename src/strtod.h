/* strtod.h - decimal to double, correctly rounded, without libc's scanner.
 *
 * musl's strtod (floatscan, hexfloat, long double scaling) is ~8 KB of the
 * module; JSON numbers need only the decimal form. This is the "simple
 * decimal conversion" (as in Go's strconv): the digits are shifted exactly
 * in a decimal buffer until the binary exponent and the rounded 53-bit
 * mantissa fall out, with a fast exact path for short inputs. Rounding is
 * to nearest, ties to even, for every input. */
#ifndef CW_STRTOD_H
#define CW_STRTOD_H

/* Parses [-]digits[.digits][(e|E)[+-]digits] at s. Sets *end (when not
 * NULL) past the number, or to s when there is none. Sets *overflow (when
 * not NULL) to 1 when the value is too large for a double (then +-inf),
 * else 0; values too small become 0 or a subnormal, as strtod does. */
double cw_strtod(const char *s, char **end, int *overflow);

#endif
