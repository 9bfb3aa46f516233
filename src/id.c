/* id.c - state id decoding and validation. */
#include "id.h"

#include "fmt.h"

static int allowed(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '~' || c == '-';
}

int cw_id_parse(cw_slice raw, char out[CW_ID_MAX + 1], size_t *len, cw_error *err) {
    size_t n = 0;
    for (size_t i = 0; i < raw.n; i++) {
        int c = (unsigned char)raw.p[i];
        if (c == '%') {
            /* Both hex digits must be inside the slice: indices i+1, i+2. */
            int hi = i + 2 < raw.n ? cw_fmt_hex((unsigned char)raw.p[i + 1]) : -1;
            int lo = i + 2 < raw.n ? cw_fmt_hex((unsigned char)raw.p[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return cw_error_set(err, CW_E_INVALID_ID, "id has a malformed percent-escape");
            c = hi * 16 + lo;
            i += 2;
        }
        if (!allowed((unsigned char)c))
            return cw_error_set(err, CW_E_INVALID_ID, NULL);
        if (n == CW_ID_MAX)
            return cw_error_set(err, CW_E_INVALID_ID, "id is longer than 128 characters");
        out[n++] = (char)c;
    }
    out[n] = '\0';
    if (n == 0)
        return cw_error_set(err, CW_E_INVALID_ID, "id is empty");
    if ((n == 1 && out[0] == '.') || (n == 2 && out[0] == '.' && out[1] == '.'))
        return cw_error_set(err, CW_E_INVALID_ID, "id may not be . or ..");
    *len = n;
    return 0;
}
