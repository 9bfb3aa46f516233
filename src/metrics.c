/* metrics.c - counters and their exposition. */
#include "metrics.h"

#include <string.h>

#include "buildinfo.h"

#define MAX_SERIES 64

/* Global state (see runtime.h): this instance's counters. */
static struct {
    double phase_ms[CW_PHASE_COUNT];
    double isolate_start_ms;
    uint32_t instances; /* instances created by this isolate, >= 1 once started */
    int cold_claimed;
    uint64_t warmups[2]; /* [0] http, [1] cron */
    struct {
        const char *route; /* static string */
        int status;
        uint64_t count;
    } series[MAX_SERIES];
    int nseries;
    uint64_t dropped; /* requests whose (route, status) found no free series */
} m;

static const char *const phase_names[CW_PHASE_COUNT] = {"instantiate", "init", "config",
                                                        "first-request"};

void cw_metrics_startup(double instantiate_ms, double init_ms, double config_ms,
                        double isolate_start_ms, uint32_t instances) {
    m.phase_ms[CW_PHASE_INSTANTIATE] = instantiate_ms;
    m.phase_ms[CW_PHASE_INIT] = init_ms;
    m.phase_ms[CW_PHASE_CONFIG] = config_ms;
    m.isolate_start_ms = isolate_start_ms;
    m.instances = instances ? instances : 1;
}

int cw_metrics_claim_cold(void) {
    if (m.cold_claimed)
        return 0;
    m.cold_claimed = 1;
    return 1;
}

void cw_metrics_phase(cw_phase p, double ms) {
    if (p >= 0 && p < CW_PHASE_COUNT)
        m.phase_ms[p] = ms;
}

double cw_metrics_phase_ms(cw_phase p) { return p >= 0 && p < CW_PHASE_COUNT ? m.phase_ms[p] : 0; }

const char *cw_metrics_phase_name(cw_phase p) {
    return p >= 0 && p < CW_PHASE_COUNT ? phase_names[p] : "unknown";
}

void cw_metrics_request(const char *route, int status) {
    for (int i = 0; i < m.nseries; i++) {
        if (m.series[i].status == status && strcmp(m.series[i].route, route) == 0) {
            m.series[i].count++;
            return;
        }
    }
    if (m.nseries == MAX_SERIES) {
        m.dropped++;
        return;
    }
    m.series[m.nseries].route = route;
    m.series[m.nseries].status = status;
    m.series[m.nseries].count = 1;
    m.nseries++;
}

void cw_metrics_warmup(int cron) { m.warmups[cron ? 1 : 0]++; }

/* Appends v / 10^places with exactly places (< 20) decimals. */
static int put_fixed(cw_buf *out, unsigned long long v, int places) {
    char frac[20];
    for (int i = places - 1; i >= 0; i--, v /= 10)
        frac[i] = (char)('0' + v % 10);
    frac[places] = '\0';
    cw_buf_putu(out, v);
    cw_buf_append(out, ".", 1);
    return cw_buf_puts(out, frac);
}

static unsigned long long micros(double ms) {
    return ms > 0 ? (unsigned long long)(ms * 1000 + 0.5) : 0;
}

int cw_metrics_put_ms(cw_buf *out, double ms) { return put_fixed(out, micros(ms), 3); }

/* Seconds with microsecond resolution, from milliseconds. */
static void put_seconds(cw_buf *out, double ms) { put_fixed(out, micros(ms), 6); }

/* A label value with \, " and newline escaped. */
static void put_label(cw_buf *out, const char *v) {
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            cw_buf_append(out, "\\", 1);
        if (*v == '\n')
            cw_buf_puts(out, "\\n");
        else
            cw_buf_append(out, v, 1);
    }
}

/* Every family of the exposition, in order: its name, type and HELP text.
 * Each gets both lines (promtool check metrics refuses a family without
 * HELP); docs/performance.md's metrics table is printed from this one (scripts/doctables.c). */
