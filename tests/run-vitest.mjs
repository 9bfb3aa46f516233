// Runs the in-workerd vitest suites (without document tokens, then with
// them: tests/workerd/auth.vitest.config.mjs) and appends "workerd
// <passed> <failed>" to the results file given as argv[2].
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";

const results = process.argv[2];
let passed = 0;
let failed = 0;
for (const [name, config] of [
  ["vitest", "tests/workerd/vitest.config.mjs"],
  ["vitest-auth", "tests/workerd/auth.vitest.config.mjs"],
]) {
  const out = path.resolve(`build/${name}-report.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  const run = spawnSync("vitest", ["run", "--config", config, "--reporter=default", "--reporter=json", `--outputFile.json=${out}`], { stdio: "inherit" });
  try {
    const report = JSON.parse(readFileSync(out, "utf8"));
    passed += report.numPassedTests;
    failed += report.numFailedTests + (report.numTotalTests === 0 ? 1 : 0);
    if (run.status !== 0 && report.numFailedTests === 0) failed += 1; // a suite failed to load
  } catch {
    failed += 1; // no report: count the suite as one failure
  }
}
appendFileSync(results, `workerd ${passed} ${failed}\n`);
process.exit(failed === 0 ? 0 : 1);
