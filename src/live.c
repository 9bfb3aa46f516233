/* live.c - live sync (see live.h). A socket's events arrive one at a time
 * (the host runs an object's requests in turn), each as its own owner
 * request; what a frame needs of the document is sync.h's. */
#include "live.h"

#include <string.h>

#include "access.h"
#include "json.h"
#include "runtime.h"
#include "sync.h"

static int oom(cw_ctx *ctx) { return cw_error_oom(&ctx->err); }

/* Hands b (emptied) to the host as a socket operation. */
static int send(cw_ctx *ctx, int op, cw_buf *b) {
    int rc = cw_frame_buf(ctx, op, b);
    cw_buf_free(b);
    return rc;
}

/* The socket's attachment, parsed (a new reference), or NULL. */
static json_t *attachment(cw_ctx *ctx) {
    cw_slice a = cw_http_header(ctx->req, "x-cw-socket");
    json_t *att = a.p ? cw_json_load(a.p, a.n) : NULL;
    if (json_is_object(att))
        return att;
    json_decref(att);
    return NULL;
}

/* Keeps att as the socket's attachment (op: ATTACH or JOIN). */
static int attach(cw_ctx *ctx, int op, json_t *att) {
    cw_buf b = CW_BUF_INIT;
    cw_json_dump(att, &b);
    return send(ctx, op, &b);
}

static long long member_int(json_t *o, const char *key) {
    return json_integer_value(json_object_get(o, key));
}

/* The string member key of o, or "". */
static const char *member_str(json_t *o, const char *key) {
    const char *s = cw_json_string(json_object_get(o, key), NULL);
    return s ? s : "";
}

/* --- the upgrade ----------------------------------------------------------- */

static int accepted(cw_ctx *ctx, int status, const char *head, size_t hn, const char *body,
                    size_t n) {
    (void)head;
    (void)hn;
    (void)body;
    (void)n;
    if (status != 200)
        return cw_error_set(&ctx->err, CW_E_INTERNAL, "the socket could not be accepted");
    ctx->res.status = 101;
    return 0;
}

/* The object's sockets are counted: accept one more, with its attachment. */
static int counted(cw_ctx *ctx, int status, const char *head, size_t hn, const char *body,
                   size_t n) {
    json_t *v = status == 200 ? cw_json_load(body, n) : NULL;
    long long open = member_int(v, "n");
    char peer[18] = "p";
    cw_buf att = CW_BUF_INIT;
    int rc;
    (void)head;
    (void)hn;
    json_decref(v);
    if (!v)
        return cw_error_set(&ctx->err, CW_E_INTERNAL, "the host gave no socket count");
    if (open >= cw_runtime_config()->live_sockets)
        return cw_error_set(&ctx->err, CW_E_TOO_MANY_SOCKETS, NULL);
    cw_runtime_hex16(peer + 1);
    peer[17] = '\0';
    cw_buf_puts(&att, "{\"v\":1");
    cw_buf_kstr(&att, "id", ctx->id);
    cw_buf_kstr(&att, "peer", peer);
    cw_buf_kint(&att, "ro", ctx->read_only);
    cw_buf_kstr(&att, "actor", ctx->actor[0] ? ctx->actor : NULL);
    cw_buf_puts(&att, ",\"j\":0,\"bad\":0,\"data\":null}");
    rc = att.broken ? oom(ctx) : cw_suspend(ctx, CW_ACTION_ACCEPT, att.p, att.len, accepted);
    cw_buf_free(&att);
    return rc;
}

