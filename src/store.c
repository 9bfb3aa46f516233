/* store.c - the schema, the statement table and the batch wire form (see
 * store.h). */
#include "store.h"

#include <stdarg.h>
#include <string.h>

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS cw_meta (k INTEGER PRIMARY KEY CHECK (k = 0), version INTEGER NOT "
    "NULL, jcount INTEGER NOT NULL, jbytes INTEGER NOT NULL, jfirst INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS cw_members (key TEXT NOT NULL UNIQUE, value TEXT NOT NULL, "
    "version INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS cw_journal (version INTEGER PRIMARY KEY, at INTEGER NOT NULL, "
    "request_id TEXT NOT NULL, actor TEXT, key TEXT, patch TEXT NOT NULL, size INTEGER NOT NULL);"
    /* The journal records a write's key for the audit trail only: a key may
     * come back once it has left cw_keys' window, so it is not unique. */
    "DROP INDEX IF EXISTS cw_journal_key;"
    "CREATE INDEX IF NOT EXISTS cw_journal_keys ON cw_journal (key) WHERE key IS NOT NULL;"
    "CREATE TABLE IF NOT EXISTS cw_keys (key TEXT NOT NULL UNIQUE, hash INTEGER, version INTEGER "
    "NOT NULL, at INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS cw_keys_at ON cw_keys (at);"
    /* Objects written before cw_keys: their journal's keys move in once,
     * with no hash (the journal's patch text is compared instead). */
    "INSERT OR IGNORE INTO cw_keys (key, hash, version, at) SELECT key, NULL, version, at FROM "
    "cw_journal WHERE key IS NOT NULL AND NOT EXISTS (SELECT 1 FROM cw_keys)";

static const char *const sql[CW_STMT_COUNT] = {
    [CW_Q_META] = "SELECT version, jcount, jbytes, jfirst FROM cw_meta WHERE k = 0",
    [CW_Q_MEMBERS] = "SELECT key, value FROM cw_members ORDER BY rowid",
    [CW_Q_LEGACY] = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'state'",
    [CW_Q_LEGACY_BLOB] = "SELECT blob FROM state WHERE k = 0",
    [CW_Q_JOURNAL_SINCE] = "SELECT version, at, request_id, actor, patch FROM cw_journal "
                           "WHERE version > ? ORDER BY version LIMIT ?",
    /* The sizes are summed from the small columns; a patch past the bound is
     * never read. */
    [CW_Q_JOURNAL_BASE] =
        "SELECT j.version, j.patch FROM cw_journal j JOIN (SELECT version, "
        "sum(size) OVER (ORDER BY version) AS run FROM cw_journal WHERE version > "
        "?1 ORDER BY version LIMIT ?2) w ON j.version = w.version WHERE w.run <= "
        "?3 ORDER BY j.version",
    [CW_Q_KEY] = "SELECT k.hash, k.version, k.at, j.patch FROM cw_keys k LEFT JOIN cw_journal j "
                 "ON k.hash IS NULL AND j.version = k.version WHERE k.key = ?",
    [CW_Q_JOURNAL_OLDEST] = "SELECT version, size FROM cw_journal ORDER BY version LIMIT ?",
    /* Columns in table order (the DDL above). The meta row is one row: replaced
     * whole. A member is updated in place, keeping its rowid, and so its
     * place in the document. */
    [CW_OP_META] = "REPLACE INTO cw_meta VALUES (0, ?, ?, ?, ?)",
    [CW_OP_PUT_MEMBER] = "INSERT INTO cw_members VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE "
                         "SET value = excluded.value, version = excluded.version",
    [CW_OP_DEL_MEMBER] = "DELETE FROM cw_members WHERE key = ?",
    [CW_OP_APPEND] = "INSERT INTO cw_journal VALUES (?, ?, ?, ?, ?, ?, ?)",
    [CW_OP_PRUNE] = "DELETE FROM cw_journal WHERE version < ?",
    [CW_OP_CLEAR] = "DELETE FROM cw_members; DELETE FROM cw_journal",
    [CW_OP_DROP_LEGACY] = "DROP TABLE IF EXISTS state",
    /* A key past its window may come back: it replaces its old row. */
    [CW_OP_KEY] = "INSERT OR REPLACE INTO cw_keys (key, hash, version, at) VALUES (?, ?, ?, ?)",
    [CW_OP_KEYS_EXPIRE] = "DELETE FROM cw_keys WHERE at < ?",
    [CW_OP_KEYS_TRIM] = "DELETE FROM cw_keys WHERE rowid <= (SELECT max(rowid) FROM cw_keys) - ?",
};

const char *cw_store_schema(void) { return schema; }

const char *cw_store_sql(int s) { return s >= 0 && s < CW_STMT_COUNT ? sql[s] : NULL; }

static void put_text(cw_buf *b, const char *s, size_t n) {
    cw_buf_append(b, "\x02", 1);
    cw_buf_put32(b, (uint32_t)n);
    cw_buf_append(b, s, n);
}

int cw_store_add(cw_store_batch *batch, cw_stmt s, const char *types, ...) {
    cw_buf *b = &batch->b;
    va_list ap;
    if (b->len == 0)
        cw_buf_put32(b, 0); /* the count, written in place below */
    cw_buf_put32(b, (uint32_t)s);
    cw_buf_put32(b, (uint32_t)strlen(types));
    va_start(ap, types);
    for (const char *t = types; *t; t++) {
        if (*t == 'i') {
            unsigned long long v = (unsigned long long)va_arg(ap, long long);
            unsigned char le[9] = {1};
            for (int k = 0; k < 8; k++)
                le[1 + k] = (unsigned char)(v >> (8 * k));
            cw_buf_append(b, (const char *)le, 9);
        } else if (*t == 's') {
            const char *str = va_arg(ap, const char *);
            put_text(b, str, strlen(str));
        } else if (*t == 't' || *t == 'z') {
            const char *str = va_arg(ap, const char *);
            size_t n = va_arg(ap, size_t);
            if (*t == 'z' && (!str || !n))
                cw_buf_append(b, "\x00", 1);
            else
                put_text(b, str, n);
        } else {
            cw_buf_append(b, "\x00", 1);
        }
    }
    va_end(ap);
    if (b->broken)
        return -1;
    batch->count++;
    for (int k = 0; k < 4; k++)
        b->p[k] = (char)(unsigned char)(batch->count >> (8 * k));
    return 0;
}

const char *cw_store_bytes(cw_store_batch *batch, size_t *n) {
    if (batch->b.broken)
        return NULL;
    if (batch->b.len == 0)
        cw_buf_put32(&batch->b, 0);
    *n = batch->b.len;
    return batch->b.broken ? NULL : batch->b.p;
}

void cw_store_free(cw_store_batch *batch) {
    cw_buf_free(&batch->b);
    batch->count = 0;
}

static int get32(cw_rows *r, uint32_t *v) {
    if (r->end - r->p < 4)
        return -1;
    *v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 |
         (uint32_t)r->p[3] << 24;
    r->p += 4;
    return 0;
}

void cw_rows_open(cw_rows *r, const char *p, size_t n) {
    r->p = (const unsigned char *)p;
    r->end = r->p + (p ? n : 0);
    r->rows = r->cols = 0;
}

int cw_rows_next(cw_rows *r) { return get32(r, &r->rows) < 0 || get32(r, &r->cols) < 0 ? -1 : 0; }

int cw_rows_value(cw_rows *r, cw_value *v) {
    uint32_t n;
    if (r->p >= r->end)
        return -1;
    v->type = *r->p++;
    v->i = 0;
    v->s = NULL;
    v->n = 0;
    if (v->type == CW_VAL_NULL)
        return 0;
    if (v->type == CW_VAL_INT) {
        unsigned long long u = 0;
        if (r->end - r->p < 8)
            return -1;
        for (int k = 7; k >= 0; k--)
            u = (u << 8) | r->p[k];
        r->p += 8;
        v->i = (long long)u;
        return 0;
    }
    if (v->type != CW_VAL_TEXT || get32(r, &n) < 0 || (size_t)(r->end - r->p) < n)
        return -1;
    v->s = (const char *)r->p;
    v->n = n;
    r->p += n;
    return 0;
}
