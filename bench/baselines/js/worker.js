// The plain-JS baseline worker (a benchmark fixture): fetch validates at the
// edge (logic.js) and forwards to the document's SQLite-backed Durable
// Object, which keeps the document in memory, stores members and a
// journal, and pushes each change to its hibernatable WebSockets
// (protocol 1's hello, snapshot, patch, ack, change; ping answered by the
// runtime). One log line per request, as the C worker writes.
import { DurableObject } from "cloudflare:workers";
import { createOwner, edge, parseStrict, rid, SCHEMA } from "./logic.js";

export class StateObject extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    for (const s of SCHEMA) sql.exec(s);
    this.owner = createOwner(
      (q, ...p) => sql.exec(q, ...p).raw().toArray(),
      (fn) => ctx.storage.transactionSync(fn),
    );
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
  }

  // Sends a committed change to every joined socket but the writer's.
  #broadcast(text, sender) {
    for (const ws of this.ctx.getWebSockets())
      if (ws !== sender && ws.deserializeAttachment()?.j)
        try {
          ws.send(text);
        } catch {}
  }

  handle(method, id, headers, bodyText, requestId) {
    const h = new Map(headers);
    if (method === "GET") return this.owner.get(id);
    const r = this.owner.patch(id, h, bodyText, requestId);
    if (r.change) this.#broadcast(r.change, null);
    return { status: r.status, etag: r.etag, body: r.body, minimal: r.minimal };
  }

  async fetch(request) {
    const [client, server] = Object.values(new WebSocketPair());
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment({ id: request.headers.get("x-id"), j: false });
    return new Response(null, { status: 101, webSocket: client });
  }

  webSocketMessage(ws, message) {
    const att = ws.deserializeAttachment();
    let f;
    try {
      f = parseStrict(String(message));
    } catch (e) {
      return ws.send(JSON.stringify({ type: "error", error: { code: "bad_frame", message: e.message } }));
    }
    if (f?.type === "hello") {
      ws.send(this.owner.snapshot(att.id));
      ws.send('{"type":"peers","peers":[]}');
      ws.serializeAttachment({ ...att, j: true });
    } else if (f?.type === "patch" && typeof f.mid === "string" && f.patch && typeof f.patch === "object") {
      const r = this.owner.patch(att.id, new Map(), JSON.stringify(f.patch), f.mid);
      if (r.change) {
        ws.send(JSON.stringify({ type: "ack", mid: f.mid, version: r.version }));
        this.#broadcast(r.change, ws);
      } else {
        ws.send(JSON.stringify({ type: "reject", mid: f.mid, error: JSON.parse(r.body).error }));
      }
    } else {
      ws.send('{"type":"error","error":{"code":"bad_frame","message":"unknown frame"}}');
    }
  }
}

export default {
  async fetch(request, env) {
    const requestId = rid();
    const url = new URL(request.url);
    const bodyText = request.method === "PATCH" ? await request.text() : "";
    let r = edge(request.method, url.pathname, request.headers, bodyText, requestId);
    let res;
    if (r.live) {
      const headers = new Headers(request.headers);
      headers.set("x-id", r.live);
      res = await env.STATE.get(env.STATE.idFromName(r.live)).fetch(request.url, { headers });
    } else {
      if (r.forward) {
        const headers = [...request.headers].filter(([k]) => k === "if-match" || k === "prefer");
        r = await env.STATE.get(env.STATE.idFromName(r.forward)).handle(request.method, r.forward, headers, bodyText, requestId);
      }
      const h = { "content-type": "application/json", "x-request-id": requestId };
      if (r.etag) h.etag = r.etag;
      if (r.minimal) h["preference-applied"] = "return=minimal";
      res = new Response(r.body, { status: r.status, headers: h });
    }
    console.log(JSON.stringify({ level: "info", msg: "request", request_id: requestId, method: request.method, route: url.pathname, status: res.status }));
    return res;
  },
};


