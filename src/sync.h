/* sync.h - the state routes, in both stages.
 *
 *   GET|HEAD /state/{id}          the state, ETag "<version>" (304 on If-None-Match)
 *   PATCH    /state/{id}          an RFC 7386 merge patch, journaled
 *   DELETE   /state/{id}          erase state and journal; the version goes on
 *   GET      /state/{id}/changes  the journal after ?since=N (&limit=K)
 *
 * and the same operations for live sockets (live.h). Every commit tells
 * the object's joined sockets (roster.h): a write {"type":"change",
 * "version","patch","actor"} (all but the writer's own socket), a DELETE
 * {"type":"reset","version"} (all).
 *
 * At the edge each handler checks everything it can (id, body, headers,
 * parameters) and forwards to the owner. In the owner (the id's Durable
 * Object) it reads what it needs through the host port (store.h), decides,
 * and writes, all in the request's one transaction; the owner keeps
 * documents between requests (doc.h) and trusts one only after reading the
 * stored version. Costs: a GET whose version the host already holds reads
 * one row and copies nothing; a GET with the document cached copies its
 * cached serialization once; a PATCH parses and serializes the members its
 * patch touches (plus the whole state only when the answer or a sync hook
 * needs it), appends one journal row and sets the meta row.
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

/* A snapshot frame's most bytes: a larger snapshot goes in parts. */
#define CW_SYNC_PART_MAX (1 << 20)

int cw_sync_get(cw_ctx *ctx);
int cw_sync_patch(cw_ctx *ctx);
int cw_sync_delete(cw_ctx *ctx);
int cw_sync_changes(cw_ctx *ctx);

/* OWNER: answers 200 with the state view {"id","version","state"} of
 * ctx->who.id (set by the caller), without conditions: for routes that
 * build on the state (plugin routes). Returns 0, or -1 with ctx->err set. */
int cw_sync_view(cw_ctx *ctx);

/* EDGE: the grant a forward hands the owner, into ctx->input: the caller's
 * scope and actor; an RPC caller, a worker the owner bound, may name its
 * actor in x-cw-actor. Returns 0, or -1 with ctx->err set. */
int cw_sync_grant(cw_ctx *ctx);

/* 1 when p[0..n) is an idempotency key: 1 to 64 printable ASCII bytes
 * (0x21-0x7e), as the Idempotency-Key header and a patch frame's mid. */
int cw_sync_key_ok(const char *p, size_t n);

/* An owner operation a socket's frame runs (the caller frees it). */
typedef struct cw_sync_op cw_sync_op;

/* OWNER, a socket's hello (ctx->who set from its attachment): 200 and one
 * frame to the socket, {"type":"changes","version","changes":[...]} with
 * the journal after since when it holds them all within one page, else
 * (since < 0 too) {"type":"snapshot","id","version","state"} - unless
 * snapshot_wait > 0: then, rather than a snapshot, 429 rate_limited with
 * error.retry_after_ms. *op is the operation (free it with
 * cw_sync_op_free; may be NULL). Returns 0, or -1 with ctx->err set. */
int cw_sync_hello(cw_ctx *ctx, cw_sync_op **op, long long since, long long snapshot_wait);

/* 1 when op's answer was a snapshot. */
int cw_sync_snapshot(const cw_sync_op *op);

/* OWNER, a socket's patch frame: the PATCH steps with patch (an object;
 * stolen), key (its mid) as the idempotency key, and if_match and base
 * when >= 0; the answer is the minimal one ({"id","version"}, or an
 * error). *op as for cw_sync_hello. Returns 0 (the answer may wait for a
 * sync hook: a suspension), or -1 with ctx->err set. */
int cw_sync_write(cw_ctx *ctx, cw_sync_op **op, json_t *patch, const char *key, long long if_match,
                  long long base);

/* The version op's answer names (its write's, or the document's). */
long long cw_sync_version(const cw_sync_op *op);

void cw_sync_op_free(cw_sync_op *op);

#endif
