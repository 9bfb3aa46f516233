// Live fan-out: one writer and N subscribers on one document, against a
// served variant. The writer keeps up to `window` changes in flight (a
// change is done when every subscriber has it); each change is a ~100-byte
// patch. Measures changes/s delivered to every subscriber, the delivery
// latency (the writer's send to a subscriber's receipt) p50/p99 over every
// (change, subscriber), and bytes per change per subscriber: on the wire
// (TCP bytes from the server, with the permessage-deflate that Node's
// client and browsers negotiate, counted through a proxy on a separate
// subscriber) and as protocol payload before compression.
import net from "node:net";
import { openSocket, PROTOCOLS } from "./protocol.mjs";

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

// Member values of 88 hex digits from a fixed-seed generator: text that
// compresses about as well as real data does (half), not a run of one
// letter that any compressor erases.
function values() {
  let x = 0x9e3779b9;
  const next = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x >>> 0);
  return (i) => Array.from({ length: 11 }, () => next().toString(16).padStart(8, "0")).join("") || String(i);
}

// fetch() again when a pooled keep-alive connection turns out closed by
// the server meanwhile (it idles them out: the read fails, or the write of
// the body, EPIPE); the patches here are idempotent.
async function retried(call) {
  try {
    return await call();
  } catch (e) {
    if (!["UND_ERR_SOCKET", "EPIPE", "ECONNRESET"].includes(e.cause?.code)) throw e;
    return call();
  }
}

// A state of about `bytes` made of 100-byte members, built in patches under
// the body limit, with PATCH /state/{id} (every variant serves it).
export async function seed(base, id, bytes) {
  const members = Math.max(1, Math.round(bytes / 100));
  const value = values();
  for (let at = 0; at < members; at += 2000) {
    const p = {};
    for (let i = at; i < Math.min(members, at + 2000); i++) p[`k${String(i).padStart(6, "0")}`] = value(i);
    const r = await retried(() => fetch(`${base}/state/${id}`, { method: "PATCH", headers: { "content-type": "application/json", prefer: "return=minimal" }, body: JSON.stringify(p) }));
    if (r.status !== 200) throw new Error(`seeding ${id}: ${r.status} ${await r.text()}`);
    await r.arrayBuffer();
  }
}

// A TCP proxy to base's port that counts the bytes the server sends.
async function countingProxy(base) {
  const port = Number(new URL(base).port);
  let down = 0;
  const server = net.createServer((c) => {
    const s = net.connect(port, "127.0.0.1");
    c.pipe(s);
    s.on("data", (d) => (down += d.length));
    s.pipe(c);
    c.on("error", () => s.destroy());
    s.on("error", () => c.destroy());
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { base: `http://127.0.0.1:${server.address().port}`, bytes: () => down, close: () => server.close() };
}

// Sends changes with send() (a promise of the time the change was done),
// up to window in flight, until changes are done or maxMs has passed; a
// change not done by deadline() rejects. { t0, completed, last }.
export async function pump(send, { changes, window, maxMs, deadline }) {
  const t0 = performance.now();
  let completed = 0;
  let last = t0;
  const inFlight = new Set();
  while (completed + inFlight.size < changes && performance.now() - t0 < maxMs) {
    while (inFlight.size < window && completed + inFlight.size < changes) {
      const p = send().then((at) => {
        inFlight.delete(p);
        completed += 1;
        last = Math.max(last, at);
      });
      inFlight.add(p);
    }
    await Promise.race([Promise.race(inFlight), deadline()]);
  }
  await Promise.race([Promise.all(inFlight), deadline()]);
  return { t0, completed, last };
}

export async function fanout(base, protocol, { subscribers, stateBytes = 64 << 10, changes = 200, window = 4, maxMs = 8000 }) {
  const id = `fan-${subscribers}-${Date.now()}`;
  await seed(base, id, stateBytes);
  const pending = new Map(); // seq -> { sent, left, done }
  const latencies = [];
  let payload = 0;
  let recording = false;
  const onChange = (seq, b, at) => {
    const c = pending.get(seq);
    if (!c) return;
    if (recording) latencies.push(at - c.sent), (payload += b);
    if (--c.left === 0) pending.delete(seq), c.done(at);
  };
  const subs = await Promise.all(Array.from({ length: subscribers }, () => openSocket(base, protocol, id, onChange)));
  const writer = await openSocket(base, protocol, id);
  const { write } = PROTOCOLS[protocol];
  const pad = { k000001: "x".repeat(80) };
  let seq = 0;
  let expect = subscribers;
  const send = () =>
    new Promise((done) => {
      seq += 1;
      pending.set(seq, { sent: performance.now(), left: expect, done });
      writer.send(write(seq, pad));
    });
  const deadline = (ms) => new Promise((_, reject) => setTimeout(() => reject(new Error(`${protocol}: a change was not delivered to every subscriber in ${ms} ms`)), ms).unref());
  // Warm-up: a few changes one at a time, not recorded.
  for (let i = 0; i < 5; i++) await Promise.race([send(), deadline(20000)]);
  recording = true;
  const { t0, completed, last } = await pump(send, { changes, window, maxMs, deadline: () => deadline(20000) });
  recording = false;

  // The wire: one more subscriber through the counting proxy, then changes
  // one at a time; bytes from the server from its join to the last change.
  const proxy = await countingProxy(base);
  const wired = await openSocket(proxy.base, protocol, id, onChange);
  expect = subscribers + 1;
  const from = proxy.bytes();
  const WIRE = 10;
  for (let i = 0; i < WIRE; i++) await Promise.race([send(), deadline(20000)]);
  await new Promise((r) => setTimeout(r, 50));
  const wire = (proxy.bytes() - from) / WIRE;
  for (const ws of [writer, wired, ...subs]) ws.close();
  proxy.close();
  return {
    subscribers,
    changes: completed,
    changes_per_s: Number(((completed * 1000) / (last - t0)).toFixed(1)),
    p50_ms: Number(quantile(latencies, 0.5).toFixed(2)),
    p99_ms: Number(quantile(latencies, 0.99).toFixed(2)),
    bytes_per_change: Math.round(wire),
    payload_bytes_per_change: Math.round(payload / (completed * subscribers)),
  };
}
