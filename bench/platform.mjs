// What single platform operations cost inside workerd, the ones the glue's
// warm path makes: a TextDecoder.decode or encodeInto of a request head on
// wasm memory, the edge's deadline timer, a Durable Object stub, and an RPC
// round trip to an object in the same process with three argument shapes
// (the product's envelope, the plain-JS baseline's fields, flat strings);
// and the product's edge stage of a PATCH (worker/bridge.js over the module,
// as shipped): its first crossing, and both with an owner's answer, against
// the plain-JS baseline's edge work on the same PATCH (edge-js); and the
// owner stage of a PATCH on a 1 KB state, the product's (state_object.js over
// the module) against the plain-JS baseline's, n of them in one call to the
// object (one implicit transaction: their CPU without the fsyncs).
//   node bench/platform.mjs [op...]    (environment: N per request, R rounds,
//                                       CPU=1 for workerd's CPU time)
// Serves bench/platform (wrangler deploy --dry-run) from a compiled config; each request runs
// one operation N times, and the client's clock over N, less the empty
// loop's, is its cost. Prints each operation's median and quartiles.
// With CPU=1 the cost is workerd's CPU time instead (user + system, all
// threads, from /proc, over wrk's requests for R rounds of S seconds), less
// the empty loop's, over N. That is the figure for N = 1: one operation per
// request, as a request makes it, its code and data cold again after the
// runtime's own work in between (an owner PATCH then pays its own commit and
// fsync, both variants alike), against N = 100, the same in a hot loop.
import { compile, config, serve, stop, freePort } from "../scripts/workerd.mjs";
import { listening } from "./lib/serve.mjs";
import { root, vars } from "./lib/variants.mjs";
import { dryRun } from "../scripts/size-check.mjs";
import { wrkCpu } from "./lib/wrk.mjs";
import path from "node:path";

const N = Number(process.env.N ?? 1000);
const R = Number(process.env.R ?? 15);
const ALL = ["decode", "encodeInto", "timer", "stub", "rpc-envelope", "rpc-fields", "rpc-flat", "edge-first", "edge", "edge-js", "owner-shipped", "owner-js"];
const asked = process.argv.slice(2);
for (const op of asked) if (!ALL.includes(op)) throw new Error(`unknown op ${op}: one of ${ALL.join(", ")}`);
const OPS = ["loop", ...(asked.length ? asked : ALL)];
const CPU = process.env.CPU === "1";
const S = Number(process.env.S ?? 2);
// workerd's CPU µs per request of op: wrk for S seconds, one connection.
async function cpuPerRequest(pid, url) {
  const { all, out } = await wrkCpu(pid, ["-t1", "-c1", `-d${S}s`, url]);
  if (/Non-2xx/.test(out)) throw new Error(`${url}: answers other than 200`);
  return all;
}
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
      const url = `http://127.0.0.1:${port}/?op=${op}&n=${N}`;
      let us;
      if (CPU) {
        us = (await cpuPerRequest(proc.p.pid, url)) / N;
      } else {
        const t = performance.now();
        const res = await fetch(url);
        await res.text();
        if (res.status !== 200) throw new Error(`${op}: ${res.status}`);
        us = ((performance.now() - t) * 1000) / N;
      }
      if (r >= 2) times[op].push(us); // the first two rounds warm up
    }
} finally {
  await stop(proc);
}
const q = (xs, p) => [...xs].sort((a, b) => a - b)[Math.floor(p * (xs.length - 1))];
const base = q(times.loop, 0.5);
for (const op of OPS.slice(1))
  console.log(`${op.padEnd(13)} ${(q(times[op], 0.5) - base).toFixed(2)} µs (p25–p75 ${(q(times[op], 0.25) - base).toFixed(2)}–${(q(times[op], 0.75) - base).toFixed(2)})`);
