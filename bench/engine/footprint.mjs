// The module's code a warm request runs: which wasm functions, and how many
// bytes of function bodies, one request of each kind runs once the object
// is warm. A request's cost in workerd grows with what it brings into the
// CPU's caches, not only with what it computes (docs/performance.md, "Each
// part costs what plain JS's does"), and this is the deterministic part of
// that footprint: no sampling, no noise.
//   make build/cw.named.wasm && node --experimental-vm-modules bench/engine/footprint.mjs
// build/cw.named.wasm is the shipped module with its functions' names (the
// tool checks that its code is the shipped code). Each function's entry and
// loops are instrumented (wasm-opt --log-execution), and the upload as
// shipped runs over the instrumented module in bench/engine/host.mjs: a
// 1 KB state; for each of GET /health, a GET and a PATCH (return=minimal)
// of the state, 50 warm-up requests of that kind, then one recorded. Prints,
// per request, the functions run and their bytes, the largest first (TOP,
// 12 by default).
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { evaluate, readUpload, worker } from "./host.mjs";
import { parse } from "../../scripts/wasm-size.mjs";
import { root, uploadOf, vars, VARIANTS } from "../lib/variants.mjs";

const TOP = Number(process.env.TOP ?? 12);
const dir = path.join(root, "build/bench/footprint");
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });

const upload = uploadOf("this");
const shippedFile = readdirSync(upload.outdir).find((f) => f.endsWith("-cw.wasm"));
const shipped = parse(readFileSync(path.join(upload.outdir, shippedFile)));
const named = parse(readFileSync(path.join(root, "build/cw.named.wasm")));
if (!named.code || Buffer.compare(named.code, shipped.code) !== 0)
  throw new Error("build/cw.named.wasm's code is not the shipped module's: make build/cw.named.wasm");
// Function indices count the imported functions first.
const size = (index) => named.bodies[index - named.importedFuncs];

// Instrumented: each function's entry and loops call log_execution(id).
// wasm-opt reads the module's features from its target_features section.
const logged = path.join(dir, "cw.log.wasm");
execFileSync("wasm-opt", ["-g", "--log-execution", path.join(root, "build/cw.named.wasm"), "-o", logged]);
const wat = execFileSync("wasm-opt", ["-g", logged, "--print", "-o", "/dev/null"], { maxBuffer: 1 << 28 }).toString();
const log = /\(import "[^"]*" "log_execution" \(func \$(\S+)/.exec(wat)?.[1];
if (!log) throw new Error("wasm-opt --log-execution added no log_execution import");
const owner = new Map(); // id -> the function (its name) that logs it
let current = null;
let pending = false;
for (const line of wat.split("\n")) {
  const f = /^ \(func \$(\S+)/.exec(line);
  if (f) current = f[1];
  else if (line.trim() === `(call $${log}`) pending = true;
  else if (pending) {
    const c = /\(i32\.const (\d+)\)/.exec(line);
    if (c) owner.set(Number(c[1]), current);
    pending = false;
  }
}
const indexOf = new Map([...named.names].map(([i, n]) => [n.replace(/[^\x21-\x7e]/g, ""), i]));

// The upload as shipped, over the instrumented module.
const out = path.join(dir, "upload");
cpSync(upload.outdir, out, { recursive: true });
writeFileSync(path.join(out, shippedFile), readFileSync(logged));
let hits = new Set();
const Instance = WebAssembly.Instance;
WebAssembly.Instance = class extends Instance {
  constructor(module, imports) {
    const extra = WebAssembly.Module.imports(module).filter((i) => i.name === "log_execution");
    const withLog = { ...imports };
    for (const i of extra) withLog[i.module] = { ...withLog[i.module], log_execution: (id) => hits.add(id) };
    super(module, withLog);
  }
};
console.log = () => {}; // the worker's log lines
const w = worker(await evaluate(readUpload(out), "this"), { vars: vars(VARIANTS.this.config), objects: { [VARIANTS.this.object[0]]: VARIANTS.this.object[1] } });
let n = 0;
const requests = {
  "GET /health": () => new Request("http://bench/health"),
  "GET /state/w1k": () => new Request("http://bench/state/w1k"),
  "PATCH /state/w1k (return=minimal)": () =>
    new Request("http://bench/state/w1k", {
      method: "PATCH",
      headers: { "content-type": "application/merge-patch+json", prefer: "return=minimal" },
      body: `{"k000001":"${String(++n).padStart(80, "0")}","n":${n}}`,
    }),
};
const send = async (request) => {
  const res = await w.fetch(request);
  await res.text();
  if (res.status !== 200) throw new Error(`${request.method} ${request.url}: ${res.status}`);
};
await send(new Request("http://bench/state/w1k", { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${String(i).padStart(6, "0")}`, "v".repeat(88)]))) }));
// Each kind warmed by its own kind, as the bench's warm phases run them
// (a GET after GETs answers the body the object holds).
for (const [label, make] of Object.entries(requests)) {
  for (let i = 0; i < 50; i++) await send(make());
  hits = new Set();
  await send(make());
  const fns = [...new Set([...hits].map((id) => owner.get(id)))].map((name) => ({ name, bytes: size(indexOf.get(name)) ?? 0 }));
  fns.sort((a, b) => b.bytes - a.bytes);
  const bytes = fns.reduce((s, f) => s + f.bytes, 0);
  process.stdout.write(`${label}: ${fns.length} functions, ${bytes} bytes of bodies; the largest: ${fns.slice(0, TOP).map((f) => `${f.name} ${f.bytes}`).join(", ")}\n`);
}
