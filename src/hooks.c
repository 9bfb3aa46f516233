/* hooks.c - sync-hook chains and plugin answers (see hooks.h). */
#include "hooks.h"

#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "json.h"
#include "plugin.h"

static int hook_done(cw_ctx *ctx, int status, const char *head, size_t head_len, const char *body,
                     size_t body_len);

/* Calls the next hook for ctx->id after ctx->hook, or, when none is left,
 * the continuation. The view waits in ctx->stash between calls. */
static int next_hook(cw_ctx *ctx) {
    const char *ns, *name;
    json_t *config;
    size_t k;
    if (!(name = cw_plugin_hook(ctx->id, ctx->id_len, &ctx->hook, &ns, &config))) {
        cw_hooks_then then = ctx->hooks_then;
        ctx->hooks_then = NULL;
        return then(ctx);
    }
    k = strlen(name);
    k = k < CW_PLUGIN_NAME_MAX ? k : CW_PLUGIN_NAME_MAX;
    memcpy(ctx->plugin, name, k);
    ctx->plugin[k] = '\0';
    /* {"namespace","config","target"} */
    ctx->input.len = 0;
    cw_buf_puts(&ctx->input, "{");
    cw_buf_kstr(&ctx->input, "namespace", ns);
    cw_buf_key(&ctx->input, "config");
    cw_json_dump(config, &ctx->input);
    cw_buf_key(&ctx->input, "target");
    cw_buf_append(&ctx->input, ctx->stash.p, ctx->stash.len);
    if (cw_buf_append(&ctx->input, "}", 1) < 0 || ctx->input.broken)
        return cw_error_oom(&ctx->err);
    return cw_call(ctx, "sync", hook_done);
}

static int hook_done(cw_ctx *ctx, int status, const char *head, size_t head_len, const char *body,
                     size_t body_len) {
    int r = cw_hooks_answer(ctx, status, body, body_len, 0);
    (void)head;
    (void)head_len;
    return r == 1 ? next_hook(ctx) : r;
}

int cw_hooks_check(cw_ctx *ctx, const char *view, size_t n, cw_hooks_then then) {
    ctx->hook = 0;
    ctx->hooks_then = then;
    ctx->stash.len = 0;
    if (cw_buf_append(&ctx->stash, view, n) < 0)
        return cw_error_oom(&ctx->err);
    return next_hook(ctx);
}

int cw_hooks_answer(cw_ctx *ctx, int status, const char *body, size_t n, int respond) {
    json_t *doc = status > 1 ? cw_json_load(body, n) : NULL, *err = json_object_get(doc, "error");
    const char *code = cw_json_string(json_object_get(err, "code"), NULL);
    const char *msg = cw_json_string(json_object_get(err, "message"), NULL);
    char part[121];
    cw_buf out = CW_BUF_INIT;
    int ok = json_is_object(doc);

    if (status >= 200 && status < 300 && ok) {
        json_decref(doc);
        if (!respond)
            return 1;
        cw_buf_append(&out, body, n);
        return cw_respond_buf(ctx, status, "application/json", &out) < 0 ? -1 : 1;
    }
    ctx->head.len = 0;
    if (status >= 400 && status < 500 && code && msg &&
        json_object_set_new_nocheck(err, "request_id", json_string_nocheck(ctx->rid)) == 0)
        return cw_respond_json(ctx, status, doc) < 0 ? -1 : 0;
    n = n < 120 ? n : 120;
    memcpy(part, body, n); /* the body is not NUL-terminated */
    part[n] = '\0';
    if (status == 0 || status == 1)
        cw_error_setf(&ctx->err, status ? CW_E_PLUGIN_UNAVAILABLE : CW_E_PLUGIN_FAILED,
                      "plugin %s %s: %s", ctx->plugin, status ? "is unavailable" : "failed", part);
    else
        cw_error_setf(&ctx->err, CW_E_PLUGIN_FAILED, "plugin %s answered %d: %s: %s", ctx->plugin,
                      (long long)status, code ? code : "no error code",
                      msg ? msg : "no JSON error body");
    json_decref(doc); /* code and msg point into it */
    return -1;
}
