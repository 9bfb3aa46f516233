/* error.c - code table and fixed-size error recording. */
#include "error.h"

#include <stdarg.h>
#include <string.h>

#include "fmt.h"

static const struct {
    const char *name;
    short status;
    const char *message;
} table[CW_E_COUNT] = {
    [CW_E_NONE] = {"none", 200, ""},
    [CW_E_BAD_REQUEST] = {"bad_request", 400, "malformed request"},
    [CW_E_INVALID_JSON] = {"invalid_json", 400, "body is not valid JSON"},
    [CW_E_INVALID_ID] = {"invalid_id", 400, "id must be 1-128 characters of [A-Za-z0-9._~-]"},
    [CW_E_INVALID_IF_MATCH] = {"invalid_if_match", 400,
                               "If-Match must be * or a list of quoted versions"},
    [CW_E_INVALID_IF_NONE_MATCH] = {"invalid_if_none_match", 400,
                                    "If-None-Match must be * or a list of quoted versions"},
    [CW_E_INVALID_PARAMETER] = {"invalid_parameter", 400,
                                "a query parameter must be a non-negative integer"},
    [CW_E_INVALID_KEY] = {"invalid_idempotency_key", 400,
                          "Idempotency-Key must be 1-64 printable ASCII characters, no space"},
    [CW_E_BAD_FRAME] = {"bad_frame", 400, "the frame is not a protocol 1 frame"},
    [CW_E_UPGRADE_REQUIRED] = {"upgrade_required", 426, "open this route with Upgrade: websocket"},
    [CW_E_TOO_MANY_SOCKETS] = {"too_many_connections", 503,
                               "the document holds its most live connections"},
    [CW_E_FORBIDDEN] = {"forbidden", 403, "not allowed for this document"},
    [CW_E_AUTH_UNCONFIGURED] = {"auth_unconfigured", 503,
                                "STATE_KEYS is unset or refused: state routes are closed"},
    [CW_E_CONFLICT] = {"conflict", 409, "a write after the base touched the same paths"},
    [CW_E_HISTORY_GONE] = {"history_gone", 410,
                           "the change history does not reach back that far; get the state"},
    [CW_E_KEY_REUSED] = {"idempotency_key_reused", 422,
                         "this Idempotency-Key was used for another patch"},
    [CW_E_STORAGE] = {"storage_failed", 500, "storage failed; nothing was written"},
    [CW_E_UNAUTHORIZED] = {"unauthorized", 401, "a valid bearer token is required"},
    [CW_E_NOT_FOUND] = {"not_found", 404, "no such route"},
    [CW_E_NO_SUCH_PATH] = {"no_such_path", 404, "the state has no value at this path"},
    [CW_E_METHOD] = {"method_not_allowed", 405, "method not allowed on this route"},
    [CW_E_PRECONDITION] = {"precondition_failed", 412,
                           "a precondition is false for the current version"},
    [CW_E_TOO_LARGE] = {"payload_too_large", 413, "body is over the size limit"},
    [CW_E_MEDIA_TYPE] =
        {"unsupported_media_type", 415,
         "use Content-Type application/merge-patch+json or application/json, in UTF-8"},
    [CW_E_FIELD_TOO_LARGE] = {"header_too_large", 431, "a header value is over 16384 bytes"},
    [CW_E_INVALID_PATCH] = {"invalid_patch", 400, "state must remain a JSON object"},
    [CW_E_INTERNAL] = {"internal", 500, "internal error"},
    [CW_E_TIMEOUT] = {"state_timeout", 504,
                      "the state owner did not answer in time; the write may still commit: "
                      "retry with the same Idempotency-Key"},
    [CW_E_UNAVAILABLE] = {"state_unavailable", 503, "state owner did not answer"},
    [CW_E_PLUGIN_FAILED] = {"plugin_failed", 500, "a plugin failed"},
    [CW_E_PLUGIN_UNAVAILABLE] = {"plugin_unavailable", 503, "a plugin is unavailable"},
    [CW_E_CONFIG_REFUSED] = {"config_refused", 503,
                             "a configured value is refused; the isolate logged why at its start"},
    [CW_E_RATE_LIMITED] = {"rate_limited", 429,
                           "too many frames of this type; wait retry_after_ms"},
    [CW_E_INVALID_TOKEN] = {"invalid_token", 401,
                            "the socket's token no longer holds; connect again with a new token"},
    [CW_E_VERSION_LIMIT] = {"version_limit", 409,
                            "the version would pass 2^53 - 1, the largest integer every JSON "
                            "client holds exactly"},
};

/* Appends src, truncated to fit. Messages can quote request bytes (Jansson's
 * "near '...'"), so anything but printable ASCII becomes '?': a message is
 * always valid UTF-8 and safe to put in a JSON body or a log line, even when
 * truncation falls inside a multi-byte character. */
static size_t append_n(char *dst, size_t at, const char *src, size_t n) {
    if (!src)
        return at;
    for (; n && *src && at < CW_ERROR_TEXT_LENGTH - 1; src++, n--) {
        unsigned char c = (unsigned char)*src;
        dst[at++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    return at;
}

int cw_error_set2(cw_error *err, cw_errcode code, const char *prefix, const char *detail) {
    size_t at;
    if (!err)
        return -1;
    if (code <= CW_E_NONE || code >= CW_E_COUNT)
        code = CW_E_INTERNAL;
    err->code = code;
    if (!prefix && !detail)
        prefix = table[code].message;
    at = append_n(err->message, 0, prefix, (size_t)-1);
    at = append_n(err->message, at, detail, (size_t)-1);
    err->message[at] = '\0';
    return -1;
}

int cw_error_oom(cw_error *err) { return cw_error_set(err, CW_E_INTERNAL, "out of memory"); }

int cw_error_setf(cw_error *err, cw_errcode code, const char *fmt, ...) {
    va_list ap;
    char num[24];
    size_t at = 0;
    if (!err)
        return -1;
    va_start(ap, fmt);
    for (const char *f = fmt; *f && at < CW_ERROR_TEXT_LENGTH - 1; f++) {
        size_t max = (size_t)-1;
        if (*f != '%') {
            err->message[at++] = *f;
            continue;
        }
        if (f[1] == '.')
            for (max = 0, f += 2; *f >= '0' && *f <= '9'; f++)
                max = max * 10 + (size_t)(*f - '0');
        else
            f++;
        if (*f == 'd') {
            long long v = va_arg(ap, long long);
            size_t k =
                cw_fmt_utoa(num + 1, v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v);
            num[0] = '-';
            at = append_n(err->message, at, num + (v >= 0), k + (v < 0));
        } else if (*f == 's') {
            at = append_n(err->message, at, va_arg(ap, const char *), max);
        } else {
            err->message[at++] = '%'; /* not a conversion: copied as it is */
            if (!*f)
                break;
            f--;
        }
    }
    va_end(ap);
    err->message[at] = '\0';
    err->code = code > CW_E_NONE && code < CW_E_COUNT ? code : CW_E_INTERNAL;
    return -1;
}

int cw_error_set(cw_error *err, cw_errcode code, const char *msg) {
    return cw_error_set2(err, code, msg, NULL);
}

void cw_error_clear(cw_error *err) {
    err->code = CW_E_NONE;
    err->message[0] = '\0';
}

int cw_error_status(cw_errcode code) {
    if (code < CW_E_NONE || code >= CW_E_COUNT)
        return 500;
    return table[code].status;
}

const char *cw_error_name(cw_errcode code) {
    if (code < CW_E_NONE || code >= CW_E_COUNT)
        return table[CW_E_INTERNAL].name;
    return table[code].name;
}
