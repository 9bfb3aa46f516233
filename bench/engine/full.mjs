// In-engine cold start of a whole upload, in a fresh V8 (Node) process:
// the bundle's JS compiled and evaluated with its wasm modules compiled as
// linked (what workerd does at script load), then the first and second
// PATCH through the worker's own fetch, glue, config and Durable Object
// (bench/engine/host.mjs: node:sqlite storage, direct calls for RPC). For
// the product, the shipped vars are configured (SYNC_HOOKS included), and
// the plugins worker's cold start is timed too: its bundle evaluated and
// the first request that runs a plugin (a PATCH to a profile.* id, which
// the schema plugin checks). Usage: node --experimental-vm-modules
// full.mjs this|js|agents. Prints one JSON line of ms.
// With PROFILE=<file>, V8's CPU profile of the first request alone (20 µs
// sampling) goes to that file, and its self time by kind (the module's
// wasm, the bundle's JS named through its source map, SQLite, the rest)
// to stderr: where a cold request's time goes, in a process that samples
// it finely (workerd's inspector cannot).
import { readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { SourceMap } from "node:module";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { evaluate, readUpload, worker } from "./host.mjs";
import { vars, VARIANTS } from "../lib/variants.mjs";
import { warmEngine } from "./warm.mjs";

const name = process.argv[2];
const v = VARIANTS[name];
const dir = path.join(import.meta.dirname, "../../build/bench/upload");
const up = readUpload(path.join(dir, name));
const plugins = v.plugins ? readUpload(path.join(dir, `${name}-plugins`)) : null;
const config = { vars: vars(v.config), objects: { [v.object[0]]: v.object[1] } };

// The engine and Node's own first uses (CSPRNG, SQLite, Request), outside
// the clock: workerd has them ready.
crypto.getRandomValues(new Uint8Array(16));
new DatabaseSync(":memory:").exec("CREATE TABLE t (x)");
await new Response(new Request("http://warm/", { method: "PATCH", body: "{}" }).body).text();
warmEngine();
console.log = () => {}; // the variants' log lines: kept out of the figures
const patch = (w, id, n) => w.fetch(new Request(`http://bench/state/${id}`, { method: "PATCH", headers: { "content-type": "application/json" }, body: `{"name":"n${n}"}` }));
const ok = async (r) => {
  const res = await r;
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${name}: ${res.status} ${text}`);
};

const profiler = process.env.PROFILE ? new Session() : null;
if (profiler) {
  profiler.connect();
  await profiler.post("Profiler.enable");
  await profiler.post("Profiler.setSamplingInterval", { interval: 20 });
}

const t = [performance.now()];
const ns = await evaluate(up, name);
t.push(performance.now());
const w = worker(ns, config);
await profiler?.post("Profiler.start");
await ok(patch(w, "x", 1));
t.push(performance.now());
if (profiler) kinds((await profiler.post("Profiler.stop")).profile);
await ok(patch(w, "x", 2));
t.push(performance.now());
const d = (i) => t[i + 1] - t[i];
const out = { evaluate: d(0), first_request: d(1), second_request: d(2), total: t[2] - t[0] };
if (plugins) {
  const p0 = performance.now();
  const pns = await evaluate(plugins, `${name}-plugins`);
  const p1 = performance.now();
  const wp = worker(ns, { ...config, services: { PLUGINS: pns } });
  await ok(patch(wp, "profile.x", 1));
  const p2 = performance.now();
  out.plugins = { evaluate: p1 - p0, first_request: p2 - p1, total: p2 - p0 };
}
process.stdout.write(JSON.stringify(out) + "\n");

// The first request's profile: written to PROFILE, and its self µs by kind
// (and the ten largest of the bundle's functions) to stderr.
function kinds(profile) {
  writeFileSync(process.env.PROFILE, JSON.stringify(profile));
  let map = null; // a variant's bundle may have no source map
  try {
    map = new SourceMap(JSON.parse(readFileSync(path.join(dir, name, "index.js.map"), "utf8")));
  } catch {}
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const kind = new Map();
  const glue = new Map();
  profile.samples.forEach((id, i) => {
    const cf = byId.get(id);
    const dt = profile.timeDeltas[i + 1] ?? 0;
    let k = "engine, host and idle";
    if (cf.url.startsWith("wasm://")) k = "the module (wasm)";
    else if (cf.url === name) {
      k = "the bundle's JS";
      const e = map?.findEntry(cf.lineNumber, cf.columnNumber);
      const l = e?.originalSource ? `${e.originalSource.replace(/.*\/(worker|bench)\//, "$1/")}:${e.originalLine + 1}` : cf.functionName;
      glue.set(l, (glue.get(l) ?? 0) + dt);
    } else if (["exec", "prepare", "all", "run", "get", "iterate", "DatabaseSync"].includes(cf.functionName) && !cf.url) k = "SQLite";
    kind.set(k, (kind.get(k) ?? 0) + dt);
  });
  const rows = (m) => [...m].sort((a, b) => b[1] - a[1]).map(([k, us]) => `  ${us.toFixed(0).padStart(6)} µs  ${k}`);
  process.stderr.write(`first request, self time by kind:\n${rows(kind).join("\n")}\nthe bundle's largest:\n${rows(glue).slice(0, 10).join("\n")}\n`);
}
