/* http.c - request envelope parser. */
#include "http.h"

#include <string.h>

#include "fmt.h"

static int lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

int cw_http_slice_eq(cw_slice s, const char *lit) {
    size_t n = strlen(lit);
    return s.p && s.n == n && memcmp(s.p, lit, n) == 0;
}

int cw_http_slice_ieq(cw_slice s, const char *lit) {
    size_t n = strlen(lit);
    if (!s.p || s.n != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)s.p[i]) != lower((unsigned char)lit[i]))
            return 0;
    return 1;
}

cw_slice cw_http_slice_trim(cw_slice s) {
    while (s.n && (s.p[0] == ' ' || s.p[0] == '\t')) {
        s.p++;
        s.n--;
    }
    while (s.n && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t'))
        s.n--;
    return s;
}

static int is_tchar(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && memchr("!#$%&'*+-.^_`|~", c, 15) != NULL);
}

int cw_http_media_type(cw_slice ct, cw_slice *type, cw_slice *charset) {
    const char *p = ct.p, *end;
    charset->p = NULL;
    charset->n = 0;
    if (!p)
        return -1;
    end = p + ct.n;
    while (p < end && *p != ';')
        p++;
    *type = cw_http_slice_trim((cw_slice){ct.p, (size_t)(p - ct.p)});
    while (p < end) {
        cw_slice name, value;
        p++; /* the ';' */
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (p == end || *p == ';')
            continue; /* an empty parameter (RFC 9110 5.6.6) */
        for (name.p = p; p < end && is_tchar((unsigned char)*p); p++)
            ;
        name.n = (size_t)(p - name.p);
        if (!name.n || p == end || *p++ != '=')
            return -1;
        value.p = p;
        if (p < end && *p == '"') {
            value.p = ++p;
            while (p < end && *p != '"' && *p != '\\')
                p++;
            if (p == end || *p != '"')
                return -1; /* unterminated, or a quoted-pair: not a charset we take */
            value.n = (size_t)(p++ - value.p);
        } else {
            while (p < end && is_tchar((unsigned char)*p))
                p++;
            value.n = (size_t)(p - value.p);
            if (!value.n)
                return -1;
        }
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (p < end && *p != ';')
            return -1;
        if (cw_http_slice_ieq(name, "charset")) {
            if (charset->p)
                return -1; /* named twice: which one the sender meant is unknown */
            *charset = value;
        }
    }
    return 0;
}

/* Finds CRLF at or after *at; returns the line and moves *at past it. */
static int next_line(const char *p, size_t n, size_t *at, cw_slice *line) {
    for (size_t i = *at; i + 1 < n; i++) {
        if (p[i] == '\r' && p[i + 1] == '\n') {
            line->p = p + *at;
            line->n = i - *at;
            *at = i + 2;
            return 0;
        }
    }
    return -1;
}

int cw_http_parse(const char *p, size_t n, cw_request *req, cw_error *err) {
    size_t at = 0, i;
    cw_slice line;

    memset(req, 0, sizeof(*req));
    if (!p || next_line(p, n, &at, &line) < 0)
        return cw_error_set(err, CW_E_BAD_REQUEST, "request line missing");
    for (i = 0; i < line.n && is_tchar((unsigned char)line.p[i]); i++)
        ;
    if (i == 0 || i >= line.n || line.p[i] != ' ')
        return cw_error_set(err, CW_E_BAD_REQUEST, "bad request method");
    req->method = (cw_slice){line.p, i};
    req->path = (cw_slice){line.p + i + 1, line.n - i - 1};
    if (req->path.n == 0 || req->path.p[0] != '/')
        return cw_error_set(err, CW_E_BAD_REQUEST, "request target must start with /");
    for (i = 0; i < req->path.n; i++) {
        unsigned char c = (unsigned char)req->path.p[i];
        if (c <= ' ' || c == 0x7f)
            return cw_error_set(err, CW_E_BAD_REQUEST, "bad byte in request target");
        if (c == '?') {
            req->query = (cw_slice){req->path.p + i + 1, req->path.n - i - 1};
            req->path.n = i;
            break;
        }
    }
    for (;;) {
        const char *colon;
        if (next_line(p, n, &at, &line) < 0)
            return cw_error_set(err, CW_E_BAD_REQUEST, "header block not terminated");
        if (line.n == 0)
            break;
        if (req->nheaders == CW_HTTP_MAX_HEADERS)
            return cw_error_set(err, CW_E_BAD_REQUEST, "too many headers");
        colon = memchr(line.p, ':', line.n);
        if (!colon || colon == line.p)
            return cw_error_set(err, CW_E_BAD_REQUEST, "malformed header line");
        for (const char *c = line.p; c < colon; c++)
            if (!is_tchar((unsigned char)*c))
                return cw_error_set(err, CW_E_BAD_REQUEST, "bad header name");
        req->headers[req->nheaders].name = (cw_slice){line.p, (size_t)(colon - line.p)};
        req->headers[req->nheaders].value =
            cw_http_slice_trim((cw_slice){colon + 1, line.n - (size_t)(colon + 1 - line.p)});
        if (req->headers[req->nheaders].value.n > CW_HTTP_MAX_FIELD)
            return cw_error_set(err, CW_E_FIELD_TOO_LARGE, NULL);
        req->nheaders++;
    }
    req->body = (cw_slice){p + at, n - at};
    return 0;
}

