/* json.c - strict JSON check, parse and writer (see json.h). */
#include "json.h"

#include <string.h>

#include "fmt.h"

/* One pass over a text: checked against RFC 8259 and the limits and, when
 * building, made into Jansson values as it goes. Nesting is bounded by
 * max_depth (at most CW_JSON_MAX_DEPTH), so the recursion is too. */
typedef struct {
    const unsigned char *p; /* the text */
    size_t n, i;            /* length, position */
    cw_error *err;
    int max_depth, depth, build;
    int words; /* name the words toJson writes (unjson) */
    long max_containers;
    cw_json_stats *stats;
    int failed;                               /* an error is recorded (else NULL means no memory) */
    cw_buf scratch;                           /* a string's decoded bytes */
    cw_buf keys[CW_JSON_MAX_DEPTH + 1];       /* each level's current key */
    long index[CW_JSON_MAX_DEPTH + 1];        /* each array level's current index */
    unsigned char obj[CW_JSON_MAX_DEPTH + 1]; /* 1: that level is an object */
} scan;

static json_t *fail(scan *s, const char *what) {
    cw_error_setf(s->err, CW_E_INVALID_JSON, "invalid JSON at byte %d: %s", (long long)s->i, what);
    s->failed = 1;
    return NULL;
}

static void ws(scan *s) {
    while (s->i < s->n &&
           (s->p[s->i] == ' ' || s->p[s->i] == '\t' || s->p[s->i] == '\n' || s->p[s->i] == '\r'))
        s->i++;
}

static int at(const scan *s) { return s->i < s->n ? s->p[s->i] : -1; }

/* Four hex digits after "\u"; returns the code unit, or -1. */
static long hex4(scan *s) {
    long v = 0;
    for (int k = 0; k < 4; k++) {
        int d = cw_fmt_hex(at(s));
        if (d < 0)
            return -1;
        v = v * 16 + d;
        s->i++;
    }
    return v;
}

