// The RPC entrypoint that other workers reach through a service binding.
// exports.default is a loopback stub of the worker's default export.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { freshId, get } from "./helpers.js";

const api = exports.default;

describe("rpc", () => {
  it("syncState applies a patch and getState reads it", async () => {
    const id = freshId("rpc");
    const r1 = await api.syncState(id, { a: { b: 1 } });
    expect(r1).toEqual({ ok: true, status: 200, id, version: 1, state: { a: { b: 1 } } });
    const r2 = await api.syncState(id, { a: { b: null, c: 2 } }, { ifMatch: 1 });
    expect(r2).toEqual({ ok: true, status: 200, id, version: 2, state: { a: { c: 2 } } });
    expect(await api.getState(id)).toEqual({ ok: true, status: 200, id, version: 2, state: { a: { c: 2 } } });
    // HTTP sees the same object.
    expect((await (await get(`/state/${id}`)).json()).version).toBe(2);
  });

  it("returns typed errors with the same codes as HTTP", async () => {
    const id = freshId("rpc");
    await api.syncState(id, { a: 1 });
    const stale = await api.syncState(id, { a: 2 }, { ifMatch: 0 });
    expect(stale.ok).toBe(false);
    expect(stale.status).toBe(412);
    expect(stale.error.code).toBe("precondition_failed");
    expect(stale.error.request_id).toMatch(/^[0-9a-f]{32}$/);
    expect((await api.getState(id)).version).toBe(1);

    expect((await api.syncState(id, [1])).error.code).toBe("invalid_patch");
    expect((await api.syncState(id, "text")).error.code).toBe("invalid_patch");
    expect((await api.syncState(id, undefined)).error.code).toBe("invalid_json");
    expect((await api.syncState("a/b", {})).error.code).toBe("invalid_id");
    expect((await api.syncState("..", {})).error.code).toBe("invalid_id");
    expect((await api.syncState(42, {})).error.code).toBe("invalid_id");
    expect((await api.getState("")).status).toBe(400);
    expect((await api.getState("\uD800")).error.code).toBe("invalid_id"); // not URI-encodable
    expect((await api.syncState(id, {}, { ifMatch: "3\r\nx-evil: 1" })).error.code).toBe("invalid_if_match");
    expect((await api.getState(id)).version).toBe(1);
  });

  it("accepts an If-Match string as well as a number", async () => {
    const id = freshId("rpc");
    expect((await api.syncState(id, { a: 1 }, { ifMatch: '"0"' })).version).toBe(1);
    expect((await api.syncState(id, { a: 2 }, { ifMatch: "*" })).version).toBe(2);
  });
});
