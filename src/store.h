/* store.h - what the owner asks of its Durable Object's SQLite storage.
 *
 * Every statement the glue ever runs is here: the schema (DDL, run when the
 * object starts) and a fixed table of statements, each with a number. The
 * owner stage asks for storage work in batches of (statement, parameters),
 * and the glue runs them without deciding anything:
 *   - a read batch (CW_ACTION_READ): each statement's rows come back;
 *   - a commit batch (CW_ACTION_COMMIT): every statement runs in one
 *     transactionSync, all or nothing. Its statements are the typed
 *     storage operations: put member, delete member, append journal entry,
 *     prune journal, clear, set meta, drop the legacy table, remember and
 *     expire idempotency keys.
 *
 * Wire form, little-endian, written by cw_store_add and read by
 * worker/layout.js (readBatch):
 *     u32 count, then count records of: u32 statement, u32 nparams, values
 * and the rows the host answers a read batch with (layout.js writeRows):
 *     for each statement: u32 nrows, u32 ncols, then nrows * ncols values
 * A value is a u8 type, then: 0 NULL, nothing; 1 INT, 8 bytes (i64);
 * 2 TEXT, a u32 length and that many bytes of UTF-8.
 *
 * Tables (all prefixed cw_; "state" is the legacy one-blob table):
 *   cw_meta    one row: version, journal count / bytes / first version
 *   cw_members one row per top-level member: key, JSON value, the version
 *              that last changed it; rowid order is the members' order
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

#include "buf.h"

typedef enum {
    /* reads */
    CW_Q_META = 0,       /* () -> version, jcount, jbytes, jfirst (no row: never written) */
    CW_Q_MEMBERS,        /* () -> key, value, in order */
    CW_Q_LEGACY,         /* () -> the count of legacy tables (0 or 1) */
    CW_Q_LEGACY_BLOB,    /* () -> blob of the legacy row */
    CW_Q_JOURNAL_SINCE,  /* (since, limit) -> version, at, request_id, actor, patch */
    CW_Q_JOURNAL_BASE,   /* (base, limit, bytes) -> version, patch of the entries after
                            base, oldest first, while their sizes sum to at most bytes */
    CW_Q_KEY,            /* (key) -> hash, version, at of that idempotency key, and the
                            journal's patch for a key kept without a hash */
    CW_Q_JOURNAL_OLDEST, /* (limit) -> version, size, oldest first */
    /* writes: the typed operations of a commit */
    CW_OP_META,        /* (version, jcount, jbytes, jfirst) */
    CW_OP_PUT_MEMBER,  /* (key, value, version) */
    CW_OP_DEL_MEMBER,  /* (key) */
    CW_OP_APPEND,      /* (version, at, request_id, actor, key, patch, size) */
    CW_OP_PRUNE,       /* (first kept version): drops older entries */
    CW_OP_CLEAR,       /* (): every member and journal entry */
    CW_OP_DROP_LEGACY, /* (): the legacy table, once migrated */
    CW_OP_KEY,         /* (key, hash, version, at): remember an idempotency key */
    CW_OP_KEYS_EXPIRE, /* (oldest kept at): keys past the time window go */
    CW_OP_KEYS_TRIM,   /* (count): keys past the newest count go */
    CW_STMT_COUNT
} cw_stmt;

enum { CW_VAL_NULL = 0, CW_VAL_INT = 1, CW_VAL_TEXT = 2 };

/* The schema: DDL statements separated by ";", idempotent (IF NOT EXISTS),
 * for the glue to run when the object starts. Static. */
const char *cw_store_schema(void);

/* The SQL of statement s, or NULL for an out-of-range s. Static. */
const char *cw_store_sql(int s);

/* A batch under construction: the buffer and its record count. */
typedef struct {
    cw_buf b;
    uint32_t count;
} cw_store_batch;

#define CW_STORE_BATCH_INIT                                                                        \
    { CW_BUF_INIT, 0 }

/* Appends statement s with parameters described by types, one letter each:
 * 'i' an int64 (long long), 't' a text (const char *, size_t), 's' a
 * NUL-terminated text, 'n' a NULL, 'z' a text that is NULL when its pointer
 * is NULL or its length 0 (const char *, size_t). Returns 0, or -1 when the
 * batch is broken (out of memory; later adds are no-ops). */
int cw_store_add(cw_store_batch *batch, cw_stmt s, const char *types, ...);

/* The batch's bytes, count included (borrowed; valid until the next add or
 * cw_store_free); NULL when broken. */
const char *cw_store_bytes(cw_store_batch *batch, size_t *n);

/* Frees the batch and resets it to empty. */
void cw_store_free(cw_store_batch *batch);

/* A reader over the rows the host answered a read batch with. */
typedef struct {
    const unsigned char *p, *end;
    uint32_t rows, cols; /* of the current statement's result */
} cw_rows;

typedef struct {
    int type;      /* CW_VAL_* */
    long long i;   /* INT */
    const char *s; /* TEXT, borrowed from the answer */
    size_t n;
} cw_value;

/* Starts reading answer p[0..n) (borrowed). */
void cw_rows_open(cw_rows *r, const char *p, size_t n);

/* Moves to the next statement's result, setting r->rows and r->cols.
 * Returns 0, or -1 when the answer is malformed or exhausted. */
int cw_rows_next(cw_rows *r);

/* Reads the next value of the current result. Returns 0, or -1 when the
 * answer is malformed. */
int cw_rows_value(cw_rows *r, cw_value *v);

#endif
