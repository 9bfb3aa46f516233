/* plugin.h - the host side of the plugin contract.
 *
 * A leaf module: what plugins this host accepts and which hooks run where.
 * Running them from a request is hooks.h's (above the pipeline).
 *
 * The manifest (plugins/manifest, compiled in as a table) lists the plugins
 * this host accepts: each with its roles (route: mounted at
 * /plugins/<name>/...; sync: a state-sync hook) and the versions it accepts
 * (a semver range). The registry that holds plugin instances is in the glue
 * (worker/plugins.js); it hands each plugin's exports to cw_plugin_check
 * before first use, and keeps the plugin only when the check accepts it.
 *
 * Sync hooks are configured by SYNC_HOOKS (a wrangler var): a JSON object
 * {"<plugin>": {"<id prefix>": <config>, ...}, ...}. For each PATCH, every
 * hook plugin with a prefix of the id (the longest wins) is called with its
 * config and the merged state before the commit; all must accept it. */
#ifndef CW_PLUGIN_H
#define CW_PLUGIN_H

#include <stddef.h>

#include <jansson.h>

#include "error.h"

#define CW_PLUGIN_ABI 1
enum { CW_PLUGIN_ROUTE = 1, CW_PLUGIN_SYNC = 2 };

typedef struct {
    const char *name;
    int roles;         /* CW_PLUGIN_* bits the host uses it for */
    const char *range; /* accepted versions, e.g. ">=1.2.0 <2.0.0" */
} cw_plugin_entry;

/* The manifest entry for name[0..n) with every role bit in roles, or NULL. */
const cw_plugin_entry *cw_plugin_find(const char *name, size_t n, int roles);

/* The exports of plugin ABI 1, in the bit order of cw_plugin_check's
 * exports mask (worker/plugins.js lists the same names). */
#define CW_PLUGIN_EXPORTS                                                                          \
    "memory", "cwp_abi", "cwp_name", "cwp_version", "cwp_caps", "cwp_alloc", "cwp_route", "cwp_sync"

/* What the host read from a plugin before first use: the manifest name it
 * was loaded as, the plugin's own name and version (borrowed; empty when
 * unreadable), its ABI and capability bits (-1 when unreadable), and a bit
 * per CW_PLUGIN_EXPORTS entry it exports. */
typedef struct {
    const char *name, *self, *version;
    size_t name_len, self_len, version_len;
    int abi, caps;
    unsigned exports;
} cw_plugin_facts;

/* Checks a plugin against its manifest entry. Returns NULL when accepted,
 * else why it is refused (NUL-terminated, valid until the next call). */
const char *cw_plugin_check(const cw_plugin_facts *f);

/* Reads SYNC_HOOKS (n bytes, borrowed; n == 0: no hooks). Returns NULL, or
 * why it is refused; then every PATCH is refused (503) until it is fixed,
 * since skipping a configured check would commit unchecked state. */
const char *cw_plugin_configure(const char *hooks, size_t n);

/* Why SYNC_HOOKS was refused, or NULL. */
const char *cw_plugin_config_error(void);

/* The next sync hook for state id[0..n) at hook index *i or after (start
 * with *i = 0): returns the plugin's name and sets *ns to the id prefix
 * that matched (the longest of that plugin's) and *config to its
 * configuration (both borrowed, valid until SYNC_HOOKS is configured
 * again), and moves *i past it; NULL when no hook remains. */
const char *cw_plugin_hook(const char *id, size_t n, int *i, const char **ns, json_t **config);

#endif
