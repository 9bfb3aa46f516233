/* host.h - a native host for the pipeline, for the C tests and fuzzers.
 *
 * It does what the glue does, natively: runs a request at the edge and,
 * when the edge forwards (or hands over a live upgrade), in the owner
 * stage on an in-memory database per id, serving the host port
 * (src/port.h) as worker/state_object.js does: the reads C names, and
 * each batch of writes in one transaction (with cw_host_fail_write, a
 * write that fails and takes its batch with it). It has no sockets.
 * A token's MAC comes from OpenSSL, as WebCrypto's does for the glue.
 * Sync-hook calls are answered by a function the test sets. Test code: it
 * shares no code with the glue. */
#ifndef CW_TEST_HOST_H
#define CW_TEST_HOST_H

#include <stddef.h>

#include <sqlite3.h>

typedef struct {
    int status;
    char *head; /* NUL-terminated "name: value\r\n" lines; free with cw_host_free */
    char *body; /* NUL-terminated */
    size_t body_len;
    char *log; /* the edge's log line, NUL-terminated */
    char *rpc; /* an RPC call's members (cw_result.rpc), NUL-terminated */
} cw_host_answer;

/* Answers a plugin call ("<name> <entry>", input): sets *status and returns
 * the body (static or owned by the test). */
typedef const char *(*cw_host_plugin)(const char *what, const char *input, size_t n, int *status);

/* Sets the plugin answerer (NULL: every call answers status 1, "no plugin"). */
void cw_host_set_plugin(cw_host_plugin fn);

/* The object instance the owner runs are in (cw_run.incarnation); 0, the
 * default, trusts nothing between requests. */
void cw_host_set_incarnation(double n);

/* The k-th write statement from now (k >= 1) of any object fails, once;
 * the batch it is in then rolls back whole. 0: none. */
void cw_host_fail_write(int k);

struct cw_ctx;
/* Answers an OWNER context's suspensions (plugin calls, each resumed on
 * id's database) until it is final. */
void cw_host_settle(struct cw_ctx *owner, const char *id);

/* The same, but stops at a plugin call, for the test to answer. */
void cw_host_step(struct cw_ctx *owner, const char *id);

/* Runs envelope req[0..n) in the OWNER stage under grant and request id
 * rid (NUL-terminated; rid may be NULL) on id's database, to its end or
 * (stop_at_call) its first plugin call. Free with cw_host_owner_done. */
struct cw_ctx *cw_host_owner(const char *req, size_t n, const char *grant, const char *rid,
                             const char *id, int stop_at_call);

/* Resumes a suspended OWNER context with a plugin's answer (status and
 * body[0..n)), on id's database, as the host does, then
 * goes on to its end or its next plugin call. Returns what
 * cw_pipeline_resume returns. */
int cw_host_resume(struct cw_ctx *owner, const char *id, int status, const char *body, size_t n);

/* Frees an owner context. */
void cw_host_owner_done(struct cw_ctx *owner);

/* Runs req[0..n) with CW_FLAG_* flags at wall time now_ms to its final
 * answer. Returns 0, or -1 when the module gave no result at all. */
int cw_host_request(const char *req, size_t n, int flags, double now_ms, cw_host_answer *out);

/* Runs req (NUL-terminated) with no flags at a fixed time. */
int cw_host_run(const char *req, cw_host_answer *out);

void cw_host_free(cw_host_answer *a);

/* The database of id, created with the module's schema on first use. */
sqlite3 *cw_host_db(const char *id);

/* Runs sql (no parameters) on id's database; returns the first column of
 * the first row as a new string ("" when none; free()), for assertions. */
char *cw_host_query(const char *id, const char *sql);

/* Closes every database and drops the owners' document cache. */
void cw_host_reset(void);

/* From now on, id's database is the file dir/<id>.db (dir borrowed, kept;
 * NULL: in memory again), so two processes can share one object's storage,
 * as two isolates running one Durable Object in turn do. */
void cw_host_files(const char *dir);

/* Closes every database but keeps the document cache: this process's
 * module state outlives its connections (fork after this, never before). */
void cw_host_close(void);

#endif
