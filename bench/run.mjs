// make bench: every variant measured in the same run, alternating, against
// 127.0.0.1 only, with bounded loops. Writes bench/results/latest.json,
// latest.md and chart.svg. Budget: under 10 minutes on 2 cores.
//
// Variants: this (C module + thin glue), js (plain JS), go (Go js/wasm).
// Knobs (environment): COLD_RUNS (>= 15), ENGINE_RUNS (>= 30), WARM_SECONDS.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { checkStartup } from "../scripts/startup.mjs";
import { renderChart } from "./lib/chart.mjs";
import { root, upload, VARIANTS } from "./lib/variants.mjs";
import { config, freePort, serve, stop, WORKERD } from "../scripts/workerd.mjs";
import { wake } from "./engine/wake.mjs";

const NAMES = Object.keys(VARIANTS);
if (process.argv.includes("--render")) {
  // Re-render latest.md and chart.svg from latest.json without measuring.
  const dir = path.join(root, "bench/results");
  const r = JSON.parse(readFileSync(path.join(dir, "latest.json"), "utf8"));
  writeFileSync(path.join(dir, "latest.md"), renderMarkdown(r));
  writeFileSync(path.join(dir, "chart.svg"), renderChart(r));
  console.log(renderMarkdown(r));
  process.exit(0);
}
const COLD_RUNS = Math.max(15, Number(process.env.COLD_RUNS ?? 15));
const ENGINE_RUNS = Math.max(30, Number(process.env.ENGINE_RUNS ?? 30));
const WARM_SECONDS = Number(process.env.WARM_SECONDS ?? 4);
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
const rotate = (i) => NAMES.map((_, k) => NAMES[(i + k) % NAMES.length]);

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
  go: version("go", ["version"]),
  clang: version(execFileSync("sh", [path.join(root, "scripts/toolchain.sh"), "cc"], { encoding: "utf8" }).trim(), ["--version"]),
  wasm_opt: version("wasm-opt", ["--version"]),
  wrk: version("wrk", ["-v"]) ?? "wrk",
  tinygo: "not installable here: no Debian or npm package",
};

// --- 1. size --------------------------------------------------------------------
log("size: wrangler deploy --dry-run per variant");
const uploads = {};
for (const n of NAMES) uploads[n] = upload(n);
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