static const struct {
    const char *name, *type, *help;
} families[] = {
    {"cw_startup_phase_seconds", "gauge",
     "Duration of each startup phase of this isolate's module instance, by the host clock "
     "(in production it advances only across I/O, so CPU-only phases read 0)."},
    {"cw_cold_starts_total", "counter",
     "Module instances this isolate has created: 1, plus one for each instance a trap replaced."},
    {"cw_requests_total", "counter", "Requests answered at the edge, by route and status."},
    {"cw_requests_unlabelled_total", "counter",
     "Requests left out of cw_requests_total because its table of series was full."},
    {"cw_warmups_total", "counter", "Warmup runs, by trigger (http or cron)."},
    {"cw_wasm_memory_bytes", "gauge", "Bytes of the module's linear memory, which never shrinks."},
    {"cw_isolate_uptime_seconds", "gauge",
     "Seconds since this isolate made its first module instance, by the host clock."},
    {"cw_build_info", "gauge", "The build that serves: version, commit and toolchain; always 1."},
};
enum { F_PHASE, F_COLD, F_REQUESTS, F_UNLABELLED, F_WARMUPS, F_MEMORY, F_UPTIME, F_BUILD };

/* The family's HELP and TYPE lines. */
static void header(cw_buf *out, int f) {
    cw_buf_puts(out, "# HELP ");
    cw_buf_puts(out, families[f].name);
    cw_buf_append(out, " ", 1);
    cw_buf_puts(out, families[f].help);
    cw_buf_puts(out, "\n# TYPE ");
    cw_buf_puts(out, families[f].name);
    cw_buf_append(out, " ", 1);
    cw_buf_puts(out, families[f].type);
    cw_buf_append(out, "\n", 1);
}

/* A family with one unlabelled integer sample. */
static void scalar(cw_buf *out, int f, uint64_t value) {
    header(out, f);
    cw_buf_puts(out, families[f].name);
    cw_buf_append(out, " ", 1);
    cw_buf_putu(out, value);
    cw_buf_append(out, "\n", 1);
}

int cw_metrics_render(cw_buf *out, double now_ms, uint64_t memory_bytes) {
    const cw_buildinfo *b = cw_buildinfo_get();

    header(out, F_PHASE);
    for (int p = 0; p < CW_PHASE_COUNT; p++) {
        cw_buf_puts(out, "cw_startup_phase_seconds{phase=\"");
        cw_buf_puts(out, phase_names[p]);
        cw_buf_puts(out, "\"} ");
        put_seconds(out, m.phase_ms[p]);
        cw_buf_append(out, "\n", 1);
    }
    scalar(out, F_COLD, m.instances);

    header(out, F_REQUESTS);
    for (int i = 0; i < m.nseries; i++) {
        cw_buf_puts(out, "cw_requests_total{route=\"");
        put_label(out, m.series[i].route);
        cw_buf_puts(out, "\",status=\"");
        cw_buf_putu(out, (unsigned long long)m.series[i].status);
        cw_buf_puts(out, "\"} ");
        cw_buf_putu(out, m.series[i].count);
        cw_buf_append(out, "\n", 1);
    }
    scalar(out, F_UNLABELLED, m.dropped);

    header(out, F_WARMUPS);
    cw_buf_puts(out, "cw_warmups_total{trigger=\"http\"} ");
    cw_buf_putu(out, m.warmups[0]);
    cw_buf_puts(out, "\ncw_warmups_total{trigger=\"cron\"} ");
    cw_buf_putu(out, m.warmups[1]);
    cw_buf_append(out, "\n", 1);

    scalar(out, F_MEMORY, memory_bytes);

    header(out, F_UPTIME);
    cw_buf_puts(out, "cw_isolate_uptime_seconds ");
    put_seconds(out, now_ms - m.isolate_start_ms);
    cw_buf_append(out, "\n", 1);

    header(out, F_BUILD);
    cw_buf_puts(out, "cw_build_info{version=\"");
    put_label(out, b->version);
    cw_buf_puts(out, "\",commit=\"");
    put_label(out, b->commit);
    cw_buf_puts(out, "\",toolchain=\"");
    put_label(out, b->toolchain);
    return cw_buf_puts(out, "\"} 1\n");
}
