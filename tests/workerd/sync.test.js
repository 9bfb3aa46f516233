// The state engine in workerd, over HTTP and RPC: changes and history,
// delete, idempotent retries, writes against a base, Prefer, the members
// and journal tables, the conversion of a one-blob state written by the
// previous layout, and the owner's cache across eviction.
import { env, evictDurableObject, runInDurableObject, SELF } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BASE, freshId, get, patch } from "./helpers.js";

const api = exports.default;
const del = (id, headers = {}) => SELF.fetch(`${BASE}/state/${id}`, { method: "DELETE", headers });
const tables = (id) =>
  runInDurableObject(env.STATE.get(env.STATE.idFromName(id)), (_o, state) => ({
    nodes: state.storage.sql.exec("SELECT parent, key, CAST(value AS TEXT) AS value, size, version FROM cw_nodes ORDER BY parent, rowid").toArray(),
    journal: state.storage.sql.exec("SELECT version, request_id, actor, key, CAST(patch AS TEXT) AS patch FROM cw_journal ORDER BY version").toArray(),
    meta: state.storage.sql.exec("SELECT version, jcount, jfirst FROM cw_meta").toArray(),
  }));

describe("changes", () => {
  it("lists every write after since, in order, with time, request id and actor", async () => {
    const id = freshId("ch");
    const rids = [];
    for (const p of [{ a: 1 }, { b: { c: 2 } }, { a: null }]) rids.push((await patch(id, p)).headers.get("x-request-id"));
    const res = await get(`/state/${id}/changes?since=1`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.id).toBe(id);
    expect(body.version).toBe(3);
    expect(body.changes.map((c) => [c.version, c.request_id, c.actor, c.patch])).toEqual([
      [2, rids[1], null, { b: { c: 2 } }],
      [3, rids[2], null, { a: null }],
    ]);
    expect(body.changes[0].at).toBeGreaterThan(Date.now() - 60_000);
    expect((await (await get(`/state/${id}/changes?since=0&limit=2`)).json()).changes).toHaveLength(2);
    expect((await get(`/state/${id}/changes?since=4`)).status).toBe(410);
    expect((await (await get(`/state/${id}/changes?since=4`)).json()).error).toMatchObject({ code: "history_gone", message: "that version is after the state's own; get the state" });
    const ahead = await SELF.fetch(`${BASE}/state/${id}?base=9`, { method: "PATCH", headers: { "content-type": "application/json" }, body: '{"z":1}' });
    expect((await ahead.json()).error.message).toMatch(/after the state's own/);
    // Percent-encoded digits are the digits (RFC 3986 6.2.2.2).
    expect((await (await get(`/state/${id}/changes?since=%31&limit=%31`)).json()).changes.map((c) => c.version)).toEqual([2]);
    expect((await get(`/state/${id}/changes?since=%2D1`)).status).toBe(400);
    // A name is its percent-decoded form; a parameter given twice is refused
    // (which one was meant cannot be told), never the first taken silently.
    expect((await (await get(`/state/${id}/changes?sinc%65=2`)).json()).changes.map((c) => c.version)).toEqual([3]);
    for (const q of ["since=0&since=2", "since=0&sinc%65=2", "since=0&limit=1&limit=2"]) {
      const twice = await get(`/state/${id}/changes?${q}`);
      expect(twice.status, q).toBe(400);
      expect((await twice.json()).error).toMatchObject({ code: "invalid_parameter", message: expect.stringMatching(/(since|limit) is given more than once/) });
    }
    for (const q of ["path=/a&path=/b", "path=/a&pat%68=/a"]) expect((await get(`/state/${id}?${q}`)).status, q).toBe(400);
    const twice = await SELF.fetch(`${BASE}/state/${id}?base=3&base=0`, { method: "PATCH", headers: { "content-type": "application/json" }, body: '{"z":1}' });
    expect((await twice.json()).error.message).toBe("base is given more than once");
    expect((await get(`/state/${id}/changes?since=0&paths=%5B%5D&paths=%5B%5D`)).status).toBe(400);
    const bad = await get(`/state/${id}/changes?since=-1`);
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.code).toBe("invalid_parameter");
  });

  it("retention: the test row keeps 8 entries; older history is 410", async () => {
    const id = freshId("ret");
    for (let i = 1; i <= 12; i++) expect((await patch(id, { n: i })).status).toBe(200);
    const t = await tables(id);
    expect(t.journal.length).toBeLessThanOrEqual(8);
    const first = t.journal[0].version;
    expect(t.journal.at(-1).version).toBe(12);
    expect(t.meta[0]).toEqual({ version: 12, jcount: t.journal.length, jfirst: first });
    expect((await get(`/state/${id}/changes?since=${first - 2}`)).status).toBe(410);
    expect((await get(`/state/${id}/changes?since=${first - 1}`)).status).toBe(200);
  });

  it("getChanges over RPC is the same answer", async () => {
    const id = freshId("ch");
    await api.syncState(id, { a: 1 });
    await api.syncState(id, { b: 2 }, { actor: "svc-1" });
    const r = await api.getChanges(id, 0, { limit: 10 });
    expect(r.ok).toBe(true);
    expect(r.changes.map((c) => c.actor)).toEqual([null, "svc-1"]);
    expect((await api.getChanges(id, 7)).error.code).toBe("history_gone");
    expect((await api.getChanges(id, "x")).error.code).toBe("invalid_parameter");
  });
});

