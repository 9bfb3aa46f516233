/* test_jwt.c - document tokens (src/jwt.c, src/access.c) through the
 * edge and owner with the native host: a table of hostile tokens, each with
 * its exact status and code; scopes per route; documents and prefixes;
 * sources of the token; the journal's actor; key rotation; the log line. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <jansson.h>
#include <openssl/hmac.h>

#include "b64url.h"
#include "harness.h"
#include "host.h"
#include "jwt.h"
#include "pipeline.h"
#include "runtime.h"

/* 32 bytes each, base64url. */
#define K1 "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"
#define K2 "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA"
#define KEYS "{\"k1\":\"" K1 "\",\"k2\":\"" K2 "\"}"
static const char key1[] = "0123456789abcdef0123456789abcdef";
static const char key2[] = "fedcba9876543210fedcba9876543210";

static long long now_s;

/* header.claims.MAC under key (raw bytes; the claims and header as given). */
static char *mint(const char *header, const char *claims, const char *key) {
    char *t = malloc(16384);
    unsigned char mac[32];
    unsigned int n;
    b64url((const unsigned char *)header, strlen(header), t);
    strcat(t, ".");
    b64url((const unsigned char *)claims, strlen(claims), t + strlen(t));
    HMAC(EVP_sha256(), key, (int)strlen(key), (unsigned char *)t, strlen(t), mac, &n);
    strcat(t, ".");
    b64url(mac, 32, t + strlen(t));
    return t;
}

/* Claims for docs (a JSON array), scope, and exp/nbf relative to now. */
static char *claims(const char *docs, const char *scope, long long exp, const char *extra) {
    static char c[1024];
    snprintf(c, sizeof c, "{\"sub\":\"alice\",\"docs\":%s,\"scope\":\"%s\",\"exp\":%lld%s}", docs,
             scope, now_s + exp, extra);
    return c;
}

#define HS "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k1\"}"

static cw_host_answer a;
static char req[32768];

static int call(const char *method, const char *path, const char *auth, const char *body) {
    snprintf(req, sizeof req, "%s %s\r\ncontent-type: application/json\r\n%s%s%s\r\n%s", method,
             path, auth ? "authorization: Bearer " : "", auth ? auth : "", auth ? "\r\n" : "",
             body ? body : "");
    cw_host_free(&a);
    cw_host_request(req, strlen(req), 0, (double)now_s * 1000, &a);
    return a.status;
}

static int code_is(const char *code) {
    json_t *j = json_loads(a.body, 0, NULL);
    const char *c = json_string_value(json_object_get(json_object_get(j, "error"), "code"));
    int ok = c && strcmp(c, code) == 0;
    if (!ok)
        fprintf(stderr, "    got %d %s\n", a.status, a.body);
    json_decref(j);
    return ok;
}

static void setup(void) {
    now_s = (long long)time(NULL);
    CHECK_INT(cw_runtime_configure("local", 5, "", 0, "", 0), 0);
    CHECK(cw_jwt_configure(KEYS, strlen(KEYS)) == NULL);
    CHECK_INT(cw_jwt_keys(), 1);
    cw_host_reset();
}

/* The hostile table: each token on a PATCH of doc "d1", with the status
 * and code it must get. */
