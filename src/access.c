/* access.c - the access check (see access.h). */
#include "access.h"

#include <string.h>

#include "alloc.h"
#include "jwt.h"
#include "runtime.h"

/* A check waiting for the host's MAC. */
typedef struct {
    cw_token tok;
    int how;
    int (*then)(cw_ctx *ctx);
} pending_t;

static void pending_free(void *p) {
    pending_t *w = p;
    cw_jwt_free(&w->tok);
    cw_alloc_free(w);
}

/* 401 with the challenge of RFC 6750; why, or the message already set. */
static int unauthorized(cw_ctx *ctx, const char *why) {
    if (why)
        cw_error_set(&ctx->err, CW_E_UNAUTHORIZED, why);
    ctx->who.challenge = "Bearer error=\"invalid_token\"";
    return -1;
}

/* The token of a "bearer.<token>" entry of a Sec-WebSocket-Protocol list. */
static cw_slice subprotocol(cw_slice list) {
    while (list.n) {
        const char *comma = memchr(list.p, ',', list.n);
        size_t n = comma ? (size_t)(comma - list.p) : list.n;
        cw_slice e = cw_http_slice_trim((cw_slice){list.p, n});
        if (e.n > 7 && memcmp(e.p, "bearer.", 7) == 0)
            return (cw_slice){e.p + 7, e.n - 7};
        list.p += n + !!comma;
        list.n -= n + !!comma;
    }
    return (cw_slice){NULL, 0};
}

static int verified(cw_ctx *ctx, void *arg, int status, const char *head, size_t hn,
                    const char *body, size_t n) {
    pending_t *w = arg;
    (void)head;
    (void)hn;
    if (status != 200 || n != CW_JWT_MAC)
        return cw_error_set(&ctx->err, CW_E_INTERNAL, "the host could not compute the MAC");
    if (!cw_jwt_mac_ok(&w->tok, (const unsigned char *)body))
        return unauthorized(ctx, "invalid token: bad signature");
    if (cw_jwt_allows(&w->tok, ctx->who.id, ctx->who.id_len, w->how & CW_ACCESS_WRITE,
                      (long long)(ctx->wall_ms / 1000), cw_runtime_config()->token_leeway,
                      &ctx->err) < 0)
        return ctx->err.code == CW_E_UNAUTHORIZED ? unauthorized(ctx, NULL) : -1;
    memcpy(ctx->who.actor, w->tok.sub, sizeof w->tok.sub);
    memcpy(ctx->who.kid, w->tok.kid, sizeof w->tok.kid);
    ctx->who.exp = w->tok.exp;
    ctx->who.read_only = !w->tok.write;
    cw_pipeline_who_paths(ctx, w->tok.read_paths, w->tok.write_paths);
    return w->then(ctx);
}

int cw_access_check(cw_ctx *ctx, int how, int (*then)(cw_ctx *ctx)) {
    int keys = cw_jwt_keys();
    cw_slice h, t = {NULL, 0};
    pending_t *w;
    if (ctx->flags & CW_FLAG_RPC)
        return then(ctx);
    if (cw_http_query(ctx->req, "access_token", NULL).p || cw_http_query(ctx->req, "token", NULL).p)
        return cw_error_set(&ctx->err, CW_E_INVALID_PARAMETER,
                            "tokens in the query are refused: use Authorization");
    if (keys == 0 && !cw_runtime_config()->tokens_required)
        return then(ctx);
    if (keys <= 0)
        return cw_error_set(&ctx->err, CW_E_AUTH_UNCONFIGURED, NULL);
    h = cw_http_slice_trim(cw_http_header(ctx->req, "authorization"));
    if (h.n > 7 && cw_http_slice_ieq((cw_slice){h.p, 7}, "bearer "))
        t = cw_http_slice_trim((cw_slice){h.p + 7, h.n - 7});
    else if (how & CW_ACCESS_SOCKET)
        t = subprotocol(cw_http_header(ctx->req, "sec-websocket-protocol"));
    if (!t.n)
        return unauthorized(ctx, "a bearer token is required");
    if (!(w = cw_alloc_new(sizeof *w)))
        return cw_error_oom(&ctx->err);
    memset(w, 0, sizeof *w);
    if (!cw_pipeline_own(ctx, w, pending_free))
        return cw_error_oom(&ctx->err);
    if (cw_jwt_parse(t.p, t.n, &w->tok, &ctx->err) < 0)
        return unauthorized(ctx, NULL);
    w->how = how;
    w->then = then;
    /* The host computes HMAC-SHA256 over the signed bytes: the key's length
     * (u32, little-endian), the key, then the message. */
    ctx->input.len = 0;
    cw_buf_put32(&ctx->input, (uint32_t)w->tok.key_len);
    cw_buf_append(&ctx->input, (const char *)w->tok.key, w->tok.key_len);
    if (cw_buf_append(&ctx->input, t.p, w->tok.signed_len) < 0 ||
        cw_pipeline_suspend(ctx, CW_ACTION_HMAC, "", 0, verified, w) < 0)
        return cw_error_oom(&ctx->err);
    return 0;
}
