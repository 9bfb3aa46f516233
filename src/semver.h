/* semver.h - release versions (MAJOR.MINOR.PATCH) and version ranges.
 *
 * A range is comparators separated by spaces, all of which must hold:
 * ">=1.2.0 <2.0.0". Operators: >= > <= < = (none means =). Versions are
 * compared by their three numbers. Pre-release and build suffixes are not
 * accepted on either side: a host takes release plugins only. */
#ifndef CW_SEMVER_H
#define CW_SEMVER_H

#include <stddef.h>

/* 1 when version v[0..n) satisfies range (NUL-terminated), 0 when not,
 * -1 when v is not MAJOR.MINOR.PATCH, -2 when range is malformed. */
int cw_semver_satisfies(const char *v, size_t n, const char *range);

#endif
