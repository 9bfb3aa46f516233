// `make plugin NAME=x` from a copy of the working tree: it scaffolds,
// registers, builds within budget, and its generated test passes in workerd;
// a second run and a bad name are refused. Appends "scaffold <passed>
// <failed>" to the results file given as argv[2].
import { execFileSync, spawnSync } from "node:child_process";
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const results = process.argv[2];
const work = mkdtempSync(path.join(tmpdir(), "cw-scaffold-"));
let passed = 0;
let failed = 0;

function check(name, ok, detail = "") {
  if (ok) passed++;
  else failed++;
  console.log(`  ${ok ? "ok  " : "FAIL"} scaffold.${name}${ok || !detail ? "" : `\n${detail}`}`);
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: work, encoding: "utf8", env: { ...process.env, MAKEFLAGS: "" } });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}`.slice(-3000) };
}

try {
  // The tracked files as they are now, plus what is fetched or built, so
  // only what the new plugin changes is rebuilt.
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: root, encoding: "utf8" })
    .split("\0")
    .filter((f) => f && existsSync(path.join(root, f)));
  for (const f of files) {
    mkdirSync(path.dirname(path.join(work, f)), { recursive: true });
    cpSync(path.join(root, f), path.join(work, f), { preserveTimestamps: true });
  }
  symlinkSync(path.join(root, "node_modules"), path.join(work, "node_modules"));
  mkdirSync(path.join(work, "build"));
  symlinkSync(path.join(root, "build/third_party"), path.join(work, "build/third_party"));
  for (const d of ["wasm", "test", "gen", "plugins"])
    if (existsSync(path.join(root, "build", d)))
      cpSync(path.join(root, "build", d), path.join(work, "build", d), { recursive: true, preserveTimestamps: true });

  const made = run("make", ["--no-print-directory", "plugin", "NAME=hello"]);
  check("make plugin builds within budget", made.ok && /size: core upload/.test(made.out), made.out);
  check("registered in plugins/manifest", /^hello\s+route\s+>=0\.1\.0 <1\.0\.0$/m.test(readFileSync(path.join(work, "plugins/manifest"), "utf8")));
  check("its own module", existsSync(path.join(work, "build/plugins/hello.plugin.wasm")));
  const built = run("make", ["--no-print-directory", "test-build"]);
  const vitest = built.ok && run("vitest", ["run", "--config", "tests/workerd/vitest.config.mjs", "tests/workerd/plugin_hello.test.js"]);
  check("the generated test passes", built.ok && vitest.ok && /2 passed/.test(vitest.out), built.ok ? vitest.out : built.out);
  const again = run("make", ["--no-print-directory", "plugin", "NAME=hello"]);
  check("a second scaffold of the same name is refused", !again.ok && /already exists/.test(again.out), again.out);
  const bad = run("make", ["--no-print-directory", "plugin", "NAME=Bad-Name"]);
  check("a bad name is refused", !bad.ok && /NAME must be/.test(bad.out), bad.out);
} catch (e) {
  check("setup", false, String(e?.stack ?? e));
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(`scaffold: ${passed} passed, ${failed} failed`);
if (results) appendFileSync(results, `scaffold ${passed} ${failed}\n`);
process.exit(failed ? 1 : 0);
