/* jwt.c - signed per-document tokens (see jwt.h). */
#include "jwt.h"

#include <string.h>

#include "alloc.h"
#include "bearer.h"
#include "http.h"
#include "json.h"
#include "paths.h"

static json_t *keys; /* STATE_KEYS as given: {"<kid>": "<base64url secret>"}, or NULL */
static int keys_state;

long cw_jwt_base64url_decode(const char *s, size_t n, unsigned char *out) {
    unsigned long acc = 0;
    long len = 0;
    int bits = 0;
    if (n % 4 == 1)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        int v = c >= 'A' && c <= 'Z'   ? c - 'A'
                : c >= 'a' && c <= 'z' ? c - 'a' + 26
                : c >= '0' && c <= '9' ? c - '0' + 52
                : c == '-'             ? 62
                : c == '_'             ? 63
                                       : -1;
        if (v < 0)
            return -1;
        acc = acc << 6 | (unsigned long)v;
        if ((bits += 6) >= 8)
            out[len++] = (unsigned char)(acc >> (bits -= 8));
    }
    /* The unused low bits of the last character must be 0 (canonical). */
    return acc & ((1ul << bits) - 1) ? -1 : len;
}

/* A kid as the socket roster can carry it: 1-64 printable ASCII, no '"' or '\\'. */
static int kid_ok(const char *k) {
    size_t n = strlen(k);
    for (size_t i = 0; i < n; i++)
        if (k[i] <= 0x20 || k[i] > 0x7e || k[i] == '"' || k[i] == '\\')
            return 0;
    return n >= 1 && n <= 64;
}

const char *cw_jwt_configure(const char *text, size_t n) {
    cw_error err;
    const char *kid;
    json_t *v;
    json_decref(keys);
    keys = NULL;
    keys_state = 0;
    if (!n)
        return NULL;
    keys_state = -1;
    keys = cw_json_parse((cw_slice){text, n}, 4, 1, "STATE_KEYS", NULL, &err);
    if (!json_is_object(keys) || !json_object_size(keys))
        return "STATE_KEYS is not a JSON object of keys";
    json_object_foreach(keys, kid, v) {
        unsigned char raw[256];
        size_t vn = 0;
        const char *vs = cw_json_string(v, &vn);
        long len = vs && vn <= 340 ? cw_jwt_base64url_decode(vs, vn, raw) : -1;
        if (!kid_ok(kid) || len < 32)
            return "STATE_KEYS: keys are 32-255 bytes, base64url; kids 1-64 printable ASCII "
                   "characters but space, quote and backslash";
    }
    keys_state = 1;
    return NULL;
}

int cw_jwt_keys(void) { return keys_state; }

int cw_jwt_kid_known(const char *kid) { return keys_state == 1 && json_object_get(keys, kid); }

int cw_jwt_actor_ok(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f ||
            ((unsigned char)s[i] == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] < 0xa0))
            return 0;
    return 1;
}

static int refuse(cw_error *err, const char *why) {
    return cw_error_set2(err, CW_E_UNAUTHORIZED, "invalid token: ", why);
}

/* A header field's or claim's string, or NULL, as for one that is not a
 * string, when it holds a NUL: read as a C string it would end there
 * ("admin\u0000x" would name admin). */
static const char *text(const json_t *v) {
    size_t n;
    const char *s = cw_json_string(v, &n);
    return s && !memchr(s, 0, n) ? s : NULL;
}

/* A segment's JSON object, or NULL. */
static json_t *segment(const char *s, size_t n) {
    unsigned char raw[CW_JWT_MAX];
    long len = cw_jwt_base64url_decode(s, n, raw);
    json_t *v = len < 0 ? NULL : cw_json_load((const char *)raw, (size_t)len);
    if (json_is_object(v))
        return v;
    json_decref(v);
    return NULL;
}

/* An integer claim: its value, -1 when absent, -2 when of another type. */
static long long int_claim(json_t *claims, const char *key) {
    json_t *v = json_object_get(claims, key);
    return !v ? -1 : json_is_integer(v) && json_integer_value(v) >= 0 ? json_integer_value(v) : -2;
}

/* The "paths" claim: {"read"?: [pointers], "write"?: [pointers]}, each
 * list in its normal form (paths.h); a list left out, or holding "", is
 * the whole document (NULL). */
static int read_paths(json_t *v, cw_token *tok, cw_error *err) {
    const char *key, *why = NULL;
    json_t *list;
    if (!v)
        return 0;
    if (!json_is_object(v))
        return refuse(err, "paths must be an object of read and write lists");
    json_object_foreach(v, key, list) {
        json_t **to = strcmp(key, "read") == 0    ? &tok->read_paths
                      : strcmp(key, "write") == 0 ? &tok->write_paths
                                                  : NULL;
        if (!to)
            return refuse(err, "paths may hold only read and write");
        if (cw_paths_read(list, to, &why) < 0)
            return cw_error_setf(err, CW_E_UNAUTHORIZED, "invalid token: paths.%s %s", key, why);
    }
    return 0;
}

