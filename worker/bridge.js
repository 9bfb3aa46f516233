// The JS half of the C/JS boundary (the C half is src/exports.c). Nothing
// else in the worker touches wasm memory.
//
// - One instance per isolate, created on first use (once-guard): instantiate,
//   _initialize + cw_init (seeded from crypto.getRandomValues), then
//   cw_configure (WORKER_ENV, the operator tokens, SYNC_HOOKS, STATE_KEYS and
//   CORS_ORIGINS). Each phase is timed and handed to C, which reports it in
//   Server-Timing and /metrics.
// - Bytes cross as (pointer, length). What JS allocates with cw_alloc it
//   frees with cw_dealloc in a finally; results are freed with cw_result_free.
// - Views of memory are re-made after every call, since calls may grow it.
// - The module's one import, cw.host, is the host port (src/port.h): while
//   an owner call runs, it runs that call's storage statements and socket
//   operations on the object that made the call (owner()'s target).
// - Any failure inside a call (a trap, a stack overflow, an allocation the
//   module could not make) discards the instance; the next call instantiates
//   afresh, so no request is served from a possibly corrupted instance.
import wasmModule from "../build/cw.wasm";
import { logError } from "./envelope.js";
import { batchStatements, copyIn, cstring, EMPTY, inputBound, LIMIT, PORT, readCells, readPiece, readResult, utf8, writeInputs, writeRows } from "./layout.js";

let live = null; // the instance's exports, or null until first use / after a trap
let instances = 0; // instances this isolate has created
// When the isolate's first instance was made: the start of its uptime, on
// the same clock as the requests' (performance.now() in a request; in
// global scope workerd's clocks read 0, so the start is taken here).
let isolateStart = null;

// The object whose owner call is running: { sql(op, params) -> rows,
// commit(statements), sockets() -> rows, attach(text, socket?), accept(text) };
// null otherwise.
let target = null;

// The host port: op with n cells of input at inp; rows into the
// cw_port_out at out. 0, or -1 when it could not (the module answers).
function host(op, inp, n, out) {
  const x = live;
  if (!target || !x) return -1;
  try {
    const params = readCells(x.memory, inp, n);
    let rows = [];
    if (op < PORT.sockets) rows = target.sql(op, params);
    else if (op === PORT.commit) target.commit(batchStatements(params));
    else if (op === PORT.sockets) rows = target.sockets();
    else target[op === PORT.attach ? "attach" : "accept"](params[0], params[1]);
    writeRows(x.memory, x.cw_alloc, rows, out);
    return 0;
  } catch (e) {
    target.failed?.(e);
    return -1;
  }
}

// The module's imports, exactly: the host port.
export const imports = { cw: { host } };

function putString(x, s) {
  const bytes = utf8.encode(s ?? "");
  return [put(x, bytes), bytes.length];
}

function instance(env) {
  if (live) return live;
  const t0 = performance.now();
  isolateStart ??= t0;
  const x = new WebAssembly.Instance(wasmModule, imports).exports;
  const t1 = performance.now();
  x._initialize();
  const seed = crypto.getRandomValues(new Uint8Array(32));
  const p = put(x, seed);
  try {
    if (x.cw_init(p, seed.length) !== 0) throw new Error("cw_init failed");
  } finally {
    x.cw_dealloc(p);
  }
  const t2 = performance.now();
  // SYNC_HOOKS, STATE_KEYS and CORS_ORIGINS may be JSON strings or (TOML
  // tables and arrays) objects.
  const json = (v) => (typeof v === "object" ? JSON.stringify(v) : v);
  const args = [env?.WORKER_ENV, env?.METRICS_TOKEN, env?.WARMUP_TOKEN, json(env?.SYNC_HOOKS), json(env?.STATE_KEYS), json(env?.CORS_ORIGINS)].map((v) => putString(x, v));
  try {
    const warnings = x.cw_configure(...args.flat());
    if (warnings) {
      cstring(x.memory, warnings).split("\n").forEach((line) => console.warn(line));
      x.cw_dealloc(warnings);
    }
  } finally {
    args.forEach(([ptr]) => x.cw_dealloc(ptr));
  }
  const t3 = performance.now();
  instances += 1;
  x.cw_startup(t1 - t0, t2 - t1, t3 - t2, isolateStart, instances);
  live = x;
  return x;
}

// The limits C chose for this environment (see cw_limit): the host
// applies them before it copies anything into the module. Read once per
// isolate, like the schema: the environment does not change under it.
let chosen = null;
export function limits(env) {
  if (chosen) return chosen;
  const x = instance(env);
  chosen = call(x, () => ({ body: x.cw_limit(LIMIT.body), field: x.cw_limit(LIMIT.field), deadline: x.cw_limit(LIMIT.deadline), stream: x.cw_limit(LIMIT.stream), contended: x.cw_limit(LIMIT.contended), frame: x.cw_limit(LIMIT.frame) }));
  return chosen;
}

// A request runs at most RUNS times while instances keep being replaced.
export const RUNS = 3;

// Thrown when a suspended request's instance was replaced meanwhile (another
// request trapped it): nothing failed in this request, and the caller may
// run it again on the new instance.
export class Replaced extends Error {
  constructor() {
    super("the wasm instance was replaced");
  }
}

// Runs fn(x) against the live instance, with the host port aimed at port
// (an object's target, or null); any failure discards the instance.
function call(x, fn, port = null) {
  if (x !== live) throw new Replaced();
  const before = target;
  target = port;
  try {
    return fn(x);
  } catch (e) {
    if (live === x) live = null;
    throw e;
  } finally {
    target = before;
  }
}

