/* buildinfo.h - facts about this build, fixed at compile time.
 * The Makefile passes them as -D definitions to buildinfo.c only. */
#ifndef CW_BUILDINFO_H
#define CW_BUILDINFO_H

typedef struct {
    const char *version;   /* git describe --tags --always --dirty */
    const char *commit;    /* full commit hash, or "unknown" */
    const char *built_at;  /* UTC, RFC 3339 */
    const char *toolchain; /* compiler and wasm-opt versions */
} cw_buildinfo;

/* The build's facts; static storage, never NULL. */
const cw_buildinfo *cw_buildinfo_get(void);

#endif
