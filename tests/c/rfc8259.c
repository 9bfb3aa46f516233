/* rfc8259.c - strict JSON recognizer (see rfc8259.h). One function per rule
 * of the RFC's ABNF; each returns 1 and advances, or returns 0. */
#include "rfc8259.h"

#include <string.h>

typedef struct {
    const unsigned char *p, *end;
    int depth, max_depth, too_deep;
} rd;

static int peek(rd *r) { return r->p < r->end ? *r->p : -1; }

/* ws = *( %x20 / %x09 / %x0A / %x0D ) */
static void ws(rd *r) {
    while (r->p < r->end && (*r->p == 0x20 || *r->p == 0x09 || *r->p == 0x0A || *r->p == 0x0D))
        r->p++;
}

static int lit(rd *r, const char *s) {
    const unsigned char *q = r->p;
    for (; *s; s++, q++)
        if (q >= r->end || *q != (unsigned char)*s)
            return 0;
    r->p = q;
    return 1;
}

static int digit(int c) { return c >= '0' && c <= '9'; }
static int hexdig(int c) { return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

/* number = [ minus ] int [ frac ] [ exp ] */
static int number(rd *r) {
    if (peek(r) == '-')
        r->p++;
    if (peek(r) == '0') {
        r->p++;
    } else if (peek(r) >= '1' && peek(r) <= '9') {
        while (digit(peek(r)))
            r->p++;
    } else {
        return 0;
    }
    if (peek(r) == '.') {
        r->p++;
        if (!digit(peek(r)))
            return 0;
        while (digit(peek(r)))
            r->p++;
    }
    if (peek(r) == 'e' || peek(r) == 'E') {
        r->p++;
        if (peek(r) == '+' || peek(r) == '-')
            r->p++;
        if (!digit(peek(r)))
            return 0;
        while (digit(peek(r)))
            r->p++;
    }
    return 1;
}

/* One UTF-8 encoded scalar value of U+0080..U+10FFFF (RFC 3629 section 4:
 * no overlong forms, no surrogates). */
static int utf8_multibyte(rd *r) {
    int c = *r->p, need;
    unsigned long cp;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
        cp = (unsigned long)c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        cp = (unsigned long)c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        cp = (unsigned long)c & 0x07;
    } else {
        return 0;
    }
    if (r->end - r->p <= need)
        return 0;
    for (int i = 1; i <= need; i++) {
        if ((r->p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (r->p[i] & 0x3F);
    }
    if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    r->p += need + 1;
    return 1;
}

/* string = quotation-mark *char quotation-mark */
static int string(rd *r) {
    if (peek(r) != '"')
        return 0;
    r->p++;
    for (;;) {
        int c = peek(r);
        if (c < 0)
            return 0;
        if (c == '"') {
            r->p++;
            return 1;
        }
        if (c == '\\') {
            r->p++;
            c = peek(r);
            if (c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' || c == 'r' ||
                c == 't') {
                r->p++;
            } else if (c == 'u') {
                r->p++;
                for (int i = 0; i < 4; i++, r->p++)
                    if (!hexdig(peek(r)))
                        return 0;
            } else {
                return 0;
            }
        } else if (c < 0x20) {
            return 0; /* unescaped = %x20-21 / %x23-5B / %x5D-10FFFF */
        } else if (c < 0x80) {
            r->p++;
        } else if (!utf8_multibyte(r)) {
            return 0;
        }
    }
}

static int value(rd *r);

/* begin-X = ws %xNN ws, end-X likewise; members and elements between. */
static int container(rd *r, int open, int close, int members) {
    r->p++;
    if (++r->depth > r->max_depth) {
        r->too_deep = 1;
        return 0;
    }
    ws(r);
    if (peek(r) == close) {
        r->p++;
        r->depth--;
        return 1;
    }
    for (;;) {
        if (members) {
            if (!string(r))
                return 0;
            ws(r);
            if (peek(r) != ':')
                return 0;
            r->p++;
            ws(r);
        }
        if (!value(r))
            return 0;
        ws(r);
        if (peek(r) == ',') {
            r->p++;
            ws(r);
            continue;
        }
        if (peek(r) != close)
            return 0;
        r->p++;
        r->depth--;
        (void)open;
        return 1;
    }
}

/* value = false / null / true / object / array / number / string */
static int value(rd *r) {
    switch (peek(r)) {
    case 'f':
        return lit(r, "false");
    case 'n':
        return lit(r, "null");
    case 't':
        return lit(r, "true");
    case '{':
        return container(r, '{', '}', 1);
    case '[':
        return container(r, '[', ']', 0);
    case '"':
        return string(r);
    default:
        return number(r);
    }
}

/* JSON-text = ws value ws */
int rfc8259_recognize(const char *p, size_t n, int max_depth) {
    rd r = {(const unsigned char *)p, (const unsigned char *)p + n, 0, max_depth, 0};
    int ok;
    ws(&r);
    ok = value(&r);
    ws(&r);
    if (r.too_deep)
        return RFC8259_TOO_DEEP;
    return ok && r.p == r.end ? RFC8259_VALID : RFC8259_INVALID;
}

int rfc8259_product_limit(const char *msg) {
    static const char *const limits[] = {
        "JSON nesting is deeper than",
        "JSON holds more than",
        "JSON has a duplicate key",
        ": lone surrogate escape",
        ": \\u0000 is not allowed in an object key",
    };
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++)
        if (strstr(msg, limits[i]))
            return 1;
    return 0;
}
