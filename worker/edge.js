// The edge flow: run the request in C; when C names a state owner, run the
// owner stage in that Durable Object and hand its answer back to the same C
// request context, which finishes the middleware (request id, log, errors).
import { edge } from "./bridge.js";
import { internalError } from "./envelope.js";

const EMPTY = new Uint8Array(0);

export async function handle(env, bytes) {
  let call;
  try {
    call = edge(bytes, performance.now());
  } catch (e) {
    return internalError("", e);
  }
  try {
    let result = call.result;
    if (result.forward !== null) {
      let answer;
      try {
        const stub = env.STATE.get(env.STATE.idFromName(result.forward));
        answer = await stub.handle(bytes, result.requestId);
      } catch (e) {
        console.error(JSON.stringify({ level: "error", msg: "state owner failed", request_id: result.requestId, cause: String(e) }));
        answer = { status: 0, head: "", body: EMPTY };
      }
      result = call.resume(answer.status, answer.head, answer.body, performance.now());
    }
    if (result.log) console.log(result.log);
    return result;
  } catch (e) {
    return internalError(call.result.requestId, e);
  } finally {
    call.free();
  }
}
