/* select - a request plugin: projects a state document onto the fields a
 * client asks for, so it reads only what it needs.
 *
 *   GET /plugins/select/state/{id}?select=profile.name,profile.tags,settings
 *   -> {"id","version","state":{"profile":{"name":..,"tags":..},"settings":..},
 *       "missing":[paths that matched nothing]}
 *
 * A path is dot-separated member names; percent-encode a dot that belongs
 * to a name (%2E), as each name is decoded after splitting. "*" stands for
 * every member of an object or every element of an array (an element that
 * lacks the rest of the path is null, so positions are kept); it cannot be
 * mixed with names under the same parent. A path that is a prefix of another
 * selects the whole subtree. Up to 64 paths of up to 32 names each. */
#include <string.h>

#include "cwp.h"

CWP_PLUGIN("select", "1.0.0", CWP_CAP_ROUTE)

#define MAX_PATHS 64
#define MAX_SEGMENTS 32
#define MAX_NODES (MAX_PATHS * MAX_SEGMENTS + 1)

typedef struct {
    cwp_slice seg;                 /* decoded member name; "*" for every member */
    cwp_slice text;                /* the path as written, for "missing" (leaves only) */
    int parent, child, next, last; /* last: the newest child */
    int leaf, emitted;             /* leaf: the path ends here; emitted: it was found */
    int star;
} node;

typedef struct {
    node n[MAX_NODES];
    int count;
    cwp_buf *out;
} tree;

static int unhex(char c) {
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Percent-decodes s (with '+' as a space, as in forms). -1 when malformed. */
static int decode(cwp_slice s, cwp_slice *out) {
    char *d = cwp_mem(s.n ? s.n : 1);
    size_t n = 0;
    if (!d)
        return -1;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] == '%') {
            int hi = i + 2 < s.n ? unhex(s.p[i + 1]) : -1, lo = hi >= 0 ? unhex(s.p[i + 2]) : -1;
            if (lo < 0)
                return -1;
            d[n++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            d[n++] = s.p[i] == '+' ? ' ' : s.p[i];
        }
    }
    *out = (cwp_slice){d, n};
    return 0;
}

static const char *add_path(tree *t, cwp_slice text) {
    int at = 0;
    size_t start = 0, segments = 0;
    for (size_t i = 0; i <= text.n; i++) {
        cwp_slice raw, seg;
        int c, star;
        if (i < text.n && text.p[i] != '.')
            continue;
        raw = (cwp_slice){text.p + start, i - start};
        start = i + 1;
        if (!raw.n)
            return "a path has an empty name (two dots, or a dot at an end)";
        if (++segments > MAX_SEGMENTS)
            return "a path has more than 32 names";
        if (decode(raw, &seg) < 0)
            return "a path has a malformed percent escape";
        star = cwp_is(raw, "*"); /* "%2A" is a member named "*" */
        for (c = t->n[at].child; c; c = t->n[c].next)
            if (t->n[c].star == star && t->n[c].seg.n == seg.n &&
                memcmp(t->n[c].seg.p, seg.p, seg.n) == 0)
                break;
        if (!c) {
            if (t->n[at].child && t->n[t->n[at].child].star != star)
                return "\"*\" cannot be mixed with names under the same parent";
            c = ++t->count; /* appended, so output follows the order asked */
            t->n[c] = (node){seg, {NULL, 0}, at, 0, 0, 0, 0, 0, star};
            if (t->n[at].last)
                t->n[t->n[at].last].next = c;
            else
                t->n[at].child = c;
            t->n[at].last = c;
        }
        at = c;
    }
    if (!t->n[at].leaf) {
        t->n[at].leaf = 1;
        t->n[at].text = text;
    }
    return NULL;
}

static int emit(tree *t, int at, cwp_slice v);

/* Writes "{...}" or "[...]" for the children of at over container v. */
static int emit_children(tree *t, int at, cwp_slice v) {
    cwp_buf *out = t->out;
    node *nd = &t->n[at];
    int array = v.p[0] == '[', star = t->n[nd->child].star, any = 0, written = 0;
    cwpj_iter it;
    cwp_slice k, m;

    if (v.p[0] != '{' && !(array && star))
        return 0;
    cwp_put(out, array ? "[" : "{", 1);
    if (star) {
        cwpj_begin(&it, v);
        while (cwpj_next(&it, array ? NULL : &k, &m) == 1) {
            size_t mark = out->len, at;
            if (written)
                cwp_put(out, ",", 1);
            if (!array) {
                cwp_put(out, k.p, k.n);
                cwp_put(out, ":", 1);
            }
            at = out->len;
            if (emit(t, nd->child, m)) {
                any = written = 1;
            } else if (array) { /* keep the position: null */
                out->len = at;
                cwp_put(out, "null", 4);
                written = 1;
            } else {
                out->len = mark;
            }
        }
        cwp_put(out, array ? "]" : "}", 1);
        return array || any;
    }
    for (int c = nd->child; c; c = t->n[c].next) {
        cwp_slice member = cwpj_getn(v, t->n[c].seg.p, t->n[c].seg.n);
        size_t mark = out->len;
        if (!member.n)
            continue;
        if (written)
            cwp_put(out, ",", 1);
        cwp_put_str(out, t->n[c].seg.p, t->n[c].seg.n);
        cwp_put(out, ":", 1);
        if (emit(t, c, member))
            any = written = 1;
        else
            out->len = mark;
    }
    cwp_put(out, "}", 1);
    return any;
}

