/* state.c - versioned state documents and conditional patching. */
#include "state.h"

#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "json.h"
#include "merge.h"
#include "runtime.h"

int cw_state_load(cw_state *st, const char *blob, size_t n, cw_error *err) {
    json_t *root, *v, *s;

    st->version = 0;
    st->doc = NULL;
    if (n == 0) {
        st->doc = json_object();
        return st->doc ? 0 : cw_error_set(err, CW_E_INTERNAL, "out of memory");
    }
    /* The blob may hold any string a patch could (escaped NUL included). */
    root = json_loadb(blob, n, JSON_ALLOW_NUL, NULL);
    v = json_object_get(root, "v");
    s = json_object_get(root, "s");
    if (!json_is_integer(v) || json_integer_value(v) < 0 || !json_is_object(s)) {
        json_decref(root);
        return cw_error_set(err, CW_E_INTERNAL, "stored state is unreadable");
    }
    st->version = json_integer_value(v);
    st->doc = json_incref(s);
    json_decref(root);
    return 0;
}

void cw_state_clear(cw_state *st) {
    json_decref(st->doc);
    st->doc = NULL;
}

json_t *cw_state_parse_patch(cw_slice body, int max_depth, long max_containers, cw_error *err) {
    json_t *patch = cw_json_parse(body, max_depth, max_containers, "body", err);
    if (patch && !json_is_object(patch)) {
        json_decref(patch);
        cw_error_set(err, CW_E_INVALID_PATCH,
                     "patch must be a JSON object; the state must remain an object");
        return NULL;
    }
    return patch;
}

int cw_state_apply(cw_state *st, json_t *patch, cw_error *err) {
    /* In place: a failure is never committed, so a copy would only cost. */
    json_t *merged = cw_merge_patch(st->doc, patch);

    st->doc = NULL;
    if (!merged)
        return cw_error_set(err, CW_E_INTERNAL, "out of memory");
    if (!json_is_object(merged)) { /* unreachable: patch is an object */
        json_decref(merged);
        return cw_error_set(err, CW_E_INVALID_PATCH, NULL);
    }
    st->doc = merged;
    st->version++;
    return 0;
}

int cw_state_render(const cw_state *st, const char *id, cw_buf *view, cw_buf *blob) {
    cw_buf doc = CW_BUF_INIT;
    int rc = -1;

    /* Serialize the document once; both outputs wrap the same text. */
    if (json_dump_callback(st->doc, cw_buf_sink, &doc, JSON_COMPACT) < 0 || doc.broken)
        goto out;
    cw_buf_puts(view, "{\"id\":\"");
    cw_buf_puts(view, id); /* the id grammar needs no JSON escaping */
    cw_buf_puts(view, "\",\"version\":");
    cw_buf_putu(view, (unsigned long long)st->version);
    cw_buf_puts(view, ",\"state\":");
    cw_buf_append(view, doc.p, doc.len);
    cw_buf_append(view, "}", 1);
    if (blob) {
        cw_buf_puts(blob, "{\"v\":");
        cw_buf_putu(blob, (unsigned long long)st->version);
        cw_buf_puts(blob, ",\"s\":");
        cw_buf_append(blob, doc.p, doc.len);
        cw_buf_append(blob, "}", 1);
    }
    rc = view->broken || (blob && blob->broken) ? -1 : 0;
out:
    cw_buf_free(&doc);
    return rc;
}
