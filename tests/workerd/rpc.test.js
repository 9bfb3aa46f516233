// The RPC entrypoint that other workers reach through a service binding.
// exports.default is a loopback stub of the worker's default export.
import { SELF } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { freshId, get } from "./helpers.js";

const api = exports.default;
const M = { authorization: "Bearer test-metrics-token" };
const utf8 = new TextEncoder();

async function wasmMemory() {
  const text = await (await get("/metrics", M)).text();
  return Number(text.match(/^cw_wasm_memory_bytes (\d+)$/m)[1]);
}

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

  it("a value JSON cannot carry is 400 invalid_patch naming its path, never a silent null (a delete)", async () => {
    const id = freshId("rpcnan");
    await api.syncState(id, { n: 1, keep: { l: [1, 2] } });
    const cases = [
      [{ n: NaN }, 'NaN at "/n"'],
      [{ n: Infinity }, 'Infinity at "/n"'],
      [{ keep: { deep: { x: -Infinity } } }, '-Infinity at "/keep/deep/x"'],
      [{ keep: { l: [1, undefined, 3] } }, 'undefined at "/keep/l/1"'],
      [{ big: 10n }, 'bigint at "/big"'],
      [{ "a/b": { "~c": [0, NaN] } }, 'NaN at "/a~1b/~0c/1"'],
      [{ fn: () => 1 }, 'at "/fn"'],
      [{ due: new Date("x") }, 'Invalid Date at "/due"'],
      [{ n: new Number(NaN) }, 'NaN at "/n"'],
    ];
    for (const [patch, where] of cases) {
      const r = await api.syncState(id, patch);
      expect(r.status, where).toBe(400);
      expect(r.error.code).toBe("invalid_patch");
      expect(r.error.message).toContain(where);
    }
    // A symbol cannot even cross Workers RPC: the call itself is refused.
    const sym = await api.syncState(id, { s: Symbol("x") }).then(
      (v) => v,
      (e) => e,
    );
    expect(sym instanceof Error || sym.ok === false).toBe(true);
    // Undefined object members are left out, as JSON.stringify does.
    expect((await api.syncState(id, { gone: undefined, n: 2 })).state).toEqual({ n: 2, keep: { l: [1, 2] } });
    expect((await api.getState(id)).version).toBe(2);
    // Over HTTP, and as bytes given to syncState (parsed exactly like an
    // HTTP body), the same words are plain invalid JSON at their offset.
    for (const text of ['{"n":NaN}', '{"n":Infinity}', '{"l":[undefined]}', '{"b":bigint}', "unwritable"]) {
      const http = await SELF.fetch(`http://cw.test/state/${id}`, { method: "PATCH", headers: { "content-type": "application/json" }, body: text });
      expect(http.status).toBe(400);
      const error = (await http.json()).error;
      expect(error.code, text).toBe("invalid_json");
      expect(error.message).toMatch(/^invalid JSON at byte \d+: expected a value$/);
      const bytes = await api.syncState(id, new TextEncoder().encode(text));
      expect(bytes.status).toBe(400);
      expect(bytes.error.code, text).toBe("invalid_json");
      expect(bytes.error.message).toBe(error.message);
    }
    expect((await api.getState(id)).version).toBe(2);
  });

  it("an option the method does not take (a misspelt ifMatch above all) is 400 bad_request naming it and those it takes, and nothing is applied", async () => {
    const id = freshId("rpcunknown");
    await api.syncState(id, { n: 1 });
    const cases = [
      [() => api.syncState(id, { n: 2 }, { IfMatch: 0 }), "syncState takes no option IfMatch (it takes ifMatch, ifNoneMatch, idempotencyKey, return, actor, as, base, since)"],
      [() => api.syncState(id, { n: 2 }, { ifMatch: 1, bogus: 1 }), "syncState takes no option bogus"],
      [() => api.syncState(id, { n: 2 }, { limit: 5 }), "syncState takes no option limit"],
      [() => api.deleteState(id, { since: 0 }), "deleteState takes no option since (it takes ifMatch, ifNoneMatch, actor, as)"],
      [() => api.getState(id, { ifMatch: 1 }), "getState takes no option ifMatch (it takes as, path)"],
      [() => api.getChanges(id, 0, { since: 5 }), "getChanges takes no option since (it takes as, limit)"],
    ];
    for (const [call, message] of cases) {
      const r = await call();
      expect(r.status, message).toBe(400);
      expect(r.error.code).toBe("bad_request");
      expect(r.error.message).toContain(message);
    }
    // Options that are not an object are refused too, not read as none.
    for (const options of ["x", 5, [1], true]) {
      const r = await api.syncState(id, { n: 3 }, options);
      expect(r.error, JSON.stringify(options)).toMatchObject({ code: "bad_request", message: "options must be an object" });
    }
    expect((await api.getChanges(id, 0, "x")).error.message).toBe("options must be an object");
    // An empty actor is no actor: refused, not recorded as none.
    expect((await api.syncState(id, { n: 4 }, { actor: "" })).error).toMatchObject({ code: "bad_request", message: "actor must be 1-128 bytes" });
    expect(await api.getState(id)).toMatchObject({ version: 1, state: { n: 1 } });
    // None, null, {} and every option a method takes, as documented (docs/rpc.md).
    expect((await api.syncState(id, { n: 5 }, null)).version).toBe(2);
    expect((await api.syncState(id, { n: 6 }, {})).version).toBe(3);
    expect(await api.syncState(id, { n: 7 }, { ifMatch: 3, ifNoneMatch: '"1"', idempotencyKey: "k-all", return: "minimal", actor: "ann", as: "json", base: 3, since: 3 })).toMatchObject({ ok: true, version: 4 });
    expect(await api.getState(id, { as: "json", path: "/n" })).toMatchObject({ ok: true, version: 4, state: 7 });
    expect((await api.getChanges(id, 2, { as: "json", limit: 1 })).changes.map((c) => [c.version, c.actor])).toEqual([[3, null]]);
    expect((await api.getChanges(id, 3)).changes.map((c) => c.actor)).toEqual(["ann"]);
    expect(await api.deleteState(id, { ifMatch: 4, ifNoneMatch: '"1"', actor: "bob", as: "json" })).toMatchObject({ ok: true, version: 5 });
  });

  it("an option or id JSON cannot carry is refused, naming it, never dropped (a precondition kept, nothing applied)", async () => {
    const id = freshId("rpcopt");
    await api.syncState(id, { n: 1 });
    const cases = [
      [{ ifMatch: NaN }, 'NaN at "/options/ifMatch"'],
      [{ ifMatch: Infinity }, 'Infinity at "/options/ifMatch"'],
      [{ ifNoneMatch: NaN }, 'NaN at "/options/ifNoneMatch"'],
      [{ ifMatch: new Number(NaN) }, 'NaN at "/options/ifMatch"'],
      [{ ifMatch: () => 1 }, 'at "/options/ifMatch"'],
      [{ base: NaN }, 'NaN at "/options/base"'],
      [{ since: -Infinity }, '-Infinity at "/options/since"'],
      [{ idempotencyKey: NaN }, 'NaN at "/options/idempotencyKey"'],
    ];
    for (const [options, where] of cases) {
      const r = await api.syncState(id, { n: 2 }, options);
      expect(r.status, where).toBe(400);
      expect(r.error.code).toBe("bad_request");
      expect(r.error.message).toContain(where);
    }
    expect((await api.deleteState(id, { ifMatch: NaN })).status).toBe(400);
    // An option given as null is refused too: left out is none.
    for (const [method, options, code] of [
      ["syncState", { ifMatch: null }, "invalid_if_match"],
      ["syncState", { ifNoneMatch: null }, "invalid_if_none_match"],
      ["syncState", { base: null }, "invalid_parameter"],
      ["syncState", { actor: null }, "bad_request"],
      ["deleteState", { ifMatch: null }, "invalid_if_match"],
    ]) {
      const name = Object.keys(options)[0];
      const r = method === "syncState" ? await api.syncState(id, { n: 2 }, options) : await api.deleteState(id, options);
      expect(r, `${method} ${name}`).toMatchObject({ ok: false, status: 400, error: { code, message: `${name} is null: leave it out for none` } });
    }
    expect(await api.getChanges(id, null)).toMatchObject({ ok: false, status: 400, error: { code: "invalid_parameter", message: "since is null: leave it out for none" } });
    expect((await api.getChanges(id, NaN)).error.message).toContain('NaN at "/since"');
    expect((await api.getChanges(id, 0, { limit: NaN })).status).toBe(400);
    expect(await api.getState(id)).toMatchObject({ version: 1, state: { n: 1 } });
    // What JSON.stringify cannot write at all: a cycle in the options, the
    // id or the patch.
    const cyclic = {};
    cyclic.self = cyclic;
    for (const r of [await api.syncState(id, { n: 2 }, { actor: "a", extra: cyclic }), await api.getState(cyclic), await api.syncState(id, cyclic)]) {
      expect(r.status).toBe(400);
      expect(r.error.message).toMatch(/cannot be written as JSON: JSON.stringify failed on it/);
    }
    expect((await api.syncState(id, cyclic)).error.code).toBe("invalid_patch");
    expect((await api.syncState(id, { n: new Number(NaN) })).error).toMatchObject({ code: "invalid_patch", message: expect.stringContaining('NaN at "/n"') });
    // An id that is not a string is invalid_id, a BigInt one too (not its digits).
    for (const bad of [5, 5n, null, true]) expect((await api.getState(bad)).error, String(bad)).toMatchObject({ code: "invalid_id", message: "id must be a string" });
    expect((await api.syncState(5n, { n: 1 })).error.code).toBe("invalid_id");
    // A BigInt option is its digits, a number: a precondition, a version.
    expect(await api.syncState(id, { n: 3 }, { ifMatch: 1n, since: 0n, return: "minimal" })).toMatchObject({ ok: true, version: 2, changes: [{ version: 1 }, { version: 2 }] });
    expect((await api.syncState(id, { n: 4 }, { ifMatch: 1n })).error.code).toBe("precondition_failed");
    // A lone surrogate in an option is refused, never made U+FFFD (which
    // would record another actor, or read another key).
    expect((await api.syncState(id, { n: 5 }, { actor: "ed\uD800" })).error.message).toMatch(/lone surrogate/);
    expect((await api.getState(id, { path: "/a\uDFFF" })).status).toBe(400);
    expect((await api.getState(id)).version).toBe(2);
    // A long string is cut past the field limit without splitting a
    // surrogate pair: refused as too long, not as a lone surrogate.
    const long = "a".repeat(16384) + "\u{1F600}" + "b".repeat(10);
    expect((await api.syncState(id, { n: 6 }, { actor: long })).error.code).toBe("header_too_large");
    expect((await api.getState(long)).error.code).toBe("header_too_large");
  });

  it("a retry with since brings the changes the lost answer carried, up to the version it made", async () => {
    const id = freshId("rpcretry");
    await api.syncState(id, { a: 1 }, { actor: "other" });
    const first = await api.syncState(id, { b: 1 }, { since: 1, idempotencyKey: "m-1", return: "minimal" });
    expect(first).toMatchObject({ ok: true, version: 2, changes: [{ version: 2, patch: { b: 1 } }] });
    await api.syncState(id, { c: 1 }, { actor: "other" });
    const retry = await api.syncState(id, { b: 1 }, { since: 1, idempotencyKey: "m-1", return: "minimal" });
    expect(retry).toEqual({ ok: true, status: 200, id, version: 2, replayed: true, changes: first.changes });
    // From before the first write: the others' change too, still up to 2.
    const older = await api.syncState(id, { b: 1 }, { since: 0, idempotencyKey: "m-1" });
    expect(older.changes.map((c) => c.version)).toEqual([1, 2]);
    // At or past the version it made: none; the journal gone: 410.
    expect((await api.syncState(id, { b: 1 }, { since: 2, idempotencyKey: "m-1" })).changes).toEqual([]);
    expect((await api.syncState(id, { b: 1 }, { since: 3, idempotencyKey: "m-1" })).changes).toEqual([]);
    await api.deleteState(id);
    expect((await api.syncState(id, { b: 1 }, { since: 0, idempotencyKey: "m-1" })).error.code).toBe("history_gone");
    expect((await api.syncState(id, { b: 1 }, { idempotencyKey: "m-1" })).replayed).toBe(true);
  });

  it('{ as: "text" } answers with the JSON text C wrote: numbers exact, byte for byte what HTTP answers', async () => {
    const id = freshId("rpctext");
    const raw = utf8.encode('{"i": 9007199254740993, "f": -0.0, "e": 1E400}');
    const w = await api.syncState(id, raw, { as: "text", idempotencyKey: "t1" });
    expect(w).toEqual({ ok: true, status: 200, version: 1, text: `{"id":"${id}","version":1,"state":{"i":9007199254740993,"f":-0.0,"e":1E400}}` });
    expect(await api.syncState(id, raw, { as: "text", idempotencyKey: "t1" })).toEqual({ ok: true, status: 200, version: 1, replayed: true, text: `{"id":"${id}","version":1}` });
    const g = await api.getState(id, { as: "text" });
    expect(g.text).toBe(await (await get(`/state/${id}`)).text());
    const c = await api.getChanges(id, 0, { as: "text" });
    expect(c.text).toBe(await (await get(`/state/${id}/changes?since=0`)).text());
    expect(c.text).toContain('"patch":{"i":9007199254740993,"f":-0.0,"e":1E400}');
    // The parsed form rounds (a JS number), which is why the text form exists.
    expect((await api.getState(id)).state.i).toBe(9007199254740992);
    const e = await api.syncState(id, { a: 1 }, { as: "text", ifMatch: 0 });
    expect(e.ok).toBe(false);
    expect(e.status).toBe(412);
    expect(JSON.parse(e.text).error.code).toBe("precondition_failed");
    const d = await api.deleteState(id, { as: "text" });
    expect(d).toEqual({ ok: true, status: 200, version: 2, text: `{"id":"${id}","version":2}` });
    expect((await api.getState(id, { as: "xml" })).error).toMatchObject({ code: "invalid_parameter", message: 'as must be "json", "text" or "stream"' });
  });

  it("accepts an If-Match string as well as a number", async () => {
    const id = freshId("rpc");
    expect((await api.syncState(id, { a: 1 }, { ifMatch: '"0"' })).version).toBe(1);
    expect((await api.syncState(id, { a: 2 }, { ifMatch: "*" })).version).toBe(2);
  });

  // Workers RPC refuses an argument over 32 MiB before our code runs; just
  // under that, the patch is 413 in every form without being copied into
  // the module (its memory never shrinks, so a copy would stay).
  it("a 40 MiB patch is refused by RPC itself; 31 MiB is 413 and the module's memory does not grow", async () => {
    const id = freshId("rpc");
    await api.syncState(id, { a: 1 });
    // Settled by then(): awaiting the RPC promise itself through expect()
    // leaves workerd's pipelined copy of it rejected and unhandled.
    const refused = await api.syncState(id, { a: "x".repeat(40 << 20) }).then(
      () => null,
      (e) => e,
    );
    expect(String(refused)).toMatch(/limited to 32MiB/);
    const before = await wasmMemory();
    const huge = "x".repeat(31 << 20);
    const bytes = new Uint8Array(31 << 20).fill(0x20);
    for (const patch of [{ a: huge }, bytes, bytes.buffer, new DataView(bytes.buffer)]) {
      const r = await api.syncState(id, patch);
      expect(r.status).toBe(413);
      expect(r.error.code).toBe("payload_too_large");
    }
    // Strings that become header values and the id are bounded too.
    const longTag = await api.syncState(id, { a: 2 }, { ifMatch: `"${"9".repeat(31 << 20)}"` });
    expect(longTag.status).toBe(431);
    expect(longTag.error.code).toBe("header_too_large");
    // An id over the field limit is refused as one (431) without being
    // copied whole; a long one within it is not an id.
    expect((await api.getState("y".repeat(31 << 20))).error.code).toBe("header_too_large");
    expect((await api.getState("y".repeat(200))).error.code).toBe("invalid_id");
    expect(await wasmMemory()).toBe(before);
    expect((await api.getState(id)).version).toBe(1);
  });

  it("takes a raw patch as an ArrayBuffer, a DataView or any view of one, as documented", async () => {
    const id = freshId("rpcraw");
    const bytes = (text) => utf8.encode(text);
    expect((await api.syncState(id, bytes('{"a":1}').buffer)).version).toBe(1);
    const b = bytes('xx{"b":2}yy');
    expect((await api.syncState(id, new DataView(b.buffer, 2, 7))).version).toBe(2);
    const u16 = new Uint16Array(bytes('{"c":3}\n').buffer); // 8 bytes: a view of another type
    expect((await api.syncState(id, u16)).version).toBe(3);
    expect((await api.getState(id)).state).toEqual({ a: 1, b: 2, c: 3 });
  });

  it("takes the patch as raw JSON bytes, parsed by C: every number stays as it was written", async () => {
    const id = freshId("rpc");
    const text =
      '{"big":9007199254740993,"neg":-9223372036854775807,"n":{"x":0.1,"y":1.50,"z":-0,"e":1E+2},"huge":123456789012345678901234567890,"far":1e400}';
    const r = await api.syncState(id, utf8.encode(text));
    expect(r.ok).toBe(true);
    expect(r.version).toBe(1);
    // HTTP shows the stored digits exactly.
    const body = await (await get(`/state/${id}`)).text();
    expect(body).toBe(`{"id":"${id}","version":1,"state":${text}}`);
    // A deep merge into a member keeps the numbers it does not touch.
    expect((await api.syncState(id, utf8.encode('{"n":{"w":2.250}}'))).state.n).toEqual({ x: 0.1, y: 1.5, z: -0, e: 100, w: 2.25 });
    expect(await (await get(`/state/${id}`)).text()).toContain('"n":{"x":0.1,"y":1.50,"z":-0,"e":1E+2,"w":2.250}');
    await api.deleteState(id);
    // An ArrayBuffer, and a view into a larger buffer, work the same way.
    const padded = utf8.encode(` {"b":2} `);
    expect((await api.syncState(id, padded.buffer)).version).toBe(4);
    expect((await api.syncState(id, new Uint8Array(utf8.encode('xx{"c":3}yy').buffer, 2, 7))).version).toBe(5);
    // Bad bytes get the same answers as over HTTP.
    expect((await api.syncState(id, utf8.encode("{"))).error.code).toBe("invalid_json");
    expect((await api.syncState(id, utf8.encode('{"a":0\u0000}'.replace("\\u0000", "\0")))).error.code).toBe("invalid_json");
    expect((await api.syncState(id, new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]))).error.code).toBe("invalid_json");
    expect((await api.syncState(id, utf8.encode("[1]"))).error.code).toBe("invalid_patch");
    expect((await api.getState(id)).version).toBe(5);
  });

  it("passes If-Match strings through as header values, quoted lists included", async () => {
    const id = freshId("rpc");
    await api.syncState(id, { a: 1 });
    expect((await api.syncState(id, { a: 2 }, { ifMatch: '"1"' })).version).toBe(2);
    expect((await api.syncState(id, { a: 3 }, { ifMatch: '"7", "2"' })).version).toBe(3);
    expect((await api.syncState(id, { a: 4 }, { ifMatch: 3 })).version).toBe(4);
    expect((await api.syncState(id, { a: 5 }, { ifMatch: '"3"' })).status).toBe(412);
  });
});
