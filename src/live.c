/* live.c - live sync (see live.h). A socket's events arrive one at a time
 * (the host runs an object's requests in turn), each as its own owner
 * request; what a frame needs of the document is sync.h's, who else is
 * told is roster.h's. */
#include "live.h"

#include <string.h>

#include "access.h"
#include "alloc.h"
#include "json.h"
#include "paths.h"
#include "port.h"
#include "rate.h"
#include "roster.h"
#include "runtime.h"
#include "sync.h"

enum { B_PATCH, B_PRESENCE, B_HELLO, B_COUNT };

/* A socket event in progress. */
typedef struct {
    json_t *att;         /* the attachment, parsed: what is stored back */
    cw_roster_head head; /* its head */
    char mid[65];        /* a patch frame's mutation id */
    cw_sync_op *op;      /* the document operation a frame ran */
    size_t mark;         /* the frames before the frame's own */
    long long strikes;   /* the limited frames in a row before this one */
    json_t *sp;          /* a hello's: the socket's paths before it */
    int depth;           /* the frame's deepest nesting */
    long containers;     /* its arrays and objects */
    int unread;          /* 1: a patch frame named by cw_json_peek did not parse, */
    cw_error why;        /* for this reason */
} live_t;

static void live_free(void *p) {
    live_t *l = p;
    json_decref(l->att);
    json_decref(l->sp);
    cw_sync_op_free(l->op);
    cw_alloc_free(l);
}

static int oom(cw_ctx *ctx) { return cw_error_oom(&ctx->err); }

static long long member_int(json_t *o, const char *key) {
    return json_integer_value(json_object_get(o, key));
}

/* Hands b (emptied) to the sender. */
static int reply(cw_ctx *ctx, cw_buf *b) {
    int rc = cw_pipeline_frame_reply(ctx, b);
    cw_buf_free(b);
    return rc;
}

/* The attachment text: the roster's head, then the rest of att. */
static int attachment_text(const live_t *l, cw_buf *out) {
    return cw_roster_attachment(&l->head, l->att, out);
}

/* Stores l's attachment as the sender's (CW_PORT_ATTACH), within its
 * bound. Returns 0, or -1 with ctx->err set. */
static int store(cw_ctx *ctx, live_t *l) {
    cw_buf b = CW_BUF_INIT;
    cw_port_out out;
    cw_cell text;
    int rc = 0;
    if (attachment_text(l, &b) < 0)
        rc = oom(ctx);
    else if (b.len > CW_LIVE_ATTACHMENT_MAX)
        rc = cw_error_setf(&ctx->err, CW_E_TOO_LARGE, "the socket's state would be over %d bytes",
                           (long long)CW_LIVE_ATTACHMENT_MAX);
    else {
        text = cw_port_text(b.p, b.len);
        if (cw_port_call(CW_PORT_ATTACH, &text, 1, &out) < 0)
            rc = cw_error_set(&ctx->err, CW_E_INTERNAL, "the socket's state could not be stored");
        else
            cw_port_release(&out);
    }
    cw_buf_free(&b);
    return rc;
}

/* One more limited frame in a row: the run is kept (with the buckets), and
 * at rate_strikes the socket is closed (1008). */
static int strike(cw_ctx *ctx, live_t *l) {
    if (++l->strikes >= cw_runtime_config()->rate_strikes)
        return cw_pipeline_frame_close(ctx, CW_FRAME_SENDER, 1008, "rate limit exceeded");
    json_object_set_new_nocheck(l->att, "strikes", json_integer(l->strikes));
    if (store(ctx, l) < 0)
        cw_error_clear(&ctx->err);
    return 0;
}

/* The current error as a frame of the type given ("error", or "reject"
 * naming the patch's mid): {"type",["mid",]"error":{...}}, from the error
 * answer (a plugin's reasons and all), or from the error itself when it
 * came after a success was made (storing the attachment once a hello was
 * served). */
