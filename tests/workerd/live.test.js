// Live sync in workerd (protocol version 1, src/live.h): the upgrade, every
// frame type, who is told what, ordering, catch-up, bad frames, the socket
// limit (4 in the test row), the ping auto-response, and hibernation.
import { env, evictDurableObject, SELF } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BASE, freshId, get, open, patch } from "./helpers.js";

const api = exports.default;
const M = { authorization: "Bearer test-metrics-token" };

const type = (t) => (f) => f.type === t;
const settle = (ms = 100) => new Promise((r) => setTimeout(r, ms));

// Opens a socket and says hello; returns it with the hello's two frames.
async function join(id, since) {
  const s = await open(id);
  s.send(since === undefined ? { type: "hello" } : { type: "hello", since });
  const first = await s.next();
  const peers = await s.next();
  return { s, first, peers };
}

describe("upgrade", () => {
  it("without Upgrade: websocket is 426 upgrade_required, JSON, with Upgrade", async () => {
    for (const headers of [{}, { upgrade: "h2c" }]) {
      const res = await SELF.fetch(`${BASE}/state/${freshId("lv")}/live`, { headers });
      expect(res.status).toBe(426);
      expect(res.headers.get("upgrade")).toBe("websocket");
      const body = await res.json();
      expect(body.error.code).toBe("upgrade_required");
      expect(body.error.request_id).toBe(res.headers.get("x-request-id"));
    }
  });

  it("a bad id is 400 before any object is touched; the internal frame route is not a client's", async () => {
    const res = await SELF.fetch(`${BASE}/state/${"x".repeat(200)}/live`, { headers: { upgrade: "websocket" } });
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe("invalid_id");
    const ws = await SELF.fetch(`${BASE}/live`, { method: "WS" }).catch(() => null);
    if (ws) expect([404, 405]).toContain(ws.status);
  });

  it("the 101 carries the request id; the socket limit (4 here) answers 503 too_many_connections", async () => {
    const id = freshId("lim");
    const socks = [];
    for (let i = 0; i < 4; i++) socks.push(await open(id));
    const res = await SELF.fetch(`${BASE}/state/${id}/live`, { headers: { upgrade: "websocket" } });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    expect((await res.json()).error.code).toBe("too_many_connections");
    socks.pop().ws.close(1000, "bye");
    await settle();
    const again = await open(id);
    again.ws.close(1000);
    for (const s of socks) s.ws.close(1000);
  });
});

