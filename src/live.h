/* live.h - live sync: WebSockets on the Durable Object hibernation API,
 * protocol version 1 (docs/live.md is its contract).
 *
 *   GET /state/{id}/live  with Upgrade: websocket: 101 from the Durable
 *                         Object of {id}; without it, 426 upgrade_required;
 *                         503 too_many_connections past the environment's
 *                         socket limit.
 *   WS  /live             (OWNER only; the host's envelope of a socket's
 *                         frame or close, never a client's route): the
 *                         socket's attachment in x-cw-socket, the event in
 *                         x-cw-event ("message" or "close"), x-cw-binary
 *                         for a binary frame, the frame as the body; a
 *                         close's code in x-cw-code (none: 1005). A
 *                         close is answered with a close to the sender:
 *                         its code echoed when it may be sent, else 1000
 *                         (RFC 6455 5.5.1), so the client's close
 *                         completes.
 *
 * Client frames (JSON, as text or binary): hello {"since"?,"paths"?},
 * paths {"paths"}, patch {"mid","patch","ifMatch"?,"base"?}, presence
 * {"data"}. Server frames: snapshot
 * or changes and then peers (to a hello), ack or reject (to a patch),
 * change, reset, presence, leave and error. Each type is a row of a table:
 * its bucket and its handler.
 *
 * Everything a socket is (its document, peer id, grant and its end, its
 * key, whether it has joined, its rate buckets, its bad frames and its
 * presence) is C's JSON in its attachment, kept by the host so it survives
 * hibernation; it starts with the roster's head (roster.h):
 *   {"v":2,"j","e","k","id","peer","ro","actor","bad","rl":[...],
 *    "snap","strikes","data"}
 * and is stored through the host port (CW_PORT_ATTACH) before anything is
 * told, at most CW_LIVE_ATTACHMENT_MAX bytes of UTF-8: workerd serializes
 * an attachment in at most 16,384 bytes, a string that holds any character
 * past U+00FF as UTF-16, so twice its UTF-8 bytes at worst, less the
 * wrapping. A frame's answer is frames only (CW_FRAME_*): the HTTP-shaped
 * result is for the log line.
 *
 * Every frame is judged against the socket's grant as it is now: past its
 * deadline or with its key gone, a patch is rejected 401 invalid_token
 * (any other frame gets an error frame), nothing is applied, and the
 * socket is closed with 4001 token_expired or 4002 key_revoked. */
#ifndef CW_LIVE_H
#define CW_LIVE_H

#include "config.h"
#include "pipeline.h"

#define CW_LIVE_ATTACHMENT_MAX 8000

/* GET /state/{id}/live: at the edge, checks and suspends with
 * CW_ACTION_UPGRADE; in the owner, counts the sockets and accepts. */
int cw_live_open(cw_ctx *ctx);

/* WS /live: one socket event, in the owner. */
int cw_live_frame(cw_ctx *ctx);

/* The i-th client frame type of the table ("hello", ...), with the name of
 * the rate bucket it takes from in *bucket and that bucket's rate (a
 * second) and burst in cfg's row; NULL past the last. For the docs'
 * generated table (scripts/doctables.c). */
const char *cw_live_frame_type(size_t i, const cw_config *cfg, const char **bucket, long long *rate,
                               long long *burst);

#endif
