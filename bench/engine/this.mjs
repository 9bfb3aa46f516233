// In-engine cold start of the worker as shipped in this (fresh) V8 process
// (tests/host/workers.mjs): loading worker/ (its JS evaluated, the module
// compiled as its import is), then the first PATCH through the edge and
// the Durable Object (the module instantiated, initialized and configured
// on first use, as in workerd), then a second. SQLite (node:sqlite) and
// the CSPRNG are touched first, since workerd's are always ready. Prints
// one JSON line of milliseconds, with the module's own instantiate and
// init (+ configure) phases as /metrics reports them. Run by bench/run.mjs.
import { DatabaseSync } from "node:sqlite";
import { warmEngine } from "./warm.mjs";

crypto.getRandomValues(new Uint8Array(32));
new DatabaseSync(":memory:").exec("CREATE TABLE t (x)");
warmEngine();

const t = [performance.now()];
const { host } = await import("../../tests/host/workers.mjs");
const h = await host();
console.log = () => {};
t.push(performance.now());
const patch = async (n) => {
  const r = await h.fetch(new Request("http://host/state/x", { method: "PATCH", headers: { "content-type": "application/json" }, body: `{"a":${n}}` }));
  if (r.status !== 200) throw new Error(`status ${r.status}`);
};
await patch(1);
t.push(performance.now());
await patch(2);
t.push(performance.now());
const d = (i) => t[i + 1] - t[i];
// The startup phases the module reports (/metrics, open in local).
const metrics = await (await h.fetch(new Request("http://host/metrics"))).text();
const phase = (name) => 1000 * Number(new RegExp(`^cw_startup_phase_seconds\\{phase="${name}"\\} (\\S+)$`, "m").exec(metrics)[1]);
process.stdout.write(
  JSON.stringify({ compile: d(0), instantiate: phase("instantiate"), init: phase("init") + phase("config"), first_request: d(1), second_request: d(2), total: d(0) + d(1) }) + "\n",
);
