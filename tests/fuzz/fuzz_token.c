/* fuzz_token - document tokens (src/jwt.c, src/access.c): any bytes as
 * the bearer token of a GET of document "doc". Properties: nothing is
 * accepted without the right MAC (an accepted token's third segment is the
 * base64url HMAC-SHA256 of the first two under k1's key, computed here
 * independently); a refusal is a 401 or 403 with the JSON error body (or a
 * 400 for a token that breaks the request itself), never a 5xx; and the
 * parser's MAC comparison agrees with this one. */
#include <openssl/hmac.h>

#include "b64url.h"
#include "fuzz_common.h"
#include "jwt.h"

static const char key1[] = "0123456789abcdef0123456789abcdef";

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    static int keyed;
    static char req[8192], tok[5000];
    unsigned char mac[32];
    unsigned int macn;
    char want[64];
    const char *dot2;
    char *tk;
    size_t tn;
    cw_host_answer a;
    cw_token t;
    cw_error err;
    size_t n = size < sizeof tok - 1 ? size : sizeof tok - 1;

    if (!keyed++)
        REQUIRE(cw_jwt_configure("{\"k1\":\"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY\"}", 52) ==
                NULL);
    /* A header value holds no CR, LF or NUL: those bytes become '.'. */
    for (size_t i = 0; i < n; i++)
        tok[i] = data[i] == '\r' || data[i] == '\n' || data[i] == 0 ? '.' : (char)data[i];
    tok[n] = '\0';
    /* The token as the module reads it: the header value after "Bearer ",
     * without the spaces and tabs around it (RFC 9110's OWS; 1*SP after the
     * scheme). Trailing ones are dropped from the request too. */
    tk = tok;
    while (*tk == ' ' || *tk == '\t')
        tk++;
    tn = strlen(tk);
    while (tn && (tk[tn - 1] == ' ' || tk[tn - 1] == '\t'))
        tk[--tn] = '\0';
    dot2 = strrchr(tk, '.');
    HMAC(EVP_sha256(), key1, 32, (const unsigned char *)tk, dot2 ? (size_t)(dot2 - tk) : 0, mac,
         &macn);
    b64url(mac, 32, want);

    snprintf(req, sizeof req, "GET /state/doc\r\nauthorization: Bearer %s\r\n\r\n", tok);
    REQUIRE(cw_host_request(req, strlen(req), 0, 1.7e12, &a) == 0);
    fuzz_check(req, strlen(req), &a);
    if (a.status == 200)
        REQUIRE(dot2 && strcmp(dot2 + 1, want) == 0);
    else
        REQUIRE(a.status == 401 || a.status == 403 || a.status == 400);
    cw_host_free(&a);

    if (cw_jwt_parse(tk, tn, &t, &err) == 0) {
        REQUIRE(strcmp(t.kid, "k1") == 0 && t.signed_len == (size_t)(dot2 - tk));
        int right = strcmp(dot2 + 1, want) == 0;
        REQUIRE(cw_jwt_mac_ok(&t, mac) == right);
        /* One bit off the right MAC is refused. (Only then: a token may
         * carry exactly the flipped MAC, and the fuzzer finds one.) */
        mac[size % 32] ^= 1;
        if (right)
            REQUIRE(!cw_jwt_mac_ok(&t, mac));
        cw_jwt_free(&t);
    } else {
        REQUIRE(err.code == CW_E_UNAUTHORIZED);
    }
    return 0;
}
