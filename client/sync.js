// Live sync client for protocol 1 (see the README): browsers, Node 22 and
// workers; no dependencies. The document is the server's state plus this
// client's patches still in flight, applied optimistically.
//
//   const doc = connect("https://host/state/notes/live", { token });
//   doc.on("change", (state, info) => ...);
//   await doc.patch({ title: "hi" });
//
// Patches are RFC 7386 merge patches. Each has a mutation id; until it is
// acked it is pending, and after a reconnect it is sent again with the same
// id, so the server applies it exactly once.

// RFC 7386: the patch applied to a copy of target.
export function merge(target, patch) {
  if (!isObject(patch)) return patch;
  const out = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = merge(out[k], v);
  }
  return out;
}

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

// The merge patch that turns a into b (both objects).
export function diff(a, b) {
  const p = {};
  for (const k of Object.keys(a)) if (!(k in b)) p[k] = null;
  for (const [k, v] of Object.entries(b)) {
    if (isObject(v) && isObject(a[k])) {
      const d = diff(a[k], v);
      if (Object.keys(d).length) p[k] = d;
    } else if (JSON.stringify(v) !== JSON.stringify(a[k])) p[k] = v;
  }
  return p;
}

export function connect(url, options = {}) {
  const WS = options.WebSocket ?? globalThis.WebSocket;
  const min = options.minDelay ?? 250;
  const max = options.maxDelay ?? 10000;
  const handlers = { change: [], status: [], presence: [], error: [] };
  const pending = []; // { mid, frame, resolve, reject }, in the order sent
  let server = {}; // the state at `version`, as the server has it
  let ws = null;
  let attempt = 0;
  let timer = null;
  let joined = false;
  let me = null; // our presence, sent again after a reconnect
  let seq = 0;
  const tag = Math.random().toString(36).slice(2, 10);

  const doc = {
    state: {},
    version: -1, // unknown until the first snapshot or changes
    status: "connecting",
    peers: {}, // peer id -> presence data
    on(event, fn) {
      handlers[event].push(fn);
      return () => handlers[event].splice(handlers[event].indexOf(fn) >>> 0, 1);
    },
    // Resolves with the version the patch made (or had made, if it was a
    // retry); rejects with the server's error ({ code, message, ... }).
    patch(p, { ifMatch, base } = {}) {
      return new Promise((resolve, reject) => {
        const frame = { type: "patch", mid: `${tag}-${++seq}`, patch: p };
        if (ifMatch !== undefined) frame.ifMatch = ifMatch;
        if (base !== undefined) frame.base = base;
        pending.push({ mid: frame.mid, frame, resolve, reject });
        rebuild({ local: true, patch: p });
        if (joined) send(frame);
      });
    },
    presence(data) {
      me = data;
      if (joined) send({ type: "presence", data });
    },
    close() {
      clearTimeout(timer);
      setStatus("closed");
      ws?.close(1000, "closed");
    },
  };

  const emit = (event, ...args) => handlers[event].forEach((fn) => fn(...args));
  const send = (f) => ws?.readyState === 1 && ws.send(JSON.stringify(f));
  function setStatus(s) {
    if (doc.status !== s) emit("status", (doc.status = s));
  }

  // The document: the server's state with every pending patch on top.
  function rebuild(info = {}) {
    doc.state = pending.reduce((s, p) => merge(s, p.frame.patch), server);
    emit("change", doc.state, { version: doc.version, ...info });
  }

  // A committed write at version v: applied in order (true), duplicates
  // skipped, a gap starts over.
  function step(v, patch) {
    if (v <= doc.version) return false;
    if (v !== doc.version + 1) return resync(), false;
    server = merge(server, patch);
    doc.version = v;
    return true;
  }

  function advance(v, patch, info) {
    if (step(v, patch)) rebuild({ ...info, patch });
  }

  function take(mid) {
    const i = pending.findIndex((p) => p.mid === mid);
    return i < 0 ? undefined : pending.splice(i, 1)[0];
  }

  // A gap in the versions: start over with a snapshot.
  function resync() {
    doc.version = -1;
    send({ type: "hello" });
  }

  function onFrame(f) {
    switch (f.type) {
      case "snapshot":
        server = f.state;
        doc.version = f.version;
        rebuild({ snapshot: true });
        break;
      case "changes":
        if (doc.version >= 0 && f.changes.length && f.changes[0].version > doc.version + 1) return resync();
        for (const c of f.changes) advance(c.version, c.patch, { actor: c.actor });
        break;
      case "peers":
        doc.peers = Object.fromEntries(f.peers.map((p) => [p.peer, p.data]));
        emit("presence", doc.peers);
        if (!joined) {
          joined = true;
          attempt = 0;
          setStatus("open");
          pending.forEach((p) => send(p.frame)); // again, with the same mids
          if (me !== null) send({ type: "presence", data: me });
        }
        break;
      case "change":
        advance(f.version, f.patch, { actor: f.actor });
        break;
      case "reset":
        server = {};
        doc.version = f.version;
        rebuild({ reset: true });
        break;
      case "ack": {
        const p = take(f.mid);
        if (!p) break;
        step(f.version, p.frame.patch);
        rebuild({ ack: f.mid });
        p.resolve(f.version);
        break;
      }
      case "reject": {
        const p = take(f.mid);
        if (!p) break;
        rebuild({ reject: f.mid }); // the server's state, and what is still pending
        p.reject(Object.assign(new Error(f.error.message), f.error));
        break;
      }
      case "presence":
        doc.peers = { ...doc.peers, [f.peer]: f.data };
        emit("presence", doc.peers);
        break;
      case "leave":
        doc.peers = { ...doc.peers };
        delete doc.peers[f.peer];
        emit("presence", doc.peers);
        break;
      case "error":
        emit("error", f.error);
    }
  }

  function open() {
    joined = false;
    const u = url.replace(/^http/, "ws");
    const sock = (ws = options.token ? new WS(u, ["sync.v1", `bearer.${options.token}`]) : new WS(u));
    // The protocol's keepalive: answered without waking the server's object.
    const ping = setInterval(() => sock.readyState === 1 && sock.send("ping"), options.ping ?? 30000);
    sock.onopen = () => send(doc.version >= 0 ? { type: "hello", since: doc.version } : { type: "hello" });
    sock.onmessage = (e) => {
      if (e.data !== "pong") onFrame(JSON.parse(e.data));
    };
    // Once per socket: some clients (Node 22's) report a failed connection
    // with an error and no close.
    let over = false;
    sock.onerror = sock.onclose = () => {
      clearInterval(ping);
      if (over || doc.status === "closed") return;
      over = true;
      setStatus("reconnecting");
      // Exponential backoff with full jitter.
      timer = setTimeout(open, Math.random() * Math.min(max, min * 2 ** attempt++));
    };
  }

  open();
  return doc;
}
