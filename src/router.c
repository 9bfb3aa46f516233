/* router.c - table-driven routing. */
#include "router.h"

#include <string.h>

static int path_matches(const char *pattern, cw_slice path, cw_slice *param) {
    size_t plen = strlen(pattern);
    if (plen >= 2 && pattern[plen - 1] == '*' && pattern[plen - 2] == '/') {
        plen--; /* keep the '/' */
        if (path.n < plen || memcmp(path.p, pattern, plen) != 0)
            return 0;
        *param = (cw_slice){path.p + plen, path.n - plen};
        return 1;
    }
    *param = (cw_slice){NULL, 0};
    return path.n == plen && memcmp(path.p, pattern, plen) == 0;
}

/* 1 when method is already an entry of the ", "-separated list. */
static int listed(const char *list, size_t used, const char *method, size_t mlen) {
    size_t at = 0;
    while (at < used) {
        size_t end = at;
        while (end < used && list[end] != ',')
            end++;
        if (end - at == mlen && memcmp(list + at, method, mlen) == 0)
            return 1;
        at = end + 2;
    }
    return 0;
}

/* Appends method to the Allow list unless listed or out of room. */
static void allow(cw_match *m, size_t *used, const char *method) {
    size_t mlen = strlen(method);
    if (listed(m->allow, *used, method, mlen) || *used + mlen + 3 >= CW_ALLOW_MAX)
        return;
    if (*used) {
        memcpy(m->allow + *used, ", ", 2);
        *used += 2;
    }
    memcpy(m->allow + *used, method, mlen);
    *used += mlen;
    m->allow[*used] = '\0';
}

int cw_router_match(const cw_route *table, size_t n, cw_slice method, cw_slice path, cw_match *m,
                    cw_error *err) {
    size_t used = 0;
    int path_seen = 0;
    /* HEAD is GET without the body (RFC 9110 section 9.3.2): it matches the
     * GET routes, and the pipeline drops the body at the edge. */
    int head = cw_slice_eq(method, "HEAD");

    m->route = NULL;
    m->param = (cw_slice){NULL, 0};
    m->allow[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        cw_slice param;
        int get = strcmp(table[i].method, "GET") == 0;
        if (!path_matches(table[i].pattern, path, &param))
            continue;
        if (cw_slice_eq(method, table[i].method) || (head && get)) {
            m->route = &table[i];
            m->param = param;
            return 0;
        }
        path_seen = 1;
        allow(m, &used, table[i].method);
        if (get)
            allow(m, &used, "HEAD");
    }
    if (path_seen)
        return cw_error_set(err, CW_E_METHOD, NULL);
    return cw_error_set(err, CW_E_NOT_FOUND, NULL);
}
