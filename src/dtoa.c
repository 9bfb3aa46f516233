/* dtoa.c - exact digits, then the shortest precision that round-trips. */
#include "dtoa.h"
#include "strtod.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LIMB 1000000000u /* base of the bignum: 9 decimal digits a limb */
#define LIMBS 96         /* 5^1074 * 2^53 has < 800 digits: 89 limbs */

typedef struct {
    uint32_t d[LIMBS]; /* little-endian limbs, each < LIMB */
    int n;             /* limbs in use, >= 1 */
} big_t;

static void big_mul(big_t *b, uint32_t m) {
    uint64_t carry = 0;
    for (int i = 0; i < b->n; i++) {
        uint64_t t = (uint64_t)b->d[i] * m + carry;
        b->d[i] = (uint32_t)(t % LIMB);
        carry = t / LIMB;
    }
    while (carry && b->n < LIMBS) {
        b->d[b->n++] = (uint32_t)(carry % LIMB);
        carry /= LIMB;
    }
}

/* The exact decimal digits of |v| (no leading or trailing zeros) into digits,
 * and the position of the decimal point: value = 0.digits * 10^point.
 * Returns the digit count; 0 for zero. */
static int exact_digits(double v, char *digits, int *point) {
    uint64_t bits, m;
    int e, n = 0, frac = 0;
    big_t b;
    char tmp[LIMBS * 9 + 1];

    memcpy(&bits, &v, sizeof bits);
    m = bits & ((1ULL << 52) - 1);
    e = (int)((bits >> 52) & 0x7ff);
    if (e == 0)
        e = -1074;
    else {
        m |= 1ULL << 52;
        e -= 1075;
    }
    if (m == 0)
        return 0;
    b.d[0] = (uint32_t)(m % LIMB);
    b.d[1] = (uint32_t)((m / LIMB) % LIMB);
    b.n = b.d[1] ? 2 : 1;
    if (m / LIMB / LIMB) {
        b.d[2] = (uint32_t)(m / LIMB / LIMB);
        b.n = 3;
    }
    if (e >= 0) {
        for (; e >= 29; e -= 29)
            big_mul(&b, 1u << 29);
        big_mul(&b, 1u << e);
    } else {
        /* m * 2^e = m * 5^-e / 10^-e */
        frac = -e;
        for (e = frac; e >= 13; e -= 13)
            big_mul(&b, 1220703125u); /* 5^13 */
        for (; e > 0; e--)
            big_mul(&b, 5);
    }
    for (int i = b.n - 1; i >= 0; i--) {
        uint32_t limb = b.d[i];
        for (int k = 8; k >= 0; k--) {
            tmp[n + k] = (char)('0' + limb % 10);
            limb /= 10;
        }
        n += 9;
    }
    {
        int lead = 0, len;
        while (lead < n - 1 && tmp[lead] == '0')
            lead++;
        len = n - lead;
        *point = len - frac;
        while (len > 1 && tmp[lead + len - 1] == '0')
            len--;
        memcpy(digits, tmp + lead, (size_t)len);
        return len;
    }
}

/* Rounds digits[0..n) to p significant digits, half to even, in out.
 * Returns the new point (one more when rounding carries into a new digit). */
static int round_digits(const char *digits, int n, int point, int p, char *out, int *outn) {
    int up = 0;
    memcpy(out, digits, (size_t)(n < p ? n : p));
    if (n <= p) {
        *outn = n;
        return point;
    }
    if (digits[p] > '5')
        up = 1;
    else if (digits[p] == '5') {
        up = (digits[p - 1] - '0') & 1;
        for (int i = p + 1; i < n && !up; i++)
            up = digits[i] != '0';
    }
    *outn = p;
    if (up) {
        int i = p - 1;
        while (i >= 0 && out[i] == '9')
            out[i--] = '0';
        if (i >= 0)
            out[i]++;
        else {
            out[0] = '1';
            point++;
        }
    }
    while (*outn > 1 && out[*outn - 1] == '0')
        (*outn)--;
    return point;
}

/* Formats sign, digits and point as %g would with precision p. */
static int format_g(int neg, const char *d, int n, int point, int p, char *buf, size_t size) {
    char s[40];
    int len = 0, x = point - 1; /* decimal exponent of the first digit */
    if (neg)
        s[len++] = '-';
    if (x < -4 || x >= p) {
        s[len++] = d[0];
        if (n > 1) {
            s[len++] = '.';
            memcpy(s + len, d + 1, (size_t)(n - 1));
            len += n - 1;
        }
        s[len++] = 'e';
        s[len++] = x < 0 ? '-' : '+';
        if (x < 0)
            x = -x;
        if (x >= 100)
            s[len++] = (char)('0' + x / 100);
        s[len++] = (char)('0' + x / 10 % 10);
        s[len++] = (char)('0' + x % 10);
    } else if (point <= 0) {
        s[len++] = '0';
        s[len++] = '.';
        for (int i = point; i < 0; i++)
            s[len++] = '0';
        memcpy(s + len, d, (size_t)n);
        len += n;
    } else {
        for (int i = 0; i < point; i++)
            s[len++] = i < n ? d[i] : '0';
        if (n > point) {
            s[len++] = '.';
            memcpy(s + len, d + point, (size_t)(n - point));
            len += n - point;
        }
    }
    if ((size_t)len + 1 > size)
        return -1;
    memcpy(buf, s, (size_t)len);
    buf[len] = '\0';
    return len;
}

int cw_dtoa_real(double v, char *buf, size_t size) {
    int n = cw_dtoa(v, buf, size);
    if (n < 0 || strchr(buf, '.') || strchr(buf, 'e'))
        return n;
    if ((size_t)n + 3 > size)
        return -1;
    memcpy(buf + n, ".0", 3);
    return n + 2;
}

int cw_dtoa(double v, char *buf, size_t size) {
    char digits[LIMBS * 9 + 1], r[20];
    int n, point = 0, neg = (v < 0) || (v == 0 && 1 / v < 0);

    if (v != v || v - v != 0) /* NaN or infinity */
        return -1;
    n = exact_digits(v, digits, &point);
    if (n == 0)
        return format_g(neg, "0", 1, 1, 1, buf, size);
    for (int p = 1; p <= 17; p++) {
        int rn, rp = round_digits(digits, n, point, p, r, &rn);
        int len = format_g(neg, r, rn, rp, p, buf, size);
        if (len < 0)
            return -1;
        if (p == 17 || cw_strtod(buf, NULL, NULL) == v)
            return len;
    }
    return -1;
}
