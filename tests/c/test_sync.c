/* test_sync.c - the state engine through edge and owner, with real SQLite
 * executing the owner's batches (host.h): members and journal for every
 * operation, changes and history, delete, idempotency, writes against a
 * base, Prefer, limits, the legacy conversion, failed commits, actors. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "alloc.h"
#include "config.h"
#include "doc.h"
#include "harness.h"
#include "host.h"
#include "pipeline.h"
#include "runtime.h"
#include "store.h"

static char req[2 << 20];

/* Runs a request built from a format; answers into a. */
static int run(cw_host_answer *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int run(cw_host_answer *a, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(req, sizeof req, fmt, ap);
    va_end(ap);
    cw_host_run(req, a);
    return a->status;
}

static int patch(cw_host_answer *a, const char *id, const char *headers, const char *body) {
    return run(a, "PATCH /state/%s\r\ncontent-type: application/json\r\n%s\r\n%s", id, headers,
               body);
}

static json_t *js(const cw_host_answer *a) { return json_loads(a->body, JSON_ALLOW_NUL, NULL); }

static long long version_of(const cw_host_answer *a) {
    json_t *j = js(a);
    long long v = json_integer_value(json_object_get(j, "version"));
    json_decref(j);
    return v;
}

static const char *code_of(const cw_host_answer *a, char out[64]) {
    json_t *j = js(a);
    snprintf(out, 64, "%s",
             json_string_value(json_object_get(json_object_get(j, "error"), "code")) ?: "");
    json_decref(j);
    return out;
}

static int has(const cw_host_answer *a, const char *line) { return strstr(a->head, line) != NULL; }

static int query_is(const char *id, const char *sql, const char *want) {
    char *got = cw_host_query(id, sql);
    int ok = strcmp(got, want) == 0;
    if (!ok)
        fprintf(stderr, "    %s: [%s], want [%s]\n", sql, got, want);
    free(got);
    return ok;
}

static void configure(void) {
    /* The test row: journal retention of 8 entries or 8 KiB. */
    CHECK_INT(cw_runtime_configure("test", 4, "", 0, "", 0), 0);
}

static void members_and_journal_for_each_write(void) {
    cw_host_answer a;
    CHECK_INT(run(&a, "GET /state/m1\r\n\r\n"), 200);
    CHECK_STR(a.body, "{\"id\":\"m1\",\"version\":0,\"state\":{}}");
    CHECK(has(&a, "etag: \"0\""));
    cw_host_free(&a);
    CHECK_INT(patch(&a, "m1", "", "{\"a\":1,\"b\":{\"c\":2},\"z\":[1]}"), 200);
    CHECK_STR(a.body,
              "{\"id\":\"m1\",\"version\":1,\"state\":{\"a\":1,\"b\":{\"c\":2},\"z\":[1]}}");
    cw_host_free(&a);
    CHECK_INT(
        patch(&a, "m1", "", " {\"b\": {\"c\": null, \"d\": true}, \"a\": null, \"n\": \"x\"} "),
        200);
    CHECK_STR(a.body,
              "{\"id\":\"m1\",\"version\":2,\"state\":{\"b\":{\"d\":true},\"z\":[1],\"n\":\"x\"}}");
    cw_host_free(&a);
    /* One row per member (the root's rows), each with the version that last
     * changed it and its stored size. */
    CHECK(query_is("m1",
                   "SELECT group_concat(key || '=' || value || '@' || version || '#' || size, ' ') "
                   "FROM (SELECT * FROM cw_nodes WHERE parent = '' ORDER BY rowid)",
                   "b={\"d\":true}@2#11 z=[1]@1#4 n=\"x\"@2#4"));
    /* One journal row per write, the patch as applied (compact). */
    CHECK(query_is(
        "m1", "SELECT group_concat(version || ':' || patch, ' ') FROM cw_journal",
        "1:{\"a\":1,\"b\":{\"c\":2},\"z\":[1]} 2:{\"b\":{\"c\":null,\"d\":true},\"a\":null,"
        "\"n\":\"x\"}"));
    CHECK(query_is("m1", "SELECT version || ',' || jcount || ',' || jfirst FROM cw_meta", "2,2,1"));
    CHECK(query_is(
        "m1", "SELECT count(*) FROM cw_journal WHERE actor IS NULL AND length(request_id) = 32",
        "2"));
}

static void the_same_bytes_after_the_cache_is_dropped(void) {
    cw_host_answer a, b;
    patch(&a, "order", "", "{\"zeta\":1,\"alpha\":2,\"m\\\"q\":{\"k\":[1,{\"x\":null}]}}");
    cw_host_free(&a);
    patch(&a, "order", "", "{\"alpha\":null,\"beta\":3,\"zeta\":4}");
    cw_host_free(&a);
    run(&a, "GET /state/order\r\n\r\n");
    cw_doc_drop_all();
    run(&b, "GET /state/order\r\n\r\n");
    CHECK_STR(a.body, b.body);
    CHECK_STR(a.body, "{\"id\":\"order\",\"version\":2,\"state\":{\"zeta\":4,\"m\\\"q\":{\"k\":[1,{"
                      "\"x\":null}]},\"beta\":3}}");
    cw_host_free(&a);
    cw_host_free(&b);
}

/* An object's instance trusts what it read or wrote of its meta row until
 * another instance runs (src/sync.c, known): a row changed behind its back
 * (here by hand; in production only another instance could) is seen by the
 * next instance, and a failed commit forgets what the instance knew. */
static int behind(const char *sql) {
    return sqlite3_exec(cw_host_db("inc"), sql, NULL, NULL, NULL);
}

static void an_instance_trusts_only_its_own_knowledge(void) {
    cw_host_answer a;
    cw_host_set_incarnation(1);
    patch(&a, "inc", "", "{\"z\":1}");
    cw_host_free(&a);
    CHECK_INT(behind("UPDATE cw_nodes SET value = '2', version = 2 WHERE key = 'z';"
                     "UPDATE cw_meta SET version = 2"),
              SQLITE_OK);
    CHECK_INT(run(&a, "GET /state/inc\r\n\r\n"), 200);
    CHECK_STR(a.body, "{\"id\":\"inc\",\"version\":1,\"state\":{\"z\":1}}");
    cw_host_free(&a);
    cw_host_set_incarnation(2);
    CHECK_INT(run(&a, "GET /state/inc\r\n\r\n"), 200);
    CHECK_STR(a.body, "{\"id\":\"inc\",\"version\":2,\"state\":{\"z\":2}}");
    cw_host_free(&a);
    /* The next write of instance 2 goes on from what it read. */
    patch(&a, "inc", "", "{\"y\":3}");
    CHECK_INT(a.status, 200);
    cw_host_free(&a);
    CHECK(query_is("inc", "SELECT version FROM cw_meta", "3"));
    /* A failed commit: the instance knows nothing more, and reads again. */
    cw_host_fail_write(1);
    patch(&a, "inc", "", "{\"x\":4}");
    CHECK_INT(a.status, 500);
    cw_host_free(&a);
    CHECK_INT(behind("UPDATE cw_meta SET version = 9"), SQLITE_OK);
    patch(&a, "inc", "", "{\"x\":4}");
    CHECK_INT(a.status, 200);
    CHECK(strstr(a.body, "\"version\":10") != NULL);
    cw_host_free(&a);
    cw_host_set_incarnation(0);
}

static void changes_and_history(void) {
    cw_host_answer a;
    char code[64];
    json_t *j;
    for (int i = 1; i <= 3; i++) {
        char body[32];
        snprintf(body, sizeof body, "{\"k%d\":%d}", i, i);
        patch(&a, "ch", "", body);
        cw_host_free(&a);
    }
    CHECK_INT(run(&a, "GET /state/ch/changes?since=1\r\n\r\n"), 200);
    j = js(&a);
    CHECK_INT(json_integer_value(json_object_get(j, "version")), 3);
    CHECK_INT(json_array_size(json_object_get(j, "changes")), 2);
    CHECK_INT(json_integer_value(
                  json_object_get(json_array_get(json_object_get(j, "changes"), 0), "version")),
              2);
    CHECK(json_is_null(json_object_get(json_array_get(json_object_get(j, "changes"), 0), "actor")));
    CHECK(json_integer_value(json_object_get(json_array_get(json_object_get(j, "changes"), 0),
                                             "at")) > 1000000000000LL);
    json_decref(j);
    cw_host_free(&a);
    CHECK_INT(run(&a, "GET /state/ch/changes?since=0&limit=1\r\n\r\n"), 200);
    CHECK(strstr(a.body, "\"changes\":[{\"version\":1,") != NULL);
    CHECK(strstr(a.body, "\"version\":2,\"at\"") == NULL);
    cw_host_free(&a);
    CHECK_INT(run(&a, "GET /state/ch/changes?since=3\r\n\r\n"), 200);
    CHECK(strstr(a.body, "\"changes\":[]") != NULL);
    cw_host_free(&a);
    CHECK_INT(run(&a, "GET /state/ch/changes?since=4\r\n\r\n"), 410);
    CHECK_STR(code_of(&a, code), "history_gone");
    cw_host_free(&a);
    static const char *const bad[] = {"since=-1",
                                      "since=x",
                                      "since=1.5",
                                      "since=",
                                      "limit=0",
                                      "limit=a",
                                      "since=99999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (run(&a, "GET /state/ch/changes?%s\r\n\r\n", bad[i]) != 400) {
            fprintf(stderr, "    %s: %d\n", bad[i], a.status);
            CHECK(!"400");
        }
        CHECK_STR(code_of(&a, code), "invalid_parameter");
        cw_host_free(&a);
    }
    /* A never-written id has no history but since=0. */
    CHECK_INT(run(&a, "GET /state/none/changes?since=0\r\n\r\n"), 200);
    cw_host_free(&a);
    CHECK_INT(run(&a, "GET /state/none/changes?since=1\r\n\r\n"), 410);
    cw_host_free(&a);
}

