// The JS glue and the C module inside workerd: plain routes, errors, headers.
import { describe, expect, it } from "vitest";
import { get } from "./helpers.js";
import { SELF } from "cloudflare:test";

describe("glue", () => {
  it("serves /health from C", async () => {
    const res = await get("/health");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f]{32}$/);
    const body = await res.json();
    expect(body.status).toBe("ok");
  });

  it("serves /version with the build facts", async () => {
    const body = await (await get("/version")).json();
    expect(Object.keys(body).sort()).toEqual(["built_at", "commit", "toolchain", "version"]);
    expect(body.built_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(body.toolchain).toMatch(/clang/);
  });

  it("answers unknown routes with a JSON 404", async () => {
    const res = await get("/nope");
    expect(res.status).toBe(404);
    const body = await res.json();
    expect(body.error.code).toBe("not_found");
    expect(body.error.request_id).toBe(res.headers.get("x-request-id"));
  });

  it("answers a wrong method with 405 and Allow", async () => {
    const res = await SELF.fetch("http://cw.test/state/x", { method: "PUT" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD, PATCH, DELETE");
    expect((await res.json()).error.code).toBe("method_not_allowed");
  });

  it("gives every request its own id", async () => {
    const ids = new Set();
    for (let i = 0; i < 5; i++) ids.add((await get("/health")).headers.get("x-request-id"));
    expect(ids.size).toBe(5);
  });
});
