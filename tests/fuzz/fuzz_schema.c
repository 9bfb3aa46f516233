/* fuzz_schema - the schema sync hook, built natively: the bytes before the
 * first NUL are a schema (any JSON), the rest the merged state (a JSON
 * object). The answer must be 200 {"valid":true}, 422 with 1-64 reasons
 * {"path": a JSON Pointer, "message"}, or 500 invalid_schema; and the
 * always-true schema must accept everything. */
#include "../../plugins/schema/schema.c"
#include "../../plugins/sdk/cwp.c"
#include "alloc.h"
#include "fuzz_common.h"

static cwp_out *validate_with(json_t *schema, json_t *doc) {
    json_t *in = json_object(), *target = json_object();
    char *text, *p;
    cwp_out *o;
    json_object_set_new(in, "namespace", json_string("n."));
    json_object_set(in, "config", schema);
    json_object_set_new(target, "id", json_string("n.x"));
    json_object_set_new(target, "version", json_integer(1));
    json_object_set(target, "state", doc);
    json_object_set_new(in, "target", target);
    text = json_dumps(in, JSON_COMPACT | JSON_ENCODE_ANY);
    REQUIRE(text != NULL);
    p = cwp_alloc(strlen(text));
    memcpy(p, text, strlen(text));
    o = cwp_sync(p, strlen(text));
    cw_alloc_free(text);
    json_decref(in);
    return o;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    const unsigned char *nul = memchr(data, 0, size);
    json_t *schema, *doc, *out, *reasons, *r;
    cwp_out *o;
    size_t i;

    if (!nul)
        return 0;
    schema = json_loadb((const char *)data, (size_t)(nul - data), JSON_DECODE_ANY, NULL);
    doc = json_loadb((const char *)nul + 1, size - (size_t)(nul - data) - 1, 0, NULL);
    if (schema && json_is_object(doc)) {
        o = validate_with(schema, doc);
        out = json_loadb(o->body, o->body_len, 0, NULL);
        REQUIRE(json_is_object(out));
        if (o->status == 200) {
            REQUIRE(json_is_true(json_object_get(out, "valid")));
        } else if (o->status == 422) {
            reasons = json_object_get(json_object_get(out, "error"), "reasons");
            REQUIRE(json_array_size(reasons) >= 1 && json_array_size(reasons) <= 64);
            json_array_foreach(reasons, i, r) {
                const char *path = json_string_value(json_object_get(r, "path"));
                REQUIRE(path && (path[0] == '\0' || path[0] == '/'));
                REQUIRE(json_is_string(json_object_get(r, "message")));
            }
        } else {
            REQUIRE(o->status == 500);
            REQUIRE(
                strcmp(json_string_value(json_object_get(json_object_get(out, "error"), "code")),
                       "invalid_schema") == 0);
        }
        json_decref(out);
        o = validate_with(json_true(), doc);
        REQUIRE(o->status == 200);
    }
    json_decref(schema);
    json_decref(doc);
    return 0;
}
