/* plugin_contract.c - the plugin contract check (see plugin_contract.h). Global state:
 * the last refusal's message. */
#include "plugin_contract.h"

#include <string.h>

#include "error.h"
#include "plugin_manifest.h"
#include "semver.h"

static cw_error refusal;

static const char *refuse(const char *why, const char *p, size_t n) {
    char d[64];
    n = n < sizeof d - 1 ? n : sizeof d - 1;
    memcpy(d, p, n);
    d[n] = '\0';
    cw_error_set2(&refusal, CW_E_PLUGIN_UNAVAILABLE, why, d);
    return refusal.message;
}

const char *cw_plugin_contract_check(const cw_plugin_contract_facts *f) {
    static const char *const names[] = {CW_PLUGIN_EXPORTS};
    const cw_plugin_manifest_entry *e = cw_plugin_manifest_find(f->name, f->name_len, 0);
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
