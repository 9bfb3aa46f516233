/* access.h - who may do what to a document, decided at the edge from the
 * request's token (jwt.h), before any Durable Object is woken.
 *
 * Sources of the token: Authorization: Bearer <token>; for the live
 * upgrade, where browsers cannot set headers, also an entry bearer.<token>
 * of Sec-WebSocket-Protocol. A token in the query (access_token, token) is
 * refused, so tokens never land in URL logs.
 *
 * By environment: staging and production require tokens, and without
 * STATE_KEYS refuse every state route with 503 auth_unconfigured; local
 * requires them when STATE_KEYS is set and is open otherwise. An RPC
 * caller, a worker the owner bound, is trusted. */
#ifndef CW_ACCESS_H
#define CW_ACCESS_H

#include "pipeline.h"

enum {
    CW_ACCESS_READ = 0,
    CW_ACCESS_WRITE = 1,
    CW_ACCESS_SOCKET = 2 /* also take a bearer.<token> subprotocol (the live upgrade) */
};

/* EDGE, ctx->who.id set: checks the caller may read or write (how) the
 * document; when it may, sets ctx->who (actor, kid, exp, read_only) from
 * the token and runs then(ctx), at once or after the host has computed the MAC
 * (CW_ACTION_HMAC). Returns what then returns, 0 while suspended, or -1
 * with ctx->err set: 401 unauthorized (with WWW-Authenticate: Bearer
 * error="invalid_token"), 403 forbidden, 400 for a token in the query,
 * 503 auth_unconfigured. */
int cw_access_check(cw_ctx *ctx, int how, int (*then)(cw_ctx *ctx));

#endif
