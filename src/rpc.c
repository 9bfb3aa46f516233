/* rpc.c - RPC calls as requests (see rpc.h). */
#include "rpc.h"

#include <string.h>

#include "json.h"
#include "runtime.h"

/* The options, by their row in options[] below. */
enum { IF_MATCH, IF_NONE_MATCH, KEY, RETURN, ACTOR, AS, BASE, SINCE, LIMIT, PATH };
#define BIT(o) (1u << (o))

/* The methods: the request each stands for, the options it takes, and
 * the one it takes as an argument beside them (-1: none). */
static const struct {
    const char *name, *method, *suffix;
    unsigned takes;
    int arg;
} methods[] = {
    {"syncState", "PATCH", "",
     BIT(IF_MATCH) | BIT(IF_NONE_MATCH) | BIT(KEY) | BIT(RETURN) | BIT(ACTOR) | BIT(AS) |
         BIT(BASE) | BIT(SINCE),
     -1},
    {"getState", "GET", "", BIT(AS) | BIT(PATH), -1},
    {"getChanges", "GET", "/changes", BIT(AS) | BIT(LIMIT), SINCE},
    {"deleteState", "DELETE", "", BIT(IF_MATCH) | BIT(IF_NONE_MATCH) | BIT(ACTOR) | BIT(AS), -1},
};

enum { AS_TEXT, AS_ETAG, AS_PREFER };

/* The options: where each goes, how its value is written, and the error
 * of a value it cannot be. */
static const struct {
    const char *option;
    const char *header; /* NULL: a query parameter named as the option */
    int form;           /* AS_* */
    cw_errcode code;
} options[] = {
    [IF_MATCH] = {"ifMatch", "if-match", AS_ETAG, CW_E_INVALID_IF_MATCH},
    [IF_NONE_MATCH] = {"ifNoneMatch", "if-none-match", AS_ETAG, CW_E_INVALID_IF_NONE_MATCH},
    [KEY] = {"idempotencyKey", "idempotency-key", AS_TEXT, CW_E_INVALID_KEY},
    [RETURN] = {"return", "prefer", AS_PREFER, CW_E_INVALID_PARAMETER},
    [ACTOR] = {"actor", "x-cw-actor", AS_TEXT, CW_E_BAD_REQUEST},
    [AS] = {"as", "x-cw-as", AS_TEXT, CW_E_INVALID_PARAMETER},
    [BASE] = {"base", NULL, AS_TEXT, CW_E_INVALID_PARAMETER},
    [SINCE] = {"since", NULL, AS_TEXT, CW_E_INVALID_PARAMETER},
    [LIMIT] = {"limit", NULL, AS_TEXT, CW_E_INVALID_PARAMETER},
    [PATH] = {"path", NULL, AS_TEXT, CW_E_INVALID_PARAMETER},
};

/* Appends s[0..n) percent-encoded but for the id grammar's bytes. */
static void put_encoded(cw_buf *b, const char *s, size_t n) {
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            cw_buf_append(b, s + i, 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            cw_buf_append(b, e, 3);
        }
    }
}

/* Option k's value v as text into out: a string as it is (no control
 * characters), an integer as its digits (ETag-quoted for preconditions).
 * Returns 0, or -1 with ctx->err set to the option's code. */
static int value_of(cw_ctx *ctx, size_t k, json_t *v, cw_buf *out) {
    size_t n = 0;
    const char *s = cw_json_string(v, &n);
    if (s) {
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
                return cw_error_setf(&ctx->err, options[k].code, "%s holds a control character",
                                     options[k].option);
        if (options[k].form == AS_PREFER)
            cw_buf_puts(out, "return=");
        cw_buf_append(out, s, n);
    } else if (json_is_integer(v) && options[k].form != AS_PREFER) {
        if (options[k].form == AS_ETAG)
            cw_buf_append(out, "\"", 1);
        cw_json_dump(v, out);
        if (options[k].form == AS_ETAG)
            cw_buf_append(out, "\"", 1);
    } else {
        return cw_error_setf(&ctx->err, options[k].code, "%s must be %s", options[k].option,
                             options[k].form == AS_ETAG     ? "a version or an If-Match value"
                             : options[k].form == AS_PREFER ? "a string"
                                                            : "a string or an integer");
    }
    return out->broken ? cw_error_oom(&ctx->err) : 0;
}

/* Checks that opts (the caller's options: an object, or none) names only
 * options method m takes: a misspelt one (IfMatch) would otherwise be a
 * write without its precondition. Returns 0, or -1 with ctx->err set. */