int cw_jwt_parse(const char *t, size_t n, cw_token *tok, cw_error *err) {
    const char *dot1 = n <= CW_JWT_MAX ? memchr(t, '.', n) : NULL;
    const char *dot2 = dot1 ? memchr(dot1 + 1, '.', (size_t)(t + n - dot1 - 1)) : NULL;
    json_t *head = NULL, *claims = NULL, *v;
    const char *s;
    size_t i, sn;
    size_t sig = dot2 ? (size_t)(t + n - dot2 - 1) : 0;
    int rc = -1;

    memset(tok, 0, sizeof *tok);
    if (n > CW_JWT_MAX)
        return refuse(err, "over 4096 bytes");
    if (!dot2 || memchr(dot2 + 1, '.', sig))
        return refuse(err, "not three base64url segments");
    if (sig != 43 || cw_jwt_base64url_decode(dot2 + 1, sig, tok->mac) != CW_JWT_MAC)
        return refuse(err, "bad signature encoding");
    if (!(head = segment(t, (size_t)(dot1 - t))) ||
        !(claims = segment(dot1 + 1, (size_t)(dot2 - dot1 - 1)))) {
        refuse(err, "a segment is not base64url JSON");
        goto out;
    }
    s = text(json_object_get(head, "alg"));
    if (!s || strcmp(s, "HS256") != 0) {
        refuse(err, "alg must be HS256");
        goto out;
    }
    /* typ, a media type, compares without case (RFC 7515 4.1.9). */
    v = json_object_get(head, "typ");
    s = text(v);
    if ((v && (!s || (!cw_http_slice_ieq((cw_slice){s, strlen(s)}, "jwt") &&
                      !cw_http_slice_ieq((cw_slice){s, strlen(s)}, "application/jwt")))) ||
        json_object_get(head, "crit")) {
        refuse(err, "bad typ, or crit");
        goto out;
    }
    s = text(json_object_get(head, "kid"));
    sn = s ? strlen(s) : 0;
    if (sn < 1 || sn > 64 || !(v = json_object_get(keys, s))) {
        refuse(err, "kid names no key");
        goto out;
    }
    memcpy(tok->kid, s, sn + 1);
    {
        size_t kn;
        const char *k = cw_json_string(v, &kn); /* checked by cw_jwt_configure */
        tok->key_len = (size_t)cw_jwt_base64url_decode(k, kn, tok->key);
    }
    /* The claims, with their types: a string claim is a JSON string (a
     * number is never one), an integer claim a JSON integer. */
    s = text(json_object_get(claims, "sub"));
    sn = s ? strlen(s) : 0;
    if (sn < 1 || sn > 128 || !cw_jwt_actor_ok(s, sn)) {
        refuse(err, "bad sub");
        goto out;
    }
    memcpy(tok->sub, s, sn + 1);
    s = text(json_object_get(claims, "scope"));
    tok->write = s && strcmp(s, "write") == 0;
    tok->docs = json_incref(json_object_get(claims, "docs"));
    json_array_foreach(tok->docs, i, v) if (!cw_json_string(v, NULL)) break;
    if (!s || (!tok->write && strcmp(s, "read") != 0) || !json_is_array(tok->docs) ||
        i < json_array_size(tok->docs)) {
        refuse(err, "bad scope or docs");
        goto out;
    }
    if (read_paths(json_object_get(claims, "paths"), tok, err) < 0)
        goto out;
    tok->exp = int_claim(claims, "exp");
    tok->nbf = int_claim(claims, "nbf");
    tok->iat = int_claim(claims, "iat");
    if (tok->exp < 0 || tok->nbf < -1 || tok->iat < -1) {
        refuse(err, "bad exp, nbf or iat");
        goto out;
    }
    tok->signed_len = (size_t)(dot2 - t);
    rc = 0;
out:
    json_decref(head);
    json_decref(claims);
    if (rc < 0)
        cw_jwt_free(tok);
    return rc;
}

int cw_jwt_mac_ok(const cw_token *tok, const unsigned char *mac) {
    return cw_bearer_equal((const char *)mac, CW_JWT_MAC, (const char *)tok->mac, CW_JWT_MAC);
}

int cw_jwt_allows(const cw_token *tok, const char *id, size_t n, int write, long long now_s,
                  long long leeway, cw_error *err) {
    size_t i;
    json_t *v;
    /* Written so nothing overflows: exp, nbf and iat may be any int64,
     * now_s and leeway are small. */
    if (now_s - leeway > tok->exp)
        return refuse(err, "expired");
    if ((tok->nbf >= 0 && now_s + leeway < tok->nbf) ||
        (tok->iat >= 0 && now_s + leeway < tok->iat))
        return refuse(err, "not valid yet");
    json_array_foreach(tok->docs, i, v) {
        size_t dn;
        const char *d = cw_json_string(v, &dn);
        int prefix = dn && d[dn - 1] == '*';
        if (prefix ? dn - 1 <= n && memcmp(d, id, dn - 1) == 0 : dn == n && memcmp(d, id, n) == 0)
            break;
    }
    if (i == json_array_size(tok->docs))
        return cw_error_set(err, CW_E_FORBIDDEN, "the token is not for this document");
    if (write && !tok->write)
        return cw_error_set(err, CW_E_FORBIDDEN, "the token's scope is read");
    return 0;
}

void cw_jwt_free(cw_token *tok) {
    json_decref(tok->docs);
    json_decref(tok->read_paths);
    json_decref(tok->write_paths);
    tok->docs = tok->read_paths = tok->write_paths = NULL;
}
