// Documents past what the owner holds whole (4 MiB; the test row's state
// limit is 12 MiB, production's 64 MiB): built by writes under the body
// limit, read back streamed over HTTP and RPC, by path, as a live snapshot
// in parts, after eviction; nested writes into them; the state limit; and
// the conversion of both older layouts at this size.
import { env, evictDurableObject, runInDurableObject, SELF } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BASE, freshId, get, open, patch } from "./helpers.js";

const api = exports.default;
const MiB = 1 << 20;

// RFC 7386 merge, for the model the tests compare with.
function merge(target, p) {
  if (p === null || typeof p !== "object" || Array.isArray(p)) return p;
  const out = target !== null && typeof target === "object" && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(p)) {
    if (v === null) delete out[k];
    else out[k] = merge(out[k], v);
  }
  return out;
}

// The i-th write: about 700 KB of cards under "cards" (each a small
// object, stored inline in the spilled "cards"), a spilled board under
// "boards" with nested objects, and a member at the top.
function write(i) {
  const cards = {};
  for (let j = 0; j < 2500; j++) cards[`c${i}_${j}`] = { title: `card ${i}/${j} ${"é".repeat(40)}`, n: j, tags: ["a", i, j % 7], done: j % 2 === 0, note: "x".repeat(150) };
  const lanes = {};
  for (let j = 0; j < 20; j++) lanes[`l${j}`] = { name: `lane ${j}`, order: j, meta: { deep: { deeper: { i, j, s: "q\"\\\u0001".repeat(20) } } } };
  return { cards, boards: { [`b${i}`]: { lanes } }, [`top${i}`]: i };
}

async function build(id, writes) {
  let model = {};
  for (let i = 0; i < writes; i++) {
    const p = write(i);
    const body = JSON.stringify(p);
    expect(body.length).toBeLessThan(MiB);
    const res = await patch(id, body);
    expect(res.status).toBe(200);
    model = merge(model, p);
  }
  return model;
}

const size = (v) => new TextEncoder().encode(JSON.stringify(v)).length;

// Says hello on s and collects the snapshot's parts, up to the last.
async function snapshotParts(s) {
  s.send({ type: "hello" });
  const parts = [];
  for (;;) {
    const f = await s.next((f) => f.type === "snapshot", 5000);
    parts.push(f);
    if (!f.more) break;
  }
  return parts;
}

