/* cond.h - conditional requests (RFC 9110 section 13) over version ETags.
 *
 * The ETag of a state is its version, "<version>". An id has a current
 * representation once it has been written (version > 0): that is what "*"
 * matches, so If-None-Match: * on a PATCH means "create only" and
 * If-Match: * means "update only". Lists may hold empty elements, which are
 * skipped (section 5.6.1); a list with no entity-tag at all is malformed. */
#ifndef CW_COND_H
#define CW_COND_H

#include "error.h"
#include "http.h"

enum { CW_COND_PROCEED = 0, CW_COND_NOT_MODIFIED = 1 };

/* Evaluates If-Match (strong comparison) and then If-None-Match (weak
 * comparison), as section 13.2.2 orders them; either slice may be absent
 * (p == NULL). safe: the method is GET or HEAD, where a matching
 * If-None-Match means 304 rather than 412. With version < 0 only the syntax
 * is checked. Returns CW_COND_PROCEED, CW_COND_NOT_MODIFIED, or -1 with err
 * set: CW_E_INVALID_IF_MATCH or CW_E_INVALID_IF_NONE_MATCH (400) for bad
 * syntax, CW_E_PRECONDITION (412) for a condition that is false. */
int cw_cond_check(cw_slice if_match, cw_slice if_none_match, int safe, long long version,
                  cw_error *err);

#endif
