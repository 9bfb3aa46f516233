/* doc.c - the owner's document cache (see doc.h). */
#include "doc.h"

#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "json.h"
#include "merge.h"

/* Global state: the entries, newest first, an index by id (id -> the
 * entry's address as an integer), and the bytes they hold. */
static struct {
    cw_doc *newest, *oldest;
    json_t *index;
    size_t bytes;
} cache;

static void unlink_entry(cw_doc *d) {
    if (d->newer)
        d->newer->older = d->older;
    else
        cache.newest = d->older;
    if (d->older)
        d->older->newer = d->newer;
    else
        cache.oldest = d->newer;
    d->newer = d->older = NULL;
}

static void link_newest(cw_doc *d) {
    d->older = cache.newest;
    d->newer = NULL;
    if (cache.newest)
        cache.newest->newer = d;
    cache.newest = d;
    if (!cache.oldest)
        cache.oldest = d;
}

static void free_entry(cw_doc *d) {
    unlink_entry(d);
    json_object_del(cache.index, d->id);
    cache.bytes -= d->bytes + d->view.cap;
    json_decref(d->members);
    cw_buf_free(&d->view);
    cw_free(d);
}

/* Makes *view d's view (emptying *view), counted at its capacity. */
static void set_view(cw_doc *d, cw_buf *view) {
    cache.bytes -= d->view.cap;
    cw_buf_free(&d->view);
    d->view = *view;
    *view = (cw_buf)CW_BUF_INIT;
    cache.bytes += d->view.cap;
}

void cw_doc_keep_view(cw_doc *d, cw_buf *view, size_t budget) {
    set_view(d, view);
    cw_doc_settle(d, budget);
}

/* Adds the change in live bytes since before to d's count (its view is
 * counted apart, by set_view). */
static void account(cw_doc *d, size_t before) {
    size_t now = cw_alloc_live();
    cache.bytes -= d->bytes;
    d->bytes = d->bytes + now - before;
    cache.bytes += d->bytes;
}

cw_doc *cw_doc_find(const char *id) {
    json_t *at = json_object_get(cache.index, id);
    cw_doc *d = at ? (cw_doc *)(uintptr_t)json_integer_value(at) : NULL;
    if (d) {
        unlink_entry(d);
        link_newest(d);
    }
    return d;
}

void cw_doc_drop(const char *id) {
    cw_doc *d = cw_doc_find(id);
    if (d)
        free_entry(d);
}

void cw_doc_drop_all(void) {
    while (cache.oldest)
        free_entry(cache.oldest);
}

size_t cw_doc_bytes(void) { return cache.bytes; }

cw_doc *cw_doc_new(const char *id, long long version) {
    size_t before, k;
    cw_doc *d;
    cw_doc_drop(id);
    before = cw_alloc_live();
    if (!cache.index && !(cache.index = json_object()))
        return NULL;
    if (!(d = cw_malloc(sizeof *d)))
        return NULL;
    memset(d, 0, sizeof *d);
    k = strlen(id);
    k = k < CW_ID_MAX ? k : CW_ID_MAX;
    memcpy(d->id, id, k);
    d->id[k] = '\0';
    d->version = version;
    if (!(d->members = json_object()) ||
        json_object_set_new_nocheck(cache.index, d->id, json_integer((json_int_t)(uintptr_t)d)) <
            0) {
        json_decref(d->members);
        cw_free(d);
        return NULL;
    }
    link_newest(d);
    account(d, before);
    return d;
}

int cw_doc_load_member(cw_doc *d, const char *key, size_t kn, const char *value, size_t vn,
                       cw_error *err) {
    size_t before = cw_alloc_live();
    json_t *text = json_stringn_nocheck(value, vn);
    if (!text || json_object_setn_new_nocheck(d->members, key, kn, text) < 0) {
        free_entry(d);
        return cw_error_oom(err);
    }
    d->size += kn + vn;
    account(d, before);
    return 0;
}

void cw_doc_settle(cw_doc *d, size_t budget) {
    while (cache.bytes > budget && cache.oldest && cache.oldest != d)
        free_entry(cache.oldest);
}

void cw_doc_change_free(cw_doc_change *c) {
    json_decref(c->set);
    c->set = NULL;
}

/* A member's text (doc.c's own strings: JSON texts, never a number held
 * as text), and its length. */
static const char *text_of(const json_t *s, size_t *n) {
    const char *p = cw_json_string(s, n);
    if (!p)
        *n = 0;
    return p;
}

static size_t text_len(const json_t *s) {
    size_t n;
    text_of(s, &n);
    return n;
}

