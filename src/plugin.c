/* plugin.c - the manifest, the contract check and sync-hook selection (see
 * plugin.h). Global state: hooks / hooks_error, set once by configure. */
#include "plugin.h"

#include <string.h>

#include "fmt.h"
#include "json.h"
#include "manifest.h" /* generated from plugins/manifest: CW_MANIFEST */
#include "semver.h"

static const cw_plugin_entry manifest[] = {CW_MANIFEST{NULL, 0, NULL}};

static json_t *hooks;        /* {"<plugin>": {"<prefix>": config}}, or NULL */
static cw_error hooks_error; /* set when SYNC_HOOKS was refused */
static cw_error refusal;     /* the last check's message */

const cw_plugin_entry *cw_plugin_find(const char *name, size_t n, int roles) {
    for (const cw_plugin_entry *e = manifest; e->name; e++)
        if (strlen(e->name) == n && memcmp(e->name, name, n) == 0 && (e->roles & roles) == roles)
            return e;
    return NULL;
}

static const char *refuse(const char *why, const char *p, size_t n) {
    char d[64];
    n = n < sizeof d - 1 ? n : sizeof d - 1;
    memcpy(d, p, n);
    d[n] = '\0';
    cw_error_set2(&refusal, CW_E_PLUGIN_UNAVAILABLE, why, d);
    return refusal.message;
}

const char *cw_plugin_check(const cw_plugin_facts *f) {
    static const char *const names[] = {CW_PLUGIN_EXPORTS};
    const cw_plugin_entry *e = cw_plugin_find(f->name, f->name_len, 0);
    unsigned need = 0x3f; /* memory .. cwp_alloc */
    int v;

    if (!e)
        return refuse("not in the manifest: ", f->name, f->name_len);
    if (f->caps > 0)
        need |= (unsigned)(f->caps & 3) << 6; /* cwp_route, cwp_sync */
    for (int i = 0; i < 8; i++)
        if (need & ~f->exports & (1u << i))
            return refuse("missing export ", names[i], strlen(names[i]));
    if (f->abi != CW_PLUGIN_ABI)
        return refuse("built for another plugin ABI; this host speaks ABI ", "1", 1);
    if (f->self_len != f->name_len || memcmp(f->self, f->name, f->name_len) != 0)
        return refuse("its own name differs: ", f->self, f->self_len);
    v = cw_semver_satisfies(f->version, f->version_len, e->range);
    if (v < 0)
        return v == -1 ? refuse("version is not MAJOR.MINOR.PATCH: ", f->version, f->version_len)
                       : refuse("the manifest range is malformed: ", e->range, strlen(e->range));
    if (v == 0)
        return refuse("version is outside the accepted range ", e->range, strlen(e->range));
    if (f->caps < 0 || (f->caps & e->roles) != e->roles)
        return refuse("lacks a capability the manifest uses it for: ",
                      e->roles & CW_PLUGIN_SYNC ? "sync" : "route",
                      e->roles & CW_PLUGIN_SYNC ? 4 : 5);
    return NULL;
}

const char *cw_plugin_configure(const char *text, size_t n) {
    cw_error jerr;
    const char *name;
    json_t *v;

    json_decref(hooks); /* a new configuration replaces the old (tests) */
    hooks = NULL;
    cw_error_clear(&hooks_error);
    if (!n)
        return NULL;
    hooks = cw_json_parse((cw_slice){text, n}, CW_JSON_MAX_DEPTH, 1L << 30, "SYNC_HOOKS", &jerr);
    if (!json_is_object(hooks)) {
        cw_error_set2(&hooks_error, CW_E_UNAVAILABLE,
                      "SYNC_HOOKS is not a JSON object: ", hooks ? NULL : jerr.message);
    } else {
        json_object_foreach(hooks, name, v) {
            if (!cw_plugin_find(name, strlen(name), CW_PLUGIN_SYNC)) {
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

const char *cw_plugin_hook(const char *id, size_t id_len, int *i, const char **ns,
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
