/* plugin_registry.h - the plugins worker's registry: each plugin's lifecycle.
 *
 * The plugins worker (worker/plugins.js) instantiates plugin modules and
 * calls them; what state each plugin is in, whether it may be used, loaded
 * again or must be dropped, what is logged and what GET /plugins reports
 * are decided here, in the contract module (build/contract.wasm). One
 * entry per manifest plugin (plugin_manifest.h):
 *
 *   unloaded --check accepts--> loaded
 *       |  \--check refuses--> refused: not used, nor checked again, until
 *       |                      an operator unloads it
 *       \--instantiation or contract exports fail--> failed
 *   loaded --a trap in its code--> failed (its instance is dropped)
 *   failed: the next use loads it again.
 *   any state --unload--> unloaded (a loaded one's instance is dropped)
 *
 * Global state: the table, and the log lines not yet taken. */
#ifndef CW_PLUGIN_REGISTRY_H
#define CW_PLUGIN_REGISTRY_H

#include <stddef.h>

#include "plugin_contract.h"

enum { CW_PLUGIN_UNLOADED, CW_PLUGIN_LOADED, CW_PLUGIN_REFUSED, CW_PLUGIN_FAILED };

/* What the host does to use a plugin (cw_plugin_registry_use). */
enum {
    CW_USE_LIVE = 0, /* call the instance it holds */
    CW_USE_LOAD = 1, /* instantiate it, read its contract, cw_plugin_registry_check */
    CW_USE_NO = 2    /* it cannot be used: cw_plugin_registry_why says why */
};

/* How the host may use plugin name[0..n) now (CW_USE_*). */
int cw_plugin_registry_use(const char *name, size_t n);

/* The contract check of a plugin the host just instantiated (plugin_contract.h),
 * recorded: NULL when accepted (it is loaded), else why it is refused (it
 * stays refused; the host drops the instance). */
const char *cw_plugin_registry_check(const cw_plugin_contract_facts *f);

/* The host could not instantiate the plugin or read its contract, or its
 * instance trapped: it is failed, with cause[0..n) (borrowed); the host
 * drops any instance. */
void cw_plugin_registry_failed(const char *name, size_t n, const char *cause, size_t cause_len);

/* Unloads a plugin: 1 when it was loaded (the host drops its instance),
 * else 0. */
int cw_plugin_registry_unload(const char *name, size_t n);

/* Why the last CW_USE_NO: NUL-terminated, valid until the next call. */
const char *cw_plugin_registry_why(void);

/* The registry as GET /plugins shows it: a JSON array of {"name",
 * "version","abi","state","loads","last_error"}, every plugin, or only
 * name[0..n) when n > 0. NUL-terminated; valid until the next call. NULL
 * when out of memory. */
const char *cw_plugin_registry_report(const char *name, size_t n);

/* The log lines of the transitions since the last call (JSON lines,
 * newline-separated), or "" when none. Valid until the next call. */
const char *cw_plugin_registry_log(void);

#endif
