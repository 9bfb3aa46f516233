// Budget tests: the host module's imports and the upload size, measured the
// way they ship. Appends "budget <passed> <failed>" to the file in argv[2].
import { spawnSync } from "node:child_process";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { measure, violations } from "../scripts/size-check.mjs";
import { readManifest } from "../scripts/plugins.mjs";
import { parse } from "../scripts/wasm-size.mjs";

const root = path.resolve(import.meta.dirname, "..");
const budget = JSON.parse(readFileSync(path.join(root, "scripts/budget.json"), "utf8"));
let passed = 0;
let failed = 0;

function test(name, fn) {
  try {
    fn();
    passed += 1;
    console.log(`  ok   budget.${name}`);
  } catch (e) {
    failed += 1;
    console.log(`  FAIL budget.${name}: ${e.message}`);
  }
}

const imports = parse(readFileSync(path.join(root, "build/cw.wasm"))).imports.map((i) => `${i.module}.${i.name}`);

test("host_imports_are_exactly_the_allowed_list", () => {
  const extra = imports.filter((i) => !budget.host_imports.includes(i));
  if (extra.length) throw new Error(`new import(s): ${extra.join(", ")}; update scripts/budget.json and worker/bridge.js deliberately`);
  const gone = budget.host_imports.filter((i) => !imports.includes(i));
  if (gone.length) throw new Error(`allowed but no longer imported (tighten scripts/budget.json): ${gone.join(", ")}`);
});

test("host_imports_at_most_two", () => {
  if (imports.length > budget.max_host_imports || budget.max_host_imports > 2)
    throw new Error(`${imports.length} imports, limit ${budget.max_host_imports} (issue limit 2)`);
});

const m = measure();

test("core_upload_within_budget", () => {
  const bad = violations(m).filter((v) => v.startsWith("core"));
  if (bad.length) throw new Error(bad.join("; "));
  if (!m.core.files.some((f) => f.kind === "js") || !m.core.files.some((f) => f.kind === "host_wasm"))
    throw new Error("core upload must count the bundled JS and the host wasm");
  console.log(`       core upload ${m.core.gzip_bytes} / ${m.budget.core_gzip_bytes} bytes gzip -9`);
});

test("plugins_and_the_plugins_worker_within_budget", () => {
  const bad = violations(m).filter((v) => v.startsWith("plugin") || v.startsWith("the contract"));
  if (bad.length) throw new Error(bad.join("; "));
  console.log(`       plugins worker: ${m.plugins_worker.gzip_bytes} / ${m.budget.plugins_worker_gzip_bytes} bytes gzip -9 (JS and contract module)`);
});

test("the_live_client_its_offline_module_and_the_example_app_within_budget", () => {
  const bad = violations(m).filter((v) => v.startsWith("client") || v.startsWith("the example app"));
  if (bad.length) throw new Error(bad.join("; "));
  console.log(`       client/sync.js as served ${m.client.gzip_bytes} / ${m.budget.client_gzip_bytes}, client/persist.js ${m.persist.gzip_bytes} / ${m.budget.persist_gzip_bytes}, the example app ${m.app.gzip_bytes} / ${m.budget.app_gzip_bytes} bytes gzip -9`);
});

// An unused plugin costs the C worker's cold start nothing: no plugin
// module, nor the contract module, is in its upload (measure() refuses
// anything but its JS and the host wasm), and the host module has no
// contract export.
test("the_core_upload_carries_no_plugin", () => {
  if (m.core.files.some((f) => f.kind !== "js" && f.kind !== "host_wasm")) throw new Error("a module beside the host wasm");
  const host = new WebAssembly.Module(readFileSync(path.join(root, "build/cw.wasm")));
  if (WebAssembly.Module.exports(host).some((e) => e.name === "cw_plugin_check")) throw new Error("the contract check is in the host module");
});

test("each_manifest_plugin_ships_as_its_own_module_and_test_plugins_do_not", () => {
  const shipped = m.plugins.map((p) => p.file.replace(/^[0-9a-f]+-/, "")).sort();
  const names = readManifest(path.join(root, "plugins/manifest")).map((e) => `${e.name}.plugin.wasm`).sort();
  if (JSON.stringify(shipped) !== JSON.stringify(names)) throw new Error(`upload has ${shipped}, manifest lists ${names}`);
  for (const p of m.plugins) if (p.imports.length) throw new Error(`${p.file} imports ${p.imports}`);
  const host = new WebAssembly.Module(readFileSync(path.join(root, "build/cw.wasm")));
  if (WebAssembly.Module.exports(host).some((e) => e.name.startsWith("cwp_"))) throw new Error("plugin exports in the host module");
  console.log(`       plugins: ${m.plugins.map((p) => `${p.file.replace(/^[0-9a-f]+-/, "")} ${p.gzip_bytes}`).join(", ")} bytes gzip -9`);
});

