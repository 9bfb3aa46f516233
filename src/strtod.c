/* strtod.c - exact decimal to double (see strtod.h). After Go's
 * strconv/decimal.go and atof.go: the number is held as decimal digits
 * 0.d[0]d[1]... x 10^dp, and shifted by powers of two (exact in decimal)
 * until it lies in [0.5, 1); the binary exponent is then known and 53 bits
 * are shifted out and rounded. Digits past the buffer only ever matter as
 * "not exactly halfway", which trunc records. */
#include "strtod.h"

#include <stdint.h>
#include <string.h>

#define DIGITS 800
#define MAX_SHIFT 60

typedef struct {
    unsigned char d[DIGITS]; /* digit values 0-9 */
    int nd, dp;              /* digits used; decimal point position */
    int trunc;               /* nonzero digits were dropped */
} decimal;

static void trim(decimal *a) {
    while (a->nd > 0 && a->d[a->nd - 1] == 0)
        a->nd--;
    if (a->nd == 0)
        a->dp = 0;
}

/* a /= 2^k, k <= MAX_SHIFT. */
static void right_shift(decimal *a, unsigned k) {
    int r = 0, w = 0;
    uint64_t n = 0, mask = ((uint64_t)1 << k) - 1;

    for (; n >> k == 0; r++) {
        if (r >= a->nd) {
            if (n == 0) {
                a->nd = 0;
                return;
            }
            while (n >> k == 0) {
                n *= 10;
                r++;
            }
            break;
        }
        n = n * 10 + a->d[r];
    }
    a->dp -= r - 1;
    for (; r < a->nd; r++) {
        a->d[w++] = (unsigned char)(n >> k);
        n = (n & mask) * 10 + a->d[r];
    }
    while (n > 0) {
        unsigned char dig = (unsigned char)(n >> k);
        if (w < DIGITS)
            a->d[w++] = dig;
        else if (dig > 0)
            a->trunc = 1;
        n = (n & mask) * 10;
    }
    a->nd = w;
    trim(a);
}

/* a *= 2^k, k <= MAX_SHIFT. Room is made for as many new digits as 2^k
 * has; when the product needs one fewer, the digits move down by one. */
static void left_shift(decimal *a, unsigned k) {
    int delta = 1, r = a->nd, w;
    uint64_t n = 0;

    for (uint64_t p = (uint64_t)1 << k; p >= 10; p /= 10)
        delta++;
    w = a->nd + delta;
    for (r--; r >= 0 || n > 0; r--) {
        uint64_t q;
        if (r >= 0)
            n += (uint64_t)a->d[r] << k;
        q = n / 10;
        if (--w < DIGITS)
            a->d[w] = (unsigned char)(n - q * 10);
        else if (n - q * 10 != 0)
            a->trunc = 1;
        n = q;
    }
    if (w > 0) { /* fewer new digits than 2^k has: w == 1 */
        int keep = a->nd + delta - w < DIGITS ? a->nd + delta - w : DIGITS - w;
        memmove(a->d, a->d + w, (size_t)keep);
        delta -= w;
    }
    a->nd += delta;
    if (a->nd > DIGITS)
        a->nd = DIGITS;
    a->dp += delta;
    trim(a);
}

static void shift(decimal *a, int k) {
    if (a->nd == 0)
        return;
    for (; k > MAX_SHIFT; k -= MAX_SHIFT)
        left_shift(a, MAX_SHIFT);
    for (; k < -MAX_SHIFT; k += MAX_SHIFT)
        right_shift(a, MAX_SHIFT);
    if (k > 0)
        left_shift(a, (unsigned)k);
    else if (k < 0)
        right_shift(a, (unsigned)-k);
}

/* The integer part of a, rounded to nearest, ties to even. dp <= 20. */
static uint64_t rounded_integer(const decimal *a) {
    uint64_t n = 0;
    int i, up;
    for (i = 0; i < a->dp; i++)
        n = n * 10 + (i < a->nd ? a->d[i] : 0);
    if (a->dp < 0 || a->dp >= a->nd)
        return n;
    if (a->d[a->dp] == 5 && a->dp + 1 == a->nd) /* exactly halfway, as far as known */
        up = a->trunc || (a->dp > 0 && (a->d[a->dp - 1] & 1));
    else
        up = a->d[a->dp] >= 5;
    return n + (uint64_t)up;
}

