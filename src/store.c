/* store.c - the schema, the statement table and the batch wire form (see
 * store.h). */
#include "store.h"

#include <stdarg.h>
#include <string.h>

#include "buf.h"

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS cw_meta (k INTEGER PRIMARY KEY CHECK (k = 0), version INTEGER NOT "
    "NULL, jcount INTEGER NOT NULL, jbytes INTEGER NOT NULL, jfirst INTEGER NOT NULL);"
    /* The document by path (tree.h). Row order within a parent is member
     * order: a row is updated in place, keeping its rowid. The index on
     * parent alone keeps (parent, rowid) order, what reads walk. */
    "CREATE TABLE IF NOT EXISTS cw_nodes (parent TEXT NOT NULL, key TEXT NOT NULL, value BLOB, "
    "size INTEGER NOT NULL, version INTEGER NOT NULL, UNIQUE (parent, key));"
    "CREATE INDEX IF NOT EXISTS cw_nodes_order ON cw_nodes (parent);"
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
    [CW_Q_NODE] = "SELECT value, size FROM cw_nodes WHERE parent = ? AND key = ?",
    [CW_Q_CHILDREN] = "SELECT key, value, size FROM cw_nodes WHERE parent = ? ORDER BY rowid",
    /* A page of an object's members after rowid ?2, at most ?3 of them and,
     * past the first, at most ?4 bytes: a stream reads a large document a
     * bounded page at a time. Sizes are summed from the small column: a
     * value past the bound is never read. */
    [CW_Q_CHILDREN_PAGE] =
        "SELECT n.rowid, n.key, n.value, n.size FROM cw_nodes n JOIN (SELECT r, sum(size) OVER w "
        "AS run, row_number() OVER w AS k FROM (SELECT rowid AS r, size FROM cw_nodes WHERE "
        "parent = ?1 AND rowid > ?2 ORDER BY rowid LIMIT ?3) WINDOW w AS (ORDER BY r)) p ON "
        "n.rowid = p.r WHERE p.run <= ?4 OR p.k = 1 ORDER BY n.rowid",
    [CW_Q_ROOT_SIZE] = "SELECT coalesce(sum(size), 0) FROM cw_nodes WHERE parent = ''",
    [CW_Q_NODES] = "SELECT parent, key, value, size FROM cw_nodes ORDER BY parent, rowid",
    [CW_Q_OLD_LAYOUTS] = "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN "
                         "('state', 'cw_members') ORDER BY name",
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
     * whole. A row is updated in place, keeping its rowid, and so its place
     * among its parent's members. */
    [CW_OP_META] = "REPLACE INTO cw_meta VALUES (0, ?, ?, ?, ?)",
    [CW_OP_PUT_NODE] = "INSERT INTO cw_nodes VALUES (?, ?, ?, ?, ?) ON CONFLICT (parent, key) DO "
                       "UPDATE SET value = excluded.value, size = excluded.size, version = "
                       "excluded.version",
    [CW_OP_DEL_NODE] = "DELETE FROM cw_nodes WHERE parent = ? AND key = ?",
    /* Every row under the object at pointer ?1: its members, and theirs
     * (pointers under it start with ?1 and "/", which sorts before "0"). */
    [CW_OP_CLEAR_UNDER] = "DELETE FROM cw_nodes WHERE parent = ?1 OR (parent >= ?1 || '/' AND "
                          "parent < ?1 || '0')",
    [CW_OP_APPEND] = "INSERT INTO cw_journal VALUES (?, ?, ?, ?, ?, ?, ?)",
    [CW_OP_PRUNE] = "DELETE FROM cw_journal WHERE version < ?",
    [CW_OP_CLEAR] = "DELETE FROM cw_nodes; DELETE FROM cw_journal",
    [CW_OP_DROP_LEGACY] = "DROP TABLE IF EXISTS state",
    /* Members as rows (the layout before cw_nodes) become the root's rows,
     * in their order, sizes counted in bytes. */
    [CW_OP_CONVERT_MEMBERS] =
        "INSERT INTO cw_nodes (parent, key, value, size, version) SELECT '', key, "
        "CAST(value AS BLOB), length(CAST(key AS BLOB)) + length(CAST(value AS BLOB)), version "
        "FROM cw_members ORDER BY rowid; DROP TABLE cw_members",
    /* A key past its window may come back: it replaces its old row. */
    [CW_OP_KEY] = "INSERT OR REPLACE INTO cw_keys (key, hash, version, at) VALUES (?, ?, ?, ?)",
    [CW_OP_KEYS_EXPIRE] = "DELETE FROM cw_keys WHERE at < ?",
    [CW_OP_KEYS_TRIM] = "DELETE FROM cw_keys WHERE rowid <= (SELECT max(rowid) FROM cw_keys) - ?",
};

const char *cw_store_schema(void) { return schema; }

