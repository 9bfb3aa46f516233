/* tree.c - a document stored by path (see tree.h). */
#include "tree.h"

#include <string.h>

#include "alloc.h"
#include "json.h"
#include "merge.h"

/* --- reading a subtree back ------------------------------------------------ */

typedef struct {
    cw_tree_source *src;
    json_t *into;
    cw_buf ptr;
    int depth, depth_limit;
    cw_error *err;
} reader;

static int read_member(void *arg, const char *key, size_t kn, const cw_node *node);

static json_t *read_object(reader *r) {
    json_t *saved = r->into, *obj = json_object();
    int rc;
    if (!obj)
        return cw_error_oom(r->err), NULL;
    if (++r->depth > r->depth_limit) {
        json_decref(obj);
        cw_error_set(r->err, CW_E_INTERNAL, "a stored object nests too deep");
        return NULL;
    }
    r->into = obj;
    rc = r->src->each(r->src, r->ptr.p ? r->ptr.p : "", r->ptr.len, read_member, r, r->err);
    r->into = saved;
    r->depth--;
    if (rc != 0) {
        json_decref(obj);
        if (r->err->code == CW_E_NONE)
            cw_error_set(r->err, CW_E_INTERNAL, "a stored object is unreadable");
        return NULL;
    }
    return obj;
}

static int read_member(void *arg, const char *key, size_t kn, const cw_node *node) {
    reader *r = arg;
    json_t *v = NULL;
    if (node->kind == CW_NODE_VALUE) {
        v = cw_json_load(node->text, node->len);
    } else {
        size_t mark = r->ptr.len;
        cw_json_ptr_push(&r->ptr, key, kn);
        v = r->ptr.broken ? NULL : read_object(r);
        r->ptr.len = mark;
    }
    if (!v || json_object_setn_new_nocheck(r->into, key, kn, v) < 0) {
        if (r->err->code == CW_E_NONE)
            cw_error_set(r->err, CW_E_INTERNAL, "a stored value is unreadable");
        return -1;
    }
    return 0;
}

json_t *cw_tree_read(cw_tree_source *src, const char *ptr, size_t n, int depth_limit,
                     cw_error *err) {
    reader r = {src, NULL, CW_BUF_INIT, 0, depth_limit, err};
    json_t *v;
    cw_buf_append(&r.ptr, ptr, n);
    v = r.ptr.broken ? (cw_error_oom(err), NULL) : read_object(&r);
    cw_buf_free(&r.ptr);
    return v;
}

/* --- finding a path ------------------------------------------------------------ */

/* Inside an atomic value: an array index per RFC 6901 (0, or digits
 * without a leading zero, in range). */
static json_t *step_into(json_t *v, const cw_buf *seg) {
    size_t i = 0;
    if (json_is_object(v))
        return json_object_getn(v, seg->p ? seg->p : "", seg->len);
    if (!json_is_array(v) || !seg->len || seg->len > 9 || (seg->p[0] == '0' && seg->len > 1))
        return NULL;
    for (size_t k = 0; k < seg->len; k++) {
        if (seg->p[k] < '0' || seg->p[k] > '9')
            return NULL;
        i = i * 10 + (size_t)(seg->p[k] - '0');
    }
    return json_array_get(v, i);
}

int cw_tree_find(cw_tree_source *src, const char *path, size_t n, cw_tree_found *out,
                 cw_error *err) {
    cw_buf seg = CW_BUF_INIT;
    size_t at = 0;
    int rc;
    json_t *in = NULL, *v = NULL;
    int i = 0;
    out->kind = CW_NODE_OBJECT;
    out->size = -1;
    out->in_array = 0;
    out->ptr.len = out->text.len = 0;
    cw_buf_append(&out->ptr, "", 0);
    while ((rc = cw_json_ptr_next(path, n, &at, &seg)) == 1) {
        cw_node node;
        i++;
        if (in) { /* inside an atomic value */
            if (json_is_array(v) && !out->in_array)
                out->in_array = i;
            if (!(v = step_into(v, &seg)))
                break;
            continue;
        }
        if (src->get(src, out->ptr.p ? out->ptr.p : "", out->ptr.len, seg.p ? seg.p : "", seg.len,
                     &node, err) < 0) {
            rc = -2;
            break;
        }
        if (node.kind == CW_NODE_NONE)
            break;
        if (node.kind == CW_NODE_OBJECT) {
            cw_json_ptr_push(&out->ptr, seg.p ? seg.p : "", seg.len);
            out->size = node.size;
            continue;
        }
        if (!(v = in = cw_json_load(node.text, node.len))) {
            cw_error_set(err, CW_E_INTERNAL, "a stored value is unreadable");
            rc = -2;
            break;
        }
    }
    cw_buf_free(&seg);
    if (rc == -1)
        rc = cw_error_set(err, CW_E_INVALID_PARAMETER,
                          "path must be a JSON Pointer (RFC 6901): empty, or \"/\" before each "
                          "member name, with ~ written ~0 and / written ~1");
    else if (rc == -2)
        rc = -1;
    else if (rc == 1 || (in && !v))
        out->kind = CW_NODE_NONE, rc = 0;
    else if (in)
        out->kind = CW_NODE_VALUE, rc = cw_json_dump(v, &out->text) < 0 ? cw_error_oom(err) : 0;
    json_decref(in);
    if (rc == 0 && (out->ptr.broken || out->text.broken))
        rc = cw_error_oom(err);
    return rc;
}

