// What single platform operations cost inside workerd, the ones the glue's
// warm path makes: a TextDecoder.decode or encodeInto of a request head on
// wasm memory, the edge's deadline timer, a Durable Object stub, and an RPC
// round trip to an object in the same process with three argument shapes
// (the product's envelope, the plain-JS baseline's fields, flat strings);
// and the product's edge stage of a PATCH (worker/bridge.js over the module,
// as shipped): its first crossing, and both with an owner's answer; and the
// owner stage of a PATCH on a 1 KB state, the product's (state_object.js over
// the module) against the plain-JS baseline's, n of them in one call to the
// object (one implicit transaction: their CPU without the fsyncs).
//   node bench/platform.mjs            (environment: N per request, R rounds)
// Serves bench/platform (wrangler deploy --dry-run) from a compiled config; each request runs
// one operation N times, and the client's clock over N, less the empty
// loop's, is its cost. Prints each operation's median and quartiles.
import { compile, config, serve, stop, freePort } from "../scripts/workerd.mjs";
import { listening } from "./lib/serve.mjs";
import { root, vars } from "./lib/variants.mjs";
import { dryRun } from "../scripts/size-check.mjs";
import path from "node:path";

const N = Number(process.env.N ?? 1000);
const R = Number(process.env.R ?? 15);
const OPS = ["loop", "decode", "encodeInto", "timer", "stub", "rpc-envelope", "rpc-fields", "rpc-flat", "edge-first", "edge", "owner-shipped", "owner-js"];
const outdir = path.join(root, "build/bench/upload/platform");
dryRun("bench/platform/wrangler.toml", outdir);
const port = await freePort();
const cfg = compile(config(outdir, path.join(root, "build/bench/run/platform"), port, { vars: vars("bench/platform/wrangler.toml") }));
const proc = serve(cfg);
const times = Object.fromEntries(OPS.map((op) => [op, []]));
try {
  await listening(port, proc);
  for (let r = 0; r < R + 2; r++)
    for (const op of r % 2 ? [...OPS].reverse() : OPS) {
      const t = performance.now();
      const res = await fetch(`http://127.0.0.1:${port}/?op=${op}&n=${N}`);
      await res.text();
      if (res.status !== 200) throw new Error(`${op}: ${res.status}`);
      if (r >= 2) times[op].push(((performance.now() - t) * 1000) / N); // the first two rounds warm up
    }
} finally {
  await stop(proc);
}
const q = (xs, p) => [...xs].sort((a, b) => a - b)[Math.floor(p * (xs.length - 1))];
const base = q(times.loop, 0.5);
for (const op of OPS.slice(1))
  console.log(`${op.padEnd(13)} ${(q(times[op], 0.5) - base).toFixed(2)} µs (p25–p75 ${(q(times[op], 0.25) - base).toFixed(2)}–${(q(times[op], 0.75) - base).toFixed(2)})`);
