// Owner-side cost in-engine: microseconds per request through the C edge
// and owner stages with storage (tests/host/module.mjs: Node's SQLite in
// place of the Durable Object's), for states of 1 KB, 64 KB and 1 MB made of
// 100-byte members, and a 100-byte patch. Prints one JSON line:
//   { "<size>": { get_us, patch_us, patch_full_us, members } }
// patch_us asks for Prefer: return=minimal (what a sync client uses);
// patch_full_us returns the whole state, which costs what the state costs.
import { load } from "../../tests/host/module.mjs";

const SIZES = { "1k": 1 << 10, "64k": 64 << 10, "1m": 1 << 20 };
const m = load(new URL("../../build/cw.wasm", import.meta.url));
const H = "content-type: application/merge-patch+json\r\n";
const out = {};

function time(n, fn) {
  for (let i = 0; i < Math.min(20, n); i++) fn(i); // warm
  const t = performance.now();
  for (let i = 0; i < n; i++) fn(i);
  return ((performance.now() - t) * 1000) / n;
}

for (const [name, bytes] of Object.entries(SIZES)) {
  const id = `sweep-${name}`;
  const members = Math.max(1, Math.round(bytes / 100));
  // Build the state in patches under the body limit.
  for (let at = 0; at < members; at += 2000) {
    const p = {};
    for (let i = at; i < Math.min(members, at + 2000); i++) p[`k${String(i).padStart(6, "0")}`] = "v".repeat(88);
    const r = m.request(`PATCH /state/${id}\r\n${H}prefer: return=minimal\r\n\r\n${JSON.stringify(p)}`);
    if (r.status !== 200) throw new Error(`building ${name}: ${r.status} ${r.body}`);
  }
  const patch100 = (i) => `{"k000001":"${String(i).padStart(80, "x")}","n":${i}}`; // ~100 bytes
  const n = name === "1m" ? 300 : 1000;
  out[name] = {
    members,
    get_us: Number(time(n, () => m.request(`GET /state/${id}\r\n\r\n`, { raw: true })).toFixed(1)),
    patch_us: Number(time(n, (i) => m.request(`PATCH /state/${id}\r\n${H}prefer: return=minimal\r\n\r\n${patch100(i)}`, { raw: true })).toFixed(1)),
    patch_full_us: Number(time(Math.min(n, 200), (i) => m.request(`PATCH /state/${id}\r\n${H}\r\n${patch100(i)}`, { raw: true })).toFixed(1)),
  };
}
console.log(JSON.stringify(out));
