// The JS glue and the C module inside workerd: plain routes, errors, headers.
import { describe, expect, it } from "vitest";
import { freshId, get, patch } from "./helpers.js";
import { SELF } from "cloudflare:test";
import { exports } from "cloudflare:workers";

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

  // worker/layout.js reads a final answer's body as a string up to
  // TEXT_MAX (16 KiB) and as bytes past it: either way every byte arrives
  // as C wrote it, over HTTP (written fresh, then the held answer again),
  // a PATCH's representation, and RPC as json, text and stream.
  it("a body just under, at and past 16 KiB, with non-ASCII text, arrives byte for byte by every route", async () => {
    const strict = new TextDecoder("utf-8", { fatal: true });
    const bytes = async (res) => new Uint8Array(await res.arrayBuffer());
    for (const size of [16383, 16384, 16385, 70001]) {
      const id = freshId("body");
      // The text's UTF-8 grows by one byte per "a": measure, then pad.
      const text = (pad) => `é😀\u00e9"${"a".repeat(pad)}`;
      await patch(id, { s: text(0) });
      const base = (await bytes(await get(`/state/${id}`))).length;
      const r = await patch(id, { s: text(size - base) });
      expect(r.status).toBe(200);
      const written = await bytes(r);
      const fresh = await bytes(await get(`/state/${id}`));
      const held = await bytes(await get(`/state/${id}`));
      expect(fresh.length).toBe(size);
      expect(held).toEqual(fresh);
      const doc = JSON.parse(strict.decode(fresh));
      expect(doc).toEqual({ id, version: 2, state: { s: text(size - base) } });
      expect(JSON.parse(strict.decode(written))).toEqual(doc);
      const api = exports.default;
      expect(await api.getState(id)).toEqual({ ok: true, status: 200, ...doc });
      const asText = await api.getState(id, { as: "text" });
      expect(new TextEncoder().encode(asText.text)).toEqual(fresh);
      const streamed = await api.getState(id, { as: "stream" });
      expect(await bytes(new Response(streamed.stream))).toEqual(fresh);
    }
  });
});
