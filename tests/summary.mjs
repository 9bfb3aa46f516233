// Sums the per-suite lines "<suite> <passed> <failed>" and prints the one
// closing line for `make test`. A suite that never reported counts as failed.
import { existsSync, readFileSync } from "node:fs";

const file = process.argv[2];
const expected = ["structure", "docs", "c", "budget", "memory", "host", "client", "deploy", "fuzz", "workerd", "e2e", "browser", "types", "scaffold", "devstart"];
const lines = existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").filter(Boolean) : [];
let passed = 0;
let failed = 0;
const seen = new Set();
for (const line of lines) {
  const [suite, p, f] = line.split(" ");
  seen.add(suite);
  passed += Number(p);
  failed += Number(f);
}
for (const suite of expected) {
  if (!seen.has(suite)) {
    console.log(`suite ${suite} did not report`);
    failed += 1;
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
