/* fuzz_journal - sequences of writes against one id, with real storage:
 * patches, deletes, writes against a base, keyed retries, reads. The input
 * is lines; each line's first byte picks the operation, the rest is its
 * patch. After every operation:
 *   - the version counts exactly the accepted writes and deletes;
 *   - replaying the journal (from the last delete, or version 0) over an
 *     empty state rebuilds exactly the stored state;
 *   - for every N the journal reaches back to, the changes since N applied
 *     to the state seen at version N give the current state;
 *   - at the end, the journal's patches written again to a new id build
 *     exactly the same rows (the layout by path, tree.h, is a function of
 *     the writes alone);
 *   - a write against a base commits iff none of its paths overlaps a path
 *     of a write after the base (the overlap computed here, independently).
 * Answers are read with the module's own loader (cw_json_load), which keeps
 * numbers as written: Jansson's refuses an integer past 64 bits, which the
 * module stores and serves. */
#include "fuzz_common.h"
#include "json.h"
#include "merge.h"

#define MAX_OPS 24

static json_t *seen[MAX_OPS * 2 + 2]; /* the state at each version */

static json_t *get_json(const char *req, int *status) {
    cw_host_answer a;
    json_t *j;
    REQUIRE(cw_host_request(req, strlen(req), 0, 1.7e12, &a) == 0);
    fuzz_check(req, strlen(req), &a);
    *status = a.status;
    j = cw_json_load(a.body, a.body_len);
    cw_host_free(&a);
    return j;
}

/* The paths a merge patch touches, as arrays of keys (not escaped). */
static void paths(json_t *obj, json_t *prefix, json_t *out) {
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) {
        json_t *p = json_copy(prefix);
        json_array_append_new(p, json_string(k));
        if (json_is_object(v) && json_object_size(v))
            paths(v, p, out);
        else
            json_array_append(out, p);
        json_decref(p);
    }
}

/* 1 when a is a prefix of b (or equal), key by key. */
static int prefix_of(json_t *a, json_t *b) {
    if (json_array_size(a) > json_array_size(b))
        return 0;
    for (size_t i = 0; i < json_array_size(a); i++)
        if (!json_equal(json_array_get(a, i), json_array_get(b, i)))
            return 0;
    return 1;
}

static int overlaps(json_t *patch, json_t *changes) {
    json_t *mine = json_array(), *root = json_array(), *c;
    size_t i;
    int hit = 0;
    paths(patch, root, mine);
    json_array_foreach(changes, i, c) {
        json_t *theirs = json_array(), *p, *q;
        size_t j, k;
        paths(json_object_get(c, "patch"), root, theirs);
        json_array_foreach(mine, j, p) json_array_foreach(theirs, k, q) hit |=
            prefix_of(p, q) || prefix_of(q, p);
        json_decref(theirs);
    }
    json_decref(mine);
    json_decref(root);
    return hit;
}

/* Every row of id's document, in one text. */
static char *rows_of(const char *id) {
    return cw_host_query(id, "SELECT group_concat(quote(parent) || ',' || quote(key) || ',' || "
                             "quote(value) || ',' || size, ';') FROM (SELECT * FROM cw_nodes "
                             "ORDER BY parent, key)");
}