static int known_options(cw_ctx *ctx, size_t m, json_t *opts) {
    const char *key;
    json_t *v;
    if (!opts || json_is_null(opts))
        return 0;
    if (!json_is_object(opts))
        return cw_error_set(&ctx->err, CW_E_BAD_REQUEST, "options must be an object");
    json_object_foreach(opts, key, v) {
        size_t k = 0;
        while (k < sizeof options / sizeof options[0] && strcmp(key, options[k].option))
            k++;
        if (k == sizeof options / sizeof options[0] || !(methods[m].takes >> k & 1)) {
            cw_buf list = CW_BUF_INIT;
            for (k = 0; k < sizeof options / sizeof options[0]; k++)
                if (methods[m].takes >> k & 1) {
                    cw_buf_puts(&list, list.len ? ", " : "");
                    cw_buf_puts(&list, options[k].option);
                }
            cw_error_setf(&ctx->err, CW_E_BAD_REQUEST, "%s takes no option %.40s (it takes %s)",
                          methods[m].name, key, list.p ? list.p : "");
            cw_buf_free(&list);
            return -1;
        }
    }
    return 0;
}

/* The request line's target and the headers, from the call's arguments
 * (getChanges's since beside the options), into ctx->envelope, then the
 * body. */
static int build(cw_ctx *ctx, size_t m, json_t *args) {
    cw_buf *e = &ctx->envelope, query = CW_BUF_INIT, headers = CW_BUF_INIT, v = CW_BUF_INIT;
    json_t *id = json_object_get(args, "id"), *opts = json_object_get(args, "options");
    size_t n = 0;
    const char *s = cw_json_string(id, &n);
    int rc = 0;
    if (!s)
        return cw_error_set(&ctx->err, CW_E_INVALID_ID, "id must be a string");
    if (known_options(ctx, m, opts) < 0)
        return -1;
    e->len = 0;
    cw_buf_puts(e, methods[m].method);
    cw_buf_puts(e, " /state/");
    put_encoded(e, s, n);
    cw_buf_puts(e, methods[m].suffix);
    for (size_t k = 0; k < sizeof options / sizeof options[0] && rc == 0; k++) {
        json_t *o = json_object_get((int)k == methods[m].arg ? args : opts, options[k].option);
        if (!o)
            continue;
        /* Not dropped: { ifMatch: null } would be a write without the
         * precondition its caller meant to give. */
        if (json_is_null(o)) {
            rc = cw_error_setf(&ctx->err, options[k].code, "%s is null: leave it out for none",
                               options[k].option);
            break;
        }
        v.len = 0;
        if ((rc = value_of(ctx, k, o, &v)) < 0)
            break;
        if (options[k].header) {
            cw_buf_puts(&headers, options[k].header);
            cw_buf_puts(&headers, ": ");
            cw_buf_append(&headers, v.p, v.len);
            cw_buf_puts(&headers, "\r\n");
        } else {
            cw_buf_append(&query, query.len ? "&" : "?", 1);
            cw_buf_puts(&query, options[k].option);
            cw_buf_append(&query, "=", 1);
            put_encoded(&query, v.p, v.len);
        }
    }
    if (rc == 0) {
        cw_buf_append(e, query.p, query.len);
        cw_buf_puts(e, "\r\n");
        cw_buf_append(e, headers.p, headers.len);
        if (m == 0)
            cw_buf_puts(e, "content-type: application/merge-patch+json\r\n");
        /* The glue wrote the patch from a JavaScript value (not bytes the
         * caller gave): its words are named (sync.c parse_patch). */
        if (m == 0 && cw_http_slice_eq(cw_http_header(ctx->req, "x-cw-patch"), "value"))
            cw_buf_puts(e, "x-cw-patch: value\r\n");
        cw_buf_puts(e, "\r\n");
        cw_buf_append(e, ctx->req->body.p, ctx->req->body.n);
        if (e->broken)
            rc = cw_error_oom(&ctx->err);
    }
    cw_buf_free(&query);
    cw_buf_free(&headers);
    cw_buf_free(&v);
    return rc;
}

int cw_rpc_call(cw_ctx *ctx) {
    cw_slice name = cw_pipeline_param(ctx, "method");
    json_t *args;
    size_t m;
    int rc;
    if (!(ctx->flags & CW_FLAG_RPC) || ctx->stage != CW_STAGE_EDGE)
        return cw_error_set(&ctx->err, CW_E_NOT_FOUND, NULL);
    for (m = 0; m < sizeof methods / sizeof methods[0] && !cw_http_slice_eq(name, methods[m].name);
         m++)
        ;
    if (m == sizeof methods / sizeof methods[0])
        return cw_error_set(&ctx->err, CW_E_NOT_FOUND, "no such RPC method");
    args = cw_json_parse_js(cw_http_header(ctx->req, "x-cw-args"), 16, 256, "the call's arguments",
                            NULL, &ctx->err);
    if (!args) {
        ctx->err.code = CW_E_BAD_REQUEST;
        return -1;
    }
    rc = build(ctx, m, args);
    json_decref(args);
    return rc < 0 ? -1 : cw_pipeline_reroute(ctx);
}
