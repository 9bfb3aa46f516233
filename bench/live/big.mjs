// A 64 MiB document in workerd, the product as served: built by writes
// under the body limit (about 80 of ~820 KB, nested under one member),
// then read back by a full streamed GET. Reports the build time, the
// module's linear memory (its /metrics gauge: the instance that serves the
// object) and workerd's RSS after the build and after the GET, the GET's
// time and its time to first byte. Beside it, the GET of the largest
// document the plain-JS baseline holds (just under its 4 MiB state limit),
// in both: what a GET costs where both can answer it.
import { readFileSync } from "node:fs";
import { listening, prepare, stop } from "../lib/serve.mjs";

const rss = (pid) => Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]) * 1024;
const TOKEN = "bench-metrics";

async function wasmBytes(base) {
  const text = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
  const m = /^cw_wasm_memory_bytes (\d+)/m.exec(text);
  return m ? Number(m[1]) : null;
}

// Write w: ~820 KB of cards under boards/b<w>/cards (nested), or, for a
// document the plain-JS baseline must hold too (it keeps a top-level
// member in one row of at most 1.8 MB), under b<w>/cards.
function write(w, nested) {
  const cards = {};
  for (let j = 0; j < 8000; j++) cards[`c${w}_${j}`] = { title: `card ${w}/${j}`, n: j, done: j % 2 === 0, note: "n".repeat(60) };
  const board = { [`b${w}`]: { cards } };
  return JSON.stringify(nested ? { boards: board } : board);
}

async function build(base, id, bytes, nested = true) {
  const t = performance.now();
  let written = 0;
  for (let w = 0; written < bytes; w++) {
    const body = write(w, nested);
    if (written + body.length > bytes && !nested) break;
    const r = await fetch(`${base}/state/${id}`, { method: "PATCH", headers: { "content-type": "application/json", prefer: "return=minimal" }, body });
    if (r.status !== 200) throw new Error(`write ${w}: ${r.status} ${await r.text()}`);
    await r.arrayBuffer();
    written += body.length;
  }
  return (performance.now() - t) / 1000;
}

// A full GET: { ms, ttfb_ms, bytes, streamed }.
async function get(base, id) {
  const t = performance.now();
  const r = await fetch(`${base}/state/${id}`);
  const reader = r.body.getReader();
  let ttfb = null;
  let bytes = 0;
  for (let c; !(c = await reader.read()).done; ) {
    ttfb ??= performance.now() - t;
    bytes += c.value.length;
  }
  if (r.status !== 200) throw new Error(`GET ${id}: ${r.status}`);
  return { ms: performance.now() - t, ttfb_ms: ttfb, bytes, streamed: r.headers.get("content-length") === null };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// The median of 7 GETs of a document of `bytes` built first.
async function smallGet(base, bytes) {
  await build(base, "small", bytes, false);
  const ms = [];
  for (let i = 0; i < 7; i++) ms.push((await get(base, "small")).ms);
  return Number(median(ms).toFixed(1));
}

export async function bigDocument(uploads, { bytes = 64 << 20, small = 3_900_000 } = {}) {
  const out = { this: {}, js: {} };
  // The product.
  {
    const u = uploads.this;
    const { port, base, start } = await prepare({ ...u, serve: { ...u.serve, vars: { ...u.serve.vars, METRICS_TOKEN: TOKEN } } }, "big-this");
    const proc = start();
    try {
      await listening(port, proc);
      out.this.build_s = Number((await build(base, "big", bytes)).toFixed(2));
      out.this.wasm_bytes_after_build = await wasmBytes(base);
      out.this.rss_bytes_after_build = rss(proc.p.pid);
      const g = await get(base, "big");
      out.this.get_ms = Number(g.ms.toFixed(1));
      out.this.ttfb_ms = Number(g.ttfb_ms.toFixed(1));
      out.this.get_bytes = g.bytes;
      out.this.get_streamed = g.streamed;
      out.this.wasm_bytes_after_get = await wasmBytes(base);
      out.this.rss_bytes_after_get = rss(proc.p.pid);
      out.this.small_get_ms = await smallGet(base, small);
    } finally {
      await stop(proc);
    }
  }
  // The plain-JS baseline, at the size it holds.
  {
    const { port, base, start } = await prepare(uploads.js, "big-js");
    const proc = start();
    try {
      await listening(port, proc);
      out.js.small_get_ms = await smallGet(base, small);
    } finally {
      await stop(proc);
    }
  }
  out.small_bytes = small;
  out.small_get_ratio_vs_js = Number((out.this.small_get_ms / out.js.small_get_ms).toFixed(3));
  return out;
}
