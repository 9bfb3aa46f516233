// make bench: every variant measured in the same run, alternating, against
// 127.0.0.1 only, with bounded loops. Writes bench/results/latest.json,
// latest.md and chart.svg. Budget: under 10 minutes on 2 cores.
//
// Variants (bench/lib/variants.mjs): this (the product: C module + thin
// glue, with its plugins worker), js (the same service in plain JS), agents
// (the same on Cloudflare's Agents SDK), go (the first version's logic in
// Go js/wasm), floor (plain JS plus the smallest wasm module: what wasm
// itself costs; size and cold start only). Every variant logs one line per
// request, and is served by workerd from a compiled config.
// Knobs (environment): COLD_RUNS (>= 30), ENGINE_RUNS (>= 30),
// WARM_SECONDS, SWEEP_SECONDS, WAKE_ROUNDS.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { checkStartup } from "../scripts/startup.mjs";
import { measure as measureSize } from "../scripts/size-check.mjs";
import { WORKERD } from "../scripts/workerd.mjs";
import { renderChart } from "./lib/chart.mjs";
import { AFTER_STARTUP_MS, coldStart, compiledFunctions, listening, prepare, stop } from "./lib/serve.mjs";
import { root, upload, VARIANTS } from "./lib/variants.mjs";
import { wrk } from "./lib/wrk.mjs";
import { bigDocument } from "./live/big.mjs";
import { fanout, seed } from "./live/fanout.mjs";
import { selective } from "./live/selective.mjs";
import { socketMemory } from "./live/sockets.mjs";
import { wake } from "./live/wake.mjs";

const NAMES = Object.keys(VARIANTS); // this, js, agents, go, floor
const SERVED = NAMES.filter((n) => !VARIANTS[n].coldOnly); // this, js, agents, go
const LIVE = NAMES.filter((n) => VARIANTS[n].protocol); // this, js, agents
const ROUNDS = 3; // warm and sweep req/s: the median of this many alternating rounds
const SIZES = { "1k": 1 << 10, "64k": 64 << 10, "1m": 1 << 20 };
const out = path.join(root, "bench/results");

