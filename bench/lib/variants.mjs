// The benchmark variants and how to build and measure their uploads.
//   this: the product (C module + thin JS glue)
//   js:   bench/baselines/js, the same worker in plain JavaScript
//   go:   bench/baselines/go, the same logic in Go (js/wasm, -ldflags="-s -w")
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { gzip9 } from "../../scripts/wasm-size.mjs";

export const root = path.resolve(import.meta.dirname, "../..");
export const VARIANTS = {
  this: { config: "wrangler.toml" },
  js: { config: "bench/baselines/js/wrangler.toml" },
  go: { config: "bench/baselines/go/wrangler.toml" },
};

// wrangler deploy --dry-run for a variant into build/bench/upload/<name>;
// returns wrangler's whole-upload figure and each file's raw and gzip -9.
export function upload(name) {
  const outdir = path.join(root, "build/bench/upload", name);
  rmSync(outdir, { recursive: true, force: true });
  const log = execFileSync("wrangler", ["deploy", "--dry-run", "--outdir", outdir, "-c", VARIANTS[name].config], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const total = log.match(/Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/);
  const files = readdirSync(outdir)
    .filter((f) => /\.(m?js|wasm)$/.test(f))
    .map((f) => {
      const full = path.join(outdir, f);
      return { file: f, kind: f.endsWith(".wasm") ? "wasm" : "js", raw_bytes: statSync(full).size, gzip_bytes: gzip9(readFileSync(full)) };
    });
  const sum = (k, pick = () => true) => files.filter(pick).reduce((s, f) => s + f[k], 0);
  return {
    outdir,
    files,
    wrangler_total_kib: total ? { raw: Number(total[1]), gzip: Number(total[2]) } : null,
    raw_bytes: sum("raw_bytes"),
    gzip_bytes: sum("gzip_bytes"),
    wasm_raw_bytes: sum("raw_bytes", (f) => f.kind === "wasm"),
    wasm_gzip_bytes: sum("gzip_bytes", (f) => f.kind === "wasm"),
  };
}
