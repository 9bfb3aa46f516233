// Example consumer worker. It exposes the C worker's RPC API over HTTP:
//   POST /sync/{id}   body: a JSON merge patch; optional If-Match header
//   GET  /state/{id}
// and answers with the RPC value as JSON, with the C worker's status.
//
// The body goes to syncState as raw bytes, parsed by the C worker exactly
// like an HTTP body: parsing it here first (request.json()) would round
// integers above 2^53 before they are stored. If-Match goes through as the
// header value it is ('"2"', '"1", "2"', "*").
const json = (status, code, message) => Response.json({ ok: false, status, error: { code, message } }, { status });

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const m = url.pathname.match(/^\/(sync|state)\/(.+)$/);
    if (!m) return json(404, "not_found", "use POST /sync/{id} or GET /state/{id}");
    let id;
    try {
      id = decodeURIComponent(m[2]);
    } catch {
      return json(400, "invalid_id", "the id has a malformed percent-escape");
    }
    let result;
    if (m[1] === "sync" && request.method === "POST") {
      const body = new Uint8Array(await request.arrayBuffer());
      const ifMatch = request.headers.get("if-match");
      result = await env.STATE_SYNC.syncState(id, body, ifMatch === null ? {} : { ifMatch });
    } else if (m[1] === "state" && request.method === "GET") {
      result = await env.STATE_SYNC.getState(id);
    } else {
      return json(405, "method_not_allowed", "use POST /sync/{id} or GET /state/{id}");
    }
    return Response.json(result, { status: result.status });
  },
};
