/* plugin_hooks.c - sync-hook chains and plugin answers (see plugin_hooks.h). */
#include "plugin_hooks.h"

#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "json.h"
#include "plugin_config.h"

static int hook_done(cw_ctx *ctx, void *arg, int status, const char *head, size_t head_len,
                     const char *body, size_t body_len);

/* Calls the next hook for ctx->who.id after h->next, or, when none is
 * left, the continuation. */
static int next_hook(cw_ctx *ctx, cw_hooks *h) {
    const char *ns, *name;
    json_t *config;
    size_t k;
    if (!(name = cw_plugin_config_hook(ctx->who.id, ctx->who.id_len, &h->next, &ns, &config)))
        return h->then(ctx, h->arg);
    k = strlen(name);
    k = k < CW_PLUGIN_NAME_MAX ? k : CW_PLUGIN_NAME_MAX;
    memcpy(h->plugin, name, k);
    h->plugin[k] = '\0';
    /* {"namespace","config","target"} */
    ctx->input.len = 0;
    cw_buf_puts(&ctx->input, "{");
    cw_buf_kstr(&ctx->input, "namespace", ns);
    cw_buf_key(&ctx->input, "config");
    cw_json_dump(config, &ctx->input);
    cw_buf_key(&ctx->input, "target");
    cw_buf_append(&ctx->input, h->view.p, h->view.len);
    if (cw_buf_append(&ctx->input, "}", 1) < 0 || ctx->input.broken)
        return cw_error_oom(&ctx->err);
    return cw_pipeline_call(ctx, h->plugin, "sync", hook_done, h);
}

static int hook_done(cw_ctx *ctx, void *arg, int status, const char *head, size_t head_len,
                     const char *body, size_t body_len) {
    cw_hooks *h = arg;
    int r = cw_plugin_hooks_answer(ctx, h->plugin, status, body, body_len, 0);
    (void)head;
    (void)head_len;
    return r == 1 ? next_hook(ctx, h) : r;
}

int cw_plugin_hooks_check(cw_ctx *ctx, cw_hooks *h, const char *view, size_t n,
                          cw_plugin_hooks_then then, void *arg) {
    h->next = 0;
    h->then = then;
    h->arg = arg;
    h->view.len = 0;
    if (cw_buf_append(&h->view, view, n) < 0)
        return cw_error_oom(&ctx->err);
    return next_hook(ctx, h);
}

int cw_plugin_hooks_apply(const cw_ctx *ctx) {
    int i = 0;
    const char *ns;
    json_t *config;
    return cw_plugin_config_hook(ctx->who.id, ctx->who.id_len, &i, &ns, &config) != NULL;
}

void cw_plugin_hooks_free(cw_hooks *h) { cw_buf_free(&h->view); }

int cw_plugin_hooks_answer(cw_ctx *ctx, const char *plugin, int status, const char *body, size_t n,
                           int respond) {
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
        return cw_pipeline_respond_buf(ctx, status, "application/json", &out) < 0 ? -1 : 1;
    }
    ctx->head.len = 0;
    if (status >= 400 && status < 500 && code && msg &&
        json_object_set_new_nocheck(err, "request_id", json_string_nocheck(ctx->rid)) == 0) {
        cw_pipeline_answered(ctx, code);
        return cw_pipeline_respond_json(ctx, status, doc) < 0 ? -1 : 0;
    }
    n = n < 120 ? n : 120;
    memcpy(part, body, n); /* the body is not NUL-terminated */
    part[n] = '\0';
    if (status == 0 || status == 1)
        cw_error_setf(&ctx->err, status ? CW_E_PLUGIN_UNAVAILABLE : CW_E_PLUGIN_FAILED,
                      "plugin %s %s: %s", plugin, status ? "is unavailable" : "failed", part);
    else
        cw_error_setf(&ctx->err, CW_E_PLUGIN_FAILED, "plugin %s answered %d: %s: %s", plugin,
                      (long long)status, code ? code : "no error code",
                      msg ? msg : "no JSON error body");
    json_decref(doc); /* code and msg point into it */
    return -1;
}
