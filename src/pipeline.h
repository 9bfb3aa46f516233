/* pipeline.h - one request's context, the middleware chain, and handler API.
 *
 * A request runs in one of two stages, with the same routes and handlers:
 *   EDGE  (the worker's fetch/RPC path): routes and validates; state routes
 *         end by forwarding to the Durable Object that owns the id, and the
 *         context is suspended until cw_pipeline_resume hands back its answer.
 *   OWNER (inside that Durable Object): the same handler runs against the
 *         stored state, reading and writing it synchronously through the
 *         host port (port.h) inside the request's one transaction. It
 *         suspends only where something really yields: a plugin call (and
 *         the test builds' wait). It keeps its own copy of the request, so
 *         ctx->req stays valid across such a suspension.
 * Middleware (request id, CORS, body limit, Server-Timing, log line,
 * metrics, error mapping) wraps every handler; its "after" hooks run once,
 * when the response is final.
 *
 * Handlers share one signature: int handler(cw_ctx *ctx). They return 0
 * after responding or suspending, or -1 after setting ctx->err.
 *
 * State: the context holds what every stage and middleware needs (the
 * request, the answer being built, who the caller is, the clocks); a
 * route's handler keeps its own in ctx->state (freed with state_free), and
 * a suspension carries its continuation's argument with it. */
#ifndef CW_PIPELINE_H
#define CW_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"
#include "error.h"
#include "http.h"
#include "id.h"
#include "router.h"

enum { CW_STAGE_EDGE = 1, CW_STAGE_OWNER = 2 };

/* What a suspended result asks of the host (cw_result.action); `ask` is
 * cw_result.ask, `input` cw_result.input. The host does it, then resumes
 * the same context (cw_resume) with its answer. */
enum {
    CW_ACTION_NONE = 0,    /* final: answer with status, head, body */
    CW_ACTION_FORWARD = 1, /* EDGE: run the request as owner in the Durable Object
                              for id `ask`, handing it the grant `input` (what the
                              edge decided about the caller) and the envelope:
                              `body` when it is not empty (one the module built: an
                              RPC call), else the request's own bytes */
    CW_ACTION_TOUCH = 2,   /* touch each Durable Object named in `ask` (one id a
                              line) with a GET under grant `input`, then resume
                              with a JSON array of {"id","ok","ms"} as the body */
    CW_ACTION_PLUGINS = 3, /* registry operation `ask`: "list", "load" (every
                              plugin in the manifest) or "unload <name>"; resume
                              with 200 and a JSON array of registry entries */
    CW_ACTION_CALL = 4,    /* call plugin entry `ask` ("<name> route" or
                              "<name> sync") with `input`; resume with the
                              plugin's status and body, or status 0 (it failed:
                              trapped, so its instance was dropped) or 1 (it is
                              refused or cannot load) with the reason as body */
    CW_ACTION_WAIT = 5,    /* OWNER, test builds only: wait `ask` ms, then
                              run the request again from the start with
                              CW_FLAG_WAITED (never resumed) */
    CW_ACTION_UPGRADE = 6, /* EDGE: open a WebSocket at the Durable Object for id
                              `ask`, handing it `input` (the grant) and the
                              request; resume as for a forward (101, or its
                              error). A 101's socket stays with the host, which
                              answers the client with it */
    CW_ACTION_HMAC = 7     /* EDGE: resume with 200 and HMAC-SHA256 of `input`:
                              a u32 (little-endian) key length, the key, then
                              the message; status 0 when it could not */
};

/* A result's frames: what the host does with the object's sockets once the
 * answer stands (committed). Records of four little-endian u32 (op, target,
 * code, length) and that many bytes, padded to a multiple of 4
 * (worker/layout.js readFrames). target: an index into the socket list the
 * host gave this call (port.h CW_PORT_SOCKETS), CW_FRAME_SENDER, or
 * CW_FRAME_ACCEPTED: the socket accepted for this call's upgrade (at the
 * edge, the end the owner handed back). */
enum {
    CW_FRAME_TEXT = 1, /* the text the next TO records send */
    CW_FRAME_TO = 2,   /* send the current text to target */
    CW_FRAME_CLOSE = 3 /* close target with code and the bytes as reason */
};
#define CW_FRAME_SENDER 0xffffffffu
#define CW_FRAME_ACCEPTED 0xfffffffeu

/* The status a host resumes a forward with when the owner gave no answer. */
enum {
    CW_OWNER_FAILED = 0, /* the Durable Object threw or could not be reached: 503 */
    CW_OWNER_TIMEOUT = 2 /* no answer within the deadline (cw_limit): 504 */
};