test("wrangler_reports_the_whole_upload", () => {
  if (!m.wrangler_total || !(m.wrangler_total.gzip_kib > 0)) throw new Error("no 'Total Upload' line from wrangler");
});

// POST /__test/trap/unreachable through the worker as shipped with the
// given module (tests/host/workers.mjs, one module per process): the
// status it answers.
function trapRoute(wasm) {
  const script = `import { host } from ${JSON.stringify(path.join(root, "tests/host/workers.mjs"))};
console.log = console.error = () => {};
const h = await host({ wasm: ${JSON.stringify(wasm)} });
const r = await h.fetch(new Request("http://host/__test/trap/unreachable", { method: "POST" }));
process.stdout.write(String(r.status));`;
  const r = spawnSync(process.execPath, ["--no-warnings", "--input-type=module", "-e", script], { encoding: "utf8" });
  return Number(r.stdout);
}

test("production_build_has_no_test_routes", () => {
  const status = trapRoute(path.join(root, "build/cw.wasm"));
  if (status !== 404) throw new Error(`production build answered ${status} on the trap route`);
  if (readFileSync(path.join(root, "build/cw.wasm")).includes("__test")) throw new Error("test route string in build/cw.wasm");
  // ...while the test build has it (so the check above is meaningful): the
  // module traps, and the glue answers 500.
  const test = trapRoute(path.join(root, "build/test/cw.wasm"));
  if (test !== 500) throw new Error(`the test build should trap on the trap route (answered ${test})`);
});

test("build_fails_when_over_budget", () => {
  const tight = path.join(root, "build/budget-tight.json");
  writeFileSync(tight, JSON.stringify({ ...budget, core_gzip_bytes: 1000 }));
  const r = spawnSync(process.execPath, [path.join(root, "scripts/size-check.mjs")], {
    cwd: root,
    env: { ...process.env, CW_BUDGET_FILE: tight },
    encoding: "utf8",
  });
  if (r.status !== 1 || !/BUDGET EXCEEDED: core upload/.test(r.stderr)) throw new Error(`exit ${r.status}: ${r.stderr}`);
  writeFileSync(tight, JSON.stringify({ ...budget, plugin_gzip_bytes: 4000 }));
  const p = spawnSync(process.execPath, [path.join(root, "scripts/size-check.mjs")], {
    cwd: root,
    env: { ...process.env, CW_BUDGET_FILE: tight },
    encoding: "utf8",
  });
  if (p.status !== 1 || !/schema\.plugin\.wasm is \d+ bytes gzip, over the 4000-byte budget/.test(p.stderr))
    throw new Error(`plugin budget: exit ${p.status}: ${p.stderr}`);
  writeFileSync(tight, JSON.stringify({ ...budget, client_gzip_bytes: 1000 }));
  const c = spawnSync(process.execPath, [path.join(root, "scripts/size-check.mjs")], {
    cwd: root,
    env: { ...process.env, CW_BUDGET_FILE: tight },
    encoding: "utf8",
  });
  if (c.status !== 1 || !/client\/sync\.js is \d+ bytes gzip, over the 1000-byte budget/.test(c.stderr)) throw new Error(`client budget: exit ${c.status}: ${c.stderr}`);
  for (const [key, what] of [["persist_gzip_bytes", /client\/persist\.js is \d+ bytes gzip, over the 100-byte budget/], ["app_gzip_bytes", /the example app \(app\.js, index\.html, sw\.js\) is \d+ bytes gzip, over the 100-byte budget/]]) {
    writeFileSync(tight, JSON.stringify({ ...budget, [key]: 100 }));
    const r = spawnSync(process.execPath, [path.join(root, "scripts/size-check.mjs")], { cwd: root, env: { ...process.env, CW_BUDGET_FILE: tight }, encoding: "utf8" });
    if (r.status !== 1 || !what.test(r.stderr)) throw new Error(`${key}: exit ${r.status}: ${r.stderr}`);
  }
  const ok = spawnSync(process.execPath, [path.join(root, "scripts/size-check.mjs")], { cwd: root, encoding: "utf8" });
  if (ok.status !== 0) throw new Error(`the real budget should pass: ${ok.stderr}`);
});

console.log(`budget: ${passed} passed, ${failed} failed`);
appendFileSync(process.argv[2], `budget ${passed} ${failed}\n`);
process.exit(failed ? 1 : 0);
