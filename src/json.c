/* json.c - strict JSON check and parse (see json.h).
 *
 * The check is iterative: a byte per open container on a fixed stack, so
 * nesting never costs C stack, whatever the input. */
#include "json.h"

#include <string.h>

typedef struct {
    const unsigned char *p; /* the text */
    size_t n, i;            /* length, position */
    cw_error *err;
} scan;

static int fail(scan *s, const char *what) {
    return cw_error_setf(s->err, CW_E_INVALID_JSON, "invalid JSON at byte %d: %s", (long long)s->i,
                         what);
}

static void ws(scan *s) {
    while (s->i < s->n &&
           (s->p[s->i] == ' ' || s->p[s->i] == '\t' || s->p[s->i] == '\n' || s->p[s->i] == '\r'))
        s->i++;
}

static int at(const scan *s) { return s->i < s->n ? s->p[s->i] : -1; }

static int hexval(int c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Four hex digits after "\u"; returns the code unit, or -1. */
static long hex4(scan *s) {
    long v = 0;
    for (int k = 0; k < 4; k++) {
        int d = hexval(at(s));
        if (d < 0)
            return -1;
        v = v * 16 + d;
        s->i++;
    }
    return v;
}

/* One UTF-8 sequence of two to four bytes at s->i: well-formed, shortest
 * form, no surrogates, at most U+10FFFF (RFC 3629). */
static int utf8(scan *s) {
    const unsigned char *q = s->p + s->i;
    size_t left = s->n - s->i;
    unsigned c = q[0], need, cp, min;
    if (c >= 0xC2 && c <= 0xDF)
        need = 1, cp = c & 0x1F, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        need = 2, cp = c & 0x0F, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        need = 3, cp = c & 0x07, min = 0x10000;
    else
        return fail(s, "byte is not UTF-8");
    if (left <= need)
        return fail(s, "truncated UTF-8 sequence");
    for (unsigned k = 1; k <= need; k++) {
        if ((q[k] & 0xC0) != 0x80)
            return fail(s, "byte is not UTF-8");
        cp = (cp << 6) | (q[k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return fail(s, "byte is not UTF-8");
    s->i += need + 1;
    return 0;
}

static int string(scan *s, int key) {
    s->i++; /* the opening quote */
    for (;;) {
        int c = at(s);
        if (c < 0)
            return fail(s, "string is not terminated");
        if (c == '"') {
            s->i++;
            return 0;
        }
        if (c < 0x20)
            return fail(s, "control character in a string must be escaped");
        if (c >= 0x80) {
            if (utf8(s) < 0)
                return -1;
            continue;
        }
        s->i++;
        if (c != '\\')
            continue;
        c = at(s);
        if (c >= 0 && memchr("\"\\/bfnrt", c, 8) && c) {
            s->i++;
        } else if (c == 'u') {
            long u;
            s->i++;
            if ((u = hex4(s)) < 0)
                return fail(s, "\\u needs four hex digits");
            if (u == 0 && key)
                return fail(s, "\\u0000 is not allowed in an object key");
            if (u >= 0xDC00 && u <= 0xDFFF)
                return fail(s, "lone surrogate escape");
            if (u >= 0xD800 && u <= 0xDBFF) {
                if (at(s) != '\\' || s->i + 1 >= s->n || s->p[s->i + 1] != 'u')
                    return fail(s, "lone surrogate escape");
                s->i += 2;
                u = hex4(s);
                if (u < 0xDC00 || u > 0xDFFF)
                    return fail(s, "lone surrogate escape");
            }
        } else {
            return fail(s, "bad escape in a string");
        }
    }
}

static int digits(scan *s) {
    size_t start = s->i;
    while (at(s) >= '0' && at(s) <= '9')
        s->i++;
    return s->i > start;
}

static int number(scan *s) {
    if (at(s) == '-')
        s->i++;
    if (at(s) == '0')
        s->i++;
    else if (!(at(s) >= '1' && at(s) <= '9') || !digits(s))
        return fail(s, "expected a value");
    if (at(s) == '.') {
        s->i++;
        if (!digits(s))
            return fail(s, "a fraction needs digits");
    }
    if (at(s) == 'e' || at(s) == 'E') {
        s->i++;
        if (at(s) == '+' || at(s) == '-')
            s->i++;
        if (!digits(s))
            return fail(s, "an exponent needs digits");
    }
    return 0;
}

static int literal(scan *s, const char *word) {
    size_t k = strlen(word);
    if (s->n - s->i < k || memcmp(s->p + s->i, word, k) != 0)
        return fail(s, "expected a value");
    s->i += k;
    return 0;
}

/* A key, the colon and the whitespace around it, inside an object. */
static int member_key(scan *s) {
    if (at(s) != '"')
        return fail(s, "expected a string key");
    if (string(s, 1) < 0)
        return -1;
    ws(s);
    if (at(s) != ':')
        return fail(s, "expected ':' after a key");
    s->i++;
    ws(s);
    return 0;
}

int cw_json_check(const char *p, size_t n, int max_depth, long max_containers, cw_json_stats *stats,
                  cw_error *err) {
    unsigned char stack[CW_JSON_MAX_DEPTH]; /* '}' or ']': what closes each level */
    scan s = {(const unsigned char *)p, p ? n : 0, 0, err};
    cw_json_stats local = {0, 0};
    int depth = 0;

    if (!stats)
        stats = &local;
    stats->depth = 0;
    stats->containers = 0;
    if (max_depth > CW_JSON_MAX_DEPTH)
        max_depth = CW_JSON_MAX_DEPTH;
    ws(&s);
    for (;;) {
        int c = at(&s), rc = 0;
        /* A value. */
        if (c == '{' || c == '[') {
            if (depth == max_depth)
                return cw_error_setf(err, CW_E_INVALID_JSON,
                                     "JSON nesting is deeper than %d levels", (long long)max_depth);
            if (++stats->containers > max_containers)
                return cw_error_setf(err, CW_E_INVALID_JSON,
                                     "JSON holds more than %d arrays and objects",
                                     (long long)max_containers);
            stack[depth++] = c == '{' ? '}' : ']';
            if (depth > stats->depth)
                stats->depth = depth;
            s.i++;
            ws(&s);
            if (at(&s) != stack[depth - 1]) {
                if (c == '{' && member_key(&s) < 0)
                    return -1;
                continue;
            }
            s.i++;
            depth--;
        } else if (c == '"') {
            rc = string(&s, 0);
        } else if (c == 't') {
            rc = literal(&s, "true");
        } else if (c == 'f') {
            rc = literal(&s, "false");
        } else if (c == 'n') {
            rc = literal(&s, "null");
        } else if (c < 0) {
            return fail(&s, "expected a value; the text ends");
        } else {
            rc = number(&s);
        }
        if (rc < 0)
            return -1;
        /* After a value: the end, a separator, or closing brackets. */
        for (;;) {
            ws(&s);
            if (depth == 0) {
                if (s.i != s.n)
                    return fail(&s, "unexpected bytes after the JSON value");
                return 0;
            }
            c = at(&s);
            if (c == stack[depth - 1]) {
                s.i++;
                depth--;
                continue;
            }
            if (c != ',')
                return fail(&s, stack[depth - 1] == '}' ? "expected ',' or '}'"
                                                        : "expected ',' or ']'");
            s.i++;
            ws(&s);
            if (stack[depth - 1] == '}' && member_key(&s) < 0)
                return -1;
            break;
        }
    }
}

/* --- building a checked text ---------------------------------------------- */

typedef struct {
    const char *p, *end;
    int depth;
    cw_buf keys[CW_JSON_MAX_DEPTH + 1]; /* each level's current key */
    cw_buf scratch;                     /* a string's or a number's bytes */
    cw_error *err;
    int failed; /* a limit refused it (err set); else a failure is memory */
} build;

static void skip_ws(build *b) {
    while (b->p < b->end && (*b->p == ' ' || *b->p == '\t' || *b->p == '\n' || *b->p == '\r'))
        b->p++;
}

static void put_utf8(cw_buf *o, unsigned long cp) {
    unsigned char u[4];
    size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    static const unsigned char lead[5] = {0, 0, 0xC0, 0xE0, 0xF0};
    for (size_t k = n; k-- > 1; cp >>= 6)
        u[k] = (unsigned char)(0x80 | (cp & 0x3F));
    u[0] = (unsigned char)(lead[n] | cp);
    cw_buf_append(o, (const char *)u, n);
}

static unsigned long hex4_at(const char *p) {
    unsigned long v = 0;
    for (int k = 0; k < 4; k++)
        v = v * 16 + (unsigned long)hexval((unsigned char)p[k]);
    return v;
}

/* A string's decoded bytes into out (the check vouched for its form). */
static int decode_string(build *b, cw_buf *out) {
    out->len = 0;
    b->p++; /* the quote */
    for (;;) {
        const char *run = b->p;
        char c;
        while (*b->p != '"' && *b->p != '\\')
            b->p++;
        cw_buf_append(out, run, (size_t)(b->p - run));
        if (*b->p++ == '"')
            break;
        c = *b->p++;
        if (c == 'u') {
            unsigned long cp = hex4_at(b->p);
            b->p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) { /* a pair: the check saw the low half */
                cp = 0x10000 + ((cp - 0xD800) << 10) + (hex4_at(b->p + 2) - 0xDC00);
                b->p += 6;
            }
            put_utf8(out, cp);
        } else {
            static const char from[] = "bfnrt", to[] = "\b\f\n\r\t";
            const char *at = memchr(from, c, 5);
            cw_buf_append(out, at ? to + (at - from) : &c, 1); /* else " \ / */
        }
    }
    cw_buf_append(out, "", 0); /* a NUL-terminated empty string, even for "" */
    return out->broken ? -1 : 0;
}

/* A 64-bit integer as a Jansson integer; any other number as its text,
 * marked (json.h). */
static json_t *build_number(build *b) {
    const char *start = b->p, *d = start + (*start == '-');
    unsigned long long n = 0, max = 9223372036854775807ULL + (*start == '-');
    int integer = !(*start == '-' && *d == '0'); /* -0 keeps its sign as text */
    while (b->p < b->end && *b->p && memchr("+-0123456789.eE", *b->p, 15))
        b->p++;
    for (; integer && d < b->p; d++) {
        integer = *d >= '0' && *d <= '9' && n <= (max - (unsigned long long)(*d - '0')) / 10;
        n = n * 10 + (unsigned long long)(*d - '0');
    }
    if (integer)
        return json_integer(*start == '-' ? (json_int_t)(0 - n) : (json_int_t)n);
    b->scratch.len = 0;
    cw_buf_append(&b->scratch, "\xff", 1);
    if (cw_buf_append(&b->scratch, start, (size_t)(b->p - start)) < 0)
        return NULL;
    return json_stringn_nocheck(b->scratch.p, b->scratch.len);
}

static json_t *value(build *b);

static json_t *container(build *b, int object) {
    json_t *c = object ? json_object() : json_array();
    cw_buf *key = &b->keys[++b->depth];
    b->p++;
    skip_ws(b);
    if (*b->p == (object ? '}' : ']')) {
        b->p++;
        b->depth--;
        return c;
    }
    while (c) {
        json_t *v;
        if (object) {
            if (decode_string(b, key) < 0)
                break;
            if (json_object_getn(c, key->p, key->len)) {
                json_decref(c);
                cw_error_setf(b->err, CW_E_INVALID_JSON, "JSON has a duplicate key: \"%.48s\"",
                              key->p);
                b->failed = 1;
                return NULL;
            }
            skip_ws(b);
            b->p++; /* ':' */
            skip_ws(b);
        }
        if (!(v = value(b)))
            break;
        if (object ? json_object_setn_new_nocheck(c, key->p, key->len, v) < 0
                   : json_array_append_new(c, v) < 0)
            break;
        skip_ws(b);
        if (*b->p++ != ',') { /* '}' or ']' */
            b->depth--;
            return c;
        }
        skip_ws(b);
    }
    json_decref(c);
    return NULL;
}

static json_t *value(build *b) {
    switch (*b->p) {
    case '{':
    case '[':
        return container(b, *b->p == '{');
    case '"':
        return decode_string(b, &b->scratch) < 0
                   ? NULL
                   : json_stringn_nocheck(b->scratch.p, b->scratch.len);
    case 't':
        b->p += 4;
        return json_true();
    case 'f':
        b->p += 5;
        return json_false();
    case 'n':
        b->p += 4;
        return json_null();
    default:
        return build_number(b);
    }
}

/* Checks p[0..n) (no byte order mark) within the limits, then builds it. */
static json_t *checked(const char *p, size_t n, int max_depth, long max_containers, cw_error *err) {
    build b;
    json_t *v;
    if (cw_json_check(p, n, max_depth, max_containers, NULL, err) < 0)
        return NULL;
    memset(&b, 0, sizeof b);
    b.p = p;
    b.end = p + n;
    b.err = err;
    skip_ws(&b);
    v = value(&b);
    if (!v && !b.failed)
        cw_error_set(err, CW_E_INTERNAL, "out of memory");
    for (int i = 0; i <= CW_JSON_MAX_DEPTH; i++)
        cw_buf_free(&b.keys[i]);
    cw_buf_free(&b.scratch);
    return v;
}

/* Compact JSON text, in the objects' insertion order. Values held here are
 * at most CW_JSON_MAX_DEPTH deep (they were checked), so recursion is
 * bounded. */
static void dump(const json_t *v, cw_buf *out) {
    size_t i = 0;
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        cw_buf_append(out, "{", 1);
        for (void *it = json_object_iter((json_t *)v); it;
             it = json_object_iter_next((json_t *)v, it)) {
            cw_buf_append(out, ",", i++ > 0);
            cw_buf_putjs(out, json_object_iter_key(it), json_object_iter_key_len(it));
            cw_buf_append(out, ":", 1);
            dump(json_object_iter_value(it), out);
        }
        cw_buf_append(out, "}", 1);
        break;
    case JSON_ARRAY:
        cw_buf_append(out, "[", 1);
        for (; i < json_array_size(v); i++) {
            cw_buf_append(out, ",", i > 0);
            dump(json_array_get(v, i), out);
        }
        cw_buf_append(out, "]", 1);
        break;
    case JSON_STRING:
        if (json_string_length(v) && json_string_value(v)[0] == CW_JSON_NUMBER_MARK)
            cw_buf_append(out, json_string_value(v) + 1, json_string_length(v) - 1);
        else
            cw_buf_putjs(out, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER: {
        json_int_t n = json_integer_value(v);
        cw_buf_append(out, "-", n < 0);
        cw_buf_putu(out, n < 0 ? 0 - (unsigned long long)n : (unsigned long long)n);
        break;
    }
    case JSON_REAL:
        out->broken = 1; /* the module holds none: numbers are integers or text */
        break;
    default:
        cw_buf_puts(out, json_is_true(v) ? "true" : json_is_false(v) ? "false" : "null");
    }
}

int cw_json_dump(const json_t *v, cw_buf *out) {
    dump(v, out);
    return out->broken ? -1 : 0;
}

json_t *cw_json_load(const char *p, size_t n) {
    cw_error err;
    return p ? checked(p, n, CW_JSON_MAX_DEPTH, 1L << 30, &err) : NULL;
}

json_t *cw_json_parse(cw_slice text, int max_depth, long max_containers, const char *what,
                      cw_error *err) {
    if (text.n >= 3 && memcmp(text.p, "\xef\xbb\xbf", 3) == 0) {
        text.p += 3;
        text.n -= 3;
    }
    if (text.n == 0) {
        cw_error_set2(err, CW_E_INVALID_JSON, what, " is empty; send a JSON text");
        return NULL;
    }
    return checked(text.p, text.n, max_depth, max_containers, err);
}
