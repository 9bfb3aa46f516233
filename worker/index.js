// Worker entry: HTTP (fetch) and the RPC API other workers call through a
// service binding. Both build a request envelope and take the same C path.
import { WorkerEntrypoint } from "cloudflare:workers";
import { limits } from "./bridge.js";
import { handle } from "./edge.js";
import { fromRequest, fromRpc, internalError, toResponse, toValue, warmupRequest } from "./envelope.js";
import { FLAG } from "./layout.js";


export { StateObject } from "./state_object.js";

export default class StateSync extends WorkerEntrypoint {
  async fetch(request) {
    let bytes;
    try {
      bytes = await fromRequest(request, limits(this.env).body);
    } catch (e) {
      return toResponse(internalError("", e));
    }
    return toResponse(await handle(this.env, bytes));
  }

  // Cron trigger: the same warmup as POST /internal/warmup, without a token.
  // Cron runs on an underutilized machine, so this warms Durable Objects and
  // downstream paths, not the isolate that serves users.
  async scheduled() {
    await handle(this.env, warmupRequest(), FLAG.scheduled);
  }

  // Applies an RFC 7386 merge patch to state `id`. patch: a JSON value, or
  // its raw JSON text as bytes (Uint8Array / ArrayBuffer), parsed by C like
  // an HTTP body, so large integers stay exact. options.ifMatch: a version
  // number, or an If-Match header value ('"3"', '"2", "3"', "*").
  // Resolves to { ok, status, id, version, state } or { ok, status, error }.
  async syncState(id, patch, options) {
    return toValue(await handle(this.env, fromRpc("PATCH", id, patch, options, limits(this.env))));
  }

  // Resolves to { ok, status, id, version, state } or { ok, status, error }.
  async getState(id) {
    return toValue(await handle(this.env, fromRpc("GET", id, undefined, undefined, limits(this.env))));
  }
}
