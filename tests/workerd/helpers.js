import { SELF } from "cloudflare:test";
import { expect } from "vitest";

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

// A client socket: frames parsed as they arrive; next() waits for the next
// one (or the one matching pred, skipping others), closed() for the close.
export async function open(id, headers = {}) {
  const res = await SELF.fetch(`${BASE}/state/${id}/live`, { headers: { upgrade: "websocket", ...headers } });
  expect(res.status).toBe(101);
  const ws = res.webSocket;
  ws.accept();
  const frames = [];
  const seen = [];
  let wake = null;
  let close = null;
  const sizes = []; // each frame's bytes
  ws.addEventListener("message", (e) => {
    sizes.push(new TextEncoder().encode(e.data).length);
    const f = e.data === "pong" ? "pong" : JSON.parse(e.data);
    frames.push(f);
    seen.push(f);
    wake?.();
  });
  ws.addEventListener("close", (e) => {
    close = { code: e.code, reason: e.reason };
    wake?.();
  });
  const sock = {
    ws,
    seen, // every frame so far, in order
    sizes,
    send: (f) => ws.send(typeof f === "string" ? f : JSON.stringify(f)),
    async next(pred = () => true, ms = 2000) {
      const until = Date.now() + ms;
      for (;;) {
        const i = frames.findIndex(pred);
        if (i >= 0) return frames.splice(0, i + 1).pop();
        if (close || Date.now() > until) throw new Error(`no frame (closed: ${JSON.stringify(close)}; had ${JSON.stringify(frames)})`);
        await new Promise((r) => ((wake = r), setTimeout(r, 50)));
      }
    },
    async closed(ms = 2000) {
      const until = Date.now() + ms;
      while (!close && Date.now() < until) await new Promise((r) => ((wake = r), setTimeout(r, 50)));
      return close;
    },
    pending: () => frames.slice(),
  };
  return sock;
}

