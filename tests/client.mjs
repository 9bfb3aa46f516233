// Unit tests of the live client as served (build/public/sync.js, the
// minified build of client/sync.js), in Node, against a scripted server:
// a WebSocket class whose frames the test writes and reads. Appends
// "client <passed> <failed>" to the file in argv[2].
import { appendFileSync } from "node:fs";
import assert from "node:assert/strict";
import path from "node:path";
import { pathToFileURL } from "node:url";

const served = path.resolve(import.meta.dirname, "../build/public/sync.js");
const { connect, merge, diff } = await import(pathToFileURL(served).href);
const { keyBetween, ordered, newSuffix } = await import(pathToFileURL(path.join(path.dirname(served), "order.js")).href);
const { offline, memoryStore, subjectOf } = await import(pathToFileURL(path.join(path.dirname(served), "persist.js")).href);

const say = (line) => process.stdout.write(`${line}\n`);
let passed = 0;
let failed = 0;
async function test(name, fn) {
  let timer;
  try {
    await Promise.race([fn(), new Promise((_, no) => (timer = setTimeout(() => no(new Error("timed out after 5 s")), 5000)))]);
    passed += 1;
    say(`  ok   ${name}`);
  } catch (e) {
    failed += 1;
    say(`  FAIL ${name}\n${e.stack}`);
  } finally {
    clearTimeout(timer);
  }
}
const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

// A scripted server: every socket the client opens, what it sent, and a
// way to answer. sockets[i].frames() are the JSON frames it sent.
function server() {
  const sockets = [];
  class FakeSocket {
    constructor(url, protocols) {
      this.url = url;
      this.protocols = protocols;
      this.readyState = 0;
      this.sent = [];
      sockets.push(this);
      setTimeout(() => {
        this.readyState = 1;
        this.onopen?.();
      }, 0);
    }
    send(text) {
      this.sent.push(text);
    }
    close(code = 1000, reason = "") {
      if (this.readyState === 3) return;
      this.readyState = 3;
      this.onclose?.({ code, reason });
    }
    // The server's side:
    frame(f) {
      this.onmessage?.({ data: JSON.stringify(f) });
    }
    frames() {
      return this.sent.filter((t) => t !== "ping").map((t) => JSON.parse(t));
    }
  }
  return { WebSocket: FakeSocket, sockets, last: () => sockets[sockets.length - 1] };
}

// Connects, up to the first socket's open: { s, doc, ws }.
async function connected(options = {}) {
  const s = server();
  const doc = connect("https://host/state/d/live", { WebSocket: s.WebSocket, minDelay: 1, maxDelay: 5, ...options });
  await tick(5);
  return { s, doc, ws: s.last() };
}

// Connects and answers the first hello (naming options.paths, if any):
// snapshot of state at version, then peers with the idempotency window.
async function opened(options = {}, { state = {}, version = 0, keys = { ms: 86400000, writes: 10000 } } = {}) {
  const { s, doc, ws } = await connected(options);
  assert.deepEqual(ws.frames(), [{ type: "hello", ...(options.paths && { paths: options.paths }) }]);
  ws.frame({ type: "snapshot", id: "d", version, state });
  ws.frame({ type: "peers", peers: [], keys });
  assert.equal(doc.status, "open");
  return { s, doc, ws };
}

await test("merge: a __proto__ member is an own member, never the prototype; null deletes; nested objects merge", () => {
  const out = merge({ a: 1, n: { x: 1, y: 2 } }, JSON.parse('{"__proto__":{"polluted":true},"a":null,"n":{"y":null,"z":3}}'));
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  assert.equal({}.polluted, undefined);
  assert.deepEqual(Object.keys(out), ["n", "__proto__"]);
  assert.deepEqual(Object.getOwnPropertyDescriptor(out, "__proto__").value, { polluted: true });
  assert.deepEqual(out.n, { x: 1, z: 3 });
  // An inherited name in the target is not a member to merge into.
  assert.deepEqual(merge({}, { toString: { a: 1 } }).toString, { a: 1 });
});

await test("diff: own keys only, so deleting or adding a member named constructor or toString is kept", () => {
  assert.deepEqual(diff({ constructor: 1, keep: 2 }, { keep: 2 }), { constructor: null });
  assert.deepEqual(diff({}, { constructor: 1 }), { constructor: 1 });
  assert.deepEqual(diff({ toString: "x" }, {}), { toString: null });
  assert.deepEqual(diff({ a: { b: 1, c: 2 } }, { a: { b: 1 } }), { a: { c: null } });
  const p = diff({}, JSON.parse('{"__proto__":{"x":1}}'));
  assert.deepEqual(Object.getOwnPropertyDescriptor(p, "__proto__").value, { x: 1 });
});

await test("patch() rejects a value JSON cannot carry with invalid_patch naming its JSON Pointer; nothing is sent or shown", async () => {
  const { doc, ws } = await opened();
  const cases = [
    [{ n: NaN }, '"NaN" at "/n"'],
    [{ a: { b: Infinity } }, '"Infinity" at "/a/b"'],
    [{ c: -Infinity }, '"-Infinity" at "/c"'],
    [{ list: [1, undefined] }, '"undefined" at "/list/1"'],
    [{ big: 1n }, '"bigint" at "/big"'],
    [{ f() {} }, '"function" at "/f"'],
    [{ s: Symbol("x") }, '"symbol" at "/s"'],
    [{ "a/b": { "~": NaN } }, '"NaN" at "/a~1b/~0"'],
    [{ due: new Date("x") }, '"Invalid Date" at "/due"'],
    [{ n: new Number(NaN) }, '"NaN" at "/n"'],
    [{ n: { toJSON: () => NaN } }, '"NaN" at "/n"'],
    [{ n: { toJSON: () => 1n } }, '"bigint" at "/n"'],
    [{ t: "a\ud800b" }, '"a lone surrogate" at "/t"'],
    [{ t: ["ok \ud83d\ude00", "\udc00"] }, '"a lone surrogate" at "/t/1"'],
    [{ "k\udbff": 1 }, '"a name with a lone surrogate" at "/k\udbff"'],
  ];
  for (const [patch, where] of cases) {
    await assert.rejects(doc.patch(patch), (e) => {
      assert.equal(e.code, "invalid_patch");
      assert.ok(e.message.includes(where.replace(/^"(.*)" at /, "$1 at ")), `${e.message} names ${where}`);
      return true;
    });
  }
  await assert.rejects(doc.patch([1]), { code: "invalid_patch" });
  // What is not an object once written (a Date as the whole patch) and
  // what JSON.stringify cannot write at all.
  await assert.rejects(doc.patch(new Date(0)), { code: "invalid_patch", message: /must be a JSON object/ });
  const cyclic = { a: {} };
  cyclic.a.back = cyclic;
  await assert.rejects(doc.patch(cyclic), { code: "invalid_patch", message: 'a cycle at "/a/back" is not a JSON value: JSON cannot carry it' });
  let deep = {};
  for (let i = 0; i < 100000; i++) deep = { d: deep };
  await assert.rejects(doc.patch(deep), { code: "invalid_patch", message: /cannot be written as JSON/ });
  await assert.rejects(doc.patch({ t: { toJSON() { throw new Error("no"); } } }), { code: "invalid_patch", message: /cannot be written as JSON: no/ });
  assert.deepEqual(ws.frames().filter((f) => f.type === "patch"), []);
  assert.deepEqual(doc.state, {});
});

await test("close(): a write pending then rejects with code closed (and is not reported unhandled); a patch after it rejects at once and shows nothing", async () => {
  const { doc } = await opened();
  const unanswered = doc.patch({ a: 1 });
  doc.patch({ b: 1 }); // nobody awaits this one: no unhandled rejection
  doc.close();
  await assert.rejects(unanswered, { code: "closed" });
  const shown = doc.state;
  await assert.rejects(doc.patch({ c: 1 }), { code: "closed" });
  assert.equal(doc.state, shown);
});

