/* plugin.c - the manifest, the contract check and sync-hook selection (see
 * plugin.h). Global state: hooks / hooks_error, set once by configure. */
#include "plugin.h"

#include <string.h>

#include "fmt.h"
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
    json_error_t jerr;
    const char *name;
    json_t *v;

    json_decref(hooks); /* a new configuration replaces the old (tests) */
    hooks = NULL;
    cw_error_clear(&hooks_error);
    if (!n)
        return NULL;
    hooks = json_loadb(text, n, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(hooks)) {
        cw_error_set2(&hooks_error, CW_E_UNAVAILABLE,
                      "SYNC_HOOKS is not a JSON object: ", hooks ? NULL : jerr.text);
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

int cw_plugin_next_hook(cw_ctx *ctx, const char *view, size_t view_len) {
    void *it = json_object_iter(hooks);
    int i = 0;

    for (; it; it = json_object_iter_next(hooks, it), i++) {
        const char *prefix, *ns = NULL, *name = json_object_iter_key(it);
        json_t *cfg, *best = NULL, *v;
        size_t len = 0;
        if (i < ctx->hook)
            continue;
        json_object_foreach(json_object_iter_value(it), prefix, cfg) {
            size_t pn = strlen(prefix);
            if (pn <= ctx->id_len && memcmp(prefix, ctx->id, pn) == 0 && (!best || pn > len)) {
                best = cfg;
                ns = prefix;
                len = pn;
            }
        }
        if (!best)
            continue;
        ctx->hook = i + 1;
        cw_snprintf(ctx->plugin, sizeof ctx->plugin, "%s", name);
        /* {"namespace":..,"config":..} dumped compact, then the target. */
        ctx->input.len = 0;
        v = json_object();
        json_object_set_new(v, "namespace", json_string(ns));
        json_object_set(v, "config", best);
        if (json_dump_callback(v, cw_buf_sink, &ctx->input, JSON_COMPACT) < 0)
            ctx->input.broken = 1;
        json_decref(v);
        if (ctx->input.len)
            ctx->input.len--; /* the closing brace */
        cw_buf_puts(&ctx->input, ",\"target\":");
        cw_buf_append(&ctx->input, view, view_len);
        if (cw_buf_append(&ctx->input, "}", 1) < 0 || ctx->input.broken)
            return cw_error_set(&ctx->err, CW_E_INTERNAL, "out of memory");
        return 1;
    }
    return 0;
}

int cw_plugin_answer(cw_ctx *ctx, int status, const char *body, size_t n, int respond) {
    json_t *doc = status > 1 ? json_loadb(body, n, 0, NULL) : NULL,
           *err = json_object_get(doc, "error");
    const char *code = json_string_value(json_object_get(err, "code"));
    const char *msg = json_string_value(json_object_get(err, "message"));
    char why[CW_ERROR_TEXT_LENGTH];
    cw_buf out = CW_BUF_INIT;
    int ok = json_is_object(doc);

    if (status >= 200 && status < 300 && ok) {
        json_decref(doc);
        if (!respond)
            return 1;
        cw_buf_append(&out, body, n);
        return cw_respond_buf(ctx, status, "application/json", &out) < 0 ? -1 : 1;
    }
    ctx->head.len = 0;
    if (status >= 400 && status < 500 && code && msg &&
        json_object_set_new(err, "request_id", json_string(ctx->rid)) == 0)
        return cw_respond_json(ctx, status, doc) < 0 ? -1 : 0;
    if (status == 0 || status == 1)
        cw_snprintf(why, sizeof why, "plugin %s %s: %.*s", ctx->plugin,
                    status ? "is unavailable" : "failed", (int)(n < 120 ? n : 120), body);
    else
        cw_snprintf(why, sizeof why, "plugin %s answered %d: %s: %s", ctx->plugin, status,
                    code ? code : "no error code", msg ? msg : "no JSON error body");
    json_decref(doc); /* code and msg point into it */
    return cw_error_set(&ctx->err, status == 1 ? CW_E_PLUGIN_UNAVAILABLE : CW_E_PLUGIN_FAILED, why);
}