const char *cw_store_sql(int s) { return s >= 0 && s < CW_STMT_COUNT ? sql[s] : NULL; }

/* The queued writes (global state, runtime.h): their cells, per statement
 * an INT statement, an INT count and the parameters, where a TEXT or BLOB
 * value is an offset into queued_bytes until the commit makes it an
 * address (the bytes may move while the queue grows), or, for borrowed
 * bytes (type | BORROWED until the commit), their address already. */
static cw_buf queued_cells = CW_BUF_INIT, queued_bytes = CW_BUF_INIT;
#define BORROWED 0x100u

static int queue(cw_stmt s, const cw_cell *in, int n, unsigned borrowed) {
    cw_cell head[2] = {cw_port_int(s), cw_port_int(n)};
    cw_buf_append(&queued_cells, (const char *)head, sizeof head);
    for (int i = 0; i < n; i++) {
        cw_cell c = in[i];
        if (borrowed >> i & 1) {
            c.type |= BORROWED;
        } else if (c.type == CW_VAL_TEXT || c.type == CW_VAL_BLOB) {
            c.value = (double)queued_bytes.len;
            cw_buf_append(&queued_bytes, (const char *)(uintptr_t)in[i].value, c.len);
        }
        cw_buf_append(&queued_cells, (const char *)&c, sizeof c);
    }
    if (queued_cells.broken || queued_bytes.broken) {
        cw_store_discard(); /* a batch with a write missing is no batch */
        return -1;
    }
    return 0;
}

int cw_store_pending(void) { return queued_cells.len > 0; }

void cw_store_discard(void) {
    cw_buf_free(&queued_cells);
    cw_buf_free(&queued_bytes);
}

int cw_store_commit(void) {
    cw_cell *c = (cw_cell *)(void *)queued_cells.p;
    size_t n = queued_cells.len / sizeof *c;
    cw_port_out out;
    int rc;
    if (!n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (c[i].type & BORROWED)
            c[i].type &= ~BORROWED;
        else if (c[i].type == CW_VAL_TEXT || c[i].type == CW_VAL_BLOB)
            c[i].value = (double)(uintptr_t)(queued_bytes.p + (size_t)c[i].value);
    rc = cw_port_call(CW_PORT_COMMIT, c, (int)n, &out);
    if (rc == 0)
        cw_port_release(&out);
    cw_store_discard();
    return rc;
}

int cw_store_run(cw_stmt s, cw_rows *r, const char *types, ...) {
    cw_cell in[8];
    cw_rows none;
    int n = 0, rc;
    unsigned borrowed = 0;
    va_list ap;
    va_start(ap, types);
    for (const char *t = types; *t && n < 8; t++, n++) {
        if (*t == 'i') {
            in[n] = cw_port_int(va_arg(ap, long long));
        } else if (*t == 's') {
            const char *str = va_arg(ap, const char *);
            in[n] = cw_port_text(str, strlen(str));
        } else if (*t == 't' || *t == 'z' || *t == 'b' || *t == 'B' || *t == 'T' || *t == 'N') {
            const char *str = va_arg(ap, const char *);
            size_t len = va_arg(ap, size_t);
            in[n] = cw_port_text(str, len);
            if (*t == 'b' || *t == 'B' || *t == 'N')
                in[n].type = CW_VAL_BLOB;
            if ((*t == 'z' && (!str || !len)) || ((*t == 'B' || *t == 'N') && !str))
                in[n] = (cw_cell){CW_VAL_NULL, 0, 0};
            else if (*t == 'T' || *t == 'N')
                borrowed |= 1u << n;
        } else {
            in[n] = (cw_cell){CW_VAL_NULL, 0, 0};
        }
    }
    va_end(ap);
    if (!r)
        r = &none;
    memset(r, 0, sizeof *r);
    if (s >= CW_OP_META)
        return queue(s, in, n, borrowed);
    rc = cw_port_call((int)s, in, n, &r->out);
    r->rows = r->out.rows;
    r->cols = r->out.cols;
    if (r == &none)
        cw_store_rows_done(r);
    return rc;
}

int cw_store_rows_value(cw_rows *r, cw_value *v) {
    const cw_cell *c;
    if (r->at >= r->rows * r->cols)
        return -1;
    c = &r->out.cells[r->at++];
    v->type = (int)c->type;
    v->i = c->type == CW_VAL_INT ? (long long)c->value : 0;
    v->s =
        c->type == CW_VAL_TEXT || c->type == CW_VAL_BLOB ? (const char *)(uintptr_t)c->value : NULL;
    v->n = v->s ? c->len : 0;
    if (v->type == CW_VAL_BLOB)
        v->type = CW_VAL_TEXT; /* bytes either way */
    return 0;
}

void cw_store_rows_done(cw_rows *r) {
    cw_port_release(&r->out);
    memset(r, 0, sizeof *r);
}