/* The new text of member key: value merged into the stored text old (NULL
 * when absent), serialized into out. Returns 0 or -1 with err set. */
static int merge_member(const char *key, const json_t *old, json_t *value, cw_buf *out,
                        cw_error *err) {
    json_t *target = NULL, *merged;
    int rc;
    if (json_is_object(value) && old) {
        size_t n;
        const char *p = text_of(old, &n);
        target = cw_json_load(p, n);
        if (!target)
            return cw_error_set2(err, CW_E_INTERNAL, "a stored member is unreadable: ", key);
    }
    if (!(merged = cw_merge_patch(target, value)))
        return cw_error_oom(err);
    rc = cw_json_dump(merged, out);
    json_decref(merged);
    if (rc < 0 || out->broken)
        return cw_error_oom(err);
    return 0;
}

int cw_doc_prepare(const cw_doc *d, json_t *patch, const cw_doc_limits *lim, cw_doc_change *c,
                   cw_error *err) {
    const char *key;
    json_t *value;
    size_t size = d->size;

    c->set = json_object();
    if (!c->set)
        return cw_error_oom(err);
    json_object_foreach(patch, key, value) {
        const json_t *old = json_object_get(d->members, key);
        size_t kn = strlen(key), was = old ? kn + text_len(old) : 0, kn_old;
        const char *stored;
        cw_buf text = CW_BUF_INIT;
        json_t *entry;
        if (json_is_null(value)) {
            if (old && json_object_set_new_nocheck(c->set, key, json_null()) < 0)
                goto oom;
            size -= was;
            continue;
        }
        if (merge_member(key, old, value, &text, err) < 0)
            goto fail;
        if (kn + text.len > lim->member_limit) {
            cw_error_setf(err, CW_E_TOO_LARGE,
                          "member \"%.40s\" would be over the %d-byte member limit", key,
                          (long long)lim->member_limit);
            cw_buf_free(&text);
            goto fail;
        }
        /* Only an object merged into a stored object can pass the limits
         * the patch was parsed under: anything else is part of the patch. */
        if (json_is_object(value) && old && (stored = text_of(old, &kn_old)) && kn_old &&
            stored[0] == '{' &&
            cw_json_check(text.p, text.len, lim->depth_limit, lim->container_limit, NULL, NULL) <
                0) {
            cw_error_setf(err, CW_E_TOO_LARGE,
                          "member \"%.40s\" would hold more than %d arrays and objects", key,
                          (long long)lim->container_limit);
            cw_buf_free(&text);
            goto fail;
        }
        entry = json_stringn_nocheck(text.p, text.len);
        size = size - was + kn + text.len;
        cw_buf_free(&text);
        if (!entry || json_object_set_new_nocheck(c->set, key, entry) < 0)
            goto oom;
    }
    c->size = size;
    if (size > lim->state_limit) {
        cw_error_setf(err, CW_E_TOO_LARGE, "the state would be over the %d-byte stored-state limit",
                      (long long)lim->state_limit);
        goto fail;
    }
    return 0;
oom:
    cw_error_oom(err);
fail:
    cw_doc_change_free(c);
    return -1;
}

/* A member value's text never ends in '{' or '[', so cw_buf_key puts the
 * commas right. */
static void put_member(cw_buf *out, const char *key, const json_t *text) {
    size_t n;
    const char *p = text_of(text, &n);
    cw_buf_key(out, key);
    cw_buf_append(out, p, n);
}

int cw_doc_render(const cw_doc *d, const cw_doc_change *change, cw_buf *out) {
    const char *key;
    json_t *text, *set = change ? change->set : NULL;
    cw_buf_append(out, "{", 1);
    json_object_foreach(d->members, key, text) {
        json_t *now = json_object_get(set, key);
        if (now)
            text = now;
        if (!json_is_null(text))
            put_member(out, key, text);
    }
    json_object_foreach(set, key, text) {
        if (!json_is_null(text) && !json_object_get(d->members, key))
            put_member(out, key, text);
    }
    return cw_buf_append(out, "}", 1);
}

int cw_doc_apply(cw_doc *d, const cw_doc_change *change, long long version, cw_buf *view) {
    size_t before = cw_alloc_live();
    const char *key;
    json_t *text;
    int rc = 0;
    json_object_foreach(change->set, key, text) {
        if (json_is_null(text))
            json_object_del(d->members, key);
        else if (json_object_set_nocheck(d->members, key, text) < 0)
            rc = -1;
    }
    d->version = version;
    d->size = change->size;
    account(d, before);
    if (rc < 0) {
        free_entry(d); /* *view stays the caller's */
        return -1;
    }
    set_view(d, view);
    return 0;
}