static void error_frame(cw_ctx *ctx, const char *type, const char *mid) {
    cw_buf f = CW_BUF_INIT, e = CW_BUF_INIT;
    cw_buf_puts(&f, "{");
    cw_buf_kstr(&f, "type", type);
    if (mid)
        cw_buf_kstr(&f, "mid", mid);
    if (ctx->res.status != 200 && ctx->body.len > 1) {
        cw_buf_append(&f, ",", 1);
        cw_buf_append(&f, ctx->body.p + 1, ctx->body.len - 1);
    } else {
        if (ctx->err.code == CW_E_NONE)
            cw_error_set(&ctx->err, CW_E_INTERNAL, NULL);
        cw_pipeline_error_json(ctx, &e);
        if (e.len > 1) {
            cw_buf_append(&f, ",", 1);
            cw_buf_append(&f, e.p + 1, e.len - 1);
        } else
            cw_buf_puts(&f, "}"); /* no memory for the error: the type alone */
    }
    cw_buf_free(&e);
    reply(ctx, &f);
}

/* --- the upgrade ----------------------------------------------------------- */

/* EDGE: the caller may: the owner opens the socket. */
static int upgrade(cw_ctx *ctx) {
    if (cw_sync_grant(ctx) < 0 || cw_pipeline_forward(ctx, NULL, NULL) < 0)
        return -1;
    ctx->res.action = CW_ACTION_UPGRADE;
    return 0;
}

/* OWNER: counts the object's sockets, then accepts one more with its
 * attachment. */
static int accept_socket(cw_ctx *ctx) {
    const cw_config *cfg = cw_runtime_config();
    live_t l;
    char peer[18] = "p";
    uint32_t open;
    int rc;
    if (!ctx->who.granted)
        return cw_error_set(&ctx->err, CW_E_FORBIDDEN,
                            "the upgrade carries no grant from the edge");
    if (cw_roster_count(ctx, &open) < 0)
        return -1;
    if (open >= (uint32_t)cfg->live_sockets)
        return cw_error_set(&ctx->err, CW_E_TOO_MANY_SOCKETS, NULL);
    cw_runtime_hex16(peer + 1);
    peer[17] = '\0';
    memset(&l, 0, sizeof l);
    /* The last millisecond of the second the edge still takes the token in
     * (cw_jwt_allows): the socket expires when a request would. */
    l.head.deadline =
        ctx->who.exp > 0 && ctx->who.exp < CW_ROSTER_NEVER / 1000 - cfg->token_leeway - 1
            ? (ctx->who.exp + cfg->token_leeway + 1) * 1000 - 1
            : CW_ROSTER_NEVER;
    memcpy(l.head.kid, ctx->who.kid, sizeof l.head.kid);
    l.head.filtered = ctx->who.read_paths != NULL;
    if (!(l.att = json_object()) ||
        (ctx->who.read_paths && json_object_set_nocheck(l.att, "rp", ctx->who.read_paths) < 0) ||
        (ctx->who.write_paths && json_object_set_nocheck(l.att, "wp", ctx->who.write_paths) < 0) ||
        json_object_set_new_nocheck(l.att, "id", json_string_nocheck(ctx->who.id)) < 0 ||
        json_object_set_new_nocheck(l.att, "peer", json_string_nocheck(peer)) < 0 ||
        json_object_set_new_nocheck(l.att, "ro", json_integer(ctx->who.read_only)) < 0 ||
        json_object_set_new_nocheck(l.att, "actor",
                                    ctx->who.actor[0] ? json_string_nocheck(ctx->who.actor)
                                                      : json_null()) < 0 ||
        json_object_set_new_nocheck(l.att, "bad", json_integer(0)) < 0 ||
        json_object_set_new_nocheck(l.att, "data", json_null()) < 0) {
        json_decref(l.att);
        return oom(ctx);
    }
    /* The same text goes to the host, which accepts the socket with it. */
    {
        cw_buf b = CW_BUF_INIT;
        cw_port_out out;
        cw_cell text;
        rc = attachment_text(&l, &b) < 0 ? oom(ctx) : 0;
        text = cw_port_text(b.p, b.len);
        /* Accepted, or partly (a host may fail after accepting): unless
         * the answer is a 101, the socket is closed (pipeline.h). */
        if (rc == 0)
            cw_pipeline_accepted(ctx);
        if (rc == 0 && cw_port_call(CW_PORT_ACCEPT, &text, 1, &out) < 0)
            rc = cw_error_set(&ctx->err, CW_E_INTERNAL, "the socket could not be accepted");
        else if (rc == 0)
            cw_port_release(&out);
        cw_buf_free(&b);
    }
    json_decref(l.att);
    if (rc == 0)
        ctx->res.status = 101;
    return rc;
}

