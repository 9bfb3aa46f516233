// A minimal Workers host in Node that runs worker/ as shipped (index.js,
// edge.js, state_object.js, bridge.js: the real modules, imported as they
// are), for the in-engine bench and the host tests. Where workerd would
// serve, this gives each module what it imports and no more:
//   - "cloudflare:workers" (DurableObject, WorkerEntrypoint) and the
//     compiled wasm module ("../build/cw.wasm", or the test build),
//     through Node's module hooks;
//   - per Durable Object: ctx.storage.sql over node:sqlite (in memory, or
//     a file to share between hosts), transactionSync, and the hibernation
//     API (acceptWebSocket, getWebSockets, attachments with workerd's
//     16 KiB serialized limit, the ping auto-response);
//   - the PLUGINS binding answers that no plugin is available.
// Everything the product decides stays in worker/ and the module: this
// only plays the platform. Not a second copy of the object's loop.
import { registerHooks } from "node:module";
import { DatabaseSync } from "node:sqlite";
import { serialize } from "node:v8";
import path from "node:path";
import { pathToFileURL } from "node:url";

const root = path.resolve(import.meta.dirname, "../..");
const PLATFORM = pathToFileURL(path.join(import.meta.dirname, "platform.mjs")).href;
const SHIPPED_WASM = pathToFileURL(path.join(root, "build/cw.wasm")).href;

let wasmFile = SHIPPED_WASM; // what "../build/cw.wasm" resolves to
registerHooks({
  resolve(specifier, context, next) {
    if (specifier === "cloudflare:workers") return { url: PLATFORM, shortCircuit: true };
    if (specifier.endsWith(".wasm")) {
      const url = new URL(specifier, context.parentURL).href;
      return { url: url === SHIPPED_WASM ? wasmFile : url, shortCircuit: true };
    }
    return next(specifier, context);
  },
  load(url, context, next) {
    if (url.endsWith(".wasm"))
      return {
        format: "module",
        shortCircuit: true,
        source: `import { readFileSync } from "node:fs";\nexport default new WebAssembly.Module(readFileSync(new URL(${JSON.stringify(url)})));`,
      };
    return next(url, context);
  },
});

// workerd's Response takes status 101 with a webSocket; Node's refuses it.
class WorkersResponse extends Response {
  constructor(body, init = {}) {
    const upgrade = init.status === 101;
    super(body, upgrade ? { ...init, status: 200 } : init);
    if (upgrade) Object.defineProperty(this, "status", { value: 101 });
    this.webSocket = init.webSocket ?? null;
  }
}

const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;
const ATTACHMENT_LIMIT = 16384; // serialized bytes, as measured in workerd

