// Runs the in-workerd vitest suite and appends "workerd <passed> <failed>"
// to the results file given as argv[2].
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";

const results = process.argv[2];
const out = path.resolve("build/vitest-report.json");
mkdirSync(path.dirname(out), { recursive: true });
const run = spawnSync(
  "vitest",
  ["run", "--config", "tests/workerd/vitest.config.mjs", "--reporter=default", "--reporter=json", `--outputFile.json=${out}`],
  { stdio: "inherit" },
);
let passed = 0;
let failed = 1;
try {
  const report = JSON.parse(readFileSync(out, "utf8"));
  passed = report.numPassedTests;
  failed = report.numFailedTests + (report.numTotalTests === 0 ? 1 : 0);
  if (run.status !== 0 && failed === 0) failed = 1; // a suite failed to load
} catch {
  // no report: count the whole suite as one failure
}
appendFileSync(results, `workerd ${passed} ${failed}\n`);
process.exit(failed === 0 ? 0 : 1);
