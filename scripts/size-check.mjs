// Measures the upload the way it ships and enforces scripts/budget.json.
//
// The core upload is the C worker's (wrangler.toml): every bundled JS file
// plus the host wasm module, each compressed with `gzip -9`, from the files
// `wrangler deploy --dry-run --outdir` writes. The plugins worker
// (plugins/wrangler.toml) is measured the same way: each plugin
// (<name>.plugin.wasm) against the plugin budget, and its JS plus the
// contract module against the plugins-worker budget. Also reports
// wrangler's own whole-upload figure, and checks the host module's imports
// against the allowed list. Writes build/size.json; exits 1
// when a budget is exceeded. Usage: node scripts/size-check.mjs [--quiet]
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gzip9 as gzipBytes, parse } from "./wasm-size.mjs";
import { fileURLToPath } from "node:url";

const root = path.resolve(import.meta.dirname, "..");
// CW_BUDGET_FILE lets the tests run this check against a different budget.
const budget = JSON.parse(readFileSync(process.env.CW_BUDGET_FILE ?? path.join(root, "scripts/budget.json"), "utf8"));

const gzip9 = (file) => gzipBytes(readFileSync(file));

// Runs `wrangler deploy --dry-run --outdir <outdir> -c <config>` (outdir
// absolute: wrangler resolves relative ones against the config's folder) and
// returns wrangler's whole-upload figure and each bundled file, measured.
export function dryRun(config, outdir) {
  rmSync(outdir, { recursive: true, force: true });
  const log = execFileSync("wrangler", ["deploy", "--dry-run", "--outdir", outdir, "-c", config], {
    cwd: root,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const total = log.match(/Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/);
  const files = readdirSync(outdir)
    .filter((f) => /\.(m?js|wasm)$/.test(f))
    .map((f) => {
      const full = path.join(outdir, f);
      const kind = f.endsWith(".plugin.wasm") ? "plugin" : f.endsWith("contract.wasm") ? "contract_wasm" : f.endsWith(".wasm") ? "host_wasm" : "js";
      return { file: f, kind, raw_bytes: statSync(full).size, gzip_bytes: gzip9(full), full };
    });
  return { total: total ? { raw_kib: Number(total[1]), gzip_kib: Number(total[2]) } : null, files };
}

// A wasm module's imports, as "module.name".
const importsOf = (file) => parse(readFileSync(file)).imports.map((i) => `${i.module}.${i.name}`);

export function measure() {
  const { total, files: core } = dryRun("wrangler.toml", path.join(root, "build/upload"));
  const host = core.filter((f) => f.kind === "host_wasm");
  if (host.length !== 1) throw new Error(`expected one host wasm in the upload, found ${host.length}`);
  const stray = core.filter((f) => f.kind !== "js" && f.kind !== "host_wasm");
  if (stray.length) throw new Error(`the core upload carries ${stray.map((f) => f.file).join(", ")}`);
  const { total: pluginsTotal, files } = dryRun("plugins/wrangler.toml", path.join(root, "build/upload-plugins"));
  const worker = files.filter((f) => f.kind !== "plugin");
  const imports = importsOf(host[0].full);
  return {
    core: {
      gzip_bytes: core.reduce((s, f) => s + f.gzip_bytes, 0),
      raw_bytes: core.reduce((s, f) => s + f.raw_bytes, 0),
      budget_gzip_bytes: budget.core_gzip_bytes,
      files: core.map(({ full, ...f }) => f),
    },
    // The plugins worker without its plugins: its JS and the contract module.
    plugins_worker: {
      gzip_bytes: worker.reduce((s, f) => s + f.gzip_bytes, 0),
      raw_bytes: worker.reduce((s, f) => s + f.raw_bytes, 0),
      budget_gzip_bytes: budget.plugins_worker_gzip_bytes,
      files: worker.map(({ full, ...f }) => f),
      imports: worker.filter((f) => f.kind === "contract_wasm").flatMap((f) => importsOf(f.full)),
      wrangler_total: pluginsTotal,
    },
    // Plugins are instantiated with no imports at all (worker/plugins.js).
    plugins: files
      .filter((f) => f.kind === "plugin")
      .map(({ full, ...f }) => ({
        ...f,
        budget_gzip_bytes: budget.plugin_gzip_bytes,
        imports: importsOf(full),
      })),
    // What browsers load, as served (the client minified by make): the
    // client core, the offline module, the example app (page and script).
    client: served(["sync.js"], budget.client_gzip_bytes),
    persist: served(["persist.js"], budget.persist_gzip_bytes),
    app: served(["app.js", "index.html", "sw.js"], budget.app_gzip_bytes),
    wrangler_total: total,
    host_imports: imports,
    budget,
  };
}

// Files of build/public, each gzip -9, summed.
function served(names, budgetBytes) {
  const files = names.map((n) => path.join(root, "build/public", n));
  const sum = (f) => files.reduce((t, file) => t + f(file), 0);
  return { files: names, raw_bytes: sum((f) => statSync(f).size), gzip_bytes: sum(gzip9), budget_gzip_bytes: budgetBytes };
}

export function violations(m) {
  const out = [];
  if (m.core.gzip_bytes > m.budget.core_gzip_bytes)
    out.push(`core upload is ${m.core.gzip_bytes} bytes gzip, over the ${m.budget.core_gzip_bytes}-byte budget`);
  for (const p of m.plugins)
    if (p.gzip_bytes > m.budget.plugin_gzip_bytes)
      out.push(`plugin ${p.file} is ${p.gzip_bytes} bytes gzip, over the ${m.budget.plugin_gzip_bytes}-byte budget`);
  for (const p of m.plugins) if (p.imports.length) out.push(`plugin ${p.file} has imports (${p.imports.join(", ")}); plugins get none`);
  if (m.plugins_worker.gzip_bytes > m.budget.plugins_worker_gzip_bytes)
    out.push(`plugins worker (JS and contract module) is ${m.plugins_worker.gzip_bytes} bytes gzip, over the ${m.budget.plugins_worker_gzip_bytes}-byte budget`);
  for (const [what, c] of [["client/sync.js", m.client], ["client/persist.js", m.persist], ["the example app (app.js, index.html, sw.js)", m.app]])
    if (c.gzip_bytes > c.budget_gzip_bytes) out.push(`${what} is ${c.gzip_bytes} bytes gzip, over the ${c.budget_gzip_bytes}-byte budget`);
  if (m.plugins_worker.imports.length) out.push(`the contract module has imports (${m.plugins_worker.imports.join(", ")}); it gets none`);
  if (m.host_imports.length > m.budget.max_host_imports)
    out.push(`host module imports ${m.host_imports.length} functions, more than ${m.budget.max_host_imports}`);
  const allowed = new Set(m.budget.host_imports);
  for (const i of m.host_imports) if (!allowed.has(i)) out.push(`host module has an import not in scripts/budget.json: ${i}`);
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const m = measure();
  writeFileSync(path.join(root, "build/size.json"), JSON.stringify(m, null, 2) + "\n");
  const bad = violations(m);
  const pct = ((100 * m.core.gzip_bytes) / m.budget.core_gzip_bytes).toFixed(0);
  console.log(
    `size: core upload ${m.core.gzip_bytes} bytes gzip -9 (${pct}% of ${m.budget.core_gzip_bytes}); ` +
      `wrangler total ${m.wrangler_total?.raw_kib} KiB / gzip ${m.wrangler_total?.gzip_kib} KiB; ` +
      `${m.host_imports.length} host imports; client ${m.client.gzip_bytes} bytes gzip`,
  );
  for (const v of bad) console.error(`size: BUDGET EXCEEDED: ${v}`);
  process.exit(bad.length ? 1 : 0);
}
