/* cwp.c - the plugin runtime: ABI exports, arena, output and JSON reading.
 * Linked into every plugin; see cwp.h for the contract. */
#include "cwp.h"

#include <stdlib.h>
#include <string.h>

/* --- arena ------------------------------------------------------------- */

/* Set when an allocation fails during a call: the call then answers 500,
 * whatever the entry point made of the failure (a check it could not run
 * must not pass). */
static int out_of_memory;

#ifdef __wasm__
extern unsigned char __heap_base;
static uintptr_t top;

void *cwp_mem(size_t n) {
    uintptr_t p = ((top ? top : (uintptr_t)&__heap_base) + 7) & ~(uintptr_t)7;
    size_t have = __builtin_wasm_memory_size(0) << 16;
    if (n > UINTPTR_MAX - p ||
        (p + n > have &&
         __builtin_wasm_memory_grow(0, (p + n - have + 65535) >> 16) == (size_t)-1)) {
        out_of_memory = 1;
        return NULL;
    }
    top = p + n;
    return (void *)p;
}

CWP_EXPORT(cwp_alloc) void *cwp_alloc(size_t n) {
    top = 0;
    out_of_memory = 0;
    return cwp_mem(n);
}
#else
/* Natively (the fuzzers): each allocation is its own malloc block, so the
 * sanitizers see every bound; a call's blocks are freed by the next call. */
static void **blocks;

void *cwp_mem(size_t n) {
    void **b = n < ((size_t)1 << 30) ? malloc(sizeof(void *) + (n ? n : 1)) : NULL;
    if (!b) {
        out_of_memory = 1;
        return NULL;
    }
    b[0] = blocks;
    blocks = b;
    return b + 1;
}

void *cwp_alloc(size_t n) {
    out_of_memory = 0;
    while (blocks) {
        void **next = blocks[0];
        free(blocks);
        blocks = next;
    }
    return cwp_mem(n);
}
#endif

static cwp_out result;

cwp_out *cwp_run(cwp_entry fn, const char *in, size_t n) {
    cwp_buf b = {0};
    int status = fn((cwp_slice){in, n}, &b);
    if (b.broken || out_of_memory) {
        b = (cwp_buf){0};
        status = cwp_error(&b, 500, "out_of_memory", "the plugin ran out of memory");
    }
    result = (cwp_out){(uint32_t)status, b.p, (uint32_t)b.len};
    return &result;
}

/* --- output ------------------------------------------------------------ */

void cwp_put(cwp_buf *b, const char *p, size_t n) {
    if (b->broken || !n)
        return;
    if (b->len + n > b->cap) {
        size_t cap = (b->len + n) * 2 + 64;
        char *q = cwp_mem(cap);
        if (!q) {
            b->broken = 1;
            return;
        }
        if (b->len)
            memcpy(q, b->p, b->len);
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

void cwp_puts(cwp_buf *b, const char *s) { cwp_put(b, s, strlen(s)); }

/* Length of the valid UTF-8 sequence at s[0..n) (n >= 1), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n) {
    size_t len = s[0] < 0xc2 ? 0 : s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : s[0] < 0xf5 ? 4 : 0;
    if (len == 0 || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) || /* overlong, surrogate */
        (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))   /* overlong, > U+10FFFF */
        return 0;
    return len;
}

void cwp_put_str(cwp_buf *b, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    size_t run = 0;
    cwp_put(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        size_t len;
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\')
            continue;
        if (c >= 0x80 && (len = utf8_len((const unsigned char *)s + i, n - i))) {
            i += len - 1;
            continue;
        }
        cwp_put(b, s + run, i - run);
        run = i + 1;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            cwp_put(b, e, 2);
        } else if (c >= 0x80) {
            cwp_put(b, "\\ufffd", 6); /* not UTF-8: the replacement character */
        } else {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            cwp_put(b, e, 6);
        }
    }
    cwp_put(b, s + run, n - run);
    cwp_put(b, "\"", 1);
}

void cwp_put_uint(cwp_buf *b, unsigned long v) {
    char d[24];
    int i = sizeof d;
    do
        d[--i] = (char)('0' + v % 10);
    while (v /= 10);
    cwp_put(b, d + i, sizeof d - (size_t)i);
}

int cwp_error(cwp_buf *b, int status, const char *code, const char *message) {
    b->len = 0;
    cwp_puts(b, "{\"error\":{\"code\":");
    cwp_put_str(b, code, strlen(code));
    cwp_puts(b, ",\"message\":");
    cwp_put_str(b, message, strlen(message));
    cwp_puts(b, "}}");
    return status;
}

int cwp_is(cwp_slice x, const char *s) { return x.n == strlen(s) && memcmp(x.p, s, x.n) == 0; }

/* --- JSON reading ------------------------------------------------------- */

