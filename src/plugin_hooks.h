/* plugin_hooks.h - plugins run from a request: the sync-hook chain that checks a
 * merged state before its commit, and a plugin's answer taken as the
 * response. Above the pipeline (it suspends requests); which hooks apply
 * where is plugin_config.h's. */
#ifndef CW_PLUGIN_HOOKS_H
#define CW_PLUGIN_HOOKS_H

#include <stddef.h>

#include "pipeline.h"
#include "plugin_manifest.h"

/* What runs once every hook has accepted: returns 0, or -1 with ctx->err. */
typedef int (*cw_plugin_hooks_then)(cw_ctx *ctx, void *arg);

/* A chain in progress: the caller's (it lives as long as the request). */
typedef struct {
    int next;                            /* the next hook to consider */
    char plugin[CW_PLUGIN_NAME_MAX + 1]; /* the one being called */
    cw_buf view;                         /* the merged state's view, for each hook */
    cw_plugin_hooks_then then;
    void *arg;
} cw_hooks;

/* Runs each sync hook configured for ctx->who.id, in SYNC_HOOKS order, on
 * the merged state's view[0..n) (copied into h); the request suspends for
 * each call. When all accept (or none applies), calls then(ctx, arg). When
 * one refuses, its 4xx answer is the response; when one fails or cannot
 * run, ctx->err is set (500 plugin_failed, 503 plugin_unavailable); then is
 * not called. Returns 0, or -1 with ctx->err set. */
int cw_plugin_hooks_check(cw_ctx *ctx, cw_hooks *h, const char *view, size_t n,
                          cw_plugin_hooks_then then, void *arg);

/* 1 when a sync hook applies to ctx->who.id. */
int cw_plugin_hooks_apply(const cw_ctx *ctx);

/* Releases what h holds. */
void cw_plugin_hooks_free(cw_hooks *h);

/* Takes plugin's answer (the host's resume arguments). Returns 1 when it
 * succeeded (2xx) - and with respond, makes its body the response; 0 when
 * its client error (4xx, {"error":{"code","message",...}}) was made the
 * response, with the request id added; -1 with ctx->err set when it
 * failed, or could not be run. Except on success, any response head built
 * so far is dropped. */
int cw_plugin_hooks_answer(cw_ctx *ctx, const char *plugin, int status, const char *body, size_t n,
                           int respond);

#endif
