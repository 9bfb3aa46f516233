/* buf.c - growable byte buffer. */
#include "buf.h"

#include <string.h>

#include "alloc.h"
#include "fmt.h"

/* Grows b to hold need bytes, or breaks it. Capacities are 2^k - 8: the
 * allocator's size classes less its 8-byte header (alloc.h), so a buffer
 * fills its block instead of spilling into one twice the size. */
static int grow(cw_buf *b, size_t need) {
    size_t cap = 56;
    char *p;
    while (cap < need) {
        if (cap > ((size_t)-1) / 2) {
            b->broken = 1;
            return -1;
        }
        cap = cap * 2 + 8;
    }
    p = cw_alloc_resize(b->p, cap);
    if (!p) {
        b->broken = 1;
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

int cw_buf_reserve(cw_buf *b, size_t n) {
    if (b->broken ||
        (b->len + n + 1 > b->cap && (n > (size_t)-1 / 2 || grow(b, b->len + n + 1) < 0)))
        return -1;
    if (!b->len)
        b->p[0] = '\0';
    return 0;
}

int cw_buf_append(cw_buf *b, const char *s, size_t n) {
    if (b->broken)
        return -1;
    if (b->len + n + 1 > b->cap && (n > (size_t)-1 / 2 || grow(b, b->len + n + 1) < 0))
        return -1;
    if (n)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

size_t cw_buf_putjs_part(cw_buf *b, const char *s, size_t n, size_t room) {
    static const char hex[] = "0123456789ABCDEF"; /* as Jansson writes them */
    size_t run = 0, used = 0, i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        /* pairs of a control byte and its short escape letter */
        const char *brief = c && c < 14 ? memchr("\bb\tt\nn\ff\rr", c, 10) : NULL;
        size_t k = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        size_t w = c >= 0x20 && c != '"' && c != '\\' ? k : c == '"' || c == '\\' || brief ? 2 : 6;
        if (used + w > room || (i + k > n && room != (size_t)-1))
            break; /* no room, or a sequence the next part completes */
        used += w;
        if (w == k) {
            i += k;
            continue;
        }
        cw_buf_append(b, s + run, i - run);
        if (w == 2) {
            esc[1] = brief ? brief[1] : (char)c;
            cw_buf_append(b, esc, 2);
        } else {
            cw_buf_append(b, esc, 6);
        }
        run = ++i;
    }
    if (i > n)
        i = n;
    cw_buf_append(b, s + run, i - run);
    return i;
}

int cw_buf_putjs(cw_buf *b, const char *s, size_t n) {
    cw_buf_append(b, "\"", 1);
    cw_buf_putjs_part(b, s, n, (size_t)-1);
    return cw_buf_append(b, "\"", 1);
}

int cw_buf_key(cw_buf *b, const char *key) {
    if (b->len && b->p[b->len - 1] != '{' && b->p[b->len - 1] != '[')
        cw_buf_append(b, ",", 1);
    cw_buf_putjs(b, key, strlen(key));
    return cw_buf_append(b, ":", 1);
}

int cw_buf_kstr(cw_buf *b, const char *key, const char *s) {
    cw_buf_key(b, key);
    return s ? cw_buf_putjs(b, s, strlen(s)) : cw_buf_puts(b, "null");
}

int cw_buf_kint(cw_buf *b, const char *key, long long v) {
    cw_buf_key(b, key);
    cw_buf_append(b, "-", v < 0);
    return cw_buf_putu(b, v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v);
}

int cw_buf_put32(cw_buf *b, uint32_t v) {
    unsigned char le[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                           (unsigned char)(v >> 24)};
    return cw_buf_append(b, (const char *)le, 4);
}

int cw_buf_puts(cw_buf *b, const char *s) { return cw_buf_append(b, s, strlen(s)); }

int cw_buf_putu(cw_buf *b, unsigned long long v) {
    char tmp[20];
    return cw_buf_append(b, tmp, cw_fmt_utoa(tmp, v));
}

void cw_buf_free(cw_buf *b) {
    cw_alloc_free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    b->broken = 0;
}

char *cw_buf_take(cw_buf *b, size_t *len) {
    char *p = b->broken ? NULL : b->p;
    if (!p)
        cw_alloc_free(b->p);
    if (len)
        *len = p ? b->len : 0;
    b->p = NULL;
    b->len = b->cap = 0;
    b->broken = 0;
    return p;
}
