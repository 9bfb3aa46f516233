/* stream.h - a document read from its rows a bounded piece at a time.
 *
 * A document too large to hold whole (doc.h) is read back for a GET, a
 * snapshot or a subtree by walking its rows (tree.h) in member order: a
 * page of an object's members at a time (store.h CW_Q_CHILDREN_PAGE,
 * bounded in rows and bytes), descending into a spilled member as it comes.
 * Each call produces about max bytes of the JSON text, so the module never
 * holds the document, only the walk's stack of pointers. */
#ifndef CW_STREAM_H
#define CW_STREAM_H

#include <stddef.h>

#include "buf.h"
#include "error.h"

typedef struct cw_stream cw_stream;

/* A stream of the JSON text of the spilled object at ptr[0..n) ("" the
 * root), after head[0..hn) and before tail[0..tn) (both copied). NULL when
 * out of memory. */
cw_stream *cw_stream_new(const char *ptr, size_t n, const char *head, size_t hn, const char *tail,
                         size_t tn);

/* Appends the next piece to out: about max bytes, at least one value
 * (which may be larger). Returns 1 while more follows, 0 when the text is
 * complete, -1 with err set (storage failed, or the rows are malformed). */
int cw_stream_next(cw_stream *s, cw_buf *out, size_t max, cw_error *err);

/* NULL is a no-op. */
void cw_stream_free(cw_stream *s);

#endif
