/* doc.h - the owner's documents, kept in the module between requests.
 *
 * A document is the state of one id at one version, held the way SQLite
 * holds it: one JSON text per top-level member, in order. So a load from
 * storage parses nothing; a write parses, merges and serializes only the
 * members its patch touches (RFC 7386 below the top level), and the
 * serialization a GET serves is built by concatenation once per version and
 * kept. Keeping member texts rather than Jansson trees also keeps the
 * memory near the state's own size (Jansson spends several times that).
 *
 * Entries are keyed by id and say which version they hold; the owner reads
 * the stored version (one indexed read) before trusting one. They share one
 * byte budget for the isolate (the environment's cache_bytes), and the
 * least recently used go first. Memory is counted exactly, from the
 * allocator's live bytes around every change.
 *
 * A write is prepared as a cw_doc_change (the members it puts or deletes,
 * with the texts already serialized and the limits checked), committed to
 * storage by the host, and only then applied to the entry: an entry never
 * holds a version that was not committed.
 *
 * Global state (runtime.h lists it): the entries and their LRU list. */
#ifndef CW_DOC_H
#define CW_DOC_H

#include <stddef.h>

#include <jansson.h>

#include "buf.h"
#include "error.h"
#include "id.h"

typedef struct cw_doc {
    char id[CW_ID_MAX + 1];
    long long version;
    json_t *members; /* object: key -> string holding the member's JSON text, in order */
    size_t size;     /* bytes of the state as stored: each key and value text */
    cw_buf view;     /* the GET answer {"id","version","state"} at this version, or empty */
    size_t bytes;    /* memory held by the entry but its view, from the allocator */
    struct cw_doc *newer, *older; /* the LRU list */
} cw_doc;

/* The entry for id (NUL-terminated), made the most recently used; NULL
 * when none is cached. */
cw_doc *cw_doc_find(const char *id);

/* Replaces any entry for id with a new empty one at version, the most
 * recently used. NULL when out of memory. */
cw_doc *cw_doc_new(const char *id, long long version);

/* Adds member key[0..kn) with JSON text value[0..vn) (both borrowed, the
 * text as stored) at the end of d, while loading. Returns 0, or -1 with
 * err set (out of memory: d is then dropped). */
int cw_doc_load_member(cw_doc *d, const char *key, size_t kn, const char *value, size_t vn,
                       cw_error *err);

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

/* Limits a change must keep. */
typedef struct {
    size_t member_limit;  /* largest key + value text of one member */
    size_t state_limit;   /* largest state: every member's key + value text */
    int depth_limit;      /* deepest nesting of a member's value */
    long container_limit; /* most arrays + objects in a member's value */
} cw_doc_limits;

/* A prepared write: for each member the patch touches, its new JSON text,
 * or JSON null to delete it; in the patch's order. */
typedef struct {
    json_t *set; /* object: key -> string (new text) or null (delete) */
    size_t size; /* the state's stored size after the change */
} cw_doc_change;

/* Prepares the RFC 7386 merge of patch (borrowed, an object) into d:
 * parses, merges and serializes only the members the patch names. d is
 * not changed. Returns 0, or -1 with err set: CW_E_TOO_LARGE when a member
 * or the state would pass a limit (nothing is prepared), CW_E_INTERNAL
 * when a stored member is unreadable or memory runs out. */
int cw_doc_prepare(const cw_doc *d, json_t *patch, const cw_doc_limits *lim, cw_doc_change *c,
                   cw_error *err);

/* Releases a change. Safe on a zeroed one. */
void cw_doc_change_free(cw_doc_change *c);

/* Appends the state's JSON text to out: d's members, with change (may be
 * NULL) applied. Returns 0, or -1 when out of memory. */
int cw_doc_render(const cw_doc *d, const cw_doc_change *change, cw_buf *out);

/* Applies a committed change to d, now at version, keeping view (taken
 * from *view, which is emptied; an empty one clears d's): the whole GET
 * answer of that version. Returns 0, or -1 when out of memory, in which
 * case d is dropped (the next request loads it again) and *view is left as
 * it was. */
int cw_doc_apply(cw_doc *d, const cw_doc_change *change, long long version, cw_buf *view);

#endif
