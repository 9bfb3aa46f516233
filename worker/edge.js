// The edge flow: run the request in C. While C suspends it, do what it asks
// and hand the answer back to the same C request context, which then
// finishes the middleware (request id, CORS, Server-Timing, log, metrics,
// errors) or asks for something else:
//   forward: run the owner stage in the Durable Object that owns the id;
//   touch:   wake each listed Durable Object (warmup) and report timings;
//   plugins: a plugin registry operation (list, load all, unload one);
//   call:    run a plugin's entry point.
import { edge } from "./bridge.js";
import { fromRpc, internalError } from "./envelope.js";
import { callPlugin, registryOp } from "./plugins.js";

const EMPTY = new Uint8Array(0);
const [FORWARD, TOUCH, PLUGINS, CALL] = [1, 2, 3, 4];
const utf8 = new TextEncoder();

function stub(env, id) {
  return env.STATE.get(env.STATE.idFromName(id));
}

async function forward(env, bytes, result) {
  try {
    return await stub(env, result.forward).handle(bytes, result.requestId);
  } catch (e) {
    console.error(JSON.stringify({ level: "error", msg: "state owner failed", request_id: result.requestId, cause: String(e) }));
    return { status: 0, head: "", body: EMPTY };
  }
}

async function touch(env, result) {
  const ids = result.forward.split("\n").filter(Boolean);
  const report = await Promise.all(
    ids.map(async (id) => {
      const t = performance.now();
      try {
        const answer = await stub(env, id).handle(fromRpc("GET", id), result.requestId);
        return { id, ok: answer.status === 200, ms: performance.now() - t };
      } catch {
        return { id, ok: false, ms: performance.now() - t };
      }
    }),
  );
  return { status: 200, head: "", body: utf8.encode(JSON.stringify(report)) };
}

export async function handle(env, bytes, flags = 0) {
  let call;
  try {
    call = edge(env, bytes, performance.now(), flags);
  } catch (e) {
    return internalError("", e);
  }
  try {
    let result = call.result;
    while (result.action) {
      const answer =
        result.action === FORWARD ? await forward(env, bytes, result)
        : result.action === TOUCH ? await touch(env, result)
        : result.action === PLUGINS ? registryOp(env, result.forward)
        : result.action === CALL ? callPlugin(env, result.forward, result.input)
        : null;
      if (!answer) throw new Error(`unknown action ${result.action}`);
      result = call.resume(answer.status, answer.head ?? "", answer.body, performance.now());
    }
    if (result.log) console.log(result.log);
    return result;
  } catch (e) {
    return internalError(call.result.requestId, e);
  } finally {
    call.free();
  }
}
