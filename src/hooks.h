/* hooks.h - plugins run from a request: the sync-hook chain that checks a
 * merged state before its commit, and a plugin's answer taken as the
 * response. Above the pipeline (it suspends requests); which hooks apply
 * where is plugin.h's. */
#ifndef CW_HOOKS_H
#define CW_HOOKS_H

#include <stddef.h>

#include "pipeline.h"

/* What runs once every hook has accepted: returns 0, or -1 with ctx->err. */
typedef int (*cw_hooks_then)(cw_ctx *ctx);

/* Runs each sync hook configured for ctx->id, in SYNC_HOOKS order, on the
 * merged state's view[0..n) (copied); the request suspends for each call.
 * When all accept (or none applies), calls then(ctx). When one refuses, its
 * 4xx answer is the response; when one fails or cannot run, ctx->err is set
 * (500 plugin_failed, 503 plugin_unavailable); then is not called. Returns
 * 0, or -1 with ctx->err set. */
int cw_hooks_check(cw_ctx *ctx, const char *view, size_t n, cw_hooks_then then);

/* Takes plugin ctx->plugin's answer (the host's resume arguments). Returns
 * 1 when it succeeded (2xx) - and with respond, makes its body the response;
 * 0 when its client error (4xx, {"error":{"code","message",...}}) was made
 * the response, with the request id added; -1 with ctx->err set when it
 * failed, or could not be run. Except on success, any response head built
 * so far is dropped. */
int cw_hooks_answer(cw_ctx *ctx, int status, const char *body, size_t n, int respond);

#endif
