/* tree.h - a document stored by path: the layout, and the plan of a write.
 *
 * A document is stored as rows, one per member of a "spilled" object,
 * keyed by the object's JSON Pointer (RFC 6901) and the member's name
 * (store.h cw_nodes). A row holds the member's JSON text, or, when the
 * member is itself a spilled object, no text: its members are rows of
 * their own. The root is always spilled, so its members are the rows under
 * "". An object is spilled when its stored size passes CW_TREE_SPILL bytes
 * and goes back inline when a write takes it under CW_TREE_INLINE; arrays
 * and scalars are atomic values, always inline. So a write touches rows in
 * proportion to its patch: each path a patch names is a walk down spilled
 * objects to one inline value (at most CW_TREE_SPILL bytes unless it is an
 * atomic value), which alone is parsed, merged, serialized and written.
 * SQLite's 2 MB value limit then bounds one value, not a subtree.
 *
 * Sizes: a row's size is its key's bytes plus its text's, or, for a
 * spilled object, its key's bytes plus its members' sizes; a document's is
 * the sum of the root's members'. The state limit counts that.
 *
 * This module plans; it reads nodes through a cw_tree_source (the owner's
 * cache, or storage) and never writes. Its plan (cw_tree_change) is what
 * the owner commits as rows and applies to its cache. It also keeps the
 * in-memory form of a whole document (cw_tree), which the owner caches for
 * documents small enough to hold. */
#ifndef CW_TREE_H
#define CW_TREE_H

#include <stddef.h>

#include <jansson.h>

#include "buf.h"
#include "error.h"

#define CW_TREE_SPILL 4096  /* an object over this many stored bytes is spilled */
#define CW_TREE_INLINE 2048 /* a spilled object under this goes back inline */

/* --- reading nodes -------------------------------------------------------- */

enum { CW_NODE_NONE = 0, CW_NODE_VALUE = 1, CW_NODE_OBJECT = 2 };

typedef struct {
    int kind;         /* CW_NODE_* */
    const char *text; /* VALUE: its JSON text, valid until the next call of the source */
    size_t len;
    long long size; /* its stored size (VALUE, OBJECT) */
} cw_node;

typedef struct cw_tree_source cw_tree_source;
/* Calls back for each member of a spilled object, in order: 0 to go on. */
typedef int (*cw_tree_each_fn)(void *arg, const char *key, size_t kn, const cw_node *node);

struct cw_tree_source {
    /* Member key[0..kn) of the spilled object at pointer parent[0..pn).
     * Returns 0 (out->kind NONE when there is none), or -1 with err set. */
    int (*get)(cw_tree_source *s, const char *parent, size_t pn, const char *key, size_t kn,
               cw_node *out, cw_error *err);
    /* Each member of the spilled object at ptr[0..n), in order. Returns 0,
     * the callback's non-zero, or -1 with err set. */
    int (*each)(cw_tree_source *s, const char *ptr, size_t n, cw_tree_each_fn fn, void *arg,
                cw_error *err);
    void *arg;
};

/* The subtree at ptr[0..n), a spilled object, as a Jansson value read
 * back from its rows (its values parsed). NULL with err set. */
json_t *cw_tree_read(cw_tree_source *src, const char *ptr, size_t n, int depth_limit,
                     cw_error *err);

/* --- finding a path ------------------------------------------------------------ */

typedef struct {
    int kind;       /* CW_NODE_NONE, CW_NODE_VALUE or CW_NODE_OBJECT (spilled) */
    cw_buf ptr;     /* OBJECT: its pointer (escaped; "" the root) */
    cw_buf text;    /* VALUE: its JSON text */
    long long size; /* OBJECT: its stored size (-1: the root, whose size the document has) */
    int in_array;   /* the first of path's segments taken inside an array (1-based), or 0 */
} cw_tree_found;

/* Finds the value at JSON Pointer path[0..n) (RFC 6901; "" the whole
 * document) in the document src reads: a spilled object (its pointer), or
 * a value (its text: a member's, or, for a path that goes on into an
 * atomic value, the part of it the rest names: objects by name, arrays by
 * index), or none. out's buffers are the caller's (zeroed, then freed
 * with cw_buf_free). Returns 0, or -1 with err set: CW_E_INVALID_PARAMETER
 * when path is not a JSON Pointer, CW_E_STORAGE or CW_E_INTERNAL when a
 * read fails. */
int cw_tree_find(cw_tree_source *src, const char *path, size_t n, cw_tree_found *out,
                 cw_error *err);

/* --- planning a write -------------------------------------------------------- */

enum {
    CW_TREE_PUT = 1,  /* row (parent, key): text, or (text NULL) a spilled object; its size */
    CW_TREE_DEL = 2,  /* row (parent, key) goes */
    CW_TREE_CLEAR = 3 /* every row under the object at parent + "/" + key goes (not its own) */
};

typedef struct {
    int op;
    char *parent, *key, *text; /* NUL-terminated, in one block (parent's, owned);
                                  text NULL: a spilled object */
    size_t pn, kn, tn;
    long long size;
} cw_tree_op;

/* A planned write: its row operations, in order, and the document's
 * stored size after it. */
typedef struct {
    cw_tree_op *ops;
    size_t n, cap;
    long long size;
} cw_tree_change;

typedef struct {
    size_t value_limit;    /* largest row: key + one value's text */
    long long state_limit; /* largest document, stored bytes */
    int depth_limit;       /* deepest nesting of a value */
    long container_limit;  /* most arrays + objects in a merged value */
} cw_tree_limits;

/* Plans the RFC 7386 merge of patch (an object, borrowed) into the
 * document src reads, whose stored size is size. Nothing is written.
 * Returns 0, or -1 with err set: CW_E_TOO_LARGE when a value or the
 * document would pass a limit, CW_E_INTERNAL when a stored value is
 * unreadable or memory runs out (the change is then empty). */
int cw_tree_plan(cw_tree_source *src, json_t *patch, long long size, const cw_tree_limits *lim,
                 cw_tree_change *out, cw_error *err);

/* Releases a change. Safe on a zeroed one. */
void cw_tree_change_free(cw_tree_change *c);

/* --- a whole document in memory ---------------------------------------------- */

/* A document held whole: objects as Jansson objects (spilled ones as
 * objects of their members, inline values as strings holding their JSON
 * text, so a member is parsed only when a write reaches into it), and the
 * stored size of each spilled object by pointer. */
typedef struct {
    json_t *root;   /* object: key -> string (a value's text) or object (spilled) */
    json_t *sizes;  /* object: pointer -> integer, each spilled object's size */
    long long size; /* the document's stored size */
} cw_tree;

/* An empty document. Returns 0, or -1 when out of memory. */
int cw_tree_init(cw_tree *t);

void cw_tree_free(cw_tree *t);

/* Adds the row (parent, key, text or NULL for a spilled object, size) while
 * loading, rows in (parent, rowid) order. Returns 0, or -1 when the row
 * names a parent not loaded (malformed rows) or memory runs out. */
int cw_tree_load_row(cw_tree *t, const char *parent, size_t pn, const char *key, size_t kn,
                     const char *text, size_t tn, long long size);

/* Applies a committed change. Returns 0, or -1 when out of memory (t is
 * then not to be trusted). */
int cw_tree_apply(cw_tree *t, const cw_tree_change *c);

/* A source reading t. */
void cw_tree_source_of(cw_tree *t, cw_tree_source *src);

/* Appends t's JSON text (the whole state) to out. Returns 0, or -1. */
int cw_tree_render(const cw_tree *t, cw_buf *out);

#endif