describe("frames", () => {
  it("hello without since: a snapshot, then peers (the others' presence)", async () => {
    const id = freshId("hs");
    await patch(id, { a: 1, n: { b: [1, 2] } });
    const { s, first, peers } = await join(id);
    expect(first).toEqual({ type: "snapshot", id, version: 1, state: { a: 1, n: { b: [1, 2] } } });
    expect(peers).toEqual({ type: "peers", peers: [], keys: { ms: 86400000, writes: 64 } });
    const other = await join(id);
    expect(other.peers.peers).toHaveLength(1);
    expect(other.peers.peers[0]).toEqual({ peer: expect.stringMatching(/^p[0-9a-f]{16}$/), data: null });
    s.ws.close(1000);
    other.s.ws.close(1000);
  });

  it("a patch: ack to the writer, change to every other socket, nothing else to the writer", async () => {
    const id = freshId("pa");
    const a = await join(id);
    const b = await join(id);
    a.s.send({ type: "patch", mid: "m1", patch: { x: 1, y: { z: 2 } } });
    expect(await a.s.next()).toEqual({ type: "ack", mid: "m1", version: 1 });
    expect(await b.s.next()).toEqual({ type: "change", version: 1, patch: { x: 1, y: { z: 2 } }, actor: null });
    await settle();
    expect(a.s.pending()).toEqual([]);
    expect(await (await get(`/state/${id}`)).json()).toEqual({ id, version: 1, state: { x: 1, y: { z: 2 } } });
    a.s.ws.close(1000);
    b.s.ws.close(1000);
  });

  it("changes from HTTP PATCH and RPC syncState reach every socket; DELETE resets all", async () => {
    const id = freshId("any");
    const a = await join(id);
    const b = await join(id);
    expect((await patch(id, { h: 1 })).status).toBe(200);
    for (const s of [a.s, b.s]) expect(await s.next()).toEqual({ type: "change", version: 1, patch: { h: 1 }, actor: null });
    expect((await api.syncState(id, { r: 2 }, { actor: "svc" })).version).toBe(2);
    for (const s of [a.s, b.s]) expect(await s.next()).toEqual({ type: "change", version: 2, patch: { r: 2 }, actor: "svc" });
    expect((await SELF.fetch(`${BASE}/state/${id}`, { method: "DELETE" })).status).toBe(200);
    for (const s of [a.s, b.s]) expect(await s.next()).toEqual({ type: "reset", version: 3 });
    a.s.ws.close(1000);
    b.s.ws.close(1000);
  });

  it("rejects carry the HTTP codes: precondition_failed, conflict with paths, schema_violation with reasons", async () => {
    const id = freshId("rej");
    const { s } = await join(id);
    s.send({ type: "patch", mid: "a", patch: { p: { q: 1 } } });
    expect((await s.next()).version).toBe(1);
    s.send({ type: "patch", mid: "b", patch: { p: { q: 2 } }, ifMatch: 0 });
    let r = await s.next();
    expect(r).toMatchObject({ type: "reject", mid: "b", error: { code: "precondition_failed" } });
    expect(r.error.request_id).toMatch(/^[0-9a-f]{32}$/);
    s.send({ type: "patch", mid: "c", patch: { p: { q: 3 } }, ifMatch: 1 });
    expect(await s.next()).toEqual({ type: "ack", mid: "c", version: 2 });
    s.send({ type: "patch", mid: "d", patch: { p: { q: 4 } }, base: 1 });
    r = await s.next();
    expect(r).toMatchObject({ type: "reject", mid: "d", error: { code: "conflict", paths: ["/p/q"] } });
    s.send({ type: "patch", mid: "e", patch: [1] });
    expect(await s.next()).toMatchObject({ type: "reject", mid: "e", error: { code: "invalid_patch" } });
    s.send({ type: "patch", mid: "f", patch: {}, ifMatch: "1" });
    expect(await s.next()).toMatchObject({ type: "reject", mid: "f", error: { code: "invalid_if_match" } });
    // Versions are at most 2^53 - 1: a larger one is refused, never rounded.
    s.send('{"type":"patch","mid":"f2","patch":{},"ifMatch":9007199254740992}');
    expect(await s.next()).toMatchObject({ type: "reject", mid: "f2", error: { code: "invalid_if_match" } });
    s.send('{"type":"hello","since":9007199254740993}');
    expect(await s.next()).toMatchObject({ type: "error", error: { code: "bad_frame", message: "since must be an integer from 0 to 2^53 - 1" } });
    // null is no version: refused, never a write without its precondition.
    s.send({ type: "patch", mid: "n1", patch: { p: 9 }, ifMatch: null });
    expect(await s.next()).toMatchObject({ type: "reject", mid: "n1", error: { code: "invalid_if_match" } });
    s.send({ type: "patch", mid: "n2", patch: { p: 9 }, base: null });
    expect(await s.next()).toMatchObject({ type: "reject", mid: "n2", error: { code: "invalid_parameter" } });
    expect((await api.getState(id)).version).toBe(2);
    s.ws.close(1000);
    // A namespace with a schema ("s." in the test config).
    const sid = freshId("s.live");
    const t = (await join(sid)).s;
    t.send({ type: "patch", mid: "g", patch: { name: "x", age: -1 } });
    r = await t.next();
    expect(r).toMatchObject({ type: "reject", mid: "g", error: { code: "schema_violation" } });
    expect(r.error.reasons.length).toBeGreaterThan(0);
    t.ws.close(1000);
  });

  it("a mid is an idempotency key: a resent patch is acked once more with its version and applied once", async () => {
    const id = freshId("idem");
    const a = await join(id);
    const b = await join(id);
    a.s.send({ type: "patch", mid: "same", patch: { n: 1 } });
    expect(await a.s.next()).toEqual({ type: "ack", mid: "same", version: 1 });
    a.s.send({ type: "patch", mid: "same", patch: { n: 1 } });
    expect(await a.s.next()).toEqual({ type: "ack", mid: "same", version: 1 });
    a.s.send({ type: "patch", mid: "same", patch: { n: 2 } });
    expect(await a.s.next()).toMatchObject({ type: "reject", mid: "same", error: { code: "idempotency_key_reused" } });
    await settle();
    expect(b.s.seen.filter(type("change"))).toHaveLength(1);
    expect((await api.getState(id)).version).toBe(1);
    a.s.ws.close(1000);
    b.s.ws.close(1000);
  });

  it("a mid resent after a DELETE (its ack lost) is acked with its version, and the state stays empty", async () => {
    const id = freshId("idemdel");
    const a = await join(id);
    a.s.send({ type: "patch", mid: "lost", patch: { n: 1 } });
    expect(await a.s.next()).toEqual({ type: "ack", mid: "lost", version: 1 });
    expect((await SELF.fetch(`${BASE}/state/${id}`, { method: "DELETE" })).status).toBe(200);
    expect(await a.s.next()).toEqual({ type: "reset", version: 2 });
    a.s.send({ type: "patch", mid: "lost", patch: { n: 1 } });
    expect(await a.s.next()).toEqual({ type: "ack", mid: "lost", version: 1 });
    expect(await api.getState(id)).toMatchObject({ version: 2, state: {} });
    a.s.ws.close(1000);
  });

  it("hello with since: the changes after it; with history gone (8 entries here) or none, a snapshot", async () => {
    const id = freshId("since");
    for (let i = 1; i <= 3; i++) await patch(id, { [`k${i}`]: i });
    let { s, first } = await join(id, 1);
    expect(first.type).toBe("changes");
    expect(first.version).toBe(3);
    expect(first.changes.map((c) => [c.version, c.patch])).toEqual([
      [2, { k2: 2 }],
      [3, { k3: 3 }],
    ]);
    expect(Object.keys(first.changes[0])).toEqual(["version", "at", "request_id", "actor", "patch"]);
    s.ws.close(1000);
    ({ s, first } = await join(id, 3));
    expect(first).toEqual({ type: "changes", version: 3, changes: [] });
    s.ws.close(1000);
    for (let i = 4; i <= 14; i++) await patch(id, { [`k${i}`]: i });
    ({ s, first } = await join(id, 1));
    expect(first.type).toBe("snapshot");
    expect(first.version).toBe(14);
    s.ws.close(1000);
    ({ s, first } = await join(id, 99));
    expect(first.type).toBe("snapshot");
    s.ws.close(1000);
  });

  it("presence: kept for the peers list, told to the others, and leave on close", async () => {
    const id = freshId("pres");
    const a = await join(id);
    const b = await join(id);
    a.s.send({ type: "presence", data: { cursor: 3, name: "ann" } });
    const p = await b.s.next();
    expect(p).toEqual({ type: "presence", peer: expect.stringMatching(/^p[0-9a-f]{16}$/), data: { cursor: 3, name: "ann" } });
    const c = await join(id);
    expect(c.peers.peers).toContainEqual({ peer: p.peer, data: { cursor: 3, name: "ann" } });
    expect(c.peers.peers).toHaveLength(2);
    a.s.ws.close(1000, "bye");
    expect(await b.s.next(type("leave"))).toEqual({ type: "leave", peer: p.peer });
    expect(await c.s.next(type("leave"))).toEqual({ type: "leave", peer: p.peer });
    // Nothing of presence is stored.
    expect(await (await get(`/state/${id}`)).json()).toEqual({ id, version: 0, state: {} });
    b.s.ws.close(1000);
    c.s.ws.close(1000);
  });

  it("a client's close completes: the server answers it with the client's code (1000 for none)", async () => {
    const id = freshId("bye");
    for (const code of [4000, 1000, 1001]) {
      const a = await join(id);
      a.s.ws.close(code, "bye");
      expect(await a.s.closed(), String(code)).toEqual({ code, reason: "" });
    }
    // Before a hello too; a close without a code (1005) is answered 1000.
    const s = await open(id);
    s.ws.close(4999);
    expect(await s.closed()).toEqual({ code: 4999, reason: "" });
    const bare = await join(id);
    bare.s.ws.close();
    expect(await bare.s.closed()).toEqual({ code: 1000, reason: "" });
  });

  it("presence sent before hello is kept but told to no one; a later hello shows it in the peers frames", async () => {
    const id = freshId("prehello");
    const a = await join(id);
    const early = await open(id);
    early.send({ type: "presence", data: { name: "early" } });
    await settle(200);
    expect(a.s.pending()).toEqual([]);
    early.send({ type: "hello" });
    await early.next(type("peers"));
    const c = await join(id);
    expect(c.peers.peers).toContainEqual({ peer: expect.stringMatching(/^p[0-9a-f]{16}$/), data: { name: "early" } });
    await settle(100);
    expect(a.s.pending()).toEqual([]);
    // Once joined, its presence is told.
    early.send({ type: "presence", data: { name: "joined" } });
    expect((await a.s.next(type("presence"))).data).toEqual({ name: "joined" });
    for (const s of [a.s, early, c.s]) s.ws.close(1000);
  });

  it("ping is answered pong by the runtime and is not a frame", async () => {
    const id = freshId("ping");
    const { s } = await join(id);
    s.send("ping");
    expect(await s.next()).toBe("pong");
    s.send({ type: "patch", mid: "after", patch: { a: 1 } });
    expect(await s.next()).toEqual({ type: "ack", mid: "after", version: 1 });
    s.ws.close(1000);
  });

  it("versions only go up on every socket, with writers over HTTP, RPC and sockets at once", async () => {
    const id = freshId("order");
    const socks = [(await join(id)).s, (await join(id)).s, (await join(id)).s];
    const writes = [];
    for (let i = 0; i < 20; i++) {
      writes.push(patch(id, { [`h${i}`]: i }));
      writes.push(api.syncState(id, { [`r${i}`]: i }));
      socks[i % 3].send({ type: "patch", mid: `m${i}`, patch: { [`s${i}`]: i } });
    }
    await Promise.all(writes);
    for (const s of socks) await s.next((f) => f.version === 60, 5000).catch(() => null);
    await settle(200);
    for (const s of socks) {
      const versions = s.seen.filter((f) => f.type === "change" || f.type === "ack").map((f) => f.version);
      for (let i = 1; i < versions.length; i++) expect(versions[i]).toBeGreaterThan(versions[i - 1]);
      expect(versions.at(-1)).toBe(60);
      expect(versions).toHaveLength(60); // every version, once: changes plus its own acks
    }
    for (const s of socks) s.ws.close(1000);
  });
});