/* Run flags. */
enum {
    CW_FLAG_SCHEDULED = 1, /* EDGE: the request comes from the cron trigger, not HTTP */
    CW_FLAG_WAITED = 2,    /* OWNER: the test-only wait (CW_ACTION_WAIT) is done */
    CW_FLAG_RPC = 4,       /* EDGE: the request is an RPC call from a bound worker */
    CW_FLAG_SOCKET = 8,    /* OWNER: the request is a socket's event (set by the host) */
    CW_FLAG_FAILED = 16,   /* the answer to a request a trap ended (exports.c cw_failed) */
    CW_FLAG_ACCEPTED = 32  /* with FAILED: a socket was accepted for the failed call */
};

/* cw_result.flags */
enum {
    CW_RESULT_HELD = 2,   /* OWNER: the body is the one the host holds under the tag
                             it passed in (cw_run.held): answer with those bytes */
    CW_RESULT_STREAM = 4, /* OWNER: the body (a socket's answer: the frames) is the first
                             piece of a longer one: the host asks cw_next for each next
                             piece (exports.c), in order, holding other requests back */
    CW_RESULT_UNSIZED = 8 /* OWNER: the answer's length is not known (streamed, or a
                             HEAD of what would be): no content-length is given */
};

/* The length a host resumes a forward with when the owner's answer it
 * keeps has no known length (CW_RESULT_UNSIZED). */
#define CW_KEPT_UNSIZED 0xffffffffu

#define CW_RID_LEN 32    /* generated ids: 32 lowercase hex digits */
#define CW_RID_MAX 64    /* client ids: 16-64 of [A-Za-z0-9-], else replaced */
#define CW_ACTOR_MAX 128 /* longest actor (a token's sub, an RPC caller's actor) */

/* What the host reads back. On wasm32 every field is 4 bytes but hold, at
 * the offsets asserted below and read by worker/layout.js (the one JS
 * reader); all pointers are owned by the context and die with
 * cw_pipeline_free. Unused slices have length 0. */
typedef struct {
    uint32_t status;  /* HTTP status; 0 while suspended */
    const char *head; /* "name: value\r\n" lines */
    uint32_t head_len;
    const char *body; /* response body (a FORWARD: the envelope to hand over) */
    uint32_t body_len;
    uint32_t action; /* CW_ACTION_*: what a suspended result asks for */
    const char *ask; /* the action's subject (see CW_ACTION_*) */
    uint32_t ask_len;
    const char *input; /* the action's payload (see CW_ACTION_*) */
    uint32_t input_len;
    const char *request_id; /* this request's id, always set */
    uint32_t request_id_len;
    const char *log; /* EDGE: the one structured log line, when final */
    uint32_t log_len;
    uint32_t keep;      /* FORWARD: resume with the owner's body length only, and keep
                           its bytes; final: 1 when the body is those kept bytes */
    const char *frames; /* OWNER: what to do with the object's sockets (CW_FRAME_*),
                           once the answer stands */
    uint32_t frames_len;
    uint32_t flags;  /* CW_RESULT_* */
    const char *rpc; /* EDGE, an RPC call: the value's own members, a JSON object
                        ({"ok","status"[,"version"][,"replayed"]}) the host
                        merges with the body's (or, as text, sets beside it) */
    uint32_t rpc_len;
    double hold; /* OWNER: when >= 0, hold the body under this tag (cw_run.held) */
} cw_result;

#ifdef __wasm__
/* The layout worker/layout.js reads (RESULT); change both together. */
_Static_assert(offsetof(cw_result, status) == 0, "cw_result layout");
_Static_assert(offsetof(cw_result, head) == 4, "cw_result layout");
_Static_assert(offsetof(cw_result, body) == 12, "cw_result layout");
_Static_assert(offsetof(cw_result, action) == 20, "cw_result layout");
_Static_assert(offsetof(cw_result, ask) == 24, "cw_result layout");
_Static_assert(offsetof(cw_result, input) == 32, "cw_result layout");
_Static_assert(offsetof(cw_result, request_id) == 40, "cw_result layout");
_Static_assert(offsetof(cw_result, log) == 48, "cw_result layout");
_Static_assert(offsetof(cw_result, keep) == 56, "cw_result layout");
_Static_assert(offsetof(cw_result, frames) == 60, "cw_result layout");
_Static_assert(offsetof(cw_result, flags) == 68, "cw_result layout");
_Static_assert(offsetof(cw_result, rpc) == 72, "cw_result layout");
_Static_assert(offsetof(cw_result, hold) == 80, "cw_result layout");
_Static_assert(sizeof(cw_result) == 88, "cw_result layout");
#endif

