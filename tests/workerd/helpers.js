import { SELF } from "cloudflare:test";

export const BASE = "http://cw.test";

export function patch(id, body, headers = {}) {
  return SELF.fetch(`${BASE}/state/${id}`, {
    method: "PATCH",
    headers: { "content-type": "application/merge-patch+json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

export function get(path, headers = {}) {
  return SELF.fetch(`${BASE}${path}`, { headers });
}

// A fresh id per test, so tests never see each other's state.
let n = 0;
export function freshId(prefix = "t") {
  n += 1;
  return `${prefix}-${Date.now().toString(36)}-${n}`;
}
