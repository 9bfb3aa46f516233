// The edge flow: run the request in C. While C suspends it, do what it asks
// and hand the answer back to the same C request context, which then
// finishes the middleware (request id, CORS, Server-Timing, log, metrics,
// errors) or asks for something else:
//   forward: run the owner stage in the Durable Object that owns the id,
//            which answers by C's deadline (a request that has to wait
//            there is answered as late when it passes);
//   upgrade: hand a WebSocket upgrade to the Durable Object that owns the
//            id; its 101 carries the socket the answer hands the client;
//   touch:   wake each listed Durable Object (warmup) and report timings;
//   hmac:    HMAC-SHA256 with WebCrypto, for C's token check;
//   plugins: a plugin registry operation (list, load all, unload one), and
//   call:    run a plugin's entry point, both in the plugins worker
//            (worker/plugins.js) through the PLUGINS service binding.
// If another request traps the shared instance while this one waits, the
// request runs again on the new instance with the same request id, and
// every answer the host already has (the owner's above all: it may have
// committed) is handed over again instead of being asked for again.
import { edge, failed, limits, Replaced, RUNS } from "./bridge.js";
import { logError, touchRequest } from "./envelope.js";
import { ACTION, EMPTY, FLAG, FRAME, OWNER, readFrames, STAGE, text, utf8 } from "./layout.js";

function stub(env, id) {
  return env.STATE.get(env.STATE.idFromName(id));
}

// What promise settles to, or late if ms pass first.
export async function within(promise, ms, late) {
  let timer;
  const deadline = new Promise((resolve) => {
    timer = setTimeout(() => resolve(late), Math.max(0, ms));
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function unreachable(result, e) {
  logError("state owner failed", result.requestId, e);
  return { status: OWNER.failed, body: EMPTY };
}

// The original request, with the edge's grant and request id (a client's
// own x-cw-* values are overwritten), to the Durable Object's fetch.
async function upgrade(env, request, result) {
  try {
    const headers = new Headers(request.headers);
    headers.set("x-cw-grant", text.decode(result.input));
    headers.set("x-cw-request-id", result.requestId);
    const res = await within(stub(env, result.ask).fetch(request.url, { headers }), limits(env).deadline, null);
    if (!res) return { status: OWNER.timeout, body: EMPTY };
    let head = "";
    for (const [k, v] of res.headers) head += `${k}: ${v}\r\n`;
    return { status: res.status, head, body: new Uint8Array(await res.arrayBuffer()), socket: res.webSocket };
  } catch (e) {
    return unreachable(result, e);
  }
}

// The envelope is the request's own, or, when the module built one (an RPC
// call's), that. The object bounds the wait itself, where waiting happens
// (behind another request, or for a plugin), so the common request arms no
// timer here: a timer per request costs workerd CPU (docs/hardening.md).
async function forward(env, envelope, result) {
  try {
    const grant = text.decode(result.input);
    const sent = result.body.length ? { head: "", body: result.body } : envelope;
    return await stub(env, result.ask).handle(sent, grant, result.requestId, Date.now() + limits(env).deadline);
  } catch (e) {
    return unreachable(result, e);
  }
}

// Asks the plugins worker, waiting at most C's deadline. Answers as
// worker/plugins.js does; when it cannot be reached, status 1 (the plugin
// is unavailable) for a call, and no report (status 0) for the registry.
export async function plugins(env, method, ask, input) {
  try {
    const answer = await within(method === "call" ? env.PLUGINS.call(ask, input) : env.PLUGINS.registry(ask), limits(env).deadline, null);
    if (!answer) throw new Error("no answer in time");
    return answer;
  } catch (e) {
    return { status: method === "call" ? 1 : 0, body: utf8.encode(`the plugins worker failed: ${e.message}`) };
  }
}

async function touch(env, result) {
  const ids = result.ask.split("\n").filter(Boolean);
  const grant = text.decode(result.input);
  const report = await Promise.all(
    ids.map(async (id) => {
      const t = performance.now();
      let ok = false;
      try {
        ok = (await stub(env, id).handle(touchRequest(id), grant, result.requestId)).status === 200;
      } catch {}
      return { id, ok, ms: Math.round((performance.now() - t) * 1000) / 1000 };
    }),
  );
  return { status: 200, body: utf8.encode(JSON.stringify(report)) };
}

// input: a u32 (little-endian) key length, the key, the message (a view
// of the module's memory: copied before the first await).
async function hmac(view) {
  const input = view.slice();
  try {
    const n = new DataView(input.buffer, input.byteOffset).getUint32(0, true);
    const key = await crypto.subtle.importKey("raw", input.subarray(4, 4 + n), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    return { status: 200, body: new Uint8Array(await crypto.subtle.sign("HMAC", key, input.subarray(4 + n))) };
  } catch {
    return { status: 0, body: EMPTY };
  }
}

function perform(env, envelope, result, request) {
  switch (result.action) {
    case ACTION.forward:
      return forward(env, envelope, result);
    case ACTION.upgrade:
      return upgrade(env, request, result);
    case ACTION.hmac:
      return hmac(result.input);
    case ACTION.touch:
      return touch(env, result);
    case ACTION.plugins:
      return plugins(env, "registry", result.ask);
    case ACTION.call:
      return plugins(env, "call", result.ask, result.input.slice());
    default:
      throw new Error(`unknown action ${result.action}`);
  }
}

// request: the HTTP request, for an upgrade (null for RPC and cron).
export async function handle(env, envelope, flags = 0, request = null) {
  const answers = []; // { action, ask, answer } for each suspension so far
  let rid = "";
  let socket = null; // the client end of a socket the owner accepted
  for (let run = 0; run < RUNS; run++) {
    let call;
    try {
      call = edge(env, envelope, rid, performance.now(), flags);
    } catch (e) {
      return ended(env, rid, e, flags, socket);
    }
    rid = call.result.requestId;
    try {
      let result = call.result;
      let kept = null; // an owner's body C asked the host to keep
      for (let i = 0; result.action; i++) {
        const known = answers[i];
        const same = known && known.action === result.action && known.ask === result.ask;
        const answer = same ? known.answer : await perform(env, envelope, result, request);
        if (!same) answers[i] = { action: result.action, ask: result.ask, answer };
        if (result.keep) kept = answer.body;
        socket = answer.socket ?? socket;
        // A kept body stays here: only its length in bytes crosses (an
        // owner's answer tells it: KEPT_UNSIZED for a stream).
        const length = answer.length ?? answer.body.length;
        result = call.resume(answer.status, answer.head ?? "", result.keep ? length : answer.body, performance.now());
      }
      if (result.keep) result.body = kept;
      return settle(result, socket);
    } catch (e) {
      if (!(e instanceof Replaced)) return ended(env, rid, e, flags, socket);
    } finally {
      call.free();
    }
  }
  return ended(env, rid, new Error("the wasm instance was replaced on every run"), flags, socket);
}

// The final answer: its log line, and the socket C left open (a 101's) or
// closed (its frames: an upgrade that did not end in a 101).
function settle(result, socket) {
  if (result.log) console.log(result.log);
  for (const { op, target, code, bytes } of readFrames(result.frames))
    if (op === FRAME.close && target === FRAME.accepted) socket?.close(code, text.decode(bytes));
  result.socket = result.status === 101 ? socket : null;
  return result;
}

// The answer for a request the module could not finish: C's 500 (a new
// instance gives it), with its log line.
export function ended(env, rid, cause, flags = 0, socket = null) {
  return settle(failed(env, STAGE.edge, rid, cause, flags | (socket ? FLAG.accepted : 0)), socket);
}
