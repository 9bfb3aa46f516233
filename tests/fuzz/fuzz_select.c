/* fuzz_select - the select request plugin, built natively: the bytes before
 * the first NUL are the query (?select=...), the rest a state document (a
 * fixed one when they are not a JSON object). The answer must be a defined
 * status with a JSON body, and a 200's state must be a projection of the
 * document: every member it has is the document's, arrays keep their
 * length, and leaves are equal. */
#include "../../plugins/sdk/cwp.c"
#include "../../plugins/select/select.c"
#include "fuzz_common.h"
#include "json.h"

static int projection_of(json_t *out, json_t *doc) {
    const char *k;
    json_t *v;
    size_t i;
    if (json_is_object(out)) {
        if (!json_is_object(doc))
            return json_equal(out, doc);
        json_object_foreach(out, k, v) {
            if (!json_object_get(doc, k) || !projection_of(v, json_object_get(doc, k)))
                return 0;
        }
        return 1;
    }
    if (json_is_array(out) && json_is_array(doc) && json_array_size(out) == json_array_size(doc)) {
        json_array_foreach(out, i, v) {
            if (!json_is_null(v) && !projection_of(v, json_array_get(doc, i)))
                return 0;
        }
        return 1;
    }
    return json_equal(out, doc);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    static const char fixed[] =
        "{\"a\":{\"b\":[1,{\"c\":2}],\"d.e\":\"x\"},\"l\":[{\"k\":1},{\"k\":2,\"j\":3},7],"
        "\"\":{\"\":0},\"u\\u00e9\":true}";
    const unsigned char *nul = memchr(data, 0, size);
    size_t qn = nul ? (size_t)(nul - data) : size;
    json_t *doc = nul ? json_loadb((const char *)nul + 1, size - qn - 1, 0, NULL) : NULL;
    json_t *view, *out, *state;
    cw_buf in = CW_BUF_INIT;
    cwp_out *o;
    char *p;

    if (!json_is_object(doc)) {
        json_decref(doc);
        doc = json_loads(fixed, 0, NULL);
    }
    view = json_object();
    json_object_set_new(view, "id", json_string("x"));
    json_object_set_new(view, "version", json_integer(1));
    json_object_set(view, "state", doc);
    cw_buf_puts(&in, "GET /state/x?select=");
    cw_buf_append(&in, (const char *)data, qn);
    cw_buf_append(&in, "\n", 1);
    cw_json_dump(view, &in);
    REQUIRE(!in.broken);
    p = cwp_alloc(in.len);
    memcpy(p, in.p, in.len);
    o = cwp_route(p, in.len);
    out = json_loadb(o->body, o->body_len, 0, NULL);
    if (!json_is_object(out))
        fprintf(stderr, "status %u body %.*s\n", o->status, (int)o->body_len, o->body);
    REQUIRE(json_is_object(out));
    if (o->status == 200) {
        state = json_object_get(out, "state");
        REQUIRE(json_is_object(state) && json_is_array(json_object_get(out, "missing")));
        REQUIRE(strcmp(json_string_value(json_object_get(out, "id")), "x") == 0);
        REQUIRE(projection_of(state, doc));
    } else {
        REQUIRE(o->status == 400 || o->status == 404);
        REQUIRE(json_is_string(json_object_get(json_object_get(out, "error"), "code")));
    }
    json_decref(out);
    json_decref(view);
    json_decref(doc);
    cw_buf_free(&in);
    return 0;
}
