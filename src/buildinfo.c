/* buildinfo.c - compile-time build facts. */
#include "buildinfo.h"

#ifndef CW_BUILD_VERSION
#define CW_BUILD_VERSION "dev"
#endif
#ifndef CW_BUILD_COMMIT
#define CW_BUILD_COMMIT "unknown"
#endif
#ifndef CW_BUILD_TIME
#define CW_BUILD_TIME "unknown"
#endif
#ifndef CW_BUILD_TOOLCHAIN
#define CW_BUILD_TOOLCHAIN "unknown"
#endif

static const cw_buildinfo info = {CW_BUILD_VERSION, CW_BUILD_COMMIT, CW_BUILD_TIME,
                                  CW_BUILD_TOOLCHAIN};

const cw_buildinfo *cw_buildinfo_get(void) { return &info; }