await test("the optimistic state is the wire form, what the server will apply: a Date as its JSON text, undefined members left out", async () => {
  const { doc, ws } = await opened({}, { state: { keep: 1, gone: 2 } });
  doc.patch({ when: new Date(0), gone: undefined, z: -0, nested: { toJSON: () => "T" } });
  const sent = ws.frames().find((f) => f.type === "patch");
  assert.deepEqual(sent.patch, { when: "1970-01-01T00:00:00.000Z", z: 0, nested: "T" });
  assert.deepEqual(doc.state, { keep: 1, gone: 2, when: "1970-01-01T00:00:00.000Z", z: 0, nested: "T" });
});

await test("token: a function is called on every connect, may return a promise; after 4001 a new one at once, pending writes resent with their mids", async () => {
  let calls = 0;
  const token = async () => `t${++calls}`;
  const { s, doc, ws } = await opened({ token });
  assert.deepEqual(ws.protocols, ["sync.v1", "bearer.t1"]);
  const p = doc.patch({ a: 1 });
  const mid = ws.frames().find((f) => f.type === "patch").mid;
  ws.close(4001, "token_expired");
  await tick(5);
  const ws2 = s.last();
  assert.notEqual(ws2, ws);
  assert.deepEqual(ws2.protocols, ["sync.v1", "bearer.t2"]);
  assert.deepEqual(ws2.frames(), [{ type: "hello", since: 0 }]);
  ws2.frame({ type: "changes", version: 0, changes: [] });
  ws2.frame({ type: "peers", peers: [] });
  const resent = ws2.frames().filter((f) => f.type === "patch");
  assert.deepEqual(resent.map((f) => f.mid), [mid]);
  ws2.frame({ type: "ack", mid, version: 1 });
  assert.equal(await p, 1);
  assert.deepEqual(doc.state, { a: 1 });
  // A string token is used as it is; 4002 also reconnects at once.
  ws2.close(4002, "key_revoked");
  await tick(5);
  assert.equal(s.sockets.length, 3);
  assert.equal(calls, 3);
  doc.close();
});

await test("a patch rejected invalid_token (the token ended) stays pending and is applied after the reconnect, not lost", async () => {
  let calls = 0;
  const { s, doc, ws } = await opened({ token: () => `t${++calls}` });
  let settled = null;
  const p = doc.patch({ kept: 1 });
  p.then((v) => (settled = v), (e) => (settled = e));
  const mid = ws.frames().find((f) => f.type === "patch").mid;
  ws.frame({ type: "reject", mid, error: { code: "invalid_token", message: "the token has expired; connect again with a new token" } });
  ws.close(4001, "token_expired");
  await tick(5);
  assert.equal(settled, null);
  assert.deepEqual(doc.state, { kept: 1 });
  const ws2 = s.last();
  ws2.frame({ type: "changes", version: 0, changes: [] });
  ws2.frame({ type: "peers", peers: [] });
  assert.deepEqual(ws2.frames().filter((f) => f.type === "patch").map((f) => f.mid), [mid]);
  ws2.frame({ type: "ack", mid, version: 1 });
  assert.equal(await p, 1);
  assert.equal(calls, 2);
  doc.close();
});

await test("a token function that throws: an error event, then a retry with backoff", async () => {
  let calls = 0;
  const s = server();
  const errors = [];
  const doc = connect("https://host/state/d/live", {
    WebSocket: s.WebSocket,
    minDelay: 1,
    maxDelay: 2,
    token: () => {
      if (++calls === 1) throw new Error("auth endpoint down");
      return "ok";
    },
  });
  doc.on("error", (e) => errors.push(e));
  await tick(20);
  assert.deepEqual(errors[0], { code: "token", message: "auth endpoint down" });
  assert.equal(s.sockets.length, 1);
  assert.deepEqual(s.last().protocols, ["sync.v1", "bearer.ok"]);
  doc.close();
});

await test("a write sent before and older than the server's idempotency window (by count) is rejected with code expired, not resent", async () => {
  const { s, doc, ws } = await opened({}, { keys: { ms: 86400000, writes: 2 } });
  const lost = doc.patch({ mine: 1 });
  const mid = ws.frames().find((f) => f.type === "patch").mid;
  ws.close(1006);
  await tick(20);
  const ws2 = s.last();
  // Three writes by others since: past the window of 2.
  ws2.frame({ type: "changes", version: 3, changes: [1, 2, 3].map((v) => ({ version: v, patch: { [`o${v}`]: v }, actor: null })) });
  ws2.frame({ type: "peers", peers: [], keys: { ms: 86400000, writes: 2 } });
  await assert.rejects(lost, (e) => e.code === "expired" && /idempotency window/.test(e.message));
  assert.deepEqual(ws2.frames().filter((f) => f.type === "patch" && f.mid === mid), []);
  assert.deepEqual(doc.state, { o1: 1, o2: 2, o3: 3 });
  doc.close();
});

await test("expired by count: a write made before the first snapshot counts from the version known when it first went; one sent while a snapshot arrives in parts, from the snapshot's version", async () => {
  const s = server();
  const doc = connect("https://host/state/d/live", { WebSocket: s.WebSocket, minDelay: 1, maxDelay: 5 });
  const early = doc.patch({ early: 1 }); // since unknown yet
  await tick(5);
  let ws = s.last();
  ws.frame({ type: "snapshot", id: "d", version: 7, state: {} });
  ws.frame({ type: "peers", peers: [], keys: { ms: 86400000, writes: 2 } });
  assert.equal(ws.frames().filter((f) => f.type === "patch").length, 1); // sent at version 7
  ws.close(1006);
  await tick(20);
  ws = s.last();
  ws.frame({ type: "changes", version: 10, changes: [8, 9, 10].map((v) => ({ version: v, patch: { [`o${v}`]: v }, actor: null })) });
  ws.frame({ type: "peers", peers: [], keys: { ms: 86400000, writes: 2 } });
  await assert.rejects(early, { code: "expired" });
  assert.deepEqual(ws.frames().filter((f) => f.type === "patch"), []);
  // A snapshot in parts: peers comes after its first part; the count is
  // taken from the snapshot's version, not the one before it.
  const lost = doc.patch({ lost: 1 }); // sent at 10, its ack lost
  ws.close(1006);
  await tick(20);
  ws = s.last();
  ws.frame({ type: "snapshot", id: "d", version: 50, part: 0, more: true, text: '{"a"' });
  ws.frame({ type: "peers", peers: [], keys: { ms: 86400000, writes: 2 } });
  await assert.rejects(lost, { code: "expired" });
  ws.frame({ type: "snapshot", id: "d", version: 50, part: 1, more: false, text: ":1}" });
  assert.deepEqual([doc.version, doc.state], [50, { a: 1 }]);
  assert.deepEqual(ws.frames().filter((f) => f.type === "patch"), []);
  doc.close();
});

await test("1009 (a frame over the server's limit): the largest write sent is rejected payload_too_large, not sent again after the reconnect; a presence larger than any write is cleared", async () => {
  const { s, doc, ws } = await opened();
  const small = doc.patch({ s: 1 });
  const big = doc.patch({ b: "x".repeat(5000) });
  const errors = [];
  doc.on("error", (e) => errors.push(e.code));
  ws.close(1009, "the frame is over the size limit");
  await assert.rejects(big, (e) => e.code === "payload_too_large" && /1009/.test(e.message));
  assert.deepEqual(doc.state, { s: 1 });
  await tick(20);
  const ws2 = s.last();
  ws2.frame({ type: "changes", version: 0, changes: [] });
  ws2.frame({ type: "peers", peers: [], keys: { ms: 86400000, writes: 10000 } });
  const mids = ws2.frames().filter((f) => f.type === "patch");
  assert.deepEqual(mids.map((f) => f.patch), [{ s: 1 }]);
  ws2.frame({ type: "ack", mid: mids[0].mid, version: 1 });
  assert.equal(await small, 1);
  doc.presence({ p: "y".repeat(5000) });
  ws2.close(1009, "the frame is over the size limit");
  await tick(20);
  const ws3 = s.last();
  ws3.frame({ type: "changes", version: 1, changes: [] });
  ws3.frame({ type: "peers", peers: [], keys: { ms: 86400000, writes: 10000 } });
  assert.deepEqual(ws3.frames().filter((f) => f.type === "presence"), []);
  assert.deepEqual(errors, ["payload_too_large"]);
  doc.close();
});