static void retention_prunes_the_oldest(void) {
    cw_host_answer a;
    long long first;
    /* The test row keeps 8 entries: 20 writes leave at most 8, the newest. */
    for (int i = 1; i <= 20; i++) {
        char body[32];
        snprintf(body, sizeof body, "{\"n\":%d}", i);
        CHECK_INT(patch(&a, "ret", "", body), 200);
        cw_host_free(&a);
    }
    {
        char *c = cw_host_query("ret", "SELECT count(*) FROM cw_journal"),
             *f = cw_host_query("ret", "SELECT min(version) FROM cw_journal"),
             *m = cw_host_query("ret", "SELECT jcount || ',' || jfirst FROM cw_meta");
        char want[32];
        CHECK(atoi(c) >= 1 && atoi(c) <= 8);
        first = atoll(f);
        CHECK_INT(first + atoi(c) - 1, 20); /* contiguous up to the version */
        snprintf(want, sizeof want, "%s,%s", c, f);
        CHECK_STR(m, want);
        free(c);
        free(f);
        free(m);
    }
    CHECK_INT(run(&a, "GET /state/ret/changes?since=%lld\r\n\r\n", first - 2), 410);
    cw_host_free(&a);
    CHECK_INT(run(&a, "GET /state/ret/changes?since=%lld\r\n\r\n", first - 1), 200);
    cw_host_free(&a);
}

