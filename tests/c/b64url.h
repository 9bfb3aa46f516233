/* b64url.h - base64url without padding (RFC 4648 section 5), for the tests
 * and fuzzers that mint or check tokens independently of src/jwt.c. */
#ifndef CW_TEST_B64URL_H
#define CW_TEST_B64URL_H

#include <stddef.h>

/* Writes p[0..n) to out, NUL-terminated (4 * ceil(n / 3) + 1 bytes do). */
static inline void b64url(const unsigned char *p, size_t n, char *out) {
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned long v = (unsigned long)p[i] << 16 |
                          (i + 1 < n ? (unsigned long)p[i + 1] << 8 : 0) |
                          (i + 2 < n ? p[i + 2] : 0);
        for (int k = 0; k < 4 && (k < 2 || i + (size_t)k - 1 < n); k++)
            out[o++] = a[(v >> (18 - 6 * k)) & 63];
    }
    out[o] = '\0';
}

#endif
