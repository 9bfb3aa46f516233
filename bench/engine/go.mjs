// In-engine cold start of the Go baseline: compile main.wasm, instantiate it
// with Go's runtime glue, run main() (init), then the first and second
// handled PATCH through edge and owner. One JSON line of ms.
import { readFileSync } from "node:fs";
import "../../build/bench/go/wasm_exec.js";
import { warmEngine } from "./warm.mjs";

const bytes = readFileSync(new URL("../../build/bench/go/main.wasm", import.meta.url));
crypto.getRandomValues(new Uint8Array(16));
warmEngine();
const t = [performance.now()];
const mod = new WebAssembly.Module(bytes);
t.push(performance.now());
const go = new globalThis.Go();
const inst = new WebAssembly.Instance(mod, go.importObject);
t.push(performance.now());
go.run(inst); // main() registers its functions, then blocks in select {}
t.push(performance.now());
let stored = "";
function patch(n) {
  const env = `PATCH /state/x\r\ncontent-type: application/json\r\n\r\n{"a":${n}}`;
  const e = globalThis.cwGoEdge(env);
  const r = globalThis.cwGoOwner(env, stored, e.requestId);
  stored = r.commit;
  if (r.status !== 200) throw new Error(`status ${r.status}`);
}
patch(1);
t.push(performance.now());
patch(2);
t.push(performance.now());
const d = (i) => t[i + 1] - t[i];
console.log(JSON.stringify({ compile: d(0), instantiate: d(1), init: d(2), first_request: d(3), second_request: d(4), total: t[4] - t[0] }));
process.exit(0); // Go's runtime keeps the event loop alive
