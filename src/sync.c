/* sync.c - the state routes (see sync.h).
 *
 * At the edge a route checks what it can and forwards. In the owner an
 * operation is straight-line code: open the document (the meta row, and
 * its members when the cache does not hold that version), then the
 * route's step, reading through the host port (store.h) as it goes. Writes
 * come last, after every check and with the answer prepared: they are
 * queued and committed in one transaction, and what the module caches of
 * them is applied only once the commit stood. The one suspension is a sync
 * hook's plugin call, between the checks and the writes. */
#include "sync.h"

#include <string.h>

#include "access.h"
#include "alloc.h"
#include "cond.h"
#include "doc.h"
#include "fmt.h"
#include "journal.h"
#include "json.h"
#include "jwt.h"
#include "paths.h"
#include "plugin_config.h"
#include "plugin_hooks.h"
#include "roster.h"
#include "runtime.h"
#include "store.h"
#include "stream.h"

enum { K_GET, K_VIEW, K_PATCH, K_DELETE, K_CHANGES, K_HELLO };

/* Each route's step stays a function of its own: the engine compiles a
 * wasm function on its first call, so a cold request compiles only the
 * step it runs, not every route's inlined into one. */
#define COLD_SPLIT __attribute__((noinline))

/* The meta row: the version, and the journal's extent [jfirst, version]. */
typedef struct {
    long long version, jcount, jbytes, jfirst;
} meta_t;

/* What a committed operation leaves in the cache. */
enum { KEEP_NOTHING, KEEP_CHANGE, KEEP_EMPTY };

/* One owner operation on a document, alive for its request. */
struct cw_sync_op {
    int kind;
    char id[CW_ID_MAX + 1]; /* the document, for the cache after the commit */
    meta_t meta;
    int had_meta;      /* a meta row was there (else: never written, or legacy) */
    meta_t written;    /* the meta row the writes set: what the cache takes */
    int keep;          /* KEEP_*: applied once the commit stood */
    int legacy;        /* the one-blob table is still there */
    int migrating;     /* this request's writes convert it */
    json_t *patch;     /* PATCH: the parsed patch */
    cw_buf patch_text; /* PATCH: the patch as applied, compact: the journal's */
    long long hash;    /* with a key: cw_journal_hash of patch_text */
    long long since, base, limit, if_match;
    int has_since, has_base, minimal, has_if_match;
    int page_full;           /* PATCH with since: more changes than one page holds */
    char key[65];            /* the Idempotency-Key, "" when none */
    size_t cut;              /* journal entries the write drops (retention) */
    long long version;       /* the version the answer names */
    long long snapshot_wait; /* a hello: > 0, no snapshot for that many ms */
    int snapshot;            /* a hello answered with a snapshot */
    cw_tree_change change;
    cw_buf view;    /* the state's JSON text for the answer, when built */
    cw_buf changes; /* the entries of a changes list, comma-separated */
    cw_hooks hooks;
    cw_stream *stream; /* a document read from its rows, a piece at a time */
    long long part;    /* a snapshot in parts: the next part's number */
};

void cw_sync_op_free(cw_sync_op *o) {
    if (!o)
        return;
    json_decref(o->patch);
    cw_buf_free(&o->patch_text);
    cw_tree_change_free(&o->change);
    cw_buf_free(&o->view);
    cw_buf_free(&o->changes);
    cw_plugin_hooks_free(&o->hooks);
    cw_stream_free(o->stream);
    cw_alloc_free(o);
}

long long cw_sync_version(const cw_sync_op *o) { return o ? o->version : 0; }

int cw_sync_snapshot(const cw_sync_op *o) { return o && o->snapshot; }

static void op_free(void *p) { cw_sync_op_free(p); }

/* Why storage failed, as the 500's message says (the log has the cause). */
#define MALFORMED "the rows read are malformed"
#define UNWRITTEN "a write failed"

static int oom(cw_ctx *ctx) { return cw_error_oom(&ctx->err); }

/* Global state: known[], known_next (runtime.h lists them). The meta row
 * as an instance of a document's Durable Object last read or wrote it.
 * While that instance runs, nothing else writes its storage (an object has
 * one live instance, and every write of it is a commit of this file's), so
 * its next request (cw_run.incarnation the same) takes the row from here
 * instead of reading it again. Another instance (after an eviction, a
 * wake from hibernation, or one that ran in another isolate meanwhile) has
 * another number, and reads it. A failed read or commit forgets the id. */
#define KNOWN 8
static struct {
    char id[CW_ID_MAX + 1];
    double incarnation; /* 0: a free slot */
    meta_t meta;
    int had_meta;
} known[KNOWN];
static unsigned known_next;

static int known_find(const cw_ctx *ctx, const char *id) {
    for (int i = 0; i < KNOWN; i++)
        if (known[i].incarnation != 0 && strcmp(known[i].id, id) == 0)
            return known[i].incarnation == ctx->incarnation ? i : -1;
    return -1;
}

static void known_forget(const char *id) {
    for (int i = 0; i < KNOWN; i++)
        if (known[i].incarnation != 0 && strcmp(known[i].id, id) == 0)
            known[i].incarnation = 0;
}

/* Records meta as what storage holds for id, seen by this instance. */
static void known_set(const cw_ctx *ctx, const char *id, meta_t meta, int had_meta) {
    int i;
    known_forget(id);
    if (ctx->incarnation == 0)
        return;
    i = (int)(known_next++ % KNOWN);
    memcpy(known[i].id, id, strlen(id) + 1);
    known[i].incarnation = ctx->incarnation;
    known[i].meta = meta;
    known[i].had_meta = had_meta;
}

static int storage_failed(cw_ctx *ctx, const char *what) {
    known_forget(ctx->who.id);
    cw_doc_drop(ctx->who.id); /* whatever it held is no longer known to match */
    return cw_error_set2(&ctx->err, CW_E_STORAGE, "storage failed: ", what);
}

/* Queues a write for the commit; a failure (only memory can fail a write
 * that is queued) is the request's, and nothing of the batch is written. */
#define WRITE(ctx, ...) (cw_store_run(__VA_ARGS__) < 0 ? oom(ctx) : 0)

/* --- the request: checked at the edge, read again by the owner ----------- */

/* A patch body is JSON, and always read as UTF-8: another charset is 415. */
static int media_type_ok(cw_slice ct) {
    cw_slice type, charset;
    return cw_http_media_type(ct, &type, &charset) == 0 &&
           (cw_http_slice_ieq(type, "application/merge-patch+json") ||
            cw_http_slice_ieq(type, "application/json")) &&
           (!charset.p || cw_http_slice_ieq(charset, "utf-8"));
}

/* A body sent with a content coding (RFC 9110 8.4) is bytes C cannot read
 * as JSON: any Content-Encoding but identity is 415, never parsed. */
static int coded(cw_slice ce) {
    ce = cw_http_slice_trim(ce);
    return ce.n && !cw_http_slice_ieq(ce, "identity");
}

/* The request's If-Match / If-None-Match against version (< 0: syntax
 * only); see cond.h. */
static int conditions(cw_ctx *ctx, long long version) {
    int safe =
        cw_http_slice_eq(ctx->req->method, "GET") || cw_http_slice_eq(ctx->req->method, "HEAD");
    return cw_cond_check(cw_http_header(ctx->req, "if-match"),
                         cw_http_header(ctx->req, "if-none-match"), safe, version, &ctx->err);
}

/* Query parameter name (in *v), refused when it comes more than once:
 * which one the client meant cannot be told. */
static int once(cw_ctx *ctx, const char *name, cw_slice *v) {
    int count;
    *v = cw_http_query(ctx->req, name, &count);
    return count > 1
               ? cw_error_set2(&ctx->err, CW_E_INVALID_PARAMETER, name, " is given more than once")
               : 0;
}

static int uint_param(cw_ctx *ctx, const char *name, long long *out, int *has) {
    cw_slice v;
    cw_buf digits = CW_BUF_INIT;
    int bad;
    if (once(ctx, name, &v) < 0)
        return -1;
    if (!v.p)
        return 0;
    /* Percent-decoded, as every query value is: %31 is 1 (RFC 3986 6.2.2.2). */
    bad = cw_http_unescape(v, &digits) < 0 ||
          cw_http_uint((cw_slice){digits.p ? digits.p : "", digits.len}, out) < 0;
    cw_buf_free(&digits);
    if (bad)
        return cw_error_set2(&ctx->err, CW_E_INVALID_PARAMETER, name,
                             " must be a non-negative integer");
    if (has)
        *has = 1;
    return 0;
}

