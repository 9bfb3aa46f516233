// Nested writes and large documents, in-engine (the Durable Object as
// shipped, or the plain-JS baseline's, in tests/host/workers.mjs with
// node:sqlite storage), called as the edge calls it.
//
//   patch_us: owner µs of a one-leaf PATCH below the top level, return=
//     minimal, with the bulk of the state under one top-level member
//     ({"big": {k000000: "v…", …}}, 100-byte members) of 1 KB, 1 MB and
//     64 MiB; the 64 MiB state is built by writes under the body limit.
//     The plain-JS baseline stores a top-level member in one row and stops
//     at 4 MiB: null where it cannot hold the state.
//   convert (this only): an object written by the members-as-rows layout
//     (4 MiB in 100-byte members, as that code stored it), converted by its
//     first request: that request's ms, and the growth of the module's
//     memory and of the process's RSS across it (the memory never shrinks,
//     so its growth is the conversion's peak).
// Usage: node --experimental-vm-modules deep.mjs this|js
// Prints one JSON line.
const variant = process.argv[2];
if (variant !== "this" && variant !== "js") throw new Error("usage: deep.mjs this|js");

const memories = [];
const Instance = WebAssembly.Instance;
WebAssembly.Instance = function (module, imports) {
  const i = new Instance(module, imports);
  if (i.exports.memory) memories.push(i.exports.memory);
  return i;
};
const wasmBytes = () => memories.reduce((s, m) => s + m.buffer.byteLength, 0);
const rss = () => process.memoryUsage.rss();

const { host } = await import("../../tests/host/workers.mjs");
const h = await host(variant === "js" ? { main: "bench/baselines/js/worker.js" } : {});
console.log = () => {};
const utf8 = new TextEncoder();
const rid = "0123456789abcdef0123456789abcdef";
const { rid: jsRid } = variant === "js" ? await import("../baselines/js/logic.js") : {};

// One request to the object of id, as its edge hands it over.
async function request(method, id, body, minimal = true) {
  if (variant === "this") {
    const head = `${method} /state/${id}\r\n${body ? "content-type: application/merge-patch+json\r\n" : ""}${minimal ? "prefer: return=minimal\r\n" : ""}\r\n`;
    return (await h.object(id).handle({ head, body: body ? utf8.encode(body) : null }, "w ", rid)).status;
  }
  return (await h.object(id).handle(method, id, minimal ? [["prefer", "return=minimal"]] : [], body ?? "", jsRid())).status;
}

async function time(n, fn) {
  for (let i = 0; i < Math.min(20, n); i++) await fn(i); // warm
  const t = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  return Number((((performance.now() - t) * 1000) / n).toFixed(1));
}

const member = (i) => [`k${String(i).padStart(6, "0")}`, "v".repeat(88)]; // ~100 bytes stored
// The state's members, written in patches of at most ~800 KB.
async function seed(id, bytes) {
  const members = Math.max(1, Math.round(bytes / 100));
  const t = performance.now();
  for (let at = 0; at < members; at += 8000) {
    const big = Object.fromEntries(Array.from({ length: Math.min(8000, members - at) }, (_, k) => member(at + k)));
    const s = await request("PATCH", id, JSON.stringify({ big }));
    if (s !== 200) return null; // the variant cannot hold it
  }
  return (performance.now() - t) / 1000;
}

const leaf = (i) => `{"big":{"k000001":"${String(i).padStart(80, "x")}"}}`;
const SIZES = { "1k": 1 << 10, "1m": 1 << 20, "64m": 64 << 20 };
const out = { patch_us: {}, build_s: {} };
for (const [name, bytes] of Object.entries(SIZES)) {
  const id = `deep-${name}`;
  const built = await seed(id, bytes);
  out.build_s[name] = built === null ? null : Number(built.toFixed(2));
  if (built === null) {
    out.patch_us[name] = null;
    continue;
  }
  const ok = async (i) => {
    const s = await request("PATCH", id, leaf(i));
    if (s !== 200) throw new Error(`${variant} ${name}: status ${s}`);
  };
  out.patch_us[name] = await time(name === "64m" ? 300 : 1000, ok);
}

if (variant === "this") {
  // What the members-as-rows code stored: cw_members rows, the meta row.
  const id = "convert-4m";
  const o = h.object(id);
  const db = o.host.db;
  db.exec("CREATE TABLE IF NOT EXISTS cw_members (key TEXT NOT NULL UNIQUE, value TEXT NOT NULL, version INTEGER NOT NULL)");
  const insert = db.prepare("INSERT INTO cw_members VALUES (?, ?, 1)");
  db.exec("BEGIN");
  const members = Math.round((4 << 20) / 100);
  for (let i = 0; i < members; i++) {
    const [k, v] = member(i);
    insert.run(k, JSON.stringify(v));
  }
  db.exec("REPLACE INTO cw_meta VALUES (0, 1, 0, 0, 2)");
  db.exec("COMMIT");
  globalThis.gc?.();
  const before = { wasm: wasmBytes(), rss: rss() };
  const t = performance.now();
  const status = await request("GET", id);
  const ms = performance.now() - t;
  if (status !== 200) throw new Error(`convert: status ${status}`);
  out.convert = { members, ms: Number(ms.toFixed(1)), wasm_growth_bytes: wasmBytes() - before.wasm, rss_growth_bytes: Math.max(0, rss() - before.rss) };
}
out.wasm_bytes = variant === "this" ? wasmBytes() : null;
process.stdout.write(JSON.stringify(out) + "\n");
