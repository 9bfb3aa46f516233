// HTTP semantics clients and caches rely on (RFC 9110): HEAD on every GET
// route, conditional requests (If-Match, If-None-Match, empty list
// elements), the charset of a body, and methods the worker does not know.
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { BASE, freshId, get, patch } from "./helpers.js";

const M = { authorization: "Bearer test-metrics-token" };
const head = (path, headers = {}) => SELF.fetch(`${BASE}${path}`, { method: "HEAD", headers });
// In workerd's in-process fetch a GET answer has no content-length yet (it
// is set on the wire); HEAD carries it explicitly.
const volatile = new Set(["x-request-id", "server-timing", "date", "content-length"]);
const stable = (res) => [...res.headers].filter(([k]) => !volatile.has(k));

describe("HEAD", () => {
  for (const path of ["/health", "/version", "/metrics", "/plugins", "/state/{id}", "/plugins/select/state/{id}?select=a"]) {
    it(`${path}: the status and headers of GET, no body`, async () => {
      const id = freshId("head");
      await patch(id, { a: 1 });
      const p = path.replace("{id}", id);
      const g = await get(p, M);
      const gbody = await g.arrayBuffer();
      const h = await head(p, M);
      expect(h.status).toBe(g.status);
      expect(g.status).toBe(200);
      expect(stable(h)).toEqual(stable(g));
      // /metrics counts the GET itself, so its length moves between the two.
      if (path === "/metrics") expect(Number(h.headers.get("content-length"))).toBeGreaterThan(100);
      else expect(h.headers.get("content-length")).toBe(String(gbody.byteLength));
      expect((await h.arrayBuffer()).byteLength).toBe(0);
    });
  }

  it("errors keep their status on HEAD, without a body", async () => {
    const h = await head("/state/a%2Fb");
    expect(h.status).toBe(400);
    expect((await h.arrayBuffer()).byteLength).toBe(0);
    expect((await head("/nope")).status).toBe(404);
  });

  it("405 lists HEAD wherever GET is allowed", async () => {
    const res = await SELF.fetch(`${BASE}/health`, { method: "DELETE" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD");
  });
});

describe("If-None-Match", () => {
  it("GET: a match is 304 with the ETag and no body (weak comparison)", async () => {
    const id = freshId("inm");
    await patch(id, { a: 1 });
    for (const tag of ['"1"', 'W/"1"', '"7", "1"', '"7", ,"1",', "*"]) {
      const res = await get(`/state/${id}`, { "if-none-match": tag });
      expect(res.status, tag).toBe(304);
      expect(res.headers.get("etag")).toBe('"1"');
      expect((await res.arrayBuffer()).byteLength).toBe(0);
    }
    const other = await get(`/state/${id}`, { "if-none-match": '"0", W/"2"' });
    expect(other.status).toBe(200);
    expect((await other.json()).version).toBe(1);
  });

  it("GET: * does not match an id never written", async () => {
    const res = await get(`/state/${freshId("inm")}`, { "if-none-match": "*" });
    expect(res.status).toBe(200);
  });

  it("PATCH: * means create only", async () => {
    const id = freshId("inm");
    const first = await patch(id, { a: 1 }, { "if-none-match": "*" });
    expect(first.status).toBe(200);
    const again = await patch(id, { a: 2 }, { "if-none-match": "*" });
    expect(again.status).toBe(412);
    expect((await again.json()).error.code).toBe("precondition_failed");
    expect((await (await get(`/state/${id}`)).json()).state).toEqual({ a: 1 });
  });

  it("PATCH: a matching tag is 412, another is applied", async () => {
    const id = freshId("inm");
    await patch(id, { a: 1 });
    expect((await patch(id, { a: 2 }, { "if-none-match": 'W/"1"' })).status).toBe(412);
    expect((await patch(id, { a: 2 }, { "if-none-match": '"9"' })).status).toBe(200);
  });

  it("a malformed list is 400", async () => {
    const id = freshId("inm");
    const res = await get(`/state/${id}`, { "if-none-match": "1" });
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe("invalid_if_none_match");
  });
});

describe("If-Match", () => {
  it("empty list elements are skipped (RFC 9110 section 5.6.1)", async () => {
    const id = freshId("im");
    await patch(id, { a: 1 });
    for (const [tag, version] of [['"1", ,"2"', 2], ['"2",', 3], [', "3"', 4], ['"9",,,"4"', 5]]) {
      const res = await patch(id, { a: version }, { "if-match": tag });
      expect(res.status, tag).toBe(200);
      expect((await res.json()).version).toBe(version);
    }
  });

  // An empty field value does not survive fetch's Headers; test_cond.c has it.
  it("a list with no entity-tag at all is 400", async () => {
    const id = freshId("im");
    for (const tag of [",", " , ,"]) {
      const res = await patch(id, { a: 1 }, { "if-match": tag });
      expect(res.status, JSON.stringify(tag)).toBe(400);
      expect((await res.json()).error.code).toBe("invalid_if_match");
    }
  });

  it("* needs a current representation: 412 on an id never written", async () => {
    const id = freshId("im");
    expect((await patch(id, { a: 1 }, { "if-match": "*" })).status).toBe(412);
    expect((await patch(id, { a: 1 })).status).toBe(200);
    expect((await patch(id, { a: 2 }, { "if-match": "*" })).status).toBe(200);
  });
});

describe("Content-Type", () => {
  it("a charset other than UTF-8 is 415; UTF-8 in any spelling is accepted", async () => {
    const id = freshId("ct");
    for (const ct of ["application/json; charset=latin1", "application/json;charset=utf-16", "application/json; charset", "application/json; charset=\"iso-8859-1\"",
      // Named twice, in either order: which one the sender meant is unknown.
      "application/json; charset=latin1; charset=utf-8", "application/json; charset=utf-8; charset=utf-8"]) {
      const res = await patch(id, { a: 1 }, { "content-type": ct });
      expect(res.status, ct).toBe(415);
      expect((await res.json()).error.code).toBe("unsupported_media_type");
    }
    for (const ct of ["application/json; charset=UTF-8", 'application/merge-patch+json; charset="utf-8"', "application/json ; foo=bar ; charset=utf-8", "application/json;", "application/json;; charset=utf-8 ;"]) {
      expect((await patch(id, { a: 1 }, { "content-type": ct })).status, ct).toBe(200);
    }
  });

  it("a body with a Content-Encoding other than identity is 415, never parsed or applied", async () => {
    const id = freshId("ce");
    for (const ce of ["gzip", "br", "deflate, gzip", "x-custom"]) {
      const res = await patch(id, { a: 1 }, { "content-encoding": ce });
      expect(res.status, ce).toBe(415);
      expect((await res.json()).error).toMatchObject({ code: "unsupported_media_type", message: expect.stringContaining("Content-Encoding") });
    }
    expect((await (await get(`/state/${id}`)).json()).version).toBe(0);
    expect((await patch(id, { a: 1 }, { "content-encoding": "Identity" })).status).toBe(200);
  });
});

describe("methods and targets", () => {
  // workerd itself answers 501 to a method it does not know (FOO): the
  // worker never sees it (tests/e2e covers that over a raw socket).
  it("a method no route has is a JSON 405 or 404, never a 5xx", async () => {
    for (const [method, path, status] of [["PROPFIND", "/state/x", 405], ["TRACE", "/health", 405], ["MKCOL", "/nope", 404], ["PUT", "/state/x", 405]]) {
      const res = await SELF.fetch(`${BASE}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(status);
      expect((await res.json()).error.code).toBe(status === 405 ? "method_not_allowed" : "not_found");
    }
  });
});

// The forms docs/configuration.md documents for CORS, as this suite's
// config gives CORS_ORIGINS: an array (a TOML array reaches the worker as
// one) of other origins than the environment row's defaults.
describe("CORS, as documented", () => {
  const ORIGIN = "http://localhost:8787";
  it("a preflight from a listed origin allows the route's methods and the documented headers; an answer to it exposes the documented ones; another origin gets none", async () => {
    const pre = await SELF.fetch(`${BASE}/state/x`, { method: "OPTIONS", headers: { origin: ORIGIN, "access-control-request-method": "PATCH", "access-control-request-headers": "if-match, idempotency-key" } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(pre.headers.get("access-control-allow-methods")).toBe("GET, HEAD, PATCH, DELETE");
    expect(pre.headers.get("access-control-allow-headers")).toBe("authorization, content-type, if-match, if-none-match, idempotency-key, prefer, x-request-id");
    expect(pre.headers.get("access-control-max-age")).toBe("600");
    const id = freshId("cors");
    const res = await patch(id, { a: 1 }, { origin: "https://app.example" });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(res.headers.get("access-control-expose-headers")).toBe("etag, x-request-id, server-timing, idempotent-replayed, preference-applied, retry-after");
    expect(res.headers.get("vary")).toBe("origin");
    // The row's default http://127.0.0.1:8787 is not listed: the array replaced the defaults.
    for (const origin of ["http://127.0.0.1:8787", "https://evil.example", "http://localhost:8788", "http://LOCALHOST:8787", "https://app.example:443"]) {
      const other = await get(`/state/${id}`, { origin });
      expect(other.headers.get("access-control-allow-origin"), origin).toBeNull();
      const p = await SELF.fetch(`${BASE}/state/x`, { method: "OPTIONS", headers: { origin, "access-control-request-method": "PATCH" } });
      expect(p.headers.get("access-control-allow-origin"), origin).toBeNull();
    }
  });
});

describe("header sizes", () => {
  it("a header value over 16 KiB is 431 header_too_large; 16 KiB is taken", async () => {
    const id = freshId("big-header");
    const at = await patch(id, { a: 1 }, { "idempotency-key": "k1", "x-filler": "x".repeat(16384) });
    expect(at.status).toBe(200);
    const over = await patch(id, { a: 2 }, { "x-filler": "x".repeat(16385) });
    expect(over.status).toBe(431);
    expect((await over.json()).error.code).toBe("header_too_large");
    expect((await (await get(`/state/${id}`)).json()).version).toBe(1);
  });
});
