// Selective sync: 64 subscribers on one 4 MiB document of 64 disjoint
// subtrees (/s00 ... /s63, 64 KiB each), against the product as served.
// "whole": every subscriber says hello without paths, so each gets every
// change; "paths": subscriber k says hello with paths ["/s<k>"], so it gets
// only the changes to its subtree. A writer PATCHes one subtree per change
// (round robin), keeping `window` in flight; a change is done when every
// subscriber that should have it has it. Measures changes/s and the frame
// bytes each subscriber receives per change, averaged over subscribers.
import { pump } from "./fanout.mjs";
const key = (k) => `s${String(k).padStart(2, "0")}`;

async function subscriber(base, id, paths, onChange) {
  const ws = new WebSocket(`${base.replace(/^http/, "ws")}/state/${id}/live`);
  const joined = new Promise((resolve, reject) => {
    ws.onerror = () => reject(new Error("a subscriber's socket failed"));
    ws.onmessage = (e) => {
      const f = JSON.parse(e.data);
      if (f.type === "peers") resolve();
      else if (f.type === "change") onChange(f, Buffer.byteLength(e.data));
    };
  });
  ws.onopen = () => ws.send(JSON.stringify(paths ? { type: "hello", paths } : { type: "hello" }));
  await joined;
  return ws;
}

async function run(base, id, mode, { subtrees, changes, window, maxMs }) {
  const waiting = new Map(); // seq -> { left, done }
  let bytes = 0;
  let recording = false;
  const onChange = (f, n) => {
    const seq = Object.values(f.patch)[0]?.m;
    const c = waiting.get(seq);
    if (recording) bytes += n;
    if (c && --c.left === 0) waiting.delete(seq), c.done(performance.now());
  };
  const subs = [];
  for (let k = 0; k < subtrees; k++) subs.push(await subscriber(base, id, mode === "paths" ? [`/${key(k)}`] : null, onChange));
  let seq = mode === "paths" ? 1e6 : 0;
  const send = () =>
    new Promise((done, fail) => {
      seq += 1;
      waiting.set(seq, { left: mode === "paths" ? 1 : subtrees, done });
      fetch(`${base}/state/${id}`, {
        method: "PATCH",
        headers: { "content-type": "application/json", prefer: "return=minimal" },
        body: JSON.stringify({ [key(seq % subtrees)]: { m: seq } }),
      }).then((r) => (r.status === 200 ? r.arrayBuffer().catch(() => {}) : fail(new Error(`write: ${r.status}`))), fail);
    });
  const deadline = () => new Promise((_, reject) => setTimeout(() => reject(new Error(`selective ${mode}: a change was not delivered in 20 s`)), 20000).unref());
  for (let i = 0; i < 5; i++) await Promise.race([send(), deadline()]);
  recording = true;
  const { t0, completed, last } = await pump(send, { changes, window, maxMs, deadline });
  recording = false;
  for (const ws of subs) ws.close();
  return {
    subscribers: subtrees,
    changes: completed,
    changes_per_s: Number(((completed * 1000) / (last - t0)).toFixed(1)),
    bytes_per_change: Number((bytes / (completed * subtrees)).toFixed(1)),
  };
}

export async function selective(base, { subtrees = 64, stateBytes = 4 << 20, changes = 300, window = 4, maxMs = 8000 } = {}) {
  const id = `selective-${Date.now()}`;
  // 64 subtrees of 64 KiB: each seeded under its own member.
  const per = Math.round(stateBytes / subtrees / 100);
  for (let k = 0; k < subtrees; k++) {
    const body = { [key(k)]: Object.fromEntries(Array.from({ length: per }, (_, i) => [`k${i}`, "v".repeat(88) + String(i).padStart(6, "0")])) };
    const r = await fetch(`${base}/state/${id}`, { method: "PATCH", headers: { "content-type": "application/json", prefer: "return=minimal" }, body: JSON.stringify(body) });
    if (r.status !== 200) throw new Error(`seeding ${id}: ${r.status} ${await r.text()}`);
    await r.arrayBuffer();
  }
  const out = {};
  for (const mode of ["whole", "paths"]) out[mode] = await run(base, id, mode, { subtrees, changes, window, maxMs });
  out.state_bytes = stateBytes;
  out.bytes_ratio = Number((out.paths.bytes_per_change / out.whole.bytes_per_change).toFixed(4));
  return out;
}
