// The benchmark variants and how to build and measure their uploads.
//   this: the product (C module + thin JS glue)
//   js:   bench/baselines/js, the same worker in plain JavaScript
//   go:   bench/baselines/go, the same logic in Go (js/wasm, -ldflags="-s -w")
import path from "node:path";
import { dryRun } from "../../scripts/size-check.mjs";

export const root = path.resolve(import.meta.dirname, "../..");
export const VARIANTS = {
  this: { config: "wrangler.toml", plugins: "plugins/wrangler.toml" },
  js: { config: "bench/baselines/js/wrangler.toml" },
  go: { config: "bench/baselines/go/wrangler.toml" },
};

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
    files: files.map(({ full, ...f }) => ({ ...f, kind: f.kind === "host_wasm" ? "wasm" : f.kind })),
    wrangler_total_kib: total ? { raw: total.raw_kib, gzip: total.gzip_kib } : null,
    raw_bytes: sum("raw_bytes", () => true),
    gzip_bytes: sum("gzip_bytes", () => true),
    wasm_raw_bytes: sum("raw_bytes", isWasm),
    wasm_gzip_bytes: sum("gzip_bytes", isWasm),
    plugin_gzip_bytes: sum("gzip_bytes", () => true, plugins),
  };
}
