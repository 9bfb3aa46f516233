/* rpc.h - the RPC entrypoint's calls (syncState, getState, getChanges,
 * deleteState), made into the HTTP requests they stand for, so RPC and
 * HTTP share one path and one set of answers.
 *
 *   RPC /{method}   (EDGE, from a bound worker only: CW_FLAG_RPC)
 *                   x-cw-args: {"id":<id>,"options":{...},"since":<n>}
 *                   as JSON.stringify wrote it from the caller's values
 *                   (since: getChanges's argument); the body is the
 *                   patch (syncState) as bytes;
 *                   x-cw-patch: value when the glue wrote those bytes
 *                   from a JavaScript value (carried to the request built:
 *                   the words it writes for values JSON cannot carry are
 *                   then named, sync.c), absent for the caller's own bytes.
 *
 * Each method takes its own options: any other (a misspelt ifMatch above
 * all, which would be a write without its precondition) is 400
 * bad_request naming it and those the method takes, as are options that
 * are not an object.
 *
 * Each option is a row of a table: the header or query parameter it
 * becomes, how its value is written (a number as itself or, for
 * preconditions, as its ETag "<n>"; a string as it is) and the error code
 * of a value it cannot be (another type, a control character, a number
 * that is not an integer). The id is percent-encoded into the path. The
 * request built this way is then routed like any other (pipeline.h
 * cw_pipeline_reroute) and forwarded as built. */
#ifndef CW_RPC_H
#define CW_RPC_H

#include "pipeline.h"

/* RPC /{method}: builds the request and routes it. */
int cw_rpc_call(cw_ctx *ctx);

#endif