/* --- planning ----------------------------------------------------------------- */

typedef struct {
    cw_tree_source *src;
    const cw_tree_limits *lim;
    cw_tree_change *out;
    cw_error *err;
} planner;

/* Appends an op; returns its index, or -1 when out of memory. Its
 * parent, key and text are one allocation (parent's). */
static long add(planner *p, int op, const cw_buf *parent, const char *key, size_t kn,
                const char *text, size_t tn, long long size) {
    cw_tree_change *c = p->out;
    cw_tree_op *o;
    char *b;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        cw_tree_op *ops = cw_alloc_resize(c->ops, cap * sizeof *ops);
        if (!ops)
            return cw_error_oom(p->err), -1;
        c->ops = ops;
        c->cap = cap;
    }
    tn = text ? tn : 0;
    if (!(b = cw_alloc_new(parent->len + kn + tn + 3)))
        return cw_error_oom(p->err), -1;
    o = &c->ops[c->n];
    o->op = op;
    o->parent = b;
    o->pn = parent->len;
    o->key = b + parent->len + 1;
    o->kn = kn;
    o->text = text ? o->key + kn + 1 : NULL;
    o->tn = tn;
    o->size = size;
    if (parent->len)
        memcpy(o->parent, parent->p, parent->len);
    o->parent[parent->len] = '\0';
    if (kn)
        memcpy(o->key, key, kn);
    o->key[kn] = '\0';
    if (text) {
        if (tn)
            memcpy(o->text, text, tn);
        o->text[tn] = '\0';
    }
    return (long)c->n++;
}

static void drop_from(cw_tree_change *c, size_t mark) {
    while (c->n > mark)
        cw_alloc_free(c->ops[--c->n].parent);
}

void cw_tree_change_free(cw_tree_change *c) {
    if (!c)
        return;
    drop_from(c, 0);
    cw_alloc_free(c->ops);
    memset(c, 0, sizeof *c);
}

static int too_large(planner *p, const cw_buf *parent, const char *key, size_t kn) {
    cw_buf at = CW_BUF_INIT;
    cw_buf_append(&at, parent->p ? parent->p : "", parent->len);
    cw_json_ptr_push(&at, key, kn);
    cw_error_setf(p->err, CW_E_TOO_LARGE,
                  "the value at \"%.60s\" would be over the %d-byte value limit", at.p ? at.p : "",
                  (long long)p->lim->value_limit);
    cw_buf_free(&at);
    return -1;
}

/* Writes object obj as the spilled object at parent/key: its row (text
 * NULL), then each member, a large object member spilled in turn. *size:
 * the row's stored size. */
static int spill(planner *p, cw_buf *parent, const char *key, size_t kn, json_t *obj,
                 long long *size) {
    long at = add(p, CW_TREE_PUT, parent, key, kn, NULL, 0, 0);
    size_t mark = parent->len;
    long long total = (long long)kn;
    const char *k;
    json_t *v;
    int rc = 0;
    if (at < 0)
        return -1;
    cw_json_ptr_push(parent, key, kn);
    if (parent->broken)
        rc = cw_error_oom(p->err);
    json_object_foreach(obj, k, v) {
        size_t n = strlen(k);
        cw_buf text = CW_BUF_INIT;
        long long s = 0;
        if (rc < 0)
            break;
        if (cw_json_dump(v, &text) < 0 || text.broken) {
            rc = cw_error_oom(p->err);
        } else if (json_is_object(v) && text.len > CW_TREE_SPILL) {
            rc = spill(p, parent, k, n, v, &s);
        } else if (n + text.len > p->lim->value_limit) {
            rc = too_large(p, parent, k, n);
        } else {
            s = (long long)(n + text.len);
            rc = add(p, CW_TREE_PUT, parent, k, n, text.p, text.len, s) < 0 ? -1 : 0;
        }
        cw_buf_free(&text);
        total += s;
    }
    parent->len = mark;
    if (rc == 0)
        p->out->ops[at].size = total;
    *size = total;
    return rc;
}

