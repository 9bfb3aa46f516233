// The benchmark variants and how to build and measure their uploads.
//   this: the product (C module + thin JS glue)
//   js:   bench/baselines/js, the same worker in plain JavaScript
//   go:   bench/baselines/go, the same logic in Go (js/wasm, -ldflags="-s -w")
import path from "node:path";
import { dryRun } from "../../scripts/size-check.mjs";

export const root = path.resolve(import.meta.dirname, "../..");
export const VARIANTS = {
  this: { config: "wrangler.toml" },
  js: { config: "bench/baselines/js/wrangler.toml" },
  go: { config: "bench/baselines/go/wrangler.toml" },
};

// wrangler deploy --dry-run for a variant into build/bench/upload/<name>;
// returns wrangler's whole-upload figure and each file's raw and gzip -9.
// The core sums leave out plugin modules (<name>.plugin.wasm), which are
// loaded only when used and have their own budget; they are summed apart.
export function upload(name) {
  const outdir = path.join(root, "build/bench/upload", name);
  const { total, files } = dryRun(VARIANTS[name].config, outdir);
  const core = (f) => f.kind !== "plugin";
  const sum = (k, pick) => files.filter(pick).reduce((s, f) => s + f[k], 0);
  const isWasm = (f) => f.kind === "host_wasm";
  return {
    outdir,
    files: files.map(({ full, ...f }) => ({ ...f, kind: f.kind === "host_wasm" ? "wasm" : f.kind })),
    wrangler_total_kib: total ? { raw: total.raw_kib, gzip: total.gzip_kib } : null,
    raw_bytes: sum("raw_bytes", core),
    gzip_bytes: sum("gzip_bytes", core),
    wasm_raw_bytes: sum("raw_bytes", isWasm),
    wasm_gzip_bytes: sum("gzip_bytes", isWasm),
    plugin_gzip_bytes: sum("gzip_bytes", (f) => !core(f)),
  };
}