describe("delete", () => {
  it("honours If-None-Match and If-Match: * as documented, over HTTP and RPC", async () => {
    const id = freshId("delcond");
    // Never written (version 0): If-Match: * (update only) is 412; If-None-Match: * passes.
    expect((await del(id, { "if-match": "*" })).status).toBe(412);
    expect((await api.deleteState(id, { ifMatch: "*" })).error.code).toBe("precondition_failed");
    const none = await del(id, { "if-none-match": "*" });
    expect(none.status).toBe(200);
    expect((await none.json()).version).toBe(1);
    await patch(id, { a: 1 });
    // Written: If-None-Match: * or the current version is 412, nothing erased.
    for (const inm of ["*", '"2"', 'W/"2"', '"1", "2"']) {
      const r = await del(id, { "if-none-match": inm });
      expect(r.status, inm).toBe(412);
      expect((await r.json()).error.code).toBe("precondition_failed");
    }
    expect((await api.deleteState(id, { ifNoneMatch: 2 })).error.code).toBe("precondition_failed");
    expect((await api.deleteState(id, { ifNoneMatch: "*" })).error.code).toBe("precondition_failed");
    expect((await (await get(`/state/${id}`)).json()).state).toEqual({ a: 1 });
    // Another version passes; If-Match: * passes once written.
    expect((await del(id, { "if-none-match": '"1"' })).status).toBe(200);
    await patch(id, { b: 1 });
    expect(await api.deleteState(id, { ifMatch: "*", ifNoneMatch: 1 })).toMatchObject({ ok: true, version: 5 });
    // syncState's ifNoneMatch "*" is create only.
    const fresh = freshId("create");
    expect(await api.syncState(fresh, { a: 1 }, { ifNoneMatch: "*" })).toMatchObject({ ok: true, version: 1 });
    expect((await api.syncState(fresh, { a: 2 }, { ifNoneMatch: "*" })).error.code).toBe("precondition_failed");
  });

  it("erases state, members and journal; the version goes on and is never reused", async () => {
    const id = freshId("del");
    await patch(id, { a: 1, b: { c: 2 } });
    await patch(id, { d: 3 });
    expect((await del(id, { "if-match": '"1"' })).status).toBe(412);
    const res = await del(id, { "if-match": '"2"' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id, version: 3 });
    const t = await tables(id);
    expect(t.nodes).toEqual([]);
    expect(t.journal).toEqual([]);
    expect(t.meta).toEqual([{ version: 3, jcount: 0, jfirst: 4 }]);
    expect(await (await get(`/state/${id}`)).json()).toEqual({ id, version: 3, state: {} });
    expect((await get(`/state/${id}/changes?since=1`)).status).toBe(410);
    expect((await (await patch(id, { e: 1 })).json()).version).toBe(4);
  });

  it("deleteState over RPC, with its preconditions", async () => {
    const id = freshId("del");
    await api.syncState(id, { a: 1 });
    expect((await api.deleteState(id, { ifMatch: 0 })).status).toBe(412);
    expect(await api.deleteState(id, { ifMatch: 1 })).toEqual({ ok: true, status: 200, id, version: 2 });
    expect((await api.getState(id)).state).toEqual({});
  });
});