/* The entry of a Sec-WebSocket-Protocol list the 101 echoes: sync.v1 when
 * offered, else the offered bearer.<token> entry (a client may offer its
 * token alone). A handshake whose answer names no offered entry fails in
 * browsers and Node, so an offer of neither is refused. Returns 0 with
 * *echo set ({NULL, 0} when nothing was offered), or -1 with ctx->err. */
static int subprotocol(cw_ctx *ctx, cw_slice list, cw_slice *echo) {
    *echo = (cw_slice){NULL, 0};
    while (list.n) {
        const char *comma = memchr(list.p, ',', list.n);
        size_t n = comma ? (size_t)(comma - list.p) : list.n;
        cw_slice e = cw_http_slice_trim((cw_slice){list.p, n});
        if (cw_http_slice_eq(e, "sync.v1")) {
            *echo = e;
            return 0;
        }
        if (!echo->p && e.n > 7 && memcmp(e.p, "bearer.", 7) == 0)
            *echo = e;
        list.p += n + !!comma;
        list.n -= n + !!comma;
    }
    if (!echo->p && cw_http_header(ctx->req, "sec-websocket-protocol").p)
        return cw_error_set(&ctx->err, CW_E_BAD_REQUEST,
                            "Sec-WebSocket-Protocol offers neither sync.v1 nor bearer.<token>");
    return 0;
}

int cw_live_open(cw_ctx *ctx) {
    cw_slice echo;
    if (cw_id_parse(cw_pipeline_param(ctx, "id"), ctx->who.id, &ctx->who.id_len, &ctx->err) < 0)
        return -1;
    if (ctx->stage == CW_STAGE_OWNER)
        return accept_socket(ctx);
    if (!cw_http_slice_ieq(cw_http_slice_trim(cw_http_header(ctx->req, "upgrade")), "websocket"))
        return cw_error_set(&ctx->err, CW_E_UPGRADE_REQUIRED, NULL);
    if (subprotocol(ctx, cw_http_header(ctx->req, "sec-websocket-protocol"), &echo) < 0)
        return -1;
    if (echo.n) {
        cw_buf_puts(&ctx->head, "sec-websocket-protocol: ");
        cw_buf_append(&ctx->head, echo.p, echo.n);
        cw_buf_puts(&ctx->head, "\r\n");
    }
    return cw_access_check(ctx, CW_ACCESS_READ | CW_ACCESS_SOCKET, upgrade);
}

/* --- frames ------------------------------------------------------------------- */

/* A frame the protocol does not allow: an error frame, nothing changed; the
 * socket is closed (1008) at the environment's limit of bad frames. */
static int bad(cw_ctx *ctx, live_t *l, const char *why) {
    cw_buf f = CW_BUF_INIT;
    long long n = member_int(l->att, "bad") + 1;
    cw_buf_puts(&f, "{\"type\":\"error\",\"error\":{\"code\":\"bad_frame\"");
    cw_buf_kstr(&f, "message", why);
    cw_buf_puts(&f, "}}");
    if (reply(ctx, &f) < 0)
        return -1;
    if (n >= cw_runtime_config()->bad_frames)
        return cw_pipeline_frame_close(ctx, CW_FRAME_SENDER, 1008, "too many bad frames");
    json_object_set_new_nocheck(l->att, "bad", json_integer(n));
    if (store(ctx, l) < 0)
        cw_error_clear(&ctx->err); /* the error frame went; the count is best effort */
    return 0;
}

/* The grant has ended (code): the frame gets 401 invalid_token, as a
 * reject when it is a patch with a mid, and the socket is closed. */
static int ended(cw_ctx *ctx, const char *mid, int code) {
    cw_buf f = CW_BUF_INIT;
    cw_buf_puts(&f, mid ? "{\"type\":\"reject\"" : "{\"type\":\"error\"");
    if (mid)
        cw_buf_kstr(&f, "mid", mid);
    cw_buf_puts(&f, ",\"error\":{\"code\":\"invalid_token\"");
    cw_buf_kstr(&f, "message",
                code == CW_CLOSE_REVOKED
                    ? "the token's key is no longer configured; connect again with a new token"
                    : "the token has expired; connect again with a new token");
    cw_buf_kstr(&f, "request_id", ctx->rid);
    cw_buf_puts(&f, "}}");
    if (reply(ctx, &f) < 0)
        return -1;
    return cw_pipeline_frame_close(ctx, CW_FRAME_SENDER, code, cw_roster_reason(code));
}

