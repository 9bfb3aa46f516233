// The Durable Object path: merge patches, versions, ETag, If-Match,
// persistence across eviction, and the stored form.
import { env, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { freshId, get, patch } from "./helpers.js";

describe("state", () => {
  it("starts at version 0 with an empty object", async () => {
    const id = freshId();
    const res = await get(`/state/${id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("etag")).toBe('"0"');
    expect(await res.json()).toEqual({ id, version: 0, state: {} });
  });

  it("applies merge patches and bumps the version by one each", async () => {
    const id = freshId();
    const r1 = await patch(id, { a: 1, b: { c: 2, d: 3 } });
    expect(r1.status).toBe(200);
    expect(r1.headers.get("etag")).toBe('"1"');
    expect(await r1.json()).toEqual({ id, version: 1, state: { a: 1, b: { c: 2, d: 3 } } });
    const r2 = await patch(id, { b: { c: null }, e: [1, "x"] });
    expect(r2.headers.get("etag")).toBe('"2"');
    expect(await r2.json()).toEqual({ id, version: 2, state: { a: 1, b: { d: 3 }, e: [1, "x"] } });
    expect(await (await get(`/state/${id}`)).json()).toEqual({
      id,
      version: 2,
      state: { a: 1, b: { d: 3 }, e: [1, "x"] },
    });
  });

  it("accepts application/json as well", async () => {
    const id = freshId();
    const res = await patch(id, { a: 1 }, { "content-type": "application/json; charset=utf-8" });
    expect(res.status).toBe(200);
  });

  it("honours If-Match and changes nothing on a stale version", async () => {
    const id = freshId();
    await patch(id, { a: 1 });
    const ok = await patch(id, { a: 2 }, { "if-match": '"1"' });
    expect(ok.status).toBe(200);
    expect((await ok.json()).version).toBe(2);
    const stale = await patch(id, { a: 3 }, { "if-match": '"1"' });
    expect(stale.status).toBe(412);
    expect((await stale.json()).error.code).toBe("precondition_failed");
    expect(await (await get(`/state/${id}`)).json()).toEqual({ id, version: 2, state: { a: 2 } });
    const bad = await patch(id, { a: 3 }, { "if-match": "2" });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.code).toBe("invalid_if_match");
  });

  it("refuses bad input with a 4xx and loses nothing", async () => {
    const id = freshId();
    await patch(id, { keep: true });
    const cases = [
      [patch(id, "{", {}), 400, "invalid_json"],
      [patch(id, "[1,2]"), 400, "invalid_patch"],
      [patch(id, "null"), 400, "invalid_patch"],
      [patch(id, '{"a":1}', { "content-type": "text/plain" }), 415, "unsupported_media_type"],
      [get("/state/a%2Fb"), 400, "invalid_id"],
      [get(`/state/${"x".repeat(129)}`), 400, "invalid_id"],
    ];
    for (const [p, status, code] of cases) {
      const res = await p;
      expect(res.status).toBe(status);
      expect((await res.json()).error.code).toBe(code);
    }
    expect(await (await get(`/state/${id}`)).json()).toEqual({ id, version: 1, state: { keep: true } });
  });

  it("stores exotic but valid JSON and keeps the id readable", async () => {
    const id = freshId("exotic");
    const res = await patch(id, '\ufeff{"nul":"a\\u0000b","big":1.7976931348623157e308,"deep":{"x":[[[1]]]}}');
    expect(res.status).toBe(200);
    const again = await patch(id, { more: true });
    expect(again.status).toBe(200);
    const body = await (await get(`/state/${id}`)).json();
    expect(body.version).toBe(2);
    expect(body.state.nul).toBe("a\u0000b");
    expect(body.state.big).toBe(1.7976931348623157e308);
    const many = {};
    for (let i = 0; i < 20000; i++) many[`key${i}`] = i;
    many["k".repeat(100000)] = "long key";
    const big = await patch(freshId("many"), many);
    expect(big.status).toBe(200);
    expect(Object.keys((await big.json()).state)).toHaveLength(20001);
  });

  it("the Durable Object allows nothing without an explicit grant from the edge", async () => {
    const id = freshId("grant");
    expect((await patch(id, { a: 1 })).status).toBe(200);
    const stub = env.STATE.get(env.STATE.idFromName(id));
    // Envelopes as the edge hands them over ({ head, body }, worker/envelope.js).
    const envelope = (head, body = null) => ({ head, body: body && new TextEncoder().encode(body) });
    for (const grant of ["", "x", "rw"]) {
      for (const req of [envelope(`GET /state/${id}\r\n\r\n`), envelope(`PATCH /state/${id}\r\ncontent-type: application/json\r\n\r\n`, '{"a":2}'), envelope(`DELETE /state/${id}\r\n\r\n`)]) {
        const r = await stub.handle(req, grant, "0123456789abcdef0123456789abcdef");
        expect(r.status).toBe(403);
        const body = typeof r.body === "string" ? r.body : new TextDecoder().decode(r.body);
        expect(JSON.parse(body).error.code).toBe("forbidden");
      }
    }
    // The upgrade without x-cw-grant (the object's fetch, reached other than
    // through the edge).
    const up = await stub.fetch(`http://cw.test/state/${id}/live`, { headers: { upgrade: "websocket" } });
    expect(up.status).toBe(403);
    expect(await (await get(`/state/${id}`)).json()).toEqual({ id, version: 1, state: { a: 1 } });
  });

  it("keeps state across Durable Object eviction, one row per member", async () => {
    const id = freshId("persist");
    await patch(id, { n: 1 });
    await patch(id, { m: { x: 2 } });
    const stub = env.STATE.get(env.STATE.idFromName(id));
    await evictDurableObject(stub);
    expect(await (await get(`/state/${id}`)).json()).toEqual({ id, version: 2, state: { n: 1, m: { x: 2 } } });
    const rows = await runInDurableObject(stub, (_obj, state) => state.storage.sql.exec("SELECT parent, key, CAST(value AS TEXT) AS value, version FROM cw_nodes ORDER BY parent, rowid").toArray());
    expect(rows).toEqual([
      { parent: "", key: "n", value: "1", version: 1 },
      { parent: "", key: "m", value: '{"x":2}', version: 2 },
    ]);
  });

  it("serializes concurrent writers to one id", async () => {
    const id = freshId("race");
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => patch(id, { [`k${i}`]: i })));
    const versions = [];
    for (const r of results) {
      expect(r.status).toBe(200);
      versions.push((await r.json()).version);
    }
    expect(versions.sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    const final = await (await get(`/state/${id}`)).json();
    expect(final.version).toBe(12);
    expect(Object.keys(final.state)).toHaveLength(12);
  });
});