cw_slice cw_http_header(const cw_request *req, const char *name) {
    for (size_t i = 0; i < req->nheaders; i++)
        if (cw_http_slice_ieq(req->headers[i].name, name))
            return req->headers[i].value;
    return (cw_slice){NULL, 0};
}

/* The end of p's name when it is name percent-decoded ('=' or stop
 * after it), else NULL. */
static const char *named(const char *p, const char *stop, const char *name) {
    while (p < stop && *p != '=' && *name) {
        int c = (unsigned char)*p++;
        if (c == '%' && stop - p >= 2 && cw_fmt_hex((unsigned char)p[0]) >= 0 &&
            cw_fmt_hex((unsigned char)p[1]) >= 0) {
            c = cw_fmt_hex((unsigned char)p[0]) * 16 + cw_fmt_hex((unsigned char)p[1]);
            p += 2;
        }
        if (c != (unsigned char)*name++)
            return NULL;
    }
    return !*name && (p == stop || *p == '=') ? p : NULL;
}

cw_slice cw_http_query(const cw_request *req, const char *name, int *count) {
    const char *p = req->query.p, *end = p ? p + req->query.n : NULL, *at;
    cw_slice first = {NULL, 0};
    int n = 0;
    while (p && p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p)), *stop = amp ? amp : end;
        if ((at = named(p, stop, name)) && n++ == 0) {
            const char *v = at == stop ? stop : at + 1;
            first = (cw_slice){v, (size_t)(stop - v)};
        }
        if (at && !count)
            break;
        p = amp ? amp + 1 : end;
    }
    if (count)
        *count = n;
    return first;
}

int cw_http_unescape(cw_slice s, cw_buf *out) {
    for (size_t i = 0; i < s.n; i++) {
        char c = s.p[i];
        if (c == '%') {
            int hi = i + 2 < s.n ? cw_fmt_hex((unsigned char)s.p[i + 1]) : -1;
            int lo = hi >= 0 ? cw_fmt_hex((unsigned char)s.p[i + 2]) : -1;
            if (lo < 0)
                return -1;
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        cw_buf_append(out, &c, 1);
    }
    return out->broken ? -1 : 0;
}

int cw_http_uint(cw_slice s, long long *out) {
    long long v = 0;
    if (!s.p || s.n == 0 || s.n > 16)
        return -1;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return -1;
        v = v * 10 + (s.p[i] - '0');
    }
    if (v > 9007199254740991LL)
        return -1;
    *out = v;
    return 0;
}

int cw_http_prefers(cw_slice h, const char *name, const char *value) {
    const char *p = h.p, *end = p ? p + h.n : NULL;
    while (p && p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p)), *stop = comma ? comma : end;
        const char *semi = memchr(p, ';', (size_t)(stop - p));
        cw_slice pref = cw_http_slice_trim((cw_slice){p, (size_t)((semi ? semi : stop) - p)});
        const char *eq = memchr(pref.p, '=', pref.n);
        if (eq) {
            cw_slice k = cw_http_slice_trim((cw_slice){pref.p, (size_t)(eq - pref.p)});
            cw_slice v = cw_http_slice_trim((cw_slice){eq + 1, pref.n - (size_t)(eq + 1 - pref.p)});
            if (v.n >= 2 && v.p[0] == '"' && v.p[v.n - 1] == '"')
                v = (cw_slice){v.p + 1, v.n - 2};
            if (cw_http_slice_ieq(k, name)) /* only the first counts (RFC 7240 2) */
                return cw_http_slice_ieq(v, value);
        }
        p = comma ? comma + 1 : end;
    }
    return 0;
}