/* A version member (0 to CW_VERSION_MAX), or -1 when absent; -2 when it is
 * another value. */
static long long optional_uint(json_t *f, const char *key) {
    json_t *v = json_object_get(f, key);
    if (!v) /* null is no number: ifMatch null is refused, not dropped */
        return -1;
    return json_is_integer(v) && json_integer_value(v) >= 0 &&
                   json_integer_value(v) <= CW_VERSION_MAX
               ? json_integer_value(v)
               : -2;
}

/* After a patch: ack with the version it has (a retry's, too), or reject
 * with the error. */
static void patch_done(cw_ctx *ctx) {
    live_t *l = ctx->state;
    cw_buf f = CW_BUF_INIT;
    if (ctx->res.status != 200) {
        error_frame(ctx, "reject", l->mid);
        return;
    }
    cw_buf_puts(&f, "{\"type\":\"ack\"");
    cw_buf_kstr(&f, "mid", l->mid);
    cw_buf_kint(&f, "version", cw_sync_version(l->op));
    cw_buf_puts(&f, "}");
    reply(ctx, &f);
}

static int on_patch(cw_ctx *ctx, live_t *l, json_t *f) {
    json_t *patch = json_object_get(f, "patch");
    long long if_match = optional_uint(f, "ifMatch"), base = optional_uint(f, "base");
    const cw_config *cfg = cw_runtime_config();
    /* A frame that did not parse (on_message): its parse error, with the
     * patch's limits named where the frame's own (one level and one
     * container more) stopped it. */
    if (l->unread && l->containers > cfg->container_limit + 1)
        return cw_error_setf(&ctx->err, CW_E_INVALID_JSON,
                             "JSON holds more than %d arrays and objects",
                             (long long)cfg->container_limit);
    if (l->unread && l->depth <= cfg->depth_limit + 1)
        return cw_error_set(&ctx->err, l->why.code, l->why.message);
    if (if_match == -2)
        return cw_error_set(&ctx->err, CW_E_INVALID_IF_MATCH,
                            "ifMatch must be an integer from 0 to 2^53 - 1");
    if (base == -2)
        return cw_error_set(&ctx->err, CW_E_INVALID_PARAMETER,
                            "base must be an integer from 0 to 2^53 - 1");
    /* Deeper than a body plus the frame's level: the patch is the deepest
     * member (checked after the preconditions, as a body is). */
    if (l->depth > cfg->depth_limit + 1)
        return cw_error_setf(&ctx->err, CW_E_INVALID_JSON, "JSON nesting is deeper than %d levels",
                             (long long)cfg->depth_limit);
    if (!json_is_object(patch))
        return cw_error_set(&ctx->err, CW_E_INVALID_PATCH,
                            "patch must be a JSON object; the state must remain an object");
    return cw_sync_write(ctx, &l->op, json_incref(patch), l->mid, if_match, base);
}

/* One peer of the peers frame: {"peer","data"} from its attachment. */
static void peer_entry(cw_buf *out, const char *a, size_t n) {
    json_t *v = cw_json_load(a, n), *data = json_object_get(v, "data");
    cw_buf_puts(out, "{");
    cw_buf_kstr(out, "peer", cw_json_string(json_object_get(v, "peer"), NULL));
    cw_buf_key(out, "data");
    cw_json_dump(data ? data : json_null(), out);
    cw_buf_puts(out, "}");
    json_decref(v);
}

