/* live.h - live sync: WebSockets on the Durable Object hibernation API,
 * protocol version 1 (the README's contract).
 *
 *   GET /state/{id}/live  with Upgrade: websocket: 101 from the Durable
 *                         Object of {id}; without it, 426 upgrade_required;
 *                         503 too_many_connections past the environment's
 *                         socket limit.
 *   WS  /live             (OWNER only; the host's envelope of a socket's
 *                         frame or close, never a client's route): the
 *                         socket's attachment in x-cw-socket, the event in
 *                         x-cw-event ("message" or "close"), x-cw-binary
 *                         for a binary frame, the frame as the body.
 *
 * Client frames (JSON text): hello {"since"?}, patch {"mid","patch",
 * "ifMatch"?,"base"?}, presence {"data"}. Server frames: snapshot or
 * changes and then peers (to a hello), ack or reject (to a patch), change,
 * reset, presence, leave and error. Everything a socket is (its document,
 * peer id, grant, whether it has joined, its bad frames and its presence)
 * is C's JSON in its attachment, kept by the host, so it survives
 * hibernation:
 *   {"v":1,"id","peer","ro":0|1,"actor":..|null,"j":0|1,"bad":N,"data":..|null}
 * A frame's answer is frames only (CW_FRAME_*): the HTTP-shaped result is
 * for the log line. */
#ifndef CW_LIVE_H
#define CW_LIVE_H

#include "pipeline.h"

/* GET /state/{id}/live: at the edge, checks and suspends with
 * CW_ACTION_UPGRADE; in the owner, counts the sockets and accepts. */
int cw_live_open(cw_ctx *ctx);

/* WS /live: one socket event, in the owner. */
int cw_live_frame(cw_ctx *ctx);

#endif
