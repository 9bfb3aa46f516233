/* fmt.c - a small vsnprintf and strtoll (see fmt.h for why). */
#include "fmt.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    char *buf;
    size_t size; /* capacity including the NUL */
    size_t len;  /* characters produced so far, written or not */
} out_t;

static void put(out_t *o, char c) {
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void pad(out_t *o, char c, int n) {
    while (n-- > 0)
        put(o, c);
}

/* Writes the digits of v in base (10 or 16), honouring width and flags. */
static void put_uint(out_t *o, uintmax_t v, int neg, unsigned base, int upper, int width, int zero,
                     int left) {
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0, len;
    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);
    len = n + neg;
    if (!left && !zero)
        pad(o, ' ', width - len);
    if (neg)
        put(o, '-');
    if (!left && zero)
        pad(o, '0', width - len);
    while (n)
        put(o, tmp[--n]);
    if (left)
        pad(o, ' ', width - len);
}

int cw_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) {
    out_t o = {buf, size, 0};

    for (const char *p = fmt; *p; p++) {
        const char *start = p;
        int left = 0, zero = 0, width = 0, prec = -1, lng = 0;
        if (*p != '%') {
            put(&o, *p);
            continue;
        }
        p++;
        for (;; p++) {
            if (*p == '-')
                left = 1;
            else if (*p == '0')
                zero = 1;
            else
                break;
        }
        if (*p == '*') {
            width = va_arg(ap, int);
            if (width < 0) {
                left = 1;
                width = -width;
            }
            p++;
        } else {
            while (*p >= '0' && *p <= '9')
                width = width * 10 + (*p++ - '0');
        }
        if (*p == '.') {
            p++;
            prec = 0;
            if (*p == '*') {
                prec = va_arg(ap, int);
                p++;
            } else {
                while (*p >= '0' && *p <= '9')
                    prec = prec * 10 + (*p++ - '0');
            }
        }
        /* lng: 0 int, 1 long, 2 long long, 3 intmax_t, 4 size_t, 5 ptrdiff_t
         * (size_t and ptrdiff_t are 4 bytes on wasm32, 8 on the host) */
        for (;; p++) {
            if (*p == 'h')
                continue; /* promoted to int anyway */
            if (*p == 'l')
                lng++;
            else if (*p == 'j')
                lng = 3;
            else if (*p == 'z')
                lng = 4;
            else if (*p == 't')
                lng = 5;
            else
                break;
        }
        switch (*p) {
        case 'd':
        case 'i': {
            intmax_t v = lng == 0   ? va_arg(ap, int)
                         : lng == 1 ? va_arg(ap, long)
                         : lng == 2 ? va_arg(ap, long long)
                         : lng == 4 ? (intmax_t)va_arg(ap, size_t)
                         : lng == 5 ? va_arg(ap, ptrdiff_t)
                                    : va_arg(ap, intmax_t);
            uintmax_t u = v < 0 ? (uintmax_t)0 - (uintmax_t)v : (uintmax_t)v;
            put_uint(&o, u, v < 0, 10, 0, width, zero, left);
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            uintmax_t v = lng == 0   ? va_arg(ap, unsigned)
                          : lng == 1 ? va_arg(ap, unsigned long)
                          : lng == 2 ? va_arg(ap, unsigned long long)
                          : lng == 4 ? va_arg(ap, size_t)
                          : lng == 5 ? (uintmax_t)va_arg(ap, ptrdiff_t)
                                     : va_arg(ap, uintmax_t);
            put_uint(&o, v, 0, *p == 'u' ? 10 : 16, *p == 'X', width, zero, left);
            break;
        }
        case 'p':
            put(&o, '0');
            put(&o, 'x');
            put_uint(&o, (uintptr_t)va_arg(ap, void *), 0, 16, 0, 0, 0, 0);
            break;
        case 'c': {
            char c = (char)va_arg(ap, int);
            if (!left)
                pad(&o, ' ', width - 1);
            put(&o, c);
            if (left)
                pad(&o, ' ', width - 1);
            break;
        }
        case 's': {
            const char *s = va_arg(ap, const char *);
            int n = 0;
            if (!s)
                s = "(null)";
            while ((prec < 0 || n < prec) && s[n])
                n++;
            if (!left)
                pad(&o, ' ', width - n);
            for (int i = 0; i < n; i++)
                put(&o, s[i]);
            if (left)
                pad(&o, ' ', width - n);
            break;
        }
        case '%':
            put(&o, '%');
            break;
        default:
            /* Unsupported: copy the directive as written. */
            for (const char *q = start; q <= p && *q; q++)
                put(&o, *q);
            if (!*p)
                p--;
            break;
        }
    }
    if (o.size)
        o.buf[o.len < o.size ? o.len : o.size - 1] = '\0';
    return o.len > INT_MAX ? INT_MAX : (int)o.len;
}

int cw_snprintf(char *buf, size_t size, const char *fmt, ...) {
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = cw_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

long long cw_strtoll(const char *s, char **end, int base) {
    const char *p = s;
    unsigned long long v = 0, limit;
    int neg = 0, any = 0, over = 0;

    if (base != 10) {
        errno = EINVAL;
        if (end)
            *end = (char *)s;
        return 0;
    }
    while (*p == ' ' || (*p >= '\t' && *p <= '\r'))
        p++;
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    limit = neg ? (unsigned long long)LLONG_MAX + 1 : (unsigned long long)LLONG_MAX;
    for (; *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');
        any = 1;
        if (over || v > (limit - d) / 10)
            over = 1;
        else
            v = v * 10 + d;
    }
    if (end)
        *end = (char *)(any ? p : s);
    if (over) {
        errno = ERANGE;
        return neg ? LLONG_MIN : LLONG_MAX;
    }
    if (neg)
        return v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)v;
    return (long long)v;
}

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
