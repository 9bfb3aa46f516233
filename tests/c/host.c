/* host.c - the native test host (see host.h). */
#include "host.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/hmac.h>

#include "doc.h"
#include "handlers.h"
#include "pipeline.h"
#include "store.h"

#define MAX_DBS 4096

static struct {
    char *ids[MAX_DBS];
    sqlite3 *dbs[MAX_DBS];
    int n;
    cw_host_plugin plugin;
    int fail_commit;
    const char *dir; /* databases as files here; NULL: in memory */
} host;

void cw_host_set_plugin(cw_host_plugin fn) { host.plugin = fn; }
void cw_host_fail_next_commit(void) { host.fail_commit = 1; }

sqlite3 *cw_host_db(const char *id) {
    sqlite3 *db;
    for (int i = 0; i < host.n; i++)
        if (strcmp(host.ids[i], id) == 0)
            return host.dbs[i];
    char file[512];
    snprintf(file, sizeof file, "%s/%s.db", host.dir ? host.dir : "", id);
    if (host.n == MAX_DBS || sqlite3_open(host.dir ? file : ":memory:", &db) != SQLITE_OK)
        abort();
    if (sqlite3_exec(db, cw_store_schema(), NULL, NULL, NULL) != SQLITE_OK)
        abort();
    host.ids[host.n] = strdup(id);
    host.dbs[host.n++] = db;
    return db;
}

void cw_host_close(void) {
    for (int i = 0; i < host.n; i++) {
        sqlite3_close(host.dbs[i]);
        free(host.ids[i]);
    }
    host.n = 0;
}

void cw_host_reset(void) {
    cw_host_close();
    cw_doc_drop_all();
}

void cw_host_files(const char *dir) { host.dir = dir; }

char *cw_host_query(const char *id, const char *sql) {
    sqlite3_stmt *st;
    char *out = NULL;
    if (sqlite3_prepare_v2(cw_host_db(id), sql, -1, &st, NULL) != SQLITE_OK)
        return strdup("(bad sql)");
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        out = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out ? out : strdup("");
}

/* --- the batch wire form (store.h), read and written independently ------ */

typedef struct {
    const unsigned char *p, *end;
} rd;

static uint32_t u32(rd *r) {
    uint32_t v;
    if (r->end - r->p < 4)
        abort();
    v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 |
        (uint32_t)r->p[3] << 24;
    r->p += 4;
    return v;
}

/* Prepares one record's statement and binds its values. */
static sqlite3_stmt *bind_record(sqlite3 *db, rd *r, uint32_t *stmt_no, int *multi) {
    uint32_t s = u32(r), n = u32(r);
    const char *sql = cw_store_sql((int)s), *tail;
    sqlite3_stmt *st = NULL;
    if (!sql)
        abort();
    *stmt_no = s;
    *multi = n == 0 && strchr(sql, ';') != NULL;
    if (*multi)
        return NULL; /* run with sqlite3_exec */
    if (sqlite3_prepare_v2(db, sql, -1, &st, &tail) != SQLITE_OK)
        abort();
    for (uint32_t i = 1; i <= n; i++) {
        int type = *r->p++;
        if (type == CW_VAL_INT) {
            uint64_t v = 0;
            for (int k = 7; k >= 0; k--)
                v = (v << 8) | r->p[k];
            r->p += 8;
            sqlite3_bind_int64(st, (int)i, (sqlite3_int64)v);
        } else if (type == CW_VAL_TEXT) {
            uint32_t len = u32(r);
            sqlite3_bind_text(st, (int)i, (const char *)r->p, (int)len, SQLITE_TRANSIENT);
            r->p += len;
        } else {
            sqlite3_bind_null(st, (int)i);
        }
    }
    return st;
}

typedef struct {
    unsigned char *p;
    size_t len, cap;
} out_t;

