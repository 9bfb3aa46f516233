/* roster.c - the object's sockets (see roster.h). */
#include "roster.h"

#include <string.h>

#include "json.h"
#include "jwt.h"
#include "paths.h"
#include "port.h"
#include "runtime.h"
#include "store.h"

int cw_roster_write_head(cw_buf *b, const cw_roster_head *h) {
    cw_buf_puts(b, "{\"v\":2");
    cw_buf_kint(b, "j", h->joined);
    cw_buf_kint(b, "e", h->deadline);
    cw_buf_kstr(b, "k", h->kid);
    return h->filtered ? cw_buf_kint(b, "f", 1) : (b->broken ? -1 : 0);
}

int cw_roster_attachment(const cw_roster_head *h, const json_t *rest, cw_buf *out) {
    const char *key;
    json_t *v;
    cw_roster_write_head(out, h);
    json_object_foreach((json_t *)rest, key, v) {
        if (key[0] && !key[1] && strchr("vjekf", key[0]))
            continue; /* the head's */
        cw_buf_key(out, key);
        cw_json_dump(v, out);
    }
    return cw_buf_append(out, "}", 1);
}

/* The list stored under key in att into *out (NULL when there is none):
 * 0, or -1 when it is not a list (a stored list is never the whole). */
static int list_at(const json_t *att, const char *key, json_t **out) {
    const json_t *v = json_object_get(att, key);
    const char *why;
    *out = NULL;
    return v && (cw_paths_read(v, out, &why) < 0 || !*out) ? -1 : 0;
}

int cw_roster_reads(const json_t *att, json_t **out) {
    json_t *rp = NULL, *sp = NULL;
    int failed = list_at(att, "rp", &rp) < 0 || list_at(att, "sp", &sp) < 0;
    *out = failed ? NULL : cw_paths_meet(rp, sp, &failed);
    json_decref(rp);
    json_decref(sp);
    return failed ? -1 : 0;
}

/* Reads the literal lit at *p, moving past it. */
static int lit(const char **p, const char *end, const char *lit) {
    size_t n = strlen(lit);
    if ((size_t)(end - *p) < n || memcmp(*p, lit, n) != 0)
        return -1;
    *p += n;
    return 0;
}

/* A version 1 attachment: {"v":1,...,"j":0|1,...}, parsed whole. It kept
 * no expiry: where state routes need a token, such a socket has ended
 * (4001, and its client comes back with a fresh token); where they need
 * none, it never ends. */
static int read_v1(const char *a, size_t n, cw_roster_head *h) {
    json_t *v = cw_json_load(a, n);
    int ok = json_is_object(v) && json_integer_value(json_object_get(v, "v")) == 1;
    if (ok) {
        h->joined = json_integer_value(json_object_get(v, "j")) != 0;
        h->deadline = cw_jwt_keys() || cw_runtime_config()->tokens_required ? 0 : CW_ROSTER_NEVER;
        h->kid[0] = '\0';
    }
    json_decref(v);
    return ok ? 0 : -1;
}

int cw_roster_read_head(const char *a, size_t n, cw_roster_head *h) {
    const char *p = a, *end = a + n, *k;
    long long e = 0;
    if (lit(&p, end, "{\"v\":2,\"j\":") < 0)
        return read_v1(a, n, h);
    if (p == end || (*p != '0' && *p != '1'))
        return -1;
    h->joined = *p++ == '1';
    if (lit(&p, end, ",\"e\":") < 0 || p == end)
        return -1;
    for (; p < end && *p >= '0' && *p <= '9' && e <= CW_ROSTER_NEVER; p++)
        e = e * 10 + (*p - '0');
    if (lit(&p, end, ",\"k\":\"") < 0 || e > CW_ROSTER_NEVER)
        return -1;
    /* Key ids are printable ASCII without quotes or backslashes (jwt.h). */
    for (k = p; p < end && *p != '"' && *p != '\\'; p++)
        ;
    if (p == end || *p != '"' || (size_t)(p - k) >= sizeof h->kid)
        return -1;
    memcpy(h->kid, k, (size_t)(p - k));
    h->kid[p - k] = '\0';
    h->deadline = e;
    p++;
    h->filtered = lit(&p, end, ",\"f\":1") == 0;
    return 0;
}

int cw_roster_ended(const cw_roster_head *h, double now_ms) {
    if (now_ms > (double)h->deadline)
        return CW_CLOSE_EXPIRED;
    if (h->kid[0] && !cw_jwt_kid_known(h->kid))
        return CW_CLOSE_REVOKED;
    return 0;
}

const char *cw_roster_reason(int code) {
    return code == CW_CLOSE_REVOKED ? "key_revoked" : "token_expired";
}