describe("bad frames", () => {
  it("each gets an error frame and changes nothing; the 8th closes the socket with 1008", async () => {
    const id = freshId("bad");
    const { s } = await join(id);
    const bad = ["{", "[1]", '{"type":"nope"}', '{"type":"patch","patch":{}}', '{"type":"hello","since":-1}', '{"type":"presence","data":[1]}', '{"type":"presence"}'];
    for (const f of bad) {
      s.send(f);
      const e = await s.next();
      expect(e.type).toBe("error");
      expect(e.error.code).toBe("bad_frame");
      expect(e.error.message.length).toBeGreaterThan(0);
    }
    expect((await api.getState(id)).version).toBe(0);
    s.send("{");
    expect((await s.next()).type).toBe("error");
    expect(await s.closed()).toEqual({ code: 1008, reason: "too many bad frames" });
  });

  it("a binary frame is UTF-8 JSON checked as strictly as a body; presence over 1 KiB is an error; a patch within the body's limits fits in a frame, one past them is rejected with its mid, a frame over the frame limit closes with 1009", async () => {
    const id = freshId("big");
    const { s } = await join(id);
    s.ws.send(new TextEncoder().encode('{"type":"hello","since":0}'));
    expect(await s.next()).toEqual({ type: "changes", version: 0, changes: [] });
    expect((await s.next()).type).toBe("peers");
    // Invalid UTF-8: a bad frame; in a patch frame naming its mid, that
    // patch refused as the body would be, so the write settles.
    for (const bytes of [[0xc3, 0x28], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xff]]) {
      s.ws.send(new Uint8Array([...new TextEncoder().encode('{"type":"presence","data":{"s":"'), ...bytes, 0x22, 0x7d, 0x7d]));
      const e = await s.next();
      expect(e.error.code).toBe("bad_frame");
      expect(e.error.message).toMatch(/UTF-8/);
      s.ws.send(new Uint8Array([...new TextEncoder().encode('{"type":"patch","mid":"u","patch":{"s":"'), ...bytes, 0x22, 0x7d, 0x7d]));
      const r = await s.next();
      expect(r).toMatchObject({ type: "reject", mid: "u", error: { code: "invalid_json" } });
      expect(r.error.message).toMatch(/UTF-8/);
    }
    s.send({ type: "presence", data: { x: "y".repeat(1100) } });
    expect((await s.next()).error.message).toMatch(/presence/);
    s.send({ type: "presence", data: { x: "y".repeat(900) } }); // under the limit: fine
    // What a PATCH body may be, a frame's patch may be: 1 MiB of JSON text
    // (the frame around it is larger), 64 levels deep.
    const deep = (n) => (n === 0 ? 1 : { d: deep(n - 1) });
    s.send({ type: "patch", mid: "at-limit", patch: { a: "z".repeat((1 << 20) - 8) } });
    expect(await s.next()).toEqual({ type: "ack", mid: "at-limit", version: 1 });
    s.send({ type: "patch", mid: "deep", patch: deep(64) });
    expect(await s.next()).toEqual({ type: "ack", mid: "deep", version: 2 });
    // One byte or one level past: rejected, naming the mid, so a client's write settles.
    s.send({ type: "patch", mid: "over", patch: { a: "z".repeat((1 << 20) - 7) } });
    expect(await s.next()).toMatchObject({ type: "reject", mid: "over", error: { code: "payload_too_large", message: "the patch is over the body size limit" } });
    s.send({ type: "patch", mid: "deeper", patch: deep(65) });
    expect(await s.next()).toMatchObject({ type: "reject", mid: "deeper", error: { code: "invalid_json", message: "JSON nesting is deeper than 64 levels" } });
    // Its preconditions are read first, as a body's are.
    s.send({ type: "patch", mid: "deeper-if", ifMatch: "x", patch: deep(65) });
    expect(await s.next()).toMatchObject({ type: "reject", mid: "deeper-if", error: { code: "invalid_if_match" } });
    // Past what a frame is parsed to (128 levels), or with a fault a body
    // would be refused for, the patch is still refused with its mid and the
    // body's answer; more than the bad-frame limit of them leave the socket
    // open, since none is a bad frame.
    const body = (patch) => SELF.fetch(`${BASE}/state/${id}`, { method: "PATCH", headers: { "content-type": "application/json" }, body: patch });
    const faults = [
      ["d127", JSON.stringify(deep(127))],
      ["d128", JSON.stringify(deep(128))],
      ["d500", JSON.stringify(deep(500))],
      ["dup", '{"a":1,"a":2}'],
      ["lone", '{"a":"\\ud800"}'],
      ["nulkey", '{"\\u0000":1}'],
      ["syntax", '{"a":[1,]}'],
      ["many", `{"a":[${"[],".repeat(65536)}[]]}`],
      // At the limit of arrays and objects, with a fault past them: the fault.
      ["limit-dup", `{"a":[${"[],".repeat(65533)}[]],"b":1,"b":2}`],
    ];
    for (const [mid, patch] of faults) {
      s.ws.send(`{"type":"patch","mid":"${mid}","patch":${patch}}`);
      const r = await s.next();
      const http = await body(patch);
      expect(http.status, mid).toBe(400);
      const error = (await http.json()).error;
      expect(r, mid).toMatchObject({ type: "reject", mid, error: { code: error.code } });
      // The same words, but for where the fault is: in the frame, past its
      // own opening.
      expect(r.error.message.replace(/at byte \d+/, "at byte N"), mid).toBe(error.message.replace(/at byte \d+/, "at byte N"));
    }
    // A frame that does not parse and names no patch with a mid is a bad
    // frame (on a socket of its own: this one has had 4 of its 8).
    const t = (await join(id)).s;
    t.ws.send('{"type":"patch","patch":{"a":1,"a":2}}');
    expect(await t.next((f) => f.type === "error")).toMatchObject({ type: "error", error: { code: "bad_frame" } });
    t.ws.send('{"type":"patch","mid":"has space","patch":{"a":1,"a":2}}');
    expect(await t.next((f) => f.type === "error")).toMatchObject({ type: "error", error: { code: "bad_frame", message: "mid must be 1-64 printable ASCII characters" } });
    t.ws.send('{"type":"hello","x":{"a":1,"a":2}}');
    expect(await t.next((f) => f.type === "error")).toMatchObject({ type: "error", error: { code: "bad_frame" } });
    t.ws.close(1000);
    expect((await s.next((f) => f.type === "leave")).type).toBe("leave");
    // Other frames: a body's depth inside their own level, no deeper.
    s.send({ type: "presence", data: deep(64) });
    s.send({ type: "presence", data: deep(65) });
    expect(await s.next()).toMatchObject({ type: "error", error: { code: "bad_frame", message: "the frame nests deeper than a body may, plus its own level" } });
    expect((await api.getState(id)).version).toBe(2);
    s.send({ type: "patch", mid: "big", patch: { a: "z".repeat((1 << 20) + 4096) } });
    expect(await s.closed()).toEqual({ code: 1009, reason: "the frame is over the size limit" });
    expect((await api.getState(id)).version).toBe(2);
  });
});

