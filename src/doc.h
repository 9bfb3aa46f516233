/* doc.h - the owner's documents, kept in the module between requests.
 *
 * A document up to CW_DOC_RESIDENT bytes is held whole ("resident"): its
 * tree (tree.h), values as the texts storage holds, so a load parses
 * nothing and a write parses only the values its patch reaches; and the
 * serialization a GET serves, built once per version and kept. A larger
 * document is "paged": the entry holds its version and size only, a write
 * reads the rows its patch reaches, and a read streams from the rows. So
 * the module's memory follows the documents in use, not their size.
 *
 * Entries are keyed by id and say which version they hold; the owner reads
 * the stored version (one indexed read) before trusting one. They share one
 * byte budget for the isolate (the environment's cache_bytes), and the
 * least recently used go first. Memory is counted exactly, from the
 * allocator's live bytes around every change.
 *
 * A write is planned as a cw_tree_change, committed to storage, and only
 * then applied to the entry: an entry never holds a version that was not
 * committed.
 *
 * Global state (runtime.h lists it): the entries and their LRU list. */
#ifndef CW_DOC_H
#define CW_DOC_H

#include <stddef.h>

#include <jansson.h>

#include "buf.h"
#include "error.h"
#include "id.h"
#include "tree.h"

#define CW_DOC_RESIDENT (4LL << 20) /* the largest document held whole */

typedef struct cw_doc {
    char id[CW_ID_MAX + 1];
    long long version;
    int resident;   /* 1: tree holds the whole document; 0: paged */
    cw_tree tree;   /* resident: the document */
    long long size; /* its stored size (tree.h) */
    cw_buf view;    /* resident: the GET answer {"id","version","state"} at this version,
                       or empty */
    size_t bytes;   /* memory held by the entry but its view, from the allocator */
    struct cw_doc *newer, *older; /* the LRU list */
} cw_doc;

/* The entry for id (NUL-terminated), made the most recently used; NULL
 * when none is cached. */
cw_doc *cw_doc_find(const char *id);

/* Replaces any entry for id with a new one at version, the most recently
 * used: resident and empty (rows are loaded into it with
 * cw_doc_load_row), or paged, of stored size size. NULL when out of
 * memory. */
cw_doc *cw_doc_new(const char *id, long long version, int resident, long long size);

/* Adds a row to a resident d while loading (tree.h cw_tree_load_row).
 * Returns 0, or -1 with err set (d is then dropped). */
int cw_doc_load_row(cw_doc *d, const char *parent, size_t pn, const char *key, size_t kn,
                    const char *text, size_t tn, long long size, cw_error *err);

/* Finishes a load (or any change): recounts d's memory and evicts the least
 * recently used entries other than d while over budget bytes. */
void cw_doc_settle(cw_doc *d, size_t budget);

/* Keeps *view (emptied) as d's serialization of its version, then settles
 * the budget as cw_doc_settle. */
void cw_doc_keep_view(cw_doc *d, cw_buf *view, size_t budget);

/* Drops the entry for id, if any. */
void cw_doc_drop(const char *id);

/* Drops every entry (tests). */
void cw_doc_drop_all(void);

/* Bytes held by all entries. */
size_t cw_doc_bytes(void);

/* A source reading a resident d (tree.h). */
void cw_doc_source(cw_doc *d, cw_tree_source *src);

/* Appends a resident d's state, its JSON text, to out. Returns 0, or -1
 * when out of memory. */
int cw_doc_render(const cw_doc *d, cw_buf *out);

/* Applies a planned change to a resident d before it is committed (so the
 * state it makes can be rendered without a copy): d then holds no
 * committed version (version -1, which no stored version matches, so the
 * next request loads it again unless cw_doc_commit follows). Returns 0,
 * or -1 when out of memory (d is then dropped). */
int cw_doc_stage(cw_doc *d, const cw_tree_change *change);

/* The change applied to d (staged, or applied now when d holds it
 * committed) stood: d is at version, of the change's size, keeping view
 * (taken from *view, which is emptied; an empty one clears d's): the whole
 * GET answer of that version. A resident d that grows past
 * CW_DOC_RESIDENT becomes paged. Returns 0, or -1 when out of memory, in
 * which case d is dropped (the next request loads it again) and *view is
 * left as it was. */
int cw_doc_apply(cw_doc *d, const cw_tree_change *change, long long version, cw_buf *view);

#endif
