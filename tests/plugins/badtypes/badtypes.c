/* Test-only: contract exports of the wrong types. cwp_abi returns an i64
 * (a BigInt in JS) and cwp_caps an f64; the host must refuse the plugin
 * cleanly, without its registry or the host module being harmed. */
#include "cwp.h"

CWP_EXPORT(cwp_abi) long long cwp_abi(void) { return 1; }
CWP_EXPORT(cwp_name) const char *cwp_name(void) { return "badtypes"; }
CWP_EXPORT(cwp_version) const char *cwp_version(void) { return "1.0.0"; }
CWP_EXPORT(cwp_caps) double cwp_caps(void) { return 1.0; }

static int route(cwp_slice in, cwp_buf *out) {
    (void)in;
    cwp_puts(out, "{\"reached\":true}");
    return 200;
}

CWP_ROUTE(route)