int cw_sync_key_ok(const char *p, size_t n) {
    if (n < 1 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (p[i] < 0x21 || p[i] > 0x7e)
            return 0;
    return 1;
}

/* Reads and checks the parameters of a route into o (both stages). */
static int read_params(cw_ctx *ctx, cw_sync_op *o, int kind) {
    const cw_config *cfg = cw_runtime_config();
    cw_slice key = cw_http_header(ctx->req, "idempotency-key");
    cw_slice as = cw_http_header(ctx->req, "x-cw-as"); /* RPC's as option */
    if ((ctx->flags & CW_FLAG_RPC) && as.p && !cw_http_slice_eq(as, "json") &&
        !cw_http_slice_eq(as, "text") && !cw_http_slice_eq(as, "stream"))
        return cw_error_set(&ctx->err, CW_E_INVALID_PARAMETER,
                            "as must be \"json\", \"text\" or \"stream\"");
    cw_slice once_only;
    if (cw_id_parse(cw_pipeline_param(ctx, "id"), ctx->who.id, &ctx->who.id_len, &ctx->err) < 0)
        return -1;
    if ((kind == K_GET && once(ctx, "path", &once_only) < 0) ||
        (kind == K_CHANGES && once(ctx, "paths", &once_only) < 0))
        return -1;
    if (kind == K_CHANGES) {
        o->limit = cfg->changes_limit < 100 ? cfg->changes_limit : 100;
        if (uint_param(ctx, "since", &o->since, &o->has_since) < 0 ||
            uint_param(ctx, "limit", &o->limit, NULL) < 0)
            return -1;
        if (o->limit < 1)
            return cw_error_set(&ctx->err, CW_E_INVALID_PARAMETER, "limit must be at least 1");
        if (o->limit > cfg->changes_limit)
            o->limit = cfg->changes_limit;
    }
    if (kind != K_PATCH)
        return 0;
    o->limit = cfg->changes_limit;
    if (uint_param(ctx, "since", &o->since, &o->has_since) < 0 ||
        uint_param(ctx, "base", &o->base, &o->has_base) < 0)
        return -1;
    if (key.p) {
        if (!cw_sync_key_ok(key.p, key.n))
            return cw_error_set(&ctx->err, CW_E_INVALID_KEY, NULL);
        memcpy(o->key, key.p, key.n);
        o->key[key.n] = '\0';
    }
    o->minimal = cw_http_prefers(cw_http_header(ctx->req, "prefer"), "return", "minimal");
    return 0;
}

/* The patch: strict JSON within the limits (json.h), and an object, since
 * the state must stay one. An RPC caller's value that JSON cannot carry
 * (NaN, Infinity, undefined in an array, a BigInt, a function: the glue
 * writes them as such words) is invalid_patch, naming where it is;
 * JSON.stringify would have made it null, which deletes. A new reference,
 * or NULL with ctx->err set. */
static json_t *parse_patch(cw_ctx *ctx, cw_slice body) {
    const cw_config *cfg = cw_runtime_config();
    cw_json_stats stats;
    /* An RPC patch the glue wrote from a JavaScript value (rpc.c) names a
     * value JSON cannot carry, as the caller's error (invalid_patch); bytes
     * from a client or an RPC caller are read as an HTTP body is. */
    int js = (ctx->flags & CW_FLAG_RPC) &&
             cw_http_slice_eq(cw_http_header(ctx->req, "x-cw-patch"), "value");
    json_t *patch =
        js ? cw_json_parse_js(body, cfg->depth_limit, cfg->container_limit, "body", &stats,
                              &ctx->err)
           : cw_json_parse(body, cfg->depth_limit, cfg->container_limit, "body", &stats, &ctx->err);
    if (!patch && stats.unjson)
        ctx->err.code = CW_E_INVALID_PATCH;
    if (patch && !json_is_object(patch)) {
        json_decref(patch);
        cw_error_set(&ctx->err, CW_E_INVALID_PATCH,
                     "patch must be a JSON object; the state must remain an object");
        return NULL;
    }
    return patch;
}

int cw_sync_grant(cw_ctx *ctx) {
    cw_slice actor;
    /* A token's sub (ctx->who.actor) was checked by jwt.c to the same rule. */
    if (!(ctx->flags & CW_FLAG_RPC))
        return cw_pipeline_grant(ctx, (cw_slice){ctx->who.actor, strlen(ctx->who.actor)});
    actor = cw_http_header(ctx->req, "x-cw-actor");
    if (actor.n > CW_ACTOR_MAX || (actor.p && !actor.n))
        return cw_error_set(&ctx->err, CW_E_BAD_REQUEST, "actor must be 1-128 bytes");
    if (!cw_jwt_actor_ok(actor.p, actor.n))
        return cw_error_set(&ctx->err, CW_E_BAD_REQUEST, "actor must not hold control characters");
    return cw_pipeline_grant(ctx, actor);
}

/* EDGE: the caller may: forward under its grant. */
static int forward(cw_ctx *ctx) {
    return cw_sync_grant(ctx) < 0 ? -1 : cw_pipeline_forward(ctx, NULL, NULL);
}

/* --- answers --------------------------------------------------------------- */

static int etag(cw_ctx *ctx, long long version) {
    char tag[24] = "\"";
    size_t n = 1 + cw_fmt_utoa(tag + 1, (unsigned long long)version);
    tag[n] = '"';
    tag[n + 1] = '\0';
    return cw_pipeline_header_add(ctx, "etag", tag);
}

/* {"id","version"[,"state"][,"changes"]} with the ETag: view, when given,
 * is the whole {"id","version","state"} text (see view_of); changes are the
 * entries of a changes list, when given. */
static int answer(cw_ctx *ctx, cw_sync_op *o, long long version, const cw_buf *view,
                  const cw_buf *changes) {
    cw_buf b = CW_BUF_INIT;
    o->version = version;
    if (view) {
        cw_buf_append(&b, view->p, view->len - 1); /* its closing brace follows the changes */
    } else {
        cw_buf_puts(&b, "{\"id\":\"");
        cw_buf_puts(&b, ctx->who.id); /* the id grammar needs no escaping */
        cw_buf_puts(&b, "\",\"version\":");
        cw_buf_putu(&b, (unsigned long long)version);
    }
    if (changes) {
        cw_buf_puts(&b, ",\"changes\":[");
        cw_buf_append(&b, changes->p, changes->len);
        cw_buf_puts(&b, "]");
    }
    cw_buf_append(&b, "}", 1);
    if (cw_pipeline_respond_buf(ctx, 200, "application/json", &b) < 0)
        return -1;
    return etag(ctx, version);
}

/* The answer {"id","version","state"} for a resident d (its state as it
 * stands, a staged change included) at version, into out: one allocation
 * sized for it. It is also what a GET of that version answers, so the
 * cache and the host keep it. */
static int view_of(cw_ctx *ctx, const cw_doc *d, long long version, cw_buf *out) {
    long long size = d->tree.size;
    out->len = 0;
    cw_buf_reserve(out, (size_t)size + (size_t)size / 8 + 64);
    cw_buf_puts(out, "{\"id\":\"");
    cw_buf_puts(out, ctx->who.id); /* the id grammar needs no escaping */
    cw_buf_puts(out, "\",\"version\":");
    cw_buf_putu(out, (unsigned long long)version);
    cw_buf_puts(out, ",\"state\":");
    cw_doc_render(d, out);
    return cw_buf_append(out, "}", 1) < 0 ? oom(ctx) : 0;
}

/* --- owner: opening the document ------------------------------------------- */

static int int_at(cw_rows *r, long long *out) {
    cw_value v;
    if (cw_store_rows_value(r, &v) < 0 || v.type != CW_VAL_INT)
        return -1;
    *out = v.i;
    return 0;
}

/* The meta row into o->meta ({0, 0, 0, 1} when never written). */
static int read_meta(cw_ctx *ctx, cw_sync_op *o) {
    cw_rows r;
    int rc = 0;
    if (cw_store_run(CW_Q_META, &r, "") < 0)
        return storage_failed(ctx, "a read failed");
    o->meta = (meta_t){0, 0, 0, 1};
    o->had_meta = r.rows == 1;
    if (r.rows > 1 ||
        (r.rows == 1 &&
         (r.cols != 4 || int_at(&r, &o->meta.version) < 0 || int_at(&r, &o->meta.jcount) < 0 ||
          int_at(&r, &o->meta.jbytes) < 0 || int_at(&r, &o->meta.jfirst) < 0 ||
          o->meta.version < 0 || o->meta.version > CW_VERSION_MAX)))
        rc = storage_failed(ctx, MALFORMED);
    cw_store_rows_done(&r);
    return rc;
}

/* Writes meta row m and records it as what the writes set: after the
 * commit, the cache takes its version from here. */
static int put_meta(cw_ctx *ctx, cw_sync_op *o, meta_t m) {
    o->written = m;
    return WRITE(ctx, CW_OP_META, NULL, "iiii", m.version, m.jcount, m.jbytes, m.jfirst);
}

/* Queues the rows of a planned change (tree.h), each written at version;
 * the change's bytes are borrowed by the queue (the change outlives the
 * commit). */
static int write_change(cw_ctx *ctx, const cw_tree_change *c, long long version) {
    for (size_t i = 0; i < c->n; i++) {
        const cw_tree_op *op = &c->ops[i];
        int rc;
        if (op->op == CW_TREE_PUT) {
            rc = WRITE(ctx, CW_OP_PUT_NODE, NULL, "TTNii", op->parent, op->pn, op->key, op->kn,
                       op->text, op->tn, op->size, version);
        } else if (op->op == CW_TREE_DEL) {
            rc = WRITE(ctx, CW_OP_DEL_NODE, NULL, "TT", op->parent, op->pn, op->key, op->kn);
        } else {
            cw_buf ptr = CW_BUF_INIT;
            cw_buf_append(&ptr, op->parent, op->pn);
            cw_json_ptr_push(&ptr, op->key, op->kn);
            rc = ptr.broken ? oom(ctx) : WRITE(ctx, CW_OP_CLEAR_UNDER, NULL, "t", ptr.p, ptr.len);
            cw_buf_free(&ptr);
        }
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* Reads nodes from storage, for a document not held whole: each read is
 * one indexed lookup (a member) or one ordered scan (an object's members,
 * to put a small one back inline). A node's text lives in the rows of the
 * last read, released at the next. */
typedef struct {
    cw_tree_source src;
    cw_ctx *ctx;
    cw_rows rows;
} stored_source;

static int value_node(cw_value *v, cw_value *size, cw_node *out) {
    if (size->type != CW_VAL_INT || (v->type != CW_VAL_TEXT && v->type != CW_VAL_NULL))
        return -1;
    out->kind = v->type == CW_VAL_NULL ? CW_NODE_OBJECT : CW_NODE_VALUE;
    out->text = v->s;
    out->len = v->n;
    out->size = size->i;
    return 0;
}

static int stored_get(cw_tree_source *s, const char *parent, size_t pn, const char *key, size_t kn,
                      cw_node *out, cw_error *err) {
    stored_source *ss = s->arg;
    cw_value v, size;
    (void)err;
    memset(out, 0, sizeof *out);
    cw_store_rows_done(&ss->rows);
    if (cw_store_run(CW_Q_NODE, &ss->rows, "tt", parent, pn, key, kn) < 0)
        return storage_failed(ss->ctx, "a read failed");
    if (!ss->rows.rows)
        return 0;
    if (ss->rows.cols != 2 || cw_store_rows_value(&ss->rows, &v) < 0 ||
        cw_store_rows_value(&ss->rows, &size) < 0 || value_node(&v, &size, out) < 0)
        return storage_failed(ss->ctx, MALFORMED);
    return 0;
}

static int stored_each(cw_tree_source *s, const char *ptr, size_t n, cw_tree_each_fn fn, void *arg,
                       cw_error *err) {
    stored_source *ss = s->arg;
    cw_rows r;
    int rc = 0;
    (void)err;
    if (cw_store_run(CW_Q_CHILDREN, &r, "t", ptr, n) < 0)
        return storage_failed(ss->ctx, "a read failed");
    for (uint32_t i = 0; i < r.rows && rc == 0; i++) {
        cw_value k, v, size;
        cw_node node;
        if (r.cols != 3 || cw_store_rows_value(&r, &k) < 0 || cw_store_rows_value(&r, &v) < 0 ||
            cw_store_rows_value(&r, &size) < 0 || k.type != CW_VAL_TEXT ||
            value_node(&v, &size, &node) < 0)
            rc = storage_failed(ss->ctx, MALFORMED);
        else
            rc = fn(arg, k.s, k.n, &node);
    }
    cw_store_rows_done(&r);
    return rc;
}

static void stored_source_init(stored_source *ss, cw_ctx *ctx) {
    memset(ss, 0, sizeof *ss);
    ss->src.get = stored_get;
    ss->src.each = stored_each;
    ss->src.arg = ss;
    ss->ctx = ctx;
}

/* Builds the cache entry for the id at version from its rows: the whole
 * document when it is small enough to hold, else its size only. */
static int load_doc(cw_ctx *ctx, long long version) {
    cw_rows r;
    cw_doc *d;
    long long size = 0;
    int rc = 0;
    if (cw_store_run(CW_Q_ROOT_SIZE, &r, "") < 0)
        return storage_failed(ctx, "a read failed");
    rc = r.rows == 1 && int_at(&r, &size) == 0 ? 0 : -1;
    cw_store_rows_done(&r);
    if (rc < 0)
        return storage_failed(ctx, MALFORMED);
    if (size > CW_DOC_RESIDENT) {
        if (!(d = cw_doc_new(ctx->who.id, version, 0, size)))
            return oom(ctx);
        cw_doc_settle(d, cw_runtime_config()->cache_bytes);
        return 0;
    }
    if (cw_store_run(CW_Q_NODES, &r, "") < 0)
        return storage_failed(ctx, "a read failed");
    if (r.rows && r.cols != 4) {
        cw_store_rows_done(&r);
        return storage_failed(ctx, MALFORMED);
    }
    if (!(d = cw_doc_new(ctx->who.id, version, 1, 0))) {
        cw_store_rows_done(&r);
        return oom(ctx);
    }
    for (uint32_t i = 0; i < r.rows && rc == 0; i++) {
        cw_value parent, k, v, sz;
        if (cw_store_rows_value(&r, &parent) < 0 || cw_store_rows_value(&r, &k) < 0 ||
            cw_store_rows_value(&r, &v) < 0 || cw_store_rows_value(&r, &sz) < 0 ||
            parent.type != CW_VAL_TEXT || k.type != CW_VAL_TEXT || sz.type != CW_VAL_INT ||
            (v.type != CW_VAL_TEXT && v.type != CW_VAL_NULL)) {
            cw_doc_drop(ctx->who.id);
            rc = storage_failed(ctx, MALFORMED);
        } else {
            rc = cw_doc_load_row(d, parent.s ? parent.s : "", parent.n, k.s ? k.s : "", k.n,
                                 v.type == CW_VAL_NULL ? NULL : (v.s ? v.s : ""), v.n, sz.i,
                                 &ctx->err);
        }
    }
    cw_store_rows_done(&r);
    if (rc == 0)
        cw_doc_settle(d, cw_runtime_config()->cache_bytes);
    return rc;
}

static cw_tree_limits tree_limits(void) {
    const cw_config *cfg = cw_runtime_config();
    cw_tree_limits lim = {cfg->value_limit, (long long)cfg->state_limit, cfg->depth_limit,
                          cfg->container_limit};
    return lim;
}

/* Converts the one-blob layout {"v":N,"s":{...}}: its state planned into
 * an empty document, written as rows with the meta row at version N, the
 * old table dropped, all committed on its own before the request goes on
 * (the rows hold the state the blob held, whatever the request then does). */
static int convert_blob(cw_ctx *ctx, cw_sync_op *o, const char *blob, size_t n) {
    json_t *root = cw_json_load(blob, n), *v = json_object_get(root, "v");
    json_t *s = json_object_get(root, "s");
    cw_tree_limits lim = tree_limits();
    cw_tree empty;
    cw_tree_source src;
    cw_tree_change c;
    long long version;
    int rc;
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        json_integer_value(v) > CW_VERSION_MAX || !json_is_object(s)) {
        json_decref(root);
        return storage_failed(ctx, MALFORMED);
    }
    version = json_integer_value(v);
    if (cw_tree_init(&empty) < 0) {
        json_decref(root);
        return oom(ctx);
    }
    cw_tree_source_of(&empty, &src);
    rc = cw_tree_plan(&src, s, 0, &lim, &c, &ctx->err);
    cw_tree_free(&empty);
    json_decref(root);
    if (rc < 0)
        return -1;
    o->meta = (meta_t){version, 0, 0, version + 1};
    o->migrating = 1;
    rc = write_change(ctx, &c, version) < 0 || put_meta(ctx, o, o->meta) < 0 ||
                 WRITE(ctx, CW_OP_DROP_LEGACY, NULL, "") < 0
             ? -1
         : cw_store_commit() < 0 ? storage_failed(ctx, UNWRITTEN)
                                 : 0;
    cw_tree_change_free(&c);
    return rc;
}

/* The older layouts, looked for the first time this isolate sees the id:
 * members as rows become the root's rows (in SQL, one transaction); an
 * object written by the one-blob layout converts through the planner. */
static int open_old(cw_ctx *ctx, cw_sync_op *o, int had_meta) {
    cw_rows r;
    cw_value name, blob;
    int members = 0, rc = 0;
    if (cw_store_run(CW_Q_OLD_LAYOUTS, &r, "") < 0)
        return storage_failed(ctx, "a read failed");
    for (uint32_t i = 0; i < r.rows; i++)
        if (cw_store_rows_value(&r, &name) == 0 && name.type == CW_VAL_TEXT) {
            if (name.n == 10 && memcmp(name.s, "cw_members", 10) == 0)
                members = 1;
            else
                o->legacy = 1;
        }
    cw_store_rows_done(&r);
    if (members) {
        if (WRITE(ctx, CW_OP_CONVERT_MEMBERS, NULL, "") < 0 || cw_store_commit() < 0)
            return storage_failed(ctx, UNWRITTEN);
        o->migrating = 1;
    }
    if (!o->legacy || had_meta)
        return 0;
    if (cw_store_run(CW_Q_LEGACY_BLOB, &r, "") < 0)
        return storage_failed(ctx, "a read failed");
    if (r.rows == 1 && cw_store_rows_value(&r, &blob) == 0 && blob.type == CW_VAL_TEXT) {
        rc = convert_blob(ctx, o, blob.s, blob.n);
    } else if (r.rows == 0) {
        /* An empty legacy table: nothing to convert, the table goes. */
        rc = WRITE(ctx, CW_OP_DROP_LEGACY, NULL, "");
        if (rc == 0 && cw_store_commit() < 0)
            rc = storage_failed(ctx, UNWRITTEN);
        o->migrating = rc == 0;
    } else {
        rc = storage_failed(ctx, MALFORMED);
    }
    cw_store_rows_done(&r);
    return rc;
}

/* Opens the document: the meta row, and the older layouts when the cache
 * has never held the id. */
static int open_doc(cw_ctx *ctx, cw_sync_op *o) {
    int cached = cw_doc_find(ctx->who.id) != NULL, k = known_find(ctx, ctx->who.id);
    if (cached && k >= 0) {
        o->meta = known[k].meta;
        o->had_meta = known[k].had_meta;
        return 0;
    }
    if (!cached) {
        known_forget(ctx->who.id); /* an older layout's conversion may write */
        return read_meta(ctx, o) < 0 ? -1 : open_old(ctx, o, o->had_meta);
    }
    if (read_meta(ctx, o) < 0)
        return -1;
    known_set(ctx, ctx->who.id, o->meta, o->had_meta);
    return 0;
}

/* The cache entry at the stored version, loaded from the rows when the
 * cache holds another (or none). */
static int members(cw_ctx *ctx, cw_sync_op *o) {
    cw_doc *d = cw_doc_find(ctx->who.id);
    return d && d->version == o->meta.version ? 0 : load_doc(ctx, o->meta.version);
}

/* The document, its members loaded at the version o read: NULL with
 * ctx->err set. */
static cw_doc *loaded(cw_ctx *ctx, cw_sync_op *o) {
    cw_doc *d;
    if (members(ctx, o) < 0)
        return NULL;
    if (!(d = cw_doc_find(ctx->who.id)))
        storage_failed(ctx, "the document left the cache during the request");
    return d;
}

/* --- owner: what a commit leaves in the cache -------------------------------- */

/* Commits the queued writes. Once the commit stood, the cache follows
 * storage, at the version the writes recorded; when it did not, nothing
 * was written and the cache forgets the document (storage_failed). The
 * answer may point into o->view: the cache takes that buffer whole. */
static int commit(cw_ctx *ctx, cw_sync_op *o) {
    cw_doc *d;
    if (cw_store_commit() < 0)
        return storage_failed(ctx, UNWRITTEN);
    if (o->written.version >= 0)
        known_set(ctx, o->id, o->written, 1);
    else
        known_forget(o->id);
    if (o->keep == KEEP_NOTHING)
        return 0;
    if (o->keep == KEEP_EMPTY) {
        cw_doc_new(o->id, o->written.version, 1, 0); /* an empty state; without memory, none */
        return 0;
    }
    if ((d = cw_doc_find(o->id))) {
        if (o->minimal)
            o->view.len = 0;
        cw_doc_apply(d, &o->change, o->written.version, &o->view);
        if ((d = cw_doc_find(o->id)))
            cw_doc_settle(d, cw_runtime_config()->cache_bytes);
    }
    return 0;
}

/* --- owner: the routes' steps ---------------------------------------------- */

/* The cached {"id","version","state"} of the document at its version: the
 * one kept, or one built now and kept. NULL with ctx->err set. */
static cw_doc *cached_view(cw_ctx *ctx, cw_sync_op *o) {
    cw_doc *d = cw_doc_find(ctx->who.id);
    if (!d)
        return storage_failed(ctx, "the document left the cache during the request"), NULL;
    if (!d->view.len) {
        cw_buf view = CW_BUF_INIT;
        if (view_of(ctx, d, o->meta.version, &view) < 0) {
            cw_buf_free(&view);
            return NULL;
        }
        cw_doc_keep_view(d, &view, cw_runtime_config()->cache_bytes); /* never evicts d */
    }
    return d;
}

/* A piece of a streamed GET: about 64 KiB of the document's text. */
#define STREAM_PIECE (256 << 10)

static int more_of_doc(cw_ctx *ctx, void *arg, cw_buf *out) {
    cw_sync_op *o = arg;
    return cw_stream_next(o->stream, out, STREAM_PIECE, &ctx->err);
}

/* The start of a read's answer: {"id":...,"version":N,["path":...,]"state": */
static void read_head(cw_ctx *ctx, cw_sync_op *o, const cw_buf *path, cw_buf *out) {
    cw_buf_puts(out, "{\"id\":\"");
    cw_buf_puts(out, ctx->who.id);
    cw_buf_puts(out, "\",\"version\":");
    cw_buf_putu(out, (unsigned long long)o->meta.version);
    if (path) {
        cw_buf_puts(out, ",\"path\":");
        cw_buf_putjs(out, path->p ? path->p : "", path->len);
    }
    cw_buf_puts(out, ",\"state\":");
}

/* Answers the spilled object at ptr[0..pn) (of size stored bytes) from its
 * rows, after head: whole when it is small enough to hold, else a piece at
 * a time: a GET's body streams (a HEAD's has no known length); over RPC,
 * only when the caller asked for a stream ({ as: "stream" }), since the
 * other forms hold the whole answer at once. */
static int from_rows(cw_ctx *ctx, cw_sync_op *o, const char *ptr, size_t pn, long long size,
                     const cw_buf *head) {
    cw_slice as = cw_http_header(ctx->req, "x-cw-as");
    int big = size > CW_DOC_RESIDENT, rc;
    if (big && cw_http_slice_eq(ctx->req->method, "HEAD")) {
        cw_pipeline_unsized(ctx);
        ctx->res.status = 200;
        return cw_pipeline_header_add(ctx, "content-type", "application/json");
    }
    if (big && (ctx->flags & CW_FLAG_RPC) && !cw_http_slice_eq(as, "stream"))
        return cw_error_setf(&ctx->err, CW_E_TOO_LARGE,
                             "the answer is over the %d bytes one holds whole: ask for it "
                             "with { as: \"stream\" }, or for a part with { path }",
                             (long long)CW_DOC_RESIDENT);
    if (head->broken || !(o->stream = cw_stream_new(ptr, pn, head->p, head->len, "}", 1)))
        return oom(ctx);
    if (big)
        return cw_pipeline_stream_answer(ctx, 200, "application/json", more_of_doc, o);
    o->view.len = 0;
    while ((rc = cw_stream_next(o->stream, &o->view, STREAM_PIECE, &ctx->err)) == 1)
        ;
    if (rc < 0)
        return -1;
    return cw_pipeline_respond_ref(ctx, 200, "application/json", o->view.p, o->view.len);
}

/* --- owner: a grant limited to paths (jwt.h "paths", paths.h) ------------ */

/* What the document holds at a pointer, for the path checks: read from the
 * cache when it is held whole, else from its rows. */
typedef struct {
    cw_ctx *ctx;
    cw_doc *d;
    cw_tree_source src;
    stored_source stored;
} reader_t;

static void reader_init(reader_t *r, cw_ctx *ctx, cw_doc *d) {
    r->ctx = ctx;
    r->d = d;
    stored_source_init(&r->stored, ctx);
    if (d->resident)
        cw_doc_source(d, &r->src);
}

/* Finds p[0..n) into f (zeroed; the caller frees its buffers). */
static int reader_find(reader_t *r, const char *p, size_t n, cw_tree_found *f) {
    int rc = cw_tree_find(r->d->resident ? &r->src : &r->stored.src, p, n, f, &r->ctx->err);
    cw_store_rows_done(&r->stored.rows);
    return rc;
}

enum { AT_NONE = 0, AT_OBJECT = 1, AT_VALUE = 2 };

/* What is at p[0..n): AT_NONE, AT_OBJECT, AT_VALUE (another value), or -1
 * with ctx->err set. */
static int kind_at(reader_t *r, const char *p, size_t n) {
    cw_tree_found f;
    int rc;
    memset(&f, 0, sizeof f);
    rc = reader_find(r, p, n, &f);
    if (rc == 0)
        rc = f.kind == CW_NODE_NONE             ? AT_NONE
             : f.kind == CW_NODE_OBJECT         ? AT_OBJECT
             : f.text.len && f.text.p[0] == '{' ? AT_OBJECT
                                                : AT_VALUE;
    cw_buf_free(&f.ptr);
    cw_buf_free(&f.text);
    return rc;
}

/* paths.h's question for a write: an object (or nothing) at p? */
static int object_or_none(void *arg, const char *p, size_t n) {
    int k = kind_at(arg, p, n);
    return k < 0 ? -1 : k != AT_VALUE;
}

static int assumed_object(void *arg, const char *p, size_t n) {
    (void)arg, (void)p, (void)n;
    return 1;
}

/* A write under a grant limited to paths: 403 forbidden, error.paths the
 * pointers it touches outside them; nothing is applied. d: the document,
 * or NULL to take every parent the patch names as an object (the patch's
 * own pointers only). */
static int write_allowed(cw_ctx *ctx, cw_sync_op *o, cw_doc *d) {
    reader_t r;
    json_t *out = json_array();
    int n;
    if (d)
        reader_init(&r, ctx, d);
    n = out ? cw_paths_outside(o->patch, ctx->who.write_paths, d ? object_or_none : assumed_object,
                               &r, out)
            : -1;
    if (n > 0) {
        cw_buf_puts(&ctx->err_extra, ",\"paths\":");
        if (cw_json_dump(out, &ctx->err_extra) < 0)
            ctx->err_extra.len = 0;
        cw_error_set(&ctx->err, CW_E_FORBIDDEN,
                     "this token may not write these paths (its paths.write claim)");
    } else if (n < 0 && ctx->err.code == CW_E_NONE) {
        oom(ctx);
    }
    json_decref(out);
    return n == 0 ? 0 : -1;
}

/* The value at entry p[0..n) when objects lead to it all the way (a new
 * reference), NULL with *size 0 when there is none, or NULL with ctx->err
 * set. *size: its stored bytes, counted against what one answer holds. */
static json_t *readable_at(reader_t *r, const char *p, size_t n, long long *size) {
    cw_tree_found f;
    json_t *v = NULL;
    *size = 0;
    for (size_t i = 1; i < n; i++) {
        int k;
        if (p[i] != '/')
            continue;
        if ((k = kind_at(r, p, i)) != AT_OBJECT)
            return NULL; /* an error (-1, err set), or no object above the entry */
    }
    memset(&f, 0, sizeof f);
    if (reader_find(r, p, n, &f) == 0) {
        if (f.kind == CW_NODE_VALUE) {
            *size = (long long)f.text.len;
            if (!(v = cw_json_load(f.text.p ? f.text.p : "", f.text.len)))
                oom(r->ctx);
        } else if (f.kind == CW_NODE_OBJECT) {
            *size = f.size < 0 ? r->d->size : f.size;
            if (*size <= CW_DOC_RESIDENT)
                v = cw_tree_read(r->d->resident ? &r->src : &r->stored.src, f.ptr.p ? f.ptr.p : "",
                                 f.ptr.len, CW_JSON_MAX_DEPTH, &r->ctx->err);
            cw_store_rows_done(&r->stored.rows);
        }
    }
    cw_buf_free(&f.ptr);
    cw_buf_free(&f.text);
    return v;
}

/* The part of the document a grant limited to paths may read, under the
 * pointer base[0..bn) ("" the whole): {entry: value, with its parents as
 * objects} for each entry of the grant's read list under base; then the
 * value at base of that. *found 0 when there is nothing. NULL with
 * ctx->err set: 413 when it is over what one answer holds. */
static json_t *readable(cw_ctx *ctx, cw_doc *d, const char *base, size_t bn, int *found) {
    reader_t r;
    json_t *out = json_object(), *e;
    long long total = 0;
    size_t i, n;
    *found = 0;
    if (!out)
        return oom(ctx), NULL;
    reader_init(&r, ctx, d);
    json_array_foreach(ctx->who.read_paths, i, e) {
        const char *p = cw_json_string(e, &n);
        long long size;
        json_t *v;
        if (!cw_paths_under(p, n, base, bn))
            continue;
        v = readable_at(&r, p, n, &size);
        if (ctx->err.code != CW_E_NONE || (total += size) > CW_DOC_RESIDENT) {
            json_decref(v);
            json_decref(out);
            if (ctx->err.code == CW_E_NONE)
                cw_error_setf(&ctx->err, CW_E_TOO_LARGE,
                              "the part of the state this token may read is over the %d bytes one "
                              "answer holds: read its paths one at a time with ?path=",
                              (long long)CW_DOC_RESIDENT);
            return NULL;
        }
        if (v && cw_paths_put(out, p, n, v) < 0) {
            json_decref(v);
            json_decref(out);
            return oom(ctx), NULL;
        }
        *found |= v != NULL;
        json_decref(v);
    }
    return out;
}

/* GET with ?path= (a percent-encoded JSON Pointer, RFC 6901): the value
 * there, with the document's version; 404 no_such_path when there is none.
 * Read from the cache when the document is held whole, else from its rows.
 * entry: the segments of the grant's read entry that covers the path (0:
 * the whole document); an entry reaching inside an array names no member
 * (paths.h), so nothing is there for it, as in the whole GET: 404, as
 * for a path with nothing there (a 403 would tell the value is an array). */
static int path_get(cw_ctx *ctx, cw_sync_op *o, cw_slice raw, int entry) {
    cw_buf path = CW_BUF_INIT, head = CW_BUF_INIT;
    cw_tree_found f;
    cw_tree_source src;
    stored_source stored;
    cw_doc *d = cw_doc_find(ctx->who.id);
    int rc;
    memset(&f, 0, sizeof f);
    if (!d)
        return storage_failed(ctx, "the document left the cache during the request");
    if (cw_http_unescape(raw, &path) < 0 || !cw_json_utf8(path.p ? path.p : "", path.len)) {
        cw_buf_free(&path);
        return cw_error_set(&ctx->err, CW_E_INVALID_PARAMETER,
                            "path must be a JSON Pointer (RFC 6901) in percent-encoded UTF-8");
    }
    stored_source_init(&stored, ctx);
    if (d->resident)
        cw_doc_source(d, &src);
    rc = cw_tree_find(d->resident ? &src : &stored.src, path.p ? path.p : "", path.len, &f,
                      &ctx->err);
    cw_store_rows_done(&stored.rows);
    read_head(ctx, o, &path, &head);
    if (rc < 0) {
    } else if (f.kind == CW_NODE_NONE || (f.in_array && f.in_array <= entry)) {
        rc = cw_error_set(&ctx->err, CW_E_NO_SUCH_PATH, NULL);
    } else if (f.kind == CW_NODE_VALUE) {
        o->view.len = 0;
        cw_buf_append(&o->view, head.p, head.len);
        cw_buf_append(&o->view, f.text.p, f.text.len);
        cw_buf_append(&o->view, "}", 1);
        rc = o->view.broken
                 ? oom(ctx)
                 : cw_pipeline_respond_ref(ctx, 200, "application/json", o->view.p, o->view.len);
    } else {
        rc = from_rows(ctx, o, f.ptr.p ? f.ptr.p : "", f.ptr.len, f.size < 0 ? d->size : f.size,
                       &head);
    }
    cw_buf_free(&path);
    cw_buf_free(&head);
    cw_buf_free(&f.ptr);
    cw_buf_free(&f.text);
    return rc;
}

/* GET under a grant limited to paths (its read list): with ?path= under
 * an entry, the value there as for any GET; above entries, the part of the
 * value there the grant may read; else 403. Without, the part of the
 * state it may read. Never the bytes held for everyone. */
static int limited_get(cw_ctx *ctx, cw_sync_op *o, cw_slice raw) {
    cw_buf path = CW_BUF_INIT;
    json_t *part = NULL, *at;
    cw_doc *d;
    int found, entry, rc = -1;
    if (!(d = loaded(ctx, o)))
        return -1;
    if (raw.p &&
        (cw_http_unescape(raw, &path) < 0 || !cw_json_utf8(path.p ? path.p : "", path.len) ||
         !cw_paths_pointer_ok(path.p ? path.p : "", path.len))) {
        cw_buf_free(&path);
        return cw_error_set(&ctx->err, CW_E_INVALID_PARAMETER,
                            "path must be a JSON Pointer (RFC 6901) in percent-encoded UTF-8");
    }
    if (raw.p &&
        (entry = cw_paths_covering(ctx->who.read_paths, path.p ? path.p : "", path.len)) >= 0) {
        cw_buf_free(&path);
        return path_get(ctx, o, raw, entry);
    }
    if (raw.p && !cw_paths_above(ctx->who.read_paths, path.p ? path.p : "", path.len)) {
        cw_buf_puts(&ctx->err_extra, ",\"paths\":[");
        cw_buf_putjs(&ctx->err_extra, path.p ? path.p : "", path.len);
        cw_buf_puts(&ctx->err_extra, "]");
        rc = cw_error_set(&ctx->err, CW_E_FORBIDDEN,
                          "this token may not read this path (its paths.read claim)");
    } else if ((part = readable(ctx, d, path.p ? path.p : "", path.len, &found))) {
        at = raw.p ? cw_paths_get(part, path.p ? path.p : "", path.len) : part;
        if (!at) {
            rc = cw_error_set(&ctx->err, CW_E_NO_SUCH_PATH, NULL);
        } else {
            o->view.len = 0;
            read_head(ctx, o, raw.p ? &path : NULL, &o->view);
            rc =
                cw_json_dump(at, &o->view) < 0 || cw_buf_append(&o->view, "}", 1) < 0
                    ? oom(ctx)
                    : cw_pipeline_respond_ref(ctx, 200, "application/json", o->view.p, o->view.len);
        }
    }
    json_decref(part);
    cw_buf_free(&path);
    return rc;
}

/* GET (conditional) and plugin views: the bytes the host holds for this
 * version, else the cached serialization, which the host then holds; a
 * document too large to hold whole streams from its rows. */
COLD_SPLIT static int step_get(cw_ctx *ctx, cw_sync_op *o, int conditional) {
    int rc = conditional ? conditions(ctx, o->meta.version) : 0;
    cw_slice path = o->kind == K_GET ? cw_http_query(ctx->req, "path", NULL) : (cw_slice){NULL, 0};
    cw_doc *d;
    if (rc < 0)
        return -1;
    if (rc == CW_COND_NOT_MODIFIED) {
        ctx->res.status = 304;
        return etag(ctx, o->meta.version);
    }
    if (ctx->who.read_paths) {
        if (o->kind == K_VIEW)
            return cw_error_set(
                &ctx->err, CW_E_FORBIDDEN,
                "a plugin reads the whole state, and this token may read only paths");
        if (limited_get(ctx, o, path) < 0)
            return -1;
    } else if (path.p) {
        if (members(ctx, o) < 0 || path_get(ctx, o, path, 0) < 0)
            return -1;
    } else if (ctx->held == (double)o->meta.version && !o->migrating) {
        if (cw_pipeline_respond_held(ctx, 200, "application/json") < 0)
            return -1;
    } else if (members(ctx, o) < 0) {
        return -1;
    } else if ((d = cw_doc_find(ctx->who.id)) && !d->resident) {
        cw_buf head = CW_BUF_INIT;
        if (o->kind == K_VIEW)
            return cw_error_setf(&ctx->err, CW_E_TOO_LARGE,
                                 "a plugin reads the whole state, and this one is over the %d "
                                 "bytes its input may take",
                                 (long long)CW_DOC_RESIDENT);
        read_head(ctx, o, NULL, &head);
        rc = from_rows(ctx, o, "", 0, d->size, &head);
        cw_buf_free(&head);
        if (rc < 0)
            return -1;
    } else if (!(d = cached_view(ctx, o))) {
        return -1;
    } else {
        if (cw_pipeline_respond_ref(ctx, 200, "application/json", d->view.p, d->view.len) < 0)
            return -1;
        cw_pipeline_hold(ctx, (double)o->meta.version);
    }
    o->version = o->meta.version;
    return etag(ctx, o->meta.version);
}

COLD_SPLIT static int step_delete(cw_ctx *ctx, cw_sync_op *o) {
    long long next = o->meta.version + 1;
    cw_buf f = CW_BUF_INIT;
    if (ctx->who.read_only)
        return cw_error_set(&ctx->err, CW_E_FORBIDDEN, "this grant reads only");
    if (ctx->who.write_paths)
        return cw_error_set(&ctx->err, CW_E_FORBIDDEN,
                            "a DELETE touches every path, and this token may write only some (its "
                            "paths.write claim)");
    if (conditions(ctx, o->meta.version) < 0)
        return -1;
    if (o->meta.version >= CW_VERSION_MAX)
        return cw_error_set(&ctx->err, CW_E_VERSION_LIMIT, NULL);
    if (answer(ctx, o, next, NULL, NULL) < 0)
        return -1;
    /* Every socket starts over from the empty state. */
    cw_buf_puts(&f, "{\"type\":\"reset\"");
    cw_buf_kint(&f, "version", next);
    cw_buf_puts(&f, "}");
    if (cw_roster_tell(ctx, &f, 0) < 0) {
        cw_buf_free(&f);
        return -1;
    }
    cw_buf_free(&f);
    if (WRITE(ctx, CW_OP_CLEAR, NULL, "") < 0 ||
        (o->legacy && WRITE(ctx, CW_OP_DROP_LEGACY, NULL, "") < 0) ||
        put_meta(ctx, o, (meta_t){next, 0, 0, next + 1}) < 0)
        return -1;
    o->keep = KEEP_EMPTY;
    return commit(ctx, o);
}

/* 410 unless the journal holds every write after since: [since+1, version]. */
static int history(cw_ctx *ctx, cw_sync_op *o, long long since) {
    if (since > o->meta.version)
        return cw_error_set(&ctx->err, CW_E_HISTORY_GONE,
                            "that version is after the state's own; get the state");
    if (since < o->meta.jfirst - 1)
        return cw_error_set(&ctx->err, CW_E_HISTORY_GONE, NULL);
    return 0;
}

/* Appends a journal entry to o->changes (after a comma unless first), with
 * the part of its patch under the paths the grant may read, if limited. */
static void entry(cw_ctx *ctx, cw_sync_op *o, long long version, long long at, const char *rid,
                  size_t rid_n, const char *actor, size_t actor_n, const char *patch,
                  size_t patch_n) {
    json_t *whole = NULL, *part = NULL;
    cw_buf text = CW_BUF_INIT;
    if (o->changes.len)
        cw_buf_append(&o->changes, ",", 1);
    if (ctx->who.read_paths) {
        whole = cw_json_load(patch, patch_n);
        part = whole ? cw_paths_project(whole, ctx->who.read_paths, 1) : NULL;
        if (!part || cw_json_dump(part, &text) < 0)
            o->changes.broken = 1;
        patch = text.p ? text.p : "{}";
        patch_n = text.p ? text.len : 2;
    }
    cw_journal_entry(&o->changes, version, at, rid, rid_n, actor, actor_n, patch, patch_n);
    json_decref(whole);
    json_decref(part);
    cw_buf_free(&text);
}

/* Appends the journal entries after since (at most limit) to o->changes.
 * Returns how many, or -1 with ctx->err set. */
static long long read_entries(cw_ctx *ctx, cw_sync_op *o, long long since, long long limit) {
    cw_rows r;
    long long n = 0;
    if (cw_store_run(CW_Q_JOURNAL_SINCE, &r, "ii", since, limit) < 0)
        return storage_failed(ctx, "a read failed");
    if (r.rows && r.cols != 5) {
        cw_store_rows_done(&r);
        return storage_failed(ctx, MALFORMED);
    }
    for (; n < r.rows; n++) {
        cw_value v[5];
        int k;
        for (k = 0; k < 5 && cw_store_rows_value(&r, &v[k]) == 0; k++)
            ;
        if (k < 5 || v[0].type != CW_VAL_INT || v[1].type != CW_VAL_INT ||
            v[2].type != CW_VAL_TEXT || v[4].type != CW_VAL_TEXT) {
            cw_store_rows_done(&r);
            return storage_failed(ctx, MALFORMED);
        }
        entry(ctx, o, v[0].i, v[1].i, v[2].s, v[2].n, v[3].type == CW_VAL_TEXT ? v[3].s : NULL,
              v[3].n, v[4].s, v[4].n);
    }
    cw_store_rows_done(&r);
    return o->changes.broken ? oom(ctx) : n;
}

/* ?paths= on the changes route: a JSON array of pointers, percent-encoded;
 * the entries then carry the part of each patch under them (and under
 * what the grant may read). As in a hello, [] (or "") is the whole
 * document. */
static int changes_paths(cw_ctx *ctx) {
    cw_slice raw = cw_http_query(ctx->req, "paths", NULL);
    cw_buf text = CW_BUF_INIT;
    json_t *v = NULL, *list = NULL, *meet = NULL;
    const char *why;
    int failed = 0, rc = 0;
    if (!raw.p)
        return 0;
    if (cw_http_unescape(raw, &text) < 0 || !cw_json_utf8(text.p ? text.p : "", text.len) ||
        cw_json_check(text.p ? text.p : "", text.len, 4, 64, NULL, &ctx->err) < 0 ||
        !(v = cw_json_load(text.p ? text.p : "", text.len)) || cw_paths_read(v, &list, &why) < 0) {
        rc = cw_error_set(&ctx->err, CW_E_INVALID_PARAMETER,
                          "paths must be a JSON array of at most 32 JSON Pointers (RFC 6901), "
                          "percent-encoded");
    } else {
        if (list && !json_array_size(list)) { /* none: the whole document */
            json_decref(list);
            list = NULL;
        }
        if (!(meet = cw_paths_meet(ctx->who.read_paths, list, &failed)) && failed)
            rc = oom(ctx);
        else
            cw_pipeline_who_paths(ctx, meet, ctx->who.write_paths);
    }
    json_decref(v);
    json_decref(list);
    json_decref(meet);
    cw_buf_free(&text);
    return rc;
}

COLD_SPLIT static int step_changes(cw_ctx *ctx, cw_sync_op *o) {
    if (changes_paths(ctx) < 0 || history(ctx, o, o->since) < 0 ||
        read_entries(ctx, o, o->since, o->limit) < 0)
        return -1;
    return answer(ctx, o, o->meta.version, NULL, &o->changes);
}

/* {"type":"changes","version","changes":[entries]}, to the socket. */
static int hello_frame(cw_ctx *ctx, cw_sync_op *o) {
    cw_buf f = CW_BUF_INIT;
    int rc;
    cw_buf_puts(&f, "{\"type\":\"changes\"");
    cw_buf_kint(&f, "version", o->meta.version);
    cw_buf_puts(&f, ",\"changes\":[");
    cw_buf_append(&f, o->changes.p, o->changes.len);
    cw_buf_puts(&f, "]}");
    rc = cw_pipeline_frame_reply(ctx, &f);
    cw_buf_free(&f);
    return rc;
}

/* Sends the state's text in o->view as snapshot parts, each a frame of at
 * most CW_SYNC_PART_MAX bytes: {"type":"snapshot","id","version","part":n,
 * "more":true|false,"text":"<the next piece of the state's JSON text>"}.
 * Sends only full parts, keeping the rest in o->view, unless last. */
static int snapshot_parts(cw_ctx *ctx, cw_sync_op *o, int last) {
    cw_buf f = CW_BUF_INIT, t = CW_BUF_INIT;
    size_t at = 0;
    int rc = 0;
    while (rc == 0 && at < o->view.len) {
        size_t took, room;
        f.len = t.len = 0;
        cw_buf_puts(&f, "{\"type\":\"snapshot\"");
        cw_buf_kstr(&f, "id", ctx->who.id);
        cw_buf_kint(&f, "version", o->meta.version);
        cw_buf_kint(&f, "part", o->part);
        cw_buf_puts(&f, ",\"more\":");
        room = CW_SYNC_PART_MAX - f.len - sizeof "false,\"text\":\"\"}";
        took = cw_buf_putjs_part(&t, o->view.p + at, o->view.len - at, room);
        if (!took || (!last && at + took == o->view.len))
            break; /* the last part waits for the end of the text */
        cw_buf_puts(&f, !last || at + took < o->view.len ? "true" : "false");
        cw_buf_puts(&f, ",\"text\":\"");
        cw_buf_append(&f, t.p, t.len);
        cw_buf_puts(&f, "\"}");
        rc = t.broken ? oom(ctx) : cw_pipeline_frame_reply(ctx, &f);
        at += took;
        o->part++;
    }
    cw_buf_free(&f);
    cw_buf_free(&t);
    if (at) {
        memmove(o->view.p, o->view.p + at, o->view.len - at);
        o->view.len -= at;
    }
    return rc;
}

/* The next parts of the snapshot of a document read from its rows: text
 * read until a part is full (or the text ends), then sent. A read that
 * fails ends the parts with an error frame ({"type":"error","error":{...}}:
 * the client drops the parts it has). */
static int more_of_snapshot(cw_ctx *ctx, void *arg, cw_buf *out) {
    cw_sync_op *o = arg;
    int rc = 1;
    while (rc == 1 && o->view.len < CW_SYNC_PART_MAX)
        rc = cw_stream_next(o->stream, &o->view, STREAM_PIECE, &ctx->err);
    if (rc >= 0 && snapshot_parts(ctx, o, rc == 0) == 0)
        return rc;
    if (ctx->err.code == CW_E_NONE)
        cw_error_set(&ctx->err, CW_E_INTERNAL, NULL);
    ctx->frames.len = o->view.len = 0;
    out->len = 0;
    return cw_pipeline_error_frame(ctx) < 0 ? -1 : 0;
}

/* The changes after since when the journal holds them all and one page
 * does, else the whole state: one snapshot frame, or, past CW_SYNC_PART_MAX, its
 * parts (from the rows, a part at a time, when the document is not held
 * whole). */
COLD_SPLIT static int step_hello(cw_ctx *ctx, cw_sync_op *o) {
    long long v = o->meta.version;
    cw_doc *d;
    size_t head;
    ctx->res.status = 200;
    o->version = v;
    if (o->has_since && o->since <= v && o->since >= o->meta.jfirst - 1 &&
        v - o->since <= cw_runtime_config()->changes_limit)
        return read_entries(ctx, o, o->since, v - o->since) < 0 ? -1 : hello_frame(ctx, o);
    if (o->snapshot_wait > 0) {
        cw_buf_puts(&ctx->err_extra, ",\"retry_after_ms\":");
        cw_buf_putu(&ctx->err_extra, (unsigned long long)o->snapshot_wait);
        return cw_error_set(
            &ctx->err, CW_E_RATE_LIMITED,
            "a socket gets a snapshot at most once per interval; wait retry_after_ms");
    }
    if (members(ctx, o) < 0)
        return -1;
    o->snapshot = 1;
    if (ctx->who.read_paths) {
        /* The part of the state the grant may read: one frame, or parts. */
        int found;
        json_t *part = (d = cw_doc_find(ctx->who.id)) ? readable(ctx, d, "", 0, &found) : NULL;
        if (!d)
            return storage_failed(ctx, "the document left the cache during the request");
        if (!part)
            return -1;
        o->view.len = 0;
        if (cw_json_dump(part, &o->view) < 0) {
            json_decref(part);
            return oom(ctx);
        }
        json_decref(part);
        if (o->view.len >= CW_SYNC_PART_MAX - 256)
            return snapshot_parts(ctx, o, 1);
        o->changes.len = 0;
        cw_buf_puts(&o->changes, "{\"type\":\"snapshot\"");
        cw_buf_kstr(&o->changes, "id", ctx->who.id);
        cw_buf_kint(&o->changes, "version", v);
        cw_buf_puts(&o->changes, ",\"state\":");
        cw_buf_append(&o->changes, o->view.p, o->view.len);
        cw_buf_puts(&o->changes, "}");
        return cw_pipeline_frame_reply(ctx, &o->changes);
    }
    if ((d = cw_doc_find(ctx->who.id)) && !d->resident) {
        if (!(o->stream = cw_stream_new("", 0, "", 0, "", 0)))
            return oom(ctx);
        return cw_pipeline_stream_answer(ctx, 200, NULL, more_of_snapshot, o);
    }
    if (!(d = cached_view(ctx, o)))
        return -1;
    /* {"type":"snapshot"} and the cached {"id","version","state"}, as one. */
    if (d->view.len < CW_SYNC_PART_MAX - 32) {
        o->changes.len = 0;
        cw_buf_puts(&o->changes, "{\"type\":\"snapshot\",");
        cw_buf_append(&o->changes, d->view.p + 1, d->view.len - 1);
        return cw_pipeline_frame_reply(ctx, &o->changes);
    }
    /* The state's text: the view without its head and closing brace. */
    o->view.len = 0;
    read_head(ctx, o, NULL, &o->view);
    head = o->view.len;
    o->view.len = 0;
    cw_buf_append(&o->view, d->view.p + head, d->view.len - head - 1);
    return o->view.broken ? oom(ctx) : snapshot_parts(ctx, o, 1);
}

/* --- owner: PATCH ---------------------------------------------------------- */

/* The size a journal entry counts against the byte retention. */
static long long entry_size(cw_ctx *ctx, cw_sync_op *o) {
    return (long long)(o->patch_text.len + strlen(ctx->rid) + strlen(ctx->who.actor) +
                       strlen(o->key));
}

/* With ?since=, what the first answer carried: the changes after since up
 * to the version the write made (at most a page), so a retry whose answer
 * was lost still brings them; 410 when the journal no longer holds them. */
static int replayed_changes(cw_ctx *ctx, cw_sync_op *o, long long version) {
    if (!o->has_since || o->since >= version)
        return 0;
    if (history(ctx, o, o->since) < 0)
        return -1;
    return read_entries(ctx, o, o->since,
                        version - o->since < o->limit ? version - o->since : o->limit) < 0
               ? -1
               : 0;
}

/* The idempotency key's row: the same patch (the same text as the module
 * writes it, by its hash: a retry of the same bytes) is a replay, answered
 * with the original version and nothing applied; another patch is 422. A
 * row older than the environment's key window is a key seen for the first
 * time. Returns 1 when answered, 0 to go on, -1 with ctx->err set. */
static int replay(cw_ctx *ctx, cw_sync_op *o) {
    cw_rows r;
    cw_value hash, version, at, text;
    int rc = 0, same;
    if (cw_store_run(CW_Q_KEY, &r, "s", o->key) < 0)
        return storage_failed(ctx, "a read failed");
    if (r.rows == 0)
        goto out;
    if (cw_store_rows_value(&r, &hash) < 0 || cw_store_rows_value(&r, &version) < 0 ||
        cw_store_rows_value(&r, &at) < 0 || cw_store_rows_value(&r, &text) < 0 ||
        version.type != CW_VAL_INT || at.type != CW_VAL_INT) {
        rc = storage_failed(ctx, MALFORMED);
        goto out;
    }
    if (at.i < (long long)ctx->t0_ms - cw_runtime_config()->key_ms)
        goto out;
    /* A key kept before cw_keys had hashes: its journal entry's text, or,
     * once that is pruned, nothing left to compare: a replay. */
    same = hash.type == CW_VAL_INT ? hash.i == o->hash
           : text.type == CW_VAL_TEXT
               ? text.n == o->patch_text.len && memcmp(text.s, o->patch_text.p, text.n) == 0
               : 1;
    if (!same)
        rc = cw_error_set(&ctx->err, CW_E_KEY_REUSED, NULL);
    else if (replayed_changes(ctx, o, version.i) < 0 ||
             answer(ctx, o, version.i, NULL, o->has_since ? &o->changes : NULL) < 0 ||
             cw_pipeline_header_add(ctx, "idempotent-replayed", "true") < 0)
        rc = -1;
    else
        rc = 1;
out:
    cw_store_rows_done(&r);
    return rc;
}

/* 410 for a base too far behind for the overlap check: its work is
 * bounded by the environment's base_entries and base_bytes. */
static int base_too_old(cw_ctx *ctx) {
    const cw_config *cfg = cw_runtime_config();
    return cw_error_setf(&ctx->err, CW_E_HISTORY_GONE,
                         "the base is too far behind to check for overlap (at most %d writes or "
                         "%d bytes after it); get the state and write against its version",
                         cfg->base_entries, cfg->base_bytes);
}

/* The writes after the base: 409 when one touched a path overlapping one of
 * this patch's, with error.paths naming this patch's paths in conflict. The
 * read stops at the environment's bounds (base_too_old past them). */
static int overlap(cw_ctx *ctx, cw_sync_op *o) {
    const cw_config *cfg = cw_runtime_config();
    json_t *theirs = json_array(), *mine = cw_journal_paths(o->patch), *seen = NULL, *above = NULL;
    json_t *hits = NULL;
    cw_rows r;
    int rc = -1;
    if (o->meta.version - o->base > cfg->base_entries)
        rc = base_too_old(ctx);
    else if (cw_store_run(CW_Q_JOURNAL_BASE, &r, "iii", o->base, o->meta.version - o->base,
                          cfg->base_bytes) < 0)
        rc = storage_failed(ctx, "a read failed");
    else if ((long long)r.rows < o->meta.version - o->base)
        rc = base_too_old(ctx), cw_store_rows_done(&r);
    else {
        for (uint32_t i = 0; i < r.rows && theirs; i++) {
            cw_value v[2];
            json_t *p = NULL, *paths = NULL;
            if (cw_store_rows_value(&r, &v[0]) < 0 || cw_store_rows_value(&r, &v[1]) < 0 ||
                v[1].type != CW_VAL_TEXT) {
                rc = storage_failed(ctx, MALFORMED);
                break;
            }
            p = cw_json_load(v[1].s, v[1].n);
            paths = json_is_object(p) ? cw_journal_paths(p) : NULL;
            json_decref(p);
            if (!paths || json_array_extend(theirs, paths) < 0) {
                json_decref(theirs);
                theirs = NULL;
            }
            json_decref(paths);
        }
        cw_store_rows_done(&r);
        if (ctx->err.code == CW_E_NONE && theirs && mine &&
            cw_journal_cover(theirs, &seen, &above) == 0 &&
            (hits = cw_journal_conflicts(mine, seen, above))) {
            rc = 0;
            if (json_array_size(hits)) {
                cw_buf_puts(&ctx->err_extra, ",\"paths\":");
                if (cw_json_dump(hits, &ctx->err_extra) < 0)
                    ctx->err_extra.len = 0;
                rc = cw_error_set(&ctx->err, CW_E_CONFLICT,
                                  "a write after the base touched these paths");
            }
        }
    }
    if (rc < 0 && ctx->err.code == CW_E_NONE)
        oom(ctx);
    json_decref(theirs);
    json_decref(mine);
    json_decref(seen);
    json_decref(above);
    json_decref(hits);
    return rc;
}

/* Retention: how many of the oldest entries this write drops. */
static int retention(cw_ctx *ctx, cw_sync_op *o) {
    const cw_config *cfg = cw_runtime_config();
    long long *sizes;
    cw_rows r;
    int rc = 0;
    if (!cw_journal_over(o->meta.jcount + 1, o->meta.jbytes + entry_size(ctx, o),
                         cfg->journal_entries, cfg->journal_bytes))
        return 0;
    if (cw_store_run(CW_Q_JOURNAL_OLDEST, &r, "i", o->meta.jcount) < 0)
        return storage_failed(ctx, "a read failed");
    if (!(sizes = cw_alloc_new((r.rows ? r.rows : 1) * sizeof *sizes))) {
        cw_store_rows_done(&r);
        return oom(ctx);
    }
    for (uint32_t i = 0; i < r.rows && rc == 0; i++) {
        long long v;
        if (int_at(&r, &v) < 0 || int_at(&r, &sizes[i]) < 0)
            rc = storage_failed(ctx, MALFORMED);
    }
    if (rc == 0) {
        o->cut = cw_journal_cut(o->meta.jcount + 1, o->meta.jbytes + entry_size(ctx, o),
                                cfg->journal_entries, cfg->journal_bytes, sizes, r.rows);
        for (size_t i = 0; i < o->cut; i++)
            o->meta.jbytes -= sizes[i];
        o->meta.jcount -= (long long)o->cut;
        o->meta.jfirst += (long long)o->cut;
    }
    cw_alloc_free(sizes);
    cw_store_rows_done(&r);
    return rc;
}

/* {"type":"change","version"[,"prev"],"patch","actor"} with patch (text)
 * p[0..n); prev < 0: none. */
static void change_text(cw_ctx *ctx, long long version, long long prev, const char *p, size_t n,
                        cw_buf *f) {
    cw_buf_puts(f, "{\"type\":\"change\"");
    cw_buf_kint(f, "version", version);
    if (prev >= 0)
        cw_buf_kint(f, "prev", prev);
    cw_buf_key(f, "patch");
    cw_buf_append(f, p, n);
    cw_buf_kstr(f, "actor", ctx->who.actor[0] ? ctx->who.actor : NULL);
    cw_buf_puts(f, "}");
}

typedef struct {
    cw_sync_op *o;
    long long version;
    json_t *patch; /* parsed at the first socket that needs it */
} told_t;

/* A socket that reads only paths (its grant's "rp", its own "sp"): the
 * part of the patch under both. A socket that chose its paths hears
 * nothing of a write that touched none of them, and each frame names the
 * version of the one before ("prev", its attachment's "lv"); one limited
 * by its grant alone gets every version, an empty patch when untouched. */
static int change_for(cw_ctx *ctx, void *arg, const char *a, size_t n, cw_buf *out,
                      cw_buf *att_out) {
    told_t *t = arg;
    json_t *att = cw_json_load(a, n), *list = NULL, *part = NULL;
    cw_buf text = CW_BUF_INIT;
    cw_roster_head h;
    int rc = 0, sp;
    if (!t->patch)
        t->patch = cw_json_load(t->o->patch_text.p, t->o->patch_text.len);
    if (!att || !t->patch || cw_roster_read_head(a, n, &h) < 0 || cw_roster_reads(att, &list) < 0 ||
        !list)
        goto out;                            /* an attachment not read: told nothing */
    sp = json_object_get(att, "sp") != NULL; /* it chose its paths */
    if (!(part = cw_paths_project(t->patch, list, 1)) || cw_json_dump(part, &text) < 0) {
        rc = oom(ctx);
        goto out;
    }
    if (sp && json_object_size(part) == 0)
        goto out;
    change_text(ctx, t->version, sp ? json_integer_value(json_object_get(att, "lv")) : -1, text.p,
                text.len, out);
    if (sp && (json_object_set_new_nocheck(att, "lv", json_integer(t->version)) < 0 ||
               cw_roster_attachment(&h, att, att_out) < 0))
        att_out->broken = 1;
    rc = out->broken || att_out->broken ? oom(ctx) : 1;
out:
    json_decref(att);
    json_decref(list);
    json_decref(part);
    cw_buf_free(&text);
    return rc;
}

/* The change to every joined socket of the object, but the writer's when a
 * socket wrote; a socket whose grant reads only paths gets its part. */
static int change_frame(cw_ctx *ctx, cw_sync_op *o, long long version) {
    cw_buf f = CW_BUF_INIT;
    told_t t = {o, version, NULL};
    int rc;
    change_text(ctx, version, -1, o->patch_text.p, o->patch_text.len, &f);
    rc = cw_roster_tell_each(ctx, &f, (ctx->flags & CW_FLAG_SOCKET) != 0, change_for, &t);
    json_decref(t.patch);
    cw_buf_free(&f);
    return rc;
}

/* The writes of a prepared change, the frames and the answer. */
static int patch_commit(cw_ctx *ctx, void *arg) {
    cw_sync_op *o = arg;
    const cw_config *cfg = cw_runtime_config();
    long long next = o->meta.version + 1, size = entry_size(ctx, o), at = (long long)ctx->t0_ms;

    ctx->res.status = 200; /* a sync hook's call had suspended it */
    /* The answer first: it stands once the writes do. */
    if (o->has_since && !o->page_full)
        entry(ctx, o, next, at, ctx->rid, strlen(ctx->rid),
              ctx->who.actor[0] ? ctx->who.actor : NULL, strlen(ctx->who.actor), o->patch_text.p,
              o->patch_text.len);
    if (o->changes.broken)
        return oom(ctx);
    ctx->head.len = 0;
    if (o->minimal || o->has_since) {
        if (answer(ctx, o, next, o->minimal ? NULL : &o->view, o->has_since ? &o->changes : NULL) <
                0 ||
            (o->minimal && cw_pipeline_header_add(ctx, "preference-applied", "return=minimal") < 0))
            return -1;
    } else {
        /* The view is the answer, and what a GET of this version answers. */
        if (cw_pipeline_respond_ref(ctx, 200, "application/json", o->view.p, o->view.len) < 0 ||
            etag(ctx, next) < 0)
            return -1;
        o->version = next;
        cw_pipeline_hold(ctx, (double)next);
    }
    /* Every socket but the writer's is told, once the commit stands. */
    if (change_frame(ctx, o, next) < 0)
        return -1;
    if (write_change(ctx, &o->change, next) < 0)
        return -1;
    if (WRITE(ctx, CW_OP_APPEND, NULL, "iitzzbi", next, at, ctx->rid, strlen(ctx->rid),
              ctx->who.actor, strlen(ctx->who.actor), o->key, strlen(o->key), o->patch_text.p,
              o->patch_text.len, size) < 0)
        return -1;
    if (o->cut && WRITE(ctx, CW_OP_PRUNE, NULL, "i", o->meta.jfirst) < 0)
        return -1;
    if (o->key[0] && (WRITE(ctx, CW_OP_KEY, NULL, "siii", o->key, o->hash, next, at) < 0 ||
                      WRITE(ctx, CW_OP_KEYS_EXPIRE, NULL, "i", at - cfg->key_ms) < 0 ||
                      WRITE(ctx, CW_OP_KEYS_TRIM, NULL, "i", cfg->key_entries) < 0))
        return -1;
    if (o->meta.jcount == 0)
        o->meta.jfirst = next;
    if (put_meta(ctx, o,
                 (meta_t){next, o->meta.jcount + 1, o->meta.jbytes + size, o->meta.jfirst}) < 0)
        return -1;
    o->keep = KEEP_CHANGE;
    return commit(ctx, o);
}

COLD_SPLIT static int step_patch(cw_ctx *ctx, cw_sync_op *o) {
    cw_tree_limits lim = tree_limits();
    cw_tree_source src;
    stored_source stored;
    int hooks, rc;
    cw_doc *d;

    if (ctx->who.read_only)
        return cw_error_set(&ctx->err, CW_E_FORBIDDEN, "this grant reads only");
    /* (past the grant's checks: only a caller who may write learns of the
     * operator's mistake) */
    if (cw_plugin_config_error())
        return cw_error_set(&ctx->err, CW_E_UNAVAILABLE, cw_plugin_config_error());
    if (o->meta.version >= CW_VERSION_MAX)
        return cw_error_set(&ctx->err, CW_E_VERSION_LIMIT, NULL);
    /* Under a grant limited to paths, a patch whose own pointers are
     * outside them is refused first, a retry of one too (its answer would
     * tell that it was made); what the document holds is checked below. */
    if (ctx->who.write_paths && write_allowed(ctx, o, NULL) < 0)
        return -1;
    /* A retry is recognized next (a retried If-Match write would otherwise
     * fail its precondition). */
    if (o->key[0] && (rc = replay(ctx, o)) != 0)
        return rc < 0 ? -1 : 0;
    if (o->has_if_match ? o->if_match != o->meta.version : conditions(ctx, o->meta.version) < 0)
        return o->has_if_match ? cw_error_set(&ctx->err, CW_E_PRECONDITION, NULL) : -1;
    if ((o->has_base && history(ctx, o, o->base) < 0) ||
        (o->has_since && history(ctx, o, o->since) < 0))
        return -1;
    if (o->has_base && o->base < o->meta.version && overlap(ctx, o) < 0)
        return -1;
    if (o->has_since && o->since < o->meta.version) {
        long long n = read_entries(ctx, o, o->since, o->limit);
        if (n < 0)
            return -1;
        /* This write's own entry follows only a complete page. */
        o->page_full = n < o->meta.version - o->since;
    }
    if (retention(ctx, o) < 0 || !(d = loaded(ctx, o)))
        return -1;
    if (ctx->who.write_paths && write_allowed(ctx, o, d) < 0)
        return -1;
    /* A grant that reads only paths gets the minimal answer (its changes,
     * with ?since=, are its parts). */
    if (ctx->who.read_paths)
        o->minimal = 1;
    /* The plan reads what the patch reaches: from the cache when the
     * document is held whole, else from its rows. */
    stored_source_init(&stored, ctx);
    if (d->resident)
        cw_doc_source(d, &src);
    rc = cw_tree_plan(d->resident ? &src : &stored.src, o->patch, d->size, &lim, &o->change,
                      &ctx->err);
    cw_store_rows_done(&stored.rows);
    /* The plan is all that is needed of the patch from here on (the journal
     * has its text). */
    json_decref(o->patch);
    o->patch = NULL;
    if (rc < 0)
        return -1;
    hooks = cw_plugin_hooks_apply(ctx);
    if (!d->resident) {
        /* The whole state is not held: a hook cannot be given it, and the
         * answer is the minimal one. */
        if (hooks)
            return cw_error_setf(&ctx->err, CW_E_TOO_LARGE,
                                 "a sync hook checks the whole state, and this one is over the "
                                 "%d bytes its input may take",
                                 (long long)CW_DOC_RESIDENT);
        o->minimal = 1;
    }
    /* The whole state is serialized only when the answer or a hook needs
     * it; the hooks' target is the same {"id","version","state"}. It is
     * rendered from the cached tree with the change staged on it: should
     * the write not stand, the entry holds no committed version and is
     * loaded again. */
    if ((!o->minimal || hooks) &&
        (cw_doc_stage(d, &o->change) < 0 ? oom(ctx)
                                         : view_of(ctx, d, o->meta.version + 1, &o->view)) < 0)
        return -1;
    return hooks ? cw_plugin_hooks_check(ctx, &o->hooks, o->view.p, o->view.len, patch_commit, o)
                 : patch_commit(ctx, o);
}

/* --- the handlers ------------------------------------------------------------ */

/* Runs an owner operation: the grant, the document, the route's step. */
static int run_op(cw_ctx *ctx, cw_sync_op *o) {
    /* Only an explicit grant from the edge permits anything here (a socket's
     * frame carries its grant in its attachment, set at the upgrade). */
    if (!ctx->who.granted && !(ctx->flags & CW_FLAG_SOCKET))
        return cw_error_set(&ctx->err, CW_E_FORBIDDEN,
                            "the request carries no grant from the edge");
    memcpy(o->id, ctx->who.id, sizeof o->id);
    if (open_doc(ctx, o) < 0)
        return -1;
    switch (o->kind) {
    case K_GET:
    case K_VIEW:
        return step_get(ctx, o, o->kind == K_GET);
    case K_PATCH:
        return step_patch(ctx, o);
    case K_DELETE:
        return step_delete(ctx, o);
    case K_HELLO:
        return step_hello(ctx, o);
    default:
        return step_changes(ctx, o);
    }
}

/* A new operation of kind for ctx->who.id, with checked's parameters (a
 * copy; checked's patch is stolen). NULL with ctx->err set. */
static cw_sync_op *op_new(cw_ctx *ctx, int kind, cw_sync_op *checked) {
    cw_sync_op *o = cw_alloc_new(sizeof *o);
    if (!o) {
        json_decref(checked->patch);
        oom(ctx);
        return NULL;
    }
    *o = *checked;
    o->kind = kind;
    o->written.version = -1;
    if (o->patch && cw_json_dump(o->patch, &o->patch_text) < 0) {
        cw_sync_op_free(o);
        oom(ctx);
        return NULL;
    }
    /* A socket's frame may be larger than a body by its envelope; its
     * patch may not (a body's compact text is never longer than it). */
    if (o->patch_text.len > cw_runtime_config()->body_limit) {
        cw_sync_op_free(o);
        cw_error_set(&ctx->err, CW_E_TOO_LARGE, "the patch is over the body size limit");
        return NULL;
    }
    o->hash = cw_journal_hash(o->patch_text.p, o->patch_text.len);
    return o;
}

/* Checks the request (both stages); the edge forwards, the owner runs the
 * operation, owned by the context. */
static int route(cw_ctx *ctx, int kind, cw_sync_op *checked) {
    cw_sync_op *o;
    if (ctx->stage == CW_STAGE_EDGE) {
        json_decref(checked->patch);
        return cw_access_check(ctx, kind == K_PATCH || kind == K_DELETE, forward);
    }
    if (!(o = op_new(ctx, kind, checked)))
        return -1;
    ctx->state = o;
    ctx->state_free = op_free;
    return run_op(ctx, o);
}

/* A route without a body: its parameters read and, when conditional, its
 * If-Match / If-None-Match checked, then routed. */
static int bodiless(cw_ctx *ctx, int kind, int conditional) {
    cw_sync_op checked;
    memset(&checked, 0, sizeof checked);
    if (read_params(ctx, &checked, kind) < 0 || (conditional && conditions(ctx, -1) < 0))
        return -1;
    return route(ctx, kind, &checked);
}

int cw_sync_get(cw_ctx *ctx) { return bodiless(ctx, K_GET, 1); }

int cw_sync_view(cw_ctx *ctx) {
    cw_sync_op checked;
    memset(&checked, 0, sizeof checked);
    return route(ctx, K_VIEW, &checked);
}

int cw_sync_delete(cw_ctx *ctx) { return bodiless(ctx, K_DELETE, 1); }

int cw_sync_changes(cw_ctx *ctx) { return bodiless(ctx, K_CHANGES, 0); }

int cw_sync_patch(cw_ctx *ctx) {
    cw_sync_op checked;
    memset(&checked, 0, sizeof checked);
    if (read_params(ctx, &checked, K_PATCH) < 0)
        return -1;
    if (!media_type_ok(cw_http_header(ctx->req, "content-type")))
        return cw_error_set(&ctx->err, CW_E_MEDIA_TYPE, NULL);
    if (coded(cw_http_header(ctx->req, "content-encoding")))
        return cw_error_set(&ctx->err, CW_E_MEDIA_TYPE,
                            "a Content-Encoding other than identity is not supported; send the "
                            "body uncompressed");
    if (conditions(ctx, -1) < 0 || !(checked.patch = parse_patch(ctx, ctx->req->body)))
        return -1;
    return route(ctx, K_PATCH, &checked);
}

/* --- for live sockets (live.h) ------------------------------------------------ */

/* Runs an operation the caller owns (*out), for a socket. */
static int socket_op(cw_ctx *ctx, cw_sync_op **out, int kind, cw_sync_op *checked) {
    if (!(*out = op_new(ctx, kind, checked)))
        return -1;
    return run_op(ctx, *out);
}

int cw_sync_hello(cw_ctx *ctx, cw_sync_op **out, long long since, long long snapshot_wait) {
    cw_sync_op checked;
    memset(&checked, 0, sizeof checked);
    checked.since = since;
    checked.has_since = since >= 0;
    checked.snapshot_wait = snapshot_wait;
    return socket_op(ctx, out, K_HELLO, &checked);
}

int cw_sync_write(cw_ctx *ctx, cw_sync_op **out, json_t *patch, const char *key, long long if_match,
                  long long base) {
    cw_sync_op checked;
    memset(&checked, 0, sizeof checked);
    *out = NULL;
    checked.patch = patch;
    memcpy(checked.key, key, strlen(key) + 1);
    checked.if_match = if_match;
    checked.has_if_match = if_match >= 0;
    checked.base = base;
    checked.has_base = base >= 0;
    checked.minimal = 1;
    checked.limit = cw_runtime_config()->changes_limit;
    return socket_op(ctx, out, K_PATCH, &checked);
}
