/* fuzz_errors - the error paths: fuzz bytes become the id, the If-Match,
 * the Content-Type, the request id, the bearer token, the method, the
 * query parameters (since, limit, base), the Idempotency-Key, Prefer and the
 * actor of otherwise valid requests. Every answer must be a defined status,
 * never a 5xx, with a JSON error body whose message is printable ASCII. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    static const char *templates[] = {
        "GET /state/%s\r\n\r\n",
        "PATCH /state/x\r\ncontent-type: application/json\r\nif-match: %s\r\n\r\n{\"a\":1}",
        "PATCH /state/x\r\ncontent-type: %s\r\n\r\n{\"a\":1}",
        "GET /health\r\nx-request-id: %s\r\n\r\n",
        "GET /metrics\r\nauthorization: %s\r\n\r\n",
        "POST /internal/warmup\r\nauthorization: Bearer %s\r\n\r\n",
        "%s /state/x\r\n\r\n",
        "OPTIONS /state/x\r\norigin: %s\r\naccess-control-request-method: PATCH\r\n\r\n",
        "PATCH /state/x\r\ncontent-type: application/json\r\n\r\n{\"%s\":null}",
        "GET /plugins/%s\r\n\r\n",
        "GET /plugins/select/state/x?select=%s\r\n\r\n",
        "POST /internal/plugins/%s/unload\r\nauthorization: Bearer wtok\r\n\r\n",
        "PATCH /state/h%s\r\ncontent-type: application/json\r\n\r\n{\"a\":1}",
        "GET /state/x/changes?since=%s\r\n\r\n",
        "GET /state/x/changes?since=0&limit=%s\r\n\r\n",
        "PATCH /state/x?base=%s\r\ncontent-type: application/json\r\n\r\n{\"a\":1}",
        "PATCH /state/x?since=%s\r\ncontent-type: application/json\r\n\r\n{\"a\":1}",
        "PATCH /state/x\r\ncontent-type: application/json\r\nidempotency-key: %s\r\n\r\n{}",
        "PATCH /state/x\r\ncontent-type: application/json\r\nprefer: %s\r\n\r\n{}",
        "DELETE /state/x\r\nif-none-match: %s\r\n\r\n",
        "PATCH /state/x\r\ncontent-type: application/json\r\nx-cw-actor: %s\r\n\r\n{}",
    };
    char value[512], req[1024];
    size_t n;
    int len;
    const char *tpl;
    if (size < 1)
        return 0;
    tpl = templates[data[0] % (sizeof templates / sizeof templates[0])];
    n = size - 1 < sizeof value - 1 ? size - 1 : sizeof value - 1;
    memcpy(value, data + 1, n);
    value[n] = '\0'; /* %s stops at the first NUL: the rest is still fuzzed bytes */
    len = snprintf(req, sizeof req, tpl, value);
    if (len < 0 || (size_t)len >= sizeof req)
        return 0;
    fuzz_pick = data[0];
    cw_host_reset();
    fuzz_request(req, (size_t)len, 0);
    return 0;
}