await test("a rate-limited hello's retry does not fire on the next socket: that one says its own hello on open", async () => {
  const { s, doc, ws } = await opened();
  ws.frame({ type: "change", version: 3, patch: { x: 1 }, actor: null }); // a gap: hello
  ws.frame({ type: "error", error: { code: "rate_limited", message: "wait", retry_after_ms: 30 } });
  ws.close(1006);
  await tick(60);
  const ws2 = s.last();
  assert.notEqual(ws2, ws);
  assert.deepEqual(ws2.frames(), [{ type: "hello" }]);
  ws2.frame({ type: "snapshot", id: "d", version: 3, state: { x: 1 } });
  ws2.frame({ type: "peers", peers: [] });
  assert.deepEqual([doc.status, doc.version], ["open", 3]);
  doc.close();
});

await test("a write sent before and older than the window (by time, less a minute for clock skew) is rejected expired; one never sent goes at any age", async () => {
  const { s, doc, ws } = await opened({}, { keys: { ms: 60001, writes: 10000 } });
  const lost = doc.patch({ sent: 1 });
  ws.close(1006);
  const unsent = doc.patch({ unsent: 1 }); // made while no socket is open
  await tick(20);
  const ws2 = s.last();
  ws2.frame({ type: "changes", version: 0, changes: [] });
  ws2.frame({ type: "peers", peers: [], keys: { ms: 60001, writes: 10000 } });
  await assert.rejects(lost, { code: "expired" });
  const patches = ws2.frames().filter((f) => f.type === "patch");
  assert.deepEqual(patches.map((f) => f.patch), [{ unsent: 1 }]);
  ws2.frame({ type: "ack", mid: patches[0].mid, version: 1 });
  assert.equal(await unsent, 1);
  doc.close();
});

await test("one hello at a time: gaps while a hello is unanswered send no second one", async () => {
  const { doc, ws } = await opened({}, { version: 5 });
  ws.frame({ type: "change", version: 9, patch: { a: 1 }, actor: null }); // a gap: resync
  ws.frame({ type: "change", version: 10, patch: { b: 1 }, actor: null });
  ws.frame({ type: "change", version: 11, patch: { c: 1 }, actor: null });
  assert.deepEqual(ws.frames().filter((f) => f.type === "hello"), [{ type: "hello" }, { type: "hello" }]);
  ws.frame({ type: "snapshot", id: "d", version: 11, state: { a: 1, b: 1, c: 1 } });
  ws.frame({ type: "change", version: 13, patch: { d: 1 }, actor: null }); // a new gap: a new hello
  assert.equal(ws.frames().filter((f) => f.type === "hello").length, 3);
  doc.close();
});

await test("rate_limited: a limited patch is sent again with its mid after retry_after_ms; a limited hello is asked again", async () => {
  const { doc, ws } = await opened();
  const p = doc.patch({ a: 1 });
  const mid = ws.frames().find((f) => f.type === "patch").mid;
  ws.frame({ type: "error", mid, error: { code: "rate_limited", message: "too many frames of this type; wait retry_after_ms", retry_after_ms: 10 } });
  await tick(30);
  assert.deepEqual(ws.frames().filter((f) => f.type === "patch").map((f) => f.mid), [mid, mid]);
  ws.frame({ type: "ack", mid, version: 1 });
  assert.equal(await p, 1);
  ws.frame({ type: "change", version: 3, patch: { x: 1 }, actor: null }); // gap: hello
  ws.frame({ type: "error", error: { code: "rate_limited", message: "a socket gets a snapshot at most once per interval; wait retry_after_ms", retry_after_ms: 10 } });
  const hellos = () => ws.frames().filter((f) => f.type === "hello").length;
  assert.equal(hellos(), 2);
  await tick(30);
  assert.equal(hellos(), 3);
  ws.frame({ type: "snapshot", id: "d", version: 3, state: { a: 1, x: 1 } });
  // A limited paths frame goes again, naming the paths set last (one
  // paths frame is out at a time: the second setPaths waits for it).
  doc.setPaths(["/a"]);
  doc.setPaths(["/x"]);
  ws.frame({ type: "error", error: { code: "rate_limited", message: "too many frames of this type; wait retry_after_ms", retry_after_ms: 10 } });
  await tick(30);
  assert.deepEqual(ws.frames().filter((f) => f.type === "paths").map((f) => f.paths), [["/a"], ["/x"]]);
  ws.frame({ type: "snapshot", id: "d", version: 3, state: { x: 1 } });
  assert.deepEqual(doc.state, { x: 1 });
  doc.close();
});

await test("an error answering a hello (a snapshot cut off, a failed read) asks again a second later, before the first join and in a resync", async () => {
  const { doc, ws } = await connected();
  const hellos = () => ws.frames().filter((f) => f.type === "hello").length;
  ws.frame({ type: "error", error: { code: "storage", message: "storage failed: a read failed" } });
  await tick(1100);
  assert.equal(hellos(), 2);
  ws.frame({ type: "snapshot", id: "d", version: 2, state: { a: 1 } });
  ws.frame({ type: "peers", peers: [], keys: { ms: 86400000, writes: 10000 } });
  assert.equal(doc.status, "open");
  ws.frame({ type: "change", version: 5, patch: { x: 1 }, actor: null }); // a gap: resync
  assert.equal(hellos(), 3);
  ws.frame({ type: "error", error: { code: "storage", message: "storage failed: a read failed" } });
  await tick(1100);
  assert.equal(hellos(), 4);
  ws.frame({ type: "snapshot", id: "d", version: 5, state: { a: 1, x: 1 } });
  ws.frame({ type: "change", version: 6, patch: { y: 1 }, actor: null });
  assert.deepEqual([doc.version, doc.state], [6, { a: 1, x: 1, y: 1 }]);
  doc.close();
});

await test("errors answering hello after hello (paths whose part is too large) ask again after 1 s, then longer, up to maxDelay; an answer starts over", async () => {
  const { doc, ws } = await connected({ maxDelay: 1500, paths: ["/big"] });
  const hellos = () => ws.frames().filter((f) => f.type === "hello").length;
  const refuse = () => ws.frame({ type: "error", error: { code: "payload_too_large", message: "the part of the state these paths cover is over 4194304 bytes" } });
  refuse();
  await tick(1100);
  assert.equal(hellos(), 2);
  refuse();
  await tick(1200);
  assert.equal(hellos(), 2); // 2 s, capped at maxDelay: 1.5 s
  await tick(500);
  assert.equal(hellos(), 3);
  ws.frame({ type: "snapshot", id: "d", version: 1, state: {} }); // answered: starts over
  ws.frame({ type: "change", version: 3, prev: 2, patch: {}, actor: null }); // a gap: hello
  refuse();
  await tick(1100);
  assert.equal(hellos(), 5);
  doc.close();
});