/* Plans patch (an object) into the spilled object at ptr; *delta: the
 * change of its members' stored size. */
static int walk(planner *p, cw_buf *ptr, json_t *patch, long long *delta) {
    const char *key;
    json_t *value;
    json_object_foreach(patch, key, value) {
        size_t kn = strlen(key);
        cw_node node;
        if (p->src->get(p->src, ptr->p ? ptr->p : "", ptr->len, key, kn, &node, p->err) < 0)
            return -1;
        if (json_is_null(value)) {
            if (node.kind == CW_NODE_NONE)
                continue;
            if ((node.kind == CW_NODE_OBJECT &&
                 add(p, CW_TREE_CLEAR, ptr, key, kn, NULL, 0, 0) < 0) ||
                add(p, CW_TREE_DEL, ptr, key, kn, NULL, 0, 0) < 0)
                return -1;
            *delta -= node.size;
            continue;
        }
        if (json_is_object(value) && node.kind == CW_NODE_OBJECT) {
            /* Into a spilled object: its members, row by row. */
            size_t mark = p->out->n, at = ptr->len;
            long long inner = 0;
            int rc;
            cw_json_ptr_push(ptr, key, kn);
            rc = ptr->broken ? cw_error_oom(p->err) : walk(p, ptr, value, &inner);
            ptr->len = at;
            if (rc < 0)
                return -1;
            if (node.size + inner >= CW_TREE_INLINE) {
                if (add(p, CW_TREE_PUT, ptr, key, kn, NULL, 0, node.size + inner) < 0)
                    return -1;
                *delta += inner;
                continue;
            }
            /* Small again: it goes back inline, as one value. */
            drop_from(p->out, mark);
            {
                cw_buf child = CW_BUF_INIT, text = CW_BUF_INIT;
                json_t *old, *merged = NULL;
                long long s;
                cw_buf_append(&child, ptr->p ? ptr->p : "", ptr->len);
                cw_json_ptr_push(&child, key, kn);
                old = child.broken
                          ? NULL
                          : cw_tree_read(p->src, child.p, child.len, p->lim->depth_limit, p->err);
                cw_buf_free(&child);
                if (old)
                    merged = cw_merge_patch(old, value); /* takes old */
                rc = !merged ? (p->err->code ? -1 : cw_error_oom(p->err))
                     : cw_json_dump(merged, &text) < 0 || text.broken ? cw_error_oom(p->err)
                                                                      : 0;
                json_decref(merged);
                s = (long long)(kn + text.len);
                if (rc == 0 && (add(p, CW_TREE_CLEAR, ptr, key, kn, NULL, 0, 0) < 0 ||
                                add(p, CW_TREE_PUT, ptr, key, kn, text.p, text.len, s) < 0))
                    rc = -1;
                cw_buf_free(&text);
                if (rc < 0)
                    return -1;
                *delta += s - node.size;
            }
            continue;
        }
        {
            /* An inline value merged, or a new value, or a spilled object
             * replaced by a value that is not an object. */
            json_t *old = NULL, *merged;
            cw_buf text = CW_BUF_INIT;
            long long s = 0;
            int rc = 0, into_stored = 0;
            if (node.kind == CW_NODE_OBJECT && add(p, CW_TREE_CLEAR, ptr, key, kn, NULL, 0, 0) < 0)
                return -1;
            if (node.kind == CW_NODE_VALUE && json_is_object(value) && node.len &&
                node.text[0] == '{') {
                if (!(old = cw_json_load(node.text, node.len)))
                    return cw_error_set2(p->err, CW_E_INTERNAL,
                                         "a stored value is unreadable: ", key);
                into_stored = 1;
            }
            merged = cw_merge_patch(old, value); /* takes old */
            if (!merged || cw_json_dump(merged, &text) < 0 || text.broken) {
                json_decref(merged);
                cw_buf_free(&text);
                return cw_error_oom(p->err);
            }
            if (json_is_object(merged) && text.len > CW_TREE_SPILL) {
                rc = spill(p, ptr, key, kn, merged, &s);
            } else if (kn + text.len > p->lim->value_limit) {
                rc = too_large(p, ptr, key, kn);
            } else if (into_stored && cw_json_check(text.p, text.len, p->lim->depth_limit,
                                                    p->lim->container_limit, NULL, NULL) < 0) {
                rc = cw_error_setf(p->err, CW_E_TOO_LARGE,
                                   "member \"%.40s\" would hold more than %d arrays and objects",
                                   key, (long long)p->lim->container_limit);
            } else {
                s = (long long)(kn + text.len);
                rc = add(p, CW_TREE_PUT, ptr, key, kn, text.p, text.len, s) < 0 ? -1 : 0;
            }
            json_decref(merged);
            cw_buf_free(&text);
            if (rc < 0)
                return -1;
            *delta += s - (node.kind == CW_NODE_NONE ? 0 : node.size);
        }
    }
    return 0;
}

