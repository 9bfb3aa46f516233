/* doctables.c - the docs' tables, written from the C definitions.
 *
 * Built natively against the same objects as the C tests (make docs, make
 * test-docs) and run by scripts/docs.mjs, which puts each table between
 * its markers in docs/ (<!-- table:NAME --> ... <!-- /table -->) or, with
 * --check, fails where the docs and the code disagree. Output: for each
 * table a line "@@ NAME", then its Markdown.
 *
 * The tables: env (src/config.c's rows), constants (the fixed limits the
 * headers define, the same in every environment), errors (src/error.c), routes
 * (src/handlers.c), frames (src/live.c's client frame types with their
 * rates per environment) and metrics (the exposition's # HELP and # TYPE
 * lines, as src/metrics.c renders them). Test-only rows and routes (the
 * host objects are built with CW_TEST_ROUTES) are left out. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "doc.h"
#include "error.h"
#include "handlers.h"
#include "http.h"
#include "id.h"
#include "json.h"
#include "jwt.h"
#include "live.h"
#include "metrics.h"
#include "paths.h"
#include "pipeline.h"
#include "plugin_manifest.h"
#include "sync.h"
#include "tree.h"

enum { ROWS = 3 }; /* local, staging, production: cw_config_row(0..2) */

/* 1234567 as "1,234,567". */
static void put_count(long long v) {
    char s[32];
    int n = snprintf(s, sizeof s, "%lld", v);
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0 && s[i - 1] != '-')
            putchar(',');
        putchar(s[i]);
    }
}

/* Bytes in the units that divide them: "1 MiB", "4 MiB + 64 KiB", "512 KiB";
 * otherwise "1,800,000 B". */
static void put_bytes(long long v) {
    const long long KiB = 1024, MiB = 1024 * 1024;
    if (v >= MiB && v % KiB == 0) {
        printf("%lld MiB", v / MiB);
        if (v % MiB)
            printf(" + %lld KiB", v % MiB / KiB);
    } else if (v >= KiB && v % KiB == 0) {
        printf("%lld KiB", v / KiB);
    } else {
        put_count(v);
        printf(" B");
    }
}

static void put_ms(long long v) {
    if (v % (24LL * 3600 * 1000) == 0) {
        long long d = v / (24LL * 3600 * 1000);
        printf("%lld day%s", d, d == 1 ? "" : "s");
    } else if (v % 1000 == 0) {
        printf("%lld s", v / 1000);
    } else {
        printf("%lld ms", v);
    }
}

static void put_list(const char *const *l) {
    if (!l || !*l)
        printf("none");
    for (int i = 0; l && l[i]; i++)
        printf("%s`%s`", i ? ", " : "", l[i]);
}

typedef enum { K_BYTES, K_COUNT, K_MS, K_SECONDS, K_LEVEL, K_LIST, K_YESNO, K_RATE } kind;

/* Each field of cw_config the docs show: its name in config.h, how to
 * print it and what it bounds. */
/* F: one field; R: a rate and its burst, shown as one. size is the
 * field's own, so a number is read at its type's width. */
