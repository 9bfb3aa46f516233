/* sync.h - the state routes, in both stages.
 *
 *   GET|HEAD /state/{id}          the state, ETag "<version>" (304 on If-None-Match)
 *   PATCH    /state/{id}          an RFC 7386 merge patch, journaled
 *   DELETE   /state/{id}          erase state and journal; the version goes on
 *   GET      /state/{id}/changes  the journal after ?since=N (&limit=K)
 *
 * and the same operations for live sockets (live.h). Every commit tells
 * the object's joined sockets: a write {"type":"change","version","patch",
 * "actor"} (all but the writer's own socket), a DELETE {"type":"reset",
 * "version"} (all); see CW_FRAME_*.
 *
 * At the edge each handler checks everything it can (id, body, headers,
 * parameters) and forwards to the owner. In the owner (the id's Durable
 * Object) it reads what it needs (store.h), decides, and commits one batch;
 * the owner keeps documents between requests (doc.h) and trusts one only
 * after reading the stored version. Costs: a GET with the document cached
 * reads one row and copies its cached serialization; a PATCH parses and
 * serializes the members its patch touches (plus the whole state only when
 * the answer or a sync hook needs it), appends one journal row and sets
 * the meta row.
 *
 * The first touch of an object written by the one-blob layout (a "state"
 * table with {"v","s"}) converts it in the same transaction as the
 * request's own writes: members as rows, the version kept, no journal. */
#ifndef CW_SYNC_H
#define CW_SYNC_H

#include "pipeline.h"

/* The largest version: 2^53 - 1, the largest integer a JSON client (a
 * double) holds exactly. A stored version above it is refused as malformed,
 * a write that would pass it is 409 version_limit, and any version a client
 * names (since, base, If-Match in a frame) is at most this. */
#define CW_VERSION_MAX 9007199254740991LL

int cw_sync_get(cw_ctx *ctx);
int cw_sync_patch(cw_ctx *ctx);
int cw_sync_delete(cw_ctx *ctx);
int cw_sync_changes(cw_ctx *ctx);

/* EDGE: the grant a forward hands the owner, into ctx->grant: the caller's
 * scope and actor ("w <actor>"; store.h's journal records the actor). An
 * RPC caller, a worker the owner bound, may name its actor in x-cw-actor.
 * Returns 0, or -1 with ctx->err set. */
int cw_sync_grant(cw_ctx *ctx);

/* 1 when p[0..n) is an idempotency key: 1 to 64 printable ASCII bytes
 * (0x21-0x7e), as the Idempotency-Key header and a patch frame's mid. */
int cw_sync_key_ok(const char *p, size_t n);

/* OWNER, a socket's hello (ctx->id set): 200 and one frame to the socket,
 * {"type":"changes","version","changes":[...]} with the journal after since
 * when it holds them all within one page, else (since < 0 too)
 * {"type":"snapshot","id","version","state"}. Returns 0, or -1 with
 * ctx->err set. */
int cw_sync_hello(cw_ctx *ctx, long long since);

/* OWNER, a socket's patch frame (ctx->id, ctx->mid set): the PATCH steps
 * with patch (an object; stolen), ctx->mid as the idempotency key, and
 * if_match and base when >= 0; the answer is the minimal one ({"id",
 * "version"}, or an error). Returns 0, or -1 with ctx->err set. */
int cw_sync_write(cw_ctx *ctx, json_t *patch, long long if_match, long long base);

/* OWNER: answers 200 with the state view {"id","version","state"} of
 * ctx->id (set by the caller), without conditions: for routes that build
 * on the state (plugin routes). Returns 0, or -1 with ctx->err set. */
int cw_sync_view(cw_ctx *ctx);

#endif
