/* schema - a state-sync hook: validates the merged state against the JSON
 * Schema configured for the id's namespace, before it is committed.
 *
 * Keywords (a useful subset of draft 2020-12; others are ignored, as JSON
 * Schema does with unknown keywords): type (a name or a list), enum, const,
 * minimum, maximum, exclusiveMinimum, exclusiveMaximum, minLength,
 * maxLength (in code points), properties, required, additionalProperties
 * (false or a schema), items (one schema for every element), minItems,
 * maxItems. true and false are schemas too.
 *
 * Input:  {"namespace","config":<schema>,"target":{"id","version","state"}}
 * Output: 200 {"valid":true}, or 422 with every violation (up to 64) as
 *         {"path": JSON Pointer into the state, "message"}, or 500 when the
 *         configured schema itself is malformed. */
#include <math.h>
#include <string.h>

#include "cwp.h"

CWP_PLUGIN("schema", "1.2.0", CWP_CAP_SYNC)

#define MAX_REASONS 64

typedef struct {
    cwp_buf *out;    /* the reasons array being written */
    cwp_buf path;    /* JSON Pointer of the value being checked */
    int reasons;     /* violations found (only the first MAX_REASONS are kept) */
    const char *bad; /* set when the schema itself is malformed: the keyword */
} check;

static void reason(check *c, const char *msg, cwp_slice detail) {
    if (++c->reasons > MAX_REASONS)
        return;
    if (c->reasons > 1)
        cwp_put(c->out, ",", 1);
    cwp_puts(c->out, "{\"path\":");
    cwp_put_str(c->out, c->path.p ? c->path.p : "", c->path.len);
    cwp_puts(c->out, ",\"message\":");
    if (detail.n) {
        /* msg followed by the schema's own text for the limit or type */
        cwp_buf m = {0};
        cwp_puts(&m, msg);
        cwp_put(&m, detail.p, detail.n);
        cwp_put_str(c->out, m.p, m.len);
    } else {
        cwp_put_str(c->out, msg, strlen(msg));
    }
    cwp_put(c->out, "}", 1);
}

/* Appends "/" + the escaped segment; returns the length to restore. */
static size_t push(check *c, const char *s, size_t n) {
    size_t at = c->path.len;
    cwp_put(&c->path, "/", 1);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '~' || s[i] == '/')
            cwp_put(&c->path, s[i] == '~' ? "~0" : "~1", 2);
        else
            cwp_put(&c->path, s + i, 1);
    }
    return at;
}

static int is_number(cwp_slice v) { return v.p[0] == '-' || (v.p[0] >= '0' && v.p[0] <= '9'); }

/* 1 when the JSON number v (its text) has no fractional part, decided on
 * its digits: 150.00000000000001 is no integer though a double rounds it to
 * one, 1.0 and 1e400 are, 1e-400 is not. */
static int integral(cwp_slice v) {
    size_t i = v.p[0] == '-', last = 0; /* last: one past the last nonzero digit */
    long long e = 0, frac = 0, exp = 0, digits = 0;
    int esign = 1;
    for (; i < v.n && v.p[i] >= '0' && v.p[i] <= '9'; i++, digits++)
        if (v.p[i] != '0')
            last = (size_t)digits + 1;
    if (i < v.n && v.p[i] == '.')
        for (i++; i < v.n && v.p[i] >= '0' && v.p[i] <= '9'; i++, digits++, frac++)
            if (v.p[i] != '0')
                last = (size_t)digits + 1;
    if (i < v.n && (v.p[i] == 'e' || v.p[i] == 'E')) {
        i++;
        if (i < v.n && (v.p[i] == '+' || v.p[i] == '-'))
            esign = v.p[i++] == '-' ? -1 : 1;
        for (; i < v.n && v.p[i] >= '0' && v.p[i] <= '9'; i++)
            if (exp < 1000000000)
                exp = exp * 10 + (v.p[i] - '0');
    }
    if (!last)
        return 1; /* zero */
    /* The value is the digits up to last, times 10^e. */
    e = esign * exp - frac + (digits - (long long)last);
    return e >= 0;
}

static int type_matches(cwp_slice name, cwp_slice v) {
    char t = v.p[0];
    if (cwp_is(name, "object"))
        return t == '{';
    if (cwp_is(name, "array"))
        return t == '[';
    if (cwp_is(name, "string"))
        return t == '"';
    if (cwp_is(name, "boolean"))
        return t == 't' || t == 'f';
    if (cwp_is(name, "null"))
        return t == 'n';
    if (cwp_is(name, "number"))
        return is_number(v);
    if (cwp_is(name, "integer"))
        return is_number(v) && integral(v);
    return -1;
}

