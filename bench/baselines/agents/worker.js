// Benchmark fixture (never part of the product): the same service built the
// way Cloudflare's Agents SDK (agents 0.32.0) is meant to be used. One Agent
// per document, whose state is the document: GET and PATCH /state/{id}
// (an RFC 7386 merge in JS, then setState), and clients subscribe over the
// SDK's own WebSocket protocol at /agents/state-agent/{id}, receiving the
// whole state on every change (cf_agent_state); a client writes with the
// SDK's RPC frame to the callable patch(). It logs one line per request,
// as the other variants do in the bench.
//
// For the bench's owner-side timing only: x-bench-repeat: N runs the
// handler's work N times in one request (workerd's clock does not advance
// during a handler, so the bench times requests from outside).
import { Agent, callable, getAgentByName, routeAgentRequest } from "agents";

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

// RFC 7386, prototype-safe (a "__proto__" member is data, not a prototype).
function merge(target, patch) {
  if (!isObject(patch)) return patch;
  const out = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else Object.defineProperty(out, k, { value: merge(out[k], v), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

const json = (status, body) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

export class StateAgent extends Agent {
  initialState = {};

  async onRequest(request) {
    const repeat = Math.max(1, Number(request.headers.get("x-bench-repeat")) || 1);
    if (request.method === "GET") {
      let body;
      for (let i = 0; i < repeat; i++) body = JSON.stringify({ id: this.name, state: this.state });
      return new Response(body, { headers: { "content-type": "application/json" } });
    }
    if (request.method !== "PATCH") return json(405, { error: { code: "method_not_allowed" } });
    const text = await request.text();
    let next;
    for (let i = 0; i < repeat; i++) {
      let patch;
      try {
        patch = JSON.parse(text);
      } catch (e) {
        return json(400, { error: { code: "invalid_json", message: e.message } });
      }
      if (!isObject(patch)) return json(422, { error: { code: "invalid_patch" } });
      next = merge(this.state, patch);
      this.setState(next);
    }
    if (/(^|[;,\s])return=minimal\b/i.test(request.headers.get("prefer") ?? "")) return json(200, { id: this.name });
    return json(200, { id: this.name, state: next });
  }

  // A live client's write: { type: "rpc", id, method: "patch", args: [patch] }.
  patch(p) {
    if (!isObject(p)) throw new Error("patch must be a JSON object");
    this.setState(merge(this.state, p));
  }
}
// What the SDK's @callable() decorator does, without decorator syntax.
callable()(StateAgent.prototype.patch);

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    let res;
    const m = /^\/state\/([^/]+)$/.exec(url.pathname);
    if (m) res = await (await getAgentByName(env.StateAgent, decodeURIComponent(m[1]))).fetch(request);
    else if (url.pathname === "/health") res = json(200, { status: "ok" });
    else res = (await routeAgentRequest(request, env)) ?? json(404, { error: { code: "not_found" } });
    console.log(JSON.stringify({ level: "info", msg: "request", method: request.method, path: url.pathname, status: res.status }));
    return res;
  },
};