static void hostile_tokens(void) {
    static char big[5000];
    char *bad_b64, *t;
    struct tcase {
        const char *name;
        char *token;
        int status;
        const char *code;
    } cases[64];
    int n = 0;
#define CASE(nm, tok, st, cd) cases[n++] = (struct tcase){nm, tok, st, cd}
    CASE("valid", mint(HS, claims("[\"d1\"]", "write", 600, ""), key1), 200, NULL);
    CASE("bad signature", mint(HS, claims("[\"d1\"]", "write", 600, ""), key2), 401,
         "unauthorized");
    CASE("unknown kid",
         mint("{\"alg\":\"HS256\",\"kid\":\"k9\"}", claims("[\"d1\"]", "write", 600, ""), key1),
         401, "unauthorized");
    CASE("no kid", mint("{\"alg\":\"HS256\"}", claims("[\"d1\"]", "write", 600, ""), key1), 401,
         "unauthorized");
    CASE("alg none",
         mint("{\"alg\":\"none\",\"kid\":\"k1\"}", claims("[\"d1\"]", "write", 600, ""), key1), 401,
         "unauthorized");
    CASE("alg HS512",
         mint("{\"alg\":\"HS512\",\"kid\":\"k1\"}", claims("[\"d1\"]", "write", 600, ""), key1),
         401, "unauthorized");
    CASE("alg RS256",
         mint("{\"alg\":\"RS256\",\"kid\":\"k1\"}", claims("[\"d1\"]", "write", 600, ""), key1),
         401, "unauthorized");
    CASE("alg missing", mint("{\"kid\":\"k1\"}", claims("[\"d1\"]", "write", 600, ""), key1), 401,
         "unauthorized");
    /* typ is a media type: any case, and its full form. */
    CASE("typ lower case",
         mint("{\"alg\":\"HS256\",\"typ\":\"jwt\",\"kid\":\"k1\"}",
              claims("[\"d1\"]", "write", 600, ""), key1),
         200, NULL);
    CASE("typ application/JWT",
         mint("{\"alg\":\"HS256\",\"typ\":\"application/JWT\",\"kid\":\"k1\"}",
              claims("[\"d1\"]", "write", 600, ""), key1),
         200, NULL);
    CASE("typ other",
         mint("{\"alg\":\"HS256\",\"typ\":\"JWE\",\"kid\":\"k1\"}",
              claims("[\"d1\"]", "write", 600, ""), key1),
         401, "unauthorized");
    CASE("expired", mint(HS, claims("[\"d1\"]", "write", -3600, ""), key1), 401, "unauthorized");
    CASE("expired within leeway", mint(HS, claims("[\"d1\"]", "write", -30, ""), key1), 200, NULL);
    snprintf(big, 200, ",\"nbf\":%lld", now_s + 3600);
    CASE("not yet valid", mint(HS, claims("[\"d1\"]", "write", 7200, big), key1), 401,
         "unauthorized");
    snprintf(big, 200, ",\"iat\":%lld", now_s + 3600);
    CASE("issued in the future", mint(HS, claims("[\"d1\"]", "write", 7200, big), key1), 401,
         "unauthorized");
    CASE("claims not JSON", mint(HS, "not json", key1), 401, "unauthorized");
    CASE("header not JSON", mint("{alg:HS256}", claims("[\"d1\"]", "write", 600, ""), key1), 401,
         "unauthorized");
    CASE("docs a string", mint(HS, claims("\"d1\"", "write", 600, ""), key1), 401, "unauthorized");
    CASE("docs with a number", mint(HS, claims("[\"d1\",5]", "write", 600, ""), key1), 401,
         "unauthorized");
    CASE("scope admin", mint(HS, claims("[\"d1\"]", "admin", 600, ""), key1), 401, "unauthorized");
    CASE("exp a string",
         mint(HS, "{\"sub\":\"a\",\"docs\":[\"d1\"],\"scope\":\"write\",\"exp\":\"9999999999\"}",
              key1),
         401, "unauthorized");
    CASE("exp a real",
         mint(HS, "{\"sub\":\"a\",\"docs\":[\"d1\"],\"scope\":\"write\",\"exp\":9999999999.5}",
              key1),
         401, "unauthorized");
    CASE("no exp", mint(HS, "{\"sub\":\"a\",\"docs\":[\"d1\"],\"scope\":\"write\"}", key1), 401,
         "unauthorized");
    CASE("sub a number",
         mint(HS, "{\"sub\":5,\"docs\":[\"d1\"],\"scope\":\"write\",\"exp\":9999999999}", key1),
         401, "unauthorized");
    /* Numbers are never strings: 1.5 is held as its text inside the module,
     * and must not pass for a sub, a scope, a kid, an alg or a document. */
    CASE("sub a fraction",
         mint(HS, "{\"sub\":1.5,\"docs\":[\"d1\"],\"scope\":\"write\",\"exp\":9999999999}", key1),
         401, "unauthorized");
    CASE("sub an exponent",
         mint(HS, "{\"sub\":1e3,\"docs\":[\"d1\"],\"scope\":\"write\",\"exp\":9999999999}", key1),
         401, "unauthorized");
    CASE("sub a huge integer",
         mint(HS,
              "{\"sub\":123456789012345678901234567890,\"docs\":[\"d1\"],\"scope\":\"write\","
              "\"exp\":9999999999}",
              key1),
         401, "unauthorized");
    CASE("docs a fraction", mint(HS, claims("[1.5]", "write", 600, ""), key1), 401, "unauthorized");
    CASE("scope a fraction",
         mint(HS, "{\"sub\":\"a\",\"docs\":[\"d1\"],\"scope\":0.5,\"exp\":9999999999}", key1), 401,
         "unauthorized");
    /* A NUL inside a string claim would end it for a C string reader:
     * "admin\u0000evil" must not act as admin, nor "write\u0000x" as write. */
    CASE("sub with a NUL",
         mint(HS,
              "{\"sub\":\"admin\\u0000evil\",\"docs\":[\"d1\"],\"scope\":\"write\",\"exp\":"
              "9999999999}",
              key1),
         401, "unauthorized");
    CASE("scope with a NUL",
         mint(HS,
              "{\"sub\":\"a\",\"docs\":[\"d1\"],\"scope\":\"write\\u0000x\",\"exp\":9999999999}",
              key1),
         401, "unauthorized");
    CASE("kid with a NUL",
         mint("{\"alg\":\"HS256\",\"kid\":\"k1\\u0000zz\"}", claims("[\"d1\"]", "write", 600, ""),
              key1),
         401, "unauthorized");
    CASE("alg with a NUL",
         mint("{\"alg\":\"HS256\\u0000\",\"kid\":\"k1\"}", claims("[\"d1\"]", "write", 600, ""),
              key1),
         401, "unauthorized");
    CASE("kid a fraction",
         mint("{\"alg\":\"HS256\",\"kid\":1.5}", claims("[\"d1\"]", "write", 600, ""), key1), 401,
         "unauthorized");
    CASE("typ a fraction",
         mint("{\"alg\":\"HS256\",\"typ\":2.5,\"kid\":\"k1\"}",
              claims("[\"d1\"]", "write", 600, ""), key1),
         401, "unauthorized");
    /* exp, nbf and iat at the ends of int64: no overflow (UBSan would stop
     * the run), and the answers follow the clock. */
    CASE("exp at int64 max",
         mint(HS,
              "{\"sub\":\"a\",\"docs\":[\"d1\"],\"scope\":\"write\",\"exp\":9223372036854775807}",
              key1),
         200, NULL);
    CASE("nbf at int64 max",
         mint(HS,
              "{\"sub\":\"a\",\"docs\":[\"d1\"],\"scope\":\"write\",\"exp\":9223372036854775807,"
              "\"nbf\":9223372036854775807}",
              key1),
         401, "unauthorized");
    CASE("exp past int64",
         mint(HS,
              "{\"sub\":\"a\",\"docs\":[\"d1\"],\"scope\":\"write\",\"exp\":9223372036854775808}",
              key1),
         401, "unauthorized");
    CASE("missing segment", strdup("eyJhbGciOiJIUzI1NiJ9.e30"), 401, "unauthorized");
    CASE("four segments", strdup("a.b.c.d"), 401, "unauthorized");
    t = mint(HS, claims("[\"d1\"]", "write", 600, ""), key1);
    bad_b64 = strdup(t);
    bad_b64[3] = '+'; /* base64, not base64url */
    CASE("malformed base64url", bad_b64, 401, "unauthorized");
    bad_b64 = malloc(strlen(t) + 2);
    sprintf(bad_b64, "%s=", t); /* padding */
    CASE("padded signature", bad_b64, 401, "unauthorized");
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    memcpy(big, t, strlen(t));
    CASE("oversized", strdup(big), 401, "unauthorized");
    free(t);
    CASE("for another document", mint(HS, claims("[\"d2\"]", "write", 600, ""), key1), 403,
         "forbidden");
    CASE("read scope writing", mint(HS, claims("[\"d1\"]", "read", 600, ""), key1), 403,
         "forbidden");
    CASE("no token", NULL, 401, "unauthorized");
    for (int i = 0; i < n; i++) {
        int st = call("PATCH", "/state/d1", cases[i].token, "{\"x\":1}");
        if (st != cases[i].status || (cases[i].code && !code_is(cases[i].code))) {
            fprintf(stderr, "    case %s: %d %s\n", cases[i].name, st, a.body);
            CHECK(!"status and code");
        }
        if (st == 401)
            CHECK(strstr(a.head, "www-authenticate: Bearer error=\"invalid_token\"\r\n") != NULL);
        free(cases[i].token);
    }
#undef CASE
}