/* One run of a request: everything borrowed for the duration of the call. */
typedef struct {
    const char *req; /* the envelope (http.h) */
    size_t n;
    const char *grant; /* OWNER: the edge's grant for this request (may be empty) */
    size_t grant_len;
    const char *rid; /* the request id to keep (may be empty): the edge's, in the
                        OWNER stage, or the first run's when the host runs an
                        EDGE request again on a new instance */
    size_t rid_len;
    double now_ms;      /* EDGE: the host's monotonic clock; OWNER: wall time (epoch) */
    double wall_ms;     /* wall time (epoch) */
    int flags;          /* CW_FLAG_* */
    double held;        /* OWNER: the tag of the body the host holds, or -1 */
    double incarnation; /* OWNER: which instance of the Durable Object runs it
                           (a number the host never gives two instances in
                           this isolate); 0: unknown */
} cw_run;

/* Who the request is from and about: set by the access check (EDGE) or
 * the grant (OWNER), read by the handlers and the log line. */
typedef struct {
    char id[CW_ID_MAX + 1]; /* decoded state id, for state routes */
    size_t id_len;
    char actor[CW_ACTOR_MAX + 1]; /* who is writing: "" when unknown */
    char kid[65];                 /* the key id of the token checked, "" when none */
    long long exp;                /* the token's exp (seconds), or 0 when none */
    int read_only;                /* the grant allows reads only */
    json_t *read_paths;           /* the pointer prefixes the grant may read and */
    json_t *write_paths;          /* write (paths.h), held by the request; NULL: all */
    int granted;                  /* OWNER: the edge's grant was explicit; without one
                                     the owner allows nothing */
    const char *challenge;        /* a 401's WWW-Authenticate (static); NULL: Bearer */
} cw_caller;

typedef struct cw_ctx cw_ctx;

/* Sets who's read and write path lists (references taken; NULL: all). */
void cw_pipeline_who_paths(cw_ctx *ctx, json_t *read, json_t *write);

/* Finishes a suspended request with the host's answer (borrowed); arg is
 * the suspension's; ctx->t1_ms is the resume time. Returns 0 after
 * responding or suspending again, or -1 with ctx->err set. */
typedef int (*cw_resume_fn)(cw_ctx *ctx, void *arg, int status, const char *head, size_t head_len,
                            const char *body, size_t body_len);

/* A request's context. The fields above own are the handler API: what a
 * route handler, a middleware hook or a stage's module reads and writes.
 * own is the pipeline's bookkeeping, read and written by pipeline.c alone.
 * A module's own state for the request hangs off state (the route's) or
 * owned (cw_pipeline_own), never off a field of its own here. */
struct cw_ctx {
    cw_result res; /* must stay first: the host is handed &ctx->res == ctx */
    int stage;
    int flags;             /* CW_FLAG_* */
    const cw_request *req; /* EDGE: valid only inside cw_pipeline_run; OWNER: always */
    cw_buf envelope;       /* OWNER: a copy of the request's bytes; EDGE: one the
                              module built (an RPC call's), forwarded as it is */
    cw_caller who;
    char rid[CW_RID_MAX + 1];
    double wall_ms;     /* wall time when it arrived, ms since the epoch */
    double t0_ms;       /* host clock when the request arrived, milliseconds */
    double t1_ms;       /* host clock when the response became final */
    double held;        /* OWNER: the tag of the host's held body, or -1 */
    double incarnation; /* OWNER: cw_run.incarnation */

    /* The answer being built. */
    cw_error err;
    cw_buf err_extra; /* members added to the error object: ,"paths":[...] */
    cw_buf head, body;
    cw_buf frames; /* socket operations (CW_FRAME_*) */
    cw_buf input;  /* a suspension's payload (res.input) */

    /* Hooks a handler sets. */
    void (*finish)(cw_ctx *ctx); /* runs on the final answer, after the errors are
                                    mapped (a socket's frame: answer to frames) */
    int (*more)(cw_ctx *ctx, void *arg, cw_buf *out); /* a streamed answer's next piece
                                    (arg: more_arg), appended to out: 1 while more
                                    follows, 0 at its end, -1 with
                                    ctx->err set (cw_pipeline_stream_answer) */
    void *more_arg;
    void *state;                     /* the route handler's own state, freed with... */
    void (*state_free)(void *state); /* ...this, when the context is freed */

