// Concurrency on one id: the Durable Object serializes writers, so every
// accepted write is counted exactly once and If-Match races have one winner.
import { describe, expect, it } from "vitest";
import { exports } from "cloudflare:workers";
import { freshId, get, patch } from "./helpers.js";

const api = exports.default;
const WRITERS = 64;
const EACH = 4;

async function writers(write) {
  const acked = [];
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, w) => {
      for (let j = 0; j < EACH; j++) {
        const r = await write(`w${w}_${j}`);
        if (r.ok) acked.push(r.version);
      }
    }),
  );
  return acked;
}

function checkFinal(final, acked) {
  expect(acked.length).toBe(WRITERS * EACH);
  expect(new Set(acked).size).toBe(acked.length); // every write got its own version
  expect(final.version).toBe(acked.length);
  for (let w = 0; w < WRITERS; w++) for (let j = 0; j < EACH; j++) expect(final.state[`w${w}_${j}`]).toBe(j);
}

describe("concurrency", () => {
  it("64 writers x 4 PATCHes over HTTP: version = accepted writes, every key present", async () => {
    const id = freshId("conc-http");
    const acked = await writers(async (key) => {
      const res = await patch(id, { [key]: Number(key.split("_")[1]) });
      return { ok: res.status === 200, version: (await res.json()).version };
    });
    checkFinal(await (await get(`/state/${id}`)).json(), acked);
  });

  it("64 writers x 4 syncState calls over RPC: the same", async () => {
    const id = freshId("conc-rpc");
    const acked = await writers(async (key) => api.syncState(id, { [key]: Number(key.split("_")[1]) }));
    const final = await api.getState(id);
    checkFinal(final, acked);
  });

  it("16 racers with the same If-Match: exactly one 200 and fifteen 412", async () => {
    const id = freshId("race");
    await patch(id, { start: true });
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) => patch(id, { winner: i }, { "if-match": '"1"' })),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 412)).toHaveLength(15);
    const final = await (await get(`/state/${id}`)).json();
    expect(final.version).toBe(2);
    expect(typeof final.state.winner).toBe("number");
  });

  it("16 RPC racers with the same ifMatch: one winner", async () => {
    const id = freshId("race-rpc");
    await api.syncState(id, { start: true });
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => api.syncState(id, { winner: i }, { ifMatch: 1 })));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => r.status === 412)).toHaveLength(15);
  });
});
