// Traps and allocation failures, with the test build's trap route: a 500 with
// a JSON body and the request id, a fresh instance for the next request, and
// nothing half-written.
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { freshId, get, patch } from "./helpers.js";

const M = { authorization: "Bearer test-metrics-token" };
const trap = (kind) => SELF.fetch(`http://cw.test/__test/trap/${kind}`, { method: "POST" });

async function instances() {
  const text = await (await get("/metrics", M)).text();
  return Number(text.match(/^cw_cold_starts_total (\d+)$/m)[1]);
}

describe("traps", () => {
  for (const kind of ["unreachable", "oob", "stack"]) {
    it(`${kind}: 500 JSON with request id, then a fresh instance`, async () => {
      await get("/health");
      const before = await instances();
      const res = await trap(kind);
      expect(res.status).toBe(500);
      const body = await res.json();
      expect(body.error.code).toBe("internal");
      expect(body.error.request_id).toMatch(/^[0-9a-f]{32}$/);
      expect(res.headers.get("x-request-id")).toBe(body.error.request_id);
      // A new instance gave that answer (C's, with its request id): its
      // first response, so cold; the next is warm on it, and healthy.
      expect(res.headers.get("server-timing")).toMatch(/^cold, /);
      const next = await get("/health");
      expect(next.status).toBe(200);
      expect(next.headers.get("server-timing")).toBe("warm");
      expect(await instances()).toBe(before + 1);
    });
  }

  it("oom: an allocation failure is a 500 JSON, handled inside C", async () => {
    const res = await trap("oom");
    expect(res.status).toBe(500);
    const body = await res.json();
    expect(body.error.code).toBe("internal");
    expect(body.error.message).toBe("out of memory");
    expect((await get("/health")).status).toBe(200);
  });

  it("a trap in the Durable Object loses nothing and the object keeps serving", async () => {
    const id = freshId("trap");
    expect((await patch(id, { a: 1 })).status).toBe(200);
    const res = await trap(`owner:${id}`);
    expect(res.status).toBe(500);
    const body = await res.json();
    expect(body.error.code).toBe("internal");
    expect(body.error.request_id).toBe(res.headers.get("x-request-id"));
    expect(await (await get(`/state/${id}`)).json()).toEqual({ id, version: 1, state: { a: 1 } });
    const again = await patch(id, { b: 2 });
    expect((await again.json()).version).toBe(2);
  });

  // Request A waits for its Durable Object (held 200 ms by the test build's
  // x-cw-test-delay) while request B traps the instance both share. A's
  // owner commits on the new instance; A must answer with that result, its
  // ETag and its own request id, and the write must be there once.
  for (const kind of ["unreachable", "owner:{other}"]) {
    it(`a committed write keeps its answer though another request trapped the instance (${kind.split(":")[0]})`, async () => {
      const id = freshId("commit");
      const rid = `keep-this-request-id-${id}`.slice(0, 64);
      const slow = patch(id, { a: 1 }, { "x-cw-test-delay": "200", "x-request-id": rid });
      await new Promise((r) => setTimeout(r, 50));
      const before = await instances();
      const b = await trap(kind.replace("{other}", freshId("other")));
      expect(b.status).toBe(500);
      const res = await slow;
      expect(res.status).toBe(200);
      expect(res.headers.get("etag")).toBe('"1"');
      expect(res.headers.get("x-request-id")).toBe(rid);
      expect(await res.json()).toEqual({ id, version: 1, state: { a: 1 } });
      expect(await instances()).toBe(before + 1);
      const again = await patch(id, { b: 2 });
      expect((await again.json()).version).toBe(2);
    });
  }
});

describe("deadline", () => {
  it("an owner slower than the deadline is 504 state_timeout with Retry-After; the write may still commit", async () => {
    const id = freshId("slow");
    const rid = `deadline-request-id-${id}`.slice(0, 64);
    const res = await patch(id, { a: 1 }, { "x-cw-test-delay": "700", "x-request-id": rid });
    expect(res.status).toBe(504);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(res.headers.get("x-request-id")).toBe(rid);
    const body = await res.json();
    expect(body.error.code).toBe("state_timeout");
    expect(body.error.request_id).toBe(rid);
    // The owner went on and committed after the edge stopped waiting.
    await new Promise((r) => setTimeout(r, 600));
    expect((await (await get(`/state/${id}`)).json()).version).toBe(1);
  });

  it("a request queued behind one that waits is 504 state_timeout at its own deadline; both writes commit", async () => {
    const id = freshId("slow");
    const first = patch(id, { a: 1 }, { "x-cw-test-delay": "700" });
    await new Promise((r) => setTimeout(r, 100)); // the first waits in the object
    const rid = `queued-request-id-${id}`.slice(0, 64);
    const t0 = Date.now();
    const second = await patch(id, { b: 2 }, { "x-request-id": rid });
    const waited = Date.now() - t0;
    expect(second.status).toBe(504);
    expect(second.headers.get("retry-after")).toBe("1");
    const body = await second.json();
    expect(body.error.code).toBe("state_timeout");
    expect(body.error.request_id).toBe(rid);
    // Answered at its deadline (400 ms here), not when the first was done.
    expect(waited).toBeGreaterThanOrEqual(350);
    expect(waited).toBeLessThan(650);
    expect((await first).status).toBe(504);
    // Both went on in the object after their answers, in order.
    await new Promise((r) => setTimeout(r, 800));
    const doc = await (await get(`/state/${id}`)).json();
    expect(doc.version).toBe(2);
    expect(doc.state).toEqual({ a: 1, b: 2 });
  });

  it("an owner inside the deadline answers normally", async () => {
    const id = freshId("slow");
    const res = await patch(id, { a: 1 }, { "x-cw-test-delay": "100" });
    expect(res.status).toBe(200);
  });
});