/* The journal of f since start, written again to g: the same rows. */
static void same_rows(long long start) {
    static char req[1 << 16];
    json_t *journal, *c;
    size_t i;
    int status;
    char *a, *b;
    snprintf(req, sizeof req, "GET /state/f/changes?since=%lld&limit=1000\r\n\r\n", start);
    journal = get_json(req, &status);
    REQUIRE(status == 200);
    json_array_foreach(json_object_get(journal, "changes"), i, c) {
        cw_buf body = CW_BUF_INIT;
        cw_host_answer ans;
        int n =
            snprintf(req, sizeof req, "PATCH /state/g\r\ncontent-type: application/json\r\n\r\n");
        REQUIRE(cw_json_dump(json_object_get(c, "patch"), &body) == 0 &&
                body.len < sizeof req - (size_t)n);
        memcpy(req + n, body.p, body.len);
        REQUIRE(cw_host_request(req, (size_t)n + body.len, 0, 1.7e12, &ans) == 0);
        REQUIRE(ans.status == 200);
        cw_host_free(&ans);
        cw_buf_free(&body);
    }
    json_decref(journal);
    a = rows_of("f");
    b = rows_of("g");
    REQUIRE(strcmp(a, b) == 0);
    free(a);
    free(b);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    char req[8192];
    const char *p = (const char *)data, *end = p + size;
    long long version = 0, start = 0;
    int ops = 0;

    cw_host_reset();
    fuzz_pick = 0;
    memset(seen, 0, sizeof seen);
    seen[0] = json_object();
    while (p < end && ops < MAX_OPS) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *stop = nl ? nl : end;
        size_t n = (size_t)(stop - p);
        int op = n ? (unsigned char)p[0] % 6 : 5, status, len = 0;
        json_t *cur, *changes = NULL, *journal;
        long long base = 0;
        const char *body = n > 2 ? p + 2 : "";
        size_t bn = n > 2 ? n - 2 : 0;
        ops++;
        if (op == 2) {
            len = snprintf(req, sizeof req, "DELETE /state/f\r\n\r\n");
        } else if (op == 3) {
            base = n > 1 ? (unsigned char)p[1] % (version + 1) : 0;
            json_decref(get_json("GET /state/f\r\n\r\n", &status));
            snprintf(req, sizeof req, "GET /state/f/changes?since=%lld\r\n\r\n", base);
            changes = get_json(req, &status);
            if (status != 200) {
                json_decref(changes);
                changes = NULL;
            }
            len = snprintf(req, sizeof req,
                           "PATCH /state/f?base=%lld\r\ncontent-type: application/json\r\n\r\n",
                           base);
        } else if (op == 4) {
            len = snprintf(req, sizeof req,
                           "PATCH /state/f\r\ncontent-type: application/json\r\nidempotency-key: "
                           "k%d\r\n\r\n",
                           n > 1 ? p[1] & 3 : 0);
        } else if (op < 2) {
            len = snprintf(req, sizeof req,
                           "PATCH /state/f\r\ncontent-type: application/json\r\n\r\n");
            body = n > 1 ? p + 1 : "";
            bn = n > 1 ? n - 1 : 0;
        }
        /* The body goes in as bytes, NULs included. */
        if (op != 2 && op != 5) {
            bn = bn < 4000 ? bn : 4000;
            memcpy(req + len, body, bn);
            len += (int)bn;
        }
        if (len > 0) {
            cw_host_answer a;
            REQUIRE(cw_host_request(req, (size_t)len, 0, 1.7e12, &a) == 0);
            fuzz_check(req, (size_t)len, &a);
            status = a.status;
            if (status == 200) {
                json_t *ans = cw_json_load(a.body, a.body_len);
                long long v = json_integer_value(json_object_get(ans, "version"));
                /* A write takes the next version, but a keyed retry that
                 * replays the original answers with that one. */
                REQUIRE(v == version + 1 ||
                        (op == 4 && strstr(a.head, "idempotent-replayed") && v <= version));
                if (v == version + 1)
                    version = v;
                if (op == 2)
                    start = version;
                json_decref(ans);
            }
            if (op == 3 && changes && (status == 200 || status == 409)) {
                cw_error e;
                json_t *patch = cw_json_parse((cw_slice){body, bn}, 64, 65536, "body", NULL, &e);
                REQUIRE(json_is_object(patch));
                REQUIRE((status == 409) == overlaps(patch, json_object_get(changes, "changes")));
                json_decref(patch);
            }
            cw_host_free(&a);
        }
        json_decref(changes);
        /* The stored state and its version. */
        cur = get_json("GET /state/f\r\n\r\n", &status);
        REQUIRE(status == 200);
        REQUIRE(json_integer_value(json_object_get(cur, "version")) == version);
        if (!seen[version])
            seen[version] = json_incref(json_object_get(cur, "state"));
        /* Replaying the journal rebuilds it; changes since N apply onto N. */
        for (long long from = start; from <= version; from++) {
            json_t *state;
            size_t i;
            json_t *c;
            snprintf(req, sizeof req, "GET /state/f/changes?since=%lld&limit=1000\r\n\r\n", from);
            journal = get_json(req, &status);
            REQUIRE(status == 200);
            REQUIRE(seen[from] != NULL);
            state = json_deep_copy(seen[from]);
            json_array_foreach(json_object_get(journal, "changes"), i, c) {
                REQUIRE(json_integer_value(json_object_get(c, "version")) ==
                        from + 1 + (long long)i);
                state = cw_merge_patch(state, json_object_get(c, "patch"));
            }
            REQUIRE(json_equal(state, json_object_get(cur, "state")));
            json_decref(state);
            json_decref(journal);
        }
        json_decref(cur);
        p = nl ? nl + 1 : end;
    }
    same_rows(start);
    for (size_t i = 0; i < sizeof seen / sizeof seen[0]; i++)
        json_decref(seen[i]);
    return 0;
}
