/* test_http.c - request envelope parsing. */
#include <stdio.h>

#include "harness.h"
#include "http.h"

static int parse(const char *s, cw_request *req, cw_error *err) {
    cw_error_clear(err);
    return cw_http_parse(s, strlen(s), req, err);
}

static void parses_request(void) {
    const char *s = "PATCH /state/a?x=1\r\nContent-Type: application/json\r\nIf-Match:  \"3\" "
                    "\r\n\r\n{\"a\":1}";
    cw_request req;
    cw_error err;
    CHECK_INT(parse(s, &req, &err), 0);
    CHECK(cw_http_slice_eq(req.method, "PATCH"));
    CHECK(cw_http_slice_eq(req.path, "/state/a"));
    CHECK(cw_http_slice_eq(req.query, "x=1"));
    CHECK_INT(req.nheaders, 2);
    CHECK(cw_http_slice_eq(cw_http_header(&req, "content-type"), "application/json"));
    CHECK(cw_http_slice_eq(cw_http_header(&req, "IF-MATCH"), "\"3\""));
    CHECK(cw_http_header(&req, "absent").p == NULL);
    CHECK(cw_http_slice_eq(req.body, "{\"a\":1}"));
}

/* A query parameter is found by its name percent-decoded; *count tells
 * how many there are; the value stays as sent. */
static void query_names_are_decoded_and_counted(void) {
    cw_request req;
    cw_error err;
    int n = -1;
    CHECK_INT(parse("GET /s?sinc%65=1&x&since=2&%73ince=%33&sinc=9&since5=1\r\n\r\n", &req, &err), 0);
    CHECK(cw_http_slice_eq(cw_http_query(&req, "since", &n), "1"));
    CHECK_INT(n, 3);
    CHECK(cw_http_slice_eq(cw_http_query(&req, "since", NULL), "1"));
    CHECK(cw_http_slice_eq(cw_http_query(&req, "x", &n), ""));
    CHECK_INT(n, 1);
    CHECK(cw_http_query(&req, "sin", &n).p == NULL);
    CHECK_INT(n, 0);
    CHECK(cw_http_query(&req, "since5x", NULL).p == NULL);
    /* A malformed escape is no match: its name is not that name. */
    CHECK_INT(parse("GET /s?token%=1&tok%6=2&%zz=3\r\n\r\n", &req, &err), 0);
    CHECK(cw_http_query(&req, "token", NULL).p == NULL);
}

static void body_may_hold_crlf_and_nul(void) {
    const char s[] = "PATCH /x\r\n\r\na\r\n\r\n\0b";
    cw_request req;
    cw_error err;
    CHECK_INT(cw_http_parse(s, sizeof s - 1, &req, &err), 0);
    CHECK_INT(req.body.n, 7);
}

static void refuses_malformed(void) {
    static const char *bad[] = {
        "",
        "GET /x",                        /* no CRLF */
        "GET /x\r\n",                    /* header block not terminated */
        " /x\r\n\r\n",                   /* empty method */
        "GET\r\n\r\n",                   /* no target */
        "GET x\r\n\r\n",                 /* target without / */
        "GET /a b\r\n\r\n",              /* space in target */
        "GET /x\r\nnocolon\r\n\r\n",     /* header without colon */
        "GET /x\r\n: v\r\n\r\n",         /* empty header name */
        "GET /x\r\nbad name: v\r\n\r\n", /* space in header name */
        "G(T /x\r\n\r\n",                /* bad method char */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cw_request req;
        cw_error err;
        if (parse(bad[i], &req, &err) != -1 || err.code != CW_E_BAD_REQUEST) {
            fprintf(stderr, "    accepted: %s\n", bad[i]);
            CHECK(!"malformed envelope accepted");
        }
    }
}

static void header_count_is_bounded(void) {
    char buf[8192];
    size_t n = (size_t)snprintf(buf, sizeof buf, "GET /x\r\n");
    cw_request req;
    cw_error err;
    for (int i = 0; i < CW_HTTP_MAX_HEADERS + 1; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "h%d: v\r\n", i);
    n += (size_t)snprintf(buf + n, sizeof buf - n, "\r\n");
    CHECK_INT(cw_http_parse(buf, n, &req, &err), -1);
    CHECK_INT(err.code, CW_E_BAD_REQUEST);
}

static void null_input(void) {
    cw_request req;
    cw_error err;
    CHECK_INT(cw_http_parse(NULL, 0, &req, &err), -1);
}

const cw_test cw_tests[] = {
    {"parses_request", parses_request},
    {"body_may_hold_crlf_and_nul", body_may_hold_crlf_and_nul},
    {"query_names_are_decoded_and_counted", query_names_are_decoded_and_counted},
    {"refuses_malformed", refuses_malformed},
    {"header_count_is_bounded", header_count_is_bounded},
    {"null_input", null_input},
    {NULL, NULL},
};