static const unsigned char powtab[] = {1, 3, 6, 9, 13, 16, 19, 23, 26};

/* The double nearest a, as IEEE 754 binary64 bits without the sign. */
static uint64_t to_bits(decimal *a, int *overflow) {
    int exp = 0;
    uint64_t mant;

    if (a->nd == 0 || a->dp < -330)
        return 0;
    if (a->dp > 310)
        goto inf;
    while (a->dp > 0) {
        int n = a->dp >= 9 ? 27 : powtab[a->dp];
        shift(a, -n);
        exp += n;
    }
    while (a->dp < 0 || (a->dp == 0 && a->d[0] < 5)) {
        int n = -a->dp >= 9 ? 27 : powtab[-a->dp];
        shift(a, n);
        exp -= n;
    }
    exp--; /* [0.5, 1) to [1, 2) */
    if (exp < -1022) {
        shift(a, exp + 1022);
        exp = -1022;
    }
    if (exp > 1023)
        goto inf;
    shift(a, 53);
    mant = rounded_integer(a);
    if (mant == (uint64_t)1 << 53) {
        mant >>= 1;
        if (++exp > 1023)
            goto inf;
    }
    if (!(mant >> 52)) /* subnormal */
        return mant;
    return (mant & (((uint64_t)1 << 52) - 1)) | (uint64_t)(exp + 1023) << 52;
inf:
    *overflow = 1;
    return (uint64_t)0x7ff << 52;
}

double cw_strtod(const char *s, char **end, int *overflow) {
    decimal a; /* 812 bytes of stack */
    const char *p = s;
    int neg = 0, digits = 0, dot = 0, of = 0, dropped = 0; /* integer digits past DIGITS */
    uint64_t bits, m = 0;
    double v;

    a.nd = a.dp = a.trunc = 0;
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    for (;; p++) {
        if (*p >= '0' && *p <= '9') {
            digits = 1;
            if (*p == '0' && a.nd == 0) {
                a.dp--; /* leading zero */
            } else if (a.nd < DIGITS) {
                if (a.nd < 19)
                    m = m * 10 + (uint64_t)(*p - '0');
                a.d[a.nd++] = (unsigned char)(*p - '0');
            } else {
                dropped += !dot && dropped < 100000; /* still moves the point */
                a.trunc |= *p != '0';
            }
        } else if (*p == '.' && !dot) {
            dot = 1;
            a.dp = a.nd + dropped;
        } else {
            break;
        }
    }
    if (!digits) {
        if (end)
            *end = (char *)s;
        return 0;
    }
    if (!dot)
        a.dp = a.nd + dropped;
    if (*p == 'e' || *p == 'E') {
        const char *q = p + 1;
        int eneg = 0, e = 0;
        if (*q == '-' || *q == '+')
            eneg = *q++ == '-';
        if (*q >= '0' && *q <= '9') {
            for (; *q >= '0' && *q <= '9'; q++)
                if (e < 10000)
                    e = e * 10 + (*q - '0');
            a.dp += eneg ? -e : e;
            p = q;
        }
    }
    if (end)
        *end = (char *)p;
    /* Fast path: up to 15 digits and a power of ten up to 22 are exact as
     * doubles, so one multiplication or division rounds correctly. */
    if (a.nd <= 15 && !a.trunc && a.dp - a.nd >= -22 && a.dp - a.nd <= 22) {
        double scale = 1;
        int e = a.dp - a.nd;
        for (int i = e < 0 ? -e : e; i > 0; i--)
            scale *= 10;
        v = a.nd ? (e < 0 ? (double)m / scale : (double)m * scale) : 0;
    } else {
        bits = to_bits(&a, &of);
        memcpy(&v, &bits, sizeof v);
    }
    if (overflow)
        *overflow = of;
    return neg ? -v : v;
}
