/* jansson_glue.c - replaces Jansson's hashtable_seed.c: the seed is only
 * ever set by cw_runtime_init from the host's CSPRNG. Jansson's fallback to
 * time and pid (weak against hash flooding, and a WASI clock import) is not
 * linked at all.
 *
 * Nothing else of Jansson's platform side is needed in the module: it
 * parses and prints JSON with its own code (json.c), keeping numbers as
 * written, so Jansson's number conversions (strconv.c) and printf-based
 * formatting are never reached there. The native test build compiles
 * Jansson's strconv.c for the tests' own json_loads / json_dumps. */
#include <stdint.h>

#include "jansson.h"

volatile uint32_t hashtable_seed = 0;

void json_object_seed(size_t seed) {
    /* Only the first non-zero seed counts; 0 (Jansson asking for one before
     * cw_init) gets a fixed non-zero value so hashing still works. */
    if (hashtable_seed == 0)
        hashtable_seed = seed ? (uint32_t)seed : 1u;
}
