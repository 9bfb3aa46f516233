import { readdirSync } from "node:fs";
import path from "node:path";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

const root = path.resolve(import.meta.dirname, "../..");

const syncHooks = {
  schema: {
    "s.": {
      type: "object",
      required: ["name"],
      additionalProperties: false,
      properties: {
        name: { type: "string", minLength: 2, maxLength: 5 },
        age: { type: "integer", minimum: 0, maximum: 150 },
        ratio: { type: "number", exclusiveMinimum: 0, exclusiveMaximum: 1 },
        role: { enum: ["a", "b", { x: [1, 2] }] },
        kind: { const: "k" },
        tags: { type: "array", items: { type: "string", maxLength: 3 }, minItems: 1, maxItems: 3 },
        meta: { type: "object", additionalProperties: { type: ["string", "boolean"] } },
        "a/b~c": { type: "boolean" },
      },
    },
    "s.open.": true,
    "bad.": { type: 5 },
  },
  trap: { "trap.": {} },
};

// The plugins worker as the test build makes it (build/test/plugins/worker.js:
// every plugin, the test-only ones too, and the test manifest's contract
// module), beside the C worker under the name its PLUGINS binding names.
// Miniflare wants an auxiliary worker's modules listed.
const wasmIn = (dir) => readdirSync(path.join(root, dir)).filter((f) => f.endsWith(".plugin.wasm")).map((f) => `${dir}/${f}`);
const pluginsWorker = {
  name: "c-on-workers-plugins-dev",
  compatibilityDate: "2026-10-15",
  modulesRoot: root,
  modules: [
    ...["build/test/plugins/worker.js", "worker/plugins.js", "worker/layout.js"].map((p) => ({ type: "ESModule", path: path.join(root, p) })),
    ...["build/test/contract.wasm", ...wasmIn("build/plugins"), ...wasmIn("build/test/plugins")].map((p) => ({ type: "CompiledWasm", path: path.join(root, p) })),
  ],
};

// The config for tests matching include, with extra bindings.
export function workerdConfig(include, extra = {}) {
  return defineConfig({
    root,
    // The worker runs the test build of the module here: the same code plus
    // the test-only trap route (src/handlers.c, CW_TEST_ROUTES).
    resolve: {
      alias: [{ find: /^\.\.\/build\/cw\.wasm$/, replacement: path.join(root, "build/test/cw.wasm") }],
    },
    plugins: [
      cloudflareTest({
        wrangler: { configPath: path.join(root, "wrangler.toml") },
        // Operator tokens as `wrangler secret` / .dev.vars would set them.
        // SYNC_HOOKS as an object (wrangler.toml has it as a JSON string): the
        // test namespaces of tests/workerd/plugins.test.js.
        miniflare: {
          // WORKER_ENV=test: the test build's row (src/config.c), local with
          // limits small enough to reach (a 400 ms deadline).
          // CORS_ORIGINS as an array (a TOML array's form), other origins
          // than the row's defaults (http://127.0.0.1:8787 is one), so a
          // test tells them apart.
          bindings: { WORKER_ENV: "test", METRICS_TOKEN: "test-metrics-token", WARMUP_TOKEN: "test-warmup-token", SYNC_HOOKS: syncHooks, CORS_ORIGINS: ["http://localhost:8787", "https://app.example"], ...extra },
          workers: [pluginsWorker],
        },
      }),
    ],
    test: { include, silent: "passed-only" },
  });
}

// The tests without document tokens (STATE_KEYS unset: local is open);
// auth.vitest.config.mjs runs tests/workerd/auth/ with them.
export default workerdConfig(["tests/workerd/*.test.js"]);