await test("selective sync: hello names the paths; a change with prev at or below the version applies, one past it resyncs; acks may skip versions; setPaths asks again", async () => {
  const s = server();
  const doc = connect("https://host/state/d/live", { WebSocket: s.WebSocket, minDelay: 1, maxDelay: 5, paths: ["/cards/c1", "/meta"] });
  await tick(5);
  const ws = s.last();
  assert.deepEqual(ws.frames(), [{ type: "hello", paths: ["/cards/c1", "/meta"] }]);
  ws.frame({ type: "snapshot", id: "d", version: 4, state: { meta: { n: 1 } } });
  ws.frame({ type: "peers", peers: [], keys: { ms: 86400000, writes: 10000 } });
  ws.frame({ type: "change", version: 9, prev: 4, patch: { meta: { n: 2 } }, actor: null }); // 5-8 touched none of them
  assert.equal(doc.version, 9);
  assert.deepEqual(doc.state, { meta: { n: 2 } });
  const p = doc.patch({ meta: { n: 3 } });
  ws.frame({ type: "ack", mid: ws.frames().find((f) => f.type === "patch").mid, version: 12 });
  assert.equal(await p, 12);
  assert.equal(doc.version, 12);
  ws.frame({ type: "change", version: 13, prev: 9, patch: { cards: { c1: 1 } }, actor: null }); // prev before our ack: nothing missed
  assert.deepEqual(doc.state, { meta: { n: 3 }, cards: { c1: 1 } });
  // A frame whose prev is past what this client has: it missed one, so it asks again.
  ws.frame({ type: "change", version: 20, prev: 15, patch: { meta: 0 }, actor: null });
  assert.equal(doc.version, -1);
  assert.deepEqual(ws.frames().at(-1), { type: "hello", paths: ["/cards/c1", "/meta"] });
  ws.frame({ type: "snapshot", id: "d", version: 20, state: { meta: 0 } });
  doc.setPaths(["/other"]);
  assert.deepEqual(ws.frames().at(-1), { type: "paths", paths: ["/other"] });
  doc.setPaths(null); // asked for once the first is answered
  assert.deepEqual(ws.frames().at(-1), { type: "paths", paths: ["/other"] });
  ws.frame({ type: "snapshot", id: "d", version: 20, state: {} });
  assert.deepEqual(ws.frames().at(-1), { type: "paths", paths: [""] });
  doc.close();
});

await test("selective sync: the state stays what a snapshot of the paths holds: no parent left empty by a delete, and of an acknowledged write only its part under the paths", async () => {
  const paths = ["/cards/c1", "/cards/c2", "/meta", "/deep/a/b", "/a~1b"];
  const { doc, ws } = await opened({ paths }, { version: 1, state: { cards: { c1: { t: 1 }, c2: 2 }, meta: {}, deep: { a: { b: 1 } }, "a/b": 3 } });
  const change = (version, prev, patch) => ws.frame({ type: "change", version, prev, patch, actor: null });
  // c1 deleted: cards keeps c2.
  change(2, 1, { cards: { c1: null } });
  assert.deepEqual(doc.state, { cards: { c2: 2 }, meta: {}, deep: { a: { b: 1 } }, "a/b": 3 });
  // c2 deleted too: cards held nothing but them, so it goes; meta, an
  // entry itself, stays though empty; a deep entry's parents go.
  change(3, 2, { cards: { c2: null } });
  change(4, 3, { deep: { a: { b: null } } });
  assert.deepEqual(doc.state, { meta: {}, "a/b": 3 });
  // Our own writes: their part only. Outside the paths nothing is kept
  // (changes there are never sent to this socket, so it would go stale).
  const ack = async (patch, version) => {
    const p = doc.patch(patch);
    ws.frame({ type: "ack", mid: ws.frames().filter((f) => f.type === "patch").at(-1).mid, version });
    assert.equal(await p, version);
  };
  await ack({ other: 1, cards: { c1: { t: 2 }, c9: 9 }, meta: { m: 1 } }, 5);
  assert.deepEqual(doc.state, { meta: { m: 1 }, "a/b": 3, cards: { c1: { t: 2 } } });
  // A parent replaced by a value that is not an object deletes what was under it.
  await ack({ cards: 5, deep: [1] }, 6);
  assert.deepEqual(doc.state, { meta: { m: 1 }, "a/b": 3 });
  await ack({ "a/b": null, deep: { a: { b: { x: 1 } } } }, 7);
  assert.deepEqual(doc.state, { meta: { m: 1 }, deep: { a: { b: { x: 1 } } } });
  doc.close();
});

await test("selective sync: an entry another covers counts as that one (an empty object at it stays); a list with \"\" is the whole document", async () => {
  const { doc, ws } = await opened({ paths: ["/cards/c1", "/cards"] }, { version: 1, state: { cards: { c1: 1 } } });
  ws.frame({ type: "change", version: 2, prev: 1, patch: { cards: { c1: null } }, actor: null });
  assert.deepEqual(doc.state, { cards: {} });
  doc.setPaths(["", "/x/y"]);
  ws.frame({ type: "snapshot", id: "d", version: 2, state: { cards: {} } });
  const p = doc.patch({ z: { q: 1 } });
  ws.frame({ type: "ack", mid: ws.frames().filter((f) => f.type === "patch").at(-1).mid, version: 3 });
  await p;
  ws.frame({ type: "change", version: 4, patch: { z: { q: null } }, actor: null });
  assert.deepEqual(doc.state, { cards: {}, z: {} });
  doc.close();
});

await test("setPaths: while no socket is open the next hello asks for a snapshot (no since); set while the hello is out, the paths frame goes once it is answered; the offline store keeps the paths its state holds", async () => {
  const s = server();
  const storage = memoryStore();
  const kept = offline({ storage });
  const doc = connect("https://host/state/d/live", { WebSocket: s.WebSocket, offline: kept, minDelay: 1, maxDelay: 5, paths: ["/a"] });
  await tick(5);
  let ws = s.last();
  ws.frame({ type: "snapshot", id: "d", version: 1, state: { a: { v: 1 } } });
  ws.frame({ type: "peers", peers: [] });
  ws.close(1006);
  doc.setPaths(["/b"]);
  await tick(20);
  ws = s.last();
  assert.deepEqual(ws.frames(), [{ type: "hello", paths: ["/b"] }]); // not since 1: that state is /a's
  ws.frame({ type: "snapshot", id: "d", version: 2, state: { b: { v: 2 } } });
  ws.frame({ type: "peers", peers: [] });
  assert.deepEqual(doc.state, { b: { v: 2 } });
  // Set while the hello is out: its answer is the old paths', kept as
  // theirs (saved under them), then the paths frame asks for the new.
  ws.close(1006);
  await tick(20);
  ws = s.last();
  assert.deepEqual(ws.frames(), [{ type: "hello", since: 2, paths: ["/b"] }]);
  doc.setPaths(["/c"]);
  doc.patch({ c: { mine: 1 } }).catch(() => {}); // a save before the answer
  await kept.flushed();
  assert.deepEqual((await kept.load("https://host/state/d/live")).paths, ["/b"]);
  ws.frame({ type: "changes", version: 3, changes: [{ version: 3, prev: 2, patch: { b: { v: 3 } }, actor: null }] });
  ws.frame({ type: "peers", peers: [] });
  assert.deepEqual(ws.frames().filter((f) => f.type === "paths"), [{ type: "paths", paths: ["/c"] }]);
  ws.frame({ type: "snapshot", id: "d", version: 3, state: { c: { v: 1 } } });
  await kept.flushed();
  assert.deepEqual((await kept.load("https://host/state/d/live")).paths, ["/c"]);
  assert.deepEqual(doc.state, { c: { v: 1, mine: 1 } });
  doc.close();
});

