/* merge.h - RFC 7386 JSON Merge Patch. */
#ifndef CW_MERGE_H
#define CW_MERGE_H

#include <jansson.h>

/* Applies patch (borrowed) to target (stolen; may be NULL, meaning absent)
 * per RFC 7386 section 2 and returns the result (new reference). Object
 * targets are modified in place and returned. Values from patch may be shared
 * with the result by reference. On allocation failure target is released and
 * NULL is returned. */
json_t *cw_merge_patch(json_t *target, json_t *patch);

#endif