static const char *ws(const char *p, const char *e) {
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

static const char *skip_string(const char *p, const char *e) {
    for (p++; p < e; p++) {
        if (*p == '"')
            return p + 1;
        if (*p == '\\')
            p++;
        else if ((unsigned char)*p < 0x20)
            return NULL;
    }
    return NULL;
}

static const char *skip(const char *p, const char *e, int depth);

static const char *skip_container(const char *p, const char *e, int depth) {
    char close = *p == '{' ? '}' : ']';
    int object = *p == '{';
    if (depth > 128)
        return NULL;
    p = ws(p + 1, e);
    if (p < e && *p == close)
        return p + 1;
    for (;;) {
        if (object) {
            if (p >= e || *p != '"' || !(p = skip_string(p, e)))
                return NULL;
            p = ws(p, e);
            if (p >= e || *p != ':')
                return NULL;
            p = ws(p + 1, e);
        }
        if (!(p = skip(p, e, depth + 1)))
            return NULL;
        p = ws(p, e);
        if (p < e && *p == close)
            return p + 1;
        if (p >= e || *p != ',')
            return NULL;
        p = ws(p + 1, e);
    }
}

static const char *skip_literal(const char *p, const char *e, const char *lit) {
    size_t n = strlen(lit);
    return (size_t)(e - p) >= n && memcmp(p, lit, n) == 0 ? p + n : NULL;
}

static const char *skip(const char *p, const char *e, int depth) {
    const char *s;
    if (p >= e)
        return NULL;
    switch (*p) {
    case '{':
    case '[':
        return skip_container(p, e, depth);
    case '"':
        return skip_string(p, e);
    case 't':
        return skip_literal(p, e, "true");
    case 'f':
        return skip_literal(p, e, "false");
    case 'n':
        return skip_literal(p, e, "null");
    }
    s = p;
    if (p < e && *p == '-')
        p++;
    if (p >= e || *p < '0' || *p > '9')
        return NULL;
    while (p < e && ((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' || *p == 'E' || *p == '+' ||
                     *p == '-'))
        p++;
    return p > s ? p : NULL;
}

cwp_slice cwpj_value(cwp_slice s) {
    const char *e = s.p + s.n, *p = ws(s.p, e), *end = skip(p, e, 0);
    return end ? (cwp_slice){p, (size_t)(end - p)} : (cwp_slice){NULL, 0};
}

void cwpj_begin(cwpj_iter *it, cwp_slice c) {
    it->p = c.n ? c.p + 1 : c.p;
    it->e = c.n ? c.p + c.n - 1 : c.p;
    it->n = 0;
}

int cwpj_next(cwpj_iter *it, cwp_slice *key, cwp_slice *val) {
    const char *p = ws(it->p, it->e), *q;
    if (p >= it->e)
        return 0;
    if (it->n) {
        if (*p != ',')
            return -1;
        p = ws(p + 1, it->e);
    }
    if (key && p < it->e && *p == '"') {
        if (!(q = skip_string(p, it->e)))
            return -1;
        *key = (cwp_slice){p, (size_t)(q - p)};
        p = ws(q, it->e);
        if (p >= it->e || *p != ':')
            return -1;
        p = ws(p + 1, it->e);
    } else if (key) {
        return -1;
    }
    if (!(q = skip(p, it->e, 1)))
        return -1;
    *val = (cwp_slice){p, (size_t)(q - p)};
    it->p = q;
    it->n++;
    return 1;
}

static int hexval(const char *p, unsigned *out) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v = v * 16 + (unsigned)(c >= '0' && c <= '9'   ? c - '0'
                                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                       : 99);
        if (v > 0xffff)
            return -1;
    }
    *out = v;
    return 0;
}

/* Decodes the next character of a JSON string body at *pp (before e) into
 * out as UTF-8. Returns its length (1-4), 0 at e, -1 when malformed. */
static int decode_char(const char **pp, const char *e, char out[4]) {
    const char *p = *pp;
    unsigned c, lo;
    if (p >= e)
        return 0;
    if (*p != '\\') {
        out[0] = *p;
        *pp = p + 1;
        return 1;
    }
    if (++p >= e)
        return -1;
    switch (*p++) {
    case 'b':
        c = '\b';
        break;
    case 'f':
        c = '\f';
        break;
    case 'n':
        c = '\n';
        break;
    case 'r':
        c = '\r';
        break;
    case 't':
        c = '\t';
        break;
    case 'u':
        if (e - p < 4 || hexval(p, &c) < 0)
            return -1;
        p += 4;
        if (c >= 0xd800 && c < 0xdc00 && e - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
            hexval(p + 2, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
            c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
            p += 6;
        }
        break;
    default:
        c = (unsigned char)p[-1];
        break;
    }
    *pp = p;
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xc0 | c >> 6);
        out[1] = (char)(0x80 | (c & 63));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (char)(0xe0 | c >> 12);
        out[1] = (char)(0x80 | (c >> 6 & 63));
        out[2] = (char)(0x80 | (c & 63));
        return 3;
    }
    out[0] = (char)(0xf0 | c >> 18);
    out[1] = (char)(0x80 | (c >> 12 & 63));
    out[2] = (char)(0x80 | (c >> 6 & 63));
    out[3] = (char)(0x80 | (c & 63));
    return 4;
}