int cw_tree_plan(cw_tree_source *src, json_t *patch, long long size, const cw_tree_limits *lim,
                 cw_tree_change *out, cw_error *err) {
    planner p = {src, lim, out, err};
    cw_buf root = CW_BUF_INIT;
    long long delta = 0;
    int rc;
    memset(out, 0, sizeof *out);
    rc = walk(&p, &root, patch, &delta);
    cw_buf_free(&root);
    out->size = size + delta;
    if (rc == 0 && out->size > lim->state_limit)
        rc = cw_error_setf(err, CW_E_TOO_LARGE,
                           "the state would be over the %d-byte stored-state limit",
                           lim->state_limit);
    if (rc < 0)
        cw_tree_change_free(out);
    return rc;
}

/* --- a whole document in memory ---------------------------------------------- */

int cw_tree_init(cw_tree *t) {
    t->root = json_object();
    t->sizes = json_object();
    t->size = 0;
    if (t->root && t->sizes)
        return 0;
    cw_tree_free(t);
    return -1;
}

void cw_tree_free(cw_tree *t) {
    json_decref(t->root);
    json_decref(t->sizes);
    t->root = t->sizes = NULL;
}

/* The spilled object at pointer ptr[0..n), or NULL. */
static json_t *object_at(const cw_tree *t, const char *ptr, size_t n) {
    json_t *obj = t->root;
    cw_buf seg = CW_BUF_INIT;
    size_t at = 0;
    int rc;
    while (obj && (rc = cw_json_ptr_next(ptr, n, &at, &seg)) == 1) {
        obj = json_object_getn(obj, seg.p ? seg.p : "", seg.len);
        if (!json_is_object(obj))
            obj = NULL;
    }
    if (obj && rc < 0)
        obj = NULL;
    cw_buf_free(&seg);
    return obj;
}

static long long size_of(const cw_tree *t, const char *ptr, size_t n) {
    return json_integer_value(json_object_getn(t->sizes, ptr, n));
}

int cw_tree_load_row(cw_tree *t, const char *parent, size_t pn, const char *key, size_t kn,
                     const char *text, size_t tn, long long size) {
    json_t *obj = object_at(t, parent, pn), *v;
    cw_buf ptr = CW_BUF_INIT;
    int rc;
    if (!obj)
        return -1;
    if (text) {
        v = json_stringn_nocheck(text, tn);
    } else {
        cw_buf_append(&ptr, parent, pn);
        cw_json_ptr_push(&ptr, key, kn);
        v = json_object();
        if (ptr.broken ||
            json_object_setn_new_nocheck(t->sizes, ptr.p, ptr.len, json_integer(size)) < 0) {
            json_decref(v);
            v = NULL;
        }
        cw_buf_free(&ptr);
    }
    rc = v ? json_object_setn_new_nocheck(obj, key, kn, v) : -1;
    if (rc == 0 && pn == 0)
        t->size += size;
    return rc;
}

/* Forgets the sizes of the spilled objects at or under ptr. */
static void forget(cw_tree *t, const char *ptr, size_t n, int self) {
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(t->sizes, tmp, k, v) {
        size_t kl = strlen(k);
        if ((self && kl == n && memcmp(k, ptr, n) == 0) ||
            (kl > n && k[n] == '/' && memcmp(k, ptr, n) == 0))
            json_object_del(t->sizes, k);
    }
}

