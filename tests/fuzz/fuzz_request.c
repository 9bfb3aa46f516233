/* fuzz_request - request parsing and routing: any bytes as the envelope, at
 * the edge and, when the edge forwards, as owner over an empty and a stored
 * state; plugin calls and registry operations get a host's answers. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    const char *req = (const char *)data;
    unsigned pick = size ? data[size - 1] : 0;
    cw_ctx *edge = fuzz_run(CW_STAGE_EDGE, req, size, NULL, 0);
    fuzz_settle(edge, pick);
    if (edge->res.action == CW_ACTION_FORWARD) {
        static const char stored[] = "{\"v\":3,\"s\":{\"a\":{\"b\":[1,2]},\"c\":\"x\"}}";
        const char *blobs[2] = {"", stored};
        size_t lens[2] = {0, sizeof stored - 1};
        REQUIRE(edge->res.forward_len >= 1 && edge->res.forward_len <= CW_ID_MAX);
        for (int i = 0; i < 2; i++) {
            cw_ctx *owner = fuzz_run(CW_STAGE_OWNER, req, size, blobs[i], lens[i]);
            fuzz_settle(owner, pick); /* sync hooks */
            fuzz_check_final(owner);
            REQUIRE((owner->res.status == 200) || owner->res.commit_len == 0);
            if (owner->res.commit_len) {
                cw_state st;
                cw_error err;
                REQUIRE(cw_state_load(&st, owner->res.commit, owner->res.commit_len, &err) == 0);
                REQUIRE(st.version == (i ? 4 : 1));
                cw_state_clear(&st);
            }
            if (i == 0) /* the edge context resumes once, with the first answer */
                REQUIRE(cw_pipeline_resume(edge, (int)owner->res.status, owner->res.head,
                                           owner->res.head_len, owner->res.body,
                                           owner->res.body_len, 1) == 0);
            cw_pipeline_free(owner);
        }
        fuzz_settle(edge, pick); /* a request plugin runs after the owner */
    }
    fuzz_check_final(edge);
    cw_pipeline_free(edge);
    return 0;
}
