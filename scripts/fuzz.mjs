// Runs every libFuzzer harness in build/fuzz for a bounded time each, with
// the committed seed corpus (tests/fuzz/corpus/<name>) plus a working corpus
// in build/fuzz/corpus/<name>. Reports executions and crashes, writes
// build/fuzz/report.json, and exits 1 on any crash. With a results file as
// argv[3], appends "fuzz <passed> <failed>" for make test's summary.
// Usage: node scripts/fuzz.mjs SECONDS [results-file]
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const seconds = Number(process.argv[2] ?? 60);
const results = process.argv[3];
const dir = path.join(root, "build/fuzz");
const harnesses = readdirSync(dir).filter((f) => /^fuzz_[a-z]+$/.test(f)).sort();
const report = [];
let passed = 0;
let failed = 0;

for (const h of harnesses) {
  const name = h.replace(/^fuzz_/, "");
  const work = path.join(dir, "corpus", name);
  const artifacts = path.join(dir, "artifacts");
  mkdirSync(work, { recursive: true });
  mkdirSync(artifacts, { recursive: true });
  const r = spawnSync(
    path.join(dir, h),
    [`-max_total_time=${seconds}`, "-print_final_stats=1", "-timeout=10", `-artifact_prefix=${artifacts}/${name}-`, work, path.join(root, "tests/fuzz/corpus", name)],
    { encoding: "utf8", maxBuffer: 1 << 28 },
  );
  const out = `${r.stdout}${r.stderr}`;
  const execs = Number(out.match(/stat::number_of_executed_units:\s*(\d+)/)?.[1] ?? 0);
  const cov = Number(out.match(/cov: (\d+)/g)?.pop()?.split(" ")[1] ?? 0);
  const crashed = r.status !== 0;
  report.push({ harness: name, seconds, execs, coverage_edges: cov, crashes: crashed ? 1 : 0 });
  if (crashed) {
    failed += 1;
    console.log(`  FAIL fuzz.${name}: exit ${r.status}\n${out.split("\n").filter((l) => /ERROR|property failed|SUMMARY|artifact/.test(l)).join("\n")}`);
  } else {
    passed += 1;
    console.log(`  ok   fuzz.${name}: ${execs} execs in ${seconds} s, ${cov} coverage edges, 0 crashes`);
  }
}
writeFileSync(path.join(dir, "report.json"), JSON.stringify(report, null, 2) + "\n");
console.log(`fuzz: ${passed} passed, ${failed} failed`);
if (results) appendFileSync(results, `fuzz ${passed} ${failed}\n`);
process.exit(failed ? 1 : 0);
