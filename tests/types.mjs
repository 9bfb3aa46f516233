// The declaration files, checked by the pinned TypeScript compiler
// (tsc --noEmit): the client's (client/sync.d.ts, used as docs/client.md shows
// in tests/types/client.ts) and the RPC's (client/rpc.d.ts, used by the
// TypeScript consumer in examples/consumer); and client/ as an npm
// package: packed with npm pack, installed from the tarball into a scratch
// project (no registry), imported by its export paths in Node, and a
// TypeScript consumer of it (tests/types/package.ts) type-checked. Appends
// "types <passed> <failed>" to argv[2].
import { spawnSync } from "node:child_process";
import { appendFileSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
// The README's own snippets ("Ten lines of client", "Ten lines of RPC"),
// taken from README.md as they are written, type-checked against the
// declarations: a README that calls something the client or the binding
// does not have fails here.
{
  const readme = readFileSync(path.join(root, "README.md"), "utf8");
  const block = (heading) => {
    const at = readme.indexOf(`## ${heading}`);
    const m = at < 0 ? null : /```js\n([\s\S]*?)```/.exec(readme.slice(at));
    return m ? m[1] : null;
  };
  const client = block("Ten lines of client");
  const rpc = block("Ten lines of RPC");
  const dir = path.join(root, "build/readme-types");
  mkdirSync(dir, { recursive: true });
  if (client && rpc) {
    const imports = client.split("\n").filter((l) => l.startsWith("import "));
    writeFileSync(
      path.join(dir, "readme.ts"),
      [
        ...imports,
        'import type { StateSync } from "../../client/rpc";',
        "declare const id: string;",
        "declare function render(state: unknown): void;",
        "declare function showCursors(peers: unknown): void;",
        "export async function client() {",
        ...client.split("\n").filter((l) => !l.startsWith("import ")),
        "}",
        "export async function rpc(env: { STATE_SYNC: StateSync }) {",
        rpc,
        "}",
      ].join("\n"),
    );
    writeFileSync(
      path.join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { target: "es2022", module: "es2022", moduleResolution: "bundler", lib: ["es2022", "dom"], types: [], strict: true, noEmit: true, paths: { "@c-on-workers/client": ["../../client/sync"] } },
        include: ["readme.ts", "../../client/*.d.ts"],
      }),
    );
  }
  const r = client && rpc ? spawnSync(tsc, ["--noEmit", "-p", path.join(dir, "tsconfig.json")], { cwd: root, encoding: "utf8" }) : { status: 1, stdout: "README.md has no js block under one of its two headings" };
  if (r.status === 0) {
    passed += 1;
    console.log("  ok   types.readme_snippets_type_check");
  } else {
    failed += 1;
    console.log(`  FAIL types.readme_snippets_type_check: ${((r.stdout ?? "") + (r.stderr ?? "")).trim()}`);
  }
}

// client/ as a package.
function sh(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: exit ${r.status}: ${(r.stdout + r.stderr).trim().slice(-2000)}`);
  return r.stdout;
}
try {
  const scratch = path.join(root, "build/package-test");
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  const packed = JSON.parse(sh("npm", ["pack", "--json", "--pack-destination", scratch, path.join(root, "client")], root))[0];
  const files = packed.files.map((f) => f.path).sort();
  const want = ["order.d.ts", "order.js", "package.json", "persist.d.ts", "persist.js", "rpc.d.ts", "sync.d.ts", "sync.js"];
  if (JSON.stringify(files) !== JSON.stringify(want)) throw new Error(`the package holds ${files.join(", ")}, not ${want.join(", ")}`);
  writeFileSync(path.join(scratch, "package.json"), JSON.stringify({ name: "scratch", private: true, type: "module" }));
  sh("npm", ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", path.join(scratch, packed.filename)], scratch);
  const probe = `
    const sync = await import("@c-on-workers/client");
    const order = await import("@c-on-workers/client/order");
    const persist = await import("@c-on-workers/client/persist");
    const ok = [sync.connect, sync.merge, sync.diff, order.keyBetween, order.ordered, persist.offline, persist.indexedDBStore, persist.memoryStore].every((f) => typeof f === "function");
    const k = order.keyBetween(null, null);
    if (!ok || !(order.keyBetween(k, null) > k)) throw new Error("exports");
    // ./rpc is declarations only: no code to import.
    const rpc = await import("@c-on-workers/client/rpc").then(() => "imported", (e) => e.code);
    if (rpc !== "ERR_PACKAGE_PATH_NOT_EXPORTED") throw new Error("./rpc: " + rpc);
    console.log("imported");`;
  if (sh(process.execPath, ["--input-type=module", "-e", probe], scratch).trim() !== "imported") throw new Error("the package did not import");
  copyFileSync(path.join(root, "tests/types/package.ts"), path.join(scratch, "consumer.ts"));
  writeFileSync(
    path.join(scratch, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { target: "es2022", module: "nodenext", moduleResolution: "nodenext", lib: ["es2022", "dom"], types: [], strict: true, noEmit: true }, files: ["consumer.ts"] }),
  );
  sh(tsc, ["--noEmit", "-p", "tsconfig.json"], scratch);
  passed += 1;
  console.log(`  ok   types.client_package_packs_installs_imports_and_type_checks (${packed.size} bytes packed, ${files.length} files)`);
} catch (e) {
  failed += 1;
  console.log(`  FAIL types.client_package_packs_installs_imports_and_type_checks: ${e.message}`);
}

console.log(`types: ${passed} passed, ${failed} failed`);
appendFileSync(process.argv[2], `types ${passed} ${failed}\n`);
process.exit(failed ? 1 : 0);
