/* journal.c - paths, overlap, entries and retention (see journal.h). */
#include "journal.h"

#include <string.h>

#include "json.h"

static int collect(json_t *obj, cw_buf *prefix, json_t *out) {
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value) {
        size_t len = prefix->len;
        int rc = 0;
        cw_json_ptr_push(prefix, key, strlen(key));
        if (prefix->broken)
            return -1;
        if (json_is_object(value) && json_object_size(value))
            rc = collect(value, prefix, out);
        else
            rc = json_array_append_new(out, json_stringn_nocheck(prefix->p, prefix->len));
        prefix->len = len;
        prefix->p[len] = '\0';
        if (rc < 0)
            return -1;
    }
    return 0;
}

json_t *cw_journal_paths(json_t *patch) {
    json_t *out = json_array();
    cw_buf prefix = CW_BUF_INIT;
    cw_buf_append(&prefix, "", 0);
    if (!out || prefix.broken || collect(patch, &prefix, out) < 0) {
        json_decref(out);
        out = NULL;
    }
    cw_buf_free(&prefix);
    return out;
}

int cw_journal_cover(json_t *others, json_t **seen, json_t **above) {
    size_t i;
    json_t *p;
    *seen = json_object();
    *above = json_object();
    if (!*seen || !*above)
        return -1;
    json_array_foreach(others, i, p) {
        size_t n;
        const char *s = cw_json_string(p, &n);
        if (!s)
            return -1;
        if (json_object_setn_nocheck(*seen, s, n, json_true()) < 0)
            return -1;
        /* Every proper prefix at a segment boundary: "/a/b" gives "/a". */
        for (size_t k = n; k-- > 1;)
            if (s[k] == '/' && json_object_setn_nocheck(*above, s, k, json_true()) < 0)
                return -1;
    }
    return 0;
}

json_t *cw_journal_conflicts(json_t *mine, json_t *seen, json_t *above) {
    json_t *out = json_array(), *p;
    size_t i;
    if (!out)
        return NULL;
    json_array_foreach(mine, i, p) {
        size_t n;
        const char *s = cw_json_string(p, &n);
        /* Equal, or a path of theirs above mine, or mine above one of theirs. */
        int hit = json_object_getn(seen, s, n) || json_object_getn(above, s, n);
        for (size_t k = n; !hit && k-- > 1;)
            hit = s[k] == '/' && json_object_getn(seen, s, k);
        if (hit && json_array_append(out, p) < 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

int cw_journal_entry(cw_buf *out, long long version, long long at, const char *rid, size_t rn,
                     const char *actor, size_t an, const char *patch, size_t pn) {
    cw_buf_puts(out, "{\"version\":");
    cw_buf_putu(out, (unsigned long long)version);
    cw_buf_puts(out, ",\"at\":");
    cw_buf_putu(out, (unsigned long long)(at > 0 ? at : 0));
    cw_buf_puts(out, ",\"request_id\":");
    cw_buf_putjs(out, rid, rn);
    cw_buf_puts(out, ",\"actor\":");
    if (actor)
        cw_buf_putjs(out, actor, an);
    else
        cw_buf_puts(out, "null");
    cw_buf_puts(out, ",\"patch\":");
    cw_buf_append(out, patch, pn);
    return cw_buf_append(out, "}", 1);
}

int cw_journal_over(long long count, long long bytes, long long max_entries, long long max_bytes) {
    return count > max_entries || bytes > max_bytes;
}

size_t cw_journal_cut(long long count, long long bytes, long long max_entries, long long max_bytes,
                      const long long *sizes, size_t n) {
    long long keep_entries = max_entries - max_entries / 10,
              keep_bytes = max_bytes - max_bytes / 10;
    size_t drop = 0;
    if (!cw_journal_over(count, bytes, max_entries, max_bytes))
        return 0;
    while (drop < n && count > 1 && (count > keep_entries || bytes > keep_bytes)) {
        bytes -= sizes[drop++];
        count--;
    }
    return drop;
}

long long cw_journal_hash(const char *p, size_t n) {
    unsigned long long h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
    return (long long)((h ^ (h >> 53)) & ((1ULL << 53) - 1));
}