/* "team1.*" matches team1.a, and never team1 or team10.a. */
static void docs_prefixes(void) {
    char *t = mint(HS, claims("[\"team1.*\",\"solo\"]", "read", 600, ""), key1);
    CHECK_INT(call("GET", "/state/team1.a", t, NULL), 200);
    CHECK_INT(call("GET", "/state/team1.b.c", t, NULL), 200);
    CHECK_INT(call("GET", "/state/solo", t, NULL), 200);
    CHECK_INT(call("GET", "/state/team1", t, NULL), 403);
    CHECK_INT(call("GET", "/state/team10.a", t, NULL), 403);
    CHECK_INT(call("GET", "/state/sol", t, NULL), 403);
    CHECK_INT(call("GET", "/state/solo2", t, NULL), 403);
    free(t);
}

/* read: GET, HEAD, changes, plugin views; write: everything. */
static void scopes_per_route(void) {
    static char path[8192];
    char *r = mint(HS, claims("[\"s1\"]", "read", 600, ""), key1);
    char *w = mint(HS, claims("[\"s1\"]", "write", 600, ""), key1);
    CHECK_INT(call("PATCH", "/state/s1", w, "{\"a\":1}"), 200);
    CHECK_INT(call("GET", "/state/s1", r, NULL), 200);
    CHECK_INT(call("HEAD", "/state/s1", r, NULL), 200);
    CHECK_INT(call("GET", "/state/s1/changes?since=0", r, NULL), 200);
    CHECK_INT(call("PATCH", "/state/s1", r, "{\"a\":2}"), 403);
    CHECK_INT(call("DELETE", "/state/s1", r, NULL), 403);
    CHECK_INT(call("DELETE", "/state/s1", w, NULL), 200);
    CHECK_INT(call("GET", "/state/s1", NULL, NULL), 401);
    CHECK_INT(call("GET", "/state/s1/changes?since=0", NULL, NULL), 401);
    /* A token in the query is refused, even a valid one. */
    snprintf(path, sizeof path, "/state/s1?access_token=%s", r);
    CHECK_INT(call("GET", path, NULL, NULL), 400);
    CHECK(code_is("invalid_parameter"));
    free(r);
    free(w);
}