await test("setPaths then a gap: the hello waits for the paths frame's answer, whose snapshot heals the gap; both limited, one asks again and the client syncs", async () => {
  const { doc: d, ws: w } = await opened({ paths: ["/a"] }, { version: 1, state: { a: 1 } });
  d.setPaths(["/p1"]);
  w.frame({ type: "change", version: 5, prev: 3, patch: { a: 2 }, actor: null }); // a gap while the paths frame is out
  assert.deepEqual(w.frames().slice(1), [{ type: "paths", paths: ["/p1"] }]); // no hello beside it
  w.frame({ type: "error", error: { code: "rate_limited", message: "wait", retry_after_ms: 10 } });
  await tick(30);
  assert.deepEqual(w.frames().slice(2), [{ type: "hello", paths: ["/p1"] }]); // after a gap: a snapshot of the paths set last
  w.frame({ type: "snapshot", id: "d", version: 5, state: { p1: 1 } });
  assert.deepEqual([d.version, d.state], [5, { p1: 1 }]);
  w.frame({ type: "change", version: 6, prev: 5, patch: { p1: 2 }, actor: null });
  assert.deepEqual(d.state, { p1: 2 });
  d.close();
});

await test("setPaths refused (not rate-limited): the client keeps the paths the socket has and does not ask for them again", async () => {
  const { s, doc, ws } = await opened({ paths: ["/a"] }, { version: 1, state: { a: 1 } });
  const errors = [];
  doc.on("error", (e) => errors.push(e.code));
  doc.setPaths(["not a pointer"]);
  ws.frame({ type: "error", error: { code: "bad_frame", message: "paths must be a list of JSON Pointers" } });
  ws.frame({ type: "change", version: 2, prev: 1, patch: { a: 2 }, actor: null });
  assert.deepEqual(doc.state, { a: 2 });
  ws.close(1006);
  await tick(20);
  assert.deepEqual(s.last().frames(), [{ type: "hello", since: 2, paths: ["/a"] }]);
  assert.deepEqual(errors, ["bad_frame"]);
  assert.equal(ws.frames().filter((f) => f.type === "paths").length, 1);
  doc.close();
});

await test("a hello error's timer from an older socket does not hold the next socket's retry back", async () => {
  const { s, doc, ws } = await connected();
  ws.frame({ type: "error", error: { code: "storage", message: "storage failed" } }); // a timer for this socket
  ws.close(1006);
  await tick(20);
  const ws2 = s.last();
  ws2.frame({ type: "error", error: { code: "storage", message: "storage failed" } });
  await tick(1100);
  assert.equal(ws2.frames().filter((f) => f.type === "hello").length, 2);
  doc.close();
});

await test("1009 sizes frames in UTF-8 bytes and blames only what went on that socket", async () => {
  const { s, doc, ws } = await opened();
  const wide = doc.patch({ w: "é".repeat(3000) }); // 6,000 bytes, 3,000 UTF-16 units
  const ascii = doc.patch({ a: "x".repeat(4500) }); // 4,500 bytes
  ws.close(1009, "the frame is over the size limit");
  await assert.rejects(wide, { code: "payload_too_large" });
  await tick(20);
  const ws2 = s.last();
  const late = doc.patch({ late: 1 }); // not sent on any socket yet
  ws2.close(1009, "the frame is over the size limit"); // before its join: nothing of it went there
  await tick(20);
  const ws3 = s.last();
  ws3.frame({ type: "changes", version: 0, changes: [] });
  ws3.frame({ type: "peers", peers: [] });
  const sent = ws3.frames().filter((f) => f.type === "patch");
  assert.deepEqual(sent.map((f) => Object.keys(f.patch)[0]), ["a", "late"]);
  sent.forEach((f, i) => ws3.frame({ type: "ack", mid: f.mid, version: i + 1 }));
  assert.deepEqual([await ascii, await late], [1, 2]);
  doc.close();
});

// --- the store contract (React's useSyncExternalStore, Svelte stores) -------

await test("subscribe/getSnapshot: the listener hears the state at once and on every change; the snapshot is one object until a change; unsubscribe stops it", async () => {
  const { doc, ws } = await opened({}, { state: { a: 1 }, version: 4 });
  const heard = [];
  const off = doc.subscribe((state) => heard.push(state));
  assert.deepEqual(heard, [{ a: 1 }]);
  const snap = doc.getSnapshot();
  assert.equal(doc.getSnapshot(), snap); // no change: the same object
  assert.equal(heard[0], snap);
  ws.frame({ type: "change", version: 5, patch: { b: 2 }, actor: null });
  assert.notEqual(doc.getSnapshot(), snap);
  assert.deepEqual(doc.getSnapshot(), { a: 1, b: 2 });
  assert.equal(doc.getSnapshot(), doc.getSnapshot());
  assert.equal(heard.at(-1), doc.getSnapshot());
  doc.patch({ c: 3 }); // optimistic: a change at once
  assert.deepEqual(heard.at(-1), { a: 1, b: 2, c: 3 });
  const n = heard.length;
  off();
  off(); // twice is harmless
  ws.frame({ type: "change", version: 6, patch: { d: 4 }, actor: null });
  assert.equal(heard.length, n);
  // A listener that unsubscribes while changes are told does not make
  // another miss the change.
  let offA;
  const seen = [];
  offA = doc.subscribe(() => seen.push("a") && seen.length > 1 && offA());
  doc.subscribe(() => seen.push("b"));
  ws.frame({ type: "change", version: 7, patch: { e: 5 }, actor: null });
  assert.deepEqual(seen, ["a", "b", "a", "b"]);
  doc.close();
});

await test("React: a component on useSyncExternalStore(doc.subscribe, doc.getSnapshot) renders the state and re-renders on each change, once per change", async () => {
  const { createElement, useSyncExternalStore } = await import("react");
  // Its deprecation notice (React 19) is not this test's business.
  const warn = console.error;
  console.error = (...a) => (String(a[0]).includes("react-test-renderer is deprecated") ? undefined : warn(...a));
  const { act, create } = await import("react-test-renderer");
  globalThis.IS_REACT_ACT_ENVIRONMENT = true;
  const { doc, ws } = await opened({}, { state: { title: "one" }, version: 1 });
  let renders = 0;
  function Title() {
    const state = useSyncExternalStore(doc.subscribe, doc.getSnapshot);
    renders += 1;
    return createElement("h1", null, String(state.title));
  }
  let root;
  await act(async () => {
    root = create(createElement(Title));
  });
  assert.equal(root.toJSON().children[0], "one");
  const before = renders;
  await act(async () => ws.frame({ type: "change", version: 2, patch: { title: "two" }, actor: null }));
  assert.equal(root.toJSON().children[0], "two");
  assert.equal(renders, before + 1);
  let written;
  await act(async () => {
    written = doc.patch({ title: "three" }); // resolves at the ack, below
  });
  assert.equal(root.toJSON().children[0], "three");
  await act(async () => ws.frame({ type: "ack", mid: ws.frames().find((f) => f.type === "patch").mid, version: 3 }));
  assert.equal(await written, 3);
  assert.equal(root.toJSON().children[0], "three");
  await act(async () => root.unmount());
  const n = renders;
  ws.frame({ type: "change", version: 4, patch: { title: "four" }, actor: null });
  assert.equal(renders, n); // unsubscribed on unmount
  doc.close();
});

await test("Svelte's store contract: subscribe calls at once, synchronously, with the value, and returns the unsubscribe", async () => {
  const { doc } = await opened({}, { state: { n: 1 }, version: 1 });
  let value;
  const unsubscribe = doc.subscribe((v) => (value = v));
  assert.deepEqual(value, { n: 1 }); // before any await
  assert.equal(typeof unsubscribe, "function");
  unsubscribe();
  doc.close();
});