/* After a hello: the peers frame, and the socket joins; or the error. */
static void hello_done(cw_ctx *ctx) {
    live_t *l = ctx->state;
    const cw_config *cfg = cw_runtime_config();
    cw_buf f = CW_BUF_INIT;
    if (ctx->res.status != 200) {
        error_frame(ctx, "error", NULL);
        if (ctx->err.code == CW_E_RATE_LIMITED) {
            /* Refused for the snapshot interval (its bucket passed before
             * it ran): a limited frame (its bucket spent, the run counted),
             * the paths it named not taken. */
            (l->sp ? json_object_set(l->att, "sp", l->sp) : json_object_del(l->att, "sp"));
            l->head.filtered = json_object_get(l->att, "rp") || l->sp;
            strike(ctx, l);
        }
        return;
    }
    /* The others' presence; the idempotency window, so a client drops a
     * write it sent before rather than resend one the server may no longer
     * recognize. */
    cw_buf_puts(&f, "{\"type\":\"peers\",\"peers\":[");
    if (cw_roster_each(ctx, &f, peer_entry) == 0) {
        cw_buf_puts(&f, "],\"keys\":{");
        cw_buf_kint(&f, "ms", cfg->key_ms);
        cw_buf_kint(&f, "writes", cfg->key_entries);
        cw_buf_puts(&f, "}}");
        l->head.joined = 1;
        /* The version this socket has: a later change frame names it as
         * the one before (its "prev") when the socket reads only paths. */
        json_object_set_new_nocheck(l->att, "lv", json_integer(cw_sync_version(l->op)));
        if (reply(ctx, &f) == 0 && store(ctx, l) == 0)
            return;
    }
    cw_buf_free(&f);
    /* Not joined after all: the snapshot and peers are not sent either. */
    ctx->frames.len = l->mark;
    error_frame(ctx, "error", NULL);
}

/* After a frame with no answer of its own: the error, if it failed. */
static void frame_done(cw_ctx *ctx) {
    if (ctx->res.status != 200)
        error_frame(ctx, "error", NULL);
}

/* A hello's paths (RFC 6901 pointers; none, or "", the whole document):
 * kept in the attachment as the socket's "sp", and from now on the socket
 * reads where they and its grant both reach. Returns 0, 1 when the paths
 * were refused as a bad frame (answered), or -1. */
static int subscribe(cw_ctx *ctx, live_t *l, json_t *f) {
    json_t *paths = json_object_get(f, "paths"), *sp = NULL, *reads = NULL;
    const char *why;
    cw_buf text = CW_BUF_INIT;
    int failed = paths ? cw_paths_read(paths, &sp, &why) : 0;
    size_t all;
    /* The socket's state must hold them: CW_PATHS_BYTES of JSON text, as
     * the attachment writes it (escapes included). */
    if (!failed && sp && cw_json_dump(sp, &text) < 0)
        failed = -1;
    all = text.len;
    cw_buf_free(&text);
    if (failed || all > CW_PATHS_BYTES) {
        json_decref(sp);
        return bad(ctx, l,
                   "paths must be an array of at most 32 JSON Pointers (RFC 6901) of at most 1024 "
                   "bytes, 2048 bytes of JSON in all") < 0
                   ? -1
                   : 1;
    }
    if (sp && !json_array_size(sp)) { /* none: the whole document */
        json_decref(sp);
        sp = NULL;
    }
    failed =
        (sp ? json_object_set_nocheck(l->att, "sp", sp) : (json_object_del(l->att, "sp"), 0)) < 0 ||
        cw_roster_reads(l->att, &reads) < 0;
    if (!failed)
        cw_pipeline_who_paths(ctx, reads, ctx->who.write_paths);
    l->head.filtered = json_object_get(l->att, "rp") || sp;
    json_decref(sp);
    json_decref(reads);
    return failed ? oom(ctx) : 0;
}

static int on_hello(cw_ctx *ctx, live_t *l, json_t *f) {
    const cw_config *cfg = cw_runtime_config();
    long long since = optional_uint(f, "since");
    long long last = member_int(l->att, "snap"), wait = 0;
    if (since == -2)
        return bad(ctx, l, "since must be an integer from 0 to 2^53 - 1");
    l->sp = json_incref(json_object_get(l->att, "sp"));
    int sub = subscribe(ctx, l, f); /* 1: a bad frame, answered */
    if (sub)
        return sub < 0 ? -1 : 0;
    /* A snapshot at most once per interval per socket. */
    if (last && (long long)ctx->wall_ms - last < cfg->snapshot_ms)
        wait = cfg->snapshot_ms - ((long long)ctx->wall_ms - last);
    ctx->finish = hello_done;
    if (cw_sync_hello(ctx, &l->op, since, wait) < 0)
        return -1;
    if (cw_sync_snapshot(l->op))
        json_object_set_new_nocheck(l->att, "snap", json_integer((json_int_t)ctx->wall_ms));
    return 0;
}

/* paths: the socket's paths change; answered as a hello without since (a
 * snapshot of what they cover, then peers). */
static int on_paths(cw_ctx *ctx, live_t *l, json_t *f) {
    if (!json_object_get(f, "paths"))
        return bad(ctx, l, "a paths frame names its paths");
    json_object_del(f, "since");
    return on_hello(ctx, l, f);
}

