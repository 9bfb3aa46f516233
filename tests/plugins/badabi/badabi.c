/* Test-only: built for a plugin ABI the host does not speak. */
#define CWP_ABI 99
#include "cwp.h"

CWP_PLUGIN("badabi", "1.0.0", CWP_CAP_ROUTE)

static int route(cwp_slice in, cwp_buf *out) {
    (void)in;
    cwp_puts(out, "{\"reached\":true}");
    return 200;
}

CWP_ROUTE(route)