// One end of a socket pair. The server end is the object's: send() to it
// goes to the client, whose frames the host hands the object (hibernation
// API: webSocketMessage / webSocketClose).
class Socket {
  #attachment = undefined;
  constructor() {
    this.readyState = OPEN;
    this.peer = null;
    this.received = []; // what was sent to this end
    this.closed = null; // { code, reason } once closed
    this.object = null; // the object that accepted the server end
  }
  accept() {}
  send(data) {
    if (this.readyState !== OPEN) throw new TypeError("WebSocket is not open");
    this.peer.received.push(data);
  }
  close(code = 1000, reason = "") {
    if (this.readyState >= CLOSING) return;
    this.readyState = CLOSING;
    this.closed = { code, reason };
    this.peer.readyState = CLOSED;
    this.peer.closed = { code, reason };
  }
  serializeAttachment(v) {
    if (serialize(v).length > ATTACHMENT_LIMIT) throw new Error("serialized attachment is over the 16 KiB limit");
    this.#attachment = structuredClone(v);
  }
  deserializeAttachment() {
    return structuredClone(this.#attachment);
  }
}

globalThis.WebSocketPair = class {
  constructor() {
    const a = new Socket();
    const b = new Socket();
    a.peer = b;
    b.peer = a;
    this[0] = a;
    this[1] = b;
  }
};
globalThis.WebSocketRequestResponsePair ??= class {
  constructor(request, response) {
    Object.assign(this, { request, response });
  }
};
globalThis.Response = WorkersResponse;

// ctx.storage.sql: exec(query, ...params) with a cursor (raw(), toArray(),
// one(), iteration), statements prepared once; multi-statement text runs
// as a script, as workerd's does.
function sqlStorage(db) {
  const prepared = new Map();
  function cursor(rows, names) {
    const objects = () => rows.map((r) => Object.fromEntries(names.map((n, i) => [n, r[i]])));
    return {
      raw: () => rows[Symbol.iterator](),
      toArray: objects,
      one() {
        if (rows.length !== 1) throw new Error(`expected one row, got ${rows.length}`);
        return objects()[0];
      },
      [Symbol.iterator]: () => objects()[Symbol.iterator](),
      columnNames: names,
    };
  }
  return {
    exec(query, ...params) {
      if (!params.length && /;\s*\S/.test(query)) {
        db.exec(query);
        return cursor([], []);
      }
      let st = prepared.get(query);
      if (!st) {
        st = db.prepare(query);
        st.setReturnArrays(true);
        prepared.set(query, st);
      }
      const rows = st.all(...params.map((p) => (p instanceof ArrayBuffer ? new Uint8Array(p) : p)));
      return cursor(rows, st.columns().map((c) => c.name));
    },
  };
}

function storage(db) {
  return {
    sql: sqlStorage(db),
    transactionSync(fn) {
      db.exec("SAVEPOINT tx");
      try {
        const r = fn();
        db.exec("RELEASE tx");
        return r;
      } catch (e) {
        db.exec("ROLLBACK TO tx");
        db.exec("RELEASE tx");
        throw e;
      }
    },
  };
}

// A Durable Object namespace: one instance of the class per name, its
// storage a database (in memory, or dir/<name>.db).
function namespace(cls, env, dir) {
  const objects = new Map();
  const idOf = (name) => ({ name, toString: () => name, equals: (o) => o.name === name });
  function instance(name) {
    let o = objects.get(name);
    if (o) return o;
    const db = new DatabaseSync(dir ? path.join(dir, `${name}.db`) : ":memory:");
    const sockets = new Set();
    let autoResponse = null;
    const ctx = {
      id: idOf(name),
      storage: storage(db),
      waitUntil() {},
      blockConcurrencyWhile: async (fn) => fn(),
      acceptWebSocket(ws) {
        ws.object = o;
        sockets.add(ws);
      },
      getWebSockets: () => [...sockets].filter((ws) => ws.readyState !== CLOSED),
      setWebSocketAutoResponse(pair) {
        autoResponse = pair;
      },
      abort() {},
    };
    o = new cls(ctx, env);
    o.host = {
      db,
      sockets,
      autoResponse: () => autoResponse,
      // Drops the instance (not its storage): the next call makes a new one,
      // as a wake from hibernation does; sockets stay with the namespace.
      evict: () => objects.delete(name),
    };
    objects.set(name, o);
    return o;
  }
  // A stub: every method call is async, as over RPC; fetch takes what
  // fetch() takes and hands the object a Request.
  const get = (id) =>
    new Proxy(
      {},
      {
        get: (_, k) =>
          k === "then" ? undefined : async (...args) => instance(id.name)[k](...(k === "fetch" ? [new Request(...args)] : args)),
      },
    );
  return { idFromName: idOf, idFromString: idOf, get, getByName: (name) => get(idOf(name)), instance };
}

// Loads a worker's main module (worker/index.js unless main names another,
// such as the plain-JS baseline's) with env; wasm: the module file
// "../build/cw.wasm" stands for (default the shipped build). dir: keep
// each object's database as a file there. Returns { env, fetch, rpc,
// object(name), socket(id, headers) }. One host per process: modules are
// cached, so the wasm choice is made by the first call.
export async function host({ vars = {}, wasm = null, dir = null, main = "worker/index.js" } = {}) {
  if (wasm) wasmFile = pathToFileURL(path.resolve(wasm)).href;
  const worker = await import(pathToFileURL(path.resolve(root, main)).href);
  const env = { WORKER_ENV: "local", ...vars };
  env.STATE = namespace(worker.StateObject, env, dir);
  env.PLUGINS = {
    call: async () => ({ status: 1, body: new TextEncoder().encode("no plugins in the test host") }),
    registry: async () => ({ status: 200, body: new TextEncoder().encode("[]") }),
  };
  const ctx = { waitUntil() {}, passThroughOnException() {} };
  const entry = typeof worker.default === "function" ? new worker.default(ctx, env) : worker.default;
  const object = (name) => env.STATE.instance(name);
  return {
    env,
    fetch: (request) => entry.fetch(request, env, ctx),
    rpc: entry,
    object,
    // Opens a live socket on id (GET /state/{id}/live through the edge);
    // returns the client end with send(text) delivering to the object, as
    // the runtime does (ping answered without it).
    async socket(id, headers = {}) {
      const res = await entry.fetch(new Request(`http://host/state/${id}/live`, { headers: { upgrade: "websocket", ...headers } }));
      if (res.status !== 101) return { res };
      const client = res.webSocket;
      const server = client.peer;
      return {
        res,
        client,
        server,
        frames: () => client.received.map((t) => (t === "pong" ? t : JSON.parse(t))),
        async send(text) {
          const o = object(id);
          const auto = o.host.autoResponse();
          if (auto && text === auto.request) return server.send(auto.response);
          return o.webSocketMessage(server, text);
        },
        async close(code = 1000) {
          client.close(code);
          return object(id).webSocketClose(server, code, "", true);
        },
      };
    },
  };
}
