// In-engine cold start of the plain-JS baseline: load and evaluate its
// module (the JS counterpart of compile + instantiate + init), then the first
// and second handled PATCH through edge and owner. One JSON line of ms.
import { readFileSync } from "node:fs";
import { warmEngine } from "./warm.mjs";

// Read before the clock starts, as the wasm bytes are for the C module.
const src = readFileSync(new URL("../baselines/js/logic.js", import.meta.url), "utf8");

crypto.getRandomValues(new Uint8Array(16)); // CSPRNG init, as in this.mjs
warmEngine();
const headers = new Map([["content-type", "application/json"]]);
const t = [performance.now()];
const { edge, owner, rid } = await import(`data:text/javascript,${encodeURIComponent(src)}`);
t.push(performance.now());
let stored = "";
function patch(n) {
  const body = `{"a":${n}}`;
  const requestId = rid();
  const e = edge("PATCH", "/state/x", headers, body, requestId);
  const r = owner("PATCH", e.forward, headers, body, stored, requestId);
  stored = r.commit;
  if (r.status !== 200) throw new Error(`status ${r.status}`);
}
patch(1);
t.push(performance.now());
patch(2);
t.push(performance.now());
console.log(JSON.stringify({ compile: t[1] - t[0], instantiate: 0, init: 0, first_request: t[2] - t[1], second_request: t[3] - t[2], total: t[2] - t[0] }));
