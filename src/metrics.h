/* metrics.h - startup phases and request counters of this isolate, and
 * their Prometheus text exposition (format 0.0.4).
 *
 * Durations come from the host's clock. In production Workers that clock
 * advances only across I/O, so in-isolate durations read 0 there; real
 * startup cost is measured from outside (make startup, bench/). */
#ifndef CW_METRICS_H
#define CW_METRICS_H

#include <stdint.h>

#include "buf.h"

typedef enum {
    CW_PHASE_INSTANTIATE = 0, /* new WebAssembly.Instance */
    CW_PHASE_INIT,            /* _initialize + cw_init (seeding) */
    CW_PHASE_CONFIG,          /* environment selection */
    CW_PHASE_FIRST_REQUEST,   /* the first edge request, start to response */
    CW_PHASE_COUNT
} cw_phase;

/* Records the startup of this instance: phase durations in milliseconds,
 * when the isolate made its first instance (the host clock of requests:
 * the start of its uptime), and how many instances the isolate has
 * created so far (more than 1 after a trap replaced one). */
void cw_metrics_startup(double instantiate_ms, double init_ms, double config_ms,
                        double isolate_start_ms, uint32_t instances);

/* Returns 1 exactly once per instance, for its first final edge response
 * (which then carries the cold Server-Timing), and 0 afterwards. */
int cw_metrics_claim_cold(void);

/* Sets a phase's duration in milliseconds. */
void cw_metrics_phase(cw_phase p, double ms);

/* A phase's recorded duration in milliseconds (0 when not recorded). */
double cw_metrics_phase_ms(cw_phase p);

/* The phase's name as used in Server-Timing and metrics ("instantiate"...). */
const char *cw_metrics_phase_name(cw_phase p);

/* Counts one answered edge request. route is borrowed and must be static. */
void cw_metrics_request(const char *route, int status);

/* Counts one warmup run; trigger is "http" or "cron". */
void cw_metrics_warmup(int cron);

/* Appends the exposition to out at host time now_ms. Returns 0, or -1 when
 * out is broken (no memory). */
int cw_metrics_render(cw_buf *out, double now_ms, uint64_t memory_bytes);

/* Appends ms as a decimal with three places ("12.345"); negatives as 0. */
int cw_metrics_put_ms(cw_buf *out, double ms);

#endif
