// Wake time of a live document: from a frame sent to a Durable Object whose
// sockets hibernated to the broadcast another socket receives, measured
// against workerd serving a dry-run upload (no wrangler).
//
//   hot:   the object is in memory; the same measurement with no idle time.
//   woken: the socket's object was evicted after idling (workerd evicts an
//          idle object whose sockets are all hibernatable, keeping them open)
//          and the frame wakes it: a new object (its constructor, the schema
//          DDL), the document read back, the write, the broadcast.
// The isolate stays up in workerd, so the module is warm in both; a wake
// that also lands on a new isolate adds the module's cold start, which
// make bench measures on its own.
//
// Usage (from bench/run.mjs): await wake({ outdir, pluginsOutdir }, rounds, idleMs)
import path from "node:path";
import { config, freePort, serve, stop } from "../../scripts/workerd.mjs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const root = path.resolve(import.meta.dirname, "../..");

// A protocol socket that resolves waiters on frames matching a predicate.
function socket(url) {
  const ws = new WebSocket(url);
  const waiters = [];
  ws.addEventListener("message", (e) => {
    const f = JSON.parse(e.data);
    for (const w of [...waiters]) if (w.pred(f)) waiters.splice(waiters.indexOf(w), 1), w.resolve(performance.now());
  });
  const when = (pred, ms = 20000) =>
    new Promise((resolve, reject) => {
      waiters.push({ pred, resolve });
      setTimeout(() => reject(new Error("no frame in time")), ms);
    });
  const open = new Promise((resolve, reject) => {
    ws.addEventListener("open", resolve);
    ws.addEventListener("error", reject);
  });
  return { ws, when, open };
}

async function listening(base) {
  for (let i = 0; i < 500; i++) {
    try {
      if ((await fetch(`${base}/health`)).ok) return;
    } catch {}
    await sleep(20);
  }
  throw new Error("workerd did not listen");
}

// One writer, one listener; rounds of (idle, write, time to the broadcast).
export async function wake(upload, { rounds = 5, idleMs = 12000, hotRuns = 20, name = "this" } = {}) {
  const port = await freePort();
  const proc = serve(config(upload.outdir, path.join(root, "build/bench/run", `${name}-wake`), port, undefined, upload.pluginsOutdir));
  const base = `http://127.0.0.1:${port}`;
  try {
    await listening(base);
    const url = `ws://127.0.0.1:${port}/state/wake-${Date.now()}/live`;
    const a = socket(url);
    const b = socket(url);
    await Promise.all([a.open, b.open]);
    for (const s of [a, b]) {
      const joined = s.when((f) => f.type === "peers");
      s.ws.send('{"type":"hello"}');
      await joined;
    }
    let n = 0;
    const once = async () => {
      n += 1;
      const heard = b.when((f) => f.type === "change" && f.patch.n === n);
      const t0 = performance.now();
      a.ws.send(JSON.stringify({ type: "patch", mid: `w${n}`, patch: { n } }));
      return (await heard) - t0;
    };
    const hot = [];
    for (let i = 0; i < hotRuns; i++) hot.push(await once());
    const woken = [];
    for (let i = 0; i < rounds; i++) {
      await sleep(idleMs);
      woken.push(await once());
    }
    a.ws.close();
    b.ws.close();
    return { hot_ms: hot, woken_ms: woken, idle_ms: idleMs };
  } finally {
    await stop(proc);
  }
}
