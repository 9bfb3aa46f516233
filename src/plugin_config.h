/* plugin_config.h - which sync hooks run where.
 *
 * Running them from a request is plugin_hooks.h's (above the pipeline); the
 * plugins themselves live in the plugins worker (worker/plugins.js), which
 * checks each against its contract (plugin_contract.h) before first use.
 *
 * Sync hooks are configured by SYNC_HOOKS (a wrangler var): a JSON object
 * {"<plugin>": {"<id prefix>": <config>, ...}, ...}. For each PATCH, every
 * hook plugin with a prefix of the id (the longest wins) is called with its
 * config and the merged state before the commit; all must accept it. */
#ifndef CW_PLUGIN_CONFIG_H
#define CW_PLUGIN_CONFIG_H

#include <stddef.h>

#include <jansson.h>

#include "error.h"
#include "plugin_manifest.h"

/* Reads SYNC_HOOKS (n bytes, borrowed; n == 0: no hooks). Returns NULL, or
 * why it is refused; then every PATCH is refused (503) until it is fixed,
 * since skipping a configured check would commit unchecked state. */
const char *cw_plugin_config_load(const char *hooks, size_t n);

/* Why SYNC_HOOKS was refused, or NULL. */
const char *cw_plugin_config_error(void);

/* The next sync hook for state id[0..n) at hook index *i or after (start
 * with *i = 0): returns the plugin's name and sets *ns to the id prefix
 * that matched (the longest of that plugin's) and *config to its
 * configuration (both borrowed, valid until SYNC_HOOKS is configured
 * again), and moves *i past it; NULL when no hook remains. */
const char *cw_plugin_config_hook(const char *id, size_t n, int *i, const char **ns,
                                  json_t **config);

#endif