/* The journal records sub; the log line shows kid and sub, never the token. */
static void sub_is_the_actor_and_only_kid_and_sub_are_logged(void) {
    char *w = mint(HS, claims("[\"j1\"]", "write", 600, ""), key1);
    char *row;
    CHECK_INT(call("PATCH", "/state/j1", w, "{\"a\":1}"), 200);
    CHECK(strstr(a.log, "\"kid\":\"k1\",\"sub\":\"alice\"") != NULL);
    CHECK(strstr(a.log, w) == NULL && strstr(a.log, strchr(w, '.') + 1) == NULL);
    row = cw_host_query("j1", "SELECT actor FROM cw_journal WHERE version = 1");
    CHECK_STR(row, "alice");
    free(row);
    /* An RPC caller is trusted: no token, its own actor. */
    snprintf(
        req, sizeof req,
        "PATCH /state/j1\r\ncontent-type: application/json\r\nx-cw-actor: svc\r\n\r\n{\"b\":2}");
    cw_host_free(&a);
    cw_host_request(req, strlen(req), CW_FLAG_RPC, (double)now_s * 1000, &a);
    CHECK_INT(a.status, 200);
    row = cw_host_query("j1", "SELECT actor FROM cw_journal WHERE version = 2");
    CHECK_STR(row, "svc");
    free(row);
    free(w);
}

