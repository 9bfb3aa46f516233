// JS<->wasm bridge cost per call, in-engine: an empty export call, and a
// whole GET /health through the worker as shipped (tests/host/workers.mjs:
// request in, the C edge, the Response out), against the plain-JS
// handler for the same route. One JSON line of µs.
import { edge, rid } from "./baselines/js/logic.js";
import { host } from "../tests/host/workers.mjs";

const h = await host();
console.log = () => {};
const x = new WebAssembly.Instance(new WebAssembly.Module((await import("node:fs")).readFileSync(new URL("../build/cw.wasm", import.meta.url))), { cw: { host: () => -1 } }).exports;
const per = async (n, fn) => {
  for (let i = 0; i < Math.min(n, 2000); i++) await fn(); // warm up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn();
  return ((performance.now() - t0) * 1000) / n;
};
const headers = new Map();
const health = new Request("http://host/health");
process.stdout.write(
  JSON.stringify({
    empty_call_us: Number((await per(1_000_000, () => x.cw_limit(0))).toFixed(4)),
    health_round_trip_us: Number((await per(20_000, () => h.fetch(health))).toFixed(3)),
    js_health_us: Number((await per(20_000, () => edge("GET", "/health", headers, "", rid()))).toFixed(3)),
  }) + "\n",
);
