// Does compiling the request path in global scope pay (issue 15, lever 3)?
// The shipped worker (lazy: everything on the first request) against
// bench/eager (the same, plus requests run through a throwaway instance in
// global scope, with a fixed seed and no I/O). Measured in one run,
// alternating:
//  1. `wrangler check startup`: global-scope CPU (Cloudflare runs it while
//     the TLS handshake is in flight, and bills it against the 1 s limit);
//  2. workerd serving each upload from a compiled (binary) config: the
//     first PATCH alone, from the moment the socket listens to its 200,
//     sent at once and sent 1 s later. workerd accepts connections before
//     it has evaluated global scope, so a PATCH sent at once waits for
//     that too; one sent after startup pays only its own work, as a
//     request to an isolate started ahead of it (during the TLS handshake)
//     does;
//  3. V8's compile trace (--trace-wasm-compilation-times): wasm functions
//     compiled before the first request and during it.
// Writes bench/results/startup-placement.json and prints a table.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { checkStartup } from "../scripts/startup.mjs";
import { dryRun } from "../scripts/size-check.mjs";
import { AFTER_STARTUP_MS, coldStart, compiledFunctions } from "./lib/serve.mjs";
import { vars } from "./lib/variants.mjs";

const root = path.resolve(import.meta.dirname, "..");
const N = Number(process.env.N ?? 15);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const VARIANTS = { lazy: "wrangler.toml", eager: "bench/eager/wrangler.toml" };
// As in make bench, the plugins worker is not served: one workerd process
// would load it at start, which production does only on a plugin's use.
const uploads = Object.fromEntries(
  Object.entries(VARIANTS).map(([k, cfg]) => {
    const outdir = path.join(root, "build/bench/placement", k);
    dryRun(cfg, outdir);
    return [k, { outdir, serve: { vars: vars("wrangler.toml") } }];
  }),
);

const first = { lazy: [], eager: [] };
const afterStartup = { lazy: [], eager: [] };
const startup = { lazy: [], eager: [] };
for (let i = 0; i < N; i++)
  for (const name of i % 2 ? ["eager", "lazy"] : ["lazy", "eager"]) {
    first[name].push((await coldStart(uploads[name], `placement-${name}-${i}`)).first_ms);
    afterStartup[name].push((await coldStart(uploads[name], `placement-${name}-${i}-after`, { wait: AFTER_STARTUP_MS })).first_ms);
    if (i < 5) {
      const r = checkStartup(VARIANTS[name], path.join(root, `build/startup-${name}.cpuprofile`));
      if (!r.ok) throw new Error(r.text);
      startup[name].push(r.active_ms);
    }
  }
const compiled = {
  lazy: await compiledFunctions(uploads.lazy, "placement-lazy-trace"),
  eager: await compiledFunctions(uploads.eager, "placement-eager-trace"),
};

const result = {
  runs: N,
  first_patch_after_listen_ms: Object.fromEntries(Object.entries(first).map(([k, v]) => [k, Number(median(v).toFixed(2))])),
  first_patch_after_startup_ms: Object.fromEntries(Object.entries(afterStartup).map(([k, v]) => [k, Number(median(v).toFixed(2))])),
  check_startup_active_ms: Object.fromEntries(Object.entries(startup).map(([k, v]) => [k, median(v)])),
  wasm_functions_compiled: compiled,
};
writeFileSync(path.join(root, "bench/results/startup-placement.json"), JSON.stringify(result, null, 2) + "\n");
console.log(JSON.stringify(result, null, 2));
