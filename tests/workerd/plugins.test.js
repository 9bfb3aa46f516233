// Plugins in workerd, with the test build's plugin index: the real schema and
// select plugins plus the test-only contract breakers (badabi, oldver,
// noexport) and a plugin that traps (tests/plugins/). SYNC_HOOKS comes from
// vitest.config.mjs: schema on "s.", "s.open." and "bad.", trap on "trap.".
import { exports } from "cloudflare:workers";
import { env, SELF } from "cloudflare:test";
import { plugins } from "../../worker/edge.js";
import { describe, expect, it } from "vitest";
import { BASE, freshId, get, patch } from "./helpers.js";

const M = { authorization: "Bearer test-metrics-token" };
const W = { authorization: "Bearer test-warmup-token" };
const api = exports.default;

async function registry() {
  const res = await get("/plugins", M);
  expect(res.status).toBe(200);
  const { plugins } = await res.json();
  return Object.fromEntries(plugins.map((p) => [p.name, p]));
}

const unload = (name, headers = W) => SELF.fetch(`${BASE}/internal/plugins/${name}/unload`, { method: "POST", headers });
const warmup = () => SELF.fetch(`${BASE}/internal/warmup`, { method: "POST", headers: W });

async function coreInstances() {
  const text = await (await get("/metrics", M)).text();
  return Number(text.match(/^cw_cold_starts_total (\d+)$/m)[1]);
}

async function unloadAll() {
  for (const name of Object.keys(await registry())) expect((await unload(name)).status).toBe(200);
}

describe("plugin registry", () => {
  it("lists every manifest plugin with the documented fields, behind the metrics token", async () => {
    expect((await get("/plugins")).status).toBe(401);
    expect((await get("/plugins", { authorization: "Bearer wrong" })).status).toBe(401);
    const all = await registry();
    expect(Object.keys(all).sort()).toEqual(["badabi", "badtypes", "noexport", "oldver", "schema", "select", "trap"]);
    for (const p of Object.values(all)) {
      expect(Object.keys(p)).toEqual(["name", "version", "abi", "state", "loads", "last_error"]);
      expect(["unloaded", "loaded", "refused", "failed"]).toContain(p.state);
    }
  });

  it("instantiates nothing until first use, then only what is used", async () => {
    await unloadAll();
    const before = await registry();
    for (const p of Object.values(before)) expect(p.state).toBe("unloaded");
    // Requests that use no plugin leave every plugin unloaded.
    const id = freshId("plain");
    expect((await patch(id, { a: 1 })).status).toBe(200);
    expect((await get(`/state/${id}`)).status).toBe(200);
    expect((await get("/health")).status).toBe(200);
    for (const p of Object.values(await registry())) expect(p.state).toBe("unloaded");
    // A request plugin loads only itself.
    expect((await get(`/plugins/select/state/${id}?select=a`)).status).toBe(200);
    let now = await registry();
    expect(now.select.state).toBe("loaded");
    expect(now.select.loads).toBe(before.select.loads + 1);
    expect(now.select.version).toBe("1.0.0");
    expect(now.select.abi).toBe(1);
    expect(now.schema.state).toBe("unloaded");
    // A PATCH in a hooked namespace loads the sync hook; later uses reuse it.
    expect((await patch(freshId("s.x"), { name: "ann" })).status).toBe(200);
    expect((await patch(freshId("s.x"), { name: "bob" })).status).toBe(200);
    now = await registry();
    expect(now.schema.state).toBe("loaded");
    expect(now.schema.loads).toBe(before.schema.loads + 1);
    expect(now.schema.version).toBe("1.2.0");
  });

  it("an authorized warmup loads every accepted plugin and reports them", async () => {
    await unloadAll();
    expect((await SELF.fetch(`${BASE}/internal/warmup`, { method: "POST" })).status).toBe(401);
    for (const p of Object.values(await registry())) expect(p.state).toBe("unloaded");
    const res = await warmup();
    expect(res.status).toBe(200);
    const report = Object.fromEntries((await res.json()).warmed.plugins.map((p) => [p.name, p]));
    for (const name of ["schema", "select", "trap"]) expect(report[name].state).toBe("loaded");
    for (const name of ["badabi", "oldver", "noexport", "badtypes"]) expect(report[name].state).toBe("refused");
    expect(await registry()).toEqual(report);
  });

  it("unload drops the instance and the next use instantiates it again", async () => {
    const id = freshId("u");
    await patch(id, { a: 1 });
    await get(`/plugins/select/state/${id}?select=a`);
    const loaded = (await registry()).select;
    expect(loaded.state).toBe("loaded");
    expect((await unload("select", {})).status).toBe(401);
    expect((await unload("select", M)).status).toBe(401); // the metrics token is not enough
    expect((await unload("nosuch")).status).toBe(404);
    const res = await unload("select");
    expect(res.status).toBe(200);
    expect((await res.json()).plugins).toEqual([{ ...loaded, state: "unloaded" }]);
    expect((await registry()).select.state).toBe("unloaded");
    const again = await get(`/plugins/select/state/${id}?select=a`);
    expect(await again.json()).toEqual({ id, version: 1, state: { a: 1 }, missing: [] });
    const reloaded = (await registry()).select;
    expect(reloaded.state).toBe("loaded");
    expect(reloaded.loads).toBe(loaded.loads + 1);
  });
});

