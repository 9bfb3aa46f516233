// Host tests: worker/ as shipped, with the production module, in the Node
// host (tests/host/workers.mjs), for what workerd cannot be made to do on
// demand: a platform call that fails. Appends "host <passed> <failed>" to
// the file in argv[2].
import { appendFileSync } from "node:fs";
import assert from "node:assert/strict";
import { host } from "./host/workers.mjs";
import { cstring, views } from "../worker/layout.js";

const h = await host();
console.log = () => {}; // the worker's request log lines
const say = (line) => process.stdout.write(`${line}\n`);
let passed = 0;
let failed = 0;
async function test(name, fn) {
  try {
    await fn();
    passed += 1;
    say(`  ok   ${name}`);
  } catch (e) {
    failed += 1;
    say(`  FAIL ${name}\n${e.stack}`);
  }
}

async function joined(id) {
  const s = await h.socket(id);
  assert.equal(s.res.status, 101);
  await s.send(JSON.stringify({ type: "hello" }));
  assert.deepEqual(s.frames().map((f) => f.type), ["snapshot", "peers"]);
  return s;
}
const last = (s) => s.frames().at(-1);

await test("a presence whose attachment the platform refuses to store: the sender gets an error, the others are told nothing", async () => {
  const a = await joined("att1");
  const b = await joined("att1");
  const told = b.frames().length;
  a.server.serializeAttachment = () => {
    throw new Error("serialized attachment is over the limit");
  };
  await a.send(JSON.stringify({ type: "presence", data: { me: "a" } }));
  assert.deepEqual(last(a), { type: "error", error: { code: "internal", message: "the socket's state could not be stored", request_id: last(a).error.request_id } });
  assert.equal(b.frames().length, told, "nothing was broadcast");
  // The refused presence is in no peers list.
  const c = await joined("att1");
  assert.deepEqual(c.frames()[1].peers.map((p) => p.data), [null, null]);
});

await test("a hello whose attachment cannot be stored does not join: an error, no snapshot, no peers", async () => {
  const s = await h.socket("att2");
  s.server.serializeAttachment = () => {
    throw new Error("out of space");
  };
  await s.send(JSON.stringify({ type: "hello" }));
  assert.deepEqual(s.frames().map((f) => f.type), ["error"]);
  assert.equal(s.frames()[0].error.message, "the socket's state could not be stored");
  // Not joined: its close tells no one it left.
  const other = await joined("att2");
  const before = other.frames().length;
  await s.close();
  assert.equal(other.frames().length, before);
});

await test("a patch whose attachment cannot be stored is not applied: its mid is answered with the error", async () => {
  const s = await joined("att3");
  s.server.serializeAttachment = () => {
    throw new Error("out of space");
  };
  await s.send(JSON.stringify({ type: "patch", mid: "m1", patch: { a: 1 } }));
  assert.equal(last(s).type, "reject");
  assert.equal(last(s).mid, "m1");
  assert.equal(last(s).error.code, "internal");
  assert.equal(last(s).error.message, "the socket's state could not be stored");
  const res = await h.fetch(new Request("http://host/state/att3"));
  assert.equal((await res.json()).version, 0);
});

await test("an upgrade whose socket cannot be stored once accepted: 500, and the accepted socket is closed 1011, no ghost left", async () => {
  const proto = Object.getPrototypeOf(new WebSocketPair()[0]);
  const keep = proto.serializeAttachment;
  proto.serializeAttachment = () => {
    throw new Error("out of space");
  };
  let s;
  try {
    s = await h.socket("att4");
  } finally {
    proto.serializeAttachment = keep;
  }
  assert.equal(s.res.status, 500);
  assert.equal((await s.res.json()).error.message, "the socket could not be accepted");
  const o = h.object("att4");
  const ghosts = [...o.host.sockets].filter((ws) => ws.readyState === 1);
  assert.deepEqual(ghosts, []);
  assert.deepEqual([...o.host.sockets].map((ws) => ws.closed), [{ code: 1011, reason: "the upgrade failed" }]);
});

await test("a snapshot in parts cut off by its time limit ends with C's error frame, and no part follows it", async () => {
  const id = "cutparts";
  const patch = (body) => h.fetch(new Request(`http://host/state/${id}`, { method: "PATCH", headers: { "content-type": "application/json" }, body }));
  // Past what the owner holds whole (4 MiB): the snapshot goes in parts
  // read from the rows, one per turn of the object.
  for (let i = 0; i < 6; i++) {
    const members = {};
    for (let j = 0; j < 3000; j++) members[`m${i}_${j}`] = "x".repeat(250);
    assert.equal((await patch(JSON.stringify({ [`g${i}`]: members }))).status, 200);
  }
  // The platform's clock, played slow for the parts' turns and fast for
  // the hold's limits: the cut comes between two parts, deterministically.
  const real = globalThis.setTimeout;
  globalThis.setTimeout = (fn, ms, ...rest) => real(fn, ms === 0 ? 300 : ms >= 1000 ? 50 : ms, ...rest);
  try {
    const s = await h.socket(id);
    await s.send(JSON.stringify({ type: "hello" }));
    assert.deepEqual(s.frames().map((f) => [f.type, f.part, f.more]), [["snapshot", 0, true], ["peers", undefined, undefined]]);
    // A write arrives and waits: the hold's contended limit cuts the parts.
    assert.equal((await patch('{"after":1}')).status, 200);
    await new Promise((r) => real(r, 700)); // past the next part's turn
    const frames = s.frames();
    // (then the write's change, which the joined socket hears; no part)
    assert.deepEqual(frames.map((f) => f.type), ["snapshot", "peers", "error", "change"]);
    assert.equal(frames[2].error.code, "state_timeout");
    assert.match(frames[2].error.message, /cut off/);
  } finally {
    globalThis.setTimeout = real;
  }
});

await test("the glue reads a C string up to its NUL, or to the end of memory when it has none", async () => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const { u8 } = views(memory);
  const bytes = new TextEncoder().encode("CREATE TABLE é;");
  u8.set(bytes, 100);
  assert.equal(cstring(memory, 100), "CREATE TABLE é;");
  assert.equal(cstring(memory, 100 + bytes.length), "");
  u8.set(new TextEncoder().encode("tail"), u8.length - 4);
  assert.equal(cstring(memory, u8.length - 4), "tail");
});

say(`host: ${passed} passed, ${failed} failed`);
if (process.argv[2]) appendFileSync(process.argv[2], `host ${passed} ${failed}\n`);
process.exit(failed ? 1 : 0);