describe("idempotent writes", () => {
  it("a retry with the same key applies once and says so", async () => {
    const id = freshId("idem");
    const h = { "idempotency-key": "order-7" };
    const first = await patch(id, { n: 1 }, h);
    expect(first.status).toBe(200);
    const again = await patch(id, { n: 1 }, h);
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await again.json()).toEqual({ id, version: 1 });
    const reused = await patch(id, { n: 2 }, h);
    expect(reused.status).toBe(422);
    expect((await reused.json()).error.code).toBe("idempotency_key_reused");
    const t = await tables(id);
    expect(t.journal.map((j) => [j.version, j.key])).toEqual([[1, "order-7"]]);
    // Over RPC: the replayed flag in the value.
    const r1 = await api.syncState(id, { m: 1 }, { idempotencyKey: "rpc-1" });
    const r2 = await api.syncState(id, { m: 1 }, { idempotencyKey: "rpc-1" });
    expect(r1.version).toBe(2);
    expect(r2).toMatchObject({ ok: true, version: 2, replayed: true });
    expect((await api.getState(id)).version).toBe(2);
  });

  it("exactly once outlives DELETE and journal retention: a lost ack's retry is replayed, never applied again", async () => {
    const id = freshId("once");
    // The ack is lost; the document is deleted; the client retries.
    expect((await patch(id, { gone: 1 }, { "idempotency-key": "lost-1" })).status).toBe(200);
    expect((await del(id)).status).toBe(200);
    const retry = await patch(id, { gone: 1 }, { "idempotency-key": "lost-1" });
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await retry.json()).toEqual({ id, version: 1 });
    expect(await (await get(`/state/${id}`)).json()).toEqual({ id, version: 2, state: {} });
    // Applied, then twice the journal's entry retention (8 here) of later writes.
    expect((await patch(id, { n: 0 }, { "idempotency-key": "lost-2" })).status).toBe(200);
    for (let i = 1; i <= 16; i++) expect((await patch(id, { n: i }, { "idempotency-key": `later-${i}` })).status).toBe(200);
    expect((await tables(id)).journal.some((j) => j.key === "lost-2")).toBe(false);
    const late = await patch(id, { n: 0 }, { "idempotency-key": "lost-2" });
    expect(late.headers.get("idempotent-replayed")).toBe("true");
    expect(await late.json()).toEqual({ id, version: 3 });
    expect((await (await get(`/state/${id}`)).json()).state).toEqual({ n: 16 });
    // The same for RPC's idempotencyKey.
    expect(await api.syncState(id, { n: 0 }, { idempotencyKey: "lost-2" })).toMatchObject({ ok: true, version: 3, replayed: true });
  });
});

describe("writes against a base", () => {
  it("commit unless a later write touched an overlapping path; 409 names the paths", async () => {
    const id = freshId("base");
    await patch(id, { a: { b: 1, c: 1 }, x: 1 });
    await patch(id, { a: { b: 2 } });
    const ok = await SELF.fetch(`${BASE}/state/${id}?base=1`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ a: { c: 5 }, x: 2 }),
    });
    expect(ok.status).toBe(200);
    const clash = await SELF.fetch(`${BASE}/state/${id}?base=1`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ a: { b: 9 }, "s/l~sh": 1 }),
    });
    expect(clash.status).toBe(409);
    const err = (await clash.json()).error;
    expect(err.code).toBe("conflict");
    expect(err.paths).toEqual(["/a/b"]);
    const rpc = await api.syncState(id, { a: 7 }, { base: 1 });
    expect(rpc.status).toBe(409);
    expect(rpc.error.paths).toEqual(["/a"]);
    expect((await api.syncState(id, { y: 1 }, { base: 1 })).version).toBe(4);
  });
});