/* presence: kept in the attachment, told to the other joined sockets once
 * this one has joined too (before its hello, no one is told: a peer that
 * is in no peers frame, and would get no leave, is never shown). */
static int on_presence(cw_ctx *ctx, live_t *l, json_t *f) {
    json_t *data = json_object_get(f, "data");
    cw_buf d = CW_BUF_INIT, out = CW_BUF_INIT;
    int rc;
    if (!json_is_object(data) && !json_is_null(data))
        return bad(ctx, l, "presence data must be an object or null");
    cw_json_dump(data, &d);
    if (d.len > cw_runtime_config()->presence_limit) {
        cw_buf_free(&d);
        return bad(ctx, l, "presence data is over the presence limit");
    }
    json_object_set_nocheck(l->att, "data", data);
    /* Stored first: what the others are told is what a later peers frame
     * shows. */
    rc = store(ctx, l);
    if (rc < 0 || !l->head.joined) {
        cw_buf_free(&d);
        return rc;
    }
    cw_buf_puts(&out, "{\"type\":\"presence\"");
    cw_buf_kstr(&out, "peer", cw_json_string(json_object_get(l->att, "peer"), NULL));
    cw_buf_key(&out, "data");
    cw_buf_append(&out, d.p, d.len);
    cw_buf_puts(&out, "}");
    cw_buf_free(&d);
    rc = cw_roster_tell(ctx, &out, 1);
    cw_buf_free(&out);
    return rc;
}

/* The rate buckets, by name in the attachment's "rl" and in the docs. */
static const char *const bucket_names[B_COUNT] = {"patch", "presence", "hello"};

/* The frame types: the bucket each takes from, and its handler. */
static const struct {
    const char *type;
    int bucket;
    int (*fn)(cw_ctx *ctx, live_t *l, json_t *f);
} types[] = {
    {"hello", B_HELLO, on_hello},
    {"paths", B_HELLO, on_paths},
    {"patch", B_PATCH, on_patch},
    {"presence", B_PRESENCE, on_presence},
};

/* A bucket's rate (a second) and burst in cfg's row. */
static void bucket_rate(const cw_config *cfg, int bucket, long long *rate, long long *burst) {
    *rate = bucket == B_PATCH      ? cfg->patch_rate
            : bucket == B_PRESENCE ? cfg->presence_rate
                                   : cfg->hello_rate;
    *burst = bucket == B_PATCH      ? cfg->patch_burst
             : bucket == B_PRESENCE ? cfg->presence_burst
                                    : cfg->hello_burst;
}

const char *cw_live_frame_type(size_t i, const cw_config *cfg, const char **bucket, long long *rate,
                               long long *burst) {
    if (i >= sizeof types / sizeof types[0])
        return NULL;
    *bucket = bucket_names[types[i].bucket];
    bucket_rate(cfg, types[i].bucket, rate, burst);
    return types[i].type;
}

/* Takes a token from the frame's bucket (kept in the attachment's "rl").
 * Returns 0, or the ms until one is there. */
static long long take(cw_ctx *ctx, live_t *l, int bucket) {
    long long rate, burst;
    json_t *rl = json_object_get(l->att, "rl"), *b = json_object_get(rl, bucket_names[bucket]);
    cw_bucket k = {json_integer_value(json_array_get(b, 0)),
                   json_integer_value(json_array_get(b, 1))};
    long long wait;
    bucket_rate(cw_runtime_config(), bucket, &rate, &burst);
    wait = cw_rate_take(&k, (long long)ctx->wall_ms, rate, burst);
    if (!json_is_object(rl) && json_object_set_new_nocheck(l->att, "rl", rl = json_object()) < 0)
        return 0;
    b = json_array();
    json_array_append_new(b, json_integer(k.milli));
    json_array_append_new(b, json_integer(k.at));
    json_object_set_new_nocheck(rl, bucket_names[bucket], b);
    return wait;
}

/* The code a client's close is answered with: its own when a close may
 * carry it (1000-1003, 1007-1014, 3000-4999), else 1000 (none given is
 * 1005, which no close frame carries). */
static int echoed(cw_ctx *ctx) {
    long long code = 0;
    if (cw_http_uint(cw_http_header(ctx->req, "x-cw-code"), &code) < 0)
        return 1000;
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
                   (code >= 3000 && code <= 4999)
               ? (int)code
               : 1000;
}

