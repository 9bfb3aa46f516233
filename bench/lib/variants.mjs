// The benchmark variants and how to build and measure their uploads.
//   this: the product (C module + thin JS glue)
//   js:     bench/baselines/js, the same service in plain JavaScript (members,
//           journal, cache, hibernatable WebSockets, the same limits)
//   agents: bench/baselines/agents, the same service on Cloudflare's Agents
//           SDK (agents pinned in its package.json; bench/setup.sh installs it)
//   go:     bench/baselines/go, the first version's logic in Go (js/wasm,
//           -ldflags="-s -w"): size and cold start only
//   floor:  bench/baselines/floor, the plain-JS baseline plus the smallest
//           wasm module the project's toolchain builds, instantiated once
//           per isolate and called once per request at the edge and in the
//           object: what wasm itself costs (size and cold start only)
//
// Each runs with the vars of its wrangler.toml's top level (the product's
// local environment with its shipped SYNC_HOOKS), and each logs one line
// per request.
import { readFileSync } from "node:fs";
import path from "node:path";
import { dryRun } from "../../scripts/size-check.mjs";

export const root = path.resolve(import.meta.dirname, "../..");
// object: the Durable Object binding and class; protocol: the live one
// (bench/live/protocol.mjs), null without live sync; coldOnly: measured
// for size and cold start only.
export const VARIANTS = {
  this: { config: "wrangler.toml", plugins: "plugins/wrangler.toml", object: ["STATE", "StateObject"], protocol: "sync" },
  js: { config: "bench/baselines/js/wrangler.toml", object: ["STATE", "StateObject"], protocol: "sync" },
  agents: { config: "bench/baselines/agents/wrangler.toml", object: ["StateAgent", "StateAgent"], flags: ["nodejs_compat"], protocol: "agents" },
  go: { config: "bench/baselines/go/wrangler.toml", object: ["STATE", "StateObject"], protocol: null },
  floor: { config: "bench/baselines/floor/wrangler.toml", object: ["STATE", "StateObject"], protocol: null, coldOnly: true },
};

// The string vars of a wrangler.toml's top-level [vars] table (basic and
// multi-line literal strings: what these configs use).
export function vars(config) {
  const toml = readFileSync(path.join(root, config), "utf8");
  const table = toml.split(/^\[vars\]\s*$/m)[1]?.split(/^\[/m)[0] ?? "";
  const out = {};
  for (const m of table.matchAll(/^(\w+)\s*=\s*(?:'''\n?([\s\S]*?)'''|"((?:[^"\\]|\\.)*)")/gm)) out[m[1]] = m[2] ?? JSON.parse(`"${m[3]}"`);
  return out;
}

// wrangler deploy --dry-run for a variant into build/bench/upload/<name>;
// returns wrangler's whole-upload figure and each file's raw and gzip -9.
// The product's plugins worker (its own upload, loaded only when a plugin
// is used) goes to build/bench/upload/<name>-plugins, summed apart.
export function upload(name) {
  const outdir = path.join(root, "build/bench/upload", name);
  const { total, files } = dryRun(VARIANTS[name].config, outdir);
  const pluginsOutdir = VARIANTS[name].plugins ? path.join(root, "build/bench/upload", `${name}-plugins`) : null;
  const plugins = pluginsOutdir ? dryRun(VARIANTS[name].plugins, pluginsOutdir).files : [];
  const sum = (k, pick, from = files) => from.filter(pick).reduce((s, f) => s + f[k], 0);
  const isWasm = (f) => f.kind === "host_wasm";
  return {
    outdir,
    pluginsOutdir,
    serve: { vars: vars(VARIANTS[name].config), binding: VARIANTS[name].object[0], className: VARIANTS[name].object[1], flags: VARIANTS[name].flags ?? [], plugins: pluginsOutdir },
    files: files.map(({ full, ...f }) => ({ ...f, kind: f.kind === "host_wasm" ? "wasm" : f.kind })),
    wrangler_total_kib: total ? { raw: total.raw_kib, gzip: total.gzip_kib } : null,
    raw_bytes: sum("raw_bytes", () => true),
    gzip_bytes: sum("gzip_bytes", () => true),
    wasm_raw_bytes: sum("raw_bytes", isWasm),
    wasm_gzip_bytes: sum("gzip_bytes", isWasm),
    plugin_gzip_bytes: sum("gzip_bytes", () => true, plugins),
  };
}

// A variant's upload by name, built once per process (a dry run takes
// seconds): a variant above, or dir:<upload> (a dry-run upload of the
// product, e.g. one built from a hand-edited glue, served with the
// product's settings).
const built = new Map();
export function uploadOf(name) {
  const dir = name.startsWith("dir:") ? name.slice(4) : null;
  const key = dir ? "this" : name;
  if (!built.has(key)) built.set(key, upload(key));
  return dir ? { ...built.get(key), outdir: dir } : built.get(key);
}