/* A socket's token comes in Sec-WebSocket-Protocol; the handshake echoes
 * the client's first subprotocol; a read token makes a read-only socket. */
static void the_live_upgrade_takes_a_subprotocol_token(void) {
    char *r = mint(HS, claims("[\"l1\"]", "read", 600, ""), key1);
    snprintf(req, sizeof req,
             "GET /state/l1/live\r\nupgrade: websocket\r\nsec-websocket-protocol: sync.v1, "
             "bearer.%s\r\n\r\n",
             r);
    cw_host_free(&a);
    cw_host_request(req, strlen(req), 0, (double)now_s * 1000, &a);
    CHECK_INT(a.status, 101);
    CHECK(strstr(a.head, "sec-websocket-protocol: sync.v1\r\n") != NULL);
    snprintf(req, sizeof req, "GET /state/l1/live\r\nupgrade: websocket\r\n\r\n");
    cw_host_free(&a);
    cw_host_request(req, strlen(req), 0, (double)now_s * 1000, &a);
    CHECK_INT(a.status, 401);
    free(r);
}

/* Rotation: a token under the old kid works while both keys are listed,
 * and not once the old one is removed. */
static void key_rotation(void) {
    char *old = mint(HS, claims("[\"r1\"]", "write", 600, ""), key1);
    char *fresh =
        mint("{\"alg\":\"HS256\",\"kid\":\"k2\"}", claims("[\"r1\"]", "write", 600, ""), key2);
    CHECK_INT(call("PATCH", "/state/r1", old, "{\"a\":1}"), 200);
    CHECK_INT(call("PATCH", "/state/r1", fresh, "{\"a\":2}"), 200);
    CHECK(cw_jwt_configure("{\"k2\":\"" K2 "\"}", strlen("{\"k2\":\"" K2 "\"}")) == NULL);
    CHECK_INT(call("PATCH", "/state/r1", old, "{\"a\":3}"), 401);
    CHECK(strstr(a.body, "kid names no key") != NULL);
    CHECK_INT(call("PATCH", "/state/r1", fresh, "{\"a\":4}"), 200);
    /* Bad STATE_KEYS never fall open. */
    CHECK(cw_jwt_configure("{\"k1\":\"short\"}", 15) != NULL);
    CHECK_INT(call("PATCH", "/state/r1", fresh, "{\"a\":5}"), 503);
    CHECK(code_is("auth_unconfigured"));
    CHECK(cw_jwt_configure("[]", 2) != NULL);
    CHECK_INT(call("GET", "/state/r1", NULL, NULL), 503);
    /* A kid with a space (the grant's separator) or a control is refused. */
    CHECK(cw_jwt_configure("{\"k 2\":\"" K2 "\"}", strlen("{\"k 2\":\"" K2 "\"}")) != NULL);
    CHECK(cw_jwt_configure("{\"k\\t2\":\"" K2 "\"}", strlen("{\"k\\t2\":\"" K2 "\"}")) != NULL);
    CHECK(cw_jwt_configure(KEYS, strlen(KEYS)) == NULL);
    free(old);
    free(fresh);
}

/* The paths claim, through the edge and the owner (the grant carries it):
 * hostile pointers in the claim, and a write list against escaping,
 * sibling names, parent replacement, null deletes of a parent and
 * __proto__; a read list on GET and ?path=. */