describe("rate limits (the test row: presence 5/s burst 5, hello 1/s burst 3, patch 50/s burst 20, a snapshot per 500 ms, 16 strikes)", () => {
  const limited = (f) => f.type === "error" && f.error.code === "rate_limited";

  it("a flood of presence frames and hellos: the flooder gets rate_limited with retry_after_ms, the others are served and told at most the burst", async () => {
    const id = freshId("flood");
    const flooder = await join(id);
    const other = await join(id);
    const start = Date.now();
    for (let i = 0; i < 10; i++) flooder.s.send({ type: "presence", data: { i } });
    for (let i = 0; i < 5; i++) flooder.s.send({ type: "hello", since: 0 });
    // The other socket is served while the flood is in the object's queue.
    other.s.send({ type: "patch", mid: "served", patch: { ok: 1 } });
    expect(await other.s.next(type("ack"), 3000)).toEqual({ type: "ack", mid: "served", version: 1 });
    const elapsed = (Date.now() - start) / 1000;
    await settle(300);
    const errors = flooder.s.seen.filter(limited);
    expect(errors.length).toBeGreaterThanOrEqual(5);
    for (const e of errors) {
      expect(e.error.retry_after_ms).toBeGreaterThan(0);
      expect(e.error.message).toMatch(/wait retry_after_ms/);
    }
    // What the others were told is bounded by the bucket, not by the flood.
    const told = other.s.seen.filter((f) => f.type === "presence").length;
    expect(told).toBeGreaterThanOrEqual(5);
    expect(told).toBeLessThanOrEqual(5 + Math.ceil(elapsed * 5) + 1);
    // The flooder is not closed for this: fewer than 16 strikes in a row.
    expect(await flooder.s.closed(200)).toBeNull();
    flooder.s.ws.close(1000);
    other.s.ws.close(1000);
  });

  it("a snapshot at most once per interval: a second hello without since within 500 ms is rate_limited, after it a snapshot", async () => {
    const id = freshId("snap");
    const { s, first } = await join(id);
    expect(first.type).toBe("snapshot");
    s.send({ type: "hello" });
    const e = await s.next();
    expect(limited(e)).toBe(true);
    expect(e.error.retry_after_ms).toBeGreaterThan(0);
    expect(e.error.retry_after_ms).toBeLessThanOrEqual(500);
    await settle(e.error.retry_after_ms + 50);
    s.send({ type: "hello" });
    expect((await s.next()).type).toBe("snapshot");
    s.ws.close(1000);
  });

  it("hellos and paths frames refused for the snapshot interval are limited frames: they spend the bucket, a run of them closes with 1008, and the paths they named are not taken", async () => {
    const id = freshId("snapflood");
    await patch(id, { a: { x: 1 }, b: { y: 2 } });
    const s = await open(id);
    s.send({ type: "hello", paths: ["/a"] });
    expect(await s.next()).toMatchObject({ type: "snapshot", state: { a: { x: 1 } } });
    await s.next(type("peers"));
    // Within the interval: refused, and the socket still reads /a only.
    s.send({ type: "paths", paths: ["/b"] });
    expect(limited(await s.next())).toBe(true);
    await patch(id, { b: { y: 3 } });
    await patch(id, { a: { x: 2 } });
    expect(await s.next(type("change"))).toMatchObject({ version: 3, patch: { a: { x: 2 } } });
    // A flood of them: each limited (the interval, then the bucket), and
    // 16 in a row close the socket.
    for (let i = 0; i < 40; i++) s.send({ type: "hello" });
    expect(await s.closed(5000)).toEqual({ code: 1008, reason: "rate limit exceeded" });
    expect(s.seen.filter(limited).length).toBeLessThanOrEqual(17);
  }, 15000);

  it("a patch over its rate is rate_limited naming its mid and is not applied", async () => {
    const id = freshId("patchrate");
    const { s } = await join(id);
    // The burst's 20 pass; of the 15 past it, however fast they are
    // answered, fewer than 16 in a row are limited, so the socket stays
    // open (with 60, a fast run closed it with 1008 before the last were
    // answered).
    const N = 35;
    for (let i = 0; i < N; i++) s.send({ type: "patch", mid: `m${i}`, patch: { [`k${i}`]: i } });
    const answered = async () => {
      for (let t = 0; t < 100; t++) {
        if (s.seen.filter((f) => f.type === "ack" || limited(f)).length === N) return;
        await settle(50);
      }
    };
    await answered();
    const acks = s.seen.filter((f) => f.type === "ack");
    const errors = s.seen.filter(limited);
    expect(await s.closed(10)).toBe(null);
    expect(acks.length + errors.length).toBe(N);
    expect(acks.length).toBeGreaterThanOrEqual(20);
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) expect(e.mid).toMatch(/^m\d+$/);
    // Exactly the acked patches were applied, none of the limited ones.
    const state = await api.getState(id);
    expect(state.version).toBe(acks.length);
    expect(Object.keys(state.state).sort()).toEqual(acks.map((a) => `k${a.mid.slice(1)}`).sort());
    s.ws.close(1000);
  }, 15000);

  it("16 limited frames in a row close the socket with 1008; a frame in between that passes resets the count", async () => {
    const id = freshId("strikes");
    const { s } = await join(id);
    const presence = (n) => { for (let i = 0; i < n; i++) s.send({ type: "presence", data: { i } }); };
    presence(10); // 5 pass (the burst), 5 are limited
    await settle(300); // a token comes back (5/s)
    presence(31); // the first passes and starts the count again; 16 limited in a row then close
    expect(await s.closed(5000)).toEqual({ code: 1008, reason: "rate limit exceeded" });
    // Without the reset the close would have come at the 16th limited frame.
    expect(s.seen.filter(limited).length).toBeGreaterThanOrEqual(21);
  }, 15000);
});

