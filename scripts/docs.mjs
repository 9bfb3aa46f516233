// The docs' generated parts. Each lies between markers in a file of docs/
// (or README.md):
//   <!-- table:NAME -->   a table printed by build/host/doctables from the
//   ...                   C definitions (scripts/doctables.c): env, errors,
//   <!-- /table -->       routes, frames, metrics; and budgets, from scripts/budget.json
//   <!-- bench:latest -->  bench/results/latest.md, as `make bench` wrote it
//   ...
//   <!-- /bench -->
//   <!-- bench:summary --> the README's few figures, from bench/results/latest.json
//   ...
//   <!-- /bench -->
//
//   node scripts/docs.mjs <doctables>                 rewrites them in place (make docs)
//   node scripts/docs.mjs <doctables> --check <file>  changes nothing: fails where a part
//                                                     differs, or a table is in no file,
//                                                     and appends "docs <passed> <failed>"
import { execFileSync } from "node:child_process";
import { appendFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const [bin, mode, results] = process.argv.slice(2);
const check = mode === "--check";

// "@@ NAME" starts each table in the program's output.
const tables = new Map();
let name = null;
for (const line of execFileSync(bin, { encoding: "utf8" }).split("\n")) {
  if (line.startsWith("@@ ")) tables.set((name = line.slice(3).trim()), []);
  else if (name) tables.get(name).push(line);
}
for (const [k, v] of tables) tables.set(k, v.join("\n").trim());
const latest = readFileSync(path.join(root, "bench/results/latest.md"), "utf8").trim();
const j = JSON.parse(readFileSync(path.join(root, "bench/results/latest.json"), "utf8"));
const kib = (b) => (b / 1024).toFixed(1);
const cold = (v) => j.cold_start.end_to_end_ms[v].median;
const fan = (v) => j.fanout[v]["64"];
const summary = [
  `| measured by \`make bench\` (${j.generated_at.slice(0, 10)}, ${j.machine.cores} cores) | this (C) | plain JS, same design | Agents SDK |`,
  "| --- | ---: | ---: | ---: |",
  `| core upload, gzip (KiB) | ${kib(j.size.this.gzip_bytes)} | ${kib(j.size.js.gzip_bytes)} | ${kib(j.size.agents.gzip_bytes)} |`,
  `| cold start in workerd, spawn to first 200 PATCH (ms, median) | ${cold("this")} | ${cold("js")} | ${cold("agents")} |`,
  `| bytes per change per subscriber, 64 KB state, 64 sockets | ${fan("this").bytes_per_change} | ${fan("js").bytes_per_change} | ${fan("agents").bytes_per_change} |`,
  `| changes/s to all 64 subscribers | ${fan("this").changes_per_s} | ${fan("js").changes_per_s} | ${fan("agents").changes_per_s} |`,
  `| one-leaf nested PATCH in the object, 1 MB / 64 MiB document (µs) | ${j.deep.this.patch_us["1m"]} / ${j.deep.this.patch_us["64m"]} | ${j.deep.js.patch_us["1m"]} / ${j.deep.js.patch_us["64m"] ?? "cannot hold it"} | – |`,
].join("\n");
// scripts/budget.json, the one place for the size and import budgets.
const budget = JSON.parse(readFileSync(path.join(root, "scripts/budget.json"), "utf8"));
const bytes = (n) => `${n.toLocaleString("en-US")} B (${n % 1024 ? (n / 1024).toFixed(1) : n / 1024} KiB)`;
tables.set(
  "budgets",
  [
    "| budget (`scripts/budget.json`) | gzip -9 |",
    "| --- | ---: |",
    `| the core upload: the bundled JS and the host module | ${bytes(budget.core_gzip_bytes)} |`,
    `| each plugin module | ${bytes(budget.plugin_gzip_bytes)} |`,
    `| the plugins worker, without its plugins | ${bytes(budget.plugins_worker_gzip_bytes)} |`,
    `| the client core, \`sync.js\` as served | ${bytes(budget.client_gzip_bytes)} |`,
    `| the offline module, \`persist.js\` as served | ${bytes(budget.persist_gzip_bytes)} |`,
    `| the example app: \`app.js\`, \`index.html\`, \`sw.js\` | ${bytes(budget.app_gzip_bytes)} |`,
    `| host imports of the module, at most | ${budget.max_host_imports} (${budget.host_imports.map((i) => `\`${i}\``).join(", ")}) |`,
  ].join("\n"),
);
const benches = { latest, summary };

const files = ["README.md", ...readdirSync(path.join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
const marker = /<!-- (table|bench):([a-z-]+) -->\n([\s\S]*?)<!-- \/\1 -->/g;
const used = new Set();
let passed = 0;
let failed = 0;
const report = (ok, what) => {
  console.log(`  ${ok ? "ok  " : "FAIL"} docs.${what}`);
  ok ? (passed += 1) : (failed += 1);
};

for (const file of files) {
  const text = readFileSync(path.join(root, file), "utf8");
  const out = text.replace(marker, (whole, kind, key, body) => {
    const want = kind === "table" ? tables.get(key) : benches[key];
    if (want === undefined) {
      report(false, `${file}: no ${kind} named ${key}`);
      return whole;
    }
    used.add(`${kind}:${key}`);
    if (check) report(body.trim() === want, `${file}_${kind}_${key}_matches_${kind === "table" ? "the_code" : "the_bench"}${body.trim() === want ? "" : ": differs; run make docs and read the diff"}`);
    return `<!-- ${kind}:${key} -->\n${want}\n<!-- /${kind} -->`;
  });
  if (!check && out !== text) {
    writeFileSync(path.join(root, file), out);
    console.log(`docs: wrote ${file}`);
  }
}
for (const key of tables.keys()) report(used.has(`table:${key}`), `table_${key}_is_in_the_docs`);

// Every relative link of these files names a file that exists and, after
// a #, a heading of it (GitHub's anchors: lower case, punctuation dropped,
// spaces to hyphens).
const headings = new Map(); // file -> its anchors, read once
const anchors = (file) => {
  if (!headings.has(file)) {
    const text = readFileSync(file, "utf8").replace(/```[\s\S]*?```/g, "");
    headings.set(file, new Set([...text.matchAll(/^#+ (.*)$/gm)].map(([, h]) => h.trim().toLowerCase().replace(/[^\p{L}\p{N}_\- ]/gu, "").replace(/ /g, "-"))));
  }
  return headings.get(file);
};
const broken = [];
for (const file of files) {
  const text = readFileSync(path.join(root, file), "utf8").replace(/```[\s\S]*?```/g, "");
  for (const [, link] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/.test(link)) continue;
    const [target, anchor] = link.split("#");
    const full = target ? path.resolve(path.dirname(path.join(root, file)), target) : path.join(root, file);
    if (!existsSync(full)) broken.push(`${file}: ${link} (no such file)`);
    else if (anchor && full.endsWith(".md") && !anchors(full).has(anchor)) broken.push(`${file}: ${link} (no such heading)`);
  }
}
report(broken.length === 0, `links_resolve${broken.length ? `:\n       ${broken.join("\n       ")}` : ""}`);
for (const key of Object.keys(benches)) report(used.has(`bench:${key}`), `bench_${key}_is_in_the_docs`);

if (check) {
  console.log(`docs: ${passed} passed, ${failed} failed`);
  appendFileSync(results, `docs ${passed} ${failed}\n`);
}
process.exit(failed === 0 ? 0 : 1);