/* Over the frame's rate: an error frame saying when to come back (naming a
 * patch's mid, so the client sends it again then); a run of them closes
 * the socket (1008). */
static int limited(cw_ctx *ctx, live_t *l, const char *mid, long long wait) {
    cw_buf f = CW_BUF_INIT;
    cw_buf_puts(&f, "{\"type\":\"error\"");
    if (mid)
        cw_buf_kstr(&f, "mid", mid);
    cw_buf_puts(&f, ",\"error\":{\"code\":\"rate_limited\"");
    cw_buf_kstr(&f, "message", "too many frames of this type; wait retry_after_ms");
    cw_buf_kint(&f, "retry_after_ms", wait);
    cw_buf_puts(&f, "}}");
    return reply(ctx, &f) < 0 ? -1 : strike(ctx, l);
}

/* {"type":"patch","mid":<mid>} when the frame text names them at its top
 * (a mid as cw_sync_key_ok takes it), else NULL. */
static json_t *unread_patch(cw_slice body) {
    cw_slice type, mid;
    json_t *f;
    if (!cw_json_peek(body.p, body.n, "type", &type) || !cw_http_slice_eq(type, "patch") ||
        !cw_json_peek(body.p, body.n, "mid", &mid) || !(f = json_object()))
        return NULL;
    if (json_object_set_new_nocheck(f, "type", json_string_nocheck("patch")) < 0 ||
        json_object_set_new_nocheck(f, "mid", json_stringn_nocheck(mid.p, mid.n)) < 0) {
        json_decref(f);
        return NULL;
    }
    return f;
}

static int on_message(cw_ctx *ctx, live_t *l) {
    const cw_config *cfg = cw_runtime_config();
    cw_slice body = ctx->req->body;
    long long declared = 0, wait;
    json_t *f;
    const char *type, *mid;
    cw_error err;
    size_t t, n;
    int rc, end;
    cw_json_stats stats = {0};
    /* The host hands over no more than the frame limit allows, and states
     * the size of a larger frame in content-length. */
    cw_http_uint(cw_http_header(ctx->req, "content-length"), &declared);
    if ((unsigned long long)declared > cfg->frame_limit || body.n > cfg->frame_limit)
        return cw_pipeline_frame_close(ctx, CW_FRAME_SENDER, 1009,
                                       "the frame is over the size limit");
    /* Text or binary alike: strict JSON, UTF-8 checked (a text frame's
     * invalid bytes were replaced by the runtime before they got here). */
    /* The frame is one object around its patch: a patch within the limits
     * of a body fits in a frame, and one deeper is refused with its mid
     * (on_patch). */
    f = cw_json_parse(body, CW_JSON_MAX_DEPTH, cfg->container_limit + 1, "frame", &stats, &err);
    l->depth = stats.depth;
    l->containers = stats.containers;
    /* One that does not parse but names a patch and its mid at its top is
     * that patch refused, as a body would be (on_patch): so the write
     * settles, and a writer's faults do not count as bad frames. It goes
     * through the patch's rate like any patch. */
    if (!f && err.code == CW_E_INVALID_JSON && (f = unread_patch(body))) {
        l->unread = 1;
        l->why = err;
    }
    type = cw_json_string(json_object_get(f, "type"), NULL);
    mid = cw_json_string(json_object_get(f, "mid"), &n);
    if (mid && !cw_sync_key_ok(mid, n))
        mid = NULL;
    /* The grant as it is now, before anything else. */
    if ((end = cw_roster_ended(&l->head, ctx->wall_ms))) {
        rc = ended(ctx, type && strcmp(type, "patch") == 0 ? mid : NULL, end);
        json_decref(f);
        return rc;
    }
    if (!f)
        return bad(ctx, l, err.message);
    for (t = 0; type && t < sizeof types / sizeof types[0] && strcmp(type, types[t].type); t++)
        ;
    if (!json_is_object(f) || !type || t == sizeof types / sizeof types[0]) {
        json_decref(f);
        return bad(ctx, l, type ? "unknown frame type" : "a frame is a JSON object with a type");
    }
    /* A patch deeper than a body's limit is refused with its mid (on_patch);
     * other frames have a body's limit plus their own level. */
    if (types[t].bucket != B_PATCH && l->depth > cfg->depth_limit + 1) {
        json_decref(f);
        return bad(ctx, l, "the frame nests deeper than a body may, plus its own level");
    }
    l->strikes = member_int(l->att, "strikes");
    if ((wait = take(ctx, l, types[t].bucket)) > 0) {
        rc = limited(ctx, l, types[t].bucket == B_PATCH ? mid : NULL, wait);
        json_decref(f);
        return rc;
    }
    json_object_set_new_nocheck(l->att, "strikes", json_integer(0));
    if (types[t].bucket == B_PATCH && !mid) {
        json_decref(f);
        return bad(ctx, l, "mid must be 1-64 printable ASCII characters");
    }
    /* Whatever fails from here is answered to the sender (a patch's as a
     * reject naming its mid); the handlers may answer more. */
    ctx->finish = types[t].bucket == B_PATCH ? patch_done : frame_done;
    if (types[t].bucket == B_PATCH) {
        memcpy(l->mid, mid, n + 1);
        /* Stored before the write, so its bucket holds whatever follows. */
        if (store(ctx, l) < 0) {
            json_decref(f);
            return -1;
        }
    }
    l->mark = ctx->frames.len;
    rc = types[t].fn(ctx, l, f);
    json_decref(f);
    return rc;
}