describe("the attachment's bound (C keeps it under 8,000 UTF-8 bytes; workerd's serialized limit is 16 KiB)", () => {
  it("the largest presence, in multi-byte characters, is stored: a peer that joins after an eviction sees it", async () => {
    const id = freshId("attbig");
    const a = await join(id);
    // 1,024 bytes of JSON in UTF-8 (the presence limit), every character of
    // the string outside Latin-1 (two bytes each when workerd serializes it).
    const data = { x: "\u20ac".repeat(200) + "\u{1F600}".repeat(104) };
    expect(new TextEncoder().encode(JSON.stringify(data)).length).toBeLessThanOrEqual(1024);
    a.s.send({ type: "presence", data });
    await settle();
    expect(a.s.pending().filter((f) => f.type === "error")).toEqual([]);
    await evictDurableObject(env.STATE.get(env.STATE.idFromName(id)));
    const b = await join(id);
    expect(b.peers.peers.map((p) => p.data)).toContainEqual(data);
    a.s.ws.close(1000);
    b.s.ws.close(1000);
  });
});

describe("the attachment is read inside the object's turn", () => {
  // A PATCH with x-cw-test-delay (test builds) holds the object's turn
  // while it waits; frames that arrive meanwhile queue behind it. Each must
  // see the attachment the frame before it wrote, not the one it had when
  // it arrived.
  it("bad frames queued behind a held turn still count: the 8th closes with 1008", async () => {
    const id = freshId("turnbad");
    const { s } = await join(id);
    const held = patch(id, { a: 1 }, { "x-cw-test-delay": "300" });
    await settle(50);
    for (let i = 0; i < 8; i++) s.send("{");
    expect((await held).status).toBe(200);
    expect(await s.closed(3000)).toEqual({ code: 1008, reason: "too many bad frames" });
    expect(s.seen.filter((f) => f.type === "error").length).toBe(8);
  });

  it("a presence frame queued behind a hello keeps the join: the others see it, and its leave", async () => {
    const id = freshId("turnjoin");
    const b = await join(id);
    const a = await open(id);
    const held = patch(id, { a: 1 }, { "x-cw-test-delay": "300" });
    await settle(50);
    a.send({ type: "hello" });
    a.send({ type: "presence", data: { me: "a" } });
    expect((await held).status).toBe(200);
    const p = await b.s.next(type("presence"));
    expect(p.data).toEqual({ me: "a" });
    // A third socket's peers frame lists a as joined with its data.
    const c = await join(id);
    expect(c.peers.peers).toContainEqual({ peer: p.peer, data: { me: "a" } });
    a.ws.close(1000);
    expect(await b.s.next(type("leave"))).toEqual({ type: "leave", peer: p.peer });
    expect(await c.s.next(type("leave"))).toEqual({ type: "leave", peer: p.peer });
    b.s.ws.close(1000);
    c.s.ws.close(1000);
  });
});

