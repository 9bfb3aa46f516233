/* plugin_contract.h - the plugin contract: may this host use this plugin?
 *
 * The plugins worker (worker/plugins.js) reads a plugin module's exports
 * before its first use and hands them here; it keeps the plugin only when
 * the check accepts it. This runs in the contract module
 * (build/contract.wasm, exports.c's CW_CONTRACT_MODULE part), not in the
 * core: the core never loads a plugin. */
#ifndef CW_PLUGIN_CONTRACT_H
#define CW_PLUGIN_CONTRACT_H

#include <stddef.h>

#define CW_PLUGIN_ABI 1

/* The exports of plugin ABI 1, in the bit order of cw_plugin_contract_facts'
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
} cw_plugin_contract_facts;

/* Checks a plugin against its manifest entry (plugin_manifest.h). Returns NULL
 * when accepted, else why it is refused (NUL-terminated, valid until the
 * next call). */
const char *cw_plugin_contract_check(const cw_plugin_contract_facts *f);

#endif
