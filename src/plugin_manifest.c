/* plugin_manifest.c - the manifest table (see plugin_manifest.h). */
#include "plugin_manifest.h"

#include <string.h>

#include "manifest_table.h" /* generated from plugins/manifest: CW_MANIFEST */

static const cw_plugin_manifest_entry manifest[] = {CW_MANIFEST{NULL, 0, NULL}};

const cw_plugin_manifest_entry *cw_plugin_manifest_find(const char *name, size_t n, int roles) {
    for (const cw_plugin_manifest_entry *e = manifest; e->name; e++)
        if (strlen(e->name) == n && memcmp(e->name, name, n) == 0 && (e->roles & roles) == roles)
            return e;
    return NULL;
}

const cw_plugin_manifest_entry *cw_plugin_manifest_at(size_t i) {
    return i < sizeof manifest / sizeof manifest[0] - 1 ? &manifest[i] : NULL;
}
