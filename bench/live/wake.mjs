// Wake from hibernation: from a frame sent to a Durable Object whose
// sockets hibernated to the broadcast another socket receives, for every
// variant with live sync, each served by its own workerd at the same time.
//
//   hot:   the object is in memory; the same measurement with no idle time.
//   woken: after idleMs with no traffic. workerd evicts an idle object whose
//          sockets are all hibernatable (after about 10 s), keeping the
//          sockets open; the frame then makes a new object: its
//          constructor, its schema, the document read back, the write, the
//          broadcast. This is the closest workerd allows to an eviction on
//          Cloudflare, where the isolate too may be gone (that adds the
//          module's cold start, which make bench measures on its own).
//
// Each round idles every variant together, then wakes them one after the
// other in a rotating order.
import { seed } from "./fanout.mjs";
import { openSocket, PROTOCOLS } from "./protocol.mjs";
import { listening, prepare, stop } from "../lib/serve.mjs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function pair(base, protocol, id) {
  let waiter = null;
  const b = await openSocket(base, protocol, id, (seq, _, at) => {
    if (waiter && seq === waiter.seq) waiter.resolve(at);
  });
  const a = await openSocket(base, protocol, id);
  let seq = 0;
  // One change: a's frame until b has it (ms).
  const once = async () => {
    seq += 1;
    const heard = new Promise((resolve, reject) => {
      waiter = { seq, resolve };
      setTimeout(() => reject(new Error(`${protocol}: no broadcast in 30 s`)), 30000).unref();
    });
    const t0 = performance.now();
    a.send(PROTOCOLS[protocol].write(seq, { n: seq }));
    return (await heard) - t0;
  };
  return { once, close: () => (a.close(), b.close()) };
}

// uploads: { name: { upload, protocol } }. Returns { name: { hot_ms, woken_ms } }.
export async function wake(uploads, { rounds = 5, idleMs = 12000, hotRuns = 20 } = {}) {
  const names = Object.keys(uploads);
  const live = {};
  try {
    for (const n of names) {
      const { port, base, start } = await prepare(uploads[n].upload, `${n}-wake`);
      const proc = start();
      live[n] = { proc, base };
      await listening(port, proc);
      const id = `wake-${Date.now()}`;
      await seed(base, id, 1 << 10);
      live[n].pair = await pair(base, uploads[n].protocol, id);
    }
    const out = Object.fromEntries(names.map((n) => [n, { hot_ms: [], woken_ms: [], idle_ms: idleMs }]));
    for (const n of names) for (let i = 0; i < hotRuns; i++) out[n].hot_ms.push(await live[n].pair.once());
    for (let r = 0; r < rounds; r++) {
      await sleep(idleMs);
      for (let k = 0; k < names.length; k++) {
        const n = names[(r + k) % names.length];
        out[n].woken_ms.push(await live[n].pair.once());
      }
    }
    return out;
  } finally {
    for (const n of names) {
      live[n]?.pair?.close();
      if (live[n]) await stop(live[n].proc);
    }
  }
}