describe("a document past what the owner holds whole", () => {
  it("builds by writes, streams its GET, answers HEAD and 304, reads by path, and survives eviction", async () => {
    const id = freshId("big");
    const model = await build(id, 8);
    expect(size(model)).toBeGreaterThan(5 * MiB);

    // The GET streams: no content-length, the whole state, in pieces.
    const res = await get(`/state/${id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBeNull();
    expect(res.headers.get("etag")).toBe('"8"');
    const reader = res.body.getReader();
    const chunks = [];
    for (let r; !(r = await reader.read()).done; ) chunks.push(r.value);
    expect(chunks.length).toBeGreaterThan(10);
    const text = new TextDecoder().decode(Buffer.concat(chunks));
    expect(JSON.parse(text)).toEqual({ id, version: 8, state: model });

    // A reader that stops: the stream ends, and the object goes on.
    await (await get(`/state/${id}`)).body.cancel();
    const headRes = await SELF.fetch(`${BASE}/state/${id}`, { method: "HEAD" });
    expect(headRes.status).toBe(200);
    expect(headRes.headers.get("content-length")).toBeNull();
    expect(headRes.headers.get("etag")).toBe('"8"');
    expect(await headRes.text()).toBe("");
    expect((await get(`/state/${id}`, { "if-none-match": '"8"' })).status).toBe(304);

    // A write meanwhile is applied; answered minimal (the state is not held).
    const w = await patch(id, { cards: { c0_1: { done: null, n: -1 } }, boards: { b3: { lanes: { l4: { meta: { deep: { deeper: { j: "changed" } } } } } } } });
    expect(w.status).toBe(200);
    expect(await w.json()).toEqual({ id, version: 9 });
    const p9 = { cards: { c0_1: { done: null, n: -1 } }, boards: { b3: { lanes: { l4: { meta: { deep: { deeper: { j: "changed" } } } } } } } };
    const m9 = merge(model, p9);

    // By path: a member of a spilled object, a value inside an inline one,
    // an array element, a spilled subtree, the root, escapes.
    const at = async (path) => {
      const r = await get(`/state/${id}?path=${encodeURIComponent(path)}`);
      return { status: r.status, etag: r.headers.get("etag"), body: await r.json() };
    };
    expect(await at("/cards/c0_1")).toEqual({ status: 200, etag: '"9"', body: { id, version: 9, path: "/cards/c0_1", state: m9.cards.c0_1 } });
    expect((await at("/boards/b3/lanes/l4/meta/deep/deeper")).body.state).toEqual({ i: 3, j: "changed", s: m9.boards.b3.lanes.l4.meta.deep.deeper.s });
    expect((await at("/cards/c2_5/tags/1")).body.state).toBe(2);
    expect((await at("/boards")).body.state).toEqual(m9.boards);
    expect((await at("/top7")).body.state).toBe(7);
    const cards = await get(`/state/${id}?path=%2Fcards`);
    expect(cards.headers.get("content-length")).toBeNull(); // over 4 MiB: streamed
    expect((await cards.json()).state).toEqual(m9.cards);
    for (const missing of ["/nope", "/cards/c0_1/title/x", "/cards/c2_5/tags/3", "/cards/c2_5/tags/01", "/top7/x"]) {
      const r = await at(missing);
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe("no_such_path");
    }
    for (const bad of ["cards", "/cards/~2", "/%ZZ"]) {
      const r = await get(`/state/${id}?path=${bad}`);
      expect(r.status).toBe(400);
      expect((await r.json()).error.code).toBe("invalid_parameter");
    }
    expect((await get(`/state/${id}?path=${encodeURIComponent("/cards/c0_1")}`, { "if-none-match": '"9"' })).status).toBe(304);

    // RPC: a refusal naming the alternatives, a stream when asked, a path.
    const refused = await api.getState(id);
    expect(refused.status).toBe(413);
    expect(refused.error.message).toMatch(/as: "stream".*path/);
    const streamed = await api.getState(id, { as: "stream" });
    expect(streamed).toMatchObject({ ok: true, status: 200, version: 9 });
    expect(JSON.parse(await new Response(streamed.stream).text())).toEqual({ id, version: 9, state: m9 });
    expect(await api.getState(id, { path: "/cards/c0_1" })).toMatchObject({ ok: true, version: 9, path: "/cards/c0_1", state: m9.cards.c0_1 });
    expect((await api.getState(id, { path: "/none" })).error.code).toBe("no_such_path");

    // Evicted (the cache gone): the same state from the rows.
    await evictDurableObject(env.STATE.get(env.STATE.idFromName(id)));
    expect(await (await get(`/state/${id}`)).json()).toEqual({ id, version: 9, state: m9 });
    expect((await get(`/state/${id}/changes?since=8`)).status).toBe(200);
  });

  it("sends its live snapshot in parts of at most 1 MiB, which reassemble to the state", async () => {
    const id = freshId("bigsnap");
    const model = await build(id, 6);
    const s = await open(id);
    const parts = await snapshotParts(s);
    expect(parts.length).toBeGreaterThan(4);
    expect(parts.map((p) => p.part)).toEqual(parts.map((_, i) => i));
    expect(parts.every((p) => p.version === 6 && p.id === id)).toBe(true);
    expect(Math.max(...s.sizes)).toBeLessThanOrEqual(MiB);
    expect(JSON.parse(parts.map((p) => p.text).join(""))).toEqual(model);
    expect(s.seen.some((f) => f.type === "peers")).toBe(true);
    // Live changes go on after it.
    await patch(id, { top0: "again" });
    expect(await s.next((f) => f.type === "change")).toMatchObject({ version: 7, patch: { top0: "again" } });
    s.ws.close();
  });

  it("a snapshot of a document held whole but over 1 MiB goes in parts too", async () => {
    const id = freshId("midsnap");
    const model = await build(id, 2);
    expect(size(model)).toBeGreaterThan(MiB);
    expect(size(model)).toBeLessThan(4 * MiB);
    const s = await open(id);
    const parts = await snapshotParts(s);
    expect(parts.length).toBeGreaterThan(1);
    expect(Math.max(...s.sizes)).toBeLessThanOrEqual(MiB);
    expect(JSON.parse(parts.map((p) => p.text).join(""))).toEqual(model);
    s.ws.close();
  });

  it("refuses a write past the state limit with 413, changing nothing", async () => {
    const id = freshId("limit");
    const filler = (i) => ({ [`f${i}`]: { a: "y".repeat(900_000) } });
    let n = 0;
    let last;
    for (; n < 20; n++) {
      last = await patch(id, filler(n));
      if (last.status !== 200) break;
    }
    expect(last.status).toBe(413);
    const body = await last.json();
    expect(body.error.code).toBe("payload_too_large");
    expect(body.error.message).toMatch(/state/);
    const after = await get(`/state/${id}?path=${encodeURIComponent(`/f${n}`)}`);
    expect(after.status).toBe(404);
    expect(n).toBeGreaterThan(10); // the limit is 12 MiB in the test row
  });

  it("a reader that stops holds a write back at most half the deadline, then its stream is cut off and the write applies", async () => {
    const id = freshId("hold");
    await build(id, 7);
    const res = await get(`/state/${id}`);
    const reader = res.body.getReader();
    await reader.read(); // one piece, then nothing more is read
    const t0 = Date.now();
    const w = await patch(id, { top0: "after" });
    expect(w.status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThan(150); // it waited for the stream: half the deadline (400 ms in the test row)
    await expect((async () => {
      for (;;) if ((await reader.read()).done) return "ended";
    })()).rejects.toThrow();
    expect((await api.getState(id, { path: "/top0" })).state).toBe("after");
  });
});

// What the code before this layout stored: members as rows (cw_members),
// with the meta row, the journal and the keys, written as it wrote them.
const OLD_MEMBERS_DDL = "CREATE TABLE IF NOT EXISTS cw_members (key TEXT NOT NULL UNIQUE, value TEXT NOT NULL, version INTEGER NOT NULL)";

describe("the older layouts convert on first touch, keeping version and journal", () => {
  it("members as rows: a 5 MiB object (past what is held whole), then writes at depth into it", async () => {
    const id = freshId("oldrows");
    const stub = env.STATE.get(env.STATE.idFromName(id));
    const model = {};
    for (let i = 0; i < 40; i++) model[`m${i}`] = { items: Object.fromEntries(Array.from({ length: 700 }, (_, j) => [`i${j}`, { v: j, s: "z".repeat(180) }])) };
    model.small = 1;
    await runInDurableObject(stub, (_o, state) => {
      const sql = state.storage.sql;
      sql.exec(OLD_MEMBERS_DDL);
      let v = 0;
      for (const [k, val] of Object.entries(model)) sql.exec("INSERT INTO cw_members VALUES (?, ?, ?)", k, JSON.stringify(val), ++v);
      sql.exec("REPLACE INTO cw_meta VALUES (0, ?, 1, 10, ?)", v, v);
      sql.exec("INSERT INTO cw_journal VALUES (?, ?, 'rid-old', NULL, 'old-key', ?, 10)", v, Date.now(), JSON.stringify({ small: 1 }));
      sql.exec("INSERT INTO cw_keys (key, hash, version, at) VALUES ('old-key', NULL, ?, ?)", v, Date.now());
    });
    await evictDurableObject(stub);
    const version = Object.keys(model).length;
    expect(size(model)).toBeGreaterThan(5 * MiB);
    const res = await get(`/state/${id}`);
    expect(res.headers.get("content-length")).toBeNull(); // streamed: not held whole
    expect(await res.json()).toEqual({ id, version, state: model });
    const after = await runInDurableObject(stub, (_o, state) => ({
      old: state.storage.sql.exec("SELECT count(*) AS n FROM sqlite_master WHERE name = 'cw_members'").one().n,
      rows: state.storage.sql.exec("SELECT count(*) AS n FROM cw_nodes WHERE parent = ''").one().n,
    }));
    expect(after).toEqual({ old: 0, rows: 41 });
    // The journal and the idempotency key came along.
    expect((await (await get(`/state/${id}/changes?since=${version - 1}`)).json()).changes).toMatchObject([{ version, request_id: "rid-old", patch: { small: 1 } }]);
    const replay = await patch(id, { small: 1 }, { "idempotency-key": "old-key" });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    // A write at depth into a converted member spills it into rows of its own.
    const w = await patch(id, { m3: { items: { i7: { v: "deep" } } } });
    expect(await w.json()).toEqual({ id, version: version + 1 });
    model.m3.items.i7.v = "deep";
    const spilled = await runInDurableObject(stub, (_o, state) => state.storage.sql.exec("SELECT count(*) AS n FROM cw_nodes WHERE parent LIKE '/m3%'").one().n);
    expect(spilled).toBeGreaterThan(600);
    expect((await api.getState(id, { path: "/m3/items/i7" })).state).toEqual({ v: "deep", s: "z".repeat(180) });
    await evictDurableObject(stub);
    expect(JSON.parse(await new Response((await api.getState(id, { as: "stream" })).stream).text())).toEqual({ id, version: version + 1, state: model });
  });

  it("the one-blob layout (the whole state in one row, before members as rows): converted at its version, then written at depth", async () => {
    const id = freshId("oldblob");
    const stub = env.STATE.get(env.STATE.idFromName(id));
    const model = { deep: { a: { b: { c: { d: "x" } } } }, list: [1, { two: 2 }], big: 9007199254740993, text: "q\u0000r ü" };
    // The bytes as that code stored them: {"v": version, "s": state}; the big integer stays as written.
    const blob = `{"v":7,"s":${JSON.stringify(model).replace("9007199254740992", "9007199254740993")}}`;
    await runInDurableObject(stub, (_o, state) => {
      state.storage.sql.exec("CREATE TABLE state (k INTEGER PRIMARY KEY CHECK (k = 0), blob TEXT NOT NULL)");
      state.storage.sql.exec("INSERT INTO state VALUES (0, ?)", blob);
    });
    await evictDurableObject(stub);
    const res = await get(`/state/${id}`);
    const text = await res.text();
    expect(res.headers.get("etag")).toBe('"7"');
    expect(text).toContain('"big":9007199254740993');
    expect(JSON.parse(text)).toMatchObject({ id, version: 7, state: { deep: model.deep, list: model.list } });
    const after = await runInDurableObject(stub, (_o, state) => ({
      old: state.storage.sql.exec("SELECT count(*) AS n FROM sqlite_master WHERE name = 'state'").one().n,
      meta: state.storage.sql.exec("SELECT version FROM cw_meta").one().version,
    }));
    expect(after).toEqual({ old: 0, meta: 7 });
    const w = await patch(id, { deep: { a: { b: { c: { e: 1 } } } } });
    expect(await w.json()).toMatchObject({ id, version: 8, state: { deep: { a: { b: { c: { d: "x", e: 1 } } } } } });
    await evictDurableObject(stub);
    expect((await api.getState(id, { path: "/deep/a/b/c" })).state).toEqual({ d: "x", e: 1 });
  });
});

