// Example consumer worker. It exposes the C worker's RPC API over HTTP:
//   POST /sync/{id}   body: a JSON merge patch; optional header If-Match: <version>
//   GET  /state/{id}
// and answers with the RPC value as JSON, with the C worker's status.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const m = url.pathname.match(/^\/(sync|state)\/(.+)$/);
    if (!m) return Response.json({ error: { code: "not_found", message: "use POST /sync/{id} or GET /state/{id}" } }, { status: 404 });
    const id = decodeURIComponent(m[2]);
    let result;
    if (m[1] === "sync" && request.method === "POST") {
      let patch;
      try {
        patch = await request.json();
      } catch {
        return Response.json({ error: { code: "invalid_json", message: "body is not valid JSON" } }, { status: 400 });
      }
      const ifMatch = request.headers.get("if-match");
      result = await env.STATE_SYNC.syncState(id, patch, ifMatch === null ? {} : { ifMatch: Number(ifMatch) });
    } else if (m[1] === "state" && request.method === "GET") {
      result = await env.STATE_SYNC.getState(id);
    } else {
      return Response.json({ error: { code: "method_not_allowed", message: "wrong method" } }, { status: 405 });
    }
    return Response.json(result, { status: result.status });
  },
};