static void delete_erases_and_the_version_goes_on(void) {
    cw_host_answer a;
    char code[64];
    patch(&a, "del", "", "{\"a\":1}");
    cw_host_free(&a);
    patch(&a, "del", "", "{\"b\":2}");
    cw_host_free(&a);
    CHECK_INT(run(&a, "DELETE /state/del\r\nif-match: \"1\"\r\n\r\n"), 412);
    cw_host_free(&a);
    CHECK_INT(run(&a, "DELETE /state/del\r\nif-match: \"2\"\r\n\r\n"), 200);
    CHECK_STR(a.body, "{\"id\":\"del\",\"version\":3}");
    cw_host_free(&a);
    CHECK(query_is("del", "SELECT count(*) FROM cw_nodes", "0"));
    CHECK(query_is("del", "SELECT count(*) FROM cw_journal", "0"));
    CHECK(
        query_is("del", "SELECT version || ',' || jcount || ',' || jfirst FROM cw_meta", "3,0,4"));
    CHECK_INT(run(&a, "GET /state/del\r\n\r\n"), 200);
    CHECK_STR(a.body, "{\"id\":\"del\",\"version\":3,\"state\":{}}");
    cw_host_free(&a);
    CHECK_INT(run(&a, "GET /state/del/changes?since=1\r\n\r\n"), 410);
    CHECK_STR(code_of(&a, code), "history_gone");
    cw_host_free(&a);
    CHECK_INT(run(&a, "GET /state/del/changes?since=3\r\n\r\n"), 200);
    cw_host_free(&a);
    CHECK_INT(patch(&a, "del", "", "{\"c\":3}"), 200);
    CHECK_INT(version_of(&a), 4); /* never reused */
    cw_host_free(&a);
    CHECK_INT(run(&a, "GET /state/del/changes?since=3\r\n\r\n"), 200);
    CHECK(strstr(a.body, "\"version\":4,\"at\"") != NULL);
    cw_host_free(&a);
}

/* Two isolates running one object in turn: this process and a child made
 * by fork (its own copy of the module's globals, its cache dropped, as a
 * new isolate's is empty), over one database file. A DELETE here, a write
 * there, then a read and a member delete here: members, journal and
 * version agree. (The cache held the emptied state one version ahead of
 * storage, so the read here served {} and the member delete was lost.) */
