/* fmt.c - see fmt.h. */
#include "fmt.h"

#include <string.h>

size_t cw_utoa(char *out, unsigned long long v) {
    char tmp[20];
    size_t n = 0;
    do {
        tmp[sizeof tmp - ++n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    memcpy(out, tmp + sizeof tmp - n, n);
    return n;
}
