// What the cold-start clock covers, and what of a cold request is the
// isolate's rather than its object's. For each variant, N fresh workerd
// processes (from a compiled config, the plugins worker not served, the
// variants alternating), and per process:
//   listen: spawn to the socket accepting connections;
//   first:  the first PATCH after that (as make bench's second cold figure);
//   again:  a PATCH to the same id;
//   new id: a PATCH to another id, a new object and database in the warm
//           isolate, then to a third.
// The variant floor+busy is the floor with a busy loop (1e8 additions) at
// the top of its global scope: where that loop's time lands says whether
// workerd evaluates global scope before it accepts connections. WAIT=<ms>
// waits that long between the socket accepting and the first PATCH: with
// it, the busy loop's time leaves the first PATCH only if workerd
// evaluates global scope at startup rather than on the first request.
// A variant is this, js, floor, floor+busy, or cfg:<wrangler.toml> (the
// product under another config, e.g. bench/eager/wrangler.toml).
//   node bench/first-request.mjs [N] [variant...]   (default: 15 this js floor floor+busy)
// Prints the medians (ms) per variant.
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { listening, prepare, stop } from "./lib/serve.mjs";
import { dryRun } from "../scripts/size-check.mjs";
import { root, upload, vars } from "./lib/variants.mjs";

const [n, ...given] = process.argv.slice(2);
const N = Number(n ?? 15);
const WAIT = Number(process.env.WAIT ?? 0);
const names = given.length ? given : ["this", "js", "floor", "floor+busy"];
const alone = (u) => ({ ...u, serve: { ...u.serve, plugins: null } });

function busy(u) {
  const outdir = path.join(root, "build/bench/first-request/floor-busy");
  rmSync(outdir, { recursive: true, force: true });
  cpSync(u.outdir, outdir, { recursive: true });
  const main = path.join(outdir, readdirSync(outdir).find((f) => f.endsWith(".js")));
  // Date.now() stands still in global scope, so the loop counts instead.
  writeFileSync(main, `{ let s = 0; for (let i = 0; i < 1e8; i++) s = (s + i) | 0; globalThis.busy = s; }\n${readFileSync(main, "utf8")}`);
  return { ...u, outdir };
}
// cfg:<wrangler.toml>: another config of the product (e.g. bench/eager's).
function uploadFor(name) {
  if (name === "floor+busy") return busy(alone(upload("floor")));
  if (!name.startsWith("cfg:")) return alone(upload(name));
  const outdir = path.join(root, "build/bench/first-request", name.slice(4).replace(/\W+/g, "-"));
  dryRun(name.slice(4), outdir);
  return { outdir, serve: { vars: vars("wrangler.toml") } };
}
const uploads = Object.fromEntries(names.map((name) => [name, uploadFor(name)]));

async function patch(base, id) {
  const t = performance.now();
  const res = await fetch(`${base}/state/${id}`, { method: "PATCH", headers: { "content-type": "application/json" }, body: '{"a":1}' });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`PATCH ${id}: ${res.status}`);
  return performance.now() - t;
}

const runs = Object.fromEntries(names.map((name) => [name, []]));
for (let i = 0; i < N; i++)
  for (const name of names) {
    const { port, base, start } = await prepare(uploads[name], `first-request-${name}`);
    const t0 = performance.now();
    const proc = start();
    try {
      await listening(port, proc);
      const listen = performance.now() - t0;
      await new Promise((r) => setTimeout(r, WAIT));
      runs[name].push({ listen, first: await patch(base, "x"), again: await patch(base, "x"), "new id": await patch(base, "y"), "another new id": await patch(base, "z") });
    } finally {
      await stop(proc);
    }
  }
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (const name of names) {
  const keys = Object.keys(runs[name][0]);
  console.log(`${name}: ${keys.map((k) => `${k} ${median(runs[name].map((r) => r[k])).toFixed(2)}`).join(", ")} ms (median of ${N})`);
}
