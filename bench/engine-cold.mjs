// One cold run in this (fresh) V8 process: compile, instantiate, init
// (_initialize + cw_init), config, first handled request, second request.
// Prints one JSON line of milliseconds. Run by startup-placement.mjs.
import { readFileSync } from "node:fs";

const bytes = readFileSync(new URL("../build/cw.wasm", import.meta.url));
const utf8 = new TextEncoder();
// Node initializes its CSPRNG on first use (~3 ms); workerd's is always
// ready, so the seed is drawn before the clock starts.
const seed = crypto.getRandomValues(new Uint8Array(32));
const t = [performance.now()];
const mod = new WebAssembly.Module(bytes);
t.push(performance.now());
const x = new WebAssembly.Instance(mod, {}).exports;
t.push(performance.now());
x._initialize();
let p = x.cw_alloc(32);
new Uint8Array(x.memory.buffer, p, 32).set(seed);
x.cw_init(p, 32);
x.cw_dealloc(p);
t.push(performance.now());
const env = utf8.encode("local");
p = x.cw_alloc(env.length);
new Uint8Array(x.memory.buffer, p, env.length).set(env);
x.cw_configure(p, env.length, 0, 0, 0, 0);
x.cw_dealloc(p);
x.cw_startup(0, 0, 0, 0, 1);
t.push(performance.now());
function request() {
  const req = utf8.encode("GET /health\r\naccept: */*\r\n\r\n");
  const q = x.cw_alloc(req.length);
  new Uint8Array(x.memory.buffer, q, req.length).set(req);
  const r = x.cw_handle(q, req.length, performance.now(), 0);
  const status = new DataView(x.memory.buffer).getUint32(r, true);
  x.cw_result_free(r);
  x.cw_dealloc(q);
  if (status !== 200) throw new Error(`status ${status}`);
}
request();
t.push(performance.now());
request();
t.push(performance.now());
const d = (i) => t[i + 1] - t[i];
console.log(JSON.stringify({ compile: d(0), instantiate: d(1), init: d(2), config: d(3), first_request: d(4), second_request: d(5) }));
