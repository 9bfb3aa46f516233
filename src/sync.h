/* sync.h - the state routes, in both stages.
 *
 *   GET|HEAD /state/{id}          the state, ETag "<version>" (304 on If-None-Match)
 *   PATCH    /state/{id}          an RFC 7386 merge patch, journaled
 *   DELETE   /state/{id}          erase state and journal; the version goes on
 *   GET      /state/{id}/changes  the journal after ?since=N (&limit=K)
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

int cw_sync_get(cw_ctx *ctx);
int cw_sync_patch(cw_ctx *ctx);
int cw_sync_delete(cw_ctx *ctx);
int cw_sync_changes(cw_ctx *ctx);

/* OWNER: answers 200 with the state view {"id","version","state"} of
 * ctx->id (set by the caller), without conditions: for routes that build
 * on the state (plugin routes). Returns 0, or -1 with ctx->err set. */
int cw_sync_view(cw_ctx *ctx);

#endif
