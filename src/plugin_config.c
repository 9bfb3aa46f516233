/* plugin_config.c - sync-hook configuration and selection (see plugin_config.h). Global
 * state: hooks / hooks_error, set once by configure. */
#include "plugin_config.h"

#include <string.h>

#include "json.h"

static json_t *hooks;        /* {"<plugin>": {"<prefix>": config}}, or NULL */
static cw_error hooks_error; /* set when SYNC_HOOKS was refused */

const char *cw_plugin_config_load(const char *text, size_t n) {
    cw_error jerr;
    const char *name;
    json_t *v;

    json_decref(hooks); /* a new configuration replaces the old (tests) */
    hooks = NULL;
    cw_error_clear(&hooks_error);
    if (!n)
        return NULL;
    hooks =
        cw_json_parse((cw_slice){text, n}, CW_JSON_MAX_DEPTH, 1L << 30, "SYNC_HOOKS", NULL, &jerr);
    if (!json_is_object(hooks)) {
        cw_error_set2(&hooks_error, CW_E_UNAVAILABLE,
                      "SYNC_HOOKS is not a JSON object: ", hooks ? NULL : jerr.message);
    } else {
        json_object_foreach(hooks, name, v) {
            if (!cw_plugin_manifest_find(name, strlen(name), CW_PLUGIN_SYNC)) {
                cw_error_set2(
                    &hooks_error, CW_E_UNAVAILABLE,
                    "SYNC_HOOKS names a plugin the manifest has no sync hook for: ", name);
                break;
            }
            if (!json_is_object(v)) {
                cw_error_set2(
                    &hooks_error, CW_E_UNAVAILABLE,
                    "SYNC_HOOKS must map each plugin to {\"<id prefix>\": config}: ", name);
                break;
            }
        }
    }
    if (hooks_error.code == CW_E_NONE)
        return NULL;
    json_decref(hooks);
    hooks = NULL;
    return hooks_error.message;
}

const char *cw_plugin_config_error(void) {
    return hooks_error.code != CW_E_NONE ? hooks_error.message : NULL;
}

const char *cw_plugin_config_hook(const char *id, size_t id_len, int *i, const char **ns,
                                  json_t **config) {
    void *it = json_object_iter(hooks);
    for (int k = 0; it; it = json_object_iter_next(hooks, it), k++) {
        const char *prefix;
        json_t *cfg;
        size_t len = 0;
        if (k < *i)
            continue;
        *config = NULL;
        json_object_foreach(json_object_iter_value(it), prefix, cfg) {
            size_t pn = strlen(prefix);
            if (pn <= id_len && memcmp(prefix, id, pn) == 0 && (!*config || pn > len)) {
                *config = cfg;
                *ns = prefix;
                len = pn;
            }
        }
        if (*config) {
            *i = k + 1;
            return json_object_iter_key(it);
        }
    }
    return NULL;
}