if (process.argv.includes("--render")) {
  // Re-render latest.md and chart.svg from latest.json without measuring.
  const r = JSON.parse(readFileSync(path.join(out, "latest.json"), "utf8"));
  writeFileSync(path.join(out, "latest.md"), renderMarkdown(r));
  writeFileSync(path.join(out, "chart.svg"), renderChart(r));
  console.log(renderMarkdown(r));
  process.exit(0);
}
const COLD_RUNS = Math.max(30, Number(process.env.COLD_RUNS ?? 30));
const ENGINE_RUNS = Math.max(30, Number(process.env.ENGINE_RUNS ?? 30));
const WARM_SECONDS = Number(process.env.WARM_SECONDS ?? 2);
const SWEEP_SECONDS = Number(process.env.SWEEP_SECONDS ?? 3);
const started = Date.now();
const log = (...a) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(3)}s]`, ...a);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const round = (x, d = 3) => (x === null || x === undefined || Number.isNaN(x) ? null : Number(x.toFixed(d)));
const stat = (xs, d = 2) => ({ median: round(median(xs), d), p25: round(quantile(xs, 0.25), d), p75: round(quantile(xs, 0.75), d), runs: xs.length });
const rotate = (names, i) => names.map((_, k) => names[(i + k) % names.length]);
const node = (script, ...args) =>
  JSON.parse(execFileSync(process.execPath, ["--experimental-vm-modules", "--no-warnings", path.join(root, script), ...args], { encoding: "utf8", maxBuffer: 1 << 24 }));

const results = { generated_at: new Date().toISOString() };

// --- machine and tools ---------------------------------------------------------
function version(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).split("\n")[0].trim();
  } catch {
    return null;
  }
}
results.machine = {
  cpu: os.cpus()[0]?.model ?? "unknown",
  cores: os.cpus().length,
  memory_gib: round(os.totalmem() / 2 ** 30, 1),
  os: `${os.type()} ${os.release()}`,
};
results.tools = {
  node: process.version,
  workerd: version(WORKERD, ["--version"]),
  wrangler: version("wrangler", ["--version"])?.replace(/^.*?(\d+\.\d+\.\d+).*$/, "$1"),
  agents: JSON.parse(readFileSync(path.join(root, "bench/baselines/agents/node_modules/agents/package.json"), "utf8")).version,
  go: version("go", ["version"]),
  clang: version(execFileSync("sh", [path.join(root, "scripts/toolchain.sh"), "cc"], { encoding: "utf8" }).trim(), ["--version"]),
  wasm_opt: version("wasm-opt", ["--version"]),
  wrk: version("wrk", ["-v"]) ?? "wrk",
  tinygo: "not installable here: no Debian or npm package",
};

// --- 1. size --------------------------------------------------------------------
log("size: wrangler deploy --dry-run per variant");
const uploads = Object.fromEntries(NAMES.map((n) => [n, upload(n)]));
const product = measureSize();
results.size = Object.fromEntries(
  NAMES.map((n) => [
    n,
    {
      gzip_bytes: uploads[n].gzip_bytes,
      raw_bytes: uploads[n].raw_bytes,
      wasm_gzip_bytes: uploads[n].wasm_gzip_bytes,
      plugin_gzip_bytes: uploads[n].plugin_gzip_bytes,
      wasm_raw_bytes: uploads[n].wasm_raw_bytes,
      wrangler_total_kib: uploads[n].wrangler_total_kib,
      files: uploads[n].files,
    },
  ]),
);
results.size.this.plugins = product.plugins.map((p) => ({ file: p.file.replace(/^[0-9a-f]+-/, ""), gzip_bytes: p.gzip_bytes }));
results.size.this.plugins_worker_gzip_bytes = product.plugins_worker.gzip_bytes;
results.size.this.client_gzip_bytes = product.client.gzip_bytes;
results.size.this.persist_gzip_bytes = product.persist.gzip_bytes;
results.size.this.app_gzip_bytes = product.app.gzip_bytes;
results.size.ratio_vs_agents = round(uploads.this.gzip_bytes / uploads.agents.gzip_bytes, 4);

// --- 2a. cold start in workerd: spawn to the first 200, and the first request
// alone from the moment the socket listens. Configs compiled first. The
// product's plugins worker is left out here: on Cloudflare it is another
// script, started on its first use, never with the core's isolate, while
// one workerd process would load it at its own start (its modules'
// decoding then runs beside the first request: +6 to 8 ms measured). The
// first PATCH to a plain id never calls it; its first use is timed below.
log(`cold start (workerd): ${COLD_RUNS} alternating runs per variant`);
const alone = Object.fromEntries(NAMES.map((n) => [n, { ...uploads[n], serve: { ...uploads[n].serve, plugins: null } }]));
const cold = Object.fromEntries(NAMES.map((n) => [n, []]));
for (let i = 0; i < COLD_RUNS; i++) for (const n of rotate(NAMES, i)) cold[n].push(await coldStart(alone[n], `cold-${n}`));
const paired = (other, k, of = "this") => cold[of].map((t, i) => t[k] / cold[other][i][k]);
const spread = (xs) => ({ p25: round(quantile(xs, 0.25)), p75: round(quantile(xs, 0.75)), min: round(Math.min(...xs)), max: round(Math.max(...xs)) });

// The first request after startup: workerd accepts connections before it
// has evaluated the worker's global scope, so the request above, sent at
// once, also waits for the rest of its startup (about half of the floor's
// figure; bench/first-request.mjs). Sent a second after listening, it is
// the request's own cost, as a request to an isolate started ahead of it
// (Cloudflare starts one during the TLS handshake) pays it. Ours, plain JS
// and the floor only.
const AFTER = ["this", "js", "floor"];
const AFTER_RUNS = Math.ceil(COLD_RUNS / 2);
log(`cold start (workerd), the first request after startup: ${AFTER_RUNS} alternating runs per variant, each sent ${AFTER_STARTUP_MS} ms after listening`);
const after = Object.fromEntries(AFTER.map((n) => [n, []]));
for (let i = 0; i < AFTER_RUNS; i++) for (const n of rotate(AFTER, i)) after[n].push((await coldStart(alone[n], `after-${n}`, { wait: AFTER_STARTUP_MS })).first_ms);
const afterRatio = (other) => after.this.map((t, i) => t / after[other][i]);

log("compile counts: V8's trace of the first GET /health and the first PATCH");
const compiled = {
  health: await compiledFunctions(uploads.this, "trace-health", { path: "/health", method: "GET" }),
  patch: await compiledFunctions(uploads.this, "trace-patch"),
};

// --- 2b. cold start in-engine: a fresh V8 process each ------------------------------
// Core: the C module alone (compile, instantiate, init, first request),
// against Go's. Whole upload: bundle evaluated with its wasm, glue, shipped
// config and Durable Object, then the first request (bench/engine/full.mjs).
log(`cold start (in-engine): ${ENGINE_RUNS} alternating fresh processes per variant`);
const ENGINE = { "this-core": ["bench/engine/this.mjs"], "go-core": ["bench/engine/go.mjs"], ...Object.fromEntries(LIVE.map((n) => [n, ["bench/engine/full.mjs", n]])) };
const engine = Object.fromEntries(Object.keys(ENGINE).map((k) => [k, []]));
for (let i = 0; i < ENGINE_RUNS; i++) for (const k of rotate(Object.keys(ENGINE), i)) engine[k].push(node(...ENGINE[k]));
const engineMedian = (k, pick = (e) => e) =>
  Object.fromEntries(Object.keys(pick(engine[k][0])).map((f) => [f, round(median(engine[k].map((e) => pick(e)[f])))]));

// --- 2c. wrangler check startup --------------------------------------------------------
log("cold start (wrangler check startup): 3 alternating runs per variant");
const startup = Object.fromEntries(NAMES.map((n) => [n, []]));
for (let i = 0; i < 3; i++)
  for (const n of rotate(NAMES, i)) {
    const r = checkStartup(VARIANTS[n].config, path.join(root, "build/bench", `startup-${n}.cpuprofile`));
    if (!r.ok) throw new Error(`wrangler check startup failed for ${n}:\n${r.text}`);
    startup[n].push(r);
  }

const spawnRatio = (o) => paired(o, "spawn_ms");
const firstRatio = (o) => paired(o, "first_ms");
results.cold_start = {
  end_to_end_ms: Object.fromEntries(NAMES.map((n) => [n, stat(cold[n].map((c) => c.spawn_ms), 1)])),
  first_request_ms: Object.fromEntries(NAMES.map((n) => [n, stat(cold[n].map((c) => c.first_ms), 2)])),
  listen_ms: Object.fromEntries(NAMES.map((n) => [n, stat(cold[n].map((c) => c.listen_ms), 1)])),
  ratio_vs_js: round(median(spawnRatio("js"))),
  ratio_vs_js_spread: spread(spawnRatio("js")),
  ratio_vs_agents: round(median(spawnRatio("agents"))),
  ratio_vs_agents_spread: spread(spawnRatio("agents")),
  ratio_vs_go: round(median(spawnRatio("go"))),
  ratio_vs_floor: round(median(spawnRatio("floor"))),
  ratio_vs_floor_spread: spread(spawnRatio("floor")),
  first_request_ratio_vs_floor: round(median(firstRatio("floor"))),
  first_request_ratio_vs_floor_spread: spread(firstRatio("floor")),
  floor_ratio_vs_js: round(median(paired("js", "spawn_ms", "floor"))),
  floor_first_request_ratio_vs_js: round(median(paired("js", "first_ms", "floor"))),
  first_request_ratio_vs_js: round(median(firstRatio("js"))),
  first_request_ratio_vs_js_spread: spread(firstRatio("js")),
  first_request_ratio_vs_agents: round(median(firstRatio("agents"))),
  first_request_ratio_vs_agents_spread: spread(firstRatio("agents")),
  first_request_after_startup_ms: Object.fromEntries(AFTER.map((n) => [n, stat(after[n], 2)])),
  first_request_after_startup_ratio_vs_floor: round(median(afterRatio("floor"))),
  first_request_after_startup_ratio_vs_floor_spread: spread(afterRatio("floor")),
  first_request_after_startup_ratio_vs_js: round(median(afterRatio("js"))),
  wasm_functions_compiled: compiled,
  isolate_ms: { this: engineMedian("this-core"), go: engineMedian("go-core"), ...Object.fromEntries(LIVE.filter((n) => n !== "this").map((n) => [n, engineMedian(n)])) },
  isolate_full_ms: Object.fromEntries(LIVE.map((n) => [n, engineMedian(n, ({ plugins, ...e }) => e)])),
  plugins_first_use_ms: engineMedian("this", (e) => e.plugins),
  wrangler_check_startup: Object.fromEntries(
    NAMES.map((n) => [n, { active_ms: round(median(startup[n].map((r) => r.active_ms)), 1), window_ms: round(median(startup[n].map((r) => r.window_ms)), 1), samples: median(startup[n].map((r) => r.samples)) }]),
  ),
};
const c = results.cold_start;
c.isolate_ratio_vs_go = round(c.isolate_ms.this.total / c.isolate_ms.go.total, 4);
c.isolate_ratio_vs_js = round(c.isolate_full_ms.this.total / c.isolate_full_ms.js.total);
c.isolate_ratio_vs_agents = round(c.isolate_full_ms.this.total / c.isolate_full_ms.agents.total);

// --- 3. warm: wrk at fixed concurrency, small state -----------------------------------------
// Every variant served at once (idle ones cost nothing); routes alternate.
// Each variant runs in ROUNDS workerd processes, round r on process r: two
// processes serving the same upload differ by up to 4% in CPU per request
// (bench/cpu.mjs), which one process per variant would carry into every
// round of a ratio. The fan-out runs use process 0.
log(`serving every variant (${ROUNDS} processes each) for the warm, sweep and fan-out runs`);
const procs = {};
for (let r = 0; r < ROUNDS; r++)
  for (const n of SERVED) {
    const { port, base, start } = await prepare(uploads[n], `${n}-serve-${r}`);
    (procs[n] ??= [])[r] = { base, proc: start() };
    await listening(port, procs[n][r].proc);
  }
const served = Object.fromEntries(SERVED.map((n) => [n, procs[n][0]]));
const bases = (n) => procs[n].map((p) => p.base);
try {
  // A cell's req/s is the median of ROUNDS alternating rounds; its
  // latencies are those of the median round.
  const medianRound = (rounds) => {
    const m = [...rounds].sort((a, b) => a.rps - b.rps)[Math.floor(rounds.length / 2)];
    return { ...m, rounds_rps: rounds.map((x) => x.rps) };
  };
  log(`warm: wrk -t2 -c16 -d${WARM_SECONDS}s per route per variant, ${ROUNDS} alternating rounds`);
  const ROUTES = { health: ["GET", "/health"], get_state: ["GET", "/state/warm"], patch_state: ["PATCH", "/state/warm"] };
  for (const n of SERVED) for (const b of bases(n)) await seed(b, "warm", 100);
  results.warm = Object.fromEntries(SERVED.map((n) => [n, {}]));
  {
    const rounds = Object.fromEntries(SERVED.map((n) => [n, Object.fromEntries(Object.keys(ROUTES).map((k) => [k, []]))]));
    let turn = 0;
    for (let round = 0; round < ROUNDS; round++)
      for (const [rname, [method, route]] of Object.entries(ROUTES))
        for (const n of rotate(SERVED, turn++)) rounds[n][rname].push(wrk(`${procs[n][round].base}${route}`, method, WARM_SECONDS));
    for (const n of SERVED) for (const k of Object.keys(ROUTES)) results.warm[n][k] = medianRound(rounds[n][k]);
  }
  results.warm.patch_rps_ratio_vs_js = round(results.warm.this.patch_state.rps / results.warm.js.patch_state.rps);
  results.warm.get_rps_ratio_vs_js = round(results.warm.this.get_state.rps / results.warm.js.get_state.rps);
  results.warm.health_rps_ratio_vs_js = round(results.warm.this.health.rps / results.warm.js.health.rps);
  results.warm.bridge_us = JSON.parse(execFileSync(process.execPath, [path.join(root, "bench/bridge.mjs")], { encoding: "utf8" }));

  // --- 4. state-size sweep: req/s over HTTP, owner µs in-engine ------------------------------
  log(`sweep: GET and PATCH (100-byte patch, return=minimal) on 1 KB, 64 KB, 1 MB states, wrk ${SWEEP_SECONDS}s each, ${ROUNDS} alternating rounds`);
  results.sweep = Object.fromEntries(LIVE.map((n) => [n, { get: {}, patch: {} }]));
  let turn = 0;
  for (const [size, bytes] of Object.entries(SIZES)) {
    for (const n of LIVE) for (const b of bases(n)) await seed(b, `sweep-${size}`, bytes);
    for (const method of ["GET", "PATCH"]) {
      const rounds = Object.fromEntries(LIVE.map((n) => [n, []]));
      for (let round = 0; round < ROUNDS; round++)
        for (const n of rotate(LIVE, turn++)) rounds[n].push(wrk(`${procs[n][round].base}/state/sweep-${size}`, method, SWEEP_SECONDS));
      for (const n of LIVE) results.sweep[n][method.toLowerCase()][size] = medianRound(rounds[n]);
    }
  }
  log(`sweep: owner µs in-engine per variant, ${ROUNDS} alternating fresh processes, the median`);
  {
    const runs = Object.fromEntries(LIVE.map((n) => [n, []]));
    for (let round = 0; round < ROUNDS; round++) for (const n of rotate(LIVE, round)) runs[n].push(node("bench/engine/owner.mjs", n));
    for (const n of LIVE)
      for (const size of Object.keys(SIZES)) {
        const pick = (k) => round(median(runs[n].map((o) => o[size][k])), 1);
        results.sweep[n].get[size].owner_us = pick("get_us");
        results.sweep[n].patch[size].owner_us = pick("patch_us");
        results.sweep[n].patch[size].owner_full_us = pick("patch_full_us");
      }
  }

  // --- 5. live fan-out ------------------------------------------------------------------------
  log("fan-out: one writer, 16 and 64 subscribers, 64 KB state");
  results.fanout = Object.fromEntries(LIVE.map((n) => [n, {}]));
  for (const [k, subscribers] of [16, 64].entries())
    for (const n of rotate(LIVE, k)) results.fanout[n][subscribers] = await fanout(served[n].base, VARIANTS[n].protocol, { subscribers, changes: 200, maxMs: 5000 });
  log("selective sync: 64 subscribers on 64 disjoint subtrees of a 4 MiB document, whole-document hellos against hellos with paths");
  results.selective = { this: await selective(served.this.base) };
} finally {
  for (const n of SERVED) for (const p of procs[n] ?? []) if (p) await stop(p.proc);
}

// --- 5b. memory per socket ----------------------------------------------------------------------
log("live: workerd's RSS per socket, 250 sockets on one document, per variant");
results.live = {};
for (const n of LIVE) results.live[n] = await socketMemory(uploads[n], VARIANTS[n].protocol, { sockets: 250, tag: `sockets-${n}` });
results.live.rss_ratio_vs_js = round(results.live.this.rss_kib_per_socket / results.live.js.rss_kib_per_socket);

// --- 6. wake from hibernation ------------------------------------------------------------------
log("wake: a frame to an evicted object until its broadcast (workerd evicts after ~10 s idle)");
{
  const w = await wake(Object.fromEntries(LIVE.map((n) => [n, { upload: uploads[n], protocol: VARIANTS[n].protocol }])), { rounds: Number(process.env.WAKE_ROUNDS ?? 5), idleMs: 12000 });
  results.wake = Object.fromEntries(LIVE.map((n) => [n, { ms: round(median(w[n].woken_ms), 2), woken_ms: stat(w[n].woken_ms), hot_ms: stat(w[n].hot_ms), idle_ms: w[n].idle_ms }]));
  results.wake.ratio_vs_js = round(results.wake.this.ms / results.wake.js.ms);
  results.wake.hot_ratio_vs_js = round(results.wake.this.hot_ms.median / results.wake.js.hot_ms.median);
  results.wake.ratio_vs_agents = round(results.wake.this.ms / results.wake.agents.ms);
}

// --- 6b. nested writes and large documents -----------------------------------------------------
// In-engine: a one-leaf PATCH below the top level (return=minimal) with the
// bulk of the state under one member, at 1 KB, 1 MB and 64 MiB, and the
// conversion of a 4 MiB members-as-rows object (bench/engine/deep.mjs).
// In workerd: a 64 MiB document built, then read by a streamed GET
// (bench/live/big.mjs).
log("deep: nested PATCH owner µs at 1 KB, 1 MB, 64 MiB, in-engine, this and JS");
{
  const d = { this: node("bench/engine/deep.mjs", "this"), js: node("bench/engine/deep.mjs", "js") };
  results.deep = Object.fromEntries(["this", "js"].map((n) => [n, { patch_us: d[n].patch_us, build_s: d[n].build_s }]));
  results.deep.this.convert_4m = d.this.convert;
  results.deep.this.wasm_bytes = d.this.wasm_bytes;
}
log("big: a 64 MiB document in workerd: build, streamed GET, memory");
results.big = await bigDocument(uploads);
// The documented bound on the module's memory (docs/storage.md): the
// owner's cache budget and one call's ceiling.
results.big.wasm_bound_bytes = (16 + 48) << 20;

// --- 7. memory ---------------------------------------------------------------------------------
// In-engine, one fresh process per variant: 100k requests through workerd
// would take minutes per variant here, which the budget cannot hold.
log("memory: 1k then 100k mixed requests, then the cache filled, per variant, in-engine");
results.memory = {};
for (const n of SERVED) {
  const m = node("bench/engine/memory.mjs", n);
  m.wasm_growth = m.after_1k.wasm_bytes ? round(m.after_100k.wasm_bytes / m.after_1k.wasm_bytes) : null;
  m.rss_growth = round(m.after_100k.rss_bytes / m.after_1k.rss_bytes);
  results.memory[n] = m;
}

// --- targets -----------------------------------------------------------------------------------
// Each: the goal (PASS or MISS) and, where the engine issue sets one, the
// minimum below which the work is not done.
const s = results.sweep;
const f64 = results.fanout;
const budget = JSON.parse(readFileSync(path.join(root, "scripts/budget.json"), "utf8"));
const target = (name, value, goal, pass, extra = {}) => ({ name, value, goal, pass, ...extra });
const atMost = (name, value, goal, minimum, extra = {}) =>
  target(name, value, goal, value <= goal, minimum === undefined ? extra : { minimum, minimum_pass: value <= minimum, ...extra });
const atLeast = (name, value, goal, minimum, extra = {}) =>
  target(name, value, goal, value >= goal, minimum === undefined ? extra : { minimum, minimum_pass: value >= minimum, ...extra });
const label = { "1k": "1 KB", "64k": "64 KB", "1m": "1 MB" };
results.targets = [
  atMost(`core upload <= ${budget.core_gzip_bytes / 1024} KiB gzip (scripts/budget.json)`, results.size.this.gzip_bytes, budget.core_gzip_bytes),
  atMost("every plugin <= 16 KiB gzip", Math.max(...results.size.this.plugins.map((p) => p.gzip_bytes)), 16384),
  atMost("client core (sync.js) as served <= 4 KiB gzip", results.size.this.client_gzip_bytes, 4096),
  atMost("offline module (persist.js) as served <= 2 KiB gzip", results.size.this.persist_gzip_bytes, 2048),
  atMost("the example app (app.js, index.html, sw.js) <= 8 KiB gzip", results.size.this.app_gzip_bytes, 8192),
  ...["get", "patch"].flatMap((m) =>
    Object.keys(SIZES).map((k) =>
      atMost(`owner µs in-engine, ${m.toUpperCase()}${m === "patch" ? " (return=minimal)" : ""} at ${label[k]}, ours / JS <= 1.0`, round(s.this[m][k].owner_us / s.js[m][k].owner_us), 1.0, 1.5),
    ),
  ),
  ...["get", "patch"].flatMap((m) =>
    ["1k", "64k"].map((k) => atLeast(`warm ${m.toUpperCase()} req/s at ${label[k]}, ours / JS >= 1.0 (median of ${ROUNDS} rounds)`, round(s.this[m][k].rps / s.js[m][k].rps), 1.0, 0.95)),
  ),
  atMost("cold start spawn to first 200, ours / floor <= 1.03", c.ratio_vs_floor, 1.03, 1.08, { spread: c.ratio_vs_floor_spread }),
  atMost("cold start first request after listen, ours / floor <= 1.03", c.first_request_ratio_vs_floor, 1.03, 1.08, { spread: c.first_request_ratio_vs_floor_spread }),
  atMost("cold start spawn to first 200, ours / JS <= 1.08", c.ratio_vs_js, 1.08, undefined, { spread: c.ratio_vs_js_spread }),
  atMost("cold start first request after listen, ours / JS <= 1.08", c.first_request_ratio_vs_js, 1.08, undefined, { spread: c.first_request_ratio_vs_js_spread }),
  atMost("cold start spawn to first 200, ours / Agents SDK <= 0.5", c.ratio_vs_agents, 0.5, undefined, { spread: c.ratio_vs_agents_spread }),
  atMost("in-engine cold path, ours / Go <= 0.05", c.isolate_ratio_vs_go, 0.05),
  atMost("wake from hibernation, ours / JS <= 1.0", results.wake.ratio_vs_js, 1.0),
  atMost("a frame with the object in memory, ours / JS <= 1.0", results.wake.hot_ratio_vs_js, 1.0),
  atMost("memory per socket (workerd RSS, 250 sockets), ours / JS <= 1.0", results.live.rss_ratio_vs_js, 1.0),
  atMost("PATCH owner µs at 1 MB <= 2x at 1 KB", round(s.this.patch["1m"].owner_us / s.this.patch["1k"].owner_us), 2),
  atMost("nested PATCH owner µs at 1 MB <= 2x at 1 KB (required: <= 3x)", round(results.deep.this.patch_us["1m"] / results.deep.this.patch_us["1k"]), 2, 3, { js: round(results.deep.js.patch_us["1m"] / results.deep.js.patch_us["1k"]) }),
  atMost("nested PATCH owner µs at 64 MiB <= 3x at 1 KB", round(results.deep.this.patch_us["64m"] / results.deep.this.patch_us["1k"]), 3),
  atMost("a 64 MiB document: wasm memory after a streamed GET <= its bound (64 MiB)", results.big.this.wasm_bytes_after_get, results.big.wasm_bound_bytes, results.big.wasm_bound_bytes, {
    works: results.big.this.get_streamed && results.big.this.get_bytes > 64 << 20,
  }),
  atMost("GET of a 3.9 MB document, ours / JS <= 1.0", results.big.small_get_ratio_vs_js, 1.0),
  atLeast("warm PATCH req/s at 64 KB, ours / Agents SDK >= 2.0", round(s.this.patch["64k"].rps / s.agents.patch["64k"].rps), 2.0),
  atMost("fan-out 64 KB x 64: bytes per change per subscriber, ours / Agents SDK <= 0.01", round(f64.this[64].bytes_per_change / f64.agents[64].bytes_per_change, 5), 0.01),
  atLeast("fan-out 64 KB x 64: changes/s, ours / Agents SDK >= 1.0", round(f64.this[64].changes_per_s / f64.agents[64].changes_per_s), 1.0),
  atMost("selective sync, 64 subscribers on 64 subtrees of 4 MiB: bytes per change per subscriber, paths / whole <= 0.05", results.selective.this.bytes_ratio, 0.05),
  atLeast("selective sync: changes/s, paths / whole >= 1.0", round(results.selective.this.paths.changes_per_s / results.selective.this.whole.changes_per_s), 1.0),
  atMost("linear memory after 100k <= 2x after 1k", results.memory.this.wasm_growth, 2),
];
results.duration_s = round((Date.now() - started) / 1000, 0);
results.engine_runs = ENGINE_RUNS;

// --- output --------------------------------------------------------------------------------------
mkdirSync(out, { recursive: true });
writeFileSync(path.join(out, "latest.json"), JSON.stringify(results, null, 2) + "\n");
const md = renderMarkdown(results);
writeFileSync(path.join(out, "latest.md"), md);
writeFileSync(path.join(out, "chart.svg"), renderChart(results));
console.log("\n" + md);
log(`wrote bench/results/latest.{json,md} and chart.svg in ${results.duration_s} s`);

function renderMarkdown(r) {
  const COLS = ["this", "js", "agents", "go", "floor"];
  const ALL = ["this", "js", "agents", "go"];
  const LV = ["this", "js", "agents"];
  const kb = (b) => (b / 1024).toFixed(1);
  const mib = (b) => (b / 2 ** 20).toFixed(0);
  const na = "–";
  // A row over every column; a variant the row does not measure shows –.
  const row = (label, names, cell) => `| ${label} | ${COLS.map((n) => (names.includes(n) ? cell(n) : na)).join(" | ")} |`;
  const cs = r.cold_start;
  const ms = (x) => `${x.median} (${x.p25}–${x.p75})`;
  const table = [
    "| | this (C) | plain JS | Agents SDK | Go (js/wasm) | floor (JS + smallest wasm) |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    row("core upload, gzip -9 (KiB)", COLS, (n) => kb(r.size[n].gzip_bytes)),
    row("core upload, raw (KiB)", COLS, (n) => kb(r.size[n].raw_bytes)),
    row("wasm in it, gzip -9 (KiB)", COLS, (n) => (r.size[n].wasm_gzip_bytes ? kb(r.size[n].wasm_gzip_bytes) : na)),
    row("cold start: workerd spawn to first 200 PATCH, median (p25–p75) ms", COLS, (n) => ms(cs.end_to_end_ms[n])),
    row("cold start: first PATCH alone after the socket listens, median (p25–p75) ms", COLS, (n) => ms(cs.first_request_ms[n])),
    ...(cs.first_request_after_startup_ms
      ? [row(`cold start: first PATCH after startup (sent ${AFTER_STARTUP_MS / 1000} s after the socket listens), median (p25–p75) ms`, Object.keys(cs.first_request_after_startup_ms), (n) => ms(cs.first_request_after_startup_ms[n]))]
      : []),
    row("in-engine: core path, compile + instantiate + init + first request (ms)", ALL, (n) => (r.cold_start.isolate_ms[n]?.total ?? na)),
    row("in-engine: whole upload (bundle, glue, config, object) + first request (ms)", LV, (n) => cs.isolate_full_ms[n].total),
    row("wrangler check startup: active CPU ms (samples)", COLS, (n) => `${cs.wrangler_check_startup[n].active_ms} (${cs.wrangler_check_startup[n].samples})`),
    ...["health", "get_state", "patch_state"].map((k) => row(`warm ${k}, small state: req/s (p50 / p99 ms)`, ALL, (n) => `${Math.round(r.warm[n][k].rps)} (${r.warm[n][k].p50_ms} / ${r.warm[n][k].p99_ms})`)),
    row("process RSS after 1k / 100k requests, in-engine (MiB)", ALL, (n) => `${mib(r.memory[n].after_1k.rss_bytes)} / ${mib(r.memory[n].after_100k.rss_bytes)}`),
    row("wasm memory after 1k / 100k requests (KiB)", ALL, (n) => (r.memory[n].after_1k.wasm_bytes ? `${kb(r.memory[n].after_1k.wasm_bytes)} / ${kb(r.memory[n].after_100k.wasm_bytes)}` : na)),
    row("with 24 MiB of documents written and read: wasm / RSS (MiB)", LV, (n) => `${r.memory[n].cache_full.wasm_bytes ? mib(r.memory[n].cache_full.wasm_bytes) : na} / ${mib(r.memory[n].cache_full.rss_bytes)}`),
    row("workerd RSS per socket, 250 sockets on one document (KiB)", LV, (n) => r.live[n].rss_kib_per_socket),
  ];
  const sweep = [
    "| state | route | this: req/s | JS: req/s | Agents: req/s | this: owner µs | JS: owner µs | Agents: owner µs |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...Object.keys(SIZES).flatMap((size) =>
      ["get", "patch"].map((m) => `| ${size} | ${m.toUpperCase()} | ${LV.map((n) => Math.round(r.sweep[n][m][size].rps)).join(" | ")} | ${LV.map((n) => r.sweep[n][m][size].owner_us).join(" | ")} |`),
    ),
  ];
  const fan = [
    "| subscribers | variant | changes/s to all | p50 ms | p99 ms | bytes per change per subscriber, wire | payload |",
    "| ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ...[16, 64].flatMap((k) => LV.map((n) => `| ${k} | ${n} | ${r.fanout[n][k].changes_per_s} | ${r.fanout[n][k].p50_ms} | ${r.fanout[n][k].p99_ms} | ${r.fanout[n][k].bytes_per_change} | ${r.fanout[n][k].payload_bytes_per_change} |`)),
  ];
  const wakeRows = [
    "| variant | woken: frame to broadcast, median (p25–p75) ms | object in memory, median (p25–p75) ms |",
    "| --- | ---: | ---: |",
    ...LV.map((n) => `| ${n} | ${ms(r.wake[n].woken_ms)} | ${ms(r.wake[n].hot_ms)} |`),
  ];
  const verdict = (t) => (t.pass ? "PASS" : t.minimum === undefined ? "MISS" : t.minimum_pass ? `MISS (minimum ${t.minimum} met)` : `MISS (minimum ${t.minimum} not met)`);
  const targets = r.targets.map((t) => `| ${t.name} | ${t.value}${t.spread ? ` (p25–p75 ${t.spread.p25}–${t.spread.p75})` : ""} | ${verdict(t)} |`);
  const cf = cs.wasm_functions_compiled;
  return [
    `Measured ${r.generated_at} on ${r.machine.cpu} (${r.machine.cores} cores), ${r.tools.workerd}, Node ${r.tools.node}, agents ${r.tools.agents}; ${cs.end_to_end_ms.this.runs} workerd and ${r.engine_runs} in-engine cold runs per variant, alternating; ${r.duration_s} s in all.`,
    "",
    ...table,
    "",
    `Cold start over the floor (plain JS plus the smallest wasm module): spawn to first 200 ${cs.ratio_vs_floor} (paired, p25–p75 ${cs.ratio_vs_floor_spread.p25}–${cs.ratio_vs_floor_spread.p75}), first request after listen ${cs.first_request_ratio_vs_floor} (${cs.first_request_ratio_vs_floor_spread.p25}–${cs.first_request_ratio_vs_floor_spread.p75})${cs.first_request_after_startup_ms ? `, the first request after startup ${cs.first_request_after_startup_ratio_vs_floor} (${cs.first_request_after_startup_ratio_vs_floor_spread.p25}–${cs.first_request_after_startup_ratio_vs_floor_spread.p75}; over plain JS ${cs.first_request_after_startup_ratio_vs_js})` : ""}; the floor over plain JS: ${cs.floor_ratio_vs_js} and ${cs.floor_first_request_ratio_vs_js}. Instantiate + init of our module in-engine: ${r.cold_start.isolate_ms.this.instantiate ?? na} + ${r.cold_start.isolate_ms.this.init ?? na} ms.`,
    "",
    `Cold start ratios, ours over plain JS: spawn to first 200 ${cs.ratio_vs_js} (paired, p25–p75 ${cs.ratio_vs_js_spread.p25}–${cs.ratio_vs_js_spread.p75}), first request after listen ${cs.first_request_ratio_vs_js} (${cs.first_request_ratio_vs_js_spread.p25}–${cs.first_request_ratio_vs_js_spread.p75}); over the Agents SDK: ${cs.ratio_vs_agents} (${cs.ratio_vs_agents_spread.p25}–${cs.ratio_vs_agents_spread.p75}) and ${cs.first_request_ratio_vs_agents}; over Go: ${cs.ratio_vs_go}. In-engine: core over Go ${cs.isolate_ratio_vs_go}; whole upload over JS ${cs.isolate_ratio_vs_js}, over the Agents SDK ${cs.isolate_ratio_vs_agents}. The plugins worker's first use (its bundle and modules, then a PATCH its schema plugin checks): ${cs.plugins_first_use_ms.total} ms.`,
    "",
    `Wasm functions V8 compiled in workerd: ${cf.health.before} at script load, then ${cf.health.during} for the first GET /health; ${cf.patch.before} at load, then ${cf.patch.during} for the first PATCH${cf.patch.during_bytes ? ` (${cf.patch.during_bytes} bytes of function bodies, compiled in ${cf.patch.during_us} µs by V8's count)` : ""}.`,
    "",
    `Upload sizes: ours ${kb(r.size.this.gzip_bytes)} KiB gzip against the Agents SDK's ${kb(r.size.agents.gzip_bytes)} KiB (${r.size.ratio_vs_agents}); the plugins worker ${kb(r.size.this.plugins_worker_gzip_bytes)} KiB plus plugins (${r.size.this.plugins.map((p) => `${p.file} ${kb(p.gzip_bytes)} KiB`).join(", ")}), loaded on first use; client/sync.js ${kb(r.size.this.client_gzip_bytes)} KiB.`,
    "",
    "State-size sweep: a ~100-byte patch with Prefer: return=minimal; req/s with wrk -t2 -c16; owner µs in-engine through edge and owner with SQLite (bench/engine/owner.mjs).",
    "",
    ...sweep,
    "",
    "Live fan-out: one writer (up to 4 changes in flight) and N subscribers on a 64 KB state; each change a ~100-byte patch.",
    "",
    ...fan,
    "",
    `Selective sync (bench/live/selective.mjs): 64 subscribers on one 4 MiB document of 64 subtrees; a change to one subtree at a time (HTTP PATCH, 4 in flight). Whole-document hellos: ${r.selective.this.whole.bytes_per_change} bytes per change per subscriber, ${r.selective.this.whole.changes_per_s} changes/s to all; hellos with one path each: ${r.selective.this.paths.bytes_per_change} bytes, ${r.selective.this.paths.changes_per_s} changes/s (${r.selective.this.bytes_ratio} of the bytes).`,
    "",
    `Wake from hibernation (after ${r.wake.this.idle_ms / 1000} s idle, workerd evicts the object and keeps its sockets): ours over JS ${r.wake.ratio_vs_js}, over the Agents SDK ${r.wake.ratio_vs_agents}.`,
    "",
    ...wakeRows,
    "",
    "Nested writes: a one-leaf PATCH below the top level (return=minimal), the bulk of the state under one member; owner µs in-engine (bench/engine/deep.mjs). The plain-JS baseline keeps a top-level member in one row, so it rewrites the member, and stops at 4 MiB.",
    "",
    "| state | this: owner µs | JS: owner µs |",
    "| --- | ---: | ---: |",
    ...["1k", "1m", "64m"].map((k) => `| ${k} | ${r.deep.this.patch_us[k] ?? na} | ${r.deep.js.patch_us[k] ?? "cannot hold it"} |`),
    "",
    `A 64 MiB document in workerd (bench/live/big.mjs): built by writes of ~820 KB in ${r.big.this.build_s} s; a streamed GET of ${mib(r.big.this.get_bytes)} MiB in ${r.big.this.get_ms} ms, first byte after ${r.big.this.ttfb_ms} ms; wasm memory ${mib(r.big.this.wasm_bytes_after_build)} MiB after the build and ${mib(r.big.this.wasm_bytes_after_get)} MiB after the GET (bound ${mib(r.big.wasm_bound_bytes)} MiB); workerd RSS ${mib(r.big.this.rss_bytes_after_build)} and ${mib(r.big.this.rss_bytes_after_get)} MiB. GET of a ${(r.big.small_bytes / 1e6).toFixed(1)} MB document: ours ${r.big.this.small_get_ms} ms, plain JS ${r.big.js.small_get_ms} ms. Converting a 4 MiB members-as-rows object on its first request, in-engine: ${r.deep.this.convert_4m.ms} ms, wasm memory +${mib(r.deep.this.convert_4m.wasm_growth_bytes)} MiB.`,
    "",
    `Bridge cost per call, in-engine: empty export ${r.warm.bridge_us.empty_call_us} µs; GET /health through the C edge with marshalling ${r.warm.bridge_us.health_round_trip_us} µs, against the plain-JS handler ${r.warm.bridge_us.js_health_us} µs.`,
    "",
    "| target | measured | |",
    "| --- | --- | --- |",
    ...targets,
    "",
  ].join("\n");
}
