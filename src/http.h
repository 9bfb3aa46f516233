/* http.h - the request envelope that crosses from JS, parsed without copying.
 *
 * Wire form (built by worker/envelope.js from a fetch Request or an RPC call):
 *     METHOD SP TARGET CRLF
 *     (NAME ":" SP VALUE CRLF)*
 *     CRLF
 *     BODY                        (the rest of the bytes, any length)
 * Every slice in cw_request points into the caller's buffer (borrowed); the
 * buffer must outlive the struct. Nothing is NUL-terminated. In the manner of
 * picohttpparser: no allocation, slices out. */
#ifndef CW_HTTP_H
#define CW_HTTP_H

#include <stddef.h>

#include "buf.h"
#include "error.h"

#define CW_HTTP_MAX_HEADERS 64
#define CW_HTTP_MAX_FIELD 16384 /* longest header value accepted, bytes */

typedef struct {
    const char *p;
    size_t n;
} cw_slice;

typedef struct {
    cw_slice name, value;
} cw_header;

typedef struct {
    cw_slice method;
    cw_slice path;  /* target up to '?' or end */
    cw_slice query; /* after '?', possibly empty */
    cw_header headers[CW_HTTP_MAX_HEADERS];
    size_t nheaders;
    cw_slice body;
} cw_request;

/* Parses n bytes at p into req. Returns 0, or -1 with err set: CW_E_BAD_REQUEST
 * when the envelope is malformed, CW_E_FIELD_TOO_LARGE (431) for a header
 * value longer than CW_HTTP_MAX_FIELD. */
int cw_http_parse(const char *p, size_t n, cw_request *req, cw_error *err);

/* The value of the first header named name (ASCII case-insensitive), or a
 * slice with p == NULL when absent. */
cw_slice cw_http_header(const cw_request *req, const char *name);

/* Splits a Content-Type value ct (RFC 9110 section 8.3.1: type "/" subtype,
 * then "; name=value" parameters, value a token or a quoted string) into
 * the media type (trimmed) and the charset parameter's value (unquoted;
 * p == NULL when absent). Returns 0, or -1 when ct is absent or malformed
 * (charset given twice included). */
int cw_http_media_type(cw_slice ct, cw_slice *type, cw_slice *charset);

/* The raw value of query parameter name: the first "name=value" of the
 * '&'-separated query whose name, percent-decoded, is name ("" for a bare
 * "name"), or {NULL, 0} when absent. The value is not decoded. *count,
 * when count is not NULL, is how many parameters are so named. */
cw_slice cw_http_query(const cw_request *req, const char *name, int *count);

/* Appends s percent-decoded to out ("+" stays "+"). Returns 0, or -1 on
 * a malformed escape (or no memory). */
int cw_http_unescape(cw_slice s, cw_buf *out);

/* Reads s as a non-negative integer: 1-16 ASCII digits, at most 2^53 - 1
 * (exact in JS too). Returns 0 with *out set, or -1. */
int cw_http_uint(cw_slice s, long long *out);

/* 1 when the Prefer header value h (RFC 7240: comma-separated preferences,
 * each token[=value] with ;parameters) states name=value (a token or a
 * quoted string) in its first preference named name (a later one is
 * ignored, RFC 7240 section 2), else 0. */
int cw_http_prefers(cw_slice h, const char *name, const char *value);

/* 1 when s equals the NUL-terminated lit exactly, else 0. */
int cw_http_slice_eq(cw_slice s, const char *lit);

/* 1 when s equals lit ignoring ASCII case, else 0. */
int cw_http_slice_ieq(cw_slice s, const char *lit);

/* s with leading and trailing spaces and tabs removed. */
cw_slice cw_http_slice_trim(cw_slice s);

#endif