/* 1 when v has the schema's type, 0 when not, -1 when the type is malformed. */
static int check_type(cwp_slice type, cwp_slice v) {
    cwpj_iter it;
    cwp_slice item, name;
    int any = 0, r;
    if (type.p[0] == '"')
        return cwpj_str(type, &name) < 0 ? -1 : type_matches(name, v);
    if (type.p[0] != '[')
        return -1;
    cwpj_begin(&it, type);
    while ((r = cwpj_next(&it, NULL, &item)) == 1) {
        int m = item.p[0] == '"' && cwpj_str(item, &name) == 0 ? type_matches(name, v) : -1;
        if (m < 0)
            return -1;
        any |= m;
    }
    return r < 0 ? -1 : any;
}

static size_t codepoints(cwp_slice s) {
    size_t n = 0;
    for (size_t i = 0; i < s.n; i++)
        n += ((unsigned char)s.p[i] & 0xc0) != 0x80;
    return n;
}

static int number_of(check *c, cwp_slice kw, const char *name, double *out) {
    if (!kw.n)
        return 0;
    if (cwpj_num(kw, out) < 0) {
        c->bad = name;
        return 0;
    }
    return 1;
}

static void validate(check *c, cwp_slice schema, cwp_slice v);

static void bound(check *c, cwp_slice schema, const char *kw, double x, int below, int strict,
                  const char *msg) {
    double lim;
    cwp_slice s = cwpj_get(schema, kw);
    if (number_of(c, s, kw, &lim) &&
        (below ? (strict ? x >= lim : x > lim) : (strict ? x <= lim : x < lim)))
        reason(c, msg, s);
}

static void check_object(check *c, cwp_slice schema, cwp_slice v) {
    cwp_slice props = cwpj_get(schema, "properties"), req = cwpj_get(schema, "required");
    cwp_slice extra = cwpj_get(schema, "additionalProperties"), k, m, key, sub;
    cwpj_iter it;

    if ((props.n && props.p[0] != '{') || (req.n && req.p[0] != '[') ||
        (extra.n && extra.p[0] != '{' && extra.p[0] != 't' && extra.p[0] != 'f')) {
        c->bad = props.n && props.p[0] != '{' ? "properties"
                 : req.n && req.p[0] != '['   ? "required"
                                              : "additionalProperties";
        return;
    }
    cwpj_begin(&it, req);
    while (req.n && cwpj_next(&it, NULL, &k) == 1) {
        if (k.p[0] != '"' || cwpj_str(k, &key) < 0) {
            c->bad = "required";
            return;
        }
        if (!cwpj_getn(v, key.p, key.n).n) {
            size_t at = push(c, key.p, key.n);
            reason(c, "is required", (cwp_slice){NULL, 0});
            c->path.len = at;
        }
    }
    cwpj_begin(&it, v);
    while (cwpj_next(&it, &k, &m) == 1) {
        size_t at;
        if (cwpj_str(k, &key) < 0)
            return;
        sub = (cwp_slice){NULL, 0};
        if (props.n) {
            cwpj_iter pi;
            cwp_slice pk, pv;
            cwpj_begin(&pi, props);
            while (cwpj_next(&pi, &pk, &pv) == 1)
                if (cwpj_key_is(pk, key.p, key.n))
                    sub = pv;
        }
        at = push(c, key.p, key.n);
        if (sub.n)
            validate(c, sub, m);
        else if (extra.n && extra.p[0] == 'f')
            reason(c, "is not an allowed property", (cwp_slice){NULL, 0});
        else if (extra.n && extra.p[0] == '{')
            validate(c, extra, m);
        c->path.len = at;
    }
}

static void check_array(check *c, cwp_slice schema, cwp_slice v) {
    cwp_slice items = cwpj_get(schema, "items"), e;
    cwpj_iter it;
    double lim;
    unsigned long i = 0;

    if (items.n && items.p[0] != '{' && items.p[0] != 't' && items.p[0] != 'f') {
        c->bad = "items";
        return;
    }
    cwpj_begin(&it, v);
    while (cwpj_next(&it, NULL, &e) == 1) {
        if (items.n) {
            char d[24];
            size_t at, n = 0;
            unsigned long x = i;
            do
                d[sizeof d - ++n] = (char)('0' + x % 10);
            while (x /= 10);
            at = push(c, d + sizeof d - n, n);
            validate(c, items, e);
            c->path.len = at;
        }
        i++;
    }
    if (number_of(c, cwpj_get(schema, "minItems"), "minItems", &lim) && (double)i < lim)
        reason(c, "must have at least this many items: ", cwpj_get(schema, "minItems"));
    if (number_of(c, cwpj_get(schema, "maxItems"), "maxItems", &lim) && (double)i > lim)
        reason(c, "must have at most this many items: ", cwpj_get(schema, "maxItems"));
}