int cw_live_frame(cw_ctx *ctx) {
    cw_slice a = cw_http_header(ctx->req, "x-cw-socket");
    live_t *l;
    const char *id, *actor;
    if (ctx->stage != CW_STAGE_OWNER)
        return cw_error_set(&ctx->err, CW_E_NOT_FOUND, NULL);
    if (!(l = cw_alloc_new(sizeof *l)))
        return oom(ctx);
    memset(l, 0, sizeof *l);
    ctx->state = l;
    ctx->state_free = live_free;
    l->att = a.p ? cw_json_load(a.p, a.n) : NULL;
    id = cw_json_string(json_object_get(l->att, "id"), NULL);
    actor = cw_json_string(json_object_get(l->att, "actor"), NULL);
    if (!json_is_object(l->att) || cw_roster_read_head(a.p, a.n, &l->head) < 0 || !id ||
        cw_id_parse((cw_slice){id, strlen(id)}, ctx->who.id, &ctx->who.id_len, &ctx->err) < 0 ||
        (actor && strlen(actor) > CW_ACTOR_MAX))
        return cw_error_set(&ctx->err, CW_E_BAD_REQUEST, "the socket's attachment is unreadable");
    memcpy(ctx->who.actor, actor ? actor : "", actor ? strlen(actor) + 1 : 1);
    memcpy(ctx->who.kid, l->head.kid, sizeof ctx->who.kid);
    ctx->who.read_only = member_int(l->att, "ro") != 0;
    /* The grant's paths and the socket's, read back as lists (a list that
     * is not one grants nothing): it reads where both reach. */
    {
        json_t *reads = NULL, *wp = NULL, *v = json_object_get(l->att, "wp");
        const char *why;
        int bad =
            cw_roster_reads(l->att, &reads) < 0 ||
            (v && (cw_paths_read(v, &wp, &why) < 0 || !wp)) ||
            (json_object_get(l->att, "rp") || json_object_get(l->att, "sp")) != l->head.filtered;
        if (!bad)
            cw_pipeline_who_paths(ctx, reads, wp);
        json_decref(reads);
        json_decref(wp);
        if (bad)
            return cw_error_set(&ctx->err, CW_E_BAD_REQUEST,
                                "the socket's attachment is unreadable");
    }
    ctx->who.granted = 1;
    ctx->flags |= CW_FLAG_SOCKET;
    ctx->res.status = 200;
    if (cw_http_slice_eq(cw_http_header(ctx->req, "x-cw-event"), "close")) {
        cw_buf f = CW_BUF_INIT;
        int rc;
        if (cw_pipeline_frame_close(ctx, CW_FRAME_SENDER, echoed(ctx), "") < 0)
            return -1;
        if (!l->head.joined)
            return 0;
        cw_buf_puts(&f, "{\"type\":\"leave\"");
        cw_buf_kstr(&f, "peer", cw_json_string(json_object_get(l->att, "peer"), NULL));
        cw_buf_puts(&f, "}");
        rc = cw_roster_tell(ctx, &f, 1);
        cw_buf_free(&f);
        return rc;
    }
    return on_message(ctx, l);
}
