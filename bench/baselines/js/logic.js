// Plain-JavaScript baseline: the same routes and semantics as the C module
// (RFC 7386 merge, versions, strong If-Match, JSON errors), written the way
// a JS developer would. A benchmark fixture: it never ships in the product.
const ID = /^[A-Za-z0-9._~-]{1,128}$/;
const MEDIA = new Set(["application/merge-patch+json", "application/json"]);
const LIMIT = 1 << 20;

export function rid() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

export function error(status, code, message, requestId) {
  return { status, body: JSON.stringify({ error: { code, message, request_id: requestId } }) };
}

export function mergePatch(target, patch) {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  if (target === null || typeof target !== "object" || Array.isArray(target)) target = {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete target[k];
    else target[k] = mergePatch(target[k], v);
  }
  return target;
}

function parseIfMatch(h) {
  if (h === null || h === undefined) return { any: true };
  const v = h.trim();
  if (v === "*") return { any: true };
  const tags = [];
  for (const part of v.split(",")) {
    const m = part.trim().match(/^(W\/)?"([^"]*)"$/);
    if (!m) return null;
    if (!m[1]) tags.push(m[2]);
  }
  return { tags };
}

// Edge: route and validate. Returns a final answer, or { forward: id }.
export function edge(method, pathname, headers, bodyText, requestId) {
  if (pathname === "/health") {
    if (method !== "GET") return error(405, "method_not_allowed", "method not allowed on this route", requestId);
    return { status: 200, body: JSON.stringify({ status: "ok", version: "baseline-js" }) };
  }
  if (!pathname.startsWith("/state/")) return error(404, "not_found", "no such route", requestId);
  if (method !== "GET" && method !== "PATCH") return error(405, "method_not_allowed", "method not allowed on this route", requestId);
  let id;
  try {
    id = decodeURIComponent(pathname.slice(7));
  } catch {
    return error(400, "invalid_id", "id has a malformed percent-escape", requestId);
  }
  if (!ID.test(id) || id === "." || id === "..") return error(400, "invalid_id", "id must be 1-128 characters of [A-Za-z0-9._~-]", requestId);
  if (method === "PATCH") {
    const ct = (headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
    if (!MEDIA.has(ct)) return error(415, "unsupported_media_type", "use Content-Type application/merge-patch+json or application/json", requestId);
    if (bodyText.length > LIMIT) return error(413, "payload_too_large", "body is over the size limit", requestId);
    if (!parseIfMatch(headers.get("if-match"))) return error(400, "invalid_if_match", "If-Match must be * or a list of quoted versions", requestId);
    let patch;
    try {
      patch = JSON.parse(bodyText);
    } catch (e) {
      return error(400, "invalid_json", `body is not valid JSON: ${e.message}`, requestId);
    }
    if (patch === null || typeof patch !== "object" || Array.isArray(patch))
      return error(422, "invalid_patch", "patch must be a JSON object; the state must remain an object", requestId);
  }
  return { forward: id };
}

// Owner: apply against the stored text ("" when never written).
export function owner(method, id, headers, bodyText, stored, requestId) {
  const cur = stored ? JSON.parse(stored) : { v: 0, s: {} };
  if (method === "PATCH") {
    const im = parseIfMatch(headers.get("if-match"));
    if (!im.any && !im.tags.includes(String(cur.v))) return error(412, "precondition_failed", "If-Match does not match the current version", requestId);
    cur.s = mergePatch(cur.s, JSON.parse(bodyText));
    cur.v += 1;
    const commit = JSON.stringify(cur);
    return { status: 200, etag: `"${cur.v}"`, body: JSON.stringify({ id, version: cur.v, state: cur.s }), commit };
  }
  return { status: 200, etag: `"${cur.v}"`, body: JSON.stringify({ id, version: cur.v, state: cur.s }) };
}
