/* fuzz_json - the product's JSON parse against an independent RFC 8259
 * recognizer (tests/c/rfc8259.c). Property: a text the RFC refuses is
 * refused as invalid_json; a text it accepts is accepted, unless one of the
 * documented extra limits (src/json.h) refuses it; an accepted text is
 * built into the same value as Jansson's own loader gives; the module's
 * writer gives the same text as Jansson's json_dumps; and that text parses
 * back to an equal value. */
#include "alloc.h"
#include "fuzz_common.h"
#include "json.h"
#include "rfc8259.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    const char *p = (const char *)data;
    size_t off = size >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
    int ref = rfc8259_recognize(p + off, size - off, 1000);
    cw_error err = {0};
    json_t *v = cw_json_parse((cw_slice){p, size}, 64, 65536, "body", &err);

    if (!v) {
        REQUIRE(err.code == CW_E_INVALID_JSON);
        REQUIRE(ref != RFC8259_VALID || rfc8259_product_limit(err.message));
        return 0;
    }
    REQUIRE(ref == RFC8259_VALID);
    {
        /* The product builds values itself (json.c): the same value as
         * Jansson's own loader, which the native build still has. */
        json_t *j = json_loadb(p + off, size - off,
                               JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, NULL);
        REQUIRE(j != NULL && json_equal(v, j));
        json_decref(j);
    }
    {
        char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        cw_buf ours = CW_BUF_INIT;
        json_t *back;
        REQUIRE(text != NULL && cw_json_dump(v, &ours) == 0);
        REQUIRE(ours.len == strlen(text) && memcmp(ours.p, text, ours.len) == 0);
        cw_buf_free(&ours);
        back = cw_json_parse((cw_slice){text, strlen(text)}, 64, 65536, "body", &err);
        REQUIRE(back != NULL && json_equal(v, back));
        json_decref(back);
        cw_free(text);
    }
    json_decref(v);
    return 0;
}
