/* semver.c - release version parsing and range checks (see semver.h). */
#include "semver.h"

/* Parses MAJOR.MINOR.PATCH (no leading zeros) from p up to e into v.
 * Returns 0, or -1 when that is not all there is. */
static int parse(const char *p, const char *e, unsigned long v[3]) {
    for (int i = 0; i < 3; i++) {
        const char *s = p;
        v[i] = 0;
        while (p < e && *p >= '0' && *p <= '9' && v[i] < 100000000ul)
            v[i] = v[i] * 10 + (unsigned long)(*p++ - '0');
        if (p == s || (p - s > 1 && *s == '0') || (i < 2 && (p >= e || *p++ != '.')))
            return -1;
    }
    return p == e ? 0 : -1;
}

int cw_semver_satisfies(const char *s, size_t n, const char *range) {
    unsigned long v[3], b[3];
    int ok = 1, any = 0;
    const char *p = range;

    if (parse(s, s + n, v) < 0)
        return -1;
    for (;;) {
        const char *start;
        int lt = 0, gt = 0, eq, c = 0;
        while (*p == ' ')
            p++;
        if (!*p)
            return any ? ok : -2;
        if (*p == '<' || *p == '>')
            lt = *p == '<', gt = !lt, p++;
        eq = *p == '=' || (!lt && !gt);
        p += *p == '=';
        start = p;
        while (*p && *p != ' ')
            p++;
        if (parse(start, p, b) < 0)
            return -2;
        for (int i = 0; i < 3 && !c; i++)
            c = v[i] < b[i] ? -1 : v[i] > b[i];
        ok &= (lt && c < 0) || (gt && c > 0) || (eq && c == 0);
        any = 1;
    }
}