int cwpj_str(cwp_slice raw, cwp_slice *out) {
    const char *p, *e;
    char *d;
    size_t n = 0;
    int len;
    if (raw.n < 2 || raw.p[0] != '"')
        return -1;
    p = raw.p + 1;
    e = raw.p + raw.n - 1;
    if (!memchr(p, '\\', (size_t)(e - p))) {
        *out = (cwp_slice){p, (size_t)(e - p)};
        return 0;
    }
    if (!(d = cwp_mem((size_t)(e - p)))) /* decoding never lengthens */
        return -1;
    while ((len = decode_char(&p, e, d + n)) > 0)
        n += (size_t)len;
    if (len < 0)
        return -1;
    *out = (cwp_slice){d, n};
    return 0;
}

/* Compares while decoding: lookups allocate nothing, however many there are. */
int cwpj_key_is(cwp_slice raw, const char *s, size_t n) {
    const char *p, *e;
    char c[4];
    size_t at = 0;
    int len;
    if (raw.n < 2 || raw.p[0] != '"')
        return 0;
    p = raw.p + 1;
    e = raw.p + raw.n - 1;
    while ((len = decode_char(&p, e, c)) > 0) {
        if (at + (size_t)len > n || memcmp(s + at, c, (size_t)len) != 0)
            return 0;
        at += (size_t)len;
    }
    return len == 0 && at == n;
}

cwp_slice cwpj_get(cwp_slice obj, const char *key) { return cwpj_getn(obj, key, strlen(key)); }

cwp_slice cwpj_getn(cwp_slice obj, const char *key, size_t n) {
    cwpj_iter it;
    cwp_slice k, v, found = {NULL, 0};
    if (!obj.n || obj.p[0] != '{')
        return found;
    cwpj_begin(&it, obj);
    while (cwpj_next(&it, &k, &v) == 1)
        if (cwpj_key_is(k, key, n))
            found = v;
    return found;
}

int cwpj_num(cwp_slice v, double *out) {
    char *s, *end;
    if (!v.n || !(v.p[0] == '-' || (v.p[0] >= '0' && v.p[0] <= '9')) || !(s = cwp_mem(v.n + 1)))
        return -1;
    memcpy(s, v.p, v.n);
    s[v.n] = '\0';
    *out = strtod(s, &end);
    return end == s + v.n ? 0 : -1;
}

int cwpj_equal(cwp_slice a, cwp_slice b) {
    cwpj_iter ia, ib;
    cwp_slice ka, va, kb, vb;
    int n = 0, m = 0;
    double x, y;
    if (!a.n || !b.n)
        return 0;
    if (cwpj_num(a, &x) == 0)
        return cwpj_num(b, &y) == 0 && x == y;
    if (a.p[0] != b.p[0])
        return 0;
    if (a.p[0] == '"') {
        return cwpj_str(a, &ka) == 0 && cwpj_str(b, &kb) == 0 && ka.n == kb.n &&
               memcmp(ka.p, kb.p, ka.n) == 0;
    }
    if (a.p[0] == '[') {
        cwpj_begin(&ia, a);
        cwpj_begin(&ib, b);
        for (;;) {
            int ra = cwpj_next(&ia, NULL, &va), rb = cwpj_next(&ib, NULL, &vb);
            if (ra != rb || ra < 0)
                return 0;
            if (ra == 0)
                return 1;
            if (!cwpj_equal(va, vb))
                return 0;
        }
    }
    if (a.p[0] == '{') {
        cwpj_begin(&ib, b);
        while (cwpj_next(&ib, &kb, &vb) == 1)
            m++;
        cwpj_begin(&ia, a);
        while (cwpj_next(&ia, &ka, &va) == 1) {
            cwp_slice k, other = {NULL, 0};
            n++;
            if (cwpj_str(ka, &k) < 0)
                return 0;
            cwpj_begin(&ib, b);
            while (cwpj_next(&ib, &kb, &vb) == 1)
                if (cwpj_key_is(kb, k.p, k.n))
                    other = vb;
            if (!other.n || !cwpj_equal(va, other))
                return 0;
        }
        return n == m;
    }
    return a.n == b.n && memcmp(a.p, b.p, a.n) == 0; /* true, false, null */
}