/* EDGE: the caller may: the owner opens the socket. */
static int upgrade(cw_ctx *ctx) {
    if (cw_sync_grant(ctx) < 0)
        return -1;
    cw_forward(ctx);
    ctx->res.action = CW_ACTION_UPGRADE;
    return 0;
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
        cw_slice e = cw_slice_trim((cw_slice){list.p, n});
        if (cw_slice_eq(e, "sync.v1")) {
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
    if (cw_id_parse(cw_param(ctx, "id"), ctx->id, &ctx->id_len, &ctx->err) < 0)
        return -1;
    if (ctx->stage == CW_STAGE_OWNER)
        return ctx->granted ? cw_suspend(ctx, CW_ACTION_PEERS, "", 0, counted)
                            : cw_error_set(&ctx->err, CW_E_FORBIDDEN,
                                           "the upgrade carries no grant from the edge");
    if (!cw_slice_ieq(cw_slice_trim(cw_http_header(ctx->req, "upgrade")), "websocket"))
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
static int bad(cw_ctx *ctx, json_t *att, const char *why) {
    cw_buf f = CW_BUF_INIT;
    long long n = member_int(att, "bad") + 1;
    cw_buf_puts(&f, "{\"type\":\"error\",\"error\":{\"code\":\"bad_frame\"");
    cw_buf_kstr(&f, "message", why);
    cw_buf_puts(&f, "}}");
    if (send(ctx, CW_FRAME_SENDER, &f) < 0)
        return -1;
    if (n >= cw_runtime_config()->bad_frames) {
        cw_buf_puts(&f, "1008 too many bad frames");
        return send(ctx, CW_FRAME_CLOSE, &f);
    }
    json_object_set_new_nocheck(att, "bad", json_integer(n));
    return attach(ctx, CW_FRAME_ATTACH, att);
}

/* An error answer as a frame: prefix, then the answer's {"error":{...}}
 * without its opening brace. */
static void error_frame(cw_ctx *ctx, const char *prefix, const char *mid) {
    cw_buf f = CW_BUF_INIT;
    cw_buf_puts(&f, prefix);
    if (mid) {
        cw_buf_kstr(&f, "mid", mid);
        cw_buf_append(&f, ",", 1);
    }
    if (ctx->body.len)
        cw_buf_append(&f, ctx->body.p + 1, ctx->body.len - 1);
    else
        cw_buf_puts(&f, "\"error\":{\"code\":\"internal\"}}");
    send(ctx, CW_FRAME_SENDER, &f);
}

/* After a hello: the peers frame waiting in ctx->stash, and the socket
 * joins; or the error. */
static void hello_done(cw_ctx *ctx) {
    json_t *att = attachment(ctx);
    if (ctx->res.status != 200 || !att) {
        error_frame(ctx, "{\"type\":\"error\",", NULL);
    } else {
        cw_frame(ctx, CW_FRAME_SENDER, ctx->stash.p, ctx->stash.len);
        json_object_set_new_nocheck(att, "j", json_integer(1));
        attach(ctx, CW_FRAME_JOIN, att);
    }
    json_decref(att);
}

/* The other joined sockets' attachments arrived: the peers frame waits in
 * ctx->stash (after the since it held) while the document answers. */
static int hello_peers(cw_ctx *ctx, int status, const char *head, size_t hn, const char *body,
                       size_t n) {
    json_t *v = status == 200 ? cw_json_load(body, n) : NULL, *a;
    long long since;
    size_t i;
    (void)head;
    (void)hn;
    memcpy(&since, ctx->stash.p, sizeof since);
    ctx->stash.len = 0;
    cw_buf_puts(&ctx->stash, "{\"type\":\"peers\",\"peers\":[");
    json_array_foreach(json_object_get(v, "peers"), i, a) {
        const char *peer = cw_json_string(json_object_get(a, "peer"), NULL);
        if (!peer)
            continue;
        cw_buf_puts(&ctx->stash, ctx->stash.p[ctx->stash.len - 1] == '[' ? "{" : ",{");
        cw_buf_kstr(&ctx->stash, "peer", peer);
        cw_buf_key(&ctx->stash, "data");
        cw_json_dump(json_object_get(a, "data") ? json_object_get(a, "data") : json_null(),
                     &ctx->stash);
        cw_buf_puts(&ctx->stash, "}");
    }
    json_decref(v);
    /* The idempotency window: a client drops a write it sent before it
     * rather than resend one the server may no longer recognize. */
    cw_buf_puts(&ctx->stash, "],\"keys\":{");
    cw_buf_kint(&ctx->stash, "ms", cw_runtime_config()->key_ms);
    cw_buf_kint(&ctx->stash, "writes", cw_runtime_config()->key_entries);
    if (cw_buf_puts(&ctx->stash, "}}") < 0)
        return oom(ctx);
    ctx->finish = hello_done;
    return cw_sync_hello(ctx, since);
}

/* After a patch: ack with the version it has (a retry's, too), or reject
 * with the error. */
static void patch_done(cw_ctx *ctx) {
    cw_buf f = CW_BUF_INIT;
    if (ctx->res.status != 200) {
        error_frame(ctx, "{\"type\":\"reject\"", ctx->mid);
        return;
    }
    cw_buf_puts(&f, "{\"type\":\"ack\"");
    cw_buf_kstr(&f, "mid", ctx->mid);
    cw_buf_kint(&f, "version", ctx->version);
    cw_buf_puts(&f, "}");
    send(ctx, CW_FRAME_SENDER, &f);
}

/* A version member (0 to CW_VERSION_MAX), or -1 when absent; -2 when it is
 * another value. */
static long long optional_uint(json_t *f, const char *key) {
    json_t *v = json_object_get(f, key);
    if (!v || json_is_null(v))
        return -1;
    return json_is_integer(v) && json_integer_value(v) >= 0 &&
                   json_integer_value(v) <= CW_VERSION_MAX
               ? json_integer_value(v)
               : -2;
}

static int on_patch(cw_ctx *ctx, json_t *f) {
    json_t *patch = json_object_get(f, "patch");
    long long if_match = optional_uint(f, "ifMatch"), base = optional_uint(f, "base");
    ctx->finish = patch_done;
    if (if_match == -2)
        return cw_error_set(&ctx->err, CW_E_INVALID_IF_MATCH,
                            "ifMatch must be an integer from 0 to 2^53 - 1");
    if (base == -2)
        return cw_error_set(&ctx->err, CW_E_INVALID_PARAMETER,
                            "base must be an integer from 0 to 2^53 - 1");
    if (!json_is_object(patch))
        return cw_error_set(&ctx->err, CW_E_INVALID_PATCH,
                            "patch must be a JSON object; the state must remain an object");
    return cw_sync_write(ctx, json_incref(patch), if_match, base);
}

/* presence: kept in the attachment, told to the other joined sockets. */
static int on_presence(cw_ctx *ctx, json_t *att, json_t *f) {
    json_t *data = json_object_get(f, "data");
    cw_buf d = CW_BUF_INIT, out = CW_BUF_INIT;
    if (!json_is_object(data) && !json_is_null(data))
        return bad(ctx, att, "presence data must be an object or null");
    cw_json_dump(data, &d);
    if (d.len > cw_runtime_config()->presence_limit) {
        cw_buf_free(&d);
        return bad(ctx, att, "presence data is over the presence limit");
    }
    cw_buf_puts(&out, "{\"type\":\"presence\"");
    cw_buf_kstr(&out, "peer", member_str(att, "peer"));
    cw_buf_key(&out, "data");
    cw_buf_append(&out, d.p, d.len);
    cw_buf_puts(&out, "}");
    cw_buf_free(&d);
    json_object_set_nocheck(att, "data", data);
    return send(ctx, CW_FRAME_OTHERS, &out) < 0 ? -1 : attach(ctx, CW_FRAME_ATTACH, att);
}

static int on_message(cw_ctx *ctx, json_t *att) {
    const cw_config *cfg = cw_runtime_config();
    cw_slice body = ctx->req->body;
    long long declared = 0;
    json_t *f;
    const char *type, *mid;
    cw_error err;
    int rc;
    /* The host hands over no more than the body limit allows, and states
     * the size of a larger frame in content-length. */
    cw_http_uint(cw_http_header(ctx->req, "content-length"), &declared);
    if ((unsigned long long)declared > cfg->frame_limit || body.n > cfg->frame_limit) {
        cw_buf c = CW_BUF_INIT;
        cw_buf_puts(&c, "1009 the frame is over the size limit");
        return send(ctx, CW_FRAME_CLOSE, &c);
    }
    if (cw_http_header(ctx->req, "x-cw-binary").p)
        return bad(ctx, att, "frames are JSON text");
    if (!(f = cw_json_parse(body, cfg->depth_limit, cfg->container_limit, "frame", NULL, &err)))
        return bad(ctx, att, err.message);
    type = cw_json_string(json_object_get(f, "type"), NULL);
    mid = cw_json_string(json_object_get(f, "mid"), NULL);
    if (!json_is_object(f) || !type) {
        rc = bad(ctx, att, "a frame is a JSON object with a type");
    } else if (strcmp(type, "hello") == 0) {
        long long since = optional_uint(f, "since");
        rc = since == -2 ? bad(ctx, att, "since must be an integer from 0 to 2^53 - 1")
             : cw_buf_append(&ctx->stash, (const char *)&since, sizeof since) < 0
                 ? oom(ctx)
                 : cw_suspend(ctx, CW_ACTION_PEERS, "", 0, hello_peers);
    } else if (strcmp(type, "patch") == 0) {
        size_t n = mid ? strlen(mid) : 0;
        int ok = cw_sync_key_ok(mid, n);
        if (ok)
            memcpy(ctx->mid, mid, n + 1);
        rc = ok ? on_patch(ctx, f) : bad(ctx, att, "mid must be 1-64 printable ASCII characters");
    } else if (strcmp(type, "presence") == 0) {
        rc = on_presence(ctx, att, f);
    } else {
        rc = bad(ctx, att, "unknown frame type");
    }
    json_decref(f);
    return rc;
}

int cw_live_frame(cw_ctx *ctx) {
    json_t *att;
    const char *id, *actor;
    cw_slice event;
    int rc;
    if (ctx->stage != CW_STAGE_OWNER)
        return cw_error_set(&ctx->err, CW_E_NOT_FOUND, NULL);
    att = attachment(ctx);
    id = cw_json_string(json_object_get(att, "id"), NULL);
    actor = cw_json_string(json_object_get(att, "actor"), NULL);
    if (!id || cw_id_parse((cw_slice){id, strlen(id)}, ctx->id, &ctx->id_len, &ctx->err) < 0 ||
        (actor && strlen(actor) > CW_ACTOR_MAX)) {
        json_decref(att);
        return cw_error_set(&ctx->err, CW_E_BAD_REQUEST, "the socket's attachment is unreadable");
    }
    memcpy(ctx->actor, actor ? actor : "", actor ? strlen(actor) + 1 : 1);
    ctx->read_only = member_int(att, "ro") != 0;
    ctx->flags |= CW_FLAG_SOCKET;
    ctx->res.status = 200;
    event = cw_http_header(ctx->req, "x-cw-event");
    if (cw_slice_eq(event, "close")) {
        cw_buf f = CW_BUF_INIT;
        rc = 0;
        if (member_int(att, "j")) {
            cw_buf_puts(&f, "{\"type\":\"leave\"");
            cw_buf_kstr(&f, "peer", member_str(att, "peer"));
            cw_buf_puts(&f, "}");
            rc = send(ctx, CW_FRAME_OTHERS, &f);
        }
    } else {
        rc = on_message(ctx, att);
    }
    json_decref(att);
    return rc;
}
