/* manifest.c - the manifest table (see manifest.h). */
#include "manifest.h"

#include <string.h>

#include "manifest_table.h" /* generated from plugins/manifest: CW_MANIFEST */

static const cw_manifest_entry manifest[] = {CW_MANIFEST{NULL, 0, NULL}};

const cw_manifest_entry *cw_manifest_find(const char *name, size_t n, int roles) {
    for (const cw_manifest_entry *e = manifest; e->name; e++)
        if (strlen(e->name) == n && memcmp(e->name, name, n) == 0 && (e->roles & roles) == roles)
            return e;
    return NULL;
}

const cw_manifest_entry *cw_manifest_at(size_t i) {
    return i < sizeof manifest / sizeof manifest[0] - 1 ? &manifest[i] : NULL;
}
