/* plugin_registry.c - each plugin's lifecycle (see plugin_registry.h). Global state: the
 * table below and the pending log lines. */
#include "plugin_registry.h"

#include <string.h>

#include "buf.h"
#include "plugin_manifest.h"

#define CW_REGISTRY_MAX 64 /* plugins a manifest may list */

static const char *const states[] = {"unloaded", "loaded", "refused", "failed"};

static struct {
    int state;
    int abi;          /* -1: not read yet, or unreadable */
    unsigned loads;   /* times it was loaded */
    char version[65]; /* "" until read */
    char error[256];  /* the last error, "" when none */
} table[CW_REGISTRY_MAX];

static cw_buf log_lines = CW_BUF_INIT, report = CW_BUF_INIT;
static char why[320];
static int ready;

static void start(void) {
    if (ready)
        return;
    for (size_t i = 0; i < CW_REGISTRY_MAX; i++)
        table[i].abi = -1;
    ready = 1;
}

/* The index of name[0..n) in the manifest, or -1. */
static int find(const char *name, size_t n) {
    const cw_plugin_manifest_entry *e;
    start();
    for (size_t i = 0; i < CW_REGISTRY_MAX && (e = cw_plugin_manifest_at(i)); i++)
        if (strlen(e->name) == n && memcmp(e->name, name, n) == 0)
            return (int)i;
    return -1;
}

/* Copies p[0..n) into dst (cap bytes), printable ASCII only. */
static void copy(char *dst, size_t cap, const char *p, size_t n) {
    size_t k;
    for (k = 0; k < n && k < cap - 1; k++)
        dst[k] = p[k] >= 0x20 && p[k] < 0x7f ? p[k] : '?';
    dst[k] = '\0';
}

/* Moves entry i to state, with its error, and logs the move. */
static void move(int i, int state, const char *error, size_t n) {
    const char *name = cw_plugin_manifest_at((size_t)i)->name;
    table[i].state = state;
    if (error)
        copy(table[i].error, sizeof table[i].error, error, n);
    if (state == CW_PLUGIN_LOADED)
        return; /* the normal case: not logged */
    if (log_lines.len)
        cw_buf_append(&log_lines, "\n", 1);
    cw_buf_puts(&log_lines, "{");
    cw_buf_kstr(&log_lines, "level", state == CW_PLUGIN_UNLOADED ? "info" : "error");
    cw_buf_key(&log_lines, "msg");
    cw_buf_puts(&log_lines, state == CW_PLUGIN_UNLOADED  ? "\"plugin unloaded\""
                            : state == CW_PLUGIN_REFUSED ? "\"plugin refused\""
                                                         : "\"plugin failed\"");
    cw_buf_kstr(&log_lines, "plugin", name);
    cw_buf_kstr(&log_lines, "state", states[state]);
    cw_buf_kstr(&log_lines, "cause", table[i].error[0] ? table[i].error : NULL);
    cw_buf_puts(&log_lines, "}");
}

int cw_plugin_registry_use(const char *name, size_t n) {
    int i = find(name, n);
    if (i < 0) {
        copy(why, sizeof why, "not in this build", 17);
        return CW_USE_NO;
    }
    if (table[i].state == CW_PLUGIN_REFUSED) {
        memcpy(why, table[i].error, sizeof table[i].error);
        return CW_USE_NO;
    }
    return table[i].state == CW_PLUGIN_LOADED ? CW_USE_LIVE : CW_USE_LOAD;
}

const char *cw_plugin_registry_check(const cw_plugin_contract_facts *f) {
    int i = find(f->name, f->name_len);
    const char *refused = cw_plugin_contract_check(f);
    if (i < 0)
        return refused;
    table[i].abi = f->abi;
    copy(table[i].version, sizeof table[i].version, f->version, f->version_len);
    if (refused) {
        move(i, CW_PLUGIN_REFUSED, refused, strlen(refused));
        return refused;
    }
    table[i].loads++;
    move(i, CW_PLUGIN_LOADED, NULL, 0);
    return NULL;
}

void cw_plugin_registry_failed(const char *name, size_t n, const char *cause, size_t cause_len) {
    int i = find(name, n);
    if (i >= 0)
        move(i, CW_PLUGIN_FAILED, cause, cause_len);
}

int cw_plugin_registry_unload(const char *name, size_t n) {
    int i = find(name, n), was;
    if (i < 0 || table[i].state == CW_PLUGIN_UNLOADED)
        return 0;
    was = table[i].state == CW_PLUGIN_LOADED;
    move(i, CW_PLUGIN_UNLOADED, NULL, 0);
    return was;
}

const char *cw_plugin_registry_why(void) { return why; }

const char *cw_plugin_registry_report(const char *name, size_t n) {
    const cw_plugin_manifest_entry *e;
    start();
    report.len = 0;
    report.broken = 0;
    cw_buf_puts(&report, "[");
    for (size_t i = 0; i < CW_REGISTRY_MAX && (e = cw_plugin_manifest_at(i)); i++) {
        if (n && (strlen(e->name) != n || memcmp(e->name, name, n) != 0))
            continue;
        if (report.len > 1)
            cw_buf_append(&report, ",", 1);
        cw_buf_puts(&report, "{");
        cw_buf_kstr(&report, "name", e->name);
        cw_buf_kstr(&report, "version", table[i].version[0] ? table[i].version : NULL);
        if (table[i].abi >= 0)
            cw_buf_kint(&report, "abi", table[i].abi);
        else
            cw_buf_kstr(&report, "abi", NULL);
        cw_buf_kstr(&report, "state", states[table[i].state]);
        cw_buf_kint(&report, "loads", table[i].loads);
        cw_buf_kstr(&report, "last_error", table[i].error[0] ? table[i].error : NULL);
        cw_buf_puts(&report, "}");
    }
    cw_buf_append(&report, "]", 2); /* with its NUL */
    return report.broken ? NULL : report.p;
}

const char *cw_plugin_registry_log(void) {
    static char none[1];
    const char *out;
    if (!log_lines.len)
        return none;
    cw_buf_append(&log_lines, "", 1); /* NUL */
    out = log_lines.broken ? none : log_lines.p;
    log_lines.len = 0; /* the text stays readable until the next append */
    log_lines.broken = 0;
    return out;
}
