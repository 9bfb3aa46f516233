/* merge.c - RFC 7386 JSON Merge Patch over Jansson values.
 *
 * A direct transcription of the RFC's MergePatch(Target, Patch) pseudocode.
 * Recursion depth is bounded by the parser's depth limit on patch. */
#include "merge.h"

json_t *cw_merge_patch(json_t *target, json_t *patch) {
    const char *key;
    json_t *value;

    if (!json_is_object(patch)) {
        json_decref(target);
        return json_incref(patch);
    }
    if (!json_is_object(target)) {
        json_decref(target);
        target = json_object();
        if (!target)
            return NULL;
    }
    json_object_foreach(patch, key, value) {
        json_t *merged;
        if (json_is_null(value)) {
            json_object_del(target, key);
            continue;
        }
        merged = cw_merge_patch(json_incref(json_object_get(target, key)), value);
        if (!merged || json_object_set_new_nocheck(target, key, merged) < 0) {
            json_decref(target);
            return NULL;
        }
    }
    return target;
}
