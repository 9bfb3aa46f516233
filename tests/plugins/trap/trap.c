/* Test-only: traps on request, as a plugin bug would.
 *   route: GET /plugins/trap/boom traps; any other path answers
 *          {"ok":true,"calls":N}, N counting calls since instantiation (so
 *          a test can see whether the instance survived).
 *   sync:  traps when the merged state has "boom": true; else accepts. */
#include "cwp.h"

CWP_PLUGIN("trap", "1.0.0", CWP_CAP_ROUTE | CWP_CAP_SYNC)

static unsigned long calls;

static int route(cwp_slice in, cwp_buf *out) {
    calls++;
    if (in.n >= 9 && __builtin_memcmp(in.p, "GET /boom", 9) == 0)
        __builtin_trap();
    cwp_puts(out, "{\"ok\":true,\"calls\":");
    cwp_put_uint(out, calls);
    cwp_puts(out, "}");
    return 200;
}

static int sync_hook(cwp_slice in, cwp_buf *out) {
    cwp_slice state = cwpj_get(cwpj_get(cwpj_value(in), "target"), "state");
    if (cwp_is(cwpj_get(state, "boom"), "true"))
        __builtin_trap();
    cwp_puts(out, "{\"valid\":true}");
    return 200;
}

CWP_ROUTE(route)
CWP_SYNC(sync_hook)
