// Memory of one variant in this process: 100k mixed requests (reads, merge
// patches, bad JSON, stale If-Match) on 32 ids, then the owners' cache
// filled: 24 documents of 1 MiB written and read back (more than the
// product's 16 MiB cache budget holds). Wasm linear memory (the product's,
// and Go's) and process RSS after 1k and 100k requests and with the cache
// full. this, js and agents run their whole upload in bench/engine/host.mjs
// (node:sqlite storage); go runs its edge and owner functions with a Map
// for storage. Usage: node --experimental-vm-modules memory.mjs this|js|agents|go
import { readFileSync } from "node:fs";
import path from "node:path";
import { vars, VARIANTS } from "../lib/variants.mjs";

const variant = process.argv[2];
let handle; // (method, target, headers, body) -> Promise<status> | status
let wasmBytes = () => null;

if (variant === "go") {
  const store = new Map();
  await import("../../build/bench/go/wasm_exec.js");
  const go = new globalThis.Go();
  const inst = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(new URL("../../build/bench/go/main.wasm", import.meta.url))), go.importObject);
  go.run(inst);
  handle = (method, target, headers, body) => {
    const env = `${method} ${target}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n${body ?? ""}`;
    const e = globalThis.cwGoEdge(env);
    if (!e.forward) return e.status;
    const r = globalThis.cwGoOwner(env, store.get(e.forward) ?? "", e.requestId);
    if (r.commit) store.set(e.forward, r.commit);
    return r.status;
  };
  wasmBytes = () => inst.exports.mem.buffer.byteLength;
} else {
  // The product's wasm memory: the instance its glue creates.
  const Instance = WebAssembly.Instance;
  const memories = [];
  WebAssembly.Instance = function (module, imports) {
    const i = new Instance(module, imports);
    if (i.exports.memory) memories.push(i.exports.memory);
    return i;
  };
  const { evaluate, readUpload, worker } = await import("./host.mjs");
  const v = VARIANTS[variant];
  const w = worker(await evaluate(readUpload(path.join(import.meta.dirname, "../../build/bench/upload", variant))), { vars: vars(v.config), objects: { [v.object[0]]: v.object[1] } });
  console.log = () => {};
  handle = async (method, target, headers, body) => {
    const r = await w.fetch(new Request(`http://bench${target}`, { method, headers, body }));
    await r.arrayBuffer();
    return r.status;
  };
  wasmBytes = () => (memories.length ? memories.reduce((s, m) => s + m.buffer.byteLength, 0) : null);
}

const H = { "content-type": "application/json" };
function request(i) {
  const target = `/state/m${i % 32}`;
  switch (i % 8) {
    case 0:
    case 1:
      return handle("GET", target, {});
    case 2:
      return handle("PATCH", target, H, '{"bad":');
    case 3:
      return handle("PATCH", target, { ...H, "if-match": '"0"' }, '{"c":1}');
    default:
      return handle("PATCH", target, H, `{"k${i % 50}":"${"v".repeat(i % 64)}","n":${i},"o":{"d":[${i % 7},null]}}`);
  }
}
const snap = () => ({ wasm_bytes: wasmBytes(), rss_bytes: process.memoryUsage().rss });
let after1k;
const statuses = {};
for (let i = 0; i < 100_000; i++) {
  const s = await request(i);
  statuses[s] = (statuses[s] ?? 0) + 1;
  if (i === 999) after1k = snap();
}
const after100k = snap();

let cacheFull = null;
if (variant !== "go") {
  const DOCS = 24;
  for (let d = 0; d < DOCS; d++) {
    for (let at = 0; at < 10486; at += 2000) {
      const p = {};
      for (let i = at; i < Math.min(10486, at + 2000); i++) p[`k${String(i).padStart(6, "0")}`] = `${d}`.padEnd(88, "v");
      const s = await handle("PATCH", `/state/big${d}`, { ...H, prefer: "return=minimal" }, JSON.stringify(p));
      if (s !== 200) throw new Error(`${variant}: writing big${d}: ${s}`);
    }
    if ((await handle("GET", `/state/big${d}`, {})) !== 200) throw new Error(`${variant}: reading big${d}`);
  }
  cacheFull = { ...snap(), documents: DOCS, document_bytes: 1 << 20 };
}
process.stdout.write(JSON.stringify({ after_1k: after1k, after_100k: after100k, cache_full: cacheFull, statuses }) + "\n");
process.exit(0);