#define F(field, k, what)                                                                          \
    { #field, k, offsetof(cw_config, field), 0, sizeof(((cw_config *)0)->field), what }
#define R(rate, burst, what)                                                                       \
    {                                                                                              \
#rate, K_RATE, offsetof(cw_config, rate), offsetof(cw_config, burst),                      \
            sizeof(((cw_config *)0)->rate), what                                                   \
    }
static const struct {
    const char *name;
    kind k;
    size_t off, off2; /* off2: a rate's burst */
    size_t size;
    const char *what;
} fields[] = {
    F(log_level, K_LEVEL, "log lines below this level are dropped"),
    F(cors_origins, K_LIST, "origins allowed cross-origin when `CORS_ORIGINS` is unset"),
    F(tokens_required, K_YESNO, "state routes need a document token (and `/metrics` its token)"),
    F(body_limit, K_BYTES, "largest request body"),
    F(depth_limit, K_COUNT, "deepest JSON nesting accepted"),
    F(container_limit, K_COUNT, "most arrays and objects in one patch or merged value"),
    F(value_limit, K_BYTES, "largest stored row: a key and one value's JSON text"),
    F(state_limit, K_BYTES, "largest document (its stored size)"),
    F(cache_bytes, K_BYTES, "memory the owners' document cache may hold"),
    F(call_memory, K_BYTES, "most one call into the module may allocate"),
    F(plugin_input_limit, K_BYTES, "largest input handed to a plugin"),
    F(deadline_ms, K_MS, "longest a request waits in its Durable Object, from its arrival (then 504)"),
    F(stream_ms, K_MS, "longest a streamed answer holds its document's other requests back"),
    F(journal_entries, K_COUNT, "journal entries kept"),
    F(journal_bytes, K_BYTES, "journal bytes kept"),
    F(base_entries, K_COUNT, "later writes a `?base=` write checks (then 410)"),
    F(base_bytes, K_BYTES, "bytes of later writes a `?base=` write checks (then 410)"),
    F(key_ms, K_MS, "how long an idempotency key is kept"),
    F(key_entries, K_COUNT, "idempotency keys kept, newest first"),
    F(changes_limit, K_COUNT, "most changes one page returns (100 unless asked)"),
    F(live_sockets, K_COUNT, "most WebSockets one document holds"),
    F(frame_limit, K_BYTES, "largest frame a socket may send"),
    F(presence_limit, K_BYTES, "largest presence data (its JSON text)"),
    F(bad_frames, K_COUNT, "bad frames a socket may send before it is closed (1008)"),
    R(patch_rate, patch_burst, "a socket's `patch` frames: a second / at once"),
    R(presence_rate, presence_burst, "a socket's `presence` frames: a second / at once"),
    R(hello_rate, hello_burst, "a socket's `hello` and `paths` frames: a second / at once"),
    F(rate_strikes, K_COUNT, "frames over their rate in a row before the socket is closed (1008)"),
    F(snapshot_ms, K_MS, "a socket gets a snapshot at most once per this"),
    F(token_leeway, K_SECONDS, "clock skew allowed around a token's `exp`, `nbf` and `iat`"),
    F(warm_ids, K_LIST, "documents the warmup touches"),
};

/* The integer at off in c, read at width size (config.h's int, unsigned,
 * long, long long and size_t fields; every value is non-negative). */
static long long num(const cw_config *c, size_t off, size_t size) {
    const char *p = (const char *)c + off;
    return size == sizeof(int) ? (long long)*(const int *)p : *(const long long *)p;
}

static void put_field(const cw_config *c, int f) {
    static const char *const levels[] = {"debug", "info", "warn", "error"};
    long long v = fields[f].k == K_LIST ? 0 : num(c, fields[f].off, fields[f].size);
    switch (fields[f].k) {
    case K_BYTES:
        put_bytes(v);
        break;
    case K_COUNT:
        put_count(v);
        break;
    case K_MS:
        put_ms(v);
        break;
    case K_SECONDS:
        printf("%lld s", v);
        break;
    case K_LEVEL:
        printf("%s", levels[v]);
        break;
    case K_LIST:
        put_list(*(const char *const *const *)((const char *)c + fields[f].off));
        break;
    case K_YESNO:
        printf("%s", v ? "yes" : "no");
        break;
    case K_RATE:
        put_count(v);
        printf(" / ");
        put_count(num(c, fields[f].off2, fields[f].size));
        break;
    }
}

/* A table's first lines: "@@ name", two columns of its own, then one
 * column per environment row, aligned by align ("---" or "---:"). */
static void per_env_header(const char *name, const char *first, const char *second,
                           const char *align) {
    printf("@@ %s\n| %s | %s |", name, first, second);
    for (int r = 0; r < ROWS; r++)
        printf(" `%s` |", cw_config_row(r)->name);
    printf("\n| --- | --- |");
    for (int r = 0; r < ROWS; r++)
        printf(" %s |", align);
    printf("\n");
}

static void env_table(void) {
    per_env_header("env", "field", "what it bounds", "---");
    for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++) {
        printf("| `%s` | %s |", fields[f].name, fields[f].what);
        for (int r = 0; r < ROWS; r++) {
            printf(" ");
            put_field(cw_config_row(r), (int)f);
            printf(" |");
        }
        printf("\n");
    }
}

/* The fixed limits: a header's #define, how to print it, and what it bounds. */
static const struct {
    const char *name;
    kind k;
    long long v;
    const char *what;
} constants[] = {
    {"CW_DOC_RESIDENT", K_BYTES, CW_DOC_RESIDENT,
     "a document up to this is held whole in the owner; past it, read and written by rows and "
     "streamed"},
    {"CW_SYNC_PART_MAX", K_BYTES, CW_SYNC_PART_MAX,
     "largest snapshot frame; a larger snapshot goes in parts"},
    {"CW_TREE_SPILL", K_BYTES, CW_TREE_SPILL,
     "an object stored over this spills into a row per member"},
    {"CW_TREE_INLINE", K_BYTES, CW_TREE_INLINE,
     "a spilled object under this goes back into one value"},
    {"CW_HTTP_MAX_FIELD", K_BYTES, CW_HTTP_MAX_FIELD,
     "longest header value (or RPC string that becomes one): 431"},
    {"CW_HTTP_MAX_HEADERS", K_COUNT, CW_HTTP_MAX_HEADERS,
     "most headers in one request, the ones the platform adds counted (`host`; in production "
     "`cf-*` and `x-forwarded-*`); more is 400 `bad_request`"},
    {"CW_ID_MAX", K_COUNT, CW_ID_MAX, "longest document id, characters"},
    {"CW_JSON_MAX_DEPTH", K_COUNT, CW_JSON_MAX_DEPTH, "the ceiling of any row's `depth_limit`"},
    {"CW_JWT_MAX", K_BYTES, CW_JWT_MAX, "longest token taken"},
    {"CW_PATHS_MAX", K_COUNT, CW_PATHS_MAX,
     "most JSON Pointers in one list (a token's paths, a hello's paths)"},
    {"CW_POINTER_MAX", K_BYTES, CW_POINTER_MAX, "longest JSON Pointer in such a list"},
    {"CW_RID_MAX", K_COUNT, CW_RID_MAX, "longest client `x-request-id` kept, characters"},
    {"CW_ACTOR_MAX", K_BYTES, CW_ACTOR_MAX,
     "longest actor (a token's `sub`, an RPC caller's `actor`)"},
    {"CW_LIVE_ATTACHMENT_MAX", K_BYTES, CW_LIVE_ATTACHMENT_MAX,
     "largest socket attachment (workerd keeps 16 KiB, UTF-16 at worst)"},
    {"CW_PLUGIN_NAME_MAX", K_COUNT, CW_PLUGIN_NAME_MAX, "longest plugin name, characters"},
    {"CW_VERSION_MAX", K_COUNT, CW_VERSION_MAX,
     "largest version (2^53 - 1): 409 `version_limit` past it"},
};