await test("presence: presence(data) is sent once joined (kept until then) and again after a reconnect; on(presence) has the peers from peers, presence and leave frames", async () => {
  const s = server();
  const doc = connect("https://host/state/d/live", { WebSocket: s.WebSocket, minDelay: 1, maxDelay: 5 });
  const seen = [];
  doc.on("presence", (peers) => seen.push(peers));
  doc.presence({ name: "ann" });
  await tick(5);
  const ws = s.last();
  assert.deepEqual(ws.frames(), [{ type: "hello" }]); // not joined yet: kept
  ws.frame({ type: "snapshot", id: "d", version: 0, state: {} });
  ws.frame({ type: "peers", peers: [{ peer: "p1", data: { name: "bob" } }], keys: { ms: 86400000, writes: 10000 } });
  assert.deepEqual(ws.frames().slice(1), [{ type: "presence", data: { name: "ann" } }]);
  ws.frame({ type: "presence", peer: "p2", data: { name: "cy" } });
  ws.frame({ type: "leave", peer: "p1" });
  assert.deepEqual(seen, [{ p1: { name: "bob" } }, { p1: { name: "bob" }, p2: { name: "cy" } }, { p2: { name: "cy" } }]);
  assert.deepEqual(doc.peers, { p2: { name: "cy" } });
  doc.presence({ name: "ann", cursor: 3 });
  assert.deepEqual(ws.frames().at(-1), { type: "presence", data: { name: "ann", cursor: 3 } });
  ws.close(1006); // a reconnect joins again and says the latest presence
  await tick(20);
  const again = s.last();
  assert.notEqual(again, ws);
  again.frame({ type: "snapshot", id: "d", version: 0, state: {} });
  again.frame({ type: "peers", peers: [], keys: { ms: 86400000, writes: 10000 } });
  assert.deepEqual(again.frames().filter((f) => f.type === "presence"), [{ type: "presence", data: { name: "ann", cursor: 3 } }]);
  doc.close();
});

await test("presence: data JSON cannot carry (a BigInt, a cycle, not an object) throws invalid_presence naming it and keeps the presence before, which a reconnect says again", async () => {
  const s = server();
  const doc = connect("https://host/state/d/live", { WebSocket: s.WebSocket, minDelay: 1, maxDelay: 5 });
  doc.presence({ name: "ann" });
  const cyclic = {};
  cyclic.self = cyclic;
  for (const [data, message] of [
    [{ n: 1n }, /bigint at "\/n"/],
    [cyclic, /a cycle at "\/self"/],
    ["ann", /presence must be a JSON object or null/],
    [[1], /presence must be a JSON object or null/],
  ])
    assert.throws(() => doc.presence(data), (e) => e.code === "invalid_presence" && message.test(e.message), String(message));
  await tick(5);
  const ws = s.last();
  ws.frame({ type: "snapshot", id: "d", version: 0, state: {} });
  ws.frame({ type: "peers", peers: [], keys: { ms: 86400000, writes: 10000 } });
  assert.deepEqual(ws.frames().slice(1), [{ type: "presence", data: { name: "ann" } }]);
  doc.presence({ at: new Date(0) }); // sent as JSON.stringify writes it
  assert.deepEqual(ws.frames().at(-1), { type: "presence", data: { at: "1970-01-01T00:00:00.000Z" } });
  doc.presence(null);
  assert.deepEqual(ws.frames().at(-1), { type: "presence", data: null });
  doc.close();
});

await test("ping: the ping option sets the interval of the text ping on an open socket; none after close", async () => {
  const { s, doc, ws } = await opened({ ping: 10 });
  // (Waits for them, not for a time: the machine may be slow.)
  while (ws.sent.filter((t) => t === "ping").length < 3) await tick(10);
  doc.close();
  const after = ws.sent.length;
  await tick(30);
  assert.equal(ws.sent.length, after);
  assert.equal(s.sockets.length, 1);
});

// --- offline persistence (client/persist.js as served) ----------------------

const URL_D = "https://host/state/d/live";

// A page of subject ann on URL_D: a snapshot at version 3 ({ title: "t" }),
// then the server gone and these patches made, kept, and the page closed.
async function offlinePage(storage, patches) {
  const first = server();
  const kept = offline({ storage, subject: "ann" });
  const a = connect(URL_D, { WebSocket: first.WebSocket, offline: kept, minDelay: 1, maxDelay: 5 });
  await tick(5);
  first.last().frame({ type: "snapshot", id: "d", version: 3, state: { title: "t" } });
  first.last().frame({ type: "peers", peers: [], keys: { ms: 86400000, writes: 10000 } });
  first.last().close(1006); // the server goes away
  for (const p of patches) a.patch(p).catch(() => {});
  await kept.flushed();
  a.close();
  return { first, kept };
}

await test("offline: a reload shows the kept state and pending writes at once, before any socket; then hello since, and the writes go again with their mids, each acked once", async () => {
  const storage = memoryStore();
  // The first page: a snapshot at version 3, then two edits with the server gone.
  const { first } = await offlinePage(storage, [{ x: 1 }, { y: { z: 2 } }]);
  const mids = first.sockets.flatMap((w) => w.frames()).filter((f) => f.type === "patch").map((f) => f.mid);
  // The reload: a new page, new client, same storage.
  const second = server();
  const keptB = offline({ storage, subject: "ann" });
  const b = connect(URL_D, { WebSocket: second.WebSocket, offline: keptB, minDelay: 1, maxDelay: 5 });
  const seen = [];
  b.on("change", (state, info) => seen.push([state, info]));
  await tick(0);
  await tick(0);
  assert.deepEqual(b.state, { title: "t", x: 1, y: { z: 2 } });
  assert.equal(b.version, 3);
  assert.ok(seen[0][1].restored);
  await tick(5);
  const ws = second.last();
  assert.deepEqual(ws.frames(), [{ type: "hello", since: 3 }]);
  ws.frame({ type: "changes", id: "d", version: 3, changes: [] });
  ws.frame({ type: "peers", peers: [], keys: { ms: 86400000, writes: 10000 } });
  const sent = ws.frames().filter((f) => f.type === "patch");
  assert.deepEqual(sent.map((f) => f.patch), [{ x: 1 }, { y: { z: 2 } }]);
  assert.equal(new Set(sent.map((f) => f.mid)).size, 2);
  assert.deepEqual(mids, []); // the first page never could send them
  ws.frame({ type: "ack", mid: sent[0].mid, version: 4 });
  ws.frame({ type: "ack", mid: sent[1].mid, version: 5 });
  ws.frame({ type: "ack", mid: sent[1].mid, version: 5 }); // a duplicate ack changes nothing
  assert.deepEqual(b.state, { title: "t", x: 1, y: { z: 2 } });
  assert.equal(b.version, 5);
  await keptB.flushed();
  b.close();
  // What is kept now: version 5, nothing pending.
  const third = server();
  const c = connect(URL_D, { WebSocket: third.WebSocket, offline: offline({ storage, subject: "ann" }), minDelay: 1, maxDelay: 5 });
  await tick(5);
  assert.equal(c.version, 5);
  assert.deepEqual(third.last().frames(), [{ type: "hello", since: 5 }]);
  c.close();
});

