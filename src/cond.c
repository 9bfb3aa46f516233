/* cond.c - If-Match and If-None-Match over version ETags (see cond.h). */
#include "cond.h"

static int tag_is_version(const char *p, size_t n, long long version) {
    unsigned long long v = 0;
    if (n == 0 || n > 19 || (n > 1 && p[0] == '0'))
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return 0;
        v = v * 10 + (unsigned long long)(p[i] - '0');
    }
    return version >= 0 && v == (unsigned long long)version;
}

static int ows(int c) { return c == ' ' || c == '\t'; }

/* Walks the list h: "*", or entity-tags separated by commas with empty
 * elements skipped. Sets *match when one names version (a weak tag counts
 * only with weak_ok; "*" when version > 0). Returns the number of elements,
 * or -1 on bad syntax. */
static int scan_list(cw_slice h, long long version, int weak_ok, int *match) {
    const char *p = h.p, *end = h.p + h.n;
    int count = 0;
    *match = 0;
    h = cw_http_slice_trim(h);
    if (cw_http_slice_eq(h, "*")) {
        *match = version > 0;
        return 1;
    }
    while (p < end) {
        int weak = 0;
        const char *tag;
        while (p < end && (ows(*p) || *p == ','))
            p++;
        if (p == end)
            break;
        if (end - p >= 2 && p[0] == 'W' && p[1] == '/') {
            weak = 1;
            p += 2;
        }
        if (p == end || *p != '"')
            return -1;
        tag = ++p;
        while (p < end && *p != '"') {
            unsigned char c = (unsigned char)*p++;
            if (c < 0x21 || c == 0x7f) /* etagc = %x21 / %x23-7E / obs-text */
                return -1;
        }
        if (p == end)
            return -1;
        if ((weak_ok || !weak) && tag_is_version(tag, (size_t)(p - tag), version))
            *match = 1;
        p++;
        count++;
        while (p < end && ows(*p))
            p++;
        if (p < end && *p != ',')
            return -1;
    }
    return count;
}

int cw_cond_check(cw_slice if_match, cw_slice if_none_match, int safe, long long version,
                  cw_error *err) {
    int match;
    if (if_match.p) {
        if (scan_list(if_match, version, 0, &match) <= 0)
            return cw_error_set(err, CW_E_INVALID_IF_MATCH, NULL);
        if (version >= 0 && !match)
            return cw_error_set(err, CW_E_PRECONDITION,
                                "If-Match does not match the current version");
    }
    if (if_none_match.p) {
        if (scan_list(if_none_match, version, 1, &match) <= 0)
            return cw_error_set(err, CW_E_INVALID_IF_NONE_MATCH, NULL);
        if (version >= 0 && match) {
            if (safe)
                return CW_COND_NOT_MODIFIED;
            return cw_error_set(err, CW_E_PRECONDITION,
                                "If-None-Match matches the current version");
        }
    }
    return CW_COND_PROCEED;
}