static void paths_claims(void) {
    static char extra[512];
    char *admin = mint(HS, claims("[\"p1\"]", "write", 600, ""), key1), *t;
    const char *bad[] = {"[]",
                         "{\"read\":\"/a\"}",
                         "{\"read\":[\"a\"]}",
                         "{\"write\":[\"/a~2\"]}",
                         "{\"read\":[\"/a~\"]}",
                         "{\"other\":[\"/a\"]}",
                         "{\"read\":[1]}",
                         NULL};
    for (int i = 0; bad[i]; i++) {
        snprintf(extra, sizeof extra, ",\"paths\":%s", bad[i]);
        t = mint(HS, claims("[\"p1\"]", "read", 600, extra), key1);
        CHECK_INT(call("GET", "/state/p1", t, NULL), 401);
        CHECK(strstr(a.body, "paths") != NULL);
        free(t);
    }
    CHECK_INT(call("PATCH", "/state/p1", admin, "{\"users\":{\"al\":1,\"alice\":2},\"t\":1}"), 200);
    t = mint(HS,
             claims("[\"p1\"]", "write", 600, ",\"paths\":{\"write\":[\"/users/al\",\"/a~1b\"]}"),
             key1);
    CHECK_INT(call("PATCH", "/state/p1", t, "{\"users\":{\"al\":{\"x\":1}},\"a/b\":2}"), 200);
    struct {
        const char *patch, *paths;
    } no[] = {
        {"{\"users\":{\"alice\":3}}", "[\"/users/alice\"]"},
        {"{\"users\":{\"al~\":3,\"al/x\":4}}", "[\"/users/al~0\",\"/users/al~1x\"]"},
        {"{\"users\":null}", "[\"/users\"]"},
        {"{\"users\":7}", "[\"/users\"]"},
        {"{\"a\":{\"b\":1}}", "[\"/a\"]"},
        {"{\"__proto__\":{\"users\":1}}", "[\"/__proto__\"]"},
        {"{\"t\":null,\"users\":{\"al\":null}}", "[\"/t\"]"},
    };
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        json_t *j, *want = json_loads(no[i].paths, 0, NULL);
        CHECK_INT(call("PATCH", "/state/p1", t, no[i].patch), 403);
        CHECK(code_is("forbidden"));
        j = json_loads(a.body, 0, NULL);
        CHECK(json_equal(json_object_get(json_object_get(j, "error"), "paths"), want));
        json_decref(j);
        json_decref(want);
    }
    CHECK_INT(call("DELETE", "/state/p1", t, NULL), 403);
    CHECK_INT(call("GET", "/state/p1", admin, NULL), 200);
    CHECK(strstr(a.body, "\"version\":2,") != NULL); /* nothing refused was applied */
    free(t);
    /* Reads. */
    t = mint(HS, claims("[\"p1\"]", "read", 600, ",\"paths\":{\"read\":[\"/users/al\"]}"), key1);
    CHECK_INT(call("GET", "/state/p1", t, NULL), 200);
    CHECK(strstr(a.body, "\"state\":{\"users\":{\"al\":{\"x\":1}}}}") != NULL);
    CHECK_INT(call("GET", "/state/p1?path=/users", t, NULL), 200);
    CHECK(strstr(a.body, "\"state\":{\"al\":{\"x\":1}}}") != NULL);
    CHECK_INT(call("GET", "/state/p1?path=/users/alice", t, NULL), 403);
    CHECK_INT(call("GET", "/state/p1?path=/t", t, NULL), 403);
    CHECK_INT(call("GET", "/state/p1/changes?since=0", t, NULL), 200);
    CHECK(strstr(a.body, "\"alice\":2") == NULL && strstr(a.body, "\"t\":1") == NULL);
    CHECK(strstr(a.body, "\"patch\":{\"users\":{\"al\":1}}") != NULL);
    free(t);
    free(admin);
}

const cw_test cw_tests[] = {
    {"setup", setup},
    {"hostile_tokens", hostile_tokens},
    {"docs_prefixes", docs_prefixes},
    {"scopes_per_route", scopes_per_route},
    {"sub_is_the_actor_and_only_kid_and_sub_are_logged",
     sub_is_the_actor_and_only_kid_and_sub_are_logged},
    {"the_live_upgrade_takes_a_subprotocol_token", the_live_upgrade_takes_a_subprotocol_token},
    {"key_rotation", key_rotation},
    {"paths_claims", paths_claims},
    {NULL, NULL},
};