describe("answers", () => {
  it("Prefer: return=minimal, and since for push and pull in one round trip", async () => {
    const id = freshId("pref");
    await patch(id, { a: 1 });
    const min = await patch(id, { b: 2 }, { prefer: "return=minimal" });
    expect(min.headers.get("preference-applied")).toBe("return=minimal");
    expect(await min.json()).toEqual({ id, version: 2 });
    const r = await api.syncState(id, { c: 3 }, { since: 1, return: "minimal" });
    expect(r.version).toBe(3);
    expect(r.state).toBeUndefined();
    expect(r.changes.map((c) => c.version)).toEqual([2, 3]);
    expect(r.changes[1].patch).toEqual({ c: 3 });
  });
});

describe("storage", () => {
  it("one row per member with the version that last changed it", async () => {
    const id = freshId("rows");
    await patch(id, { a: 1, b: { c: 2 } });
    await patch(id, { b: { d: 3 }, a: null, e: "x" });
    const t = await tables(id);
    expect(t.nodes).toEqual([
      { parent: "", key: "b", value: '{"c":2,"d":3}', size: 14, version: 2 },
      { parent: "", key: "e", value: '"x"', size: 4, version: 2 },
    ]);
    expect(t.journal.map((j) => j.patch)).toEqual(['{"a":1,"b":{"c":2}}', '{"b":{"d":3},"a":null,"e":"x"}']);
  });

  it("converts a one-blob state written by the previous layout on first touch", async () => {
    const id = freshId("legacy");
    const stub = env.STATE.get(env.STATE.idFromName(id));
    // Exactly what the previous code stored: one row of {"v","s"}.
    await runInDurableObject(stub, (_o, state) => {
      state.storage.sql.exec("DROP TABLE IF EXISTS state");
      state.storage.sql.exec("CREATE TABLE state (k INTEGER PRIMARY KEY CHECK (k = 0), blob TEXT NOT NULL)");
      state.storage.sql.exec("INSERT INTO state (k, blob) VALUES (0, ?)", '{"v":7,"s":{"title":"old","n":{"x":[1,2]}}}');
    });
    await evictDurableObject(stub);
    const res = await get(`/state/${id}`);
    expect(res.headers.get("etag")).toBe('"7"');
    expect(await res.json()).toEqual({ id, version: 7, state: { title: "old", n: { x: [1, 2] } } });
    const t = await tables(id);
    expect(t.nodes).toEqual([
      { parent: "", key: "title", value: '"old"', size: 10, version: 7 },
      { parent: "", key: "n", value: '{"x":[1,2]}', size: 12, version: 7 },
    ]);
    expect(t.meta).toEqual([{ version: 7, jcount: 0, jfirst: 8 }]);
    const legacy = await runInDurableObject(stub, (_o, state) => state.storage.sql.exec("SELECT count(*) AS n FROM sqlite_master WHERE name = 'state'").one().n);
    expect(legacy).toBe(0);
    expect((await patch(id, { n: null }, { "if-match": '"7"' })).status).toBe(200);
    expect((await get(`/state/${id}/changes?since=7`)).status).toBe(200);
    expect((await get(`/state/${id}/changes?since=6`)).status).toBe(410);
  });

  it("the owner's cache: the same bytes after eviction, and a stale cache is never trusted", async () => {
    const id = freshId("cache");
    await patch(id, { z: 1, a: { b: [1, { c: null }] }, m: "é\u0000" });
    const before = await (await get(`/state/${id}`)).text();
    const stub = env.STATE.get(env.STATE.idFromName(id));
    await evictDurableObject(stub);
    expect(await (await get(`/state/${id}`)).text()).toBe(before);
    // A write that bypasses this isolate's cache, as another instance of the
    // object (in another isolate) would make it: the next instance here
    // reads the stored version and reloads. (Within one instance nothing
    // else writes its storage, and C trusts what it read: src/sync.c,
    // known; tests/c/test_sync.c checks both sides of that.)
    await runInDurableObject(stub, (_o, state) => {
      state.storage.sql.exec("UPDATE cw_nodes SET value = '2', size = 2, version = 2 WHERE parent = '' AND key = 'z'");
      state.storage.sql.exec("UPDATE cw_meta SET version = 2");
    });
    await evictDurableObject(stub);
    expect((await (await get(`/state/${id}`)).json()).state.z).toBe(2);
  });
});
