// In-engine cold start of the C module in this (fresh) V8 process:
// compile, instantiate, init (_initialize + cw_init + cw_configure), then the
// first handled request (PATCH through edge, owner and resume), then a
// second. Prints one JSON line of milliseconds. Run by bench/run.mjs.
import { readFileSync } from "node:fs";
import { readResult } from "../../worker/layout.js";
import { warmEngine } from "./warm.mjs";

const bytes = readFileSync(new URL("../../build/cw.wasm", import.meta.url));
const utf8 = new TextEncoder();
// Node initializes its CSPRNG on first use (~3 ms); workerd's is always
// ready, so the seed is drawn before the clock starts.
const seed = crypto.getRandomValues(new Uint8Array(32));
warmEngine();

const t = [performance.now()];
const mod = new WebAssembly.Module(bytes);
t.push(performance.now());
const x = new WebAssembly.Instance(mod, {}).exports;
t.push(performance.now());
const put = (b) => {
  const p = x.cw_alloc(b.length);
  new Uint8Array(x.memory.buffer, p, b.length).set(b);
  return p;
};
x._initialize();
let p = put(seed);
x.cw_init(p, 32);
x.cw_dealloc(p);
const env = utf8.encode("local");
p = put(env);
x.cw_configure(p, env.length, 0, 0, 0, 0, 0, 0, 0, 0);
x.cw_dealloc(p);
x.cw_startup(0, 0, 0, 0, 1);
t.push(performance.now());

function read(r) {
  const res = readResult(x.memory, r);
  return { ...res, rid: res.requestId };
}
function patch(n) {
  const req = utf8.encode(`PATCH /state/x\r\ncontent-type: application/json\r\n\r\n{"a":${n}}`);
  const q = put(req);
  const r = x.cw_handle(q, req.length, 0, 0, 0, 0, 0);
  const e = read(r);
  const rid = utf8.encode(e.rid);
  const ip = put(rid);
  const o = x.cw_owner(q, req.length, 0, 0, ip, rid.length, 0, 0);
  const ans = read(o);
  const head = utf8.encode(ans.head);
  const hp = put(head);
  const bp = put(ans.body);
  x.cw_resume(r, ans.status, hp, head.length, bp, ans.body.length, 0);
  const out = read(r);
  [q, ip, hp, bp].forEach((z) => x.cw_dealloc(z));
  x.cw_result_free(o);
  x.cw_result_free(r);
  if (out.status !== 200) throw new Error(`status ${out.status}`);
}
patch(1);
t.push(performance.now());
patch(2);
t.push(performance.now());
const d = (i) => t[i + 1] - t[i];
console.log(JSON.stringify({ compile: d(0), instantiate: d(1), init: d(2), first_request: d(3), second_request: d(4), total: t[4] - t[0] }));
