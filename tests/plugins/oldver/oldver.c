/* Test-only: a version outside the manifest's range (>=2.0.0 <3.0.0). */
#include "cwp.h"

CWP_PLUGIN("oldver", "1.4.0", CWP_CAP_ROUTE)

static int route(cwp_slice in, cwp_buf *out) {
    (void)in;
    cwp_puts(out, "{\"reached\":true}");
    return 200;
}

CWP_ROUTE(route)