function put(x, bytes) {
  return copyIn(x.memory, x.cw_alloc, bytes, "wasm allocation failed");
}

// A call's inputs (strings, Uint8Arrays, null) in the module's input area
// (cw_in), sized exactly for ASCII, else for the most UTF-8 can take:
// [pointer, length] of each, flattened, for the call's arguments.
function inputs(x, parts) {
  for (const wide of [1, 3]) {
    const size = inputBound(parts, wide);
    const base = x.cw_in(size);
    if (!base) throw new Error("wasm allocation failed");
    const w = writeInputs(x.memory, base, size, parts);
    if (w) return w;
  }
}

function read(x, r) {
  if (!r) throw new Error("no request context");
  return readResult(x.memory, r);
}

// A started request: its result, resume(status, head, body, now), next()
// and free(). A suspended result (action != 0) is completed, or suspended
// again, by resume() on the same request context; a streamed one
// (RESULT_FLAG.stream) gives its next pieces through next().
class Started {
  constructor(x, r, port) {
    this.x = x;
    this.r = r;
    this.port = port;
    this.result = read(x, r);
  }
  // body: the bytes, or (when the result asked to keep them) a length.
  resume(status, head, body, at) {
    const { x, r } = this;
    return call(
      x,
      () => {
        const kept = typeof body === "number";
        const [h, hn, b, bn] = inputs(x, [head, kept ? EMPTY : body]);
        x.cw_resume(r, status, h, hn, kept ? 0 : b, kept ? body : bn, at);
        return read(x, r);
      },
      this.port,
    );
  }
  // A streamed answer's next piece: { more, piece, frames } (more: 1
  // while more follows, 0 at the end, -1 when it failed and the answer is
  // cut off; piece: its body bytes; frames: a socket's).
  next() {
    const { x, r } = this;
    return call(
      x,
      () => {
        const more = x.cw_next(r);
        return { more, ...readPiece(x.memory, r) };
      },
      this.port,
    );
  }
  // Ends a streamed answer cut off (held past its time): the frames C ends
  // it with for the client (a socket's error frame).
  cut() {
    const { x, r } = this;
    return call(
      x,
      () => {
        x.cw_cut(r);
        return readPiece(x.memory, r).frames;
      },
      this.port,
    );
  }
  free() {
    if (this.r && this.x === live) this.x.cw_result_free(this.r);
    this.r = 0;
  }
}

// Starts a request with export fn and its arguments on the live instance,
// the host port aimed at port (as call() does, without a closure: this is
// every request's path).
function start(x, port, fn, parts, ...rest) {
  if (x !== live) throw new Replaced();
  const before = target;
  target = port;
  try {
    // parts: the envelope's head and body (one run of bytes), then strings.
    const w = inputs(x, parts);
    return new Started(x, fn === 0 ? x.cw_handle(w[0], w[1] + w[3], w[4], w[5], ...rest) : x.cw_owner(w[0], w[1] + w[3], w[4], w[5], w[6], w[7], ...rest), port);
  } catch (e) {
    if (live === x) live = null;
    throw e;
  } finally {
    target = before;
  }
}

// Edge stage: see Started. envelope: { head, body } (envelope.js); rid: ""
// or the request id of an earlier run of the same request; flags:
// FLAG.scheduled for the cron trigger.
export function edge(env, envelope, rid, now, flags = 0) {
  const wall = Date.now();
  return start(instance(env), null, 0, [envelope.head, envelope.body, rid], now, wall, flags);
}

// Owner stage, inside the Durable Object: runs the request under the edge's
// grant and request id, at wall time now, holding the body tagged held (-1:
// none), with port the object's storage and sockets, in the object's
// instance incarnation (see StateObject); see Started.
export function owner(env, envelope, grant, requestId, now, flags, held, port, incarnation) {
  return start(instance(env), port, 1, [envelope.head, envelope.body, grant, requestId], now, flags, held, incarnation);
}

// The answer C gives for a request that failed in the module (a trap: the
// instance is gone, so a new one answers): 500 with the request id, and
// the log line. stage: STAGE.edge or STAGE.owner; flags: the request's.
// When even that cannot run, a bare 500: the one answer C cannot give.
export function failed(env, stage, requestId, cause, flags = 0) {
  let result;
  try {
    const x = instance(env);
    result = call(x, () => {
      let r = 0;
      try {
        r = x.cw_failed(stage, ...inputs(x, [requestId ?? ""]), performance.now(), flags);
        return read(x, r);
      } finally {
        if (r) x.cw_result_free(r);
      }
    });
  } catch {
    result = { status: 500, head: "", body: "", length: 0, requestId: requestId ?? "", frames: new Uint8Array(0), flags: 0, rpc: "", hold: -1, log: "" };
  }
  logError("wasm failure", result.requestId, cause);
  return result;
}

// The storage schema and statements C decides (src/store.h): the DDL to
// run when an object starts, and every statement's SQL by number. Read
// once per isolate: they are constants of the module.
let storage = null;
export function schema(env) {
  if (storage) return storage;
  const x = instance(env);
  return call(x, () => {
    const statements = [];
    for (let i = 0, p; (p = x.cw_statement(i)); i++) statements.push(cstring(x.memory, p));
    storage = { ddl: cstring(x.memory, x.cw_schema()), statements };
    return storage;
  });
}
