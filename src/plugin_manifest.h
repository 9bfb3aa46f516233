/* plugin_manifest.h - the plugins this build accepts (plugins/manifest).
 *
 * A leaf: the manifest compiled in as a table (scripts/plugins.mjs writes
 * it), each plugin with the roles the host uses it for and the versions it
 * accepts. The core module reads it to route /plugins/<name>/... and to
 * check SYNC_HOOKS (plugin_config.h); the contract module, in the plugins worker,
 * to check a plugin before its first use (plugin_contract.h). */
#ifndef CW_PLUGIN_MANIFEST_H
#define CW_PLUGIN_MANIFEST_H

#include <stddef.h>

enum { CW_PLUGIN_ROUTE = 1, CW_PLUGIN_SYNC = 2 };

/* The longest plugin name (scripts/plugins.mjs refuses longer ones). */
#define CW_PLUGIN_NAME_MAX 32

typedef struct {
    const char *name;
    int roles;         /* CW_PLUGIN_* bits the host uses it for */
    const char *range; /* accepted versions, e.g. ">=1.2.0 <2.0.0" */
} cw_plugin_manifest_entry;

/* The entry for name[0..n) (borrowed) with every role bit in roles, or
 * NULL. */
const cw_plugin_manifest_entry *cw_plugin_manifest_find(const char *name, size_t n, int roles);

/* The i-th entry, or NULL past the last. */
const cw_plugin_manifest_entry *cw_plugin_manifest_at(size_t i);

#endif
