/* id.h - the state id grammar.
 *
 * A state id names one Durable Object. After percent-decoding it is 1-128
 * bytes of [A-Za-z0-9._~-], and neither "." nor "..": traversal-looking ids
 * are refused, never normalized, so one id always names one object. */
#ifndef CW_ID_H
#define CW_ID_H

#include <stddef.h>

#include "error.h"
#include "http.h"

#define CW_ID_MAX 128

/* Percent-decodes raw into out (caller-owned, CW_ID_MAX + 1 bytes), NUL-
 * terminates it and stores the length in *len. Returns 0, or -1 with err set
 * to CW_E_INVALID_ID. */
int cw_id_parse(cw_slice raw, char out[CW_ID_MAX + 1], size_t *len, cw_error *err);

#endif
