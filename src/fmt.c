/* fmt.c - see fmt.h. */
#include "fmt.h"

#include <string.h>

size_t cw_fmt_utoa(char *out, unsigned long long v) {
    char tmp[20];
    size_t n = 0;
    do {
        tmp[sizeof tmp - ++n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    memcpy(out, tmp + sizeof tmp - n, n);
    return n;
}

int cw_fmt_hex(int c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}
