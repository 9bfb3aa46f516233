// The declaration files, checked by the pinned TypeScript compiler
// (tsc --noEmit): the client's (client/sync.d.ts, used as the README shows
// in tests/types/client.ts) and the RPC's (client/rpc.d.ts, used by the
// TypeScript consumer in examples/consumer). Appends "types <passed>
// <failed>" to argv[2].
import { spawnSync } from "node:child_process";
import { appendFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const tsc = path.join(root, "node_modules/.bin/tsc");
let passed = 0;
let failed = 0;
for (const [name, project] of [
  ["client_declarations", "tests/types/tsconfig.json"],
  ["consumer_uses_the_rpc_declarations", "examples/consumer/tsconfig.json"],
]) {
  const r = spawnSync(tsc, ["--noEmit", "-p", project], { cwd: root, encoding: "utf8" });
  if (r.status === 0) {
    passed += 1;
    console.log(`  ok   types.${name}`);
  } else {
    failed += 1;
    console.log(`  FAIL types.${name}: ${(r.stdout + r.stderr).trim()}`);
  }
}
console.log(`types: ${passed} passed, ${failed} failed`);
appendFileSync(process.argv[2], `types ${passed} ${failed}\n`);
process.exit(failed ? 1 : 0);
