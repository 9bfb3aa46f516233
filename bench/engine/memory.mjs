// Memory of one variant in this process over 100k mixed requests (reads,
// merge patches, bad JSON, stale If-Match) on 32 ids, with an in-memory Map
// standing in for Durable Object storage: wasm linear memory and process RSS
// after 1k and after 100k requests. Usage: node memory.mjs this|js|go
import { readFileSync } from "node:fs";

const variant = process.argv[2];
const store = new Map();
let handle; // (envelope) -> status
let wasmBytes = () => null;

if (variant === "this") {
  const { load } = await import("../../tests/host/module.mjs");
  const m = load();
  m.store = store;
  handle = (env) => m.request(env).status;
  wasmBytes = () => m.memoryBytes();
} else if (variant === "js") {
  const { edge, owner, rid } = await import("../baselines/js/logic.js");
  handle = (env) => {
    const [head, body] = env.split("\r\n\r\n");
    const lines = head.split("\r\n");
    const [method, target] = lines[0].split(" ");
    const headers = new Map(lines.slice(1).map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]));
    const requestId = rid();
    const e = edge(method, target, headers, body ?? "", requestId);
    if (!e.forward) return e.status;
    const r = owner(method, e.forward, headers, body ?? "", store.get(e.forward) ?? "", requestId);
    if (r.commit) store.set(e.forward, r.commit);
    return r.status;
  };
} else {
  await import("../../build/bench/go/wasm_exec.js");
  const go = new globalThis.Go();
  const inst = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(new URL("../../build/bench/go/main.wasm", import.meta.url))), go.importObject);
  go.run(inst);
  handle = (env) => {
    const e = globalThis.cwGoEdge(env);
    if (!e.forward) return e.status;
    const r = globalThis.cwGoOwner(env, store.get(e.forward) ?? "", e.requestId);
    if (r.commit) store.set(e.forward, r.commit);
    return r.status;
  };
  wasmBytes = () => inst.exports.mem.buffer.byteLength;
}

const H = "content-type: application/json\r\n";
function request(i) {
  const id = `m${i % 32}`;
  switch (i % 8) {
    case 0:
    case 1:
      return `GET /state/${id}\r\n\r\n`;
    case 2:
      return `PATCH /state/${id}\r\n${H}\r\n{"bad":`;
    case 3:
      return `PATCH /state/${id}\r\n${H}if-match: "0"\r\n\r\n{"c":1}`;
    default:
      return `PATCH /state/${id}\r\n${H}\r\n{"k${i % 50}":"${"v".repeat(i % 64)}","n":${i},"o":{"d":[${i % 7},null]}}`;
  }
}
const snap = () => ({ wasm_bytes: wasmBytes(), rss_bytes: process.memoryUsage().rss });
let after1k;
const statuses = {};
for (let i = 0; i < 100_000; i++) {
  const s = handle(request(i));
  statuses[s] = (statuses[s] ?? 0) + 1;
  if (i === 999) after1k = snap();
}
console.log(JSON.stringify({ after_1k: after1k, after_100k: snap(), statuses }));
process.exit(0);
