/* jansson_glue.c - our versions of Jansson's two platform-facing files.
 *
 * Replaces hashtable_seed.c: the seed is only ever set by cw_runtime_init
 * from the host's CSPRNG. Jansson's fallback to time and pid (weak against
 * hash flooding, and a WASI clock import) is not linked at all.
 *
 * Replaces strconv.c: numbers use '.' regardless of locale, are read by our
 * exact cw_strtod (src/strtod.h) rather than libc's scanner, and reals are
 * printed in the shortest form that reads back to the same double, so 0.1
 * stays 0.1 rather than Jansson's default 0.10000000000000001. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dtoa.h"
#include "jansson.h"
#include "jansson_private.h"
#include "strbuffer.h"
#include "strtod.h"

volatile uint32_t hashtable_seed = 0;

void json_object_seed(size_t seed) {
    /* Only the first non-zero seed counts; 0 (Jansson asking for one before
     * cw_init) gets a fixed non-zero value so hashing still works. */
    if (hashtable_seed == 0)
        hashtable_seed = seed ? (uint32_t)seed : 1u;
}

int jsonp_strtod(strbuffer_t *strbuffer, double *out) {
    char *end;
    int overflow;
    double value = cw_strtod(strbuffer->value, &end, &overflow);
    if (end != strbuffer->value + strbuffer->length || overflow)
        return -1;
    *out = value;
    return 0;
}

int jsonp_dtostr(char *buffer, size_t size, double value, int precision) {
    (void)precision; /* always the shortest round-trip form */
    return cw_dtoa_real(value, buffer, size);
}