// --- 2a. cold start end to end: spawn workerd, time to the first 200 --------------
async function firstPatch(name, i) {
  const port = await freePort();
  const cfg = config(uploads[name].outdir, path.join(root, "build/bench/run", `${name}-${i}`), port, undefined, uploads[name].pluginsOutdir);
  const t0 = performance.now();
  const proc = serve(cfg);
  try {
    for (;;) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/state/x`, {
          method: "PATCH",
          headers: { "content-type": "application/json" },
          body: '{"a":1}',
        });
        if (r.status === 200) return performance.now() - t0;
        throw new Error(`${name}: first PATCH answered ${r.status}: ${await r.text()}`);
      } catch (e) {
        if (e.message.includes("answered")) throw e;
        if (performance.now() - t0 > 20000) throw new Error(`${name}: no answer in 20 s: ${proc.stderr()}`);
        await new Promise((r) => setTimeout(r, 1));
      }
    }
  } finally {
    await stop(proc);
  }
}
log(`cold start (end to end): ${COLD_RUNS} alternating runs per variant`);
const cold = Object.fromEntries(NAMES.map((n) => [n, []]));
for (let i = 0; i < COLD_RUNS; i++) for (const n of rotate(i)) cold[n].push(await firstPatch(n, i));
const pairRatios = cold.this.map((t, i) => t / cold.js[i]);

// --- 2b. cold start in-engine: fresh V8 process each, engine warmed first -------
log(`cold start (in-engine): ${ENGINE_RUNS} alternating fresh processes per variant`);
const engine = Object.fromEntries(NAMES.map((n) => [n, []]));
for (let i = 0; i < ENGINE_RUNS; i++)
  for (const n of rotate(i))
    engine[n].push(JSON.parse(execFileSync(process.execPath, [path.join(root, "bench/engine", `${n}.mjs`)], { encoding: "utf8" })));
const engineMedian = (n) => Object.fromEntries(Object.keys(engine[n][0]).map((k) => [k, round(median(engine[n].map((e) => e[k])))]));

// --- 2c. wrangler check startup ----------------------------------------------------
log("cold start (wrangler check startup): 3 alternating runs per variant");
const startup = Object.fromEntries(NAMES.map((n) => [n, []]));
for (let i = 0; i < 3; i++)
  for (const n of rotate(i)) {
    const r = checkStartup(VARIANTS[n].config, path.join(root, "build/bench", `startup-${n}.cpuprofile`));
    if (!r.ok) throw new Error(`wrangler check startup failed for ${n}:\n${r.text}`);
    startup[n].push(r);
  }

results.cold_start = {
  end_to_end_ms: Object.fromEntries(NAMES.map((n) => [n, { median: round(median(cold[n]), 1), p25: round(quantile(cold[n], 0.25), 1), p75: round(quantile(cold[n], 0.75), 1), runs: cold[n].map((x) => round(x, 1)) }])),
  ratio_vs_js: round(median(pairRatios)),
  ratio_vs_js_spread: { p25: round(quantile(pairRatios, 0.25)), p75: round(quantile(pairRatios, 0.75)), min: round(Math.min(...pairRatios)), max: round(Math.max(...pairRatios)) },
  ratio_vs_go: round(median(cold.this) / median(cold.go)),
  isolate_ms: Object.fromEntries(NAMES.map((n) => [n, engineMedian(n)])),
  wrangler_check_startup: Object.fromEntries(
    NAMES.map((n) => [n, { active_ms: round(median(startup[n].map((r) => r.active_ms)), 1), window_ms: round(median(startup[n].map((r) => r.window_ms)), 1), samples: median(startup[n].map((r) => r.samples)) }]),
  ),
};
results.cold_start.isolate_ratio_vs_go = round(results.cold_start.isolate_ms.this.total / results.cold_start.isolate_ms.go.total, 4);
results.cold_start.isolate_ratio_vs_js = round(results.cold_start.isolate_ms.this.total / results.cold_start.isolate_ms.js.total);

// --- 3. warm: wrk at fixed concurrency -----------------------------------------------
const ROUTES = {
  health: { method: "GET", path: "/health" },
  get_state: { method: "GET", path: "/state/x" },
  patch_state: { method: "PATCH", path: "/state/x" },
};
const wrkPatch = path.join(root, "build/bench/patch.lua");
writeFileSync(
  wrkPatch,
  'wrk.method = "PATCH"\nwrk.headers["Content-Type"] = "application/json"\nlocal n = 0\nrequest = function()\n  n = n + 1\n  return wrk.format(nil, nil, nil, \'{"k\' .. (n % 64) .. \'":\' .. n .. \'}\')\nend\n',
);
function wrk(url, route) {
  const args = ["-t2", "-c16", `-d${WARM_SECONDS}s`, "--latency", "--timeout", "5s"];
  if (route.method === "PATCH") args.push("-s", wrkPatch);
  const out = execFileSync("wrk", [...args, url], { encoding: "utf8" });
  const ms = (s) => {
    const m = s.match(/([\d.]+)(us|ms|s)/);
    return m ? Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2]] : null;
  };
  const errors = out.match(/Non-2xx or 3xx responses: (\d+)/);
  return {
    rps: Number(out.match(/Requests\/sec:\s+([\d.]+)/)[1]),
    p50_ms: ms(out.match(/ 50%\s+(\S+)/)[1]),
    p99_ms: ms(out.match(/ 99%\s+(\S+)/)[1]),
    non_2xx: errors ? Number(errors[1]) : 0,
  };
}
async function serving(name, fn) {
  const port = await freePort();
  const proc = serve(config(uploads[name].outdir, path.join(root, "build/bench/run", `${name}-serve`), port, undefined, uploads[name].pluginsOutdir));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      await fetch(`${base}/health`);
      break;
    } catch {
      if (i > 10000) throw new Error(`${name} did not start: ${proc.stderr()}`);
      await new Promise((r) => setTimeout(r, 2));
    }
  }
  try {
    return await fn(base, proc);
  } finally {
    await stop(proc);
  }
}
log(`warm: wrk -t2 -c16 -d${WARM_SECONDS}s per route per variant`);
const warm = Object.fromEntries(NAMES.map((n) => [n, {}]));
for (const [ri, [rname, route]] of Object.entries(ROUTES).entries())
  for (const n of rotate(ri))
    warm[n][rname] = await serving(n, async (base) => {
      await fetch(`${base}/state/x`, { method: "PATCH", headers: { "content-type": "application/json" }, body: "{}" });
      return wrk(`${base}${route.path}`, route);
    });
results.warm = warm;
results.warm.patch_rps_ratio_vs_js = round(warm.this.patch_state.rps / warm.js.patch_state.rps);
results.warm.get_rps_ratio_vs_js = round(warm.this.get_state.rps / warm.js.get_state.rps);
results.warm.health_rps_ratio_vs_js = round(warm.this.health.rps / warm.js.health.rps);
results.warm.bridge_us = JSON.parse(execFileSync(process.execPath, [path.join(root, "bench/bridge.mjs")], { encoding: "utf8" }));

// --- 4. memory after 1k and 100k requests ------------------------------------------------
// In-engine, one fresh process per variant: 100k requests through workerd
// would take minutes per variant here (state writes run at a few hundred per
// second on this machine), which the 10-minute budget cannot hold.
log("memory: 1k then 100k mixed requests per variant, in-engine");
results.memory = {};
for (const n of NAMES) {
  const m = JSON.parse(execFileSync(process.execPath, [path.join(root, "bench/engine/memory.mjs"), n], { encoding: "utf8", maxBuffer: 1 << 24 }));
  m.wasm_growth = m.after_1k.wasm_bytes ? round(m.after_100k.wasm_bytes / m.after_1k.wasm_bytes) : null;
  m.rss_growth = round(m.after_100k.rss_bytes / m.after_1k.rss_bytes);
  results.memory[n] = m;
}

// --- 4b. owner cost by state size, in-engine (edge + owner + SQLite) ------------------------
log("sweep: owner µs for GET and PATCH on 1 KB, 64 KB and 1 MB states, in-engine");
{
  const o = JSON.parse(execFileSync(process.execPath, ["--no-warnings", path.join(root, "bench/engine/owner.mjs")], { encoding: "utf8" }));
  results.sweep = { this: { get: {}, patch: {}, patch_full: {} } };
  for (const [size, v] of Object.entries(o)) {
    results.sweep.this.get[size] = { owner_us: v.get_us };
    results.sweep.this.patch[size] = { owner_us: v.patch_us };
    results.sweep.this.patch_full[size] = { owner_us: v.patch_full_us };
  }
}

// --- 4c. live sync: wake from hibernation ----------------------------------------------------
// The plain-JS and Go baselines have no live sync: only ours is measured.
log("wake: a frame to a hibernated document until its broadcast (workerd evicts after idling)");
{
  const w = await wake(uploads.this, { rounds: Number(process.env.WAKE_ROUNDS ?? 5), idleMs: 12000 });
  const stat = (xs) => ({ median: round(median(xs)), p25: round(quantile(xs, 0.25)), p75: round(quantile(xs, 0.75)), runs: xs.length });
  results.wake = { this: { hot_ms: stat(w.hot_ms), woken_ms: stat(w.woken_ms), idle_ms: w.idle_ms } };
}

// --- 5. JSON: Jansson in wasm (with the bridge) vs V8 -------------------------------------
log("json: parse and serialize throughput");
results.json = JSON.parse(execFileSync(process.execPath, [path.join(root, "bench/json/run.mjs")], { encoding: "utf8" }));

// --- targets -------------------------------------------------------------------------------------
const c = results.cold_start;
results.targets = [
  { name: "core upload <= 32 KiB gzip", value: results.size.this.gzip_bytes, limit: 32768, pass: results.size.this.gzip_bytes <= 32768 },
  { name: "end-to-end cold start, ours / JS <= 1.03", value: c.ratio_vs_js, spread: c.ratio_vs_js_spread, limit: 1.03, pass: c.ratio_vs_js <= 1.03 },
  { name: "in-engine cold path, ours / Go <= 0.05", value: c.isolate_ratio_vs_go, limit: 0.05, pass: c.isolate_ratio_vs_go <= 0.05 },
  { name: "warm PATCH req/s, ours / JS >= 1.0", value: results.warm.patch_rps_ratio_vs_js, limit: 1.0, pass: results.warm.patch_rps_ratio_vs_js >= 1.0 },
  { name: "linear memory after 100k <= 2x after 1k", value: results.memory.this.wasm_growth, limit: 2, pass: results.memory.this.wasm_growth <= 2 },
  {
    name: "PATCH owner µs at 1 MB <= 2x at 1 KB",
    value: round(results.sweep.this.patch["1m"].owner_us / results.sweep.this.patch["1k"].owner_us),
    limit: 2,
    pass: results.sweep.this.patch["1m"].owner_us <= 2 * results.sweep.this.patch["1k"].owner_us,
  },
];
results.duration_s = round((Date.now() - started) / 1000, 0);
results.engine_runs = ENGINE_RUNS;

// --- output -------------------------------------------------------------------------------------
const out = path.join(root, "bench/results");
mkdirSync(out, { recursive: true });
writeFileSync(path.join(out, "latest.json"), JSON.stringify(results, null, 2) + "\n");
const md = renderMarkdown(results);
writeFileSync(path.join(out, "latest.md"), md);
writeFileSync(path.join(out, "chart.svg"), renderChart(results));
console.log("\n" + md);
log(`wrote bench/results/latest.{json,md} and chart.svg in ${results.duration_s} s`);

function renderMarkdown(r) {
  const COLD_RUNS = r.cold_start.end_to_end_ms.this.runs.length;
  const ENGINE_RUNS = r.engine_runs ?? 30;
  const kb = (b) => (b / 1024).toFixed(1);
  const rows = [
    "| | this (C) | plain JS | Go (js/wasm) |",
    "| --- | ---: | ---: | ---: |",
    `| core upload (JS + host wasm), gzip -9 (KiB) | ${NAMES.map((n) => kb(r.size[n].gzip_bytes)).join(" | ")} |`,
    `| core upload, raw (KiB) | ${NAMES.map((n) => kb(r.size[n].raw_bytes)).join(" | ")} |`,
    `| wasm alone, gzip -9 (KiB) | ${NAMES.map((n) => (r.size[n].wasm_gzip_bytes ? kb(r.size[n].wasm_gzip_bytes) : "–")).join(" | ")} |`,
    `| plugin modules, loaded when used, gzip -9 (KiB) | ${NAMES.map((n) => (r.size[n].plugin_gzip_bytes ? kb(r.size[n].plugin_gzip_bytes) : "–")).join(" | ")} |`,
    `| cold start, workerd spawn to first 200 PATCH, median (ms) | ${NAMES.map((n) => r.cold_start.end_to_end_ms[n].median).join(" | ")} |`,
    `| cold start, in-engine compile+instantiate+init+first request (ms) | ${NAMES.map((n) => r.cold_start.isolate_ms[n].total).join(" | ")} |`,
    `| first request alone, in-engine (ms) | ${NAMES.map((n) => r.cold_start.isolate_ms[n].first_request).join(" | ")} |`,
    `| wrangler check startup: active CPU ms (profile samples) | ${NAMES.map((n) => `${r.cold_start.wrangler_check_startup[n].active_ms} (${r.cold_start.wrangler_check_startup[n].samples})`).join(" | ")} |`,
    ...["health", "get_state", "patch_state"].map((k) => `| warm ${k}: req/s (p50 / p99 ms) | ${NAMES.map((n) => `${Math.round(r.warm[n][k].rps)} (${r.warm[n][k].p50_ms} / ${r.warm[n][k].p99_ms})`).join(" | ")} |`),
    `| wasm memory after 1k / 100k requests (KiB) | ${NAMES.map((n) => (r.memory[n].after_1k.wasm_bytes ? `${kb(r.memory[n].after_1k.wasm_bytes)} / ${kb(r.memory[n].after_100k.wasm_bytes)}` : "–")).join(" | ")} |`,
    `| process RSS after 1k / 100k requests, in-engine (MiB) | ${NAMES.map((n) => `${(r.memory[n].after_1k.rss_bytes / 2 ** 20).toFixed(0)} / ${(r.memory[n].after_100k.rss_bytes / 2 ** 20).toFixed(0)}`).join(" | ")} |`,
    ...(r.wake
      ? [
          `| live: frame to broadcast, object in memory, median (p25–p75) ms | ${r.wake.this.hot_ms.median} (${r.wake.this.hot_ms.p25}–${r.wake.this.hot_ms.p75}) | – | – |`,
          `| live: frame to broadcast, woken from hibernation, median (p25–p75) ms | ${r.wake.this.woken_ms.median} (${r.wake.this.woken_ms.p25}–${r.wake.this.woken_ms.p75}) | – | – |`,
        ]
      : []),
  ];
  const json = [
    "| document | Jansson parse (MB/s) | V8 JSON.parse (MB/s) | ratio | Jansson serialize (MB/s) | V8 JSON.stringify (MB/s) | ratio |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...r.json.map((j) => `| ${j.size} | ${j.jansson_parse_mb_s} | ${j.v8_parse_mb_s} | ${j.parse_ratio} | ${j.jansson_serialize_mb_s} | ${j.v8_stringify_mb_s} | ${j.serialize_ratio} |`),
  ];
  const targets = r.targets.map((t) => `| ${t.name} | ${t.value}${t.spread ? ` (p25–p75 ${t.spread.p25}–${t.spread.p75})` : ""} | ${t.pass ? "PASS" : "MISS"} |`);
  return [
    `Measured ${r.generated_at} on ${r.machine.cpu} (${r.machine.cores} cores), ${r.tools.workerd}, Node ${r.tools.node}; ${COLD_RUNS} end-to-end and ${ENGINE_RUNS} in-engine cold runs per variant, alternating.`,
    "",
    ...rows,
    "",
    `Ratios, ours over JS: end-to-end cold start ${r.cold_start.ratio_vs_js} (paired runs, p25–p75 ${r.cold_start.ratio_vs_js_spread.p25}–${r.cold_start.ratio_vs_js_spread.p75}); in-engine ${r.cold_start.isolate_ratio_vs_js}; warm PATCH req/s ${r.warm.patch_rps_ratio_vs_js}. Ours over Go: end-to-end ${r.cold_start.ratio_vs_go}, in-engine ${r.cold_start.isolate_ratio_vs_go}.`,
    "",
    `Bridge cost per call, in-engine: empty export ${r.warm.bridge_us.empty_call_us} µs; GET /health through the C edge with marshalling ${r.warm.bridge_us.health_round_trip_us} µs, against the plain-JS handler ${r.warm.bridge_us.js_health_us} µs.`,
    "",
    ...json,
    "",
    "| target | measured | |",
    "| --- | --- | --- |",
    ...targets,
    "",
  ].join("\n");
}
