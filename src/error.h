/* error.h - the error vocabulary shared by every module.
 *
 * An error is a stable machine code ("invalid_json"), the HTTP status it maps
 * to, and a human message. cw_error is caller-owned and fixed-size, in the
 * manner of json_error_t, so recording an error never allocates and cannot
 * itself fail. */
#ifndef CW_ERROR_H
#define CW_ERROR_H

#include <stddef.h>

typedef enum {
    CW_E_NONE = 0,
    CW_E_BAD_REQUEST,           /* 400 malformed request envelope or header */
    CW_E_INVALID_JSON,          /* 400 body is not valid JSON */
    CW_E_INVALID_ID,            /* 400 state id fails the id grammar */
    CW_E_INVALID_IF_MATCH,      /* 400 If-Match header is not an entity-tag list */
    CW_E_INVALID_IF_NONE_MATCH, /* 400 If-None-Match header is not an entity-tag list */
    CW_E_INVALID_PARAMETER,     /* 400 a query parameter is malformed (since, limit, base) */
    CW_E_INVALID_KEY,           /* 400 Idempotency-Key is not 1-64 printable ASCII */
    CW_E_BAD_FRAME,             /* 400 a WebSocket frame is malformed (sent as an error frame) */
    CW_E_UNAUTHORIZED,          /* 401 missing or wrong bearer token */
    CW_E_FORBIDDEN,             /* 403 the caller may not do this to this id */
    CW_E_NOT_FOUND,             /* 404 no route */
    CW_E_METHOD,                /* 405 route exists, method does not */
    CW_E_CONFLICT,              /* 409 a write against a base overlaps a later write */
    CW_E_HISTORY_GONE,          /* 410 the journal no longer reaches back that far */
    CW_E_PRECONDITION,          /* 412 If-Match or If-None-Match is false */
    CW_E_TOO_LARGE,             /* 413 body over the configured limit */
    CW_E_MEDIA_TYPE,            /* 415 PATCH body content type not accepted */
    CW_E_FIELD_TOO_LARGE,       /* 431 a header value (or RPC string) is too long */
    CW_E_UPGRADE_REQUIRED,      /* 426 the live route without Upgrade: websocket */
    CW_E_INVALID_PATCH,         /* 400 patch is not an object, or holds a value JSON cannot carry */
    CW_E_KEY_REUSED,            /* 422 an Idempotency-Key came back with another patch */
    CW_E_INTERNAL,              /* 500 a bug or an allocation failure */
    CW_E_STORAGE,               /* 500 the Durable Object could not read or commit */
    CW_E_TIMEOUT,               /* 504 the owner did not answer within the deadline */
    CW_E_UNAVAILABLE,           /* 503 the owning Durable Object could not answer */
    CW_E_TOO_MANY_SOCKETS,      /* 503 the object holds its most WebSockets */
    CW_E_AUTH_UNCONFIGURED,     /* 503 tokens are required and STATE_KEYS is unset or refused */
    CW_E_PLUGIN_FAILED,         /* 500 a plugin trapped or gave no usable answer */
    CW_E_PLUGIN_UNAVAILABLE,    /* 503 a plugin is refused by its contract or cannot load */
    CW_E_VERSION_LIMIT,         /* 409 the version would pass 2^53 - 1 */
    CW_E_RATE_LIMITED,          /* 429 a socket's frames of a type come too fast */
    CW_E_INVALID_TOKEN,         /* 401 a socket's token no longer holds (expired, key gone) */
    CW_E_NO_SUCH_PATH,          /* 404 a read's path names nothing in the state */
    CW_E_CONFIG_REFUSED,        /* 503 /health: a configured value is refused */
    CW_E_COUNT
} cw_errcode;

#define CW_ERROR_TEXT_LENGTH 160

typedef struct {
    cw_errcode code;
    char message[CW_ERROR_TEXT_LENGTH]; /* NUL-terminated printable ASCII, truncated */
} cw_error;

/* Records code and message in err (which may be NULL). Always returns -1 so
 * callers can write `return cw_error_set(err, ...)`. msg is borrowed and may
 * be NULL, in which case the code's default message is used. Bytes outside
 * printable ASCII are stored as '?'. */
int cw_error_set(cw_error *err, cw_errcode code, const char *msg);

/* cw_error_set(err, CW_E_INTERNAL, "out of memory"): returns -1. */
int cw_error_oom(cw_error *err);

/* Like cw_error_set, with the message made of two parts ("prefix" + "detail"),
 * each truncated as needed. Either part may be NULL. Returns -1. */
int cw_error_set2(cw_error *err, cw_errcode code, const char *prefix, const char *detail);

/* Like cw_error_set, with the message built from fmt: "%s" inserts a string
 * (const char *), "%.<n>s" at most n of its bytes, and "%d" a long long
 * (callers cast); anything else is copied as it is. Returns -1. */
int cw_error_setf(cw_error *err, cw_errcode code, const char *fmt, ...);

/* Clears err to CW_E_NONE. err must not be NULL. */
void cw_error_clear(cw_error *err);

/* The HTTP status for code; 500 for out-of-range codes. */
int cw_error_status(cw_errcode code);

/* The stable snake_case name of code, for the JSON body; never NULL. */
const char *cw_error_name(cw_errcode code);

#endif
