// The cold-start levers (issue 15), before and after, with today's harness:
// each commit given is built in a worktree under build/levers/, its core
// upload (wrangler deploy --dry-run) served by workerd from a compiled
// config, with the plain-JS baseline alternating beside it.
//
//   node bench/levers.mjs [label=commit ...]
//
// Per commit: the core upload's gzip bytes; spawn to the first 200 PATCH
// and the first PATCH alone after the socket listens (median of N paired
// runs, and the ratio to plain JS); the wasm functions V8 compiled at
// script load and for the first GET /health and the first PATCH. Writes
// bench/results/levers.json and prints a table. The plugins worker, where a
// commit has one, is not served: no plugin is used on these paths.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { dryRun } from "../scripts/size-check.mjs";
import { coldStart, compiledFunctions } from "./lib/serve.mjs";
import { root, upload, vars } from "./lib/variants.mjs";

const N = Math.max(10, Number(process.env.N ?? 30));
const DEFAULT = [
  "before=569dfdb", // issue 11's engine, before any lever
  "lever2=805ef95", // JSON written without Jansson's dump and object model
  "lever1=b4ba366", // plugins in a worker of their own
  "before4=fe11e7b", // live sync and its client added
  "lever4=ec81446", // thinner glue: arrayBuffer() reads, one encoder
  "now=HEAD",
];
const specs = (process.argv.length > 2 ? process.argv.slice(2) : DEFAULT).map((s) => s.split("="));
const git = (...a) => execFileSync("git", a, { cwd: root, encoding: "utf8" }).trim();
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const r3 = (x) => Number(x.toFixed(3));

// Builds a commit in its own worktree (Jansson copied from this tree; its
// make setup installs its own npm packages) and returns its dry-run upload.
function build(label, commit) {
  const sha = git("rev-parse", "--short", commit);
  const dir = path.join(root, "build/levers", sha);
  if (!existsSync(dir)) {
    git("worktree", "add", "--detach", "-f", dir, sha);
    mkdirSync(path.join(dir, "build"), { recursive: true });
    cpSync(path.join(root, "build/third_party"), path.join(dir, "build/third_party"), { recursive: true });
  }
  // An interim commit may be over its size budget: the check runs after
  // everything is built, so its upload is measured all the same.
  const made = spawnSync("make", ["--no-print-directory", "-s", "build"], { cwd: dir, encoding: "utf8", env: { ...process.env, CI: "" } });
  if (made.status !== 0 && !/BUDGET EXCEEDED/.test(made.stdout + made.stderr)) throw new Error(`${label}: make build failed\n${made.stderr}`);
  const outdir = path.join(root, "build/levers/upload", label);
  const { files } = dryRun(path.join(dir, "wrangler.toml"), outdir);
  return { sha, outdir, serve: { vars: vars(path.relative(root, path.join(dir, "wrangler.toml"))) }, gzip_bytes: files.filter((f) => f.kind === "js" || f.kind === "host_wasm").reduce((s, f) => s + f.gzip_bytes, 0) };
}

const js = upload("js");
const rows = [];
for (const [label, commit] of specs) {
  const u = build(label, commit);
  const ours = { spawn: [], first: [] };
  const base = { spawn: [], first: [] };
  const ratio = { spawn: [], first: [] };
  for (let i = 0; i < N; i++) {
    const order = i % 2 ? ["js", "ours"] : ["ours", "js"];
    const got = {};
    for (const who of order) got[who] = await coldStart(who === "js" ? js : u, `levers-${label}-${who}-${i}`);
    for (const k of ["spawn", "first"]) {
      ours[k].push(got.ours[`${k}_ms`]);
      base[k].push(got.js[`${k}_ms`]);
      ratio[k].push(got.ours[`${k}_ms`] / got.js[`${k}_ms`]);
    }
  }
  const health = await compiledFunctions(u, `levers-${label}-trace-health`, { path: "/health", method: "GET" });
  const patch = await compiledFunctions(u, `levers-${label}-trace-patch`);
  const row = {
    label,
    commit: u.sha,
    core_gzip_bytes: u.gzip_bytes,
    spawn_ms: r3(median(ours.spawn)),
    js_spawn_ms: r3(median(base.spawn)),
    spawn_ratio: r3(median(ratio.spawn)),
    first_ms: r3(median(ours.first)),
    js_first_ms: r3(median(base.first)),
    first_ratio: r3(median(ratio.first)),
    compiled: { at_load: patch.before, health: health.during, patch: patch.during },
  };
  rows.push(row);
  console.error(JSON.stringify(row));
}
writeFileSync(path.join(root, "bench/results/levers.json"), JSON.stringify({ measured_at: new Date().toISOString(), runs: N, rows }, null, 2) + "\n");
console.log("| step | commit | core gzip B | spawn to 200 ms (JS) | ratio | first PATCH after listen ms (JS) | ratio | wasm functions compiled: load / GET /health / PATCH |");
console.log("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const r of rows)
  console.log(`| ${r.label} | ${r.commit} | ${r.core_gzip_bytes} | ${r.spawn_ms} (${r.js_spawn_ms}) | ${r.spawn_ratio} | ${r.first_ms} (${r.js_first_ms}) | ${r.first_ratio} | ${r.compiled.at_load} / ${r.compiled.health} / ${r.compiled.patch} |`);