/* One UTF-8 sequence of two to four bytes at s->i: well-formed, shortest
 * form, no surrogates, at most U+10FFFF (RFC 3629). Returns its length. */
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
        return fail(s, "byte is not UTF-8"), -1;
    if (left <= need)
        return fail(s, "truncated UTF-8 sequence"), -1;
    for (unsigned k = 1; k <= need; k++) {
        if ((q[k] & 0xC0) != 0x80)
            return fail(s, "byte is not UTF-8"), -1;
        cp = (cp << 6) | (q[k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return fail(s, "byte is not UTF-8"), -1;
    return (int)need + 1;
}

int cw_json_utf8(const char *p, size_t n) {
    cw_error err;
    scan s;
    memset(&s, 0, sizeof s);
    s.p = (const unsigned char *)p;
    s.n = n;
    s.err = &err;
    while (s.i < n) {
        int k = s.p[s.i] < 0x80 ? 1 : utf8(&s);
        if (k < 0)
            return 0;
        s.i += (size_t)k;
    }
    return 1;
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

/* A string at s->i: checked, and decoded into out (NUL-terminated) unless
 * out is NULL. Returns 0 or -1. */
static int string(scan *s, cw_buf *out, int key) {
    size_t run;
    if (out)
        out->len = 0;
    run = ++s->i; /* after the opening quote */
    for (;;) {
        int c = at(s), n;
        if (c < 0)
            return fail(s, "string is not terminated"), -1;
        if (c == '"' || c == '\\') {
            if (out)
                cw_buf_append(out, (const char *)s->p + run, s->i - run);
            s->i++;
            if (c == '"')
                return out && cw_buf_append(out, "", 0) < 0 ? -1 : 0;
            c = at(s);
            if (c == 'u') {
                long u;
                s->i++;
                if ((u = hex4(s)) < 0)
                    return fail(s, "\\u needs four hex digits"), -1;
                if (u == 0 && key)
                    return fail(s, "\\u0000 is not allowed in an object key"), -1;
                if (u >= 0xDC00 && u <= 0xDFFF)
                    return fail(s, "lone surrogate escape"), -1;
                if (u >= 0xD800 && u <= 0xDBFF) {
                    long low;
                    if (at(s) != '\\' || s->i + 1 >= s->n || s->p[s->i + 1] != 'u')
                        return fail(s, "lone surrogate escape"), -1;
                    s->i += 2;
                    low = hex4(s);
                    if (low < 0xDC00 || low > 0xDFFF)
                        return fail(s, "lone surrogate escape"), -1;
                    u = 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00);
                }
                if (out)
                    put_utf8(out, (unsigned long)u);
            } else {
                static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
                const char *e = c > 0 ? memchr(from, c, 8) : NULL;
                if (!e)
                    return fail(s, "bad escape in a string"), -1;
                if (out)
                    cw_buf_append(out, to + (e - from), 1);
                s->i++;
            }
            run = s->i;
        } else if (c < 0x20) {
            return fail(s, "control character in a string must be escaped"), -1;
        } else if (c >= 0x80) {
            if ((n = utf8(s)) < 0)
                return -1;
            s->i += (size_t)n;
        } else {
            s->i++;
        }
    }
}

static int digits(scan *s) {
    size_t start = s->i;
    while (at(s) >= '0' && at(s) <= '9')
        s->i++;
    return s->i > start;
}

/* A number: a 64-bit integer as a Jansson integer, any other as its text,
 * marked (json.h). */
static json_t *number(scan *s) {
    size_t start = s->i, d = start + (at(s) == '-');
    unsigned long long n = 0, max = 9223372036854775807ULL + (d > start);
    int integer;
    s->i = d;
    if (at(s) == '0')
        s->i++;
    else if (!(at(s) >= '1' && at(s) <= '9') || !digits(s))
        return fail(s, "expected a value");
    integer = !(d > start && s->p[d] == '0'); /* -0 keeps its sign as text */
    if (at(s) == '.') {
        s->i++;
        if (!digits(s))
            return fail(s, "a fraction needs digits");
        integer = 0;
    }
    if (at(s) == 'e' || at(s) == 'E') {
        s->i++;
        if (at(s) == '+' || at(s) == '-')
            s->i++;
        if (!digits(s))
            return fail(s, "an exponent needs digits");
        integer = 0;
    }
    if (!s->build)
        return json_null();
    for (; integer && d < s->i; d++) {
        integer = n <= (max - (unsigned long long)(s->p[d] - '0')) / 10;
        n = n * 10 + (unsigned long long)(s->p[d] - '0');
    }
    if (integer)
        return json_integer(start < s->i && s->p[start] == '-' ? (json_int_t)(0 - n)
                                                               : (json_int_t)n);
    s->scratch.len = 0;
    cw_buf_append(&s->scratch, "\xff", 1);
    if (cw_buf_append(&s->scratch, (const char *)s->p + start, s->i - start) < 0)
        return NULL;
    return json_stringn_nocheck(s->scratch.p, s->scratch.len);
}

/* The JSON Pointer (RFC 6901) of the value being read, into out (at most
 * cap - 1 bytes, NUL-terminated); "" at the top. Known only while building
 * (the keys are kept then). */
static void pointer(const scan *s, char *out, size_t cap) {
    size_t n = 0;
    for (int d = 1; d <= s->depth && n + 1 < cap; d++) {
        out[n++] = '/';
        if (!s->obj[d]) {
            char digits[24];
            size_t k = 0;
            unsigned long v = (unsigned long)s->index[d];
            do
                digits[k++] = (char)('0' + v % 10);
            while ((v /= 10) && k < sizeof digits);
            while (k && n + 1 < cap)
                out[n++] = digits[--k];
            continue;
        }
        for (size_t i = 0; i < s->keys[d].len && n + 2 < cap; i++) {
            char c = s->keys[d].p[i];
            if (c == '~' || c == '/') {
                out[n++] = '~';
                out[n++] = c == '~' ? '0' : '1';
            } else {
                out[n++] = c;
            }
        }
    }
    out[n < cap ? n : cap - 1] = '\0';
}

/* The words a JavaScript value that JSON cannot carry is written as (the
 * RPC glue writes them so, worker/envelope.js toJson): never JSON, so
 * refused, but, in a text the glue wrote (cw_json_parse_js), named with
 * where they are. The last stands for a whole value JSON.stringify could
 * not write at all. Elsewhere they are bytes like any other. */
static json_t *unjson(scan *s) {
    static const char *const words[] = {"NaN",          "Infinity", "-Infinity",
                                        "undefined",    "bigint",   "function",
                                        "Invalid Date", "symbol",   "unwritable"};
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
        size_t k = strlen(words[w]);
        if (s->n - s->i >= k && memcmp(s->p + s->i, words[w], k) == 0) {
            char where[96];
            pointer(s, where, sizeof where);
            if (w == sizeof words / sizeof words[0] - 1)
                cw_error_set(s->err, CW_E_INVALID_JSON,
                             "the value cannot be written as JSON: JSON.stringify failed on it "
                             "(a cycle, nesting too deep, or a toJSON that threw)");
            else
                cw_error_setf(s->err, CW_E_INVALID_JSON,
                              "%s at \"%s\" is not a JSON value: JSON cannot carry it", words[w],
                              where);
            s->stats->unjson = 1;
            s->failed = 1;
            return NULL;
        }
    }
    return number(s);
}

static json_t *literal(scan *s, const char *word, json_t *v) {
    size_t k = strlen(word);
    if (s->n - s->i < k || memcmp(s->p + s->i, word, k) != 0)
        return s->words ? unjson(s) : fail(s, "expected a value"); /* "function" */
    s->i += k;
    return v;
}

static json_t *value(scan *s);

/* An array or object: when only checking, json_null() stands for it. */
static json_t *container(scan *s, int object) {
    int close = object ? '}' : ']';
    cw_buf *key = s->build ? &s->keys[s->depth + 1] : NULL;
    json_t *c, *v;
    if (s->depth == s->max_depth) {
        cw_error_setf(s->err, CW_E_INVALID_JSON, "JSON nesting is deeper than %d levels",
                      (long long)s->max_depth);
        return s->failed = 1, NULL;
    }
    if (++s->stats->containers > s->max_containers) {
        cw_error_setf(s->err, CW_E_INVALID_JSON, "JSON holds more than %d arrays and objects",
                      (long long)s->max_containers);
        return s->failed = 1, NULL;
    }
    if (++s->depth > s->stats->depth)
        s->stats->depth = s->depth;
    s->obj[s->depth] = (unsigned char)object;
    s->index[s->depth] = 0;
    c = !s->build ? json_null() : object ? json_object() : json_array();
    s->i++;
    ws(s);
    if (at(s) == close) {
        s->i++;
        s->depth--;
        return c;
    }
    while (c) {
        if (object) {
            if (at(s) != '"') {
                fail(s, "expected a string key");
                break;
            }
            if (string(s, key, 1) < 0)
                break;
            if (key && json_object_getn(c, key->p, key->len)) {
                cw_error_setf(s->err, CW_E_INVALID_JSON, "JSON has a duplicate key: \"%.48s\"",
                              key->p);
                s->failed = 1;
                break;
            }
            ws(s);
            if (at(s) != ':') {
                fail(s, "expected ':' after a key");
                break;
            }
            s->i++;
            ws(s);
        }
        if (!(v = value(s)))
            break;
        if (s->build && (object ? json_object_setn_new_nocheck(c, key->p, key->len, v)
                                : json_array_append_new(c, v)) < 0)
            break;
        s->index[s->depth]++;
        ws(s);
        if (at(s) == close) {
            s->i++;
            s->depth--;
            return c;
        }
        if (at(s) != ',') {
            fail(s, object ? "expected ',' or '}'" : "expected ',' or ']'");
            break;
        }
        s->i++;
        ws(s);
    }
    json_decref(c);
    return NULL;
}

static json_t *value(scan *s) {
    switch (at(s)) {
    case '{':
    case '[':
        return container(s, at(s) == '{');
    case '"':
        return string(s, s->build ? &s->scratch : NULL, 0) < 0 ? NULL
               : s->build ? json_stringn_nocheck(s->scratch.p, s->scratch.len)
                          : json_null();
    case 't':
        return literal(s, "true", json_true());
    case 'f':
        return literal(s, "false", json_false());
    case 'n':
        return literal(s, "null", json_null());
    case -1:
        return fail(s, "expected a value; the text ends");
    default:
        return s->words ? unjson(s) : number(s);
    }
}

/* Checks p[0..n) (no byte order mark) within the limits and, when build,
 * makes its value. */
static json_t *run(const char *p, size_t n, int max_depth, long max_containers, int build,
                   int words, cw_json_stats *stats, cw_error *err) {
    scan s;
    cw_json_stats local;
    json_t *v;
    memset(&s, 0, sizeof s);
    s.p = (const unsigned char *)p;
    s.n = p ? n : 0;
    s.err = err;
    s.max_depth = max_depth < CW_JSON_MAX_DEPTH ? max_depth : CW_JSON_MAX_DEPTH;
    s.max_containers = max_containers;
    s.build = build;
    s.words = words;
    s.stats = stats ? stats : &local;
    s.stats->depth = 0;
    s.stats->containers = 0;
    s.stats->unjson = 0;
    ws(&s);
    v = value(&s);
    ws(&s);
    if (v && s.i != s.n) {
        json_decref(v);
        v = fail(&s, "unexpected bytes after the JSON value");
    }
    if (!v && !s.failed)
        cw_error_oom(err);
    for (int i = 0; i <= CW_JSON_MAX_DEPTH; i++)
        cw_buf_free(&s.keys[i]);
    cw_buf_free(&s.scratch);
    return v;
}

int cw_json_check(const char *p, size_t n, int max_depth, long max_containers, cw_json_stats *stats,
                  cw_error *err) {
    return run(p, n, max_depth, max_containers, 0, 0, stats, err) ? 0 : -1;
}

static json_t *checked(const char *p, size_t n, int max_depth, long max_containers, int words,
                       cw_json_stats *stats, cw_error *err) {
    return run(p, n, max_depth, max_containers, 1, words, stats, err);
}

static int is_number_text(const json_t *v) {
    return json_is_string(v) && json_string_length(v) &&
           json_string_value(v)[0] == CW_JSON_NUMBER_MARK;
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
        if (is_number_text(v))
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

const char *cw_json_string(const json_t *v, size_t *n) {
    if (!json_is_string(v) || is_number_text(v))
        return NULL;
    if (n)
        *n = json_string_length(v);
    return json_string_value(v);
}

int cw_json_is_number(const json_t *v) { return json_is_integer(v) || is_number_text(v); }

int cw_json_dump(const json_t *v, cw_buf *out) {
    dump(v, out);
    return out->broken ? -1 : 0;
}

json_t *cw_json_load(const char *p, size_t n) {
    cw_error err;
    return p ? checked(p, n, CW_JSON_MAX_DEPTH, 1L << 30, 0, NULL, &err) : NULL;
}

static json_t *parse(cw_slice text, int max_depth, long max_containers, const char *what, int words,
                     cw_json_stats *stats, cw_error *err) {
    if (stats)
        memset(stats, 0, sizeof *stats);
    if (text.n >= 3 && memcmp(text.p, "\xef\xbb\xbf", 3) == 0) {
        text.p += 3;
        text.n -= 3;
    }
    if (text.n == 0) {
        cw_error_set2(err, CW_E_INVALID_JSON, what, " is empty; send a JSON text");
        return NULL;
    }
    return checked(text.p, text.n, max_depth, max_containers, words, stats, err);
}

json_t *cw_json_parse(cw_slice text, int max_depth, long max_containers, const char *what,
                      cw_json_stats *stats, cw_error *err) {
    return parse(text, max_depth, max_containers, what, 0, stats, err);
}

json_t *cw_json_parse_js(cw_slice text, int max_depth, long max_containers, const char *what,
                         cw_json_stats *stats, cw_error *err) {
    return parse(text, max_depth, max_containers, what, 1, stats, err);
}

int cw_json_peek(const char *p, size_t n, const char *key, cw_slice *out) {
    size_t i = 0, k = strlen(key), s;
    long depth = 0;
    int name = 0, hit = 0, esc; /* at the top: a name is next; the last one was key */
    if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
        i = 3; /* as cw_json_parse skips it */
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
        i++;
    if (i >= n || p[i] != '{')
        return 0;
    for (; i < n; i++) {
        char c = p[i];
        if (c == '"') {
            for (s = ++i, esc = 0; i < n && p[i] != '"'; i++)
                if (p[i] == '\\')
                    esc = 1, i++;
            if (i >= n)
                return 0;
            if (depth == 1 && name)
                hit = !esc && i - s == k && memcmp(p + s, key, k) == 0, name = 0;
            else if (depth == 1 && hit && !esc)
                return *out = (cw_slice){p + s, i - s}, 1;
            else if (depth == 1)
                hit = 0;
        } else if (c == '{' || c == '[') {
            name = ++depth == 1;
            hit = 0;
        } else if (c == '}' || c == ']') {
            if (--depth <= 0)
                return 0;
        } else if (depth == 1 && c == ',') {
            name = 1;
            hit = 0;
        } else if (depth == 1 && c != ':' && c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            hit = 0; /* a value that is not a string */
        }
    }
    return 0;
}

/* --- JSON Pointers ----------------------------------------------------------- */

int cw_json_ptr_push(cw_buf *ptr, const char *key, size_t kn) {
    size_t run = 0;
    cw_buf_append(ptr, "/", 1);
    for (size_t i = 0; i < kn; i++) {
        if (key[i] != '~' && key[i] != '/')
            continue;
        cw_buf_append(ptr, key + run, i - run);
        cw_buf_append(ptr, key[i] == '~' ? "~0" : "~1", 2);
        run = i + 1;
    }
    return cw_buf_append(ptr, key + run, kn - run);
}

int cw_json_ptr_next(const char *p, size_t n, size_t *at, cw_buf *seg) {
    size_t i = *at;
    seg->len = 0;
    if (i >= n)
        return 0;
    if (p[i] != '/')
        return -1;
    for (i++; i < n && p[i] != '/'; i++) {
        if (p[i] != '~') {
            cw_buf_append(seg, p + i, 1);
            continue;
        }
        if (i + 1 >= n || (p[i + 1] != '0' && p[i + 1] != '1'))
            return -1;
        cw_buf_append(seg, p[i + 1] == '0' ? "~" : "/", 1);
        i++;
    }
    *at = i;
    cw_buf_append(seg, "", 1);
    seg->len--;
    return seg->broken ? -1 : 1;
}
