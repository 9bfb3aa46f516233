// The Go baseline behind the same glue contract as the C module: envelope
// in, result out, owner stage in a SQLite-backed Durable Object. Go's runtime
// (wasm_exec.js) and main.wasm are built by bench/build.sh into build/bench/go.
import { DurableObject } from "cloudflare:workers";
import "../../../build/bench/go/wasm_exec.js";
import goModule from "../../../build/bench/go/main.wasm";
import { fromRequest, headersOf } from "../../../worker/envelope.js";

const text = new TextDecoder();
let memory = null; // set once the Go instance runs

function ready() {
  if (memory) return;
  const go = new globalThis.Go();
  const inst = new WebAssembly.Instance(goModule, go.importObject);
  go.run(inst); // runs main() until it blocks in select {}: the functions are registered
  memory = inst.exports.mem;
}

export class StateObject extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec("CREATE TABLE IF NOT EXISTS state (k INTEGER PRIMARY KEY CHECK (k = 0), blob TEXT NOT NULL)");
  }

  handle(envelope, requestId) {
    ready();
    const row = this.sql.exec("SELECT blob FROM state WHERE k = 0").toArray()[0];
    const r = globalThis.cwGoOwner(envelope, row ? row.blob : "", requestId);
    if (r.commit)
      this.sql.exec("INSERT INTO state (k, blob) VALUES (0, ?) ON CONFLICT (k) DO UPDATE SET blob = excluded.blob", r.commit);
    return { status: r.status, head: r.head, body: r.body };
  }
}

export default {
  async fetch(request, env) {
    ready();
    const e = await fromRequest(request, 1 << 20); // { head, body }
    const envelope = e.head + (e.body ? text.decode(e.body) : "");
    let r = globalThis.cwGoEdge(envelope);
    if (r.forward) r = await env.STATE.get(env.STATE.idFromName(r.forward)).handle(envelope, r.requestId);
    const headers = new Headers(headersOf(r.head));
    headers.set("x-request-id", r.requestId ?? "");
    headers.set("x-wasm-memory", String(memory.buffer.byteLength));
    return new Response(r.body, { status: r.status, headers });
  },
};
