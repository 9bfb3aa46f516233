/* doc.c - the owner's document cache (see doc.h). */
#include "doc.h"

#include <stdint.h>
#include <string.h>

#include "alloc.h"

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
    cw_tree_free(&d->tree);
    cw_buf_free(&d->view);
    cw_alloc_free(d);
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

cw_doc *cw_doc_new(const char *id, long long version, int resident, long long size) {
    size_t before, k;
    cw_doc *d;
    cw_doc_drop(id);
    before = cw_alloc_live();
    if (!cache.index && !(cache.index = json_object()))
        return NULL;
    if (!(d = cw_alloc_new(sizeof *d)))
        return NULL;
    memset(d, 0, sizeof *d);
    k = strlen(id);
    k = k < CW_ID_MAX ? k : CW_ID_MAX;
    memcpy(d->id, id, k);
    d->id[k] = '\0';
    d->version = version;
    d->resident = resident;
    d->size = resident ? 0 : size;
    if ((resident && cw_tree_init(&d->tree) < 0) ||
        json_object_set_new_nocheck(cache.index, d->id, json_integer((json_int_t)(uintptr_t)d)) <
            0) {
        cw_tree_free(&d->tree);
        cw_alloc_free(d);
        return NULL;
    }
    link_newest(d);
    account(d, before);
    return d;
}

int cw_doc_load_row(cw_doc *d, const char *parent, size_t pn, const char *key, size_t kn,
                    const char *text, size_t tn, long long size, cw_error *err) {
    size_t before = cw_alloc_live();
    if (cw_tree_load_row(&d->tree, parent, pn, key, kn, text, tn, size) < 0) {
        free_entry(d);
        return cw_error_set(err, CW_E_STORAGE, "storage failed: the rows read are malformed");
    }
    d->size = d->tree.size;
    account(d, before);
    return 0;
}

void cw_doc_settle(cw_doc *d, size_t budget) {
    while (cache.bytes > budget && cache.oldest && cache.oldest != d)
        free_entry(cache.oldest);
}

void cw_doc_source(cw_doc *d, cw_tree_source *src) { cw_tree_source_of(&d->tree, src); }

int cw_doc_render(const cw_doc *d, cw_buf *out) { return cw_tree_render(&d->tree, out); }

int cw_doc_stage(cw_doc *d, const cw_tree_change *change) {
    size_t before = cw_alloc_live();
    int rc = cw_tree_apply(&d->tree, change);
    d->version = -1;
    account(d, before);
    if (rc < 0)
        free_entry(d);
    return rc;
}

int cw_doc_apply(cw_doc *d, const cw_tree_change *change, long long version, cw_buf *view) {
    size_t before = cw_alloc_live();
    int rc = 0;
    if (d->resident && d->version >= 0) /* else staged already */
        rc = cw_tree_apply(&d->tree, change);
    d->version = version;
    d->size = change->size;
    if (rc == 0 && d->resident && d->size > CW_DOC_RESIDENT) {
        /* Grown past what is held whole: from now on, paged. */
        cw_tree_free(&d->tree);
        d->resident = 0;
        view->len = 0;
    }
    account(d, before);
    if (rc < 0) {
        free_entry(d); /* *view stays the caller's */
        return -1;
    }
    set_view(d, view);
    return 0;
}