static void put(out_t *o, const void *s, size_t n) {
    if (!n)
        return;
    if (o->len + n > o->cap) {
        o->cap = (o->len + n) * 2 + 64;
        o->p = realloc(o->p, o->cap);
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

static void put32(out_t *o, uint32_t v) {
    unsigned char le[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                           (unsigned char)(v >> 24)};
    put(o, le, 4);
}

/* Runs a read batch; the rows go to out in the answer's wire form. */
static int run_read(sqlite3 *db, const char *batch, size_t n, out_t *out) {
    rd r = {(const unsigned char *)batch, (const unsigned char *)batch + n};
    for (uint32_t count = u32(&r); count > 0; count--) {
        uint32_t s;
        int multi, cols, rc;
        sqlite3_stmt *st = bind_record(db, &r, &s, &multi);
        out_t rows = {0};
        uint32_t nrows = 0;
        if (!st)
            abort();
        cols = sqlite3_column_count(st);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            nrows++;
            for (int c = 0; c < cols; c++) {
                int t = sqlite3_column_type(st, c);
                if (t == SQLITE_INTEGER) {
                    unsigned char le[9] = {CW_VAL_INT};
                    uint64_t v = (uint64_t)sqlite3_column_int64(st, c);
                    for (int k = 0; k < 8; k++)
                        le[1 + k] = (unsigned char)(v >> (8 * k));
                    put(&rows, le, 9);
                } else if (t == SQLITE_NULL) {
                    unsigned char z = CW_VAL_NULL;
                    put(&rows, &z, 1);
                } else {
                    unsigned char two = CW_VAL_TEXT;
                    int len = sqlite3_column_bytes(st, c);
                    put(&rows, &two, 1);
                    put32(&rows, (uint32_t)len);
                    put(&rows, sqlite3_column_text(st, c), (size_t)len);
                }
            }
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) {
            free(rows.p);
            return -1;
        }
        put32(out, nrows);
        put32(out, nrows ? (uint32_t)cols : 0);
        if (rows.len)
            put(out, rows.p, rows.len);
        free(rows.p);
    }
    return 0;
}

/* Runs a commit batch in one transaction. */
static int run_commit(sqlite3 *db, const char *batch, size_t n) {
    rd r = {(const unsigned char *)batch, (const unsigned char *)batch + n};
    int ok = 1;
    if (host.fail_commit) {
        host.fail_commit = 0;
        return -1;
    }
    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    for (uint32_t count = u32(&r); ok && count > 0; count--) {
        uint32_t s;
        int multi;
        sqlite3_stmt *st = bind_record(db, &r, &s, &multi);
        if (multi)
            ok = sqlite3_exec(db, cw_store_sql((int)s), NULL, NULL, NULL) == SQLITE_OK;
        else {
            ok = sqlite3_step(st) == SQLITE_DONE;
            if (!ok)
                fprintf(stderr, "host: statement %u failed: %s\n", s, sqlite3_errmsg(db));
            sqlite3_finalize(st);
        }
    }
    sqlite3_exec(db, ok ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
    return ok ? 0 : -1;
}

/* --- runs ------------------------------------------------------------------ */

static cw_ctx *start(int stage, const cw_run *in) {
    size_t n;
    const cw_route *routes = cw_handlers_routes(&n);
    cw_ctx *ctx = cw_pipeline_new(stage, routes, n);
    if (ctx)
        cw_pipeline_run(ctx, in);
    return ctx;
}

static void resume(cw_ctx *ctx, int status, const char *body, size_t n) {
    if (cw_pipeline_resume(ctx, status, "", 0, body, n, 0) != 0)
        abort();
}

/* Settles a context's suspensions other than a forward (and, with
 * stop_at_call, a plugin call). */
static void settle_until(cw_ctx *ctx, sqlite3 *db, int stop_at_call) {
    while (ctx->res.action != CW_ACTION_NONE && ctx->res.action != CW_ACTION_FORWARD &&
           ctx->res.action != CW_ACTION_UPGRADE &&
           !(stop_at_call && ctx->res.action == CW_ACTION_CALL)) {
        int status = 200;
        if (ctx->res.action == CW_ACTION_READ) {
            out_t rows = {0};
            if (run_read(db, ctx->res.input, ctx->res.input_len, &rows) < 0)
                resume(ctx, 0, "", 0);
            else
                resume(ctx, 200, rows.p ? (const char *)rows.p : "", rows.len);
            free(rows.p);
        } else if (ctx->res.action == CW_ACTION_COMMIT) {
            resume(ctx, run_commit(db, ctx->res.input, ctx->res.input_len) == 0 ? 200 : 0, "", 0);
        } else if (ctx->res.action == CW_ACTION_HMAC) {
            /* WebCrypto's part, by OpenSSL: key length, key, message. */
            const unsigned char *in = (const unsigned char *)ctx->res.input;
            uint32_t kn = (uint32_t)in[0] | (uint32_t)in[1] << 8 | (uint32_t)in[2] << 16 |
                          (uint32_t)in[3] << 24;
            unsigned char mac[32];
            unsigned int macn = 0;
            HMAC(EVP_sha256(), in + 4, (int)kn, in + 4 + kn, ctx->res.input_len - 4 - kn, mac,
                 &macn);
            resume(ctx, 200, (const char *)mac, macn);
        } else if (ctx->res.action == CW_ACTION_CALL) {
            char what[64];
            const char *body;
            snprintf(what, sizeof what, "%.*s", (int)ctx->res.ask_len, ctx->res.ask);
            body = host.plugin ? host.plugin(what, ctx->res.input, ctx->res.input_len, &status)
                               : (status = 1, "no plugin");
            resume(ctx, status, body, strlen(body));
        } else {
            resume(ctx, 200, "[]", 2);
        }
    }
}

static void settle(cw_ctx *ctx, sqlite3 *db) { settle_until(ctx, db, 0); }

static void take(cw_host_answer *out, const cw_result *r, const char *body, size_t n) {
    out->status = (int)r->status;
    out->log = strndup(r->log, r->log_len);
    out->head = strndup(r->head, r->head_len);
    out->body = strndup(body, n);
    out->body_len = n;
}

void cw_host_settle(cw_ctx *owner, const char *id) { settle(owner, cw_host_db(id)); }

void cw_host_step(cw_ctx *owner, const char *id) { settle_until(owner, cw_host_db(id), 1); }

int cw_host_request(const char *req, size_t n, int flags, double now_ms, cw_host_answer *out) {
    cw_run in = {req, n, NULL, 0, NULL, 0, 0, now_ms, flags};
    cw_ctx *edge = start(CW_STAGE_EDGE, &in), *owner;
    char id[CW_ID_MAX + 1], grant[CW_ACTOR_MAX + 8], rid[CW_RID_MAX + 1];
    memset(out, 0, sizeof *out);
    if (!edge)
        return -1;
    settle(edge, NULL);
    if (edge->res.action == CW_ACTION_FORWARD || edge->res.action == CW_ACTION_UPGRADE) {
        int keep = (int)edge->res.keep;
        cw_run o;
        snprintf(id, sizeof id, "%.*s", (int)edge->res.ask_len, edge->res.ask);
        snprintf(grant, sizeof grant, "%.*s", (int)edge->res.input_len, edge->res.input);
        snprintf(rid, sizeof rid, "%s", edge->rid);
        o = (cw_run){req, n, grant, strlen(grant), rid, strlen(rid), now_ms, now_ms, 0};
        owner = start(CW_STAGE_OWNER, &o);
        if (!owner)
            abort();
        settle(owner, cw_host_db(id));
        if (cw_pipeline_resume(edge, (int)owner->res.status, owner->res.head, owner->res.head_len,
                               owner->res.body, owner->res.body_len, 0) != 0)
            abort();
        settle(edge, NULL);
        take(out, &edge->res, keep && edge->res.keep ? owner->res.body : edge->res.body,
             keep && edge->res.keep ? owner->res.body_len : edge->res.body_len);
        cw_pipeline_free(owner);
    } else {
        take(out, &edge->res, edge->res.body, edge->res.body_len);
    }
    cw_pipeline_free(edge);
    return 0;
}

int cw_host_run(const char *req, cw_host_answer *out) {
    return cw_host_request(req, strlen(req), 0, 1.7e12, out);
}

void cw_host_free(cw_host_answer *a) {
    free(a->head);
    free(a->body);
    free(a->log);
    a->head = a->body = a->log = NULL;
}
