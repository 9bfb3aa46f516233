/* sync.c - the state routes (see sync.h).
 *
 * An owner request runs as a chain of steps, each ending in an answer or a
 * suspension (a storage read, a sync hook, the commit):
 *   load  -> [legacy conversion] -> [members] -> the route's step
 *   PATCH: conditions -> journal reads (idempotency key, base, since,
 *          retention) -> prepare the change -> sync hooks -> commit
 * Everything a step needs from the request is in ctx->req (the owner keeps
 * it) or in the owner state (ctx->state). */
#include "sync.h"

#include <string.h>

#include "access.h"
#include "alloc.h"
#include "cond.h"
#include "doc.h"
#include "fmt.h"
#include "hooks.h"
#include "journal.h"
#include "json.h"
#include "plugin.h"
#include "runtime.h"
#include "store.h"

enum { K_GET, K_VIEW, K_PATCH, K_DELETE, K_CHANGES, K_HELLO };

/* The meta row: the version, and the journal's extent [jfirst, version]. */
typedef struct {
    long long version, jcount, jbytes, jfirst;
} meta_t;

/* An owner request's own state, kept across its suspensions. */
typedef struct {
    int kind;
    meta_t meta;
    int legacy;        /* the one-blob table is still there */
    int migrating;     /* this request's commit converts it (ops hold that) */
    int asked;         /* what the pending read asked for (ASK_* bits) */
    json_t *patch;     /* PATCH: the parsed patch */
    cw_buf patch_text; /* PATCH: the patch as applied, compact: the journal's */
    long long since, base, limit, if_match;
    int has_since, has_base, minimal, has_if_match;
    int page_full;  /* PATCH with since: more changes than one page holds */
    char key[65];   /* the Idempotency-Key, "" when none */
    long long hash; /* with a key: cw_journal_hash of patch_text */
    size_t cut;     /* journal entries the write drops (retention) */
    cw_doc_change change;
    cw_store_batch ops; /* the commit batch */
    meta_t written;     /* the meta row ops write (put_meta): what the cache takes
                           once the commit stands, never a version computed apart */
    cw_buf view;        /* the state's JSON text for the answer, when built */
    cw_buf changes;     /* the entries of a changes list, comma-separated */
} own_t;

enum { ASK_META = 1, ASK_LEGACY = 2, ASK_MEMBERS = 4, ASK_BLOB = 8 };
enum { J_KEY = 1, J_BASE = 2, J_SINCE = 4, J_OLDEST = 8 };

static void own_free(void *p) {
    own_t *o = p;
    json_decref(o->patch);
    cw_buf_free(&o->patch_text);
    cw_doc_change_free(&o->change);
    cw_store_free(&o->ops);
    cw_buf_free(&o->view);
    cw_buf_free(&o->changes);
    cw_free(o);
}

/* Why storage failed, as the 500's message says (the log has the cause). */
#define MALFORMED "the rows read are malformed"
#define UNCOMMITTED "the commit failed"

static int oom(cw_ctx *ctx) { return cw_error_oom(&ctx->err); }

static int storage_failed(cw_ctx *ctx, const char *what) {
    cw_doc_drop(ctx->id); /* whatever it held is no longer known to match */
    return cw_error_set2(&ctx->err, CW_E_STORAGE, "storage failed: ", what);
}

/* Adds the meta row m to the commit batch and records it as what the
 * commit writes: after a commit, the cache takes its version from here. */
static int put_meta(cw_ctx *ctx, meta_t m) {
    own_t *o = ctx->state;
    o->written = m;
    return cw_store_add(&o->ops, CW_OP_META, "iiii", m.version, m.jcount, m.jbytes, m.jfirst) < 0
               ? oom(ctx)
               : 0;
}

/* --- the request: checked at the edge, read again by the owner ----------- */

/* A patch body is JSON, and always read as UTF-8: another charset is 415. */
static int media_type_ok(cw_slice ct) {
    cw_slice type, charset;
    return cw_http_media_type(ct, &type, &charset) == 0 &&
           (cw_slice_ieq(type, "application/merge-patch+json") ||
            cw_slice_ieq(type, "application/json")) &&
           (!charset.p || cw_slice_ieq(charset, "utf-8"));
}

/* The request's If-Match / If-None-Match against version (< 0: syntax
 * only); see cond.h. */
static int conditions(cw_ctx *ctx, long long version) {
    int safe = cw_slice_eq(ctx->req->method, "GET") || cw_slice_eq(ctx->req->method, "HEAD");
    return cw_cond_check(cw_http_header(ctx->req, "if-match"),
                         cw_http_header(ctx->req, "if-none-match"), safe, version, &ctx->err);
}

