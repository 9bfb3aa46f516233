// Document tokens in workerd, with STATE_KEYS set (auth.vitest.config.mjs):
// every state path with and without a token, scopes, the WebSocket
// subprotocol, read-only sockets, the journal's actor, and the trusted RPC.
// The hostile-token table runs natively (tests/c/test_jwt.c); a few of
// its rows are repeated here through the real glue and WebCrypto.
import { env, runInDurableObject, SELF } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BASE, freshId, open as live } from "../helpers.js";

const api = exports.default;
const KEY1 = "0123456789abcdef0123456789abcdef"; // k1's 32 bytes
const b64 = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const enc = (obj) => b64(new TextEncoder().encode(typeof obj === "string" ? obj : JSON.stringify(obj)));

async function mint(claims, { kid = "k1", key = KEY1, header } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const body = `${enc(header ?? { alg: "HS256", typ: "JWT", kid })}.${enc({ sub: "alice", exp: now + 600, ...claims })}`;
  const k = await crypto.subtle.importKey("raw", new TextEncoder().encode(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return `${body}.${b64(new Uint8Array(await crypto.subtle.sign("HMAC", k, new TextEncoder().encode(body))))}`;
}

const req = (method, path, token, body) =>
  SELF.fetch(`${BASE}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { "content-type": "application/json" } : {}) },
    body,
  });

async function expectError(res, status, code) {
  expect(res.status).toBe(status);
  const body = await res.json();
  expect(body.error.code).toBe(code);
  if (status === 401) expect(res.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
  return body;
}

describe("every state path with and without a token", () => {
  it("write scope: everything; no token: 401 on every path", async () => {
    const id = freshId("doc");
    const w = await mint({ docs: [id], scope: "write" });
    expect((await req("PATCH", `/state/${id}`, w, '{"a":1}')).status).toBe(200);
    expect((await req("GET", `/state/${id}`, w)).status).toBe(200);
    expect((await req("HEAD", `/state/${id}`, w)).status).toBe(200);
    expect((await req("GET", `/state/${id}/changes?since=0`, w)).status).toBe(200);
    expect((await req("GET", `/plugins/select/state/${id}?select=a`, w)).status).toBe(200);
    for (const [m, p, b] of [
      ["GET", `/state/${id}`],
      ["HEAD", `/state/${id}`],
      ["PATCH", `/state/${id}`, '{"a":2}'],
      ["DELETE", `/state/${id}`],
      ["GET", `/state/${id}/changes?since=0`],
      ["GET", `/plugins/select/state/${id}?select=a`],
    ]) {
      const res = await req(m, p, null, b);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
    }
    expect((await req("DELETE", `/state/${id}`, w)).status).toBe(200);
    // Routes without a document are untouched.
    expect((await req("GET", "/health")).status).toBe(200);
  });

  it("read scope: GET, HEAD, changes and plugin views; writes are 403", async () => {
    const id = freshId("ro");
    const r = await mint({ docs: [id], scope: "read" });
    expect((await req("GET", `/state/${id}`, r)).status).toBe(200);
    expect((await req("GET", `/state/${id}/changes?since=0`, r)).status).toBe(200);
    expect((await req("GET", `/plugins/select/state/${id}?select=a`, r)).status).toBe(200);
    await expectError(await req("PATCH", `/state/${id}`, r, '{"a":1}'), 403, "forbidden");
    await expectError(await req("DELETE", `/state/${id}`, r), 403, "forbidden");
  });

  it("through the real WebCrypto: bad signature, unknown kid, alg none, expired, another document, a query token", async () => {
    const id = freshId("bad");
    await expectError(await req("GET", `/state/${id}`, await mint({ docs: [id], scope: "read" }, { key: "x".repeat(32) })), 401, "unauthorized");
    await expectError(await req("GET", `/state/${id}`, await mint({ docs: [id], scope: "read" }, { kid: "k9" })), 401, "unauthorized");
    await expectError(await req("GET", `/state/${id}`, await mint({ docs: [id], scope: "read" }, { header: { alg: "none", kid: "k1" } })), 401, "unauthorized");
    const expired = await mint({ docs: [id], scope: "read", exp: Math.floor(Date.now() / 1000) - 3600 });
    expect((await expectError(await req("GET", `/state/${id}`, expired), 401, "unauthorized")).error.message).toMatch(/expired/);
    await expectError(await req("GET", `/state/${id}`, await mint({ docs: ["other"], scope: "write" })), 403, "forbidden");
    const good = await mint({ docs: [id], scope: "read" });
    await expectError(await req("GET", `/state/${id}?access_token=${good}`), 400, "invalid_parameter");
    // Its name percent-encoded is the same name.
    for (const name of ["access%5Ftoken", "%74oken", "token"]) await expectError(await req("GET", `/state/${id}?${name}=${good}`), 400, "invalid_parameter");
    // The second key works as well as the first (a rotation in progress).
    expect((await req("GET", `/state/${id}`, await mint({ docs: [id], scope: "read" }, { kid: "k2", key: "fedcba9876543210fedcba9876543210" }))).status).toBe(200);
  });

  it("the journal records the token's sub as the actor; RPC callers are trusted", async () => {
    const id = freshId("actor");
    const w = await mint({ docs: ["actor-*"], scope: "write", sub: "ann@example" });
    expect((await req("PATCH", `/state/${id}`, w, '{"a":1}')).status).toBe(200);
    expect((await api.syncState(id, { b: 2 }, { actor: "svc" })).version).toBe(2);
    const changes = await (await req("GET", `/state/${id}/changes?since=0`, w)).json();
    expect(changes.changes.map((c) => c.actor)).toEqual(["ann@example", "svc"]);
  });

  it("the sub is the actor exactly as written, over HTTP and over a socket (trailing spaces, any script); a control character is refused", async () => {
    const id = freshId("actor");
    const subs = ["admin ", " ", "张三 ", "a%20b"];
    for (const [i, sub] of subs.entries()) {
      const w = await mint({ docs: [id], scope: "write", sub });
      expect((await req("PATCH", `/state/${id}`, w, JSON.stringify({ http: sub }))).status).toBe(200);
      const s = await live(id, { "sec-websocket-protocol": `sync.v1, bearer.${w}` });
      s.send({ type: "hello" });
      await s.next((f) => f.type === "peers");
      s.send({ type: "patch", mid: `m${i}`, patch: { ws: sub } });
      expect(await s.next((f) => f.mid === `m${i}`)).toMatchObject({ type: "ack" });
      s.ws.close(1000);
    }
    const changes = await (await req("GET", `/state/${id}/changes?since=0`, await mint({ docs: [id], scope: "read" }))).json();
    expect(changes.changes.map((c) => c.actor)).toEqual(subs.flatMap((s) => [s, s]));
    for (const sub of ["a\u0085b", "a\u009fb", "a\u007fb", "a\nb"]) {
      expect((await expectError(await req("GET", `/state/${id}`, await mint({ docs: [id], scope: "read", sub })), 401, "unauthorized")).error.message).toMatch(/sub/);
      // an RPC caller's actor, to the same rule
      expect(await api.syncState(id, { x: 1 }, { actor: sub })).toMatchObject({ ok: false, status: 400, error: { code: "bad_request" } });
    }
  });
});

describe("live sockets", () => {
  async function open(id, token, protocols = ["sync.v1", `bearer.${token}`]) {
    const res = await SELF.fetch(`${BASE}/state/${id}/live`, { headers: { upgrade: "websocket", "sec-websocket-protocol": protocols.join(", ") } });
    return res;
  }

  it("take the token as a bearer.<token> subprotocol and echo exactly one offered entry", async () => {
    const id = freshId("ws");
    expect((await open(id, "", ["sync.v1"])).status).toBe(401);
    const w = await mint({ docs: [id], scope: "write" });
    // sync.v1 when offered, wherever it is in the list ...
    for (const protocols of [["sync.v1", `bearer.${w}`], [`bearer.${w}`, "sync.v1"], ["x.other", `bearer.${w}`, " sync.v1 "]]) {
      const res = await open(id, w, protocols);
      expect(res.status).toBe(101);
      expect(res.headers.get("sec-websocket-protocol")).toBe("sync.v1");
      res.webSocket.accept();
      res.webSocket.close(1000);
    }
    // ... else the token entry itself, whatever its length (a token alone).
    const long = await mint({ docs: [id], scope: "write", sub: "s".repeat(128), pad: "p".repeat(900) });
    for (const t of [w, long]) {
      const res = await open(id, t, [`bearer.${t}`]);
      expect(res.status).toBe(101);
      expect(res.headers.get("sec-websocket-protocol")).toBe(`bearer.${t}`);
      res.webSocket.accept();
      res.webSocket.close(1000);
    }
    // Neither: refused, since no answer could complete the handshake.
    const res = await SELF.fetch(`${BASE}/state/${id}/live`, {
      headers: { upgrade: "websocket", authorization: `Bearer ${w}`, "sec-websocket-protocol": "chat, x.other" },
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toMatch(/neither sync.v1 nor bearer/);
  });

  it("a read token makes a read-only socket: patch is rejected forbidden, presence is fine", async () => {
    const id = freshId("wsro");
    const r = await mint({ docs: [id], scope: "read", sub: "reader" });
    const res = await open(id, r);
    expect(res.status).toBe(101);
    const ws = res.webSocket;
    ws.accept();
    const frames = [];
    ws.addEventListener("message", (e) => { frames.push(JSON.parse(e.data)); });
    const next = async () => {
      for (let i = 0; i < 100 && !frames.length; i++) await new Promise((r2) => setTimeout(r2, 20));
      return frames.shift();
    };
    ws.send('{"type":"hello"}');
    expect((await next()).type).toBe("snapshot");
    expect((await next()).type).toBe("peers");
    ws.send('{"type":"patch","mid":"m1","patch":{"a":1}}');
    expect(await next()).toMatchObject({ type: "reject", mid: "m1", error: { code: "forbidden" } });
    ws.send('{"type":"presence","data":{"x":1}}');
    ws.send('{"type":"hello","since":0}');
    expect((await next()).type).toBe("changes"); // presence answered nothing to the sender
    ws.close(1000);
    expect((await api.getState(id)).version).toBe(0);
  });
});

describe("a socket's grant is judged at every frame, not only at the upgrade", () => {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  async function live(id, token) {
    const res = await SELF.fetch(`${BASE}/state/${id}/live`, { headers: { upgrade: "websocket", "sec-websocket-protocol": `sync.v1, bearer.${token}` } });
    expect(res.status).toBe(101);
    const ws = res.webSocket;
    ws.accept();
    const frames = [];
    let close = null;
    ws.addEventListener("message", (e) => { frames.push(JSON.parse(e.data)); });
    ws.addEventListener("close", (e) => (close = { code: e.code, reason: e.reason }));
    const until = async (fn) => {
      for (let i = 0; i < 200; i++) {
        const v = fn();
        if (v) return v;
        await sleep(20);
      }
      throw new Error(`timed out; frames ${JSON.stringify(frames)}, close ${JSON.stringify(close)}`);
    };
    return {
      send: (f) => ws.send(JSON.stringify(f)),
      next: () => until(() => frames.shift()),
      // The next frame that is not another member coming or going.
      nextOwn: () => until(() => { while (frames.length && ["join", "leave"].includes(frames[0].type)) frames.shift(); return frames.shift(); }),
      closed: () => until(() => close),
      frames,
    };
  }
  // A token that ends in two to three seconds: exp is past, within the 60 s
  // leeway, and a request is refused from the second after exp + leeway.
  const shortLived = (id) => mint({ docs: [id], scope: "write", exp: Math.floor(Date.now() / 1000) - 60 + 2 });

  it("a patch past exp plus the leeway is rejected 401 invalid_token, nothing is applied, and the socket closes 4001 token_expired", async () => {
    const id = freshId("exp");
    const s = await live(id, await shortLived(id));
    s.send({ type: "hello" });
    expect((await s.next()).type).toBe("snapshot");
    expect((await s.next()).type).toBe("peers");
    s.send({ type: "patch", mid: "m1", patch: { a: 1 } });
    expect(await s.next()).toEqual({ type: "ack", mid: "m1", version: 1 });
    await sleep(3100);
    s.send({ type: "patch", mid: "m2", patch: { a: 2 } });
    expect(await s.next()).toMatchObject({ type: "reject", mid: "m2", error: { code: "invalid_token" } });
    expect(await s.closed()).toEqual({ code: 4001, reason: "token_expired" });
    expect(await api.getState(id)).toMatchObject({ version: 1, state: { a: 1 } });
  }, 10_000);

  it("a socket expires at the instant a request would: a token HTTP still takes opens a socket that works", async () => {
    const id = freshId("edge");
    // exp such that this second is the last one HTTP takes the token in;
    // tried again if the exchange crossed into the next second.
    let ok = false;
    for (let tries = 0; tries < 4 && !ok; tries++) {
      await sleep(1020 - (Date.now() % 1000));
      const second = Math.floor(Date.now() / 1000);
      const t = await mint({ docs: [id], scope: "write", exp: second - 60 });
      const crossed = () => Math.floor(Date.now() / 1000) !== second;
      const got = (await req("GET", `/state/${id}`, t)).status;
      if (got !== 200 && crossed()) continue;
      expect(got).toBe(200);
      let s;
      try {
        s = await live(id, t);
      } catch (e) {
        if (crossed()) continue;
        throw e;
      }
      s.send({ type: "hello" });
      const first = await s.next();
      if (crossed()) continue;
      expect(first.type).toBe("snapshot");
      ok = true;
    }
    expect(ok).toBe(true);
  }, 10_000);

  it("a socket whose attachment predates expiries (version 1) has ended where tokens are needed: 4001, its client comes back with a fresh token", async () => {
    const id = freshId("v1");
    const s = await live(id, await mint({ docs: [id], scope: "write" }));
    s.send({ type: "hello" });
    expect((await s.next()).type).toBe("snapshot");
    expect((await s.next()).type).toBe("peers");
    await runInDurableObject(env.STATE.get(env.STATE.idFromName(id)), (_o, state) => {
      for (const ws of state.getWebSockets()) ws.serializeAttachment(`{"v":1,"j":1,"id":"${id}","ro":0}`);
    });
    s.send({ type: "patch", mid: "v1", patch: { a: 1 } });
    expect(await s.next()).toMatchObject({ type: "reject", mid: "v1", error: { code: "invalid_token" } });
    expect(await s.closed()).toEqual({ code: 4001, reason: "token_expired" });
    expect(await api.getState(id)).toMatchObject({ version: 0 });
  });

  it("an idle socket whose token ended hears nothing more: the next change closes it instead", async () => {
    const id = freshId("idle");
    const idle = await live(id, await shortLived(id));
    const other = await live(id, await mint({ docs: [id], scope: "write" }));
    for (const s of [idle, other]) {
      s.send({ type: "hello" });
      await s.next();
      await s.next();
    }
    await sleep(3100);
    other.send({ type: "patch", mid: "w", patch: { b: 1 } });
    expect(await other.next()).toEqual({ type: "ack", mid: "w", version: 1 });
    expect(await idle.closed()).toEqual({ code: 4001, reason: "token_expired" });
    expect(idle.frames.filter((f) => f.type === "change")).toEqual([]);
  }, 10_000);

  it("a key removed from the configuration revokes the sockets whose token it signed: 401 invalid_token, then 4002 key_revoked", async () => {
    const id = freshId("rev");
    const s = await live(id, await mint({ docs: [id], scope: "write" }, { kid: "k1" }));
    const k2 = await live(id, await mint({ docs: [id], scope: "write" }, { kid: "k2", key: "fedcba9876543210fedcba9876543210" }));
    for (const x of [s, k2]) {
      x.send({ type: "hello" });
      await x.next();
      await x.next();
    }
    const only = (keys) => SELF.fetch(`${BASE}/__test/keys`, { method: "POST", body: JSON.stringify(keys) });
    expect((await only({ k2: "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA" })).status).toBe(200);
    try {
      s.send({ type: "patch", mid: "r1", patch: { c: 1 } });
      expect(await s.nextOwn()).toMatchObject({ type: "reject", mid: "r1", error: { code: "invalid_token" } });
      expect(await s.closed()).toEqual({ code: 4002, reason: "key_revoked" });
      // The socket signed by the key still configured goes on.
      k2.send({ type: "patch", mid: "r2", patch: { c: 2 } });
      expect(await k2.nextOwn()).toEqual({ type: "ack", mid: "r2", version: 1 });
    } finally {
      await only({ k1: "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY", k2: "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA" });
    }
    expect(await api.getState(id)).toMatchObject({ version: 1, state: { c: 2 } });
  });
});

describe("path-scoped tokens: the paths claim limits what a token reads and writes", () => {
  const body = async (res) => ({ status: res.status, json: await res.json() });

  it("a user who reads all but writes only /cursors/<sub> and /users/<sub>: 403 forbidden with error.paths for anything else, nothing applied", async () => {
    const id = freshId("paths");
    const admin = await mint({ docs: [id], scope: "write" });
    expect((await req("PATCH", `/state/${id}`, admin, JSON.stringify({ title: "board", users: { bob: { n: 1 } }, cursors: { bob: 1 } }))).status).toBe(200);
    const ann = await mint({ docs: [id], scope: "write", sub: "ann", paths: { write: ["/cursors/ann", "/users/ann"] } });
    // Its own members, at any depth, and a parent that is not there yet.
    expect((await body(await req("PATCH", `/state/${id}`, ann, '{"users":{"ann":{"name":"Ann","n":1}},"cursors":{"ann":[3,4]}}'))).json.version).toBe(2);
    expect((await req("PATCH", `/state/${id}`, ann, '{"users":{"ann":{"n":null}}}')).status).toBe(200);
    // Everything else: 403 naming the pointers; nothing applied.
    for (const [patch, paths] of [
      ['{"title":"mine"}', ["/title"]],
      ['{"users":{"bob":{"n":9}},"cursors":{"ann":1}}', ["/users/bob"]],
      ['{"users":{"annie":1}}', ["/users/annie"]], // a sibling sharing a name prefix
      ['{"users":{"ann/x":1,"ann~":2}}', ["/users/ann~1x", "/users/ann~0"]],
      ['{"users":null}', ["/users"]], // a null delete of a parent
      ['{"cursors":5}', ["/cursors"]], // a replacement of a parent
      ['{"__proto__":{"x":1}}', ["/__proto__"]],
    ]) {
      const r = await body(await req("PATCH", `/state/${id}`, ann, patch));
      expect(r.status, patch).toBe(403);
      expect(r.json.error.code).toBe("forbidden");
      expect(r.json.error.paths, patch).toEqual(paths);
    }
    // A merge into a parent that holds a value, not an object, replaces it.
    expect((await req("PATCH", `/state/${id}`, admin, '{"cursors":"flat"}')).status).toBe(200);
    expect((await body(await req("PATCH", `/state/${id}`, ann, '{"cursors":{"ann":1}}'))).json.error.paths).toEqual(["/cursors"]);
    expect((await req("DELETE", `/state/${id}`, ann)).status).toBe(403);
    // It reads all; the journal holds only what was applied.
    const got = await body(await req("GET", `/state/${id}`, ann));
    expect(got.json).toMatchObject({ version: 4, state: { title: "board", users: { bob: { n: 1 }, ann: { name: "Ann" } }, cursors: "flat" } });
    const ch = await body(await req("GET", `/state/${id}/changes?since=0`, ann));
    expect(ch.json.changes.map((c) => c.version)).toEqual([1, 2, 3, 4]);
    // Over a socket, the same: a patch frame outside is rejected 403 with paths.
    const s = await live(id, { "sec-websocket-protocol": `sync.v1, bearer.${ann}` });
    s.send({ type: "hello" });
    await s.next((f) => f.type === "peers");
    s.send({ type: "patch", mid: "m1", patch: { title: "x" } });
    expect(await s.next((f) => f.mid === "m1")).toMatchObject({ type: "reject", mid: "m1", error: { code: "forbidden", paths: ["/title"] } });
    s.send({ type: "patch", mid: "m2", patch: { users: { ann: { n: 2 } } } });
    expect(await s.next((f) => f.mid === "m2")).toEqual({ type: "ack", mid: "m2", version: 5 });
    // A retry of someone else's write outside its paths is refused as a
    // new one would be: neither a replay nor idempotency_key_reused tells
    // what was written.
    const keyed = (token, patch, key = "payroll-2026-12") =>
      SELF.fetch(`${BASE}/state/${id}`, { method: "PATCH", headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "idempotency-key": key }, body: patch });
    expect((await keyed(admin, '{"salary":{"bob":90000}}')).status).toBe(200);
    for (const patch of ['{"salary":{"bob":90000}}', '{"salary":{"bob":80000}}']) {
      const r = await body(await keyed(ann, patch));
      expect(r.status, patch).toBe(403);
      expect(r.json.error).toMatchObject({ code: "forbidden", paths: ["/salary"] });
    }
    s.send({ type: "patch", mid: "payroll-2026-12", patch: { salary: { bob: 90000 } } });
    expect(await s.next((f) => f.mid === "payroll-2026-12")).toMatchObject({ type: "reject", error: { code: "forbidden", paths: ["/salary"] } });
    // Its own write retried is its replay, even once the document changed
    // around it (a parent that is no longer an object).
    const own = '{"users":{"ann":{"k":1}}}';
    const first = await keyed(ann, own, "ann-own-1");
    expect(first.status).toBe(200);
    const at = (await first.json()).version;
    expect((await req("PATCH", `/state/${id}`, admin, '{"users":"flat"}')).status).toBe(200);
    const again = await keyed(ann, own, "ann-own-1");
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect((await again.json()).version).toBe(at);
    s.ws.close(1000);
  });

  it("a read list limits GET, ?path=, changes, the snapshot and change frames", async () => {
    const id = freshId("rpaths");
    const admin = await mint({ docs: [id], scope: "write" });
    const state = { cards: { c17: { t: "seventeen" }, c18: { t: "eighteen" } }, meta: { v: 1 }, secret: "s", users: { al: 1, alice: 2 } };
    expect((await req("PATCH", `/state/${id}`, admin, JSON.stringify(state))).status).toBe(200);
    const reader = await mint({ docs: [id], scope: "read", sub: "r", paths: { read: ["/cards/c17", "/meta", "/users/al"] } });
    const mine = { cards: { c17: { t: "seventeen" } }, meta: { v: 1 }, users: { al: 1 } };
    expect((await body(await req("GET", `/state/${id}`, reader))).json).toEqual({ id, version: 1, state: mine });
    const at = (p) => req("GET", `/state/${id}?path=${encodeURIComponent(p)}`, reader).then(body);
    expect((await at("/cards/c17/t")).json).toEqual({ id, version: 1, path: "/cards/c17/t", state: "seventeen" });
    expect((await at("/cards")).json).toEqual({ id, version: 1, path: "/cards", state: { c17: { t: "seventeen" } } });
    for (const p of ["/secret", "/cards/c18", "/users/alice"]) {
      const r = await at(p);
      expect(r.status, p).toBe(403);
      expect(r.json.error).toMatchObject({ code: "forbidden", paths: [p] });
    }
    expect((await at("/cards/c99")).status).toBe(403);
    // A socket: the snapshot is its part; a change outside its paths is an
    // empty patch (the version moved), a change inside is its part.
    const s = await live(id, { "sec-websocket-protocol": `sync.v1, bearer.${reader}` });
    s.send({ type: "hello" });
    expect(await s.next((f) => f.type === "snapshot")).toMatchObject({ version: 1, state: mine });
    await s.next((f) => f.type === "peers");
    expect((await req("PATCH", `/state/${id}`, admin, '{"secret":"t","cards":{"c18":null}}')).status).toBe(200);
    expect(await s.next((f) => f.type === "change")).toMatchObject({ version: 2, patch: {} });
    expect((await req("PATCH", `/state/${id}`, admin, '{"cards":{"c17":{"t":"new"},"c19":1},"meta":null}')).status).toBe(200);
    expect(await s.next((f) => f.type === "change")).toMatchObject({ version: 3, patch: { cards: { c17: { t: "new" } }, meta: null } });
    expect((await req("PATCH", `/state/${id}`, admin, '{"cards":null}')).status).toBe(200);
    expect(await s.next((f) => f.type === "change")).toMatchObject({ version: 4, patch: { cards: { c17: null } } });
    s.ws.close(1000);
    // changes: each entry's part.
    const ch = (await body(await req("GET", `/state/${id}/changes?since=1`, reader))).json;
    expect(ch.changes.map((c) => c.patch)).toEqual([{}, { cards: { c17: { t: "new" } }, meta: null }, { cards: { c17: null } }]);
    // A whole-document reader beside it still gets everything.
    const all = await live(id, { "sec-websocket-protocol": `sync.v1, bearer.${admin}` });
    all.send({ type: "hello" });
    expect(await all.next((f) => f.type === "snapshot")).toMatchObject({ version: 4, state: { secret: "t", users: { al: 1, alice: 2 } } });
    all.ws.close(1000);
    // A write of its own with ?since=: its answer's changes are parts too,
    // its own entry included, as GET /changes shows the same versions.
    const writer = await mint({ docs: [id], scope: "write", sub: "w", paths: { read: ["/meta"] } });
    const w = await body(await req("PATCH", `/state/${id}?since=3`, writer, '{"other":5,"meta":{"x":1}}'));
    expect(w.json).toEqual({ id, version: 5, changes: [{ version: 4, at: expect.any(Number), request_id: expect.any(String), actor: "alice", patch: {} }, { version: 5, at: expect.any(Number), request_id: expect.any(String), actor: "w", patch: { meta: { x: 1 } } }] });
    const again = (await body(await req("GET", `/state/${id}/changes?since=3`, writer))).json;
    expect(again.changes.map((c) => c.patch)).toEqual(w.json.changes.map((c) => c.patch));
  });

  it("a read entry reaching inside an array names no member: the whole GET shows nothing there and ?path= under it is 404 as where nothing is, whatever lies outside the grant; an entry naming the array reads it and its elements", async () => {
    const id = freshId("rarray");
    const admin = await mint({ docs: [id], scope: "write" });
    const state = { tags: ["a", { b: 1 }], obj: { "0": "zero" }, n: 5 };
    expect((await req("PATCH", `/state/${id}`, admin, JSON.stringify(state))).status).toBe(200);
    const inside = await mint({ docs: [id], scope: "read", sub: "r", paths: { read: ["/tags/0", "/tags/1/b", "/obj/0", "/n/x"] } });
    expect((await body(await req("GET", `/state/${id}`, inside))).json).toEqual({ id, version: 1, state: { obj: { "0": "zero" } } });
    const at = (p, t) => req("GET", `/state/${id}?path=${encodeURIComponent(p)}`, t).then(body);
    for (const p of ["/tags/0", "/tags/1/b"]) expect((await at(p, inside)).json.error.code, p).toBe("no_such_path");
    // Above those entries, the part there: nothing, as in the whole GET.
    for (const p of ["/tags", "/tags/1"]) expect((await at(p, inside)).json.error.code, p).toBe("no_such_path");
    // An object member named "0" is a member; under a scalar there is nothing.
    expect((await at("/obj/0", inside)).json).toEqual({ id, version: 1, path: "/obj/0", state: "zero" });
    expect((await at("/n/x", inside)).json.error.code).toBe("no_such_path");
    const whole = await mint({ docs: [id], scope: "read", sub: "r", paths: { read: ["/tags"] } });
    expect((await at("/tags/1/b", whole)).json).toEqual({ id, version: 1, path: "/tags/1/b", state: 1 });
    expect((await at("/tags", whole)).json.state).toEqual(state.tags);
    // An empty read list is none of the document (docs/access.md).
    const none = await mint({ docs: [id], scope: "read", sub: "r", paths: { read: [] } });
    expect((await body(await req("GET", `/state/${id}`, none))).json).toEqual({ id, version: 1, state: {} });
    expect((await at("/n", none)).json.error).toMatchObject({ code: "forbidden", paths: ["/n"] });
    // The same answer whatever /tags is outside the grant: an array (long,
    // short, empty), nothing, a scalar, an object without "0".
    for (const tags of [[], [1, 2, 3], null, 5, { x: 1 }]) {
      expect((await req("PATCH", `/state/${id}`, admin, JSON.stringify({ tags }))).status).toBe(200);
      const r = await at("/tags/0", inside);
      expect([r.status, r.json.error.code], JSON.stringify(tags)).toEqual([404, "no_such_path"]);
    }
  });

  it("a paths claim that is not one is 401 invalid_token", async () => {
    const id = freshId("badpaths");
    for (const paths of [[], { read: "/a" }, { read: ["a"] }, { write: ["/a~2"] }, { other: ["/a"] }, { read: Array(33).fill("/a") }, { read: [1] }]) {
      const t = await mint({ docs: [id], scope: "read", paths });
      const r = await body(await req("GET", `/state/${id}`, t));
      expect(r.status, JSON.stringify(paths)).toBe(401);
      expect(r.json.error.message).toMatch(/paths/);
    }
  });
});