describe("hibernation", () => {
  // evictDurableObject (cloudflare:test) tears the object's instance down
  // and hibernates its sockets; the trap route then replaces the module's
  // instance, which the object shares with the worker in workerd. The next
  // message wakes a new object on a new module instance.
  it("a message to a hibernated object is served and broadcast, and the peer ids survive", async () => {
    const id = freshId("hib");
    const a = await join(id);
    const b = await join(id);
    a.s.send({ type: "presence", data: { me: "a" } });
    const pa = (await b.s.next()).peer;
    const instances = async () => Number((await (await get("/metrics", M)).text()).match(/^cw_cold_starts_total (\d+)$/m)[1]);
    const before = await instances();
    await evictDurableObject(env.STATE.get(env.STATE.idFromName(id)));
    expect((await SELF.fetch(`${BASE}/__test/trap/unreachable`, { method: "POST" })).status).toBe(500);
    a.s.send({ type: "patch", mid: "wake", patch: { woke: true } });
    expect(await a.s.next()).toEqual({ type: "ack", mid: "wake", version: 1 });
    expect(await b.s.next()).toEqual({ type: "change", version: 1, patch: { woke: true }, actor: null });
    a.s.send({ type: "presence", data: { me: "a2" } });
    expect(await b.s.next()).toEqual({ type: "presence", peer: pa, data: { me: "a2" } });
    expect(await instances()).toBe(before + 1); // the wake made the new module instance
    a.s.ws.close(1000);
    b.s.ws.close(1000);
  });
});

