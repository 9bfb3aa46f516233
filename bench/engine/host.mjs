// A minimal Workers host in Node, for in-engine measurements of a whole
// upload (wrangler deploy --dry-run --outdir): the bundle's JS is compiled
// and evaluated as workerd does at script load (vm.SourceTextModule; needs
// node --experimental-vm-modules), its wasm modules compiled when linked,
// and requests go through the worker's own fetch, into its Durable Object
// class over direct calls, with node:sqlite (in memory) as the object's SQL
// storage. What the variants use of the platform and no more: no sockets,
// no alarms firing, no isolation. A benchmark fixture, never a test oracle.
import { readdirSync, readFileSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import path from "node:path";
import vm from "node:vm";

class DurableObject {
  constructor(ctx, env) {
    this.ctx = ctx;
    this.env = env;
  }
}
class WorkerEntrypoint extends DurableObject {}
class RpcTarget {}
globalThis.WebSocketRequestResponsePair ??= class {
  constructor(request, response) {
    Object.assign(this, { request, response });
  }
};
const PLATFORM = { DurableObject, WorkerEntrypoint, RpcTarget, env: {}, exports: {}, waitUntil() {} };

// SQL storage with the cursor API the variants use (raw(), toArray(), one(),
// iteration, rowsRead/rowsWritten).
function sqlStorage(db) {
  const cache = new Map();
  return {
    exec(query, ...params) {
      if (!params.length && /;\s*\S/.test(query)) {
        db.exec(query);
        return cursor([], []);
      }
      let st = cache.get(query);
      if (!st) cache.set(query, (st = db.prepare(query)));
      st.setReturnArrays(true);
      const rows = st.all(...params.map((p) => (p instanceof ArrayBuffer ? new Uint8Array(p) : p)));
      const names = st.columns ? st.columns().map((c) => c.name) : [];
      return cursor(rows, names);
    },
    get databaseSize() {
      return 0;
    },
  };
}
function cursor(rows, names) {
  const objects = () => rows.map((r) => Object.fromEntries(names.map((n, i) => [n, r[i]])));
  return {
    raw: () => rows[Symbol.iterator](),
    toArray: objects,
    one: () => {
      if (rows.length !== 1) throw new Error(`expected one row, got ${rows.length}`);
      return objects()[0];
    },
    [Symbol.iterator]: () => objects()[Symbol.iterator](),
    columnNames: names,
    rowsRead: rows.length,
    rowsWritten: 0,
  };
}

function storage() {
  const db = new DatabaseSync(":memory:");
  const kv = new Map();
  let alarm = null;
  return {
    sql: sqlStorage(db),
    transactionSync(fn) {
      db.exec("BEGIN");
      try {
        const r = fn();
        db.exec("COMMIT");
        return r;
      } catch (e) {
        db.exec("ROLLBACK");
        throw e;
      }
    },
    async transaction(fn) {
      return fn(this);
    },
    kv: { get: (k) => kv.get(k), put: (k, v) => kv.set(k, v), delete: (k) => kv.delete(k), list: () => kv.entries() },
    get: async (k) => (Array.isArray(k) ? new Map(k.filter((x) => kv.has(x)).map((x) => [x, kv.get(x)])) : kv.get(k)),
    put: async (k, v) => void (typeof k === "object" ? Object.entries(k).forEach(([a, b]) => kv.set(a, b)) : kv.set(k, v)),
    delete: async (k) => kv.delete(k),
    deleteAll: async () => kv.clear(),
    list: async () => new Map(kv),
    getAlarm: async () => alarm,
    setAlarm: async (t) => void (alarm = t),
    deleteAlarm: async () => void (alarm = null),
    sync: async () => {},
  };
}

// A Durable Object namespace over a class: one instance per name, its
// methods called directly (an RPC stub's calls are async).
function namespace(getClass, env) {
  const objects = new Map();
  const idOf = (name) => ({ name, toString: () => name, equals: (o) => o.name === name });
  const instance = (id) => {
    let o = objects.get(id.name);
    if (!o) {
      const ctx = {
        id,
        storage: storage(),
        waitUntil() {},
        blockConcurrencyWhile: async (fn) => fn(),
        getWebSockets: () => [],
        acceptWebSocket() {},
        setWebSocketAutoResponse() {},
        getTags: () => [],
        abort() {},
      };
      objects.set(id.name, (o = new (getClass())(ctx, env)));
    }
    return o;
  };
  const get = (id) => new Proxy({}, { get: (_, k) => (k === "then" ? undefined : async (...args) => instance(id)[k](...args)) });
  return { idFromName: idOf, idFromString: idOf, newUniqueId: () => idOf(crypto.randomUUID()), get, getByName: (name) => get(idOf(name)) };
}

// Reads an upload's files (before any clock starts).
export function readUpload(outdir) {
  const files = readdirSync(outdir).filter((f) => /\.(m?js|wasm)$/.test(f));
  const main = files.find((f) => /\.m?js$/.test(f));
  return { main, source: readFileSync(path.join(outdir, main), "utf8"), wasm: Object.fromEntries(files.filter((f) => f.endsWith(".wasm")).map((f) => [f, readFileSync(path.join(outdir, f))])) };
}

// Compiles, links and evaluates an upload read by readUpload; returns its
// module namespace. Wasm modules are compiled as they are linked.
export async function evaluate(upload, label = "worker") {
  const builtins = new Map();
  for (const spec of upload.source.matchAll(/from\s*"((?:node:)?[a-z_/]+)"/g)) if (!spec[1].startsWith("cloudflare:")) builtins.set(spec[1], await import(spec[1]));
  const synthetic = (exports) =>
    new vm.SyntheticModule(Object.keys(exports), function () {
      for (const [k, v] of Object.entries(exports)) this.setExport(k, v);
    });
  const mod = new vm.SourceTextModule(upload.source, { identifier: label });
  await mod.link((spec) => {
    if (spec === "cloudflare:workers") return synthetic(PLATFORM);
    if (spec.endsWith(".wasm")) return synthetic({ default: new WebAssembly.Module(upload.wasm[spec.replace(/^\.\//, "")]) });
    if (builtins.has(spec)) return synthetic({ default: builtins.get(spec).default, ...builtins.get(spec) });
    if (spec === "cloudflare:email") return synthetic({ EmailMessage: class {} });
    throw new Error(`${label}: no module ${spec}`);
  });
  await mod.evaluate();
  return mod.namespace;
}

// A worker instance from an evaluated namespace: its fetch, with env holding
// vars, its Durable Object namespace (binding -> exported class name) and
// service bindings (name -> an evaluated WorkerEntrypoint namespace).
export function worker(ns, { vars = {}, objects = {}, services = {} } = {}) {
  const env = { ...vars };
  const ctx = { waitUntil() {}, passThroughOnException() {} };
  for (const [binding, cls] of Object.entries(objects)) env[binding] = namespace(() => ns[cls], env);
  for (const [binding, svc] of Object.entries(services)) env[binding] = new svc.default(ctx, {});
  const main = ns.default;
  const entry = typeof main === "function" ? new main(ctx, env) : main;
  return { env, fetch: (request) => entry.fetch(request, env, ctx) };
}
