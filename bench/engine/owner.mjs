// Owner-side cost in-engine, per variant: microseconds per request through
// the variant's Durable Object with SQLite storage and no HTTP, for states
// of 1 KB, 64 KB and 1 MB made of 100-byte members, and a 100-byte patch.
//   this:   the Durable Object as shipped (worker/state_object.js over the
//           module), in tests/host/workers.mjs with node:sqlite storage
//   js:     the plain-JS baseline's Durable Object in the same host
//   agents: the upload's fetch into its Agent (bench/engine/host.mjs:
//           node:sqlite, direct calls in place of RPC)
// Usage: node --experimental-vm-modules owner.mjs this|js|agents
// Prints one JSON line: { "<size>": { get_us, patch_us, patch_full_us, members } }.
// patch_us asks for Prefer: return=minimal (what a sync client uses);
// patch_full_us returns the whole state, which costs what the state costs.
import path from "node:path";

const variant = process.argv[2];
const SIZES = { "1k": 1 << 10, "64k": 64 << 10, "1m": 1 << 20 };
const JSON_TYPE = "application/merge-patch+json";

// request(method, id, body, minimal) -> Promise<status> or status, per variant.
let request;
const utf8 = new TextEncoder();
if (variant === "this") {
  // The Durable Object as shipped (worker/state_object.js, bridge.js and
  // the module) in tests/host/workers.mjs, called as the edge calls it:
  // handle(envelope, grant, request id). The envelope ({ head, body },
  // worker/envelope.js) is what the edge hands over; it is built once per
  // request shape, off the clock.
  const { host } = await import("../../tests/host/workers.mjs");
  const h = await host();
  console.log = () => {};
  const shapes = new Map();
  const rid = "0123456789abcdef0123456789abcdef";
  request = async (method, id, body, minimal) => {
    const key = `${method} ${id} ${minimal} ${body ?? ""}`;
    let envelope = shapes.get(key);
    if (!envelope) {
      envelope = { head: `${method} /state/${id}\r\n${body ? `content-type: ${JSON_TYPE}\r\n` : ""}${minimal ? "prefer: return=minimal\r\n" : ""}\r\n`, body: body ? utf8.encode(body) : null };
      if (shapes.size < 10000) shapes.set(key, envelope);
    }
    return (await h.object(id).handle(envelope, "w ", rid)).status;
  };
} else if (variant === "js") {
  // The plain-JS baseline's Durable Object (bench/baselines/js/worker.js)
  // in the same host, called as its edge calls it.
  const { host } = await import("../../tests/host/workers.mjs");
  const h = await host({ main: "bench/baselines/js/worker.js" });
  console.log = () => {};
  const { rid } = await import("../baselines/js/logic.js");
  request = async (method, id, body, minimal) => {
    const headers = minimal ? [["prefer", "return=minimal"]] : [];
    return (await h.object(id).handle(method, id, headers, body ?? "", rid())).status;
  };
} else if (variant === "agents") {
  const { evaluate, readUpload, worker } = await import("./host.mjs");
  const w = worker(await evaluate(readUpload(path.join(import.meta.dirname, "../../build/bench/upload/agents"))), { objects: { StateAgent: "StateAgent" } });
  console.log = () => {}; // the worker's log line goes nowhere here, as it costs nothing in workerd's stdout
  request = async (method, id, body, minimal) => {
    const headers = body ? { "content-type": JSON_TYPE } : {};
    if (minimal) headers.prefer = "return=minimal";
    const r = await w.fetch(new Request(`http://bench/state/${id}`, { method, headers, body }));
    await r.arrayBuffer();
    return r.status;
  };
} else throw new Error(`usage: owner.mjs this|js|agents`);

async function time(n, fn) {
  for (let i = 0; i < Math.min(20, n); i++) await fn(i); // warm
  const t = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  return Number((((performance.now() - t) * 1000) / n).toFixed(1));
}
const ok = async (s) => {
  if ((await s) !== 200) throw new Error(`${variant}: status ${await s}`);
};

// Every state is seeded first, then every path warmed on every state (V8
// tiers the hot functions up), and only then measured: steady state, for
// every variant alike.
const patch100 = (i) => `{"k000001":"${String(i).padStart(80, "x")}","n":${i}}`; // ~100 bytes
for (const [name, bytes] of Object.entries(SIZES)) {
  const id = `sweep-${name}`;
  const members = Math.max(1, Math.round(bytes / 100));
  for (let at = 0; at < members; at += 2000) {
    const p = {};
    for (let i = at; i < Math.min(members, at + 2000); i++) p[`k${String(i).padStart(6, "0")}`] = "v".repeat(88);
    await ok(request("PATCH", id, JSON.stringify(p), true));
  }
}
for (const name of Object.keys(SIZES)) {
  const id = `sweep-${name}`;
  await time(500, () => ok(request("GET", id)));
  await time(500, (i) => ok(request("PATCH", id, patch100(i), true)));
  await time(20, (i) => ok(request("PATCH", id, patch100(i), false)));
}
// Measured in ROUNDS rounds over all the sizes, each figure the median of
// its rounds: a pause of the collector or of the machine lands in one
// round of one size, not in the whole of the first size measured.
const ROUNDS = 5;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const rounds = Object.fromEntries(Object.keys(SIZES).map((name) => [name, { get_us: [], patch_us: [], patch_full_us: [] }]));
for (let round = 0; round < ROUNDS; round++)
  for (const name of Object.keys(SIZES)) {
    const id = `sweep-${name}`;
    const n = (name === "1m" ? 300 : 2000) / ROUNDS;
    const r = rounds[name];
    r.get_us.push(await time(n, () => ok(request("GET", id))));
    r.patch_us.push(await time(n, (i) => ok(request("PATCH", id, patch100(i), true))));
    r.patch_full_us.push(await time(Math.min(n, 100 / ROUNDS), (i) => ok(request("PATCH", id, patch100(i), false))));
  }
const out = {};
for (const [name, bytes] of Object.entries(SIZES)) {
  const r = rounds[name];
  out[name] = { members: Math.max(1, Math.round(bytes / 100)), get_us: median(r.get_us), patch_us: median(r.patch_us), patch_full_us: median(r.patch_full_us) };
}
process.stdout.write(JSON.stringify(out) + "\n");
