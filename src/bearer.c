/* bearer.c - constant-time bearer token checks. */
#include "bearer.h"

#include <string.h>

int cw_bearer_equal(const char *a, size_t an, const char *b, size_t bn) {
    volatile unsigned char diff = (unsigned char)(an != bn);
    for (size_t i = 0; i < bn; i++)
        diff |= (unsigned char)((i < an ? (unsigned char)a[i] : 0) ^ (unsigned char)b[i]);
    return diff == 0;
}

int cw_bearer_check(cw_slice h, const char *token, int open_without_token, cw_error *err) {
    cw_slice cred;
    if (!token || !*token) {
        if (open_without_token)
            return 0;
        return cw_error_set(err, CW_E_UNAUTHORIZED, "no token is configured for this route");
    }
    if (!h.p)
        return cw_error_set(err, CW_E_UNAUTHORIZED, "Authorization: Bearer <token> required");
    h = cw_http_slice_trim(h);
    if (h.n < 7 || !cw_http_slice_ieq((cw_slice){h.p, 7}, "bearer "))
        return cw_error_set(err, CW_E_UNAUTHORIZED, "Authorization must use the Bearer scheme");
    cred = cw_http_slice_trim((cw_slice){h.p + 7, h.n - 7});
    if (!cw_bearer_equal(cred.p, cred.n, token, strlen(token)))
        return cw_error_set(err, CW_E_UNAUTHORIZED, "token does not match");
    return 0;
}
