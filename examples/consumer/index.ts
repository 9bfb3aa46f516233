// Example consumer worker. It exposes the C worker's RPC API over HTTP:
//   POST   /sync/{id}              body: a JSON merge patch. Headers: If-Match,
//                                  Idempotency-Key; query: base, since
//   GET    /state/{id}             [?path=/a/b: the value at that JSON Pointer]
//   DELETE /state/{id}             header: If-Match
//   GET    /changes/{id}?since=N   [&limit=K]
// and answers with the C worker's own answer: its status and the JSON text
// it wrote, byte for byte what HTTP on the C worker answers ({ as: "text" }:
// a number past 2^53, -0.0 or 1E400 comes back as written), with its ETag
// and Idempotent-Replayed. A state is read as a stream ({ as: "stream" }),
// so a document of any size (up to the C worker's 64 MiB) passes through
// without being held here.
//
// The body goes to syncState as raw bytes, parsed by the C worker exactly
// like an HTTP body: parsing it here first (request.json()) would round
// integers above 2^53 before they are stored. If-Match goes through as the
// header value it is ('"2"', '"1", "2"', "*").
//
// TypeScript: the binding is typed by client/rpc.d.ts (checked with
// tsc --noEmit by make test).
import type { StateSync, StreamResult, TextResult } from "../../client/rpc";

interface Env {
  STATE_SYNC: StateSync;
}

// The consumer's own errors, in the C worker's error shape.
const json = (status: number, code: string, message: string) => Response.json({ error: { code, message } }, { status });
const opt = (v: string | null) => (v === null ? undefined : v);

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const m = url.pathname.match(/^\/(sync|state|changes)\/(.+)$/);
    if (!m) return json(404, "not_found", "use /sync/{id}, /state/{id} or /changes/{id}");
    let id: string;
    try {
      id = decodeURIComponent(m[2]);
    } catch {
      return json(400, "invalid_id", "the id has a malformed percent-escape");
    }
    const q = url.searchParams;
    let result: TextResult;
    if (m[1] === "sync" && request.method === "POST") {
      const body = new Uint8Array(await request.arrayBuffer());
      result = await env.STATE_SYNC.syncState(id, body, {
        ifMatch: opt(request.headers.get("if-match")),
        idempotencyKey: opt(request.headers.get("idempotency-key")),
        base: opt(q.get("base")),
        since: opt(q.get("since")),
        as: "text",
      });
    } else if (m[1] === "state" && request.method === "GET") {
      const r: StreamResult = await env.STATE_SYNC.getState(id, { path: opt(q.get("path")), as: "stream" });
      if (!r.ok) return Response.json({ error: r.error }, { status: r.status });
      return new Response(r.stream, { headers: { "content-type": "application/json", etag: `"${r.version}"` } });
    } else if (m[1] === "state" && request.method === "DELETE") {
      result = await env.STATE_SYNC.deleteState(id, { ifMatch: opt(request.headers.get("if-match")), as: "text" });
    } else if (m[1] === "changes" && request.method === "GET") {
      result = await env.STATE_SYNC.getChanges(id, opt(q.get("since")) ?? 0, { limit: opt(q.get("limit")), as: "text" });
    } else {
      return json(405, "method_not_allowed", "see the routes at the top of examples/consumer/index.ts");
    }
    const headers = new Headers({ "content-type": "application/json" });
    if (result.version !== undefined) headers.set("etag", `"${result.version}"`);
    if (result.replayed) headers.set("idempotent-replayed", "true");
    return new Response(result.text, { status: result.status, headers });
  },
};
