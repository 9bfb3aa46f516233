// V8's CPU profile of a variant inside workerd, through its inspector, per
// request: what perf cannot tell apart (which glue function, which
// platform call) on a cold first request or under load.
//   node bench/inspect.mjs variant warm [seconds]   wrk's PATCHes (1 KB state;
//                                                   M=GET for GETs)
//   node bench/inspect.mjs variant cold [runs]      the first PATCH of fresh
//                                                   processes, profiles merged
// variant: this, js, floor, agents, or dir:<upload> (served with the
// product's vars). Prints self and inclusive µs per request by function,
// the bundle's functions named through its source map (worker/<file>:<line>).
// Environment: TOP (rows, 40), TREE=<label> (the call tree under that label;
// DEPTH, MIN µs), FLAGS (compatibility flags, comma-separated).
// The profiler slows what it samples (a warm PATCH costs about 1.4 times its
// CPU under it), and native work is charged to the JS frame that called it
// (an RPC's serialization to the caller), so compare variants under it, not
// its figures with make bench's.
import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import path from "node:path";
import { compile, config, freePort, stop, WORKERD } from "../scripts/workerd.mjs";
import { seed } from "./live/fanout.mjs";
import { listening } from "./lib/serve.mjs";
import { root, uploadOf } from "./lib/variants.mjs";
import { script } from "./lib/wrk.mjs";

const [name, mode, count] = process.argv.slice(2);
if (!name || !["warm", "cold"].includes(mode)) throw new Error("usage: node bench/inspect.mjs this|js|floor|agents|dir:<upload> warm [seconds] | cold [runs]");
let u = uploadOf(name);
u = { ...u, serve: { ...u.serve, plugins: null, ...(process.env.FLAGS ? { flags: process.env.FLAGS.split(",") } : {}) } };

// One workerd with its inspector; fn(base, send) runs between Profiler.start
// and Profiler.stop and returns the requests it made.
async function profiled(tag, fn) {
  const port = await freePort();
  const iport = await freePort();
  const cfg = compile(config(u.outdir, path.join(root, "build/bench/run", tag), port, u.serve));
  const p = spawn(WORKERD, ["serve", "--binary", cfg, "--experimental", `--inspector-addr=127.0.0.1:${iport}`], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  p.stderr.on("data", (d) => (err += d));
  const proc = { p, stderr: () => err };
  try {
    await listening(port, proc);
    const base = `http://127.0.0.1:${port}`;
    let targets = [];
    for (let i = 0; i < 100 && !targets.length; i++) {
      try {
        targets = await (await fetch(`http://127.0.0.1:${iport}/json/list`)).json();
      } catch {}
      if (!targets.length) await new Promise((r) => setTimeout(r, 50));
    }
    const ws = new WebSocket((targets.find((t) => t.title?.includes("main")) ?? targets[0]).webSocketDebuggerUrl);
    await new Promise((r, j) => ((ws.onopen = r), (ws.onerror = j)));
    let id = 0;
    const pending = new Map();
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      pending.get(m.id)?.(m);
      pending.delete(m.id);
    };
    const send = (method, params = {}) => new Promise((r) => (pending.set(++id, r), ws.send(JSON.stringify({ id, method, params }))));
    await send("Profiler.enable");
    await send("Profiler.setSamplingInterval", { interval: 50 });
    if (mode === "warm") await seed(base, "w1k", 1024);
    await send("Profiler.start");
    const requests = await fn(base);
    const { result } = await send("Profiler.stop");
    ws.close();
    return { profile: result.profile, requests };
  } finally {
    await stop(proc);
  }
}

const runs = [];
if (mode === "warm") {
  runs.push(
    await profiled("inspect-warm", async (base) => {
      const args = ["-t2", "-c16", `-d${Number(count ?? 5)}s`, `${base}/state/w1k`];
      if (process.env.M !== "GET") args.unshift("-s", script);
      const out = execFileSync("wrk", args).toString();
      return Number(/(\d+) requests in/.exec(out)[1]);
    }),
  );
} else {
  for (let i = 0; i < Number(count ?? 10); i++)
    runs.push(
      await profiled("inspect-cold", async (base) => {
        const r = await fetch(`${base}/state/x`, { method: "PATCH", headers: { "content-type": "application/json" }, body: '{"a":1}' });
        await r.text();
        if (r.status !== 200) throw new Error(`the first PATCH answered ${r.status}`);
        return 1;
      }),
    );
}

