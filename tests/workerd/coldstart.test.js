// Cold-start features inside workerd: the import shim, Server-Timing, the
// operator tokens, /metrics, the warmup and the cron trigger.
import { createExecutionContext, createScheduledController, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import Worker from "../../worker/index.js";
import { describe, expect, it } from "vitest";
import wasmModule from "../../build/cw.wasm";
import { imports } from "../../worker/bridge.js";
import budget from "../../scripts/budget.json";
import { parseExposition } from "./prom.js";

const M = { authorization: "Bearer test-metrics-token" };
const W = { authorization: "Bearer test-warmup-token" };
const get = (path, headers = {}) => SELF.fetch(`http://cw.test${path}`, { headers });
const warmup = (headers = {}) => SELF.fetch("http://cw.test/internal/warmup", { method: "POST", headers });

async function metrics() {
  const res = await get("/metrics", M);
  expect(res.status).toBe(200);
  return parseExposition(await res.text());
}

function value(families, name, labels = {}) {
  const f = families.get(name);
  const s = f?.samples.find((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  return s?.value;
}

describe("imports", () => {
  it("the shim provides exactly the module's imports", () => {
    const needed = WebAssembly.Module.imports(wasmModule).map((i) => `${i.module}.${i.name}`);
    const provided = Object.entries(imports).flatMap(([mod, fns]) => Object.keys(fns).map((f) => `${mod}.${f}`));
    expect(provided.sort()).toEqual(needed.sort());
    expect(needed.sort()).toEqual([...budget.host_imports].sort());
    expect(needed.length).toBeLessThanOrEqual(2);
  });
});

describe("server-timing", () => {
  it("says warm on responses after the instance's first", async () => {
    await get("/health");
    const res = await get("/health");
    expect(res.headers.get("server-timing")).toBe("warm");
  });
});

describe("metrics", () => {
  it("refuses a missing or wrong token with 401", async () => {
    const none = await get("/metrics");
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBe("Bearer");
    expect((await none.json()).error.code).toBe("unauthorized");
    expect((await get("/metrics", { authorization: "Bearer wrong" })).status).toBe(401);
    expect((await get("/metrics", { authorization: "test-metrics-token" })).status).toBe(401);
  });

  it("serves a valid exposition with every required family", async () => {
    await get("/health");
    const res = await get("/metrics", M);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const { problems, families } = parseExposition(await res.text());
    expect(problems).toEqual([]);
    for (const name of [
      "cw_startup_phase_seconds",
      "cw_cold_starts_total",
      "cw_requests_total",
      "cw_wasm_memory_bytes",
      "cw_isolate_uptime_seconds",
      "cw_build_info",
    ])
      expect(families.get(name)?.samples.length, name).toBeGreaterThan(0);
    expect(families.get("cw_startup_phase_seconds").samples.map((s) => s.labels.phase).sort()).toEqual(
      ["config", "first-request", "init", "instantiate"],
    );
    expect(value(families, "cw_cold_starts_total")).toBeGreaterThanOrEqual(1);
    expect(value(families, "cw_requests_total", { route: "health", status: "200" })).toBeGreaterThanOrEqual(1);
    expect(value(families, "cw_wasm_memory_bytes")).toBeGreaterThanOrEqual(65536);
    expect(value(families, "cw_build_info")).toBe(1);
    for (const f of families.values()) expect(f.help?.length, `HELP of ${f.name}`).toBeGreaterThan(10);
    // Uptime by one clock: seconds since the isolate's first instance, not
    // a wall time less a monotonic one (that read about 1.8e9 s).
    const up = value(families, "cw_isolate_uptime_seconds");
    expect(up).toBeGreaterThanOrEqual(0);
    expect(up).toBeLessThan(3600);
  });

  it("the parser itself rejects malformed expositions", () => {
    expect(parseExposition("x 1\n").problems.length).toBeGreaterThan(0); // no TYPE
    expect(parseExposition("# TYPE x gauge\nx 1\n").problems).toEqual(["no HELP for x"]);
    expect(parseExposition("# TYPE x counter\nx 1\n").problems.length).toBeGreaterThan(0); // counter name
    expect(parseExposition('# TYPE x gauge\nx{a="1",a="2"} 1\n').problems.length).toBeGreaterThan(0);
    expect(parseExposition("# TYPE x gauge\nx one\n").problems.length).toBeGreaterThan(0);
    expect(parseExposition("# TYPE x gauge\nx 1").problems.length).toBeGreaterThan(0);
    expect(parseExposition('# HELP x_total X.\n# TYPE x_total counter\nx_total{a="b\\n"} 2\n').problems).toEqual([]);
  });
});

describe("warmup", () => {
  it("answers 401 without the token and with a wrong one", async () => {
    expect((await warmup()).status).toBe(401);
    expect((await warmup({ authorization: "Bearer test-metrics-token" })).status).toBe(401);
  });

  it("warms the module, config and the configured Durable Objects", async () => {
    const res = await warmup(W);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.trigger).toBe("http");
    expect(body.warmed.config.env).toBe("test");
    expect(typeof body.warmed.module.instantiate_ms).toBe("number");
    expect(body.warmed.durable_objects).toEqual([{ id: "warmup", ok: true, ms: expect.any(Number) }]);
    expect(typeof body.total_ms).toBe("number");
  });

  it("the cron trigger runs the same warmup without a token", async () => {
    const before = value((await metrics()).families, "cw_warmups_total", { trigger: "cron" });
    // The worker's scheduled() entry, as the runtime calls it for a cron.
    const ctx = createExecutionContext();
    const worker = new Worker(ctx, env);
    await worker.scheduled(createScheduledController({ cron: "*/5 * * * *", scheduledTime: Date.now() }));
    await waitOnExecutionContext(ctx);
    const after = value((await metrics()).families, "cw_warmups_total", { trigger: "cron" });
    expect(after).toBe(before + 1);
  });
});
