import path from "node:path";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

const root = path.resolve(import.meta.dirname, "../..");

export default defineConfig({
  root,
  // The worker runs the test build of the module here: the same code plus
  // the test-only trap route (src/handlers.c, CW_TEST_ROUTES), and the
  // plugin index with the test-only plugins (tests/plugins/manifest).
  resolve: {
    alias: [
      { find: /^\.\.\/build\/cw\.wasm$/, replacement: path.join(root, "build/test/cw.wasm") },
      { find: /^\.\.\/build\/plugins\/index\.js$/, replacement: path.join(root, "build/test/plugins/index.js") },
    ],
  },
  plugins: [
    cloudflareTest({
      wrangler: { configPath: path.join(root, "wrangler.toml") },
      // Operator tokens as `wrangler secret` / .dev.vars would set them.
      miniflare: { bindings: { METRICS_TOKEN: "test-metrics-token", WARMUP_TOKEN: "test-warmup-token" } },
    }),
  ],
  test: { include: ["tests/workerd/**/*.test.js"], silent: "passed-only" },
});
