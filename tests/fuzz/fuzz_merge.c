/* fuzz_merge - RFC 7386 merge patch: input is "target\npatch". When both are
 * JSON, applying the patch must succeed and be idempotent, and must not
 * modify the patch. */
#include "fuzz_common.h"
#include "merge.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    const char *s = (const char *)data, *nl = memchr(s, '\n', size);
    size_t flags = JSON_DECODE_ANY | JSON_ALLOW_NUL;
    json_t *target, *patch, *before, *once, *twice;
    if (!nl)
        return 0;
    target = json_loadb(s, (size_t)(nl - s), flags, NULL);
    patch = json_loadb(nl + 1, size - (size_t)(nl - s) - 1, flags, NULL);
    if (target && patch) {
        before = json_deep_copy(patch);
        once = cw_merge_patch(target, patch);
        target = NULL;
        REQUIRE(once != NULL);
        REQUIRE(json_equal(patch, before));
        twice = cw_merge_patch(json_deep_copy(once), patch);
        REQUIRE(json_equal(once, twice));
        if (json_is_object(patch))
            REQUIRE(json_is_object(once));
        json_decref(twice);
        json_decref(once);
        json_decref(before);
    }
    json_decref(target);
    json_decref(patch);
    return 0;
}