/* Lists the sockets into r (rows of flags, attachment). */
static int list(cw_ctx *ctx, cw_rows *r) {
    cw_cell none = {CW_VAL_NULL, 0, 0};
    memset(r, 0, sizeof *r);
    if (cw_port_call(CW_PORT_SOCKETS, &none, 0, &r->out) < 0 || (r->out.rows && r->out.cols != 2)) {
        cw_store_rows_done(r);
        return cw_error_set(&ctx->err, CW_E_INTERNAL, "the host could not list the sockets");
    }
    r->rows = r->out.rows;
    r->cols = r->out.cols;
    return 0;
}

/* The next socket of r: its flags and attachment. Returns 0, or -1. */
static int next(cw_rows *r, long long *flags, cw_value *att) {
    cw_value f;
    if (cw_store_rows_value(r, &f) < 0 || cw_store_rows_value(r, att) < 0)
        return -1;
    *flags = f.type == CW_VAL_INT ? f.i : 0;
    if (att->type != CW_VAL_TEXT)
        att->n = 0;
    return 0;
}

int cw_roster_tell(cw_ctx *ctx, const cw_buf *text, int others) {
    return cw_roster_tell_each(ctx, text, others, NULL, NULL);
}

int cw_roster_tell_each(cw_ctx *ctx, const cw_buf *text, int others, cw_roster_own_fn own,
                        void *arg) {
    cw_rows r;
    cw_buf mine = CW_BUF_INIT, att_out = CW_BUF_INIT;
    int current = 0, rc = 0; /* current: 1 the shared text is set, 2 a socket's own */
    if (text->broken)
        return cw_error_oom(&ctx->err);
    if (list(ctx, &r) < 0)
        return -1;
    for (uint32_t i = 0; i < r.rows && rc == 0; i++) {
        long long flags;
        cw_value att;
        cw_roster_head h;
        int ended;
        if (next(&r, &flags, &att) < 0)
            break;
        if (!(flags & CW_SOCKET_OPEN) || (others && (flags & CW_SOCKET_SENDER)) ||
            cw_roster_read_head(att.s, att.n, &h) < 0 || !h.joined)
            continue;
        if ((ended = cw_roster_ended(&h, ctx->wall_ms))) {
            rc = cw_pipeline_frame_close(ctx, i, ended, cw_roster_reason(ended));
            continue;
        }
        if (own && h.filtered) {
            mine.len = att_out.len = 0;
            if ((rc = own(ctx, arg, att.s, att.n, &mine, &att_out)) == 1 &&
                (rc = cw_pipeline_frame_text(ctx, mine.p, mine.len)) == 0)
                current = 2, rc = cw_pipeline_frame_to(ctx, i);
            else if (rc > 0)
                rc = 0;
            if (rc == 0 && att_out.len) {
                /* The socket's own attachment moves with what it was told. */
                cw_cell in[2] = {cw_port_text(att_out.p, att_out.len), cw_port_int((long long)i)};
                cw_port_out o;
                if (cw_port_call(CW_PORT_ATTACH, in, 2, &o) < 0)
                    rc = cw_error_set(&ctx->err, CW_E_INTERNAL,
                                      "a socket's state could not be stored");
                else
                    cw_port_release(&o);
            }
            continue;
        }
        if (current != 1)
            current = 1, rc = cw_pipeline_frame_text(ctx, text->p, text->len);
        if (rc == 0)
            rc = cw_pipeline_frame_to(ctx, i);
    }
    cw_store_rows_done(&r);
    cw_buf_free(&mine);
    cw_buf_free(&att_out);
    return rc;
}

int cw_roster_count(cw_ctx *ctx, uint32_t *n) {
    cw_rows r;
    *n = 0;
    if (list(ctx, &r) < 0)
        return -1;
    for (uint32_t i = 0; i < r.rows; i++) {
        long long flags;
        cw_value att;
        if (next(&r, &flags, &att) == 0 && (flags & CW_SOCKET_OPEN))
            (*n)++;
    }
    cw_store_rows_done(&r);
    return 0;
}

int cw_roster_each(cw_ctx *ctx, cw_buf *out, void (*fn)(cw_buf *out, const char *a, size_t n)) {
    cw_rows r;
    if (list(ctx, &r) < 0)
        return -1;
    for (uint32_t i = 0; i < r.rows; i++) {
        long long flags;
        cw_value att;
        cw_roster_head h;
        if (next(&r, &flags, &att) < 0)
            break;
        if (!(flags & CW_SOCKET_OPEN) || (flags & CW_SOCKET_SENDER) ||
            cw_roster_read_head(att.s, att.n, &h) < 0 || !h.joined ||
            cw_roster_ended(&h, ctx->wall_ms))
            continue;
        if (out->len && out->p[out->len - 1] != '[')
            cw_buf_append(out, ",", 1);
        fn(out, att.s, att.n);
    }
    cw_store_rows_done(&r);
    return out->broken ? cw_error_oom(&ctx->err) : 0;
}
