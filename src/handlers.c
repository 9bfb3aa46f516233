/* handlers.c - the route table and its handlers.
 *
 * Every handler has the cw_handler signature and runs in both stages; state
 * handlers validate everything they can at the edge, so bad input is refused
 * before a Durable Object is woken, and validate again as owner. */
#include <string.h>

#include "buildinfo.h"
#include "pipeline.h"
#include "state.h"

/* Largest PATCH body accepted, in bytes. */
#define CW_BODY_LIMIT (1u << 20)

static int h_health(cw_ctx *ctx) {
    json_t *body = json_object();
    if (!body || json_object_set_new(body, "status", json_string("ok")) < 0 ||
        json_object_set_new(body, "version", json_string(cw_buildinfo_get()->version)) < 0) {
        json_decref(body);
        return cw_error_set(&ctx->err, CW_E_INTERNAL, "out of memory");
    }
    return cw_respond_json(ctx, 200, body);
}

static int h_version(cw_ctx *ctx) {
    const cw_buildinfo *b = cw_buildinfo_get();
    json_t *body = json_object();
    if (!body || json_object_set_new(body, "version", json_string(b->version)) < 0 ||
        json_object_set_new(body, "commit", json_string(b->commit)) < 0 ||
        json_object_set_new(body, "built_at", json_string(b->built_at)) < 0 ||
        json_object_set_new(body, "toolchain", json_string(b->toolchain)) < 0) {
        json_decref(body);
        return cw_error_set(&ctx->err, CW_E_INTERNAL, "out of memory");
    }
    return cw_respond_json(ctx, 200, body);
}

/* Answers with the state view and its ETag. */
static int respond_state(cw_ctx *ctx, const cw_state *st) {
    char etag[24];
    size_t n = 0;
    long long v = st->version;
    char digits[20];
    json_t *view = cw_state_view(st, ctx->id);

    if (!view)
        return cw_error_set(&ctx->err, CW_E_INTERNAL, "out of memory");
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    etag[0] = '"';
    for (size_t i = 0; i < n; i++)
        etag[1 + i] = digits[n - 1 - i];
    etag[n + 1] = '"';
    etag[n + 2] = '\0';
    if (cw_respond_json(ctx, 200, view) < 0)
        return -1;
    return cw_header_add(ctx, "etag", etag);
}

static int load_state(cw_ctx *ctx, cw_state *st) {
    return cw_state_load(st, ctx->state_blob, ctx->state_len, &ctx->err);
}

static int h_state_get(cw_ctx *ctx) {
    cw_state st;
    int rc;

    if (cw_id_parse(ctx->param, ctx->id, &ctx->id_len, &ctx->err) < 0)
        return -1;
    if (ctx->stage == CW_STAGE_EDGE)
        return cw_forward(ctx);
    if (load_state(ctx, &st) < 0)
        return -1;
    rc = respond_state(ctx, &st);
    cw_state_clear(&st);
    return rc;
}

static int media_type_ok(cw_slice ct) {
    const char *semi;
    if (!ct.p)
        return 0;
    semi = memchr(ct.p, ';', ct.n);
    if (semi)
        ct.n = (size_t)(semi - ct.p);
    ct = cw_slice_trim(ct);
    return cw_slice_ieq(ct, "application/merge-patch+json") ||
           cw_slice_ieq(ct, "application/json");
}

static int h_state_patch(cw_ctx *ctx) {
    cw_slice if_match = cw_http_header(ctx->req, "if-match");
    cw_state st = {0, NULL};
    json_t *patch = NULL;
    int rc = -1;

    if (cw_id_parse(ctx->param, ctx->id, &ctx->id_len, &ctx->err) < 0)
        return -1;
    if (!media_type_ok(cw_http_header(ctx->req, "content-type")))
        return cw_error_set(&ctx->err, CW_E_MEDIA_TYPE, NULL);
    if (ctx->req->body.n > CW_BODY_LIMIT)
        return cw_error_set(&ctx->err, CW_E_TOO_LARGE, "body is over the 1 MiB limit");
    if (cw_state_if_match(if_match, -1, &ctx->err) < 0)
        return -1;
    patch = cw_state_parse_patch(ctx->req->body, &ctx->err);
    if (!patch)
        return -1;
    if (ctx->stage == CW_STAGE_EDGE) {
        json_decref(patch);
        return cw_forward(ctx);
    }
    if (load_state(ctx, &st) < 0 || cw_state_if_match(if_match, st.version, &ctx->err) < 0 ||
        cw_state_apply(&st, patch, &ctx->err) < 0)
        goto out;
    ctx->commit = cw_state_blob(&st, &ctx->commit_len);
    if (!ctx->commit) {
        cw_error_set(&ctx->err, CW_E_INTERNAL, "out of memory");
        goto out;
    }
    rc = respond_state(ctx, &st);
out:
    json_decref(patch);
    cw_state_clear(&st);
    return rc;
}

const cw_route cw_routes[] = {
    {"GET", "/health", "health", h_health},
    {"GET", "/version", "version", h_version},
    {"GET", "/state/*", "state.get", h_state_get},
    {"PATCH", "/state/*", "state.patch", h_state_patch},
};
const size_t cw_routes_len = sizeof(cw_routes) / sizeof(cw_routes[0]);
