/* fuzz_state - state apply with limits, through the owner stage: the input's
 * first line is a first patch (making a real stored blob), the second byte
 * picks an If-Match, the rest is the second patch. Checks versioning and
 * that nothing but a 200 commits. */
#include "fuzz_common.h"

static cw_ctx *patch_req(const char *body, size_t n, const char *if_match, const char *blob,
                         size_t bn) {
    size_t cap = n + 256;
    char *req = malloc(cap);
    int h =
        snprintf(req, cap, "PATCH /state/f\r\ncontent-type: application/json\r\n%s%s%s\r\n",
                 if_match ? "if-match: " : "", if_match ? if_match : "", if_match ? "\r\n" : "");
    cw_ctx *ctx;
    memcpy(req + h, body, n);
    ctx = fuzz_run(CW_STAGE_OWNER, req, (size_t)h + n, blob, bn);
    free(req);
    return ctx;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    static const char *tags[] = {NULL, "\"1\"", "\"0\"", "*", "W/\"1\"", "\"1\", \"2\"", "1"};
    const char *s = (const char *)data, *nl = memchr(s, '\n', size);
    cw_ctx *first, *second;
    const char *tag;
    if (!nl || (size_t)(nl - s) + 2 > size)
        return 0;
    first = patch_req(s, (size_t)(nl - s), NULL, "", 0);
    fuzz_check_final(first);
    REQUIRE((first->res.status == 200) == (first->res.commit_len > 0));
    tag = tags[(unsigned char)nl[1] % (sizeof tags / sizeof tags[0])];
    second = patch_req(nl + 2, size - (size_t)(nl - s) - 2, tag, first->res.commit,
                       first->res.commit_len);
    fuzz_check_final(second);
    REQUIRE((second->res.status == 200) == (second->res.commit_len > 0));
    if (second->res.commit_len) {
        cw_state before, after;
        cw_error err;
        /* An empty commit means never written: version 0. */
        REQUIRE(cw_state_load(&before, first->res.commit, first->res.commit_len, &err) == 0);
        REQUIRE(cw_state_load(&after, second->res.commit, second->res.commit_len, &err) == 0);
        REQUIRE(after.version == before.version + 1);
        REQUIRE(json_is_object(after.doc));
        cw_state_clear(&before);
        cw_state_clear(&after);
    }
    cw_pipeline_free(first);
    cw_pipeline_free(second);
    return 0;
}
