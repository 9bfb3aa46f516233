// `make size`: what the upload weighs and what is in the host module.
// Reads build/size.json (size-check.mjs), build/cw.wasm, and the link map and
// --why-extract report the link step writes (build/cw.map, build/cw.why).
// Function sizes come from the link map, so they are before wasm-opt.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { report } from "./wasm-size.mjs";

const root = path.resolve(import.meta.dirname, "..");
const b = (p) => path.join(root, "build", p);
const size = JSON.parse(readFileSync(b("size.json"), "utf8"));
const wasm = report(b("cw.wasm"));

// Code-section functions from the map: { input, name, bytes }.
function mapFunctions() {
  const out = [];
  let inCode = false;
  for (const line of readFileSync(b("cw.map"), "utf8").split("\n")) {
    const cols = line.trim().split(/\s+/);
    if (cols.length === 4 && /^[A-Z]+$/.test(cols[3])) inCode = cols[3] === "CODE";
    else if (inCode && cols.length === 4 && cols[3].includes(":(")) {
      const m = cols[3].match(/^(.*):\((.*)\)$/);
      if (m) out.push({ input: m[1], name: m[2], bytes: parseInt(cols[2], 16) });
    }
  }
  return out;
}

const short = (p) => p.replace(/^.*\/(lib[^/]*\.a\()/, "$1").replace(/^build\/wasm\//, "");
const funcs = mapFunctions();

// Which Jansson member defines each symbol (LTO merges them into lto.tmp).
const nm = execFileSync("sh", [path.join(root, "scripts/toolchain.sh"), "nm"], { encoding: "utf8" }).trim();
const owner = new Map();
let member = null;
for (const line of execFileSync(nm, ["--defined-only", b("wasm/libjansson.a")], { encoding: "utf8" }).split("\n")) {
  const head = line.match(/^(\S+\.o):$/);
  if (head) member = `libjansson.a(${head[1]})`;
  const sym = line.match(/^\S+ [tTdDbBrR] (\S+)$/);
  if (sym && member && !owner.has(sym[1])) owner.set(sym[1], member);
}
const objectOf = (f) => (f.input === "lto.tmp" ? owner.get(f.name) ?? "src (ours)" : short(f.input));

const bytesBy = new Map();
for (const f of funcs) bytesBy.set(objectOf(f), (bytesBy.get(objectOf(f)) ?? 0) + f.bytes);

const why = readFileSync(b("cw.why"), "utf8")
  .trim()
  .split("\n")
  .slice(1)
  .map((l) => l.split("\t"))
  .map(([ref, obj, sym]) => ({ ref: short(ref), obj: short(obj), sym }));

const kb = (n) => `${n}`.padStart(7);
console.log("== upload (wrangler deploy --dry-run, each file gzip -9)");
for (const f of size.core.files) console.log(`  ${f.kind.padEnd(9)} ${kb(f.raw_bytes)} raw ${kb(f.gzip_bytes)} gzip  ${f.file}`);
console.log(`  core      ${kb(size.core.raw_bytes)} raw ${kb(size.core.gzip_bytes)} gzip  (budget ${size.core.budget_gzip_bytes})`);
console.log("the plugins worker (plugins/wrangler.toml):");
for (const f of size.plugins_worker.files) console.log(`  ${f.kind.padEnd(9)} ${kb(f.raw_bytes)} raw ${kb(f.gzip_bytes)} gzip  ${f.file}`);
console.log(`  worker    ${kb(size.plugins_worker.raw_bytes)} raw ${kb(size.plugins_worker.gzip_bytes)} gzip  (budget ${size.plugins_worker.budget_gzip_bytes})`);
for (const p of size.plugins) console.log(`  plugin    ${kb(p.raw_bytes)} raw ${kb(p.gzip_bytes)} gzip  ${p.file} (budget ${p.budget_gzip_bytes})`);
if (size.wrangler_total) console.log(`  wrangler's whole-upload figure: ${size.wrangler_total.raw_kib} KiB / gzip ${size.wrangler_total.gzip_kib} KiB`);

console.log(`\n== build/cw.wasm: ${wasm.raw_bytes} bytes raw, ${wasm.gzip_bytes} gzip -9, ${wasm.functions} functions`);
console.log("sections:");
for (const s of wasm.sections) console.log(`  ${s.name.padEnd(12)} ${kb(s.bytes)}`);

console.log(`\nimports (${wasm.imports.length}, budget ${size.budget.max_host_imports}):`);
for (const i of wasm.imports) console.log(`  ${i.module}.${i.name}`);
if (!wasm.imports.length) console.log("  none");

console.log("\n20 largest functions (bytes before wasm-opt, from the link map):");
for (const f of [...funcs].sort((a, c) => c.bytes - a.bytes).slice(0, 20))
  console.log(`  ${kb(f.bytes)}  ${f.name.padEnd(28)} ${objectOf(f)}`);

console.log("\nlinked Jansson and libc objects (code bytes before wasm-opt; the symbol that pulled each in, and from where):");
const seen = new Set();
const dropped = [];
for (const w of why) {
  if (!/^lib(jansson|c|clang_rt)/.test(w.obj) || seen.has(w.obj)) continue;
  seen.add(w.obj);
  const bytes = bytesBy.get(w.obj) ?? 0;
  if (bytes) console.log(`  ${kb(bytes)}  ${w.obj.padEnd(26)} ${w.sym} <- ${w.ref}`);
  else dropped.push(w.obj.replace(/^lib(c|jansson)\.a\((.*)\.o\)$/, "$2"));
}
console.log(`  ${kb(bytesBy.get("src (ours)") ?? 0)}  src/ (ours, after LTO)`);
console.log(`\nextracted but then removed whole by --gc-sections (${dropped.length}): ${dropped.join(" ")}`);
