/* host.c - the native test host (see host.h). */
#include "host.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/hmac.h>

#include "alloc.h"
#include "doc.h"
#include "handlers.h"
#include "pipeline.h"
#include "port.h"
#include "store.h"

#define MAX_DBS 4096

static struct {
    char *ids[MAX_DBS];
    sqlite3 *dbs[MAX_DBS];
    int n;
    cw_host_plugin plugin;
    int fail_write;     /* > 0: the fail_write-th write statement from now fails, once */
    const char *dir;    /* databases as files here; NULL: in memory */
    sqlite3 *db;        /* the database of the owner call running, or NULL */
    double incarnation; /* the owner runs' cw_run.incarnation (0: unknown) */
} host;

void cw_host_set_incarnation(double n) { host.incarnation = n; }

void cw_host_set_plugin(cw_host_plugin fn) { host.plugin = fn; }
void cw_host_fail_write(int k) { host.fail_write = k; }

sqlite3 *cw_host_db(const char *id) {
    sqlite3 *db;
    char file[512];
    for (int i = 0; i < host.n; i++)
        if (strcmp(host.ids[i], id) == 0)
            return host.dbs[i];
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

/* --- the port (port.h), over SQLite, as worker/state_object.js is --------- */

typedef struct {
    int type;
    size_t len;
    const void *p;
    long long i;
} cell_t;

/* The rows of st into a block of cells (cw_alloc_new), as the JS host writes
 * them: cells first, their bytes after. */
static int rows_of(sqlite3_stmt *st, cw_port_out *out) {
    int cols = sqlite3_column_count(st), rc;
    size_t nrows = 0, cap = 0, data = 0;
    cell_t *cells = NULL;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if ((nrows + 1) * (size_t)cols > cap) {
            cap = (nrows + 1) * (size_t)cols * 2;
            cells = realloc(cells, cap * sizeof *cells);
        }
        for (int c = 0; c < cols; c++) {
            cell_t *x = &cells[nrows * (size_t)cols + (size_t)c];
            int t = sqlite3_column_type(st, c);
            x->type = t == SQLITE_INTEGER ? CW_VAL_INT
                      : t == SQLITE_NULL  ? CW_VAL_NULL
                      : t == SQLITE_BLOB  ? CW_VAL_BLOB
                                          : CW_VAL_TEXT;
            x->i = sqlite3_column_int64(st, c);
            x->len = x->type == CW_VAL_TEXT || x->type == CW_VAL_BLOB
                         ? (size_t)sqlite3_column_bytes(st, c)
                         : 0;
            /* Copied now: the next step invalidates the column's bytes. */
            x->p = x->len ? memcpy(malloc(x->len), sqlite3_column_blob(st, c), x->len) : "";
            data += x->len;
        }
        nrows++;
    }
    if (rc != SQLITE_DONE) {
        fprintf(stderr, "host: read failed: %s\n", sqlite3_errmsg(sqlite3_db_handle(st)));
        for (size_t i = 0; i < nrows * (size_t)cols; i++)
            if (cells[i].len)
                free((void *)cells[i].p);
        free(cells);
        return -1;
    }
    if (nrows) {
        size_t n = nrows * (size_t)cols;
        cw_cell *block = cw_alloc_new(n * sizeof(cw_cell) + data);
        char *at = (char *)(block + n);
        for (size_t i = 0; i < n; i++) {
            block[i].type = (uint32_t)cells[i].type;
            block[i].len = (uint32_t)cells[i].len;
            block[i].value = (double)cells[i].i;
            if (cells[i].type == CW_VAL_TEXT || cells[i].type == CW_VAL_BLOB) {
                memcpy(at, cells[i].p, cells[i].len);
                block[i].value = (double)(uintptr_t)at;
                at += cells[i].len;
                if (cells[i].len)
                    free((void *)cells[i].p);
            }
        }
        out->rows = (uint32_t)nrows;
        out->cols = (uint32_t)cols;
        out->cells = block;
    }
    free(cells);
    return 0;
}

