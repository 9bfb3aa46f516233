// Cold start of variants of the product, each paired with the floor (plain
// JS plus the smallest wasm module), as make bench takes it: a fresh
// workerd from a compiled config, the plugins worker not served, spawn to
// the first 200 PATCH and the first PATCH alone after the socket listens.
// For trying a cold-start lever before it lands:
//   node bench/cold.mjs N variant...
// variant: this (the tree as built), cfg:<wrangler.toml> (another config,
// e.g. bench/eager/wrangler.toml), wasm:<file> (the product with that
// module in place of build/cw.wasm), dir:<upload> (a dry-run upload of the
// product, e.g. one built from a hand-edited glue) or flag:<name> (the
// product with that compatibility flag). V8FLAGS (space-separated) go to
// every process, the floor's too: e.g. --no-wasm-lazy-compilation, to
// see how much of the gap compile is. Prints, per variant, the medians of
// the paired ratios over the floor and V8's compile trace of one more run:
// wasm functions compiled at load and during the first PATCH, their body
// bytes and compile µs.
import { copyFileSync, cpSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { dryRun } from "../scripts/size-check.mjs";
import { coldStart, compiledFunctions } from "./lib/serve.mjs";
import { root, upload, vars } from "./lib/variants.mjs";

const [n, ...names] = process.argv.slice(2);
const N = Number(n);
if (!(N > 0) || !names.length) throw new Error("usage: node bench/cold.mjs N this|cfg:<wrangler.toml>|wasm:<file>|dir:<upload>|flag:<name>...");
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const alone = (u) => ({ ...u, serve: { ...u.serve, plugins: null } });

const floor = alone(upload("floor"));
const shipped = alone(upload("this")); // built once, copied for each wasm: variant
const variants = names.map((name, i) => {
  const outdir = path.join(root, "build/bench/cold", String(i)); // for cfg: and wasm: variants
  if (name === "this") return { name, upload: shipped };
  if (name.startsWith("dir:")) return { name, upload: { ...shipped, outdir: name.slice(4) } };
  if (name.startsWith("flag:")) return { name, upload: { ...shipped, serve: { ...shipped.serve, flags: [...(shipped.serve.flags ?? []), name.slice(5)] } } };
  if (name.startsWith("cfg:")) {
    dryRun(name.slice(4), outdir);
    return { name, upload: { outdir, serve: { vars: vars("wrangler.toml") } } };
  }
  if (!name.startsWith("wasm:")) throw new Error(`unknown variant ${name}`);
  // A copy of the product's upload with the module swapped.
  rmSync(outdir, { recursive: true, force: true });
  cpSync(shipped.outdir, outdir, { recursive: true });
  const file = readdirSync(outdir).find((f) => f.endsWith(".wasm"));
  copyFileSync(name.slice(5), path.join(outdir, file));
  return { name, upload: { ...shipped, outdir } };
});

const v8Flags = (process.env.V8FLAGS ?? "").split(" ").filter(Boolean);
const ratios = variants.map(() => ({ spawn: [], first: [] }));
for (let i = 0; i < N; i++) {
  const f = await coldStart(floor, "cold-floor", { v8Flags });
  for (const [k, v] of variants.entries()) {
    const r = await coldStart(v.upload, `cold-${k}`, { v8Flags });
    ratios[k].spawn.push(r.spawn_ms / f.spawn_ms);
    ratios[k].first.push(r.first_ms / f.first_ms);
  }
}
for (const [k, v] of variants.entries()) {
  const c = await compiledFunctions(v.upload, `cold-trace-${k}`);
  console.log(
    `${v.name}: over the floor, spawn to first 200 ${median(ratios[k].spawn).toFixed(3)}, first PATCH after listen ${median(ratios[k].first).toFixed(3)}; ` +
      `compiled ${c.before} at load, ${c.during} during the first PATCH (${c.during_bytes} body bytes, ${c.during_us} µs)`,
  );
}
