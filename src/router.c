/* router.c - table-driven routing over segment patterns (see router.h). */
#include "router.h"

#include <string.h>

/* Matches path against pattern, filling m's parameters. Returns 1 or 0. */
static int path_matches(const char *pattern, cw_slice path, cw_match *m) {
    const char *p = pattern, *s = path.p, *end = path.p + path.n;
    m->nparams = 0;
    while (*p) {
        if (*p == '{') {
            const char *close = memchr(p, '}', strlen(p));
            int rest = close - p > 4 && memcmp(close - 3, "...", 3) == 0;
            const char *stop = rest ? end : s;
            if (!rest)
                while (stop < end && *stop != '/')
                    stop++;
            if (m->nparams < CW_ROUTE_PARAMS) {
                m->params[m->nparams].name = p + 1;
                m->params[m->nparams].name_len = (size_t)(close - p - 1 - (rest ? 3 : 0));
                m->params[m->nparams].value = (cw_slice){s, (size_t)(stop - s)};
                m->nparams++;
            }
            s = stop;
            p = close + 1;
        } else {
            if (s == end || *s != *p)
                return 0;
            s++;
            p++;
        }
    }
    return s == end;
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
static void add(char *allow, size_t *used, const char *method) {
    size_t mlen = strlen(method);
    if (listed(allow, *used, method, mlen) || *used + mlen + 3 >= CW_ALLOW_MAX)
        return;
    if (*used) {
        memcpy(allow + *used, ", ", 2);
        *used += 2;
    }
    memcpy(allow + *used, method, mlen);
    *used += mlen;
    allow[*used] = '\0';
}

int cw_router_allow(const cw_route *table, size_t n, cw_slice path, char allow[CW_ALLOW_MAX]) {
    size_t used = 0;
    int count = 0;
    cw_match m;
    allow[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if ((table[i].flags & CW_ROUTE_INTERNAL) || !path_matches(table[i].pattern, path, &m))
            continue;
        count++;
        add(allow, &used, table[i].method);
        if (strcmp(table[i].method, "GET") == 0)
            add(allow, &used, "HEAD");
    }
    return count;
}

int cw_router_match(const cw_route *table, size_t n, cw_slice method, cw_slice path, cw_match *m,
                    cw_error *err) {
    /* HEAD is GET without the body (RFC 9110 section 9.3.2). */
    int head = cw_http_slice_eq(method, "HEAD");
    m->route = NULL;
    m->nparams = 0;
    m->allow[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if ((cw_http_slice_eq(method, table[i].method) ||
             (head && strcmp(table[i].method, "GET") == 0)) &&
            path_matches(table[i].pattern, path, m)) {
            m->route = &table[i];
            return 0;
        }
    }
    m->nparams = 0;
    if (cw_router_allow(table, n, path, m->allow))
        return cw_error_set(err, CW_E_METHOD, NULL);
    return cw_error_set(err, CW_E_NOT_FOUND, NULL);
}

cw_slice cw_router_param(const cw_match *m, const char *name) {
    size_t len = strlen(name);
    for (size_t i = 0; i < m->nparams; i++)
        if (m->params[i].name_len == len && memcmp(m->params[i].name, name, len) == 0)
            return m->params[i].value;
    return (cw_slice){NULL, 0};
}
