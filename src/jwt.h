/* jwt.h - signed per-document tokens: a JWT (RFC 7519) in JWS compact
 * form (RFC 7515) with HS256 only, the keys that sign them, and what a
 * token allows.
 *
 * A token is base64url(header) "." base64url(claims) "." base64url(MAC).
 *   header: {"alg":"HS256","kid":<1-64 characters>[,"typ":"JWT"]}; any other
 *           alg (none, HS512, RS256, ...) is refused, and so is "crit".
 *   claims: "sub" (the actor: 1-128 bytes, no control characters), "docs"
 *           (an array of ids; an entry ending in '*' is a prefix), "scope"
 *           ("read" or "write"; write implies read), "exp" (required),
 *           "nbf" and "iat": integers, seconds since the epoch; "paths"
 *           (optional): {"read": [pointers], "write": [pointers]}, what
 *           the holder may see and touch in the document (paths.h); a
 *           list left out is the whole document.
 * Decisions are all here: parsing, base64url, the algorithm, the key for
 * kid, the claims and their types, expiry, documents and scope. The MAC
 * itself is computed by the host (WebCrypto HMAC-SHA256) on the access
 * check's request (access.h), and compared here in constant time.
 *
 * Global state: the key table, from STATE_KEYS (a JSON object
 * {"<kid>":"<base64url secret>"}, each secret at least 32 bytes, as RFC 7518
 * section 3.2 requires for HS256, each kid 1-64 printable ASCII characters
 * but '"' and '\\'), set by cw_jwt_configure. */
#ifndef CW_JWT_H
#define CW_JWT_H

#include <stddef.h>

#include <jansson.h>

#include "error.h"

#define CW_JWT_MAX 4096 /* the longest token taken, in bytes */
#define CW_JWT_MAC 32   /* HMAC-SHA256 */

typedef struct {
    char kid[65];
    char sub[129];
    int write;                        /* scope write (else read) */
    long long exp, nbf, iat;          /* nbf, iat: -1 when absent */
    json_t *docs;                     /* owned: the ids and prefixes */
    json_t *read_paths, *write_paths; /* owned: pointer prefixes (paths.h); NULL: all */
    size_t signed_len;                /* the token's first bytes that are signed */
    unsigned char mac[CW_JWT_MAC];    /* the signature */
    unsigned char key[255];           /* the secret for kid, key_len bytes */
    size_t key_len;
} cw_token;

/* Reads STATE_KEYS, keys[0..n) (borrowed; n == 0: no keys). Returns NULL,
 * or why it is refused; then cw_jwt_keys() is -1 and every state route
 * answers 503 auth_unconfigured: it never falls open. */
const char *cw_jwt_configure(const char *keys, size_t n);

/* 1 when s[0..n) holds no control character (C0, DEL, or C1: U+0080 to
 * U+009F), as a token's sub and an RPC caller's actor must not. */
int cw_jwt_actor_ok(const char *s, size_t n);

/* 1 when keys are configured, 0 when none, -1 when STATE_KEYS was refused. */
int cw_jwt_keys(void);

/* 1 when kid (NUL-terminated) names a configured key: a socket's token
 * stays good only while its key does (live.h). */
int cw_jwt_kid_known(const char *kid);

/* Parses t[0..n) (borrowed) into tok (cw_jwt_free it): the form, the
 * header, the claims and their types, and the key for kid. The MAC is not
 * checked here (cw_jwt_mac_ok). Returns 0, or -1 with err set to
 * CW_E_UNAUTHORIZED and the reason. */
int cw_jwt_parse(const char *t, size_t n, cw_token *tok, cw_error *err);

/* 1 when mac (CW_JWT_MAC bytes, the HMAC-SHA256 of the signed bytes under
 * tok's key) equals the token's signature, in constant time. */
int cw_jwt_mac_ok(const cw_token *tok, const unsigned char *mac);

/* Whether tok allows reading (write 0) or writing (write 1) document
 * id[0..n) at now_s, seconds since the epoch, with leeway seconds for exp,
 * nbf and iat. Returns 0, or -1 with err: CW_E_UNAUTHORIZED (expired, not
 * yet valid, issued in the future) or CW_E_FORBIDDEN (another document, or
 * read scope for a write). */
int cw_jwt_allows(const cw_token *tok, const char *id, size_t n, int write, long long now_s,
                  long long leeway, cw_error *err);

void cw_jwt_free(cw_token *tok);

/* Decodes base64url (RFC 4648 section 5, no padding, canonical) s[0..n)
 * into out (at least n * 3 / 4 bytes). Returns the length, or -1. */
long cw_jwt_base64url_decode(const char *s, size_t n, unsigned char *out);

#endif
