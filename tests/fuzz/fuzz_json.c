/* fuzz_json - the product's JSON parse against an independent RFC 8259
 * recognizer (tests/c/rfc8259.c). Property: a text the RFC refuses is
 * refused as invalid_json; a text it accepts is accepted, unless one of the
 * documented extra limits (src/json.h) refuses it; what the module's writer
 * makes of an accepted text is read by Jansson's own loader as the value it
 * reads from the original (numbers are kept as written, json.h); and that
 * text, parsed and written again, is the same. cw_json_peek reads any
 * text within its bounds and, in an object the parse accepts, finds a
 * member's string as the parse does. */
#include "alloc.h"
#include "fuzz_common.h"
#include "json.h"
#include "rfc8259.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    const char *p = (const char *)data;
    size_t off = size >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
    int ref = rfc8259_recognize(p + off, size - off, 1000);
    cw_error err = {0};
    json_t *v = cw_json_parse((cw_slice){p, size}, 64, 65536, "body", NULL, &err);
    cw_slice mid = {0};
    size_t n = 0;
    const char *want;

    if (cw_json_peek(p, size, "mid", &mid) && v) {
        want = cw_json_string(json_object_get(v, "mid"), &n);
        REQUIRE(json_is_object(v) && want && n == mid.n && memcmp(want, mid.p, n) == 0);
    }
    if (!v) {
        REQUIRE(err.code == CW_E_INVALID_JSON);
        REQUIRE(ref != RFC8259_VALID || rfc8259_product_limit(err.message));
        return 0;
    }
    REQUIRE(ref == RFC8259_VALID);
    {
        /* Jansson's own loader, which the native build still has, reads
         * the same value from both texts (it refuses numbers beyond a
         * double or 64 bits, which the module keeps as text). */
        const int flags = JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES;
        cw_buf ours = CW_BUF_INIT, again = CW_BUF_INIT;
        json_t *j = json_loadb(p + off, size - off, flags, NULL), *back;
        REQUIRE(cw_json_dump(v, &ours) == 0);
        back = json_loadb(ours.p, ours.len, flags, NULL);
        REQUIRE(!j || (back && json_equal(j, back)));
        json_decref(j);
        json_decref(back);
        back = cw_json_parse((cw_slice){ours.p, ours.len}, 64, 65536, "body", NULL, &err);
        REQUIRE(back != NULL && json_equal(v, back) && cw_json_dump(back, &again) == 0);
        REQUIRE(again.len == ours.len && memcmp(again.p, ours.p, ours.len) == 0);
        json_decref(back);
        cw_buf_free(&ours);
        cw_buf_free(&again);
    }
    json_decref(v);
    return 0;
}
