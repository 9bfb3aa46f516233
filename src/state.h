/* state.h - one versioned state document: load, check, patch, render.
 *
 * The stored form ("blob") is the compact JSON {"v":<version>,"s":<object>}.
 * It is produced only by cw_state_blob and read only by cw_state_load; the
 * Durable Object stores it as opaque text. An id never written is the empty
 * blob, meaning version 0 and state {}. Invariant: doc is always an object
 * and version counts accepted patches exactly. */
#ifndef CW_STATE_H
#define CW_STATE_H

#include <stddef.h>

#include <jansson.h>

#include "buf.h"
#include "error.h"
#include "http.h"

typedef struct {
    long long version; /* accepted patches so far, >= 0 */
    json_t *doc;       /* owned; always an object after a successful load */
} cw_state;

/* Loads n bytes of blob (borrowed; n == 0 means never written) into st.
 * Returns 0, or -1 with err set (CW_E_INTERNAL: corrupt blob or no memory).
 * On failure st holds nothing to release. */
int cw_state_load(cw_state *st, const char *blob, size_t n, cw_error *err);

/* Releases st's document. Safe on a zeroed or failed-load st. */
void cw_state_clear(cw_state *st);

/* Parses a patch body with cw_json_parse (strict RFC 8259 and the limits;
 * see json.h); the state must stay an object, so a non-object patch is
 * CW_E_INVALID_PATCH. Returns a new reference, or NULL with err set
 * (CW_E_INVALID_JSON, CW_E_INVALID_PATCH, or CW_E_INTERNAL). */
json_t *cw_state_parse_patch(cw_slice body, int max_depth, long max_containers, cw_error *err);

/* Applies patch (borrowed, an object) to st in place and increments the
 * version. Returns 0, or -1 with err set (CW_E_INTERNAL on allocation
 * failure), in which case st is left empty (doc NULL) and must not be
 * committed or rendered; cw_state_clear still applies. */
int cw_state_apply(cw_state *st, json_t *patch, cw_error *err);

/* Appends the public view {"id","version","state"} to view and, when blob is
 * not NULL, the stored form to blob, serializing the document once. id must
 * satisfy the id grammar (no escaping is done). Returns 0, or -1 when out of
 * memory. */
int cw_state_render(const cw_state *st, const char *id, cw_buf *view, cw_buf *blob);

#endif
