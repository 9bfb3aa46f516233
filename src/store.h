/* store.h - what the owner asks of its Durable Object's SQLite storage.
 *
 * Every statement the host ever runs is here: the schema (DDL, run when the
 * object starts) and a fixed table of statements, each with a number. The
 * host decides nothing: it runs statement s with the parameters given.
 *
 * Reads run at once, synchronously, through the host port (port.h), and
 * come back as rows. Writes, the typed storage operations (put member,
 * delete member, append journal entry, prune journal, clear, set meta, drop
 * the legacy table, remember and expire idempotency keys), are queued with
 * copies of their bytes, and cw_store_commit hands the whole batch to the
 * host in one call, which runs it in one transaction: all of it is
 * written, or none. So a request that only reads opens no transaction,
 * and a write crosses into the host once. A read sees what the last
 * commit wrote, never a queued write; a batch never outlives the call into
 * the module that made it (the pipeline refuses to suspend with writes
 * queued, and discards what an error left).
 *
 * Values and journal patches are written as BLOBs (their UTF-8 JSON text):
 * the host hands bytes to SQLite and back without transcoding. Rows
 * written as TEXT by earlier versions read the same way.
 *
 * Tables (all prefixed cw_; "state" and "cw_members" are older layouts'):
 *   cw_meta    one row: version, journal count / bytes / first version
 *   cw_nodes   the document by path (tree.h): one row per member of a
 *              spilled object, keyed by its pointer and name: the JSON
 *              value (NULL for a spilled object), its stored size, the
 *              version that last changed it; rowid order is member order
 *   cw_journal one row per accepted write: version, time, request id,
 *              actor, idempotency key, the patch as applied, its size
 *   cw_keys    one row per idempotency key within its window: the key, a
 *              hash of the patch as applied, the version the write made,
 *              its time; kept apart from the journal, so exactly-once
 *              outlives journal retention and DELETE */
#ifndef CW_STORE_H
#define CW_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "port.h"

typedef enum {
    /* reads */
    CW_Q_META = 0,       /* () -> version, jcount, jbytes, jfirst (no row: never written) */
    CW_Q_NODE,           /* (parent, key) -> value (NULL: a spilled object), size */
    CW_Q_CHILDREN,       /* (parent) -> key, value, size of each member, in order */
    CW_Q_CHILDREN_PAGE,  /* (parent, after rowid, rows, bytes) -> rowid, key, value, size:
                            the next members, at most rows of them and, past the first,
                            at most bytes */
    CW_Q_ROOT_SIZE,      /* () -> the document's stored size */
    CW_Q_NODES,          /* () -> parent, key, value, size of every row, parents first */
    CW_Q_OLD_LAYOUTS,    /* () -> the names of the older layouts' tables still there
                            ("cw_members", "state") */
    CW_Q_LEGACY_BLOB,    /* () -> blob of the one-blob layout's row */
    CW_Q_JOURNAL_SINCE,  /* (since, limit) -> version, at, request_id, actor, patch */
    CW_Q_JOURNAL_BASE,   /* (base, limit, bytes) -> version, patch of the entries after
                            base, oldest first, while their sizes sum to at most bytes */
    CW_Q_KEY,            /* (key) -> hash, version, at of that idempotency key, and the
                            journal's patch for a key kept without a hash */
    CW_Q_JOURNAL_OLDEST, /* (limit) -> version, size, oldest first */
    /* writes: the typed operations of a commit */
    CW_OP_META,            /* (version, jcount, jbytes, jfirst) */
    CW_OP_PUT_NODE,        /* (parent, key, value or NULL, size, version) */
    CW_OP_DEL_NODE,        /* (parent, key) */
    CW_OP_CLEAR_UNDER,     /* (pointer): every row under that object */
    CW_OP_APPEND,          /* (version, at, request_id, actor, key, patch, size) */
    CW_OP_PRUNE,           /* (first kept version): drops older entries */
    CW_OP_CLEAR,           /* (): every row and journal entry */
    CW_OP_DROP_LEGACY,     /* (): the one-blob layout's table, once converted */
    CW_OP_CONVERT_MEMBERS, /* (): members as rows become the root's rows */
    CW_OP_KEY,             /* (key, hash, version, at): remember an idempotency key */
    CW_OP_KEYS_EXPIRE,     /* (oldest kept at): keys past the time window go */
    CW_OP_KEYS_TRIM,       /* (count): keys past the newest count go */
    CW_STMT_COUNT
} cw_stmt;

/* The schema: DDL statements separated by ";", idempotent (IF NOT EXISTS),
 * for the glue to run when the object starts. Static. */
const char *cw_store_schema(void);

/* The SQL of statement s, or NULL for an out-of-range s. Static. */
const char *cw_store_sql(int s);

/* The rows a read answered, read a value at a time. */
typedef struct {
    cw_port_out out;
    uint32_t rows, cols; /* of the result */
    uint32_t at;         /* the next cell */
} cw_rows;

typedef struct {
    int type;      /* CW_VAL_* (port.h); TEXT and BLOB alike are bytes */
    long long i;   /* INT */
    const char *s; /* TEXT, BLOB: borrowed from the rows */
    size_t n;
} cw_value;

/* Runs read s, or queues write s, with parameters described by types, one
 * letter each: 'i' an int64 (long long), 't' a text (const char *,
 * size_t), 's' a NUL-terminated text, 'b' bytes written as a BLOB (const
 * char *, size_t), 'B' the same, NULL when its pointer is NULL, 'z' a text
 * that is NULL when its pointer is NULL or its length 0, 'n' a NULL; for a
 * write, 'T' and 'N' are 't' and 'B' borrowed: the caller keeps the bytes
 * until the commit or discard, so they are not copied into the queue. At
 * most 8. A read's rows go to r when r is not
 * NULL (cw_store_rows_done them). Returns 0, or -1 when the host failed the read
 * (r is then empty) or the write could not be queued (no memory). */
int cw_store_run(cw_stmt s, cw_rows *r, const char *types, ...);

/* Hands the queued writes to the host, to run in one transaction
 * (CW_PORT_COMMIT), and empties the queue. Returns 0 (also when nothing
 * was queued), or -1 when the host failed: nothing was written. */
int cw_store_commit(void);

/* Drops the queued writes, unwritten. */
void cw_store_discard(void);

/* 1 when writes are queued. */
int cw_store_pending(void);

/* Reads the next value. Returns 0, or -1 past the last. */
int cw_store_rows_value(cw_rows *r, cw_value *v);

/* Frees the rows. Safe on a zeroed or finished reader. */
void cw_store_rows_done(cw_rows *r);

#endif