static void validate(check *c, cwp_slice schema, cwp_slice v) {
    cwp_slice type, en, cn, item, s;
    cwpj_iter it;
    double x, lim;
    int ok = 0;

    if (c->bad)
        return;
    if (schema.p[0] == 't')
        return;
    if (schema.p[0] == 'f') {
        reason(c, "is not allowed here", (cwp_slice){NULL, 0});
        return;
    }
    if (schema.p[0] != '{') {
        c->bad = "schema";
        return;
    }
    if ((type = cwpj_get(schema, "type")).n) {
        int m = check_type(type, v);
        if (m < 0) {
            c->bad = "type";
            return;
        }
        if (!m) {
            reason(c, "must be of type ", type);
            return;
        }
    }
    if ((en = cwpj_get(schema, "enum")).n) {
        if (en.p[0] != '[') {
            c->bad = "enum";
            return;
        }
        cwpj_begin(&it, en);
        while (!ok && cwpj_next(&it, NULL, &item) == 1)
            ok = cwpj_equal(item, v);
        if (!ok)
            reason(c, "must be one of ", en);
    }
    if ((cn = cwpj_get(schema, "const")).n && !cwpj_equal(cn, v))
        reason(c, "must be ", cn);
    if (is_number(v) && cwpj_num(v, &x) == 0) {
        bound(c, schema, "minimum", x, 0, 0, "must be >= ");
        bound(c, schema, "exclusiveMinimum", x, 0, 1, "must be > ");
        bound(c, schema, "maximum", x, 1, 0, "must be <= ");
        bound(c, schema, "exclusiveMaximum", x, 1, 1, "must be < ");
    } else if (v.p[0] == '"' && cwpj_str(v, &s) == 0) {
        size_t n = codepoints(s);
        if (number_of(c, cwpj_get(schema, "minLength"), "minLength", &lim) && (double)n < lim)
            reason(c, "must have at least this many characters: ", cwpj_get(schema, "minLength"));
        if (number_of(c, cwpj_get(schema, "maxLength"), "maxLength", &lim) && (double)n > lim)
            reason(c, "must have at most this many characters: ", cwpj_get(schema, "maxLength"));
    } else if (v.p[0] == '{') {
        check_object(c, schema, v);
    } else if (v.p[0] == '[') {
        check_array(c, schema, v);
    }
}

static int sync_hook(cwp_slice in, cwp_buf *out) {
    cwp_slice doc = cwpj_value(in), schema = cwpj_get(doc, "config");
    cwp_slice state = cwpj_get(cwpj_get(doc, "target"), "state");
    cwp_buf reasons = {0};
    check c = {&reasons, {0}, 0, NULL};

    if (!schema.n || !state.n)
        return cwp_error(out, 400, "bad_input", "expected {\"config\",\"target\":{\"state\"}}");
    validate(&c, schema, state);
    if (c.bad) {
        cwp_buf m = {0};
        cwp_puts(&m, "the configured schema is malformed at keyword ");
        cwp_puts(&m, c.bad);
        cwp_puts(&m, " (checking ");
        cwp_put(&m, c.path.p, c.path.len);
        cwp_puts(&m, ")");
        cwp_put(&m, "", 1);
        return cwp_error(out, 500, "invalid_schema", m.broken ? "malformed schema" : m.p);
    }
    if (!c.reasons) {
        cwp_puts(out, "{\"valid\":true}");
        return 200;
    }
    cwp_puts(out, "{\"error\":{\"code\":\"schema_violation\",\"message\":");
    {
        cwp_buf m = {0};
        cwp_slice ns = cwpj_get(doc, "namespace"), nsv = {"", 0};
        if (ns.n)
            cwpj_str(ns, &nsv);
        cwp_puts(&m, "the state does not match the schema for namespace \"");
        cwp_put(&m, nsv.p, nsv.n);
        cwp_puts(&m, "\": ");
        cwp_put_uint(&m, (unsigned long)c.reasons);
        cwp_puts(&m, c.reasons == 1 ? " violation" : " violations");
        if (c.reasons > MAX_REASONS)
            cwp_puts(&m, " (first 64 listed)");
        cwp_put_str(out, m.p, m.len);
    }
    cwp_puts(out, ",\"reasons\":[");
    cwp_put(out, reasons.p, reasons.len);
    cwp_puts(out, "]}}");
    if (reasons.broken)
        out->broken = 1;
    return 422;
}

CWP_SYNC(sync_hook)