await test("offline: two pages of one subject keep each other's pending writes; a reload of one takes both, and what one saw acked goes", async () => {
  for (const bare of [false, true]) {
    // memoryStore's update, or a storage with get, set and delete only
    const mem = memoryStore();
    const storage = bare ? { get: mem.get, set: mem.set, delete: mem.delete } : mem;
    const pages = [server(), server()].map((srv) => {
      const kept = offline({ storage, subject: "ann" });
      return { srv, kept, doc: connect(URL_D, { WebSocket: srv.WebSocket, offline: kept, minDelay: 1, maxDelay: 5 }) };
    });
    await tick(5);
    for (const { srv } of pages) {
      srv.last().frame({ type: "snapshot", id: "d", version: 1, state: {} });
      srv.last().frame({ type: "peers", peers: [], keys: { ms: 86400000, writes: 10000 } });
      srv.last().close(1006); // offline
    }
    // (a few ms apart: the kept writes go in the order made)
    pages[0].doc.patch({ one: 1 }).catch(() => {});
    await pages[0].kept.flushed();
    await tick(3);
    pages[1].doc.patch({ two: 2 }).catch(() => {});
    await pages[1].kept.flushed();
    await tick(3);
    pages[0].doc.patch({ three: 3 }).catch(() => {});
    await pages[0].kept.flushed();
    pages[0].doc.close();
    // Page 1 reloads: both pages' writes, in the order made.
    const again = server();
    const kept = offline({ storage, subject: "ann" });
    const d = connect(URL_D, { WebSocket: again.WebSocket, offline: kept, minDelay: 1, maxDelay: 5 });
    await tick(5);
    assert.deepEqual(d.state, { one: 1, two: 2, three: 3 }, `bare ${bare}`);
    again.last().frame({ type: "changes", id: "d", version: 1, changes: [] });
    again.last().frame({ type: "peers", peers: [], keys: { ms: 86400000, writes: 10000 } });
    const sent = again.last().frames().filter((f) => f.type === "patch");
    assert.deepEqual(sent.map((f) => f.patch), [{ one: 1 }, { two: 2 }, { three: 3 }]);
    sent.forEach((f, i) => again.last().frame({ type: "ack", mid: f.mid, version: 2 + i }));
    await kept.flushed();
    const stored = async () => (await storage.get("ann\n" + URL_D + "#pending")).filter((p) => !p.settled).map((p) => p.frame.patch);
    assert.deepEqual(await stored(), []);
    // Page 2 still holds "two" in memory, but the page that saw it settled
    // left a tombstone: its next save does not put it back.
    pages[1].doc.patch({ four: 4 }).catch(() => {});
    await pages[1].kept.flushed();
    assert.deepEqual(await stored(), [{ four: 4 }]);
    const entries = await storage.get("ann\n" + URL_D + "#pending");
    assert.ok(entries.filter((p) => p.settled).length >= 3);
    // One sent by another page stays marked sent, whoever saves after: a
    // page that loaded it before (offline) and saves later does not mark
    // it unsent again (a write kept unsent past the idempotency window
    // would be sent as new).
    const B = server();
    const keptB = offline({ storage, subject: "ann" });
    const b = connect(URL_D, { WebSocket: B.WebSocket, offline: keptB, minDelay: 1, maxDelay: 5 });
    await tick(5);
    B.last().close(1006); // b stays offline, holding four unsent
    const A = server();
    const keptA = offline({ storage, subject: "ann" });
    const a = connect(URL_D, { WebSocket: A.WebSocket, offline: keptA, minDelay: 1, maxDelay: 5 });
    await tick(5);
    A.last().frame({ type: "changes", id: "d", version: 4, changes: [] });
    A.last().frame({ type: "peers", peers: [], keys: { ms: 86400000, writes: 10000 } });
    assert.deepEqual(A.last().frames().filter((f) => f.type === "patch").map((f) => f.patch), [{ four: 4 }]);
    await keptA.flushed();
    b.patch({ five: 5 }).catch(() => {});
    await keptB.flushed();
    const now = (await storage.get("ann\n" + URL_D + "#pending")).filter((p) => !p.settled);
    assert.deepEqual(now.map((p) => [p.frame.patch, p.sent]), [[{ four: 4 }, true], [{ five: 5 }, false]]);
    a.close();
    b.close();
    d.close();
    pages[1].doc.close();
  }
});

await test("offline: kept.clear(url) forgets the document: its state and pending writes, in storage too, and a later page starts from the server", async () => {
  const storage = memoryStore();
  const { kept } = await offlinePage(storage, [{ x: 1 }]);
  const other = "https://host/state/e/live"; // another document stays
  const e = connect(other, { WebSocket: server().WebSocket, offline: kept, minDelay: 1, maxDelay: 5 });
  e.patch({ e: 1 }).catch(() => {});
  await kept.flushed();
  e.close();
  await kept.clear(URL_D);
  const b = connect(URL_D, { WebSocket: server().WebSocket, offline: offline({ storage, subject: "ann" }), minDelay: 1, maxDelay: 5 });
  await tick(0);
  await tick(0);
  assert.deepEqual(b.state, {});
  assert.equal(b.pending, 0);
  b.close();
  const f = connect(other, { WebSocket: server().WebSocket, offline: offline({ storage, subject: "ann" }), minDelay: 1, maxDelay: 5 });
  await tick(0);
  await tick(0);
  assert.equal(f.pending, 1);
  f.close();
});

await test("offline: a write sent before the reload keeps its mid; one kept past the idempotency window is rejected expired, not resent", async () => {
  const storage = memoryStore();
  const s1 = server();
  const kept = offline({ storage });
  const a = connect(URL_D, { WebSocket: s1.WebSocket, offline: kept, minDelay: 1, maxDelay: 5 });
  await tick(5);
  s1.last().frame({ type: "snapshot", id: "d", version: 0, state: {} });
  s1.last().frame({ type: "peers", peers: [], keys: { ms: 86400000, writes: 2 } });
  a.patch({ n: 1 }).catch(() => {}); // sent, never acked
  const mid = s1.last().frames().find((f) => f.type === "patch").mid;
  await kept.flushed();
  a.close();
  // Reload: the same mid goes again.
  const s2 = server();
  const b = connect(URL_D, { WebSocket: s2.WebSocket, offline: offline({ storage }), minDelay: 1, maxDelay: 5 });
  await tick(5);
  s2.last().frame({ type: "changes", id: "d", version: 0, changes: [] });
  s2.last().frame({ type: "peers", peers: [], keys: { ms: 86400000, writes: 2 } });
  assert.deepEqual(s2.last().frames().filter((f) => f.type === "patch").map((f) => f.mid), [mid]);
  b.close();
  // Reload again, but the document has moved on by more than the window's writes.
  const s3 = server();
  const c = connect(URL_D, { WebSocket: s3.WebSocket, offline: offline({ storage }), minDelay: 1, maxDelay: 5 });
  const rejected = [];
  c.on("change", (state, info) => info.reject && rejected.push(info.reject));
  await tick(5);
  s3.last().frame({ type: "changes", id: "d", version: 3, changes: [1, 2, 3].map((v) => ({ version: v, patch: { m: v }, actor: null })) });
  s3.last().frame({ type: "peers", peers: [], keys: { ms: 86400000, writes: 2 } });
  assert.deepEqual(s3.last().frames().filter((f) => f.type === "patch"), []);
  assert.deepEqual(rejected, [mid]);
  assert.deepEqual(c.state, { m: 3 });
  c.close();
});

await test("offline: a state kept for other paths is not shown after a reload: the hello asks for a snapshot of the paths now named", async () => {
  const storage = memoryStore();
  const s = server();
  const kept = offline({ storage });
  const a = connect(URL_D, { WebSocket: s.WebSocket, offline: kept, minDelay: 1, maxDelay: 5, paths: ["/c1"] });
  await tick(5);
  s.last().frame({ type: "snapshot", id: "d", version: 4, state: { c1: 1 } });
  s.last().frame({ type: "peers", peers: [], keys: { ms: 86400000, writes: 10000 } });
  a.setPaths(["/c2"]);
  s.last().frame({ type: "snapshot", id: "d", version: 4, state: { c2: 2 } }); // the same version, other paths
  await kept.flushed();
  a.close();
  for (const [paths, state, hello] of [
    [["/c2"], { c2: 2 }, { type: "hello", since: 4, paths: ["/c2"] }],
    [["/c1"], {}, { type: "hello", paths: ["/c1"] }],
    [undefined, {}, { type: "hello" }],
  ]) {
    const s2 = server();
    const b = connect(URL_D, { WebSocket: s2.WebSocket, offline: offline({ storage }), minDelay: 1, maxDelay: 5, paths });
    await tick(5);
    assert.deepEqual([b.state, s2.last().frames()[0]], [state, hello], String(paths));
    b.close();
  }
});