/* Writes the projection of v for node at; returns 0 (writing nothing
 * useful) when nothing under it was found. */
static int emit(tree *t, int at, cwp_slice v) {
    if (t->n[at].leaf) {
        t->n[at].emitted = 1;
        cwp_put(t->out, v.p, v.n);
        return 1;
    }
    return emit_children(t, at, v);
}

static int found(const tree *t, int at) {
    for (; at; at = t->n[at].parent)
        if (t->n[at].emitted)
            return 1;
    return 0;
}

/* The value of parameter name in query q, or {NULL, 0}. */
static cwp_slice param(cwp_slice q, const char *name) {
    size_t n = strlen(name), i = 0;
    while (i < q.n) {
        size_t j = i;
        while (j < q.n && q.p[j] != '&')
            j++;
        if (j - i > n && memcmp(q.p + i, name, n) == 0 && q.p[i + n] == '=')
            return (cwp_slice){q.p + i + n + 1, j - i - n - 1};
        i = j + 1;
    }
    return (cwp_slice){NULL, 0};
}

static int route(cwp_slice in, cwp_buf *out) {
    const char *nl = memchr(in.p, '\n', in.n), *sp, *qm;
    cwp_slice line, path, query = {NULL, 0}, sel, view, id, version, state;
    tree *t = cwp_mem(sizeof(tree));
    size_t start = 0;
    int paths = 0, first = 1;

    if (!nl || !t)
        return cwp_error(out, 400, "bad_input", "expected a request line");
    line = (cwp_slice){in.p, (size_t)(nl - in.p)};
    sp = memchr(line.p, ' ', line.n);
    if (!sp || (size_t)(sp - line.p) != 3 || memcmp(line.p, "GET", 3) != 0)
        return cwp_error(out, 405, "method_not_allowed", "select answers GET only");
    path = (cwp_slice){sp + 1, (size_t)(line.p + line.n - sp - 1)};
    if ((qm = memchr(path.p, '?', path.n))) {
        query = (cwp_slice){qm + 1, (size_t)(path.p + path.n - qm - 1)};
        path.n = (size_t)(qm - path.p);
    }
    if (path.n <= 7 || memcmp(path.p, "/state/", 7) != 0)
        return cwp_error(out, 404, "not_found",
                         "select serves /plugins/select/state/{id}?select=path,path");
    sel = param(query, "select");
    /* Given twice, which one the client meant cannot be told (as with the
     * host's parameters, docs/http.md). */
    if (sel.p &&
        param((cwp_slice){sel.p + sel.n, (size_t)(query.p + query.n - sel.p - sel.n)}, "select").p)
        return cwp_error(out, 400, "invalid_parameter",
                         "select is given twice; give it once, with every path in it");
    if (!sel.n)
        return cwp_error(out, 400, "invalid_select",
                         "name the fields to keep: ?select=a.b,c (dot-separated paths)");
    memset(t, 0, sizeof *t);
    t->out = out;
    for (size_t i = 0; i <= sel.n; i++) {
        const char *why;
        if (i < sel.n && sel.p[i] != ',')
            continue;
        if (++paths > MAX_PATHS)
            return cwp_error(out, 400, "invalid_select", "more than 64 paths");
        if ((why = add_path(t, (cwp_slice){sel.p + start, i - start})))
            return cwp_error(out, 400, "invalid_select", why);
        start = i + 1;
    }
    view = cwpj_value((cwp_slice){nl + 1, (size_t)(in.p + in.n - nl - 1)});
    id = cwpj_get(view, "id");
    version = cwpj_get(view, "version");
    state = cwpj_get(view, "state");
    if (!id.n || !version.n || !state.n)
        return cwp_error(out, 400, "bad_input", "expected the state view after the request line");
    cwp_puts(out, "{\"id\":");
    cwp_put(out, id.p, id.n);
    cwp_puts(out, ",\"version\":");
    cwp_put(out, version.p, version.n);
    cwp_puts(out, ",\"state\":");
    if (state.p[0] != '{')
        cwp_puts(out, "{}");
    else
        emit(t, 0, state);
    cwp_puts(out, ",\"missing\":[");
    for (int i = 1; i <= t->count; i++) {
        if (!t->n[i].leaf || found(t, i))
            continue;
        if (!first)
            cwp_put(out, ",", 1);
        first = 0;
        cwp_put_str(out, t->n[i].text.p, t->n[i].text.n); /* as written in the query */
    }
    cwp_puts(out, "]}");
    return 200;
}

CWP_ROUTE(route)
