// Document tokens end to end: a second wrangler dev with STATE_KEYS in its
// env file (its own dev registry, beside run.mjs's open one). Every state
// path with and without a token, a token from `make token`, the WebSocket
// subprotocol, a read-only socket, and the journal's actor.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { freePort } from "../../scripts/free-port.mjs";
import { devServers, expect } from "../lib/dev.mjs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function authSteps({ step, root, work }) {
  const vars = path.join(work, "auth.vars");
  // Two STATE_KEYS lines (the README's echo run twice): wrangler takes the
  // last, and so must make token.
  writeFileSync(vars, 'STATE_KEYS={"old":"ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA"}\nSTATE_KEYS={"e2e":"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"}\n');
  const mint = (id, scope, sub = "e2e-user") => {
    const r = spawnSync("make", ["--no-print-directory", "-s", "token", `ID=${id}`, `SCOPE=${scope}`, `SUB=${sub}`], {
      cwd: root,
      env: { ...process.env, DEV_VARS: vars },
      encoding: "utf8",
    });
    expect(r.status === 0, `make token: ${r.stderr}`);
    return r.stdout.trim();
  };
  const { start, stop } = devServers(path.join(work, "auth"));
  const server = await start("secured", ["-c", "wrangler.toml", "-c", "plugins/wrangler.toml", "--env-file", vars], await freePort(), root);
  const base = server.base;
  const id = `auth-${Date.now().toString(36)}`;
  const req = (method, p, token, body) =>
    fetch(`${base}${p}`, { method, body, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), "content-type": "application/json" } });
  try {
    await step("auth_every_state_path_needs_a_token_from_make_token", async () => {
      const w = mint(id, "write");
      const r = mint(id, "read");
      const paths = [
        ["PATCH", `/state/${id}`, '{"a":1}'],
        ["GET", `/state/${id}`],
        ["HEAD", `/state/${id}`],
        ["GET", `/state/${id}/changes?since=0`],
        ["GET", `/plugins/select/state/${id}?select=a`],
      ];
      for (const [m, p, b] of paths) {
        const none = await req(m, p, null, b);
        expect(none.status === 401 && none.headers.get("www-authenticate") === 'Bearer error="invalid_token"', `${m} ${p} without a token: ${none.status}`);
        expect((await req(m, p, w, b)).status === 200, `${m} ${p} with a write token`);
      }
      expect((await req("PATCH", `/state/${id}`, r, '{"a":2}')).status === 403, "a read token writes");
      expect((await req("GET", `/state/${id}`, r)).status === 200, "a read token reads");
      expect((await req("GET", `/state/${id}`, mint("other", "write"))).status === 403, "another document's token");
      expect((await req("GET", `/state/${id}?access_token=${r}`)).status === 400, "a query token");
      expect((await req("GET", "/health")).status === 200, "health needs no token");
      const changes = await (await req("GET", `/state/${id}/changes?since=0`, r)).json();
      expect(changes.changes[0].actor === "e2e-user", `actor: ${JSON.stringify(changes.changes[0])}`);
    });

    await step("auth_sockets_take_a_bearer_subprotocol_and_read_only_cannot_write", async () => {
      const open = (token, protocols = token ? ["sync.v1", `bearer.${token}`] : []) =>
        new Promise((resolve) => {
          const ws = new WebSocket(`${base.replace("http", "ws")}/state/${id}/live`, protocols);
          const frames = [];
          ws.onmessage = (e) => frames.push(JSON.parse(e.data));
          ws.onopen = () => resolve({ ws, frames });
          ws.onerror = () => resolve(null);
        });
      expect((await open(null)) === null, "a socket without a token opened");
      const s = await open(mint(id, "read", "reader"));
      expect(s && s.ws.protocol === "sync.v1", `protocol: ${s?.ws.protocol}`);
      // Node's WebSocket offering only its token: the 101 echoes that entry,
      // else the client itself fails the handshake.
      const w = mint(id, "write", "alone");
      const alone = await open(w, [`bearer.${w}`]);
      expect(alone && alone.ws.protocol === `bearer.${w}`, `token alone: ${alone?.ws.protocol}`);
      alone.ws.close();
      s.ws.send('{"type":"hello"}');
      s.ws.send('{"type":"patch","mid":"r1","patch":{"x":1}}');
      for (let i = 0; i < 100 && s.frames.length < 3; i++) await sleep(30);
      expect(s.frames[2]?.type === "reject" && s.frames[2].error.code === "forbidden", `frames: ${JSON.stringify(s.frames)}`);
      s.ws.close();
    });
  } finally {
    await stop(server);
  }
}