static void two_isolates_over_one_object_agree(void) {
    char dir[] = "/tmp/cw-two-isolates-XXXXXX";
    cw_host_answer a;
    pid_t child;
    int status = -1;
    CHECK(mkdtemp(dir) != NULL);
    cw_host_reset();
    cw_host_files(dir);
    CHECK_INT(patch(&a, "two", "", "{\"x\":1}"), 200);
    cw_host_free(&a);
    CHECK_INT(run(&a, "DELETE /state/two\r\n\r\n"), 200);
    CHECK_STR(a.body, "{\"id\":\"two\",\"version\":2}");
    cw_host_free(&a);
    cw_host_close(); /* no connection crosses the fork; the cache stays */
    fflush(NULL);
    child = fork();
    if (child == 0) {
        /* The other isolate: an empty cache, the same storage. */
        cw_doc_drop_all();
        _exit(patch(&a, "two", "", "{\"a\":1}") == 200 && version_of(&a) == 3 ? 0 : 1);
    }
    CHECK(child > 0 && waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_INT(run(&a, "GET /state/two\r\n\r\n"), 200);
    CHECK_STR(a.body, "{\"id\":\"two\",\"version\":3,\"state\":{\"a\":1}}");
    cw_host_free(&a);
    CHECK_INT(patch(&a, "two", "", "{\"a\":null}"), 200);
    CHECK_STR(a.body, "{\"id\":\"two\",\"version\":4,\"state\":{}}");
    cw_host_free(&a);
    CHECK(query_is("two", "SELECT count(*) FROM cw_nodes", "0"));
    CHECK(query_is("two", "SELECT group_concat(version || ':' || patch, ' ') FROM cw_journal",
                   "3:{\"a\":1} 4:{\"a\":null}"));
    CHECK(
        query_is("two", "SELECT version || ',' || jcount || ',' || jfirst FROM cw_meta", "4,2,3"));
    /* Read back cold, the same answer. */
    cw_doc_drop_all();
    CHECK_INT(run(&a, "GET /state/two\r\n\r\n"), 200);
    CHECK_STR(a.body, "{\"id\":\"two\",\"version\":4,\"state\":{}}");
    cw_host_free(&a);
    cw_host_reset();
    cw_host_files(NULL);
    {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        CHECK_INT(system(cmd), 0);
    }
}

static void idempotent_writes_apply_once(void) {
    cw_host_answer a;
    char code[64];
    CHECK_INT(patch(&a, "idem", "idempotency-key: k-1\r\nif-match: \"0\"\r\n", "{\"n\":1}"), 200);
    CHECK_INT(version_of(&a), 1);
    cw_host_free(&a);
    /* The retry: the original version, nothing applied (If-Match is stale
     * now, yet the retry is recognized first). */
    CHECK_INT(patch(&a, "idem", "idempotency-key: k-1\r\nif-match: \"0\"\r\n", "{ \"n\" : 1 }"),
              200);
    CHECK_INT(version_of(&a), 1);
    CHECK(has(&a, "idempotent-replayed: true"));
    CHECK(has(&a, "etag: \"1\""));
    cw_host_free(&a);
    CHECK(query_is("idem", "SELECT version FROM cw_meta", "1"));
    CHECK_INT(patch(&a, "idem", "idempotency-key: k-1\r\n", "{\"n\":2}"), 422);
    CHECK_STR(code_of(&a, code), "idempotency_key_reused");
    cw_host_free(&a);
    CHECK(query_is("idem", "SELECT key FROM cw_journal WHERE version = 1", "k-1"));
    static const char *const bad[] = {
        "", "a b", "\x01", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char h[128];
        snprintf(h, sizeof h, "idempotency-key: %s\r\n", bad[i]);
        CHECK_INT(patch(&a, "idem", h, "{\"n\":3}"), 400);
        CHECK_STR(code_of(&a, code), "invalid_idempotency_key");
        cw_host_free(&a);
    }
}

/* Runs a PATCH at wall time now_ms (the owner's clock). */
static int patch_at(cw_host_answer *a, double now_ms, const char *id, const char *headers,
                    const char *body) {
    snprintf(req, sizeof req, "PATCH /state/%s\r\ncontent-type: application/json\r\n%s\r\n%s", id,
             headers, body);
    cw_host_request(req, strlen(req), 0, now_ms, a);
    return a->status;
}

/* Keys live in cw_keys with a window of their own: a lost ack, then a
 * DELETE or twice the journal's entry retention of later writes, and the
 * retry is still a replay of the original answer, never a second apply. */
static void exactly_once_outlives_delete_and_retention(void) {
    cw_host_answer a;
    char h[64];
    const cw_config *cfg = cw_runtime_config();
    /* Applied; the client never saw the ack. Then DELETE. */
    CHECK_INT(patch(&a, "once", "idempotency-key: lost-1\r\n", "{\"gone\":1}"), 200);
    cw_host_free(&a);
    CHECK_INT(run(&a, "DELETE /state/once\r\n\r\n"), 200);
    cw_host_free(&a);
    CHECK_INT(patch(&a, "once", "idempotency-key: lost-1\r\n", "{\"gone\":1}"), 200);
    CHECK(has(&a, "idempotent-replayed: true"));
    CHECK_STR(a.body, "{\"id\":\"once\",\"version\":1}");
    cw_host_free(&a);
    CHECK_INT(run(&a, "GET /state/once\r\n\r\n"), 200);
    CHECK_STR(a.body, "{\"id\":\"once\",\"version\":2,\"state\":{}}");
    cw_host_free(&a);
    /* Applied, then 2x the journal's entry retention of later writes (each
     * with a key of its own): the journal no longer holds it, the keys do. */
    CHECK_INT(patch(&a, "once", "idempotency-key: lost-2\r\n", "{\"n\":0}"), 200);
    cw_host_free(&a);
    for (long long i = 1; i <= 2 * cfg->journal_entries; i++) {
        char body[32];
        snprintf(h, sizeof h, "idempotency-key: later-%lld\r\n", i);
        snprintf(body, sizeof body, "{\"n\":%lld}", i);
        CHECK_INT(patch(&a, "once", h, body), 200);
        cw_host_free(&a);
    }
    CHECK(query_is("once", "SELECT count(*) FROM cw_journal WHERE key = 'lost-2'", "0"));
    CHECK_INT(patch(&a, "once", "idempotency-key: lost-2\r\n", "{\"n\":0}"), 200);
    CHECK(has(&a, "idempotent-replayed: true"));
    CHECK_STR(a.body, "{\"id\":\"once\",\"version\":3}");
    cw_host_free(&a);
    CHECK_INT(run(&a, "GET /state/once\r\n\r\n"), 200);
    CHECK(strstr(a.body, "\"state\":{\"n\":16}") != NULL);
    cw_host_free(&a);
    /* The same key with another patch is still 422. */
    CHECK_INT(patch(&a, "once", "idempotency-key: lost-2\r\n", "{\"n\":1}"), 422);
    cw_host_free(&a);
}

/* The window: past key_ms, or past key_entries newer keys, a key is
 * forgotten and its retry is a new write (docs/http.md says so). */
static void keys_leave_their_window(void) {
    cw_host_answer a;
    char h[64];
    const cw_config *cfg = cw_runtime_config();
    double t = 1.7e12;
    CHECK_INT(patch_at(&a, t, "win", "idempotency-key: old\r\n", "{\"a\":1}"), 200);
    cw_host_free(&a);
    CHECK_INT(
        patch_at(&a, t + (double)cfg->key_ms - 1, "win", "idempotency-key: old\r\n", "{\"a\":1}"),
        200);
    CHECK(has(&a, "idempotent-replayed: true"));
    cw_host_free(&a);
    CHECK_INT(
        patch_at(&a, t + (double)cfg->key_ms + 1, "win", "idempotency-key: old\r\n", "{\"a\":1}"),
        200);
    CHECK(!has(&a, "idempotent-replayed"));
    CHECK_INT(version_of(&a), 2);
    cw_host_free(&a);
    /* Expired rows go with the next keyed write; then only the newest
     * key_entries stay. */
    for (long long i = 0; i <= cfg->key_entries; i++) {
        snprintf(h, sizeof h, "idempotency-key: k%lld\r\n", i);
        CHECK_INT(patch_at(&a, t + (double)cfg->key_ms + 2, "win", h, "{\"b\":1}"), 200);
        cw_host_free(&a);
    }
    {
        char want[32];
        snprintf(want, sizeof want, "%lld", cfg->key_entries);
        CHECK(query_is("win", "SELECT count(*) FROM cw_keys", want));
    }
    CHECK(query_is("win", "SELECT count(*) FROM cw_keys WHERE key IN ('old', 'k0')", "0"));
    CHECK_INT(
        patch_at(&a, t + (double)cfg->key_ms + 3, "win", "idempotency-key: k1\r\n", "{\"b\":1}"),
        200);
    CHECK(has(&a, "idempotent-replayed: true"));
    cw_host_free(&a);
}

/* Keys written before cw_keys (in the journal only) move in when the
 * object starts, so their retries still replay. */
static void journal_keys_move_into_the_key_table(void) {
    cw_host_answer a;
    sqlite3 *db = cw_host_db("oldkeys");
    static const char before[] = "INSERT INTO cw_meta VALUES (0, 1, 1, 20, 1);"
                                 "INSERT INTO cw_nodes VALUES ('', 'a', '1', 2, 1);"
                                 "INSERT INTO cw_journal VALUES (1, 1700000000000, 'r', NULL, "
                                 "'ok-1', '{\"a\":1}', 20);"
                                 "DELETE FROM cw_keys;";
    int rc = sqlite3_exec(db, before, NULL, NULL, NULL);
    CHECK_INT(rc, SQLITE_OK);
    CHECK_INT(sqlite3_exec(db, cw_store_schema(), NULL, NULL, NULL), SQLITE_OK); /* a restart */
    CHECK(query_is("oldkeys",
                   "SELECT key || ',' || ifnull(hash, 'null') || ',' || version FROM cw_keys",
                   "ok-1,null,1"));
    CHECK_INT(patch(&a, "oldkeys", "idempotency-key: ok-1\r\n", "{\"a\": 1}"), 200);
    CHECK(has(&a, "idempotent-replayed: true"));
    cw_host_free(&a);
    CHECK_INT(patch(&a, "oldkeys", "idempotency-key: ok-1\r\n", "{\"a\":2}"), 422);
    cw_host_free(&a);
    CHECK(query_is("oldkeys", "SELECT version FROM cw_meta", "1"));
}

static void writes_against_a_base(void) {
    cw_host_answer a;
    char code[64];
    json_t *j;
    patch(&a, "base", "", "{\"a\":{\"b\":1,\"c\":1},\"x\":1,\"ab\":1}");
    cw_host_free(&a);
    patch(&a, "base", "", "{\"a\":{\"b\":2}}");
    cw_host_free(&a);
    /* A sibling of the later write's path, and a path sharing a prefix of
     * characters but not of segments: no overlap. */
    CHECK_INT(run(&a, "PATCH /state/base?base=1\r\ncontent-type: application/json\r\n\r\n"
                      "{\"a\":{\"c\":5},\"ab\":2,\"x\":3}"),
              200);
    CHECK_INT(version_of(&a), 3);
    cw_host_free(&a);
    /* The same path, a parent, a child: conflicts naming this patch's paths. */
    CHECK_INT(run(&a, "PATCH /state/base?base=1\r\ncontent-type: application/json\r\n\r\n"
                      "{\"a\":{\"b\":9,\"d\":1},\"y\":1}"),
              409);
    j = js(&a);
    CHECK_STR(json_string_value(json_object_get(json_object_get(j, "error"), "code")), "conflict");
    CHECK_INT(json_array_size(json_object_get(json_object_get(j, "error"), "paths")), 1);
    CHECK_STR(
        json_string_value(json_array_get(json_object_get(json_object_get(j, "error"), "paths"), 0)),
        "/a/b");
    json_decref(j);
    cw_host_free(&a);
    CHECK_INT(
        run(&a, "PATCH /state/base?base=1\r\ncontent-type: application/json\r\n\r\n{\"a\":5}"),
        409);
    cw_host_free(&a);
    CHECK(query_is("base", "SELECT version FROM cw_meta", "3"));
    /* At the current version, nothing to overlap. */
    CHECK_INT(
        run(&a, "PATCH /state/base?base=3\r\ncontent-type: application/json\r\n\r\n{\"a\":5}"),
        200);
    cw_host_free(&a);
    CHECK_INT(
        run(&a, "PATCH /state/base?base=9\r\ncontent-type: application/json\r\n\r\n{\"a\":5}"),
        410);
    CHECK_STR(code_of(&a, code), "history_gone");
    cw_host_free(&a);
    CHECK_INT(run(&a, "PATCH /state/base?base=x\r\ncontent-type: application/json\r\n\r\n{}"), 400);
    cw_host_free(&a);
}

/* The overlap check's work is bounded (the test row: 4 writes, 1 KiB): a
 * base further behind is 410 and nothing is read past the bound. */
static void the_base_check_is_bounded(void) {
    cw_host_answer a;
    char code[64], big[700];
    for (int i = 1; i <= 5; i++) {
        char body[32];
        snprintf(body, sizeof body, "{\"k%d\":%d}", i, i);
        CHECK_INT(patch(&a, "bound", "", body), 200);
        cw_host_free(&a);
    }
    CHECK_INT(
        run(&a, "PATCH /state/bound?base=0\r\ncontent-type: application/json\r\n\r\n{\"z\":1}"),
        410);
    CHECK_STR(code_of(&a, code), "history_gone");
    CHECK(strstr(a.body, "too far behind to check for overlap (at most 4 writes or 1024 bytes") !=
          NULL);
    cw_host_free(&a);
    CHECK_INT(
        run(&a, "PATCH /state/bound?base=1\r\ncontent-type: application/json\r\n\r\n{\"z\":1}"),
        200);
    cw_host_free(&a);
    /* Two writes after the base, but over 1 KiB between them. */
    snprintf(big, sizeof big, "{\"big\":\"%0600d\"}", 7);
    CHECK_INT(patch(&a, "bound", "", big), 200);
    cw_host_free(&a);
    big[10] = '8';
    CHECK_INT(patch(&a, "bound", "", big), 200);
    CHECK_INT(version_of(&a), 8);
    cw_host_free(&a);
    CHECK_INT(
        run(&a, "PATCH /state/bound?base=6\r\ncontent-type: application/json\r\n\r\n{\"z\":2}"),
        410);
    CHECK_STR(code_of(&a, code), "history_gone");
    cw_host_free(&a);
    CHECK_INT(
        run(&a, "PATCH /state/bound?base=7\r\ncontent-type: application/json\r\n\r\n{\"z\":2}"),
        200);
    cw_host_free(&a);
    CHECK(query_is("bound", "SELECT version FROM cw_meta", "9"));
}

static void prefer_minimal_and_since(void) {
    cw_host_answer a;
    json_t *j;
    patch(&a, "pref", "", "{\"a\":1}");
    cw_host_free(&a);
    CHECK_INT(patch(&a, "pref", "prefer: return=minimal\r\n", "{\"b\":2}"), 200);
    CHECK_STR(a.body, "{\"id\":\"pref\",\"version\":2}");
    CHECK(has(&a, "preference-applied: return=minimal"));
    CHECK(has(&a, "etag: \"2\""));
    cw_host_free(&a);
    /* Push and pull in one round trip: the changes after 1, this one included. */
    CHECK_INT(run(&a, "PATCH /state/pref?since=1\r\ncontent-type: application/json\r\nprefer: "
                      "return=\"minimal\"\r\n\r\n{\"c\":3}"),
              200);
    j = js(&a);
    CHECK_INT(json_array_size(json_object_get(j, "changes")), 2);
    CHECK_INT(json_integer_value(
                  json_object_get(json_array_get(json_object_get(j, "changes"), 1), "version")),
              3);
    CHECK(json_object_get(j, "state") == NULL);
    json_decref(j);
    cw_host_free(&a);
    /* A preference named twice: only the first counts (RFC 7240 2). */
    CHECK_INT(patch(&a, "pref", "prefer: return=representation, return=minimal\r\n", "{\"d\":4}"),
              200);
    CHECK(strstr(a.body, "\"state\":") != NULL && !has(&a, "preference-applied"));
    cw_host_free(&a);
    CHECK_INT(patch(&a, "pref", "prefer: respond-async, return=minimal, return=representation\r\n",
                    "{\"e\":5}"),
              200);
    CHECK_STR(a.body, "{\"id\":\"pref\",\"version\":5}");
    cw_host_free(&a);
}

/* The 2 MB value limit bounds a value, not a subtree: three 800 KB values
 * in one object are three rows (the object spilled), where one row
 * would have passed it. The stored-state limit is 413 and commits nothing. */
static void limits_bound_values_not_subtrees(void) {
    const cw_config *cfg = cw_runtime_config();
    cw_host_answer a;
    char code[64];
    static char body[(1 << 20) + 64];
    size_t n = (size_t)snprintf(body, sizeof body, "{\"m\":{\"a\":\"");
    long long writes = 0;
    memset(body + n, 'x', 800000);
    n += 800000;
    snprintf(body + n, sizeof body - n, "\"}}");
    for (char k = 'a'; k <= 'c'; k++) {
        body[7] = k;
        CHECK_INT(patch(&a, "lim", "", body), 200);
        cw_host_free(&a);
    }
    CHECK(query_is("lim",
                   "SELECT group_concat(parent || '/' || key || ':' || (value IS NULL), ' ') "
                   "FROM cw_nodes",
                   "/m:1 /m/a:0 /m/b:0 /m/c:0"));
    CHECK_INT(run(&a, "GET /state/lim\r\n\r\n"), 200);
    CHECK(a.body_len > 2400000);
    cw_host_free(&a);
    /* Up to the stored-state limit, then 413 with nothing written. */
    for (char k = 'd'; writes < 100; k++, writes++) {
        int status;
        body[7] = k;
        status = patch(&a, "lim", "", body);
        if (status == 413) {
            CHECK_STR(code_of(&a, code), "payload_too_large");
            CHECK(strstr(a.body, "stored-state limit") != NULL);
            cw_host_free(&a);
            break;
        }
        CHECK_INT(status, 200);
        cw_host_free(&a);
    }
    CHECK(writes < 100);
    CHECK(writes * 800000 < (long long)cfg->state_limit);
    {
        char want[32];
        snprintf(want, sizeof want, "%lld", 3 + writes);
        CHECK(query_is("lim", "SELECT version FROM cw_meta", want));
    }
}

/* Members as rows (the layout before cw_nodes) become the root's rows on
 * the first touch, in one transaction: order, values, versions and the
 * journal kept. */
static void members_as_rows_convert_on_first_touch(void) {
    cw_host_answer a;
    sqlite3 *db = cw_host_db("oldrows");
    static const char before[] =
        "CREATE TABLE cw_members (key TEXT NOT NULL UNIQUE, value TEXT NOT NULL, version INTEGER "
        "NOT NULL);"
        "INSERT INTO cw_meta VALUES (0, 2, 2, 40, 1);"
        "INSERT INTO cw_members VALUES ('z', '[1,2]', 1);"
        "INSERT INTO cw_members VALUES ('a', '{\"b\":\"\u00e9\"}', 2);"
        "INSERT INTO cw_journal VALUES (1, 1700000000000, 'r1', NULL, NULL, '{\"z\":[1,2]}', 20);"
        "INSERT INTO cw_journal VALUES (2, 1700000000001, 'r2', NULL, NULL, "
        "'{\"a\":{\"b\":\"\u00e9\"}}', 20);";
    CHECK_INT(sqlite3_exec(db, before, NULL, NULL, NULL), SQLITE_OK);
    CHECK_INT(run(&a, "GET /state/oldrows\r\n\r\n"), 200);
    CHECK_STR(
        a.body,
        "{\"id\":\"oldrows\",\"version\":2,\"state\":{\"z\":[1,2],\"a\":{\"b\":\"\u00e9\"}}}");
    cw_host_free(&a);
    CHECK(query_is("oldrows", "SELECT count(*) FROM sqlite_master WHERE name = 'cw_members'", "0"));
    CHECK(query_is("oldrows",
                   "SELECT group_concat(key || '@' || version || '#' || size, ' ') FROM cw_nodes",
                   "z@1#6 a@2#11"));
    CHECK_INT(run(&a, "GET /state/oldrows/changes?since=0\r\n\r\n"), 200);
    CHECK(strstr(a.body, "\"request_id\":\"r2\"") != NULL);
    cw_host_free(&a);
    CHECK_INT(patch(&a, "oldrows", "", "{\"a\":{\"c\":1}}"), 200);
    CHECK_STR(a.body, "{\"id\":\"oldrows\",\"version\":3,\"state\":{\"z\":[1,2],\"a\":{\"b\":"
                      "\"\u00e9\",\"c\":1}}}");
    cw_host_free(&a);
}

static void the_legacy_blob_converts_on_first_touch(void) {
    cw_host_answer a;
    sqlite3 *db = cw_host_db("legacy");
    sqlite3_exec(
        db,
        "CREATE TABLE state (k INTEGER PRIMARY KEY CHECK (k = 0), blob TEXT NOT NULL);"
        "INSERT INTO state VALUES (0, '{\"v\":5,\"s\":{\"b\":{\"x\":[1,2]},\"a\":\"q\\u0000r\"}}')",
        NULL, NULL, NULL);
    CHECK_INT(run(&a, "GET /state/legacy\r\n\r\n"), 200);
    CHECK_STR(
        a.body,
        "{\"id\":\"legacy\",\"version\":5,\"state\":{\"b\":{\"x\":[1,2]},\"a\":\"q\\u0000r\"}}");
    cw_host_free(&a);
    CHECK(query_is("legacy", "SELECT count(*) FROM sqlite_master WHERE name = 'state'", "0"));
    CHECK(query_is(
        "legacy", "SELECT group_concat(key || '@' || version, ' ') FROM cw_nodes WHERE parent = ''",
        "b@5 a@5"));
    CHECK(query_is("legacy", "SELECT version || ',' || jcount || ',' || jfirst FROM cw_meta",
                   "5,0,6"));
    CHECK_INT(run(&a, "GET /state/legacy/changes?since=4\r\n\r\n"), 410);
    cw_host_free(&a);
    CHECK_INT(patch(&a, "legacy", "", "{\"c\":1}"), 200);
    CHECK_INT(version_of(&a), 6);
    cw_host_free(&a);
    /* A PATCH as the first touch converts in the same transaction. */
    db = cw_host_db("legacy2");
    sqlite3_exec(db,
                 "CREATE TABLE state (k INTEGER PRIMARY KEY CHECK (k = 0), blob TEXT NOT NULL);"
                 "INSERT INTO state VALUES (0, '{\"v\":2,\"s\":{\"a\":1}}')",
                 NULL, NULL, NULL);
    CHECK_INT(patch(&a, "legacy2", "if-match: \"2\"\r\n", "{\"b\":2}"), 200);
    CHECK_STR(a.body, "{\"id\":\"legacy2\",\"version\":3,\"state\":{\"a\":1,\"b\":2}}");
    cw_host_free(&a);
    CHECK(query_is("legacy2", "SELECT count(*) FROM sqlite_master WHERE name = 'state'", "0"));
    CHECK(query_is("legacy2", "SELECT version || ',' || jcount || ',' || jfirst FROM cw_meta",
                   "3,1,3"));
}

/* Versions stop at 2^53 - 1, the largest integer a JSON client holds
 * exactly: a write past it is 409, a stored version past it is refused as
 * malformed (never rounded), and so is a legacy blob's. */
static void versions_stop_at_2_to_the_53_less_1(void) {
    cw_host_answer a;
    char code[64];
    sqlite3_exec(cw_host_db("vmax"), "INSERT INTO cw_meta VALUES (0, 9007199254740990, 0, 0, 1)",
                 NULL, NULL, NULL);
    CHECK_INT(patch(&a, "vmax", "", "{\"a\":1}"), 200);
    CHECK_STR(a.body, "{\"id\":\"vmax\",\"version\":9007199254740991,\"state\":{\"a\":1}}");
    cw_host_free(&a);
    CHECK_INT(patch(&a, "vmax", "", "{\"a\":2}"), 409);
    CHECK_STR(code_of(&a, code), "version_limit");
    cw_host_free(&a);
    CHECK_INT(run(&a, "DELETE /state/vmax\r\n\r\n"), 409);
    cw_host_free(&a);
    CHECK(query_is("vmax", "SELECT version FROM cw_meta", "9007199254740991"));
    CHECK_INT(run(&a, "GET /state/vmax\r\n\r\n"), 200);
    cw_host_free(&a);
    sqlite3_exec(cw_host_db("vover"), "INSERT INTO cw_meta VALUES (0, 9007199254740992, 0, 0, 1)",
                 NULL, NULL, NULL);
    CHECK_INT(run(&a, "GET /state/vover\r\n\r\n"), 500);
    CHECK_STR(code_of(&a, code), "storage_failed");
    cw_host_free(&a);
    sqlite3_exec(cw_host_db("vlegacy"),
                 "CREATE TABLE state (k INTEGER PRIMARY KEY CHECK (k = 0), blob TEXT NOT NULL);"
                 "INSERT INTO state VALUES (0, '{\"v\":9007199254740992,\"s\":{}}')",
                 NULL, NULL, NULL);
    CHECK_INT(run(&a, "GET /state/vlegacy\r\n\r\n"), 500);
    cw_host_free(&a);
    CHECK(query_is("vlegacy", "SELECT count(*) FROM sqlite_master WHERE name = 'state'", "1"));
}

/* A write's statements go in one batch: whichever of them fails (a
 * member, the journal entry, the key, the meta row), none stands, the
 * answer is 500 storage_failed, and the next read answers from storage. */
static void a_failed_commit_changes_nothing(void) {
    cw_host_answer a;
    char code[64];
    patch(&a, "fail", "", "{\"a\":1}");
    cw_host_free(&a);
    for (int k = 1; k <= 7; k++) {
        cw_host_fail_write(k);
        CHECK_INT(patch(&a, "fail", "idempotency-key: k2\r\n", "{\"a\":2,\"b\":3}"), 500);
        CHECK_STR(code_of(&a, code), "storage_failed");
        CHECK(!has(&a, "etag:"));
        cw_host_free(&a);
        cw_host_fail_write(0);
        CHECK_INT(run(&a, "GET /state/fail\r\n\r\n"), 200);
        CHECK_STR(a.body, "{\"id\":\"fail\",\"version\":1,\"state\":{\"a\":1}}");
        cw_host_free(&a);
        CHECK(query_is("fail", "SELECT count(*) FROM cw_journal", "1"));
        CHECK(query_is("fail", "SELECT count(*) FROM cw_keys", "0"));
        CHECK(query_is("fail", "SELECT group_concat(key) FROM cw_nodes", "a"));
        CHECK(query_is("fail", "SELECT version FROM cw_meta", "1"));
    }
    /* The same write, once nothing fails, is applied: not a replay. */
    CHECK_INT(patch(&a, "fail", "idempotency-key: k2\r\n", "{\"a\":2,\"b\":3}"), 200);
    CHECK(!has(&a, "idempotent-replayed"));
    cw_host_free(&a);
}

static void rpc_callers_name_the_actor(void) {
    cw_host_answer a;
    const char *rpc = "PATCH /state/act\r\ncontent-type: application/json\r\nx-cw-actor: "
                      "billing-worker\r\n\r\n{\"a\":1}";
    cw_host_request(rpc, strlen(rpc), CW_FLAG_RPC, 1e12, &a);
    CHECK_INT(a.status, 200);
    cw_host_free(&a);
    /* Over HTTP the header is nobody's word: ignored. */
    cw_host_request(rpc, strlen(rpc), 0, 1e12, &a);
    CHECK_INT(a.status, 200);
    cw_host_free(&a);
    CHECK(query_is("act", "SELECT group_concat(coalesce(actor, '-'), ' ') FROM cw_journal",
                   "billing-worker -"));
    CHECK_INT(run(&a, "GET /state/act/changes?since=0\r\n\r\n"), 200);
    CHECK(strstr(a.body, "\"actor\":\"billing-worker\"") != NULL);
    cw_host_free(&a);
}

static void a_read_only_grant_cannot_write(void) {
    static const char r[] = "PATCH /state/ro\r\ncontent-type: application/json\r\n\r\n{\"a\":1}";
    static const char d[] = "DELETE /state/ro\r\n\r\n";
    cw_ctx *ctx = cw_host_owner(r, sizeof r - 1, "r 0  someone", NULL, "ro", 0);
    CHECK_INT(ctx->res.status, 403);
    CHECK(strstr(ctx->res.body, "\"forbidden\"") != NULL);
    cw_host_owner_done(ctx);
    ctx = cw_host_owner(d, sizeof d - 1, "r", NULL, "ro", 0);
    CHECK_INT(ctx->res.status, 403);
    cw_host_owner_done(ctx);
    CHECK(query_is("ro", "SELECT count(*) FROM cw_meta", "0"));
}

const cw_test cw_tests[] = {
    {"configure", configure},
    {"members_and_journal_for_each_write", members_and_journal_for_each_write},
    {"the_same_bytes_after_the_cache_is_dropped", the_same_bytes_after_the_cache_is_dropped},
    {"an_instance_trusts_only_its_own_knowledge", an_instance_trusts_only_its_own_knowledge},
    {"changes_and_history", changes_and_history},
    {"retention_prunes_the_oldest", retention_prunes_the_oldest},
    {"delete_erases_and_the_version_goes_on", delete_erases_and_the_version_goes_on},
    {"two_isolates_over_one_object_agree", two_isolates_over_one_object_agree},
    {"idempotent_writes_apply_once", idempotent_writes_apply_once},
    {"exactly_once_outlives_delete_and_retention", exactly_once_outlives_delete_and_retention},
    {"keys_leave_their_window", keys_leave_their_window},
    {"journal_keys_move_into_the_key_table", journal_keys_move_into_the_key_table},
    {"writes_against_a_base", writes_against_a_base},
    {"the_base_check_is_bounded", the_base_check_is_bounded},
    {"prefer_minimal_and_since", prefer_minimal_and_since},
    {"limits_bound_values_not_subtrees", limits_bound_values_not_subtrees},
    {"members_as_rows_convert_on_first_touch", members_as_rows_convert_on_first_touch},
    {"the_legacy_blob_converts_on_first_touch", the_legacy_blob_converts_on_first_touch},
    {"versions_stop_at_2_to_the_53_less_1", versions_stop_at_2_to_the_53_less_1},
    {"a_failed_commit_changes_nothing", a_failed_commit_changes_nothing},
    {"rpc_callers_name_the_actor", rpc_callers_name_the_actor},
    {"a_read_only_grant_cannot_write", a_read_only_grant_cannot_write},
    {NULL, NULL},
};
