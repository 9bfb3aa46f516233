// Does compiling the request path in global scope pay (issue 15, lever 3)?
// The shipped worker (lazy: everything on the first request) against
// bench/eager (the same, plus requests run through a throwaway instance in
// global scope, with a fixed seed and no I/O). Measured in one run,
// alternating:
//  1. `wrangler check startup`: global-scope CPU (Cloudflare runs it while
//     the TLS handshake is in flight, and bills it against the 1 s limit);
//  2. workerd serving each upload from a compiled (binary) config: the
//     first PATCH alone, from the moment the socket listens to its 200;
//  3. V8's compile trace (--trace-wasm-compilation-times): wasm functions
//     compiled before the first request and during it.
// Writes bench/results/startup-placement.json and prints a table.
import { writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { checkStartup } from "../scripts/startup.mjs";
import { dryRun } from "../scripts/size-check.mjs";
import { compile, config, freePort, serve, stop } from "../scripts/workerd.mjs";

const root = path.resolve(import.meta.dirname, "..");
const N = Number(process.env.N ?? 15);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const VARIANTS = { lazy: "wrangler.toml", eager: "bench/eager/wrangler.toml" };
const plugins = path.join(root, "build/bench/placement/plugins");
dryRun("plugins/wrangler.toml", plugins);
const outdir = Object.fromEntries(Object.entries(VARIANTS).map(([k, cfg]) => [k, dryRun(cfg, path.join(root, "build/bench/placement", k)) && path.join(root, "build/bench/placement", k)]));

async function listening(port) {
  for (;;) {
    const ok = await new Promise((r) => {
      const s = net.connect(port, "127.0.0.1", () => (s.destroy(), r(true)));
      s.on("error", () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 1));
  }
}

// One fresh workerd: the first PATCH after the socket listens (ms), and,
// with the trace, the functions compiled before it and during it.
async function firstPatch(name, i, trace = false) {
  const port = await freePort();
  const cfg = compile(config(outdir[name], path.join(root, "build/bench/placement/run", `${name}-${i}`), port, undefined, plugins, trace ? ["--trace-wasm-compilation-times"] : []));
  const p = serve(cfg, { stdout: trace });
  await listening(port);
  if (trace) await new Promise((r) => setTimeout(r, 300));
  const before = trace ? p.stdout().split("Compiled function").length - 1 : 0;
  const t = performance.now();
  const res = await fetch(`http://127.0.0.1:${port}/state/x`, { method: "PATCH", headers: { "content-type": "application/json" }, body: '{"a":1}' });
  await res.text();
  const ms = performance.now() - t;
  if (res.status !== 200) throw new Error(`${name}: ${res.status}`);
  if (trace) {
    await new Promise((r) => setTimeout(r, 300));
    p.p.kill("SIGTERM"); // lets workerd flush its trace
    await new Promise((r) => p.p.once("exit", r));
    return { before, during: p.stdout().split("Compiled function").length - 1 - before };
  }
  await stop(p);
  return ms;
}

const first = { lazy: [], eager: [] };
const startup = { lazy: [], eager: [] };
for (let i = 0; i < N; i++)
  for (const name of i % 2 ? ["eager", "lazy"] : ["lazy", "eager"]) {
    first[name].push(await firstPatch(name, i));
    if (i < 5) {
      const r = checkStartup(VARIANTS[name], path.join(root, `build/startup-${name}.cpuprofile`));
      if (!r.ok) throw new Error(r.text);
      startup[name].push(r.active_ms);
    }
  }
const compiled = { lazy: await firstPatch("lazy", "trace", true), eager: await firstPatch("eager", "trace", true) };

const result = {
  runs: N,
  first_patch_after_listen_ms: Object.fromEntries(Object.entries(first).map(([k, v]) => [k, Number(median(v).toFixed(2))])),
  check_startup_active_ms: Object.fromEntries(Object.entries(startup).map(([k, v]) => [k, median(v)])),
  wasm_functions_compiled: compiled,
};
writeFileSync(path.join(root, "bench/results/startup-placement.json"), JSON.stringify(result, null, 2) + "\n");
console.log(JSON.stringify(result, null, 2));
