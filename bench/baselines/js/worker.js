// The plain-JS baseline worker: fetch routes through logic.js, state lives in
// a SQLite-backed Durable Object, exactly as in the C worker.
import { DurableObject } from "cloudflare:workers";
import { edge, owner, rid } from "./logic.js";

export class StateObject extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec("CREATE TABLE IF NOT EXISTS state (k INTEGER PRIMARY KEY CHECK (k = 0), blob TEXT NOT NULL)");
  }

  handle(method, id, headers, bodyText, requestId) {
    const row = this.sql.exec("SELECT blob FROM state WHERE k = 0").toArray()[0];
    const r = owner(method, id, new Map(headers), bodyText, row ? row.blob : "", requestId);
    if (r.commit)
      this.sql.exec("INSERT INTO state (k, blob) VALUES (0, ?) ON CONFLICT (k) DO UPDATE SET blob = excluded.blob", r.commit);
    return { status: r.status, etag: r.etag, body: r.body };
  }
}

export default {
  async fetch(request, env) {
    const requestId = rid();
    const url = new URL(request.url);
    const bodyText = request.method === "PATCH" ? await request.text() : "";
    let r = edge(request.method, url.pathname, request.headers, bodyText, requestId);
    if (r.forward) {
      const headers = [...request.headers].filter(([k]) => k === "if-match");
      r = await env.STATE.get(env.STATE.idFromName(r.forward)).handle(request.method, r.forward, headers, bodyText, requestId);
    }
    const h = { "content-type": "application/json", "x-request-id": requestId };
    if (r.etag) h.etag = r.etag;
    return new Response(r.body, { status: r.status, headers: h });
  },
};