describe("plugin contract", () => {
  const cases = {
    badabi: [/ABI/, 99, "1.0.0"],
    oldver: [/version is outside the accepted range >=2\.0\.0 <3\.0\.0/, 1, "1.4.0"],
    noexport: [/missing export cwp_route/, 1, "1.0.0"],
    badtypes: [/ABI/, null, "1.0.0"], // i64 cwp_abi, f64 cwp_caps
  };
  for (const [name, [why, abi, version]] of Object.entries(cases)) {
    it(`${name} is refused with a clear error, never half-loaded`, async () => {
      await unload(name);
      const cores = await coreInstances();
      for (let i = 0; i < 2; i++) {
        const res = await get(`/plugins/${name}/x`);
        expect(res.status).toBe(503);
        const body = await res.json();
        expect(body.error.code).toBe("plugin_unavailable");
        expect(body.error.message).toMatch(why);
        expect(body.error.request_id).toBe(res.headers.get("x-request-id"));
      }
      const entry = (await registry())[name];
      expect(entry.state).toBe("refused");
      expect(entry.loads).toBe(0); // no instance was ever kept
      expect(entry.last_error).toMatch(why);
      expect(entry.abi).toBe(abi);
      expect(entry.version).toBe(version);
      expect(await coreInstances()).toBe(cores); // the host module was not reset
    });
  }
});

describe("schema sync hook", () => {
  const bad = {
    name: "x",
    age: 1.5,
    ratio: 1,
    role: "c",
    kind: "j",
    tags: ["abcd", 7, "ok", "more"],
    meta: { ok: "yes", n: 3 },
    "a/b~c": "no",
    extra: true,
  };
  const reasons = [
    { path: "/name", message: "must have at least this many characters: 2" },
    { path: "/age", message: 'must be of type "integer"' },
    { path: "/ratio", message: "must be < 1" },
    { path: "/role", message: 'must be one of ["a","b",{"x":[1,2]}]' },
    { path: "/kind", message: 'must be "k"' },
    { path: "/tags/0", message: "must have at most this many characters: 3" },
    { path: "/tags/1", message: 'must be of type "string"' },
    { path: "/tags/3", message: "must have at most this many characters: 3" },
    { path: "/tags", message: "must have at most this many items: 3" },
    { path: "/meta/n", message: 'must be of type ["string","boolean"]' },
    { path: "/a~1b~0c", message: 'must be of type "boolean"' },
    { path: "/extra", message: "is not an allowed property" },
  ];

  it("accepts a valid document over HTTP and commits it", async () => {
    const id = freshId("s.ok");
    const doc = { name: "Ann", age: 30, ratio: 0.5, role: { x: [1, 2] }, kind: "k", tags: ["a"], meta: { m: true }, "a/b~c": false };
    const res = await patch(id, doc);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id, version: 1, state: doc });
    // Code points, not bytes: five characters of two bytes each fit maxLength 5.
    expect((await patch(id, { name: "ééééé" })).status).toBe(200);
  });

  it("refuses a violation over HTTP with 422 and every reason; nothing is committed", async () => {
    const id = freshId("s.bad");
    expect((await patch(id, { name: "Ann" })).status).toBe(200);
    const res = await patch(id, bad);
    expect(res.status).toBe(422);
    expect(res.headers.get("etag")).toBeNull();
    const body = await res.json();
    expect(body.error.code).toBe("schema_violation");
    expect(body.error.message).toMatch(/namespace "s\.": 12 violations/);
    expect(body.error.request_id).toBe(res.headers.get("x-request-id"));
    expect(body.error.reasons).toEqual(reasons);
    expect(await (await get(`/state/${id}`)).json()).toEqual({ id, version: 1, state: { name: "Ann" } });
    // The merged document is checked: removing a required member is refused.
    const removal = await patch(id, { name: null });
    expect(removal.status).toBe(422);
    expect((await removal.json()).error.reasons).toEqual([{ path: "/name", message: "is required" }]);
  });

  it("integer is decided on the number's digits, not a rounded double: 1.0, 3e1 and 1e2 are integers; 1.5e0, 150.00000000000001 and 1e-400 are not", async () => {
    const id = freshId("s.int");
    const raw = (text) => patch(id, text, { "content-type": "application/json" });
    for (const age of ["30", "-0", "1.0", "3e1", "1E2", "12.50e1", "0.0e-5"]) expect((await raw(`{"name":"Ann","age":${age}}`)).status, age).toBe(200);
    for (const age of ["1.5e0", "150.00000000000001", "1e-400", "0.5", "125e-1"]) {
      const res = await raw(`{"name":"Ann","age":${age}}`);
      expect(res.status, age).toBe(422);
      expect((await res.json()).error.reasons, age).toEqual([{ path: "/age", message: 'must be of type "integer"' }]);
    }
  });

  it("refuses the same violation over syncState RPC", async () => {
    const id = freshId("s.rpc");
    const r = await api.syncState(id, bad);
    expect(r.ok).toBe(false);
    expect(r.status).toBe(422);
    expect(r.error.code).toBe("schema_violation");
    expect(r.error.reasons).toEqual(reasons);
    expect((await api.getState(id)).version).toBe(0);
    const good = await api.syncState(id, { name: "Bo", tags: ["x"] });
    expect(good).toEqual({ ok: true, status: 200, id, version: 1, state: { name: "Bo", tags: ["x"] } });
  });

  it("the longest namespace wins, and ids outside every namespace are not checked", async () => {
    expect((await patch(freshId("s.open.x"), { anything: [1] })).status).toBe(200);
    expect((await patch(freshId("free"), { anything: [1] })).status).toBe(200);
  });

  it("a malformed configured schema is a 500 naming it, and nothing is committed", async () => {
    const id = freshId("bad.x");
    const res = await patch(id, { a: 1 });
    expect(res.status).toBe(500);
    const body = await res.json();
    expect(body.error.code).toBe("plugin_failed");
    expect(body.error.message).toMatch(/invalid_schema: the configured schema is malformed at keyword type/);
    expect((await (await get(`/state/${id}`)).json()).version).toBe(0);
  });
});

