// A minimal in-process host for build/cw.wasm, for tests and benchmarks that
// drive the module directly (no workerd): the calls worker/bridge.js makes,
// with Node's SQLite (node:sqlite, in memory) standing in for each Durable
// Object's storage, running the statements C hands over exactly as
// worker/state_object.js does. Plugins are not loaded here.
import { readFileSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { ACTION, cstring, readBatch, readResult, writeRows } from "../../worker/layout.js";

const utf8 = new TextEncoder();
const text = new TextDecoder();

// file: the module's path or URL, or a compiled WebAssembly.Module.
export function load(file = new URL("../../build/cw.wasm", import.meta.url), env = "local") {
  const module = file instanceof WebAssembly.Module ? file : new WebAssembly.Module(readFileSync(file));
  const x = new WebAssembly.Instance(module, {}).exports;
  x._initialize();
  const put = (bytes) => {
    const p = x.cw_alloc(bytes.length);
    new Uint8Array(x.memory.buffer, p, bytes.length).set(bytes);
    return p;
  };
  const seed = put(crypto.getRandomValues(new Uint8Array(32)));
  x.cw_init(seed, 32);
  x.cw_dealloc(seed);
  const e = utf8.encode(env);
  const ep = put(e);
  const warnings = x.cw_configure(ep, e.length, 0, 0, 0, 0, 0, 0, 0, 0);
  if (warnings) x.cw_dealloc(warnings);
  x.cw_dealloc(ep);
  x.cw_startup(0, 0, 0, 0, 1);

  const statements = [];
  for (let i = 0, p; (p = x.cw_statement(i)); i++) statements.push(cstring(x.memory, p));
  const ddl = cstring(x.memory, x.cw_schema());

  // A result with its body as bytes (the owner's travel as bytes, as in the
  // Durable Object); request() decodes the final one.
  const read = (r) => {
    const res = readResult(x.memory, r);
    return { ...res, rid: res.requestId };
  };

  // Resumes context r with (status, head, body bytes or a kept length).
  function resume(r, status, head, body) {
    const h = utf8.encode(head);
    const kept = typeof body === "number";
    const hp = put(h);
    const bp = kept ? 0 : put(body);
    x.cw_resume(r, status, hp, h.length, bp, kept ? body : body.length, 0);
    x.cw_dealloc(hp);
    if (bp) x.cw_dealloc(bp);
    return read(r);
  }

  const dbs = new Map(); // id -> DatabaseSync: the objects' storage
  function database(id) {
    let db = dbs.get(id);
    if (!db) {
      db = new DatabaseSync(":memory:");
      db.exec(ddl);
      db.prepared = []; // statements prepared once, as workerd's SQL API caches them
      dbs.set(id, db);
    }
    return db;
  }
  const prepared = (db, stmt) => (db.prepared[stmt] ??= db.prepare(statements[stmt]));
  function run(db, { stmt, params }) {
    if (!params.length) return db.exec(statements[stmt]);
    return prepared(db, stmt).run(...params);
  }
  function rows(db, { stmt, params }) {
    const q = prepared(db, stmt);
    q.setReturnArrays(true);
    return q.all(...params);
  }

  // The owner stage for id: runs the envelope to its final answer.
  function owner(id, req, grant, rid, now) {
    const db = database(id);
    const g = utf8.encode(grant);
    const ids = utf8.encode(rid);
    const [rp, gp, ip] = [put(req), put(g), put(ids)];
    const o = x.cw_owner(rp, req.length, gp, g.length, ip, ids.length, now, 0);
    [rp, gp, ip].forEach((p) => x.cw_dealloc(p));
    try {
      let res = read(o);
      while (res.action) {
        if (res.action === ACTION.read) {
          res = resume(o, 200, "", writeRows(readBatch(res.input).map((q) => rows(db, q))));
        } else if (res.action === ACTION.commit) {
          db.exec("BEGIN");
          try {
            readBatch(res.input).forEach((op) => run(db, op));
            db.exec("COMMIT");
          } catch (err) {
            db.exec("ROLLBACK");
            throw err;
          }
          res = resume(o, 200, "", new Uint8Array(0));
        } else {
          res = resume(o, 1, "", utf8.encode("no plugins in the test host"));
        }
      }
      return res;
    } finally {
      x.cw_result_free(o);
    }
  }

  // One request through edge (and owner, when C forwards). Returns the final
  // { status, head, body }: the body as a string, or as bytes with raw, the
  // way the worker hands it to a Response. now: the owner's wall clock.
  function request(envelope, { flags = 0, now = Date.now(), raw = false } = {}) {
    const req = typeof envelope === "string" ? utf8.encode(envelope) : envelope;
    const rp = put(req);
    const r = x.cw_handle(rp, req.length, 0, 0, 0, now, flags);
    x.cw_dealloc(rp);
    try {
      let res = read(r);
      let kept = null;
      while (res.action) {
        if (res.action !== ACTION.forward) {
          res = resume(r, 200, "", utf8.encode("[]"));
          continue;
        }
        const out = owner(res.ask, req, text.decode(res.input), res.rid, now);
        if (res.keep) kept = out.body;
        res = resume(r, out.status, out.head, res.keep ? out.body.length : out.body);
      }
      if (res.keep) res.body = kept;
      return raw ? res : { ...res, body: text.decode(res.body) };
    } finally {
      x.cw_result_free(r);
    }
  }
  return { x, request, dbs, database, memoryBytes: () => x.memory.buffer.byteLength };
}
