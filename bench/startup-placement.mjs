// Where should the module be instantiated: in global scope (eager) or on the
// first request (lazy)? Measures both, alternating, in one run:
//  1. `wrangler check startup` of each variant: global-scope CPU, which
//     Cloudflare spends while the TLS handshake is in flight and bills
//     against the 1 s startup limit.
//  2. In-engine phases in fresh V8 processes: what moves between global
//     scope and the first request.
// Writes bench/results/startup-placement.json and prints a table.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { checkStartup } from "../scripts/startup.mjs";

const root = path.resolve(import.meta.dirname, "..");
const N = Number(process.env.N ?? 9);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const startup = { lazy: [], eager: [] };
for (let i = 0; i < N; i++) {
  for (const [name, cfg] of i % 2 ? [["eager", "bench/eager/wrangler.toml"], ["lazy", "wrangler.toml"]] : [["lazy", "wrangler.toml"], ["eager", "bench/eager/wrangler.toml"]]) {
    const r = checkStartup(cfg, path.join(root, `build/startup-${name}.cpuprofile`));
    if (!r.ok) throw new Error(r.text);
    startup[name].push(r);
  }
}

const engine = [];
for (let i = 0; i < N * 3; i++)
  engine.push(JSON.parse(execFileSync(process.execPath, [path.join(root, "bench/engine/this.mjs")], { encoding: "utf8" })));

const result = {
  runs: N,
  node: process.version,
  check_startup: Object.fromEntries(
    Object.entries(startup).map(([k, rs]) => [
      k,
      { active_ms: median(rs.map((r) => r.active_ms)), window_ms: median(rs.map((r) => r.window_ms)), samples: median(rs.map((r) => r.samples)) },
    ]),
  ),
  engine_ms: Object.fromEntries(Object.keys(engine[0]).map((k) => [k, median(engine.map((e) => e[k]))])),
};
const moved = result.engine_ms.instantiate + result.engine_ms.init; // init includes config
result.moved_ms = moved;
writeFileSync(path.join(root, "bench/results/startup-placement.json"), JSON.stringify(result, null, 2) + "\n");

console.log(`wrangler check startup, median of ${N} alternating runs each:`);
for (const [k, v] of Object.entries(result.check_startup))
  console.log(`  ${k.padEnd(6)} active ${v.active_ms} ms, window ${v.window_ms} ms, ${v.samples} samples`);
console.log(`in-engine (fresh V8 process, median of ${N * 3}), ms:`);
for (const [k, v] of Object.entries(result.engine_ms)) console.log(`  ${k.padEnd(15)} ${v.toFixed(3)}`);
console.log(`work that moves between global scope and the first request: ${moved.toFixed(3)} ms`);
