/* paths.c - lists of JSON Pointer prefixes (see paths.h). */
#include "paths.h"

#include <string.h>

#include "buf.h"
#include "json.h"

int cw_paths_pointer_ok(const char *p, size_t n) {
    if (n == 0)
        return 1;
    if (p[0] != '/' || memchr(p, '\0', n))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (p[i] == '~' && (i + 1 == n || (p[i + 1] != '0' && p[i + 1] != '1')))
            return 0;
    return 1;
}

/* q covers p: p == q, or p is q then "/". */
static int covers(const char *q, size_t qn, const char *p, size_t n) {
    return qn <= n && memcmp(q, p, qn) == 0 && (qn == n || p[qn] == '/');
}

int cw_paths_under(const char *p, size_t n, const char *q, size_t qn) {
    return covers(q, qn, p, n);
}

/* Whether an entry of list covers p (above 0), or is strictly under it
 * (above 1). */
static int any(const json_t *list, const char *p, size_t n, int above) {
    size_t i, qn;
    json_t *e;
    json_array_foreach(list, i, e) {
        const char *q = cw_json_string(e, &qn);
        if (q && (above ? qn > n && covers(p, n, q, qn) : covers(q, qn, p, n)))
            return 1;
    }
    return 0;
}

int cw_paths_covers(const json_t *list, const char *p, size_t n) {
    return !list || any(list, p, n, 0);
}

int cw_paths_covering(const json_t *list, const char *p, size_t n) {
    size_t i, qn;
    json_t *e;
    if (!list)
        return 0;
    json_array_foreach(list, i, e) {
        const char *q = cw_json_string(e, &qn);
        int segments = 0;
        if (!q || !covers(q, qn, p, n))
            continue;
        while (qn--)
            segments += q[qn] == '/';
        return segments;
    }
    return -1;
}

int cw_paths_above(const json_t *list, const char *p, size_t n) {
    return list && any(list, p, n, 1);
}

/* v's entries (pointers) without those covered by another, the first of
 * equal ones kept: a new list, or NULL when out of memory. */
static json_t *normal(const json_t *v) {
    json_t *list = json_array(), *e, *f;
    size_t i, j, n, qn;
    json_array_foreach(v, i, e) {
        const char *p = cw_json_string(e, &n);
        int redundant = 0;
        json_array_foreach(v, j, f) {
            const char *q = cw_json_string(f, &qn);
            if (j != i && covers(q, qn, p, n) && (qn < n || j < i))
                redundant = 1;
        }
        if (list && !redundant && json_array_append(list, e) < 0) {
            json_decref(list);
            list = NULL;
        }
    }
    return list;
}

int cw_paths_read(const json_t *v, json_t **out, const char **why) {
    size_t i, n;
    json_t *e, *list;
    *out = NULL;
    if (!json_is_array(v) || json_array_size(v) > CW_PATHS_MAX)
        return *why = "must be an array of at most 32 JSON Pointers", -1;
    json_array_foreach(v, i, e) {
        const char *p = cw_json_string(e, &n);
        if (!p || n > CW_POINTER_MAX || !cw_paths_pointer_ok(p, n))
            return *why = "must hold JSON Pointers (RFC 6901) of at most 1024 bytes", -1;
        if (n == 0)
            return 0; /* the whole document */
    }
    if (!(list = normal(v)))
        return *why = "out of memory", -1;
    *out = list;
    return 0;
}

json_t *cw_paths_meet(const json_t *a, const json_t *b, int *oom) {
    json_t *both, *out = NULL, *e, *f;
    size_t i, j, n, m;
    *oom = 0;
    if (!a || !b)
        return json_incref((json_t *)(a ? a : b));
    /* Of each pair, the one under (or equal to) the other. */
    if (!(both = json_array()))
        return *oom = 1, NULL;
    json_array_foreach(a, i, e) {
        const char *p = cw_json_string(e, &n);
        json_array_foreach(b, j, f) {
            const char *q = cw_json_string(f, &m);
            json_t *under = covers(q, m, p, n) ? e : covers(p, n, q, m) ? f : NULL;
            if (under && json_array_append(both, under) < 0)
                *oom = 1;
        }
    }
    if (!*oom && !(out = normal(both)))
        *oom = 1;
    json_decref(both);
    return *oom ? NULL : out;
}

/* --- walking a value along a pointer ---------------------------------------- */

/* Sets out[path of p] = v (a reference taken), making the parents as
 * objects. In a projection, parents are always new objects of out: no
 * entry of a normal list is under another. Returns 0, or -1. */
