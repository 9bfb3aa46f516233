/* stream.c - a document read from its rows a piece at a time (stream.h). */
#include "stream.h"

#include <string.h>

#include "alloc.h"
#include "json.h"
#include "store.h"
#include "tree.h"

#define PAGE_ROWS 1024
#define MAX_LEVELS 72 /* the nesting limit (64) and the root, with room */

typedef struct {
    cw_buf ptr;      /* the object's pointer */
    long long after; /* the rowid of its last member read */
    long long count; /* members written so far */
} level;

struct cw_stream {
    level levels[MAX_LEVELS];
    int depth;   /* levels in use */
    int started; /* head and the root's "{" written */
    int done;    /* tail written */
    cw_buf head, tail;
};

cw_stream *cw_stream_new(const char *ptr, size_t n, const char *head, size_t hn, const char *tail,
                         size_t tn) {
    cw_stream *s = cw_alloc_new(sizeof *s);
    if (!s)
        return NULL;
    memset(s, 0, sizeof *s);
    cw_buf_append(&s->levels[0].ptr, ptr, n);
    cw_buf_append(&s->head, head, hn);
    cw_buf_append(&s->tail, tail, tn);
    s->depth = 1;
    if (s->levels[0].ptr.broken || s->head.broken || s->tail.broken) {
        cw_stream_free(s);
        return NULL;
    }
    return s;
}

void cw_stream_free(cw_stream *s) {
    if (!s)
        return;
    for (int i = 0; i < MAX_LEVELS; i++)
        cw_buf_free(&s->levels[i].ptr);
    cw_buf_free(&s->head);
    cw_buf_free(&s->tail);
    cw_alloc_free(s);
}

static int malformed(cw_error *err) {
    return cw_error_set(err, CW_E_STORAGE, "storage failed: the rows read are malformed");
}

/* Reads the next page of the top object's members into out; descends into
 * a spilled member (the rest of the page is read again from there later),
 * or closes the object when it has no more. */
static int page(cw_stream *s, cw_buf *out, size_t budget, cw_error *err) {
    level *l = &s->levels[s->depth - 1];
    cw_rows r;
    int rc = 0;
    if (cw_store_run(CW_Q_CHILDREN_PAGE, &r, "tiii", l->ptr.p ? l->ptr.p : "", l->ptr.len, l->after,
                     (long long)PAGE_ROWS, (long long)budget) < 0)
        return cw_error_set(err, CW_E_STORAGE, "storage failed: a read failed");
    if (r.rows == 0) {
        cw_buf_append(out, "}", 1);
        cw_buf_free(&l->ptr);
        l->after = l->count = 0;
        s->depth--;
    }
    for (uint32_t i = 0; i < r.rows && rc == 0; i++) {
        cw_value rowid, key, value, size;
        if (r.cols != 4 || cw_store_rows_value(&r, &rowid) < 0 ||
            cw_store_rows_value(&r, &key) < 0 || cw_store_rows_value(&r, &value) < 0 ||
            cw_store_rows_value(&r, &size) < 0 || rowid.type != CW_VAL_INT ||
            key.type != CW_VAL_TEXT || (value.type != CW_VAL_TEXT && value.type != CW_VAL_NULL)) {
            rc = malformed(err);
            break;
        }
        if (l->count++)
            cw_buf_append(out, ",", 1);
        cw_buf_putjs(out, key.s ? key.s : "", key.n);
        cw_buf_append(out, ":", 1);
        l->after = rowid.i;
        if (value.type == CW_VAL_TEXT) {
            cw_buf_append(out, value.s, value.n);
            continue;
        }
        /* A spilled member: its own members next. */
        if (s->depth == MAX_LEVELS) {
            rc = malformed(err);
            break;
        }
        {
            level *child = &s->levels[s->depth++];
            cw_buf_append(&child->ptr, l->ptr.p ? l->ptr.p : "", l->ptr.len);
            cw_json_ptr_push(&child->ptr, key.s ? key.s : "", key.n);
            child->after = child->count = 0;
            cw_buf_append(out, "{", 1);
            if (child->ptr.broken)
                rc = cw_error_oom(err);
        }
        break;
    }
    cw_store_rows_done(&r);
    return rc;
}

int cw_stream_next(cw_stream *s, cw_buf *out, size_t max, cw_error *err) {
    size_t start = out->len;
    if (s->done)
        return 0;
    if (!s->started) {
        cw_buf_append(out, s->head.p ? s->head.p : "", s->head.len);
        cw_buf_append(out, "{", 1);
        s->started = 1;
    }
    while (s->depth > 0 && out->len - start < max) {
        if (page(s, out, max - (out->len - start), err) < 0)
            return -1;
        if (out->broken)
            return cw_error_oom(err);
    }
    if (s->depth > 0)
        return 1;
    cw_buf_append(out, s->tail.p ? s->tail.p : "", s->tail.len);
    s->done = 1;
    return out->broken ? cw_error_oom(err) : 0;
}
