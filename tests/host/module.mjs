// A minimal in-process host for build/cw.wasm, for tests and benchmarks that
// drive the module directly (no workerd): the same calls worker/bridge.js
// makes, with an in-memory Map standing in for the Durable Objects' storage.
import { readFileSync } from "node:fs";
import { readResult } from "../../worker/layout.js";

const utf8 = new TextEncoder();
const text = new TextDecoder();

export function load(file = new URL("../../build/cw.wasm", import.meta.url), env = "local") {
  const x = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(file)), {}).exports;
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
  x.cw_configure(ep, e.length, 0, 0, 0, 0);
  x.cw_dealloc(ep);
  x.cw_startup(0, 0, 0, 0, 1);

  function read(r) {
    const res = readResult(x.memory, r);
    return { ...res, body: text.decode(res.body), rid: res.requestId };
  }

  const store = new Map();
  // One request through edge (and owner, when C forwards). Returns the final
  // { status, head, body }.
  function request(envelope) {
    const req = utf8.encode(envelope);
    const rp = put(req);
    const r = x.cw_handle(rp, req.length, 0, 0, 0, 0);
    try {
      let res = read(r);
      if (res.action === 1) {
        const blob = utf8.encode(store.get(res.forward) ?? "");
        const rid = utf8.encode(res.rid);
        const bp = put(blob);
        const ip = put(rid);
        const o = x.cw_owner(rp, req.length, bp, blob.length, ip, rid.length, 0, 0);
        const out = read(o);
        if (out.commit) store.set(res.forward, out.commit);
        const head = utf8.encode(out.head);
        const body = utf8.encode(out.body);
        const hp = put(head);
        const op = put(body);
        x.cw_resume(r, out.status, hp, head.length, op, body.length, 0);
        [bp, ip, hp, op].forEach((p) => x.cw_dealloc(p));
        x.cw_result_free(o);
        res = read(r);
      }
      return res;
    } finally {
      x.cw_result_free(r);
      x.cw_dealloc(rp);
    }
  }
  return { x, request, store, memoryBytes: () => x.memory.buffer.byteLength };
}