describe("select request plugin", () => {
  const doc = {
    profile: { name: "Ann", "a.b": 1, tags: ["x", "y"] },
    items: [{ sku: "p1", qty: 2, note: "n" }, { sku: "p2" }, 7],
    settings: { theme: "dark", lang: "en" },
  };

  it("projects a state document onto the requested paths", async () => {
    const id = freshId("sel");
    await patch(id, doc);
    const q = (s) => get(`/plugins/select/state/${id}?select=${s}`).then((r) => r.json());
    expect(await q("profile.name,settings")).toEqual({
      id,
      version: 1,
      state: { profile: { name: "Ann" }, settings: doc.settings },
      missing: [],
    });
    expect((await q("items.*.sku")).state).toEqual({ items: [{ sku: "p1" }, { sku: "p2" }, null] });
    expect((await q("items.*.qty")).state).toEqual({ items: [{ qty: 2 }, null, null] });
    expect((await q("settings.*")).state).toEqual({ settings: doc.settings });
    expect((await q("profile.a%2Eb,profile")).state).toEqual({ profile: doc.profile });
    expect((await q("profile.a%2Eb")).state).toEqual({ profile: { "a.b": 1 } });
    // "%2A" is a member named "*", not the wildcard: so it cannot be mixed
    // with "*" under one parent, in either order.
    expect(await q("settings.%2A")).toMatchObject({ state: {}, missing: ["settings.%2A"] });
    expect((await q("settings.%2A,settings.*")).error.code).toBe("invalid_select");
    expect((await q("settings.*,settings.%2A")).error.code).toBe("invalid_select");
    // A name that decodes to bytes that are not UTF-8 matches nothing, and is
    // reported as written; the answer stays valid JSON.
    expect((await q("%E0x")).missing).toEqual(["%E0x"]);
    expect((await q("%E0x,profile.name")).state).toEqual({ profile: { name: "Ann" } });
    const partial = await q("profile.nope,missing.x,settings.lang");
    expect(partial.state).toEqual({ settings: { lang: "en" } });
    expect(partial.missing).toEqual(["profile.nope", "missing.x"]);
    // A never-written id is version 0 with nothing found.
    expect(await (await get(`/plugins/select/state/${freshId("none")}?select=a`)).json()).toMatchObject({ version: 0, state: {}, missing: ["a"] });
  });

  it("bad selections and routes get 4xx JSON from the plugin or the host", async () => {
    const cases = [
      ["/plugins/select/state/x", 400, "invalid_select"],
      ["/plugins/select/state/x?select=a..b", 400, "invalid_select"],
      ["/plugins/select/state/x?select=a.*,a.b", 400, "invalid_select"],
      ["/plugins/select/state/x?select=a%zz", 400, "invalid_select"],
      ["/plugins/select/state/x?select=a&select=b", 400, "invalid_parameter"],
      ["/plugins/select/state/x?select=a&x=1&select=", 400, "invalid_parameter"],
      [`/plugins/select/state/x?select=${Array.from({ length: 65 }, (_, i) => `k${i}`).join(",")}`, 400, "invalid_select"],
      ["/plugins/select/other", 404, "not_found"],
      ["/plugins/select/state/bad%20id?select=a", 400, "invalid_id"],
      ["/plugins/nosuch/state/x", 404, "not_found"],
      ["/plugins/schema/state/x", 404, "not_found"],
    ];
    for (const [path, status, code] of cases) {
      const res = await get(path);
      expect([path, res.status]).toEqual([path, status]);
      const body = await res.json();
      expect(body.error.code).toBe(code);
      expect(body.error.request_id).toBe(res.headers.get("x-request-id"));
    }
    expect((await SELF.fetch(`${BASE}/plugins/select/state/x`, { method: "PATCH" })).status).toBe(405);
  });
});

