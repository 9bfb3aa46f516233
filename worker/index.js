// Worker entry: HTTP (fetch) and the RPC API other workers call through a
// service binding. Both build a request envelope and take the same C path:
// an RPC call goes to C as the method, the id and the options as given
// (src/rpc.h), and C makes it the HTTP request it stands for.
import { WorkerEntrypoint } from "cloudflare:workers";
import { limits } from "./bridge.js";
import { ended, handle } from "./edge.js";
import { fromRequest, fromRpc, toResponse, toValue, warmupRequest } from "./envelope.js";
import { FLAG } from "./layout.js";

export { StateObject } from "./state_object.js";

// An RPC call through the same C path as HTTP, under the RPC flag (the
// caller is a worker the owner bound, and may name an actor). A function,
// not a method: every method of the entrypoint is callable over RPC.
async function rpc(env, method, id, patch, options, since) {
  return toValue(await handle(env, fromRpc(method, id, patch, options, since, limits(env)), FLAG.rpc), options?.as);
}

export default class StateSync extends WorkerEntrypoint {
  async fetch(request) {
    let bytes;
    try {
      bytes = await fromRequest(request, limits(this.env).body);
    } catch (e) {
      return toResponse(ended(this.env, "", e)); // the body could not be read
    }
    return toResponse(await handle(this.env, bytes, 0, request));
  }

  // Cron trigger: the same warmup as POST /internal/warmup, without a token.
  // Cron runs on an underutilized machine, so this warms Durable Objects and
  // downstream paths, not the isolate that serves users.
  async scheduled() {
    await handle(this.env, warmupRequest(), FLAG.scheduled);
  }

  // Applies an RFC 7386 merge patch to state `id`. patch: a JSON value, or
  // its raw JSON text as bytes (Uint8Array / ArrayBuffer), parsed by C like
  // an HTTP body, so large integers stay exact. A value JSON cannot carry
  // (NaN, Infinity, a BigInt, ...) is 400 invalid_patch naming its path.
  // options (all optional):
  //   ifMatch, ifNoneMatch: a version number, or the header value
  //   base:  apply unless a write after this version touched the same paths
  //   since: also return the changes after this version, this one included
  //   idempotencyKey: 1-64 printable ASCII; a retry applies once
  //   return: "minimal" for { id, version } without the state
  //   actor: who writes, recorded in the journal
  //   as: "text" for the answer as the JSON text C wrote (see toValue)
  // Resolves to { ok, status, id, version, state?, changes?, replayed? } or
  // { ok: false, status, error }.
  async syncState(id, patch, options) {
    return rpc(this.env, "syncState", id, patch, options);
  }

  // Resolves to { ok, status, id, version, state } or { ok: false, status,
  // error }. options: as ("text").
  async getState(id, options) {
    return rpc(this.env, "getState", id, undefined, options);
  }

  // The journal after `since`, oldest first, at most options.limit entries.
  // Resolves to { ok, status, id, version, changes: [{ version, at,
  // request_id, actor, patch }] }; 410 history_gone when it no longer
  // reaches back to `since`. options: limit, as ("text").
  async getChanges(id, since, options) {
    return rpc(this.env, "getChanges", id, undefined, options, since);
  }

  // Erases state and journal; the version goes on by one. options: ifMatch,
  // ifNoneMatch, actor, as ("text"). Resolves to { ok, status, id, version }.
  async deleteState(id, options) {
    return rpc(this.env, "deleteState", id, undefined, options);
  }
}
