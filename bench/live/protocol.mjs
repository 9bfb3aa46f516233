// The live protocols the bench speaks, one adapter each, and a socket that
// counts what it receives. Frames are told apart by a prefix or suffix and
// the change number read with one regex, the same for every variant (a
// client of the Agents SDK must parse the whole state anyway).
//   sync:   ours and the plain-JS baseline (protocol 1): hello, then patch
//           frames; the others get {"type":"change",...}.
//   agents: the Agents SDK's: the state on connect, writes as its RPC frame
//           to the agent's callable patch(), everyone gets the whole state
//           as {"state":...,"type":"cf_agent_state"}.
export const PROTOCOLS = {
  sync: {
    path: (id) => `/state/${encodeURIComponent(id)}/live`,
    hello: '{"type":"hello"}',
    joined: (t) => t.startsWith('{"type":"peers"'),
    write: (n, patch) => `{"type":"patch","mid":"m${n}","patch":${JSON.stringify({ seq: n, ...patch })}}`,
    isChange: (t) => t.startsWith('{"type":"change"'),
  },
  agents: {
    path: (id) => `/agents/state-agent/${encodeURIComponent(id)}`,
    hello: null,
    joined: (t) => t.startsWith('{"type":"cf_agent_state"') || t.endsWith('"type":"cf_agent_state"}'),
    write: (n, patch) => `{"type":"rpc","id":"m${n}","method":"patch","args":[${JSON.stringify({ seq: n, ...patch })}]}`,
    isChange: (t) => t.startsWith('{"type":"cf_agent_state"') || t.endsWith('"type":"cf_agent_state"}'),
  },
};

const SEQ = /"seq":(\d+)/;

// Opens a socket and joins; onChange(seq, payloadBytes, at) for every
// change frame. Node's client, like browsers, negotiates permessage-deflate,
// so payload bytes are the protocol's, before compression (the fan-out
// counts the wire's through a proxy).
export async function openSocket(base, protocol, id, onChange = () => {}) {
  const p = PROTOCOLS[protocol];
  const ws = new WebSocket(`${base.replace(/^http/, "ws")}${p.path(id)}`);
  let joined;
  const ready = new Promise((resolve, reject) => {
    joined = resolve;
    ws.addEventListener("error", () => reject(new Error(`${protocol} socket failed`)));
    setTimeout(() => reject(new Error(`${protocol}: not joined in 20 s`)), 20000);
  });
  let isJoined = false;
  ws.addEventListener("message", (e) => {
    const at = performance.now();
    const t = typeof e.data === "string" ? e.data : "";
    if (!isJoined) {
      if (p.joined(t)) (isJoined = true), joined();
      return;
    }
    if (!p.isChange(t)) return;
    const m = SEQ.exec(t);
    if (m) onChange(Number(m[1]), Buffer.byteLength(t), at);
  });
  await new Promise((resolve, reject) => {
    ws.addEventListener("open", resolve);
    ws.addEventListener("error", reject);
  });
  if (p.hello) ws.send(p.hello);
  await ready;
  return ws;
}
