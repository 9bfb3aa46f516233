// In-engine cold start of the C module in this (fresh) V8 process: compile,
// then instantiate and init (_initialize, cw_init with a seed, cw_configure,
// cw_startup: tests/host/module.mjs, as worker/bridge.js does), then the
// first handled PATCH through edge and owner with SQLite storage
// (node:sqlite), then a second. The object's database and schema are made
// off the clock (the Go baseline has no storage to make; the whole path,
// storage included, is bench/engine/full.mjs's). Prints one JSON line of
// milliseconds. Run by bench/run.mjs.
import { readFileSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { load } from "../../tests/host/module.mjs";
import { warmEngine } from "./warm.mjs";

const bytes = readFileSync(new URL("../../build/cw.wasm", import.meta.url));
// Node initializes its CSPRNG and SQLite on first use; workerd's are always
// ready, so both are touched before the clock starts.
crypto.getRandomValues(new Uint8Array(32));
new DatabaseSync(":memory:").exec("CREATE TABLE t (x)");
warmEngine();

const t = [performance.now()];
const mod = new WebAssembly.Module(bytes);
t.push(performance.now());
const m = load(mod);
t.push(performance.now());
m.database("x");
t.push(performance.now());
const patch = (n) => {
  const r = m.request(`PATCH /state/x\r\ncontent-type: application/json\r\n\r\n{"a":${n}}`, { raw: true });
  if (r.status !== 200) throw new Error(`status ${r.status}`);
};
patch(1);
t.push(performance.now());
patch(2);
t.push(performance.now());
const d = (i) => t[i + 1] - t[i];
console.log(JSON.stringify({ compile: d(0), init: d(1), first_request: d(3), second_request: d(4), total: d(0) + d(1) + d(3) }));