describe("plugin traps", () => {
  it("a trapping request plugin answers 500 with the request id and drops only itself", async () => {
    await unload("trap");
    const id = freshId("iso");
    await patch(id, { a: 1 });
    await get(`/plugins/select/state/${id}?select=a`);
    const ok1 = await (await get("/plugins/trap/ok")).json();
    const ok2 = await (await get("/plugins/trap/ok")).json();
    expect([ok1.calls, ok2.calls]).toEqual([1, 2]); // one instance, kept
    const before = await registry();
    const cores = await coreInstances();

    const res = await get("/plugins/trap/boom");
    expect(res.status).toBe(500);
    const body = await res.json();
    expect(body.error.code).toBe("plugin_failed");
    expect(body.error.message).toMatch(/plugin trap failed: trap in route/);
    expect(body.error.request_id).toBe(res.headers.get("x-request-id"));

    const after = await registry();
    expect(after.trap.state).toBe("failed");
    expect(after.trap.last_error).toMatch(/trap in route/);
    expect(after.select).toEqual(before.select); // other plugins untouched
    expect(await coreInstances()).toBe(cores); // the host instance too
    expect(await (await get(`/state/${id}`)).json()).toEqual({ id, version: 1, state: { a: 1 } });
    // The next use instantiates the plugin afresh.
    expect((await (await get("/plugins/trap/ok")).json()).calls).toBe(1);
    expect((await registry()).trap).toMatchObject({ state: "loaded", loads: before.trap.loads + 1 });
  });

  it("a trapping sync hook answers 500 and commits nothing", async () => {
    const id = freshId("trap.x");
    expect((await patch(id, { a: 1 })).status).toBe(200);
    const res = await patch(id, { boom: true });
    expect(res.status).toBe(500);
    expect((await res.json()).error.code).toBe("plugin_failed");
    expect((await registry()).trap.state).toBe("failed");
    expect(await (await get(`/state/${id}`)).json()).toEqual({ id, version: 1, state: { a: 1 } });
    expect((await patch(id, { b: 2 })).status).toBe(200);
    const r = await api.syncState(id, { boom: true });
    expect([r.ok, r.status, r.error.code]).toEqual([false, 500, "plugin_failed"]);
    expect((await api.getState(id)).version).toBe(2);
  });
});

// The plugins are a worker of their own (worker/plugins.js), reached only
// through the PLUGINS binding. When it fails or hangs, a call is "plugin
// unavailable" (status 1, which C answers 503) and a registry operation
// gives no report (C answers 500), within the deadline (400 ms here).
describe("the plugins worker", () => {
  const failing = { call: () => Promise.reject(new Error("gone")), registry: () => Promise.reject(new Error("gone")) };
  const hanging = { call: () => new Promise(() => {}), registry: () => new Promise(() => {}) };

  it("a failing or silent plugins worker is an answer, not a hang", async () => {
    const text = (b) => new TextDecoder().decode(b);
    let a = await plugins({ ...env, PLUGINS: failing }, "call", "select route", new Uint8Array(0));
    expect([a.status, text(a.body)]).toEqual([1, "the plugins worker failed: gone"]);
    a = await plugins({ ...env, PLUGINS: failing }, "registry", "list");
    expect(a.status).toBe(0);
    const t0 = Date.now();
    a = await plugins({ ...env, PLUGINS: hanging }, "call", "select route", new Uint8Array(0));
    expect([a.status, text(a.body)]).toEqual([1, "the plugins worker failed: no answer in time"]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(350);
  });
});