describe("selective sync: a hello's paths", () => {
  it("the snapshot holds only the subtrees; a write touching none of them sends nothing; each frame names the one before (prev); presence is unchanged", async () => {
    const id = freshId("sel");
    await patch(id, { cards: { c17: { t: "a" }, c18: { t: "b" } }, meta: { n: 1 }, other: "x" });
    const s = await open(id);
    s.send({ type: "hello", paths: ["/cards/c17", "/meta"] });
    expect(await s.next()).toMatchObject({ type: "snapshot", version: 1, state: { cards: { c17: { t: "a" } }, meta: { n: 1 } } });
    await s.next(type("peers"));
    const { s: all, first } = await join(id);
    expect(first.state.other).toBe("x");
    await patch(id, { other: "y", cards: { c18: null } }); // v2: none of its paths
    await patch(id, { cards: { c17: { t: "b" } } }); // v3
    await patch(id, { meta: null }); // v4
    await patch(id, { cards: null }); // v5: a parent deleted
    expect(await s.next(type("change"))).toMatchObject({ version: 3, prev: 1, patch: { cards: { c17: { t: "b" } } } });
    expect(await s.next(type("change"))).toMatchObject({ version: 4, prev: 3, patch: { meta: null } });
    expect(await s.next(type("change"))).toMatchObject({ version: 5, prev: 4, patch: { cards: { c17: null } } });
    // The whole-document socket got all four, with no prev.
    const seen = [];
    for (let v = 2; v <= 5; v++) seen.push(await all.next(type("change")));
    expect(seen.map((f) => [f.version, "prev" in f])).toEqual([[2, false], [3, false], [4, false], [5, false]]);
    // Presence goes to it as to anyone.
    all.send({ type: "presence", data: { name: "w" } });
    expect(await s.next(type("presence"))).toMatchObject({ data: { name: "w" } });
    // Its own write is acked with the version; what follows names it as prev... or earlier.
    s.send({ type: "patch", mid: "s1", patch: { meta: { n: 2 } } });
    expect(await s.next((f) => f.mid === "s1")).toEqual({ type: "ack", mid: "s1", version: 6 });
    await patch(id, { meta: { n: 3 } });
    expect(await s.next(type("change"))).toMatchObject({ version: 7, prev: 5, patch: { meta: { n: 3 } } });
    // A hello with since catches up on every entry, each with its part.
    const late = await open(id);
    late.send({ type: "hello", since: 4, paths: ["/meta"] });
    const ch = await late.next();
    expect(ch).toMatchObject({ type: "changes", version: 7 });
    expect(ch.changes.map((c) => [c.version, c.patch])).toEqual([[5, {}], [6, { meta: { n: 2 } }], [7, { meta: { n: 3 } }]]);
    s.ws.close(1000);
    all.ws.close(1000);
    late.ws.close(1000);
  });

  it("a paths frame changes them without reconnecting: a snapshot of what they now cover, then only their changes", async () => {
    const id = freshId("selp");
    await patch(id, { a: { x: 1 }, b: { y: 2 } });
    const s = await open(id);
    s.send({ type: "hello", paths: ["/a"] });
    expect(await s.next()).toMatchObject({ type: "snapshot", state: { a: { x: 1 } } });
    await s.next(type("peers"));
    // Bad paths: an error frame, nothing changes.
    s.send({ type: "paths", paths: ["nope"] });
    expect(await s.next(type("error"))).toMatchObject({ error: { code: "bad_frame" } });
    s.send({ type: "paths" });
    expect(await s.next(type("error"))).toMatchObject({ error: { code: "bad_frame" } });
    await settle(1100); // hellos and paths share a bucket (1/s, burst 3 in the test row)
    s.send({ type: "paths", paths: ["/b"] });
    expect(await s.next(type("snapshot"))).toMatchObject({ version: 1, state: { b: { y: 2 } } });
    await patch(id, { a: { x: 9 } }); // not its paths any more
    await patch(id, { b: { y: 3 } });
    expect(await s.next(type("change"))).toMatchObject({ version: 3, prev: 1, patch: { b: { y: 3 } } });
    await settle(1100);
    s.send({ type: "paths", paths: [""] }); // the whole document again
    expect(await s.next(type("snapshot"))).toMatchObject({ version: 3, state: { a: { x: 9 }, b: { y: 3 } } });
    await patch(id, { c: 1 });
    const f = await s.next(type("change"));
    expect(f).toMatchObject({ version: 4, patch: { c: 1 } });
    expect("prev" in f).toBe(false);
    s.ws.close(1000);
  });

  it("paths as the socket's state holds them: an empty list is the whole document; over 2048 bytes in all is a bad frame", async () => {
    const id = freshId("selsize");
    await patch(id, { a: 1, b: 2 });
    const s = await open(id);
    const long = (c) => `/${c.repeat(1000)}`;
    s.send({ type: "hello", paths: [long("x"), long("y"), long("z")] });
    expect(await s.next()).toMatchObject({ type: "error", error: { code: "bad_frame", message: expect.stringMatching(/2048 bytes of JSON in all/) } });
    // counted as the socket's state writes them: a control character is six bytes there
    s.send({ type: "hello", paths: [`/${"\u0001".repeat(400)}`] });
    expect(await s.next()).toMatchObject({ type: "error", error: { code: "bad_frame" } });
    // More than 32 pointers, or one over 1024 bytes (each within 2048 in
    // all), or one that is no pointer: each on a socket of its own, as bad
    // hellos spend the hello bucket.
    for (const paths of [Array.from({ length: 33 }, (_, i) => `/${i}`), [`/${"x".repeat(1024)}`], ["a"]]) {
      const u = await open(id);
      u.send({ type: "hello", paths });
      expect(await u.next(), JSON.stringify(paths).slice(0, 40)).toMatchObject({ type: "error", error: { code: "bad_frame", message: expect.stringMatching(/at most 32 JSON Pointers \(RFC 6901\) of at most 1024 bytes/) } });
      u.ws.close(1000);
    }
    s.send({ type: "hello", paths: [long("x"), long("y")] });
    expect(await s.next()).toMatchObject({ type: "snapshot", state: {} });
    await s.next(type("peers"));
    const t = await open(id);
    t.send({ type: "hello", paths: [] });
    expect(await t.next()).toMatchObject({ type: "snapshot", state: { a: 1, b: 2 } });
    s.ws.close(1000);
    t.ws.close(1000);
  });

  it("GET /state/{id}/changes?paths= filters each entry to the part under them; a bad list is 400", async () => {
    const id = freshId("selc");
    await patch(id, { a: { x: 1 }, b: 2 });
    await patch(id, { b: 3 });
    const q = encodeURIComponent(JSON.stringify(["/a"]));
    const r = await (await get(`/state/${id}/changes?since=0&paths=${q}`)).json();
    expect(r.changes.map((c) => [c.version, c.patch])).toEqual([[1, { a: { x: 1 } }], [2, {}]]);
    // An empty list, or one holding "", is the whole document, as in a hello.
    for (const all of [[], [""], ["/a", ""]]) {
      const w = await (await get(`/state/${id}/changes?since=0&paths=${encodeURIComponent(JSON.stringify(all))}`)).json();
      expect(w.changes.map((c) => c.patch), JSON.stringify(all)).toEqual([{ a: { x: 1 }, b: 2 }, { b: 3 }]);
    }
    for (const bad of ["nope", encodeURIComponent('["a"]'), encodeURIComponent('{"a":1}')]) {
      const res = await get(`/state/${id}/changes?since=0&paths=${bad}`);
      expect(res.status, bad).toBe(400);
      expect((await res.json()).error.code).toBe("invalid_parameter");
    }
  });
});