static void constants_table(void) {
    printf("@@ constants\n| constant | value | what it bounds |\n| --- | ---: | --- |\n");
    for (size_t i = 0; i < sizeof constants / sizeof constants[0]; i++) {
        printf("| `%s` | ", constants[i].name);
        if (constants[i].k == K_BYTES)
            put_bytes(constants[i].v);
        else
            put_count(constants[i].v);
        printf(" | %s |\n", constants[i].what);
    }
}

static void errors_table(void) {
    printf("@@ errors\n| status | code | default message |\n| ---: | --- | --- |\n");
    for (int s = 400; s < 600; s++) {
        for (int c = 1; c < CW_E_COUNT; c++) {
            cw_error e;
            if (cw_error_status((cw_errcode)c) != s)
                continue;
            cw_error_set(&e, (cw_errcode)c, NULL);
            printf("| %d | `%s` | %s |\n", s, cw_error_name((cw_errcode)c), e.message);
        }
    }
}

static void routes_table(void) {
    size_t n;
    const cw_route *r = cw_handlers_routes(&n);
    printf("@@ routes\n| method | path | route name (logs, metrics) |\n| --- | --- | --- |\n");
    for (size_t i = 0; i < n; i++) {
        if ((r[i].flags & CW_ROUTE_INTERNAL) || !strncmp(r[i].pattern, "/__test", 7))
            continue;
        printf("| %s | `%s` | `%s` |\n", r[i].method, r[i].pattern, r[i].name);
    }
    printf("\nReached only from the glue, never from a client (another method on them is 404):");
    for (size_t i = 0; i < n; i++)
        if ((r[i].flags & CW_ROUTE_INTERNAL))
            printf(" %s `%s` (`%s`)%s", r[i].method, r[i].pattern, r[i].name,
                   i + 1 < n && (r[i + 1].flags & CW_ROUTE_INTERNAL) ? "," : "");
    printf(".\n");
}

static void frames_table(void) {
    const char *type, *bucket;
    long long rate, burst;
    per_env_header("frames", "client frame `type`", "rate bucket (a second / at once)", "---:");
    for (size_t i = 0; (type = cw_live_frame_type(i, cw_config_row(0), &bucket, &rate, &burst));
         i++) {
        printf("| `%s` | `%s` |", type, bucket);
        for (int r = 0; r < ROWS; r++) {
            cw_live_frame_type(i, cw_config_row(r), &bucket, &rate, &burst);
            printf(" ");
            put_count(rate);
            printf(" / ");
            put_count(burst);
            printf(" |");
        }
        printf("\n");
    }
}

/* The families as the exposition writes them: "# HELP name text" then
 * "# TYPE name type". */
static void metrics_table(void) {
    cw_buf out = CW_BUF_INIT;
    const char *help = NULL;
    size_t help_n = 0;
    cw_metrics_render(&out, 0, 0);
    cw_buf_append(&out, "", 1);
    printf("@@ metrics\n| family | type | help |\n| --- | --- | --- |\n");
    for (const char *line = out.p; *line;) {
        const char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        if (n > 7 && !strncmp(line, "# HELP ", 7)) {
            help = line + 7;
            help_n = n - 7;
        } else if (n > 7 && !strncmp(line, "# TYPE ", 7) && help) {
            const char *sp = memchr(line + 7, ' ', n - 7);
            const char *hsp = memchr(help, ' ', help_n);
            if (sp && hsp)
                printf("| `%.*s` | %.*s | %.*s |\n", (int)(sp - line - 7), line + 7,
                       (int)(n - (size_t)(sp + 1 - line)), sp + 1,
                       (int)(help_n - (size_t)(hsp + 1 - help)), hsp + 1);
            help = NULL;
        }
        line += n + (end ? 1 : 0);
    }
    cw_buf_free(&out);
}

int main(void) {
    env_table();
    constants_table();
    errors_table();
    routes_table();
    frames_table();
    metrics_table();
    return 0;
}