static int uint_param(cw_ctx *ctx, const char *name, long long *out, int *has) {
    cw_slice v = cw_http_query(ctx->req, name);
    if (!v.p)
        return 0;
    if (cw_http_uint(v, out) < 0)
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
static int read_params(cw_ctx *ctx, own_t *o, int kind) {
    const cw_config *cfg = cw_runtime_config();
    cw_slice key = cw_http_header(ctx->req, "idempotency-key");
    cw_slice as = cw_http_header(ctx->req, "x-cw-as"); /* RPC's as option */
    if ((ctx->flags & CW_FLAG_RPC) && as.p && !cw_slice_eq(as, "json") && !cw_slice_eq(as, "text"))
        return cw_error_set(&ctx->err, CW_E_INVALID_PARAMETER, "as must be \"json\" or \"text\"");
    if (cw_id_parse(cw_param(ctx, "id"), ctx->id, &ctx->id_len, &ctx->err) < 0)
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
 * (NaN, Infinity, undefined in an array, a BigInt, a function, a symbol:
 * the glue writes them as such words) is invalid_patch, naming where it
 * is; JSON.stringify would have made it null, which deletes. A new
 * reference, or NULL with ctx->err set. */
static json_t *parse_patch(cw_ctx *ctx) {
    const cw_config *cfg = cw_runtime_config();
    cw_json_stats stats;
    json_t *patch = cw_json_parse(ctx->req->body, cfg->depth_limit, cfg->container_limit, "body",
                                  &stats, &ctx->err);
    if (!patch && stats.unjson && (ctx->flags & CW_FLAG_RPC))
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
    /* A token's sub (ctx->actor) was checked by token.c to the same rule. */
    if (!(ctx->flags & CW_FLAG_RPC))
        return cw_grant(ctx, (cw_slice){ctx->actor, strlen(ctx->actor)});
    actor = cw_http_header(ctx->req, "x-cw-actor");
    if (actor.n > CW_ACTOR_MAX)
        return cw_error_set(&ctx->err, CW_E_BAD_REQUEST, "actor is over 128 bytes");
    for (size_t i = 0; i < actor.n; i++)
        if ((unsigned char)actor.p[i] < 0x20 || actor.p[i] == 0x7f)
            return cw_error_set(&ctx->err, CW_E_BAD_REQUEST,
                                "actor must not hold control characters");
    return cw_grant(ctx, actor);
}

/* EDGE: the caller may: forward under its grant. */
static int forward(cw_ctx *ctx) { return cw_sync_grant(ctx) < 0 ? -1 : cw_forward(ctx); }

/* --- answers --------------------------------------------------------------- */

static int etag(cw_ctx *ctx, long long version) {
    char tag[24] = "\"";
    size_t n = 1 + cw_utoa(tag + 1, (unsigned long long)version);
    tag[n] = '"';
    tag[n + 1] = '\0';
    return cw_header_add(ctx, "etag", tag);
}

/* {"id","version"[,"state"][,"changes"]} with the ETag: view, when given,
 * is the whole {"id","version","state"} text (see view_of); changes are the
 * entries of a changes list, when given. */
static int answer(cw_ctx *ctx, long long version, const cw_buf *view, const cw_buf *changes) {
    cw_buf b = CW_BUF_INIT;
    ctx->version = version;
    if (view) {
        cw_buf_append(&b, view->p, view->len - 1); /* its closing brace follows the changes */
    } else {
        cw_buf_puts(&b, "{\"id\":\"");
        cw_buf_puts(&b, ctx->id); /* the id grammar needs no escaping */
        cw_buf_puts(&b, "\",\"version\":");
        cw_buf_putu(&b, (unsigned long long)version);
    }
    if (changes) {
        cw_buf_puts(&b, ",\"changes\":[");
        cw_buf_append(&b, changes->p, changes->len);
        cw_buf_puts(&b, "]");
    }
    cw_buf_append(&b, "}", 1);
    if (cw_respond_buf(ctx, 200, "application/json", &b) < 0)
        return -1;
    return etag(ctx, version);
}

/* The answer {"id","version","state"} for d at version, with change (may be
 * NULL) applied, into out: one allocation sized for it. It is also what a
 * GET of that version answers, so the cache keeps it (doc.h). */
static int view_of(cw_ctx *ctx, const cw_doc *d, const cw_doc_change *change, long long version,
                   cw_buf *out) {
    size_t size = (change ? change->size : d->size) + 64 + 8 * json_object_size(d->members);
    out->len = 0;
    cw_buf_reserve(out, size + (change ? 8 * json_object_size(change->set) : 0));
    cw_buf_puts(out, "{\"id\":\"");
    cw_buf_puts(out, ctx->id); /* the id grammar needs no escaping */
    cw_buf_puts(out, "\",\"version\":");
    cw_buf_putu(out, (unsigned long long)version);
    cw_buf_puts(out, ",\"state\":");
    cw_doc_render(d, change, out);
    return cw_buf_append(out, "}", 1) < 0 ? oom(ctx) : 0;
}

/* --- owner: loading -------------------------------------------------------- */

static int step(cw_ctx *ctx);
static int loaded(cw_ctx *ctx, int status, const char *head, size_t hn, const char *body, size_t n);

static int needs_members(int kind) { return kind != K_DELETE && kind != K_CHANGES; }

/* Sends a read batch of the statements in ask (ASK_* bits, in order). */
static int ask(cw_ctx *ctx, int what) {
    own_t *o = ctx->state;
    cw_store_batch b = CW_STORE_BATCH_INIT;
    if (what & ASK_META)
        cw_store_add(&b, CW_Q_META, "");
    if (what & ASK_LEGACY)
        cw_store_add(&b, CW_Q_LEGACY, "");
    if (what & ASK_MEMBERS)
        cw_store_add(&b, CW_Q_MEMBERS, "");
    if (what & ASK_BLOB)
        cw_store_add(&b, CW_Q_LEGACY_BLOB, "");
    o->asked = what;
    return cw_store(ctx, CW_ACTION_READ, &b, loaded);
}

/* Starts an owner request: the meta row, and, the first time this isolate
 * sees the id, whether a legacy table is there and the members. */
static int load(cw_ctx *ctx, int kind) {
    own_t *o = cw_malloc(sizeof *o);
    int what = ASK_META;
    if (!o)
        return oom(ctx);
    memset(o, 0, sizeof *o);
    o->kind = kind;
    ctx->state = o;
    ctx->state_free = own_free;
    if (!cw_doc_find(ctx->id))
        what |= ASK_LEGACY | (needs_members(kind) ? ASK_MEMBERS : 0);
    return what;
}

/* Moves r to the next statement's result, which must have cols columns
 * (an empty result has none). Returns 0 or -1. */
static int next_result(cw_rows *r, uint32_t cols) {
    return cw_rows_next(r) < 0 || (r->rows && r->cols != cols) ? -1 : 0;
}

static int int_at(cw_rows *r, long long *out) {
    cw_value v;
    if (cw_rows_value(r, &v) < 0 || v.type != CW_VAL_INT)
        return -1;
    *out = v.i;
    return 0;
}

/* Builds the entry for ctx->id at version from member rows (key, value). */
static int build(cw_ctx *ctx, cw_rows *r, long long version) {
    cw_doc *d = cw_doc_new(ctx->id, version);
    if (!d)
        return oom(ctx);
    for (uint32_t i = 0; i < r->rows; i++) {
        cw_value k, v;
        if (cw_rows_value(r, &k) < 0 || cw_rows_value(r, &v) < 0 || k.type != CW_VAL_TEXT ||
            v.type != CW_VAL_TEXT)
            return storage_failed(ctx, MALFORMED);
        if (cw_doc_load_member(d, k.s, k.n, v.s, v.n, &ctx->err) < 0)
            return -1;
    }
    cw_doc_settle(d, cw_runtime_config()->cache_bytes);
    return 0;
}

/* Converts the legacy blob {"v":N,"s":{...}}: the entry at version N, and
 * the operations that store it as rows, in this request's commit. */
static int convert(cw_ctx *ctx, const char *blob, size_t n) {
    own_t *o = ctx->state;
    json_t *root = cw_json_load(blob, n), *v = json_object_get(root, "v");
    json_t *s = json_object_get(root, "s"), *value;
    const char *key;
    long long version;
    cw_doc *d;
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        json_integer_value(v) > CW_VERSION_MAX || !json_is_object(s)) {
        json_decref(root);
        return storage_failed(ctx, MALFORMED);
    }
    version = json_integer_value(v);
    if (!(d = cw_doc_new(ctx->id, version))) {
        json_decref(root);
        return oom(ctx);
    }
    json_object_foreach(s, key, value) {
        cw_buf text = CW_BUF_INIT;
        size_t kn = strlen(key);
        int rc = cw_json_dump(value, &text);
        if (rc < 0 || text.broken ||
            cw_doc_load_member(d, key, kn, text.p, text.len, &ctx->err) < 0 ||
            cw_store_add(&o->ops, CW_OP_PUT_MEMBER, "tti", key, kn, text.p, text.len, version) <
                0) {
            cw_buf_free(&text);
            json_decref(root);
            cw_doc_drop(ctx->id);
            return oom(ctx);
        }
        cw_buf_free(&text);
    }
    json_decref(root);
    cw_doc_settle(d, cw_runtime_config()->cache_bytes);
    o->meta = (meta_t){version, 0, 0, version + 1};
    o->migrating = 1;
    if (put_meta(ctx, o->meta) < 0)
        return -1;
    return cw_store_add(&o->ops, CW_OP_DROP_LEGACY, "") < 0 ? oom(ctx) : 0;
}

static int loaded(cw_ctx *ctx, int status, const char *head, size_t hn, const char *body,
                  size_t n) {
    own_t *o = ctx->state;
    int asked = o->asked, had_meta = 0;
    cw_rows r;
    cw_doc *d;
    (void)head;
    (void)hn;
    if (status != 200)
        return storage_failed(ctx, "a read failed");
    cw_rows_open(&r, body, n);
    if (asked & ASK_META) {
        if (cw_rows_next(&r) < 0 || r.rows > 1)
            return storage_failed(ctx, MALFORMED);
        if (r.rows == 1) {
            if (int_at(&r, &o->meta.version) < 0 || int_at(&r, &o->meta.jcount) < 0 ||
                int_at(&r, &o->meta.jbytes) < 0 || int_at(&r, &o->meta.jfirst) < 0 ||
                o->meta.version < 0 || o->meta.version > CW_VERSION_MAX)
                return storage_failed(ctx, MALFORMED);
            had_meta = 1;
        } else {
            o->meta = (meta_t){0, 0, 0, 1}; /* never written */
        }
    }
    if (asked & ASK_LEGACY) {
        long long count;
        if (cw_rows_next(&r) < 0 || r.rows != 1 || int_at(&r, &count) < 0)
            return storage_failed(ctx, MALFORMED);
        o->legacy = count > 0;
        if (o->legacy && !had_meta)
            return ask(ctx, ASK_BLOB);
    }
    if (asked & ASK_BLOB) {
        cw_value blob;
        if (cw_rows_next(&r) < 0)
            return storage_failed(ctx, MALFORMED);
        if (r.rows == 1) {
            if (cw_rows_value(&r, &blob) < 0 || blob.type != CW_VAL_TEXT)
                return storage_failed(ctx, MALFORMED);
            if (convert(ctx, blob.s, blob.n) < 0)
                return -1;
        } else if (!cw_doc_new(ctx->id, 0) || cw_store_add(&o->ops, CW_OP_DROP_LEGACY, "") < 0) {
            return oom(ctx); /* an empty legacy table: nothing to convert */
        } else {
            o->migrating = 1;
        }
        return step(ctx);
    }
    if (asked & ASK_MEMBERS) {
        if (next_result(&r, 2) < 0)
            return storage_failed(ctx, MALFORMED);
        d = cw_doc_find(ctx->id);
        if ((!d || d->version != o->meta.version) && build(ctx, &r, o->meta.version) < 0)
            return -1;
    }
    d = cw_doc_find(ctx->id);
    if (needs_members(o->kind) && (!d || d->version != o->meta.version))
        return ask(ctx, ASK_MEMBERS);
    return step(ctx);
}

/* --- owner: the routes' steps ---------------------------------------------- */

static int commit(cw_ctx *ctx, cw_resume_fn done);

static int migrated(cw_ctx *ctx, int status, const char *head, size_t hn, const char *body,
                    size_t n) {
    (void)head;
    (void)hn;
    (void)body;
    (void)n;
    return status == 200 ? 0 : storage_failed(ctx, UNCOMMITTED);
}

/* The cached {"id","version","state"} of the document at its version: the
 * one kept, or one built now and kept. NULL with ctx->err set. */
static cw_doc *cached_view(cw_ctx *ctx) {
    cw_doc *d = cw_doc_find(ctx->id);
    if (!d->view.len) {
        cw_buf view = CW_BUF_INIT;
        if (view_of(ctx, d, NULL, ((own_t *)ctx->state)->meta.version, &view) < 0) {
            cw_buf_free(&view);
            return NULL;
        }
        cw_doc_keep_view(d, &view, cw_runtime_config()->cache_bytes); /* never evicts d */
    }
    return d;
}

/* GET and plugin views: the cached serialization. */
static int step_get(cw_ctx *ctx, int conditional) {
    own_t *o = ctx->state;
    cw_doc *d;
    int rc = conditional ? conditions(ctx, o->meta.version) : 0;
    if (rc < 0)
        return -1;
    if (rc == CW_COND_NOT_MODIFIED) {
        ctx->res.status = 304;
        rc = etag(ctx, o->meta.version);
    } else {
        if (!(d = cached_view(ctx)))
            return -1;
        /* A legacy object converts on the first read too: that suspends, so
         * its answer is a copy; any other answers by reference to the cache. */
        if (o->migrating) {
            cw_buf copy = CW_BUF_INIT;
            cw_buf_append(&copy, d->view.p, d->view.len);
            rc = cw_respond_buf(ctx, 200, "application/json", &copy);
        } else {
            rc = cw_respond_ref(ctx, 200, "application/json", d->view.p, d->view.len);
        }
        rc = rc < 0 ? -1 : etag(ctx, o->meta.version);
    }
    return rc == 0 && o->migrating ? commit(ctx, migrated) : rc;
}

/* Sends the commit batch; the answer is prepared (see CW_ACTION_COMMIT). */
static int commit(cw_ctx *ctx, cw_resume_fn done) {
    return cw_store(ctx, CW_ACTION_COMMIT, &((own_t *)ctx->state)->ops, done);
}

static int deleted(cw_ctx *ctx, int status, const char *head, size_t hn, const char *body,
                   size_t n) {
    own_t *o = ctx->state;
    (void)head;
    (void)hn;
    (void)body;
    (void)n;
    if (status != 200)
        return storage_failed(ctx, UNCOMMITTED);
    cw_doc_new(ctx->id, o->written.version); /* an empty state; without memory, none */
    return 0;
}

static int step_delete(cw_ctx *ctx) {
    own_t *o = ctx->state;
    long long next = o->meta.version + 1;
    if (ctx->read_only)
        return cw_error_set(&ctx->err, CW_E_FORBIDDEN, "this grant reads only");
    if (conditions(ctx, o->meta.version) < 0)
        return -1;
    if (o->meta.version >= CW_VERSION_MAX)
        return cw_error_set(&ctx->err, CW_E_VERSION_LIMIT, NULL);
    cw_store_add(&o->ops, CW_OP_CLEAR, "");
    if (o->legacy)
        cw_store_add(&o->ops, CW_OP_DROP_LEGACY, "");
    if (put_meta(ctx, (meta_t){next, 0, 0, next + 1}) < 0)
        return -1;
    /* Every socket starts over from the empty state. */
    cw_buf_puts(&o->changes, "{\"type\":\"reset\"");
    cw_buf_kint(&o->changes, "version", next);
    cw_buf_puts(&o->changes, "}");
    if (cw_frame_buf(ctx, CW_FRAME_ALL, &o->changes) < 0)
        return -1;
    if (answer(ctx, next, NULL, NULL) < 0)
        return -1;
    return commit(ctx, deleted);
}

/* 410 unless the journal holds every write after since: [since+1, version]. */
static int history(cw_ctx *ctx, long long since) {
    own_t *o = ctx->state;
    if (since > o->meta.version || since < o->meta.jfirst - 1)
        return cw_error_set(&ctx->err, CW_E_HISTORY_GONE, NULL);
    return 0;
}

/* Appends the journal rows in r (version, at, request_id, actor, patch) to
 * o->changes as entries. */
static int entries(cw_ctx *ctx, cw_rows *r) {
    own_t *o = ctx->state;
    for (uint32_t i = 0; i < r->rows; i++) {
        cw_value v[5];
        for (int k = 0; k < 5; k++)
            if (cw_rows_value(r, &v[k]) < 0)
                return storage_failed(ctx, MALFORMED);
        if (v[0].type != CW_VAL_INT || v[1].type != CW_VAL_INT || v[2].type != CW_VAL_TEXT ||
            v[4].type != CW_VAL_TEXT)
            return storage_failed(ctx, MALFORMED);
        if (o->changes.len)
            cw_buf_append(&o->changes, ",", 1);
        cw_journal_entry(&o->changes, v[0].i, v[1].i, v[2].s, v[2].n,
                         v[3].type == CW_VAL_TEXT ? v[3].s : NULL, v[3].n, v[4].s, v[4].n);
    }
    return o->changes.broken ? oom(ctx) : 0;
}

/* The journal entries a read batch answered, into the owner's changes
 * list: the one read both the changes route and a hello's catch-up make. */
static int read_entries(cw_ctx *ctx, int status, const char *body, size_t n) {
    cw_rows r;
    if (status != 200)
        return storage_failed(ctx, "a read failed");
    cw_rows_open(&r, body, n);
    if (next_result(&r, 5) < 0 || entries(ctx, &r) < 0)
        return ctx->err.code ? -1 : storage_failed(ctx, MALFORMED);
    return 0;
}

static int changes_read(cw_ctx *ctx, int status, const char *head, size_t hn, const char *body,
                        size_t n) {
    own_t *o = ctx->state;
    (void)head;
    (void)hn;
    return read_entries(ctx, status, body, n) < 0 ? -1
                                                  : answer(ctx, o->meta.version, NULL, &o->changes);
}

static int step_changes(cw_ctx *ctx) {
    own_t *o = ctx->state;
    cw_store_batch b = CW_STORE_BATCH_INIT;
    if (history(ctx, o->since) < 0)
        return -1;
    cw_store_add(&b, CW_Q_JOURNAL_SINCE, "ii", o->since, o->limit);
    return cw_store(ctx, CW_ACTION_READ, &b, changes_read);
}

/* --- owner: PATCH ---------------------------------------------------------- */

static int patch_journal(cw_ctx *ctx, int status, const char *head, size_t hn, const char *body,
                         size_t n);
static int patch_apply(cw_ctx *ctx);
static int patch_checks(cw_ctx *ctx);
static int base_too_old(cw_ctx *ctx);
static int patch_commit(cw_ctx *ctx);
static int change_frame(cw_ctx *ctx, long long version);

/* The size a journal entry counts against the byte retention. */
static long long entry_size(cw_ctx *ctx) {
    own_t *o = ctx->state;
    return (long long)(o->patch_text.len + strlen(ctx->rid) + strlen(ctx->actor) + strlen(o->key));
}

static int step_patch(cw_ctx *ctx) {
    own_t *o = ctx->state;
    const cw_config *cfg = cw_runtime_config();
    cw_store_batch b = CW_STORE_BATCH_INIT;
    int want = 0;

    if (ctx->read_only)
        return cw_error_set(&ctx->err, CW_E_FORBIDDEN, "this grant reads only");
    if (o->meta.version >= CW_VERSION_MAX)
        return cw_error_set(&ctx->err, CW_E_VERSION_LIMIT, NULL);
    /* What the journal must tell before the write is decided, in one read:
     * checks come after it, so a retry is recognized first (a retried
     * If-Match write would otherwise fail its precondition). */
    if (o->key[0]) {
        cw_store_add(&b, CW_Q_KEY, "s", o->key);
        want |= J_KEY;
    }
    if (o->has_base && o->base < o->meta.version && o->base >= o->meta.jfirst - 1 &&
        o->meta.version - o->base <= cfg->base_entries) {
        cw_store_add(&b, CW_Q_JOURNAL_BASE, "iii", o->base, o->meta.version - o->base,
                     cfg->base_bytes);
        want |= J_BASE;
    }
    if (o->has_since && o->since < o->meta.version && o->since >= o->meta.jfirst - 1) {
        cw_store_add(&b, CW_Q_JOURNAL_SINCE, "ii", o->since, o->limit);
        want |= J_SINCE;
    }
    if (cw_journal_over(o->meta.jcount + 1, o->meta.jbytes + entry_size(ctx), cfg->journal_entries,
                        cfg->journal_bytes)) {
        cw_store_add(&b, CW_Q_JOURNAL_OLDEST, "i", o->meta.jcount);
        want |= J_OLDEST;
    }
    if (!want) {
        cw_store_free(&b);
        return patch_checks(ctx) < 0 ? -1 : patch_apply(ctx);
    }
    o->asked = want;
    return cw_store(ctx, CW_ACTION_READ, &b, patch_journal);
}

/* The idempotency key's row: the same patch (the same text as the module
 * writes it, by its hash: a retry of the same bytes) is a replay, answered
 * with the original version and nothing applied; another patch is 422. A
 * row older than the environment's key window is a key seen for the first
 * time. Returns 1 when answered, 0 to go on, -1 with ctx->err set. */
static int replay(cw_ctx *ctx, cw_rows *r) {
    own_t *o = ctx->state;
    cw_value hash, version, at, text;
    int same;
    if (r->rows == 0)
        return 0;
    if (cw_rows_value(r, &hash) < 0 || cw_rows_value(r, &version) < 0 ||
        cw_rows_value(r, &at) < 0 || cw_rows_value(r, &text) < 0 || version.type != CW_VAL_INT ||
        at.type != CW_VAL_INT)
        return storage_failed(ctx, MALFORMED);
    if (at.i < (long long)ctx->t0_ms - cw_runtime_config()->key_ms)
        return 0;
    /* A key kept before cw_keys had hashes: its journal entry's text, or,
     * once that is pruned, nothing left to compare: a replay. */
    same = hash.type == CW_VAL_INT ? hash.i == o->hash
           : text.type == CW_VAL_TEXT
               ? text.n == o->patch_text.len && memcmp(text.s, o->patch_text.p, text.n) == 0
               : 1;
    if (!same)
        return cw_error_set(&ctx->err, CW_E_KEY_REUSED, NULL);
    if (answer(ctx, version.i, NULL, NULL) < 0 ||
        cw_header_add(ctx, "idempotent-replayed", "true") < 0)
        return -1;
    return 1;
}

/* The writes after the base: 409 when one touched a path overlapping one of
 * this patch's, with error.paths naming this patch's paths in conflict. */
static int overlap(cw_ctx *ctx, cw_rows *r) {
    own_t *o = ctx->state;
    json_t *theirs = json_array(), *mine = cw_journal_paths(o->patch), *seen = NULL, *above = NULL;
    json_t *hits = NULL;
    int rc = -1;
    if (!theirs || !mine)
        goto out;
    for (uint32_t i = 0; i < r->rows; i++) {
        cw_value v[2];
        json_t *p, *paths;
        for (int k = 0; k < 2; k++)
            if (cw_rows_value(r, &v[k]) < 0) {
                rc = storage_failed(ctx, MALFORMED);
                goto out;
            }
        p = cw_json_load(v[1].s, v[1].n);
        paths = json_is_object(p) ? cw_journal_paths(p) : NULL;
        json_decref(p);
        if (!paths || json_array_extend(theirs, paths) < 0) {
            json_decref(paths);
            goto out;
        }
        json_decref(paths);
    }
    if (cw_journal_cover(theirs, &seen, &above) < 0 ||
        !(hits = cw_journal_conflicts(mine, seen, above)))
        goto out;
    rc = 0;
    if (json_array_size(hits)) {
        cw_buf_puts(&ctx->err_extra, ",\"paths\":");
        if (cw_json_dump(hits, &ctx->err_extra) < 0)
            ctx->err_extra.len = 0;
        rc = cw_error_set(&ctx->err, CW_E_CONFLICT, "a write after the base touched these paths");
    }
out:
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
static int retention(cw_ctx *ctx, cw_rows *r) {
    own_t *o = ctx->state;
    const cw_config *cfg = cw_runtime_config();
    long long *sizes = cw_malloc((r->rows ? r->rows : 1) * sizeof *sizes);
    if (!sizes)
        return oom(ctx);
    for (uint32_t i = 0; i < r->rows; i++) {
        long long v;
        if (int_at(r, &v) < 0 || int_at(r, &sizes[i]) < 0) {
            cw_free(sizes);
            return storage_failed(ctx, MALFORMED);
        }
    }
    o->cut = cw_journal_cut(o->meta.jcount + 1, o->meta.jbytes + entry_size(ctx),
                            cfg->journal_entries, cfg->journal_bytes, sizes, r->rows);
    for (size_t i = 0; i < o->cut; i++)
        o->meta.jbytes -= sizes[i];
    o->meta.jcount -= (long long)o->cut;
    o->meta.jfirst += (long long)o->cut;
    cw_free(sizes);
    return 0;
}

static int patch_journal(cw_ctx *ctx, int status, const char *head, size_t hn, const char *body,
                         size_t n) {
    own_t *o = ctx->state;
    cw_rows r;
    int rc;
    (void)head;
    (void)hn;
    if (status != 200)
        return storage_failed(ctx, "a read failed");
    cw_rows_open(&r, body, n);
    if (o->asked & J_KEY) {
        if (cw_rows_next(&r) < 0 || (rc = replay(ctx, &r)) < 0)
            return ctx->err.code ? -1 : storage_failed(ctx, MALFORMED);
        if (rc == 1)
            return 0;
    }
    if (patch_checks(ctx) < 0)
        return -1;
    if (o->asked & J_BASE) {
        if (next_result(&r, 2) < 0)
            return storage_failed(ctx, MALFORMED);
        /* The read stopped at the byte bound: more to check than allowed. */
        if ((long long)r.rows < o->meta.version - o->base)
            return base_too_old(ctx);
        if (overlap(ctx, &r) < 0)
            return -1;
    }
    if (o->asked & J_SINCE) {
        if (next_result(&r, 5) < 0)
            return storage_failed(ctx, MALFORMED);
        /* This write's own entry follows only a complete page. */
        o->page_full = (long long)r.rows < o->meta.version - o->since;
        if (entries(ctx, &r) < 0)
            return -1;
    }
    if (o->asked & J_OLDEST) {
        if (next_result(&r, 2) < 0 || retention(ctx, &r) < 0)
            return ctx->err.code ? -1 : storage_failed(ctx, MALFORMED);
    }
    return patch_apply(ctx);
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

/* The preconditions, and the history that base and since need. */
static int patch_checks(cw_ctx *ctx) {
    own_t *o = ctx->state;
    if (o->has_if_match ? o->if_match != o->meta.version : conditions(ctx, o->meta.version) < 0)
        return o->has_if_match ? cw_error_set(&ctx->err, CW_E_PRECONDITION, NULL) : -1;
    if (o->has_base && history(ctx, o->base) < 0)
        return -1;
    if (o->has_base && o->meta.version - o->base > cw_runtime_config()->base_entries)
        return base_too_old(ctx);
    return o->has_since ? history(ctx, o->since) : 0;
}

static int patch_apply(cw_ctx *ctx) {
    own_t *o = ctx->state;
    const cw_config *cfg = cw_runtime_config();
    cw_doc_limits lim = {cfg->member_limit, cfg->state_limit, cfg->depth_limit,
                         cfg->container_limit};
    cw_doc *d = cw_doc_find(ctx->id);
    int hooks = cw_plugin_hook(ctx->id, ctx->id_len, &(int){0}, &(const char *){NULL},
                               &(json_t *){NULL}) != NULL;
    if (!d)
        return storage_failed(ctx, "the document left the cache during the request");
    if (cw_doc_prepare(d, o->patch, &lim, &o->change, &ctx->err) < 0)
        return -1;
    /* The whole state is serialized only when the answer or a hook needs
     * it; the hooks' target is the same {"id","version","state"}. */
    if ((!o->minimal || hooks) && view_of(ctx, d, &o->change, o->meta.version + 1, &o->view) < 0)
        return -1;
    return hooks ? cw_hooks_check(ctx, o->view.p, o->view.len, patch_commit) : patch_commit(ctx);
}

static int patched(cw_ctx *ctx, int status, const char *head, size_t hn, const char *body,
                   size_t n) {
    own_t *o = ctx->state;
    cw_doc *d = cw_doc_find(ctx->id);
    (void)head;
    (void)hn;
    (void)body;
    (void)n;
    if (status != 200)
        return storage_failed(ctx, UNCOMMITTED);
    /* Committed: the entry moves to the new version (or, without memory
     * for that, is dropped and loads again next time). */
    if (d) {
        if (o->minimal)
            o->view.len = 0;
        cw_doc_apply(d, &o->change, o->written.version, &o->view);
        if ((d = cw_doc_find(ctx->id)))
            cw_doc_settle(d, cw_runtime_config()->cache_bytes);
    }
    return 0;
}

static int patch_commit(cw_ctx *ctx) {
    own_t *o = ctx->state;
    long long next = o->meta.version + 1, size = entry_size(ctx);
    const char *key;
    json_t *text;

    ctx->res.status = 200; /* a sync hook's call had suspended it */
    json_object_foreach(o->change.set, key, text) {
        if (json_is_null(text)) {
            cw_store_add(&o->ops, CW_OP_DEL_MEMBER, "s", key);
        } else {
            size_t n;
            const char *p = cw_json_string(text, &n);
            cw_store_add(&o->ops, CW_OP_PUT_MEMBER, "sti", key, p, n, next);
        }
    }
    cw_store_add(&o->ops, CW_OP_APPEND, "iitzzti", next, (long long)ctx->t0_ms, ctx->rid,
                 strlen(ctx->rid), ctx->actor, strlen(ctx->actor), o->key, strlen(o->key),
                 o->patch_text.p, o->patch_text.len, size);
    if (o->cut)
        cw_store_add(&o->ops, CW_OP_PRUNE, "i", o->meta.jfirst);
    if (o->key[0]) {
        const cw_config *cfg = cw_runtime_config();
        cw_store_add(&o->ops, CW_OP_KEY, "siii", o->key, o->hash, next, (long long)ctx->t0_ms);
        cw_store_add(&o->ops, CW_OP_KEYS_EXPIRE, "i", (long long)ctx->t0_ms - cfg->key_ms);
        cw_store_add(&o->ops, CW_OP_KEYS_TRIM, "i", cfg->key_entries);
    }
    if (o->meta.jcount == 0)
        o->meta.jfirst = next;
    if (put_meta(ctx, (meta_t){next, o->meta.jcount + 1, o->meta.jbytes + size, o->meta.jfirst}) <
        0)
        return -1;
    /* Every socket but the writer's is told, once the commit stands. */
    if (change_frame(ctx, next) < 0)
        return -1;
    /* The answer is prepared before the commit: it stands even if the host
     * cannot hand back the commit's outcome. */
    if (o->has_since && !o->page_full) {
        if (o->changes.len)
            cw_buf_append(&o->changes, ",", 1);
        cw_journal_entry(&o->changes, next, (long long)ctx->t0_ms, ctx->rid, strlen(ctx->rid),
                         ctx->actor[0] ? ctx->actor : NULL, strlen(ctx->actor), o->patch_text.p,
                         o->patch_text.len);
    }
    ctx->head.len = 0;
    if (o->minimal || o->has_since) {
        if (answer(ctx, next, o->minimal ? NULL : &o->view, o->has_since ? &o->changes : NULL) <
                0 ||
            (o->minimal && cw_header_add(ctx, "preference-applied", "return=minimal") < 0))
            return -1;
    } else if (cw_respond_ref(ctx, 200, "application/json", o->view.p, o->view.len) < 0 ||
               etag(ctx, next) < 0) {
        return -1; /* the view is the answer: it stays valid, o's or the cache's */
    }
    return commit(ctx, patched);
}

/* {"type":"change","version","patch","actor"}: for every socket of the
 * object, but the writer's when a socket wrote. */
static int change_frame(cw_ctx *ctx, long long version) {
    own_t *o = ctx->state;
    cw_buf f = CW_BUF_INIT;
    int rc;
    cw_buf_puts(&f, "{\"type\":\"change\"");
    cw_buf_kint(&f, "version", version);
    cw_buf_key(&f, "patch");
    cw_buf_append(&f, o->patch_text.p, o->patch_text.len);
    cw_buf_kstr(&f, "actor", ctx->actor[0] ? ctx->actor : NULL);
    cw_buf_puts(&f, "}");
    rc = cw_frame_buf(ctx, ctx->flags & CW_FLAG_SOCKET ? CW_FRAME_OTHERS : CW_FRAME_ALL, &f);
    cw_buf_free(&f);
    return rc;
}

/* --- owner: a socket's hello ----------------------------------------------- */

/* {"type":"changes","version","changes":[entries]}, to the socket. */
static int hello_frame(cw_ctx *ctx, long long version, const cw_buf *entries) {
    cw_buf f = CW_BUF_INIT;
    int rc;
    cw_buf_puts(&f, "{\"type\":\"changes\"");
    cw_buf_kint(&f, "version", version);
    cw_buf_puts(&f, ",\"changes\":[");
    cw_buf_append(&f, entries->p, entries->len);
    cw_buf_puts(&f, "]}");
    rc = cw_frame_buf(ctx, CW_FRAME_SENDER, &f);
    cw_buf_free(&f);
    ctx->res.status = 200;
    return rc;
}

static int hello_read(cw_ctx *ctx, int status, const char *head, size_t hn, const char *body,
                      size_t n) {
    own_t *o = ctx->state;
    (void)head;
    (void)hn;
    return read_entries(ctx, status, body, n) < 0 ? -1
                                                  : hello_frame(ctx, o->meta.version, &o->changes);
}

/* The changes after since when the journal holds them all and one page
 * does, else the whole state. */
static int step_hello(cw_ctx *ctx) {
    own_t *o = ctx->state;
    long long v = o->meta.version;
    cw_store_batch b = CW_STORE_BATCH_INIT;
    cw_doc *d;
    if (o->has_since && o->since <= v && o->since >= o->meta.jfirst - 1 &&
        v - o->since <= cw_runtime_config()->changes_limit) {
        if (o->since == v)
            return hello_frame(ctx, v, &o->changes); /* up to date */
        cw_store_add(&b, CW_Q_JOURNAL_SINCE, "ii", o->since, v - o->since);
        return cw_store(ctx, CW_ACTION_READ, &b, hello_read);
    }
    if (!(d = cached_view(ctx)))
        return -1;
    /* {"type":"snapshot"} and the cached {"id","version","state"}, as one. */
    cw_buf_puts(&o->changes, "{\"type\":\"snapshot\",");
    cw_buf_append(&o->changes, d->view.p + 1, d->view.len - 1);
    ctx->res.status = 200;
    return cw_frame_buf(ctx, CW_FRAME_SENDER, &o->changes);
}

static int step(cw_ctx *ctx) {
    own_t *o = ctx->state;
    switch (o->kind) {
    case K_GET:
        return step_get(ctx, 1);
    case K_VIEW:
        return step_get(ctx, 0);
    case K_PATCH:
        return step_patch(ctx);
    case K_DELETE:
        return step_delete(ctx);
    case K_HELLO:
        return step_hello(ctx);
    default:
        return step_changes(ctx);
    }
}

/* --- the handlers ------------------------------------------------------------ */

/* Checks the request (both stages); the edge forwards, the owner loads and
 * runs the route's steps. patch is the parsed patch (PATCH only; stolen). */
static int route(cw_ctx *ctx, int kind, own_t *checked, json_t *patch) {
    own_t *o;
    int what;
    if (ctx->stage == CW_STAGE_EDGE) {
        json_decref(patch);
        return cw_access_check(ctx, kind == K_PATCH || kind == K_DELETE, forward);
    }
    /* Only an explicit grant from the edge permits anything here (a socket's
     * frame carries its grant in its attachment, set at the upgrade). */
    if (!ctx->granted && !(ctx->flags & CW_FLAG_SOCKET)) {
        json_decref(patch);
        return cw_error_set(&ctx->err, CW_E_FORBIDDEN,
                            "the request carries no grant from the edge");
    }
    if ((what = load(ctx, kind)) < 0) {
        json_decref(patch);
        return -1;
    }
    o = ctx->state;
    o->since = checked->since;
    o->has_since = checked->has_since;
    o->base = checked->base;
    o->has_base = checked->has_base;
    o->limit = checked->limit;
    o->minimal = checked->minimal;
    o->if_match = checked->if_match;
    o->has_if_match = checked->has_if_match;
    memcpy(o->key, checked->key, sizeof o->key);
    o->patch = patch;
    if (patch && cw_json_dump(patch, &o->patch_text) < 0)
        return oom(ctx);
    o->hash = cw_journal_hash(o->patch_text.p, o->patch_text.len);
    return ask(ctx, what);
}

/* A route without a body: its parameters read and, when conditional, its
 * If-Match / If-None-Match checked, then routed. */
static int bodiless(cw_ctx *ctx, int kind, int conditional) {
    own_t checked = {0};
    if (read_params(ctx, &checked, kind) < 0 || (conditional && conditions(ctx, -1) < 0))
        return -1;
    return route(ctx, kind, &checked, NULL);
}

int cw_sync_get(cw_ctx *ctx) { return bodiless(ctx, K_GET, 1); }

int cw_sync_view(cw_ctx *ctx) {
    own_t checked = {0};
    return route(ctx, K_VIEW, &checked, NULL);
}

int cw_sync_delete(cw_ctx *ctx) { return bodiless(ctx, K_DELETE, 1); }

int cw_sync_changes(cw_ctx *ctx) { return bodiless(ctx, K_CHANGES, 0); }

int cw_sync_hello(cw_ctx *ctx, long long since) {
    own_t checked = {0};
    checked.since = since;
    checked.has_since = since >= 0;
    return route(ctx, K_HELLO, &checked, NULL);
}

int cw_sync_write(cw_ctx *ctx, json_t *patch, long long if_match, long long base) {
    own_t checked = {0};
    if (cw_plugin_config_error()) {
        json_decref(patch);
        return cw_error_set(&ctx->err, CW_E_UNAVAILABLE, cw_plugin_config_error());
    }
    memcpy(checked.key, ctx->mid, sizeof checked.key);
    checked.if_match = if_match;
    checked.has_if_match = if_match >= 0;
    checked.base = base;
    checked.has_base = base >= 0;
    checked.minimal = 1;
    return route(ctx, K_PATCH, &checked, patch);
}

int cw_sync_patch(cw_ctx *ctx) {
    own_t checked = {0};
    json_t *patch;
    if (read_params(ctx, &checked, K_PATCH) < 0)
        return -1;
    if (cw_plugin_config_error())
        return cw_error_set(&ctx->err, CW_E_UNAVAILABLE, cw_plugin_config_error());
    if (!media_type_ok(cw_http_header(ctx->req, "content-type")))
        return cw_error_set(&ctx->err, CW_E_MEDIA_TYPE, NULL);
    if (conditions(ctx, -1) < 0 || !(patch = parse_patch(ctx)))
        return -1;
    return route(ctx, K_PATCH, &checked, patch);
}
