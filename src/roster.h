/* roster.h - the object's sockets as the module sees them: who is joined,
 * whose grant still holds, and telling them.
 *
 * A socket's facts live in its attachment (kept by the host, so they
 * survive hibernation), a JSON text the module writes. It starts with a
 * fixed head the roster reads without parsing the rest:
 *     {"v":2,"j":<0|1>,"e":<deadline>,"k":"<kid>"[,"f":1], ...the rest (live.h)
 * j: the socket has said hello and hears changes; e: the time (ms since
 * the epoch) its grant ends, the token's exp plus the leeway
 * (CW_ROSTER_NEVER without a token); k: the token's key id ("" without);
 * f: the socket's grant reads only some paths, so a change is told to it
 * in a frame of its own.
 * Attachments of version 1 (before the head) read as joined or not, with
 * no deadline. The host lists the sockets (port.h CW_PORT_SOCKETS), and
 * frames name them by their place in that list (pipeline.h CW_FRAME_*).
 *
 * A grant that no longer holds (past its deadline, or its key no longer
 * configured) ends the socket: it is told nothing more and is closed with
 * CW_CLOSE_EXPIRED or CW_CLOSE_REVOKED, at the next broadcast or its own
 * next frame, whichever comes first. */
#ifndef CW_ROSTER_H
#define CW_ROSTER_H

#include <stdint.h>

#include <jansson.h>

#include "pipeline.h"

#define CW_ROSTER_NEVER 9007199254740991LL /* a deadline that never comes */

/* Application close codes (RFC 6455 section 7.4.2: 4000-4999 are private). */
enum { CW_CLOSE_EXPIRED = 4001, CW_CLOSE_REVOKED = 4002 };

/* The facts of one socket's attachment head. */
typedef struct {
    int joined;
    long long deadline; /* ms since the epoch */
    char kid[65];
    int filtered; /* "f":1 after k: the socket sees only paths (its "rp") */
} cw_roster_head;

/* Appends the head for h to b: everything up to the rest's first member
 * (the caller goes on with ,"name":value members and the closing brace).
 * Returns 0 or -1 as cw_buf_append. */
int cw_roster_write_head(cw_buf *b, const cw_roster_head *h);

/* Reads the head of attachment a[0..n) (borrowed) into h. Returns 0, or -1
 * when it is neither a version 2 head nor a version 1 attachment. */
int cw_roster_read_head(const char *a, size_t n, cw_roster_head *h);

/* 0 when h's grant holds at now_ms; else the close code it ends with
 * (CW_CLOSE_EXPIRED, CW_CLOSE_REVOKED). */
int cw_roster_ended(const cw_roster_head *h, double now_ms);

/* The close reason of code ("token_expired", "key_revoked"). */
const char *cw_roster_reason(int code);

/* OWNER: sends text (borrowed) to every joined socket whose grant holds,
 * but the sender's when others; closes the joined ones whose grant has
 * ended (at ctx->wall_ms). Returns 0, or -1 with ctx->err set. */
int cw_roster_tell(cw_ctx *ctx, const cw_buf *text, int others);

/* The paths a socket reads, from its attachment att: where its grant's
 * list ("rp") and its own ("sp", a hello's paths) both reach (paths.h). 0
 * with *out a new list, or NULL for the whole document; -1 when a stored
 * list is not one, or out of memory. */
int cw_roster_reads(const json_t *att, json_t **out);

/* Appends a whole attachment to out: h's head, then rest's members but the
 * head's. Returns 0 or -1 as cw_buf_append. */
int cw_roster_attachment(const cw_roster_head *h, const json_t *rest, cw_buf *out);

/* Builds a filtered socket's own text for what cw_roster_tell_each tells
 * (its attachment a[0..n), borrowed) into out, and, when the socket's
 * attachment changes with it, the new attachment into att: 1 to send out,
 * 0 to send nothing, -1 with ctx->err set. */
typedef int (*cw_roster_own_fn)(cw_ctx *ctx, void *arg, const char *a, size_t n, cw_buf *out,
                                cw_buf *att);

/* cw_roster_tell, but a filtered socket gets what own builds for it. */
int cw_roster_tell_each(cw_ctx *ctx, const cw_buf *text, int others, cw_roster_own_fn own,
                        void *arg);

/* OWNER: the number of open sockets into *n. Returns 0, or -1 with
 * ctx->err set (the host could not list them). */
int cw_roster_count(cw_ctx *ctx, uint32_t *n);

/* OWNER: appends, comma-separated, fn's entry for each joined socket but
 * the sender whose grant holds: fn(out, attachment, n). Returns 0, or -1
 * with ctx->err set. */
int cw_roster_each(cw_ctx *ctx, cw_buf *out, void (*fn)(cw_buf *out, const char *a, size_t n));

#endif