int cw_paths_put(json_t *out, const char *p, size_t n, json_t *v) {
    cw_buf seg = CW_BUF_INIT, next = CW_BUF_INIT;
    size_t at = 0;
    json_t *o = out;
    int rc = cw_json_ptr_next(p, n, &at, &seg);
    while (rc == 1) {
        int more = cw_json_ptr_next(p, n, &at, &next);
        if (more < 0) {
            rc = -1;
            break;
        }
        if (!more) {
            rc = json_object_set(o, seg.p, v) < 0 ? -1 : 0;
            break;
        }
        json_t *child = json_object_get(o, seg.p);
        if (!json_is_object(child)) {
            if (!(child = json_object()) || json_object_set_new(o, seg.p, child) < 0) {
                rc = -1;
                break;
            }
        }
        o = child;
        cw_buf t = seg;
        seg = next;
        next = t;
        rc = 1;
    }
    cw_buf_free(&seg);
    cw_buf_free(&next);
    return rc;
}

json_t *cw_paths_get(json_t *v, const char *p, size_t n) {
    cw_buf seg = CW_BUF_INIT;
    size_t at = 0;
    int rc;
    while (v && (rc = cw_json_ptr_next(p, n, &at, &seg)) != 0)
        v = rc < 0 || !json_is_object(v) ? NULL : json_object_get(v, seg.p);
    cw_buf_free(&seg);
    return v;
}

json_t *cw_paths_project(const json_t *value, const json_t *list, int patch) {
    json_t *out, *e;
    size_t i, n;
    cw_buf seg = CW_BUF_INIT;
    if (!list)
        return json_incref((json_t *)value);
    if (!(out = json_object()))
        return NULL;
    json_array_foreach(list, i, e) {
        const char *p = cw_json_string(e, &n);
        const json_t *v = value;
        size_t at = 0;
        /* Down the entry's segments while there are objects. */
        while (json_is_object(v) && cw_json_ptr_next(p, n, &at, &seg) == 1)
            v = json_object_get(v, seg.p);
        if (seg.broken)
            goto fail;
        if (!v)
            continue; /* nothing there */
        if (at < n) {
            /* Stopped above the entry at a value that is not an object: in
             * a patch, the entry's parent is deleted or replaced. */
            if (patch && cw_paths_put(out, p, n, json_null()) < 0)
                goto fail;
            continue;
        }
        if (cw_paths_put(out, p, n, (json_t *)v) < 0)
            goto fail;
    }
    cw_buf_free(&seg);
    return out;
fail:
    cw_buf_free(&seg);
    json_decref(out);
    return NULL;
}

/* --- what a patch touches --------------------------------------------------- */

typedef struct {
    const json_t *list;
    cw_paths_object_fn is_object;
    void *arg;
    json_t *out;
    int count;
} outside_t;

static int add(outside_t *w, const cw_buf *ptr) {
    json_t *s = json_stringn_nocheck(ptr->p ? ptr->p : "", ptr->len); /* keys are UTF-8 */
    if (!s || json_array_append_new(w->out, s) < 0)
        return -1;
    w->count++;
    return 0;
}

static int walk(outside_t *w, const json_t *patch, cw_buf *ptr) {
    const char *key;
    json_t *v;
    size_t base = ptr->len;
    json_object_foreach((json_t *)patch, key, v) {
        int rc = 0;
        ptr->len = base;
        cw_json_ptr_push(ptr, key, strlen(key));
        if (ptr->broken)
            return -1;
        if (cw_paths_covers(w->list, ptr->p, ptr->len))
            continue;
        if (json_is_object(v) && cw_paths_above(w->list, ptr->p, ptr->len)) {
            /* A merge into it: allowed where the document holds an object
             * (or nothing) there, else it replaces a value outside. */
            if ((rc = w->is_object(w->arg, ptr->p, ptr->len)) < 0)
                return -1;
            if (rc == 1) {
                if (walk(w, v, ptr) < 0)
                    return -1;
                continue;
            }
        }
        if (add(w, ptr) < 0)
            return -1;
    }
    ptr->len = base;
    return 0;
}

int cw_paths_outside(const json_t *patch, const json_t *list, cw_paths_object_fn is_object,
                     void *arg, json_t *out) {
    outside_t w = {list, is_object, arg, out, 0};
    cw_buf ptr = CW_BUF_INIT;
    int rc;
    if (!list)
        return 0;
    rc = walk(&w, patch, &ptr);
    cw_buf_free(&ptr);
    return rc < 0 ? -1 : w.count;
}