int cw_tree_apply(cw_tree *t, const cw_tree_change *c) {
    for (size_t i = 0; i < c->n; i++) {
        const cw_tree_op *o = &c->ops[i];
        json_t *obj = object_at(t, o->parent, o->pn), *old;
        cw_buf ptr = CW_BUF_INIT;
        int rc = 0;
        if (!obj)
            return -1;
        cw_buf_append(&ptr, o->parent, o->pn);
        cw_json_ptr_push(&ptr, o->key, o->kn);
        if (ptr.broken) {
            cw_buf_free(&ptr);
            return -1;
        }
        old = json_object_getn(obj, o->key, o->kn);
        if (o->op == CW_TREE_CLEAR) {
            forget(t, ptr.p, ptr.len, 0);
            if (json_is_object(old))
                json_object_clear(old);
        } else if (o->op == CW_TREE_DEL) {
            forget(t, ptr.p, ptr.len, 1);
            rc = json_object_deln(obj, o->key, o->kn) == 0 || !old ? 0 : -1;
        } else if (o->text) {
            forget(t, ptr.p, ptr.len, 1);
            rc = json_object_setn_new_nocheck(obj, o->key, o->kn,
                                              json_stringn_nocheck(o->text, o->tn));
        } else {
            if (!json_is_object(old))
                rc = json_object_setn_new_nocheck(obj, o->key, o->kn, json_object());
            if (rc == 0)
                rc = json_object_setn_new_nocheck(t->sizes, ptr.p, ptr.len, json_integer(o->size));
        }
        cw_buf_free(&ptr);
        if (rc < 0)
            return -1;
    }
    t->size = c->size;
    return 0;
}

static int tree_get(cw_tree_source *s, const char *parent, size_t pn, const char *key, size_t kn,
                    cw_node *out, cw_error *err) {
    cw_tree *t = s->arg;
    json_t *obj = object_at(t, parent, pn), *v = obj ? json_object_getn(obj, key, kn) : NULL;
    (void)err;
    memset(out, 0, sizeof *out);
    if (json_is_object(v)) {
        cw_buf ptr = CW_BUF_INIT;
        cw_buf_append(&ptr, parent, pn);
        cw_json_ptr_push(&ptr, key, kn);
        out->kind = CW_NODE_OBJECT;
        out->size = ptr.broken ? 0 : size_of(t, ptr.p, ptr.len);
        cw_buf_free(&ptr);
    } else if (v) {
        out->kind = CW_NODE_VALUE;
        out->text = cw_json_string(v, &out->len);
        out->size = (long long)(kn + out->len);
    }
    return 0;
}

static int tree_each(cw_tree_source *s, const char *ptr, size_t n, cw_tree_each_fn fn, void *arg,
                     cw_error *err) {
    cw_tree *t = s->arg;
    json_t *obj = object_at(t, ptr, n), *v;
    const char *k;
    if (!obj)
        return cw_error_set(err, CW_E_INTERNAL, "no such stored object");
    json_object_foreach(obj, k, v) {
        size_t kn = strlen(k);
        cw_node node;
        int rc;
        if (tree_get(s, ptr, n, k, kn, &node, err) < 0)
            return -1;
        if ((rc = fn(arg, k, kn, &node)) != 0)
            return rc;
    }
    return 0;
}

void cw_tree_source_of(cw_tree *t, cw_tree_source *src) {
    src->get = tree_get;
    src->each = tree_each;
    src->arg = t;
}

static int render(const json_t *obj, cw_buf *out) {
    const char *k;
    json_t *v;
    int first = 1;
    cw_buf_append(out, "{", 1);
    json_object_foreach((json_t *)obj, k, v) {
        if (!first)
            cw_buf_append(out, ",", 1);
        first = 0;
        cw_buf_putjs(out, k, strlen(k));
        cw_buf_append(out, ":", 1);
        if (json_is_object(v)) {
            render(v, out);
        } else {
            size_t n;
            const char *p = cw_json_string(v, &n);
            cw_buf_append(out, p ? p : "null", p ? n : 4);
        }
    }
    return cw_buf_append(out, "}", 1);
}

int cw_tree_render(const cw_tree *t, cw_buf *out) {
    return render(t->root, out) < 0 || out->broken ? -1 : 0;
}
