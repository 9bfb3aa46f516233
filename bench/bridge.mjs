// JS<->wasm bridge cost per call, in-engine: an empty export call, and a
// whole GET /health through the C edge (envelope in, result read, freed),
// against the plain-JS handler for the same route. One JSON line of µs.
import { edge, rid } from "./baselines/js/logic.js";
import { load } from "../tests/host/module.mjs";

const m = load();
const per = (n, fn) => {
  for (let i = 0; i < Math.min(n, 2000); i++) fn(); // warm up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn();
  return ((performance.now() - t0) * 1000) / n;
};
const headers = new Map();
console.log(
  JSON.stringify({
    empty_call_us: Number(per(1_000_000, () => m.x.cw_limit(0)).toFixed(4)),
    health_round_trip_us: Number(per(20_000, () => m.request("GET /health\r\n\r\n")).toFixed(3)),
    js_health_us: Number(per(20_000, () => edge("GET", "/health", headers, "", rid())).toFixed(3)),
  }),
);
