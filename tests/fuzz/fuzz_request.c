/* fuzz_request - request parsing and routing: any bytes as the envelope,
 * at the edge and, when it forwards, in the owner with real storage; twice
 * on the same storage, so the second run may meet what the first stored.
 * Plugin calls get a plugin's answers; every answer is checked. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    const char *req = (const char *)data;
    fuzz_pick = size ? data[size - 1] : 0;
    cw_host_reset();
    fuzz_request(req, size, 0);
    fuzz_request(req, size, CW_FLAG_RPC);
    return 0;
}
