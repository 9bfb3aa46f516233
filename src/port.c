/* port.c - the call into the host (see port.h). */
#include "port.h"

#include <string.h>

#include "alloc.h"

static cw_port_fn host; /* global state (runtime.h): the installed host */

void cw_port_install(cw_port_fn fn) { host = fn; }

int cw_port_call(int op, const cw_cell *in, int n, cw_port_out *out) {
    memset(out, 0, sizeof *out);
    if (!host || host(op, in, n, out) != 0) {
        cw_port_release(out);
        return -1;
    }
    /* A result the host sized wrongly is not read. */
    if ((out->rows || out->cols) && !out->cells) {
        memset(out, 0, sizeof *out);
        return -1;
    }
    return 0;
}

void cw_port_release(cw_port_out *out) {
    cw_alloc_free(out->cells);
    memset(out, 0, sizeof *out);
}

cw_cell cw_port_text(const char *p, size_t n) {
    cw_cell c = {CW_VAL_TEXT, (uint32_t)n, (double)(uintptr_t)p};
    return c;
}

cw_cell cw_port_int(long long v) {
    cw_cell c = {CW_VAL_INT, 0, (double)v};
    return c;
}