await test("a listener that throws is reported as uncaught; the patch still resolves on its ack and nothing else is cut short", async () => {
  const { doc, ws } = await opened();
  const uncaught = [];
  const hear = (e) => uncaught.push(e.message);
  process.on("uncaughtException", hear);
  const seen = [];
  doc.on("change", () => {
    throw new Error("listener bug");
  });
  doc.on("change", (s) => seen.push(s));
  const p = doc.patch({ m: 1 });
  ws.frame({ type: "ack", mid: ws.frames().find((f) => f.type === "patch").mid, version: 1 });
  assert.equal(await p, 1);
  await tick(5);
  process.off("uncaughtException", hear);
  assert.ok(uncaught.length >= 2 && uncaught.every((m) => m === "listener bug"), JSON.stringify(uncaught));
  assert.deepEqual([doc.pending, doc.state, seen.at(-1)], [0, { m: 1 }, { m: 1 }]);
  doc.close();
});

await test("offline: kept per subject and per document; subjectOf reads a token's sub; a failing storage is an error event, not a lost document", async () => {
  const storage = memoryStore();
  const s = server();
  const ann = offline({ storage, subject: "ann" });
  const a = connect(URL_D, { WebSocket: s.WebSocket, offline: ann, minDelay: 1, maxDelay: 5 });
  await tick(5);
  s.last().frame({ type: "snapshot", id: "d", version: 2, state: { secret: "ann's" } });
  await ann.flushed();
  a.close();
  assert.equal(await offline({ storage, subject: "bob" }).load(URL_D), undefined);
  assert.equal(await offline({ storage, subject: "ann" }).load("https://host/state/other/live"), undefined);
  assert.deepEqual((await offline({ storage, subject: "ann" }).load(URL_D)).state, { secret: "ann's" });
  const token = ["e30", Buffer.from(JSON.stringify({ sub: "ann", scope: "read" })).toString("base64url"), "sig"].join(".");
  assert.equal(subjectOf(token), "ann");
  assert.equal(subjectOf("not a token"), "");
  const errors = [];
  const broken = { get: async () => Promise.reject(new Error("disk gone")), set: async () => Promise.reject(new Error("disk full")), delete: async () => {} };
  const s2 = server();
  const heard = [];
  const b = connect(URL_D, { WebSocket: s2.WebSocket, offline: offline({ storage: broken, onError: (e) => heard.push(e.message) }), minDelay: 1, maxDelay: 5 });
  b.on("error", (e) => errors.push(e.code));
  await tick(5);
  s2.last().frame({ type: "snapshot", id: "d", version: 1, state: { a: 1 } });
  await tick(5);
  // The load's failure and each failed write: an error event, and onError.
  assert.deepEqual(errors, ["offline", "offline", "offline"]);
  // (the state's set, then the pending writes' merge: a get first)
  assert.deepEqual(heard, ["disk full", "disk gone"]);
  assert.deepEqual(b.state, { a: 1 });
  b.close();
});

// --- order keys (client/order.js as served) ---------------------------------

// A seeded generator, so a failure names a case that can be run again.
function rng(seed) {
  return () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
}
const between = (k, a, b) => (a == null || a < k) && (b == null || k < b);

await test("order: a key minted between a and b sorts strictly between them (20,000 random inserts, ends and gaps, several clients)", () => {
  const random = rng(7);
  const suffixes = [newSuffix(random), newSuffix(random), newSuffix(random)];
  const keys = [];
  for (let i = 0; i < 20000; i++) {
    const at = Math.floor(random() * (keys.length + 1));
    const a = keys[at - 1] ?? null;
    const b = keys[at] ?? null;
    const k = keyBetween(a, b, suffixes[i % 3]);
    assert.ok(between(k, a, b), `${k} is not between ${a} and ${b}`);
    assert.ok(!k.endsWith("0"));
    keys.splice(at, 0, k);
  }
  assert.equal(new Set(keys).size, keys.length);
  assert.deepEqual(ordered(Object.fromEntries(keys.map((k, i) => [k, i]))).map(([k]) => k), keys);
});

await test("order: after 10,000 appends and after 10,000 prepends every key is under 16 characters", () => {
  for (const end of ["append", "prepend"]) {
    let last = null;
    let longest = 0;
    for (let i = 0; i < 10000; i++) {
      const k = end === "append" ? keyBetween(last, null) : keyBetween(null, last);
      if (last != null) assert.ok(end === "append" ? last < k : k < last);
      longest = Math.max(longest, k.length);
      last = k;
    }
    say(`       ${end}: longest key ${longest} characters after 10,000 (last ${last})`);
    assert.ok(longest < 16, `${end}: ${longest}`);
  }
});

await test("order: 10,000 inserts into one gap grow a key by about one character per five inserts, whatever the suffix (measured)", () => {
  for (const suffix of ["0zzz", "0001", newSuffix(rng(3))])
    for (const side of ["after the first", "before the last"]) {
      const a = keyBetween(null, null, suffix);
      let b = keyBetween(a, null, suffix);
      let first = a;
      const at = {};
      for (let i = 1; i <= 10000; i++) {
        const k = side === "after the first" ? keyBetween(a, b, suffix) : keyBetween(first, b, suffix);
        assert.ok(between(k, side === "after the first" ? a : first, b));
        if (side === "after the first") b = k;
        else first = k;
        if (i === 100 || i === 1000 || i === 10000) at[i] = k.length;
      }
      say(`       into one gap, ${side}, suffix ${suffix}: key length after 100 / 1,000 / 10,000 inserts: ${at[100]} / ${at[1000]} / ${at[10000]}`);
      // Each insert halves the gap at one digit (62, 31, 15, 7, 3, then
      // adjacent): a digit lasts five or six inserts, so about 2,000
      // characters after 10,000.
      assert.ok(at[10000] <= 10000 / 4.5 + 16, `${suffix} ${side}: ${at[10000]}`);
      assert.ok(at[10000] >= 10000 / 6.5 - 16, `${suffix} ${side}: ${at[10000]}: the gap should halve each time, not shrink faster or slower`);
    }
});

await test("order: two clients inserting at the same place both survive, in the same order for everyone", () => {
  const random = rng(11);
  for (let i = 0; i < 500; i++) {
    const a = keyBetween(null, null, newSuffix(random));
    const b = keyBetween(a, null, newSuffix(random));
    const [sa, sb] = [newSuffix(random), newSuffix(random)];
    if (sa === sb) continue;
    const ka = keyBetween(a, b, sa);
    const kb = keyBetween(a, b, sb);
    assert.notEqual(ka, kb);
    assert.ok(between(ka, a, b) && between(kb, a, b));
    // Each client's patch, merged in either order: one list, one order.
    const list = { [a]: "a", [b]: "b" };
    const one = merge(merge(list, { [ka]: "from A" }), { [kb]: "from B" });
    const two = merge(merge(list, { [kb]: "from B" }), { [ka]: "from A" });
    assert.deepEqual(ordered(one), ordered(two));
    assert.deepEqual(ordered(one).map(([, v]) => v).filter((v) => v.startsWith("from")).length, 2);
    // A move is a delete plus an insert: concurrent with the insert above.
    const moved = merge(one, { [a]: null, [keyBetween(kb > ka ? kb : ka, b, sa)]: "a" });
    assert.deepEqual(ordered(moved).map(([, v]) => v).at(-2), "a");
  }
});

await test("order: keys that are not order keys are refused with invalid_key; a before b is required", () => {
  for (const [a, b] of [["", null], ["a", null], ["a0 ", null], ["a00", null], ["!0", null], [null, 5], ["b0", "a0"], ["a1", "a1"]])
    assert.throws(() => keyBetween(a, b), (e) => e.code === "invalid_key", `${a} ${b}`);
});

say(`client: ${passed} passed, ${failed} failed`);
if (process.argv[2]) appendFileSync(process.argv[2], `client ${passed} ${failed}\n`);
process.exit(failed ? 1 : 0);