    struct {
        const cw_route *routes; /* the route table (borrowed, static), nroutes rows */
        size_t nroutes;
        const cw_route *route;  /* the matched route */
        cw_match match;         /* its parameters, borrowed like req */
        cw_request owned_req;   /* OWNER: the request parsed from envelope */
        cw_resume_fn on_resume; /* NULL: the owner's answer is the response */
        void *resume_arg;       /* on_resume's argument */
        cw_buf ask;             /* what a suspension asks for (res.ask) */
        cw_buf log, rpc;        /* the log line; an RPC call's value members */
        const char *body_ref; /* a borrowed body (cw_pipeline_respond_ref), used instead of body */
        size_t body_ref_len;
        struct {
            void *p;
            void (*free)(void *p);
        } owned[4]; /* other modules' state for the request (cw_pipeline_own) */
        char method[16];
        /* The error code of an answer made elsewhere (the owner's, a
         * plugin's), and a 5xx's cause, for the log line */
        char answered[48], answered_cause[CW_ERROR_TEXT_LENGTH];
        char origin[128];         /* the Origin header, copied for the after hooks */
        char allow[CW_ALLOW_MAX]; /* on 405: the methods the path accepts */
        size_t kept;              /* EDGE: length of the owner's body the host keeps */
        int keeping;              /* EDGE: the answer's body is the host's kept bytes */
        int cold;                 /* 1: the first final edge response of this instance */
        int final;                /* 1 once the after hooks have run */
        int unsized;              /* EDGE: the owner's kept answer has no known length */
        int upgraded;             /* a socket was accepted for this call (OWNER), or the
                                     owner answered 101 (EDGE): unless the answer is a
                                     101, it is closed (1011) */
    } own;
};

/* A new context for stage, routing over routes[0..n) (borrowed; static):
 * free with cw_pipeline_free. NULL on no memory. */
cw_ctx *cw_pipeline_new(int stage, const cw_route *routes, size_t n);

/* Runs the request described by run (borrowed for the call). Always
 * produces ctx->res: final, or suspended with res.action set. */
void cw_pipeline_run(cw_ctx *ctx, const cw_run *run);

/* Completes a suspended context with the host's answer (head and body
 * borrowed, copied). For a forward, status CW_OWNER_FAILED is mapped to a
 * 503 error and CW_OWNER_TIMEOUT to 504. Returns 0, or -1 when ctx was not
 * suspended. */
int cw_pipeline_resume(cw_ctx *ctx, int status, const char *head, size_t head_len, const char *body,
                       size_t body_len, double now_ms);

/* Releases ctx and everything its result points to, and drops writes it
 * left queued (store.h). NULL is a no-op. */
void cw_pipeline_free(cw_ctx *ctx);

/* The next piece of a streamed answer (CW_RESULT_STREAM) into the result's
 * body and frames (both emptied first): 1 while more follows, 0 at the end (the flag is then
 * cleared), -1 when it failed (the piece is empty; the answer cannot change any more, so the host
 * ends the stream with an error). */
int cw_pipeline_next(cw_ctx *ctx);

/* Ends a streamed answer the host cut off (it held its document past the
 * stream limit): no piece follows; a socket's answer in parts gets, in the
 * result's frames, the error frame that tells the client to drop them. */
void cw_pipeline_cut(cw_ctx *ctx);

/* Queues {"type":"error","error":{...}} from ctx->err to the sender.
 * Returns 0, or -1 out of memory. */
int cw_pipeline_error_frame(cw_ctx *ctx);

/* Handler API. */

/* Appends a response header. Returns 0 or -1 (no memory, recorded later). */
int cw_pipeline_header_add(cw_ctx *ctx, const char *name, const char *value);

/* Appends the error body for ctx->err to b: {"error":{"code","message",
 * "request_id"[,extra members]}}, the shape of every error answer. */
void cw_pipeline_error_json(const cw_ctx *ctx, cw_buf *b);

/* Sets status and a JSON body (stolen). Returns 0, or -1 with ctx->err set. */
int cw_pipeline_respond_json(cw_ctx *ctx, int status, json_t *body);

/* Names the error code of an error answer made elsewhere (a plugin's),
 * for the log line: letters, digits, '_', '.' and '-' of code are kept. */
void cw_pipeline_answered(cw_ctx *ctx, const char *code);

/* Sets status, content type and the body taken from b (b is emptied).
 * Returns 0, or -1 with ctx->err set when b is broken. */
int cw_pipeline_respond_buf(cw_ctx *ctx, int status, const char *content_type, cw_buf *b);

/* Sets status, content type and a body the context does not own: p[0..n)
 * (borrowed) must stay valid until the host has read the final result,
 * that is, until the call returns. For a final answer only (a suspension
 * may run other requests' code). Returns 0 or -1 as cw_pipeline_header_add. */