// The bundle's source map, for its minified functions.
let map = null;
try {
  map = new SourceMap(JSON.parse(readFileSync(path.join(u.outdir, "index.js.map"), "utf8")));
} catch {}
const label = (cf) => {
  if (cf.url?.startsWith("wasm://")) return `wasm ${cf.functionName}`;
  if (map && cf.url?.endsWith("index.js")) {
    const e = map.findEntry(cf.lineNumber, cf.columnNumber);
    if (e?.originalSource) return `${e.originalSource.replace(/.*\/(worker|src|bench)\//, "$1/")}:${e.originalLine + 1} ${cf.functionName}`;
  }
  return `${cf.functionName || "(anonymous)"}${cf.url ? ` ${cf.url.split("/").pop()}:${cf.lineNumber + 1}` : ""}`;
};

// Self and inclusive time per label over every run (a recursive label
// counts once per sample).
const self = new Map();
const incl = new Map();
const nodes = new Map();
const parent = new Map();
let requests = 0;
for (const [k, { profile, requests: n }] of runs.entries()) {
  requests += n;
  for (const x of profile.nodes) {
    nodes.set(`${k}:${x.id}`, x);
    for (const c of x.children ?? []) parent.set(`${k}:${c}`, `${k}:${x.id}`);
  }
  profile.samples.forEach((sid, i) => {
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const key = `${k}:${sid}`;
    const l = label(nodes.get(key).callFrame);
    self.set(l, (self.get(l) ?? 0) + dt);
    const seen = new Set();
    for (let x = key; x !== undefined; x = parent.get(x)) {
      const lx = label(nodes.get(x).callFrame);
      if (!seen.has(lx)) seen.add(lx), incl.set(lx, (incl.get(lx) ?? 0) + dt);
    }
  });
}
const TOP = Number(process.env.TOP ?? 40);
const total = incl.get("(root)") ?? 0;
console.log(`${name} ${mode}: ${runs.length} profile(s), ${requests} request(s), ${(total / requests).toFixed(1)} µs per request (idle ${((self.get("(idle)") ?? 0) / requests).toFixed(1)})`);
for (const [title, m] of [["self", self], ["inclusive", incl]]) {
  console.log(`-- ${title} µs per request`);
  for (const [l, t] of [...m].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`${(t / requests).toFixed(2).padStart(10)}  ${l}`);
}

if (process.env.TREE) {
  const depth = Number(process.env.DEPTH ?? 6);
  const min = Number(process.env.MIN ?? 50) * requests;
  const selfOf = new Map();
  for (const [k, { profile }] of runs.entries()) profile.samples.forEach((sid, i) => selfOf.set(`${k}:${sid}`, (selfOf.get(`${k}:${sid}`) ?? 0) + (profile.timeDeltas[i + 1] ?? 0)));
  const sum = new Map();
  const tot = (key) => {
    if (!sum.has(key)) sum.set(key, (selfOf.get(key) ?? 0) + (nodes.get(key).children ?? []).reduce((s, c) => s + tot(`${key.split(":")[0]}:${c}`), 0));
    return sum.get(key);
  };
  const under = (key) => {
    for (let x = parent.get(key); x !== undefined; x = parent.get(x)) if (label(nodes.get(x).callFrame) === process.env.TREE) return true;
    return false;
  };
  const roots = [...nodes.keys()].filter((key) => label(nodes.get(key).callFrame) === process.env.TREE && !under(key));
  const walk = (keys, d) => {
    const groups = new Map();
    for (const key of keys) {
      const l = label(nodes.get(key).callFrame);
      const g = groups.get(l) ?? { t: 0, s: 0, kids: [] };
      g.t += tot(key);
      g.s += selfOf.get(key) ?? 0;
      g.kids.push(...(nodes.get(key).children ?? []).map((c) => `${key.split(":")[0]}:${c}`));
      groups.set(l, g);
    }
    for (const [l, g] of [...groups].sort((a, b) => b[1].t - a[1].t)) {
      if (g.t < min) continue;
      console.log(`${"  ".repeat(d)}${(g.t / requests).toFixed(0)} (self ${(g.s / requests).toFixed(0)}) ${l}`);
      if (d < depth) walk(g.kids, d + 1);
    }
  };
  console.log(`-- tree under ${process.env.TREE}, µs per request`);
  walk(roots, 0);
}