static int run_sql(int op, const cw_cell *in, int n, cw_port_out *out) {
    const char *sql = cw_store_sql(op);
    sqlite3_stmt *st;
    int rc;
    if (!sql || !host.db)
        return -1;
    if (n == 0 && strchr(sql, ';')) /* a script: each statement in turn */
        return sqlite3_exec(host.db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
    if (host.fail_write && strncmp(sql, "SELECT", 6) != 0 && --host.fail_write == 0)
        return -1;
    if (sqlite3_prepare_v2(host.db, sql, -1, &st, NULL) != SQLITE_OK)
        abort();
    for (int i = 0; i < n; i++) {
        const void *p = (const void *)(uintptr_t)in[i].value;
        if (in[i].type == CW_VAL_INT)
            sqlite3_bind_int64(st, i + 1, (sqlite3_int64)in[i].value);
        else if (in[i].type == CW_VAL_TEXT)
            sqlite3_bind_text(st, i + 1, p, (int)in[i].len, SQLITE_TRANSIENT);
        else if (in[i].type == CW_VAL_BLOB)
            sqlite3_bind_blob(st, i + 1, p, (int)in[i].len, SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(st, i + 1);
    }
    rc = rows_of(st, out);
    if (rc < 0)
        fprintf(stderr, "host: statement %d failed\n", op);
    sqlite3_finalize(st);
    return rc;
}

/* A batch of writes in one transaction, as the object's commit runs it:
 * all of them, or (one failed) none. */
static int commit(const cw_cell *in, int n) {
    int rc = 0;
    if (!host.db)
        return -1;
    sqlite3_exec(host.db, "BEGIN", NULL, NULL, NULL);
    for (int at = 0; rc == 0 && at < n;) {
        int op = (int)in[at].value, k = at + 1 < n ? (int)in[at + 1].value : -1;
        cw_port_out out = {0, 0, NULL};
        if (in[at].type != CW_VAL_INT || k < 0 || at + 2 + k > n)
            rc = -1;
        else if ((rc = run_sql(op, in + at + 2, k, &out)) == 0)
            cw_port_release(&out);
        at += 2 + (k < 0 ? 0 : k);
    }
    sqlite3_exec(host.db, rc == 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* Sockets: this host has none; an attachment or an accept goes nowhere
 * but succeeds. */
static int port(int op, const cw_cell *in, int n, cw_port_out *out) {
    if (op < CW_PORT_SOCKETS)
        return run_sql(op, in, n, out);
    if (op == CW_PORT_COMMIT)
        return commit(in, n);
    return op <= CW_PORT_ACCEPT ? 0 : -1;
}

/* --- runs ------------------------------------------------------------------ */

static cw_ctx *start(int stage, const cw_run *in) {
    size_t n;
    const cw_route *routes = cw_handlers_routes(&n);
    cw_ctx *ctx = cw_pipeline_new(stage, routes, n);
    cw_port_install(port);
    if (ctx)
        cw_pipeline_run(ctx, in);
    return ctx;
}

static void resume(cw_ctx *ctx, int status, const char *body, size_t n) {
    if (cw_pipeline_resume(ctx, status, "", 0, body, n, 0) != 0)
        abort();
}

/* Settles a context's suspensions other than a forward (and, with
 * stop_at_call, a plugin call); an owner's resumes run on db, as the
 * host's do. */
static void settle_until(cw_ctx *ctx, sqlite3 *db, int stop_at_call) {
    while (ctx->res.action != CW_ACTION_NONE && ctx->res.action != CW_ACTION_FORWARD &&
           ctx->res.action != CW_ACTION_UPGRADE &&
           !(stop_at_call && ctx->res.action == CW_ACTION_CALL)) {
        int status = 200;
        if (ctx->res.action == CW_ACTION_HMAC) {
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
            host.db = db;
            resume(ctx, status, body, strlen(body));
            host.db = NULL;
        } else {
            resume(ctx, 200, "[]", 2);
        }
    }
}

/* Runs an owner request on id's database, as the Durable Object does, to
 * its end (or, with stop_at_call, a plugin call). */
static cw_ctx *run_owner(const cw_run *in, const char *id, int stop_at_call) {
    sqlite3 *db = cw_host_db(id);
    cw_ctx *ctx;
    host.db = db;
    ctx = start(CW_STAGE_OWNER, in);
    host.db = NULL;
    if (!ctx)
        abort();
    if (ctx->res.action != CW_ACTION_NONE)
        settle_until(ctx, db, stop_at_call);
    return ctx;
}

void cw_host_settle(cw_ctx *owner, const char *id) { settle_until(owner, cw_host_db(id), 0); }

void cw_host_step(cw_ctx *owner, const char *id) { settle_until(owner, cw_host_db(id), 1); }

cw_ctx *cw_host_owner(const char *req, size_t n, const char *grant, const char *rid, const char *id,
                      int stop_at_call) {
    cw_run o = {req,    n, grant, strlen(grant),   rid, rid ? strlen(rid) : 0, 1.7e12,
                1.7e12, 0, -1,    host.incarnation};
    return run_owner(&o, id, stop_at_call);
}

void cw_host_owner_done(cw_ctx *owner) { cw_pipeline_free(owner); }

int cw_host_resume(cw_ctx *owner, const char *id, int status, const char *body, size_t n) {
    int rc;
    host.db = cw_host_db(id);
    rc = cw_pipeline_resume(owner, status, "", 0, body, n, 2.0);
    host.db = NULL;
    settle_until(owner, cw_host_db(id), 1);
    return rc;
}

static void take(cw_host_answer *out, const cw_result *r, const char *body, size_t n) {
    out->status = (int)r->status;
    out->log = strndup(r->log, r->log_len);
    out->head = strndup(r->head, r->head_len);
    out->body = strndup(body, n);
    out->body_len = n;
    out->rpc = strndup(r->rpc, r->rpc_len);
}

int cw_host_request(const char *req, size_t n, int flags, double now_ms, cw_host_answer *out) {
    cw_run in = {req, n, NULL, 0, NULL, 0, 0, now_ms, flags, -1, 0};
    cw_ctx *edge = start(CW_STAGE_EDGE, &in), *owner;
    char id[CW_ID_MAX + 1], grant[CW_ACTOR_MAX + 128], rid[CW_RID_MAX + 1];
    memset(out, 0, sizeof *out);
    if (!edge)
        return -1;
    settle_until(edge, NULL, 0);
    if (edge->res.action == CW_ACTION_FORWARD || edge->res.action == CW_ACTION_UPGRADE) {
        int keep = (int)edge->res.keep;
        /* The envelope the edge built (an RPC call's), else the request's. */
        const char *env = edge->res.body_len ? edge->res.body : req;
        size_t env_n = edge->res.body_len ? edge->res.body_len : n;
        char *copy = malloc(env_n + 1);
        cw_run o;
        memcpy(copy, env, env_n);
        snprintf(id, sizeof id, "%.*s", (int)edge->res.ask_len, edge->res.ask);
        snprintf(grant, sizeof grant, "%.*s", (int)edge->res.input_len, edge->res.input);
        snprintf(rid, sizeof rid, "%s", edge->rid);
        o = (cw_run){copy,   env_n, grant, strlen(grant),   rid, strlen(rid), now_ms,
                     now_ms, 0,     -1,    host.incarnation};
        owner = run_owner(&o, id, 0);
        if (cw_pipeline_resume(edge, (int)owner->res.status, owner->res.head, owner->res.head_len,
                               owner->res.body, owner->res.body_len, 0) != 0)
            abort();
        settle_until(edge, NULL, 0);
        take(out, &edge->res, keep && edge->res.keep ? owner->res.body : edge->res.body,
             keep && edge->res.keep ? owner->res.body_len : edge->res.body_len);
        cw_pipeline_free(owner);
        free(copy);
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
    free(a->rpc);
    a->head = a->body = a->log = a->rpc = NULL;
}