int cw_pipeline_respond_ref(cw_ctx *ctx, int status, const char *content_type, const char *p,
                            size_t n);

/* OWNER: answers status with the body the host holds under ctx->held (the
 * caller checked the tag), and the content type. Returns 0 or -1 as
 * cw_pipeline_header_add. */
int cw_pipeline_respond_held(cw_ctx *ctx, int status, const char *content_type);

/* OWNER: answers status, content type and a body produced a piece at a
 * time by more(ctx, arg, out) (see cw_ctx.more), with no known length; the first piece is
 * made now. With content_type NULL (a socket's answer) the pieces are
 * frames instead: more appends each next piece's frames (the body stays
 * empty). Returns 0, or -1 with ctx->err set (nothing was answered yet, so
 * the error is the answer). */
int cw_pipeline_stream_answer(cw_ctx *ctx, int status, const char *content_type,
                              int (*more)(cw_ctx *ctx, void *arg, cw_buf *out), void *arg);

/* OWNER: the answer has no known length (a HEAD of what a GET streams). */
void cw_pipeline_unsized(cw_ctx *ctx);

/* OWNER: the host is to hold this answer's body under tag (>= 0) from now
 * on, for a later cw_pipeline_respond_held. */
void cw_pipeline_hold(cw_ctx *ctx, double tag);

/* EDGE: writes the grant a forward hands the owner into ctx->input:
 * "<r|w> <exp> <kid> <actor>" from ctx->who; the owner reads it back into
 * ctx->who. Returns 0, or -1 with ctx->err set. */
int cw_pipeline_grant(cw_ctx *ctx, cw_slice actor);

/* Suspends the EDGE stage: the Durable Object for ctx->who.id must run
 * this request in the OWNER stage, with the grant in ctx->input; fn(ctx,
 * arg, ...) takes its answer, or, with fn NULL, the answer is the response
 * as it is (its body need not cross back). Returns 0. */
int cw_pipeline_forward(cw_ctx *ctx, cw_resume_fn fn, void *arg);

/* Suspends the request: the host does what action and what[0..n) (copied)
 * ask, with ctx->input as the payload, and resumes; fn(ctx, arg, ...) then
 * builds the response, or suspends again. Returns 0, or -1 with ctx->err
 * set when out of memory. */
int cw_pipeline_suspend(cw_ctx *ctx, int action, const char *what, size_t n, cw_resume_fn fn,
                        void *arg);

/* EDGE: parses ctx->envelope, a request the handler built, and runs its
 * route as the request's from then on (its body goes to the owner as
 * built: cw_pipeline_forward). Returns 0, or -1 with ctx->err set. */
int cw_pipeline_reroute(cw_ctx *ctx);

/* Makes p (with free_fn) the request's: freed when the context is; for a
 * module's state that a continuation reaches through its argument.
 * Returns p, or NULL (p freed) when the context holds too many. */
void *cw_pipeline_own(cw_ctx *ctx, void *p, void (*free_fn)(void *p));

/* Suspends the request to call entry ("route" or "sync") of plugin with
 * ctx->input; fn(ctx, arg, ...) gets the plugin's answer. Returns 0, or -1
 * with ctx->err set (CW_E_TOO_LARGE when the input is over the
 * environment's plugin_input_limit). Works in both stages. */
int cw_pipeline_call(cw_ctx *ctx, const char *plugin, const char *entry, cw_resume_fn fn,
                     void *arg);

/* Frames (CW_FRAME_*): sets the text later TO records send (text[0..n),
 * copied), sends it to target, closes target. Return 0, or -1 with
 * ctx->err set when memory runs out. */
int cw_pipeline_frame_text(cw_ctx *ctx, const char *text, size_t n);
int cw_pipeline_frame_to(cw_ctx *ctx, uint32_t target);
int cw_pipeline_frame_close(cw_ctx *ctx, uint32_t target, int code, const char *reason);

/* OWNER: a socket was accepted for this call (see cw_ctx.upgraded). */
void cw_pipeline_accepted(cw_ctx *ctx);

/* cw_pipeline_frame_text and a TO the sender, with b's text (borrowed): 0, or -1
 * with ctx->err set when b is broken or memory runs out. */
int cw_pipeline_frame_reply(cw_ctx *ctx, const cw_buf *b);

/* The raw value of route parameter name ({name} in the pattern), borrowed
 * like ctx->req; {NULL, 0} when the route has none. */
cw_slice cw_pipeline_param(const cw_ctx *ctx, const char *name);

#endif
