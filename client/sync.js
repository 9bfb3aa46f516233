// Live sync client for protocol 1 (docs/live.md): browsers, Node 22 and
// workers; no dependencies. The document is the server's state plus this
// client's patches still in flight, applied optimistically.
//
//   const doc = connect("https://host/state/notes/live", { token });
//   doc.on("change", (state, info) => ...);
//   await doc.patch({ title: "hi" });
//
// Patches are RFC 7386 merge patches. Each has a mutation id; until it is
// acked it is pending, and after a reconnect it is sent again with the same
// id, so the server applies it exactly once (within its idempotency window).

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const own = (o, k) => Object.prototype.hasOwnProperty.call(o, k);

// Sets o[k] as an own member, even for "__proto__" (an assignment would
// set the prototype).
function put(o, k, v) {
  if (k === "__proto__") Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

// RFC 7386: the patch applied to a copy of target. Own members only; a
// "__proto__" member is a member, never a prototype.
export function merge(target, patch) {
  if (!isObject(patch)) return patch;
  const out = isObject(target) ? { ...target } : {}; // (spread defines: "__proto__" stays a member)
  for (const k of Object.keys(patch)) {
    if (patch[k] === null) delete out[k];
    else put(out, k, merge(own(out, k) ? out[k] : undefined, patch[k]));
  }
  return out;
}

// The merge patch that turns a into b (both objects), own members only.
export function diff(a, b) {
  const p = {};
  for (const k of Object.keys(a)) if (!own(b, k)) put(p, k, null);
  for (const k of Object.keys(b)) {
    const v = b[k];
    const was = own(a, k) ? a[k] : undefined;
    if (isObject(v) && isObject(was)) {
      const d = diff(was, v);
      if (Object.keys(d).length) put(p, k, d);
    } else if (JSON.stringify(v) !== JSON.stringify(was)) put(p, k, v);
  }
  return p;
}

// Selective sync (docs/live.md): the view of a list of JSON Pointers is
// each one's value, with its parents as objects; a patch's part is what it
// sets at or under them, null at one whose parent it deletes or replaces.
// Entries another entry covers are dropped; none left (or ""): null, the
// whole document.
const names = (p) => p.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
const covers = (q, p) => p === q || p.startsWith(`${q}/`);
const entries = (list) => {
  const kept = list?.filter((p, i) => !list.some((q, j) => covers(q, p) && (q !== p || j < i)));
  return kept?.length && !kept.includes("") ? kept.map(names) : null;
};
function part(patch, list) {
  const out = {};
  for (const keys of list) {
    let v = patch;
    let i = 0;
    while (i < keys.length && isObject(v) && own(v, keys[i])) v = v[keys[i++]];
    if (i < keys.length && isObject(v)) continue; // not touched
    let o = out;
    for (const k of keys.slice(0, -1)) o = own(o, k) ? o[k] : (put(o, k, {}), o[k]);
    put(o, keys.at(-1), i < keys.length ? null : v);
  }
  return out;
}
// Without the objects above an entry that a merge left empty: a snapshot of
// the paths has none (they are there only as an entry's parents).
function trim(o, keys) {
  const [k, ...rest] = keys;
  if (!rest.length || !own(o, k) || !isObject(o[k])) return o;
  const c = trim(o[k], rest);
  if (c === o[k] && Object.keys(c).length) return o;
  const out = merge(o, {});
  if (Object.keys(c).length) put(out, k, c);
  else delete out[k];
  return out;
}

const closed = () => Object.assign(new Error("the document is closed: a write not yet acknowledged may or may not have been applied"), { code: "closed" });
const invalid = (message, what = "patch") => Object.assign(new Error(message), { code: `invalid_${what}` });

// The patch as the wire carries it (what the server applies), written as
// JSON.stringify would (toJSON called, a wrapped primitive unwrapped), or
// throws a SyncError naming the first value JSON cannot carry: NaN,
// Infinity, undefined in an array, a BigInt, a function, a symbol, an
// invalid Date (JSON.stringify would send null, a delete, or throw), a
// cycle, a string or name with a lone surrogate (no UTF-8 text holds one:
// the server refuses it); or saying why it cannot be written at all.
const lone = /\p{Cs}/u;
function wire(patch, noun = "patch") {
  const bad = (path, what) => invalid(`${what} at "${path}" is not a JSON value: JSON cannot carry it`, noun);
  const above = new Set(); // the objects on the way to the value
  const walk = (v, key, path) => {
    const date = v instanceof Date;
    if (v && typeof v.toJSON === "function") v = v.toJSON(key);
    if (date && v === null) throw bad(path, "Invalid Date");
    if (v instanceof Number || v instanceof String || v instanceof Boolean || v instanceof BigInt) v = v.valueOf();
    const t = typeof v;
    if (t === "number" && !Number.isFinite(v)) throw bad(path, String(v));
    if (t === "bigint" || t === "function" || t === "symbol") throw bad(path, t);
    if (t === "string" && lone.test(v)) throw bad(path, "a lone surrogate");
    if (!v || t !== "object") return v === 0 ? 0 : v; // -0 is written 0
    if (above.has(v)) throw bad(path, "a cycle");
    above.add(v);
    // An array's holes and undefineds would go as null; an object's
    // undefined members are left out, as JSON.stringify does.
    const list = Array.isArray(v);
    const out = list ? [] : {};
    for (const k of list ? v.keys() : Object.keys(v)) {
      const at = `${path}/${String(k).replace(/~/g, "~0").replace(/\//g, "~1")}`;
      if (lone.test(k)) throw bad(at, "a name with a lone surrogate");
      const w = walk(v[k], String(k), at);
      if (w !== undefined) put(out, k, w);
      else if (list) throw bad(at, "undefined");
    }
    above.delete(v);
    return out;
  };
  let out;
  try {
    out = walk(patch, "", "");
  } catch (e) {
    throw e.code ? e : invalid(`the ${noun} cannot be written as JSON: ${e?.message ?? e}`, noun);
  }
  if (!isObject(out)) throw invalid(noun === "patch" ? "patch must be a JSON object; the state must remain an object" : `${noun} must be a JSON object or null`, noun);
  return out;
}

export function connect(url, options = {}) {
  const WS = options.WebSocket ?? globalThis.WebSocket;
  const min = options.minDelay ?? 250;
  const max = options.maxDelay ?? 10000;
  const handlers = { change: [], status: [], presence: [], error: [] };
  // { mid, frame, resolve, reject, at, since, sent }, in the order made
  const pending = [];
  let server = {}; // the state at `version`, as the server has it
  let ws = null;
  let attempt = 0;
  let timer = null;
  let joined = false;
  let asking = false; // a hello is out and unanswered
  let repathing = false; // a paths frame is out and unanswered
  let reasking = null; // the timer asking again after an error answered a hello
  let reasked = 0; // hellos in a row answered by an error
  let parts = null; // a snapshot arriving in parts: { version, text: [pieces] }
  let me = null; // our presence, sent again after a reconnect
  let seq = 0;
  let window = null; // the server's idempotency window: { ms, writes }
  let paths = options.paths?.length ? [...options.paths] : null; // selective sync: the paths asked for
  let held = paths; // the paths `server` holds (a snapshot's); paths may have moved since
  let asked = paths; // the paths of the hello or paths frame out
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  const tag = Math.random().toString(36).slice(2, 10);
  // client/persist.js's offline(): what was kept from before, then every
  // change kept again.
  const store = options.offline;
  let restoring = store?.load(url).catch((e) => emit("error", { code: "offline", message: String(e?.message ?? e) }));

  const doc = {
    state: {},
    version: -1, // unknown until the first snapshot or changes
    status: "connecting",
    peers: {}, // peer id -> presence data
    get pending() {
      return pending.length; // writes not yet acknowledged
    },
    on(event, fn) {
      handlers[event].push(fn);
      return () => handlers[event].splice(handlers[event].indexOf(fn) >>> 0, 1);
    },
    // Resolves with the version the patch made (or had made, if it was a
    // retry); rejects with the server's error ({ code, message, ... }), or
    // at once with invalid_patch for a value JSON cannot carry.
    patch(p, { ifMatch, base } = {}) {
      let entry = null;
      const promise = new Promise((resolve, reject) => {
        if (doc.status === "closed") throw closed();
        const frame = { type: "patch", mid: `${tag}-${++seq}`, patch: wire(p) };
        if (ifMatch !== undefined) frame.ifMatch = ifMatch;
        if (base !== undefined) frame.base = base;
        pending.push((entry = { mid: frame.mid, frame, resolve, reject, at: Date.now(), since: doc.version, sent: false }));
        rebuild({ local: true, patch: frame.patch });
        if (joined) transmit(entry);
      });
      if (entry) entry.promise = promise;
      return promise;
    },
    // The store contract of React's useSyncExternalStore and of Svelte:
    // listener(state) now and after every change; returns the unsubscribe.
    // getSnapshot() is the same object until the next change.
    subscribe(listener) {
      listener(doc.state);
      return doc.on("change", listener);
    },
    getSnapshot: () => doc.state,
    // Selective sync: only the subtrees at these JSON Pointers (RFC 6901);
    // null or none, the whole document. The answer is a snapshot of them.
    setPaths(list) {
      paths = list?.length ? [...list] : null;
      if (joined) repath(); // (or once the hello or paths frame out is answered)
    },
    // Throws invalid_presence (and keeps the presence it had) for data
    // that is not a JSON object or null, as patch() does for a patch.
    presence(data) {
      me = data === null ? null : wire(data, "presence");
      if (joined) sayPresence();
    },
    // Writes not yet acknowledged reject with code closed: the server may
    // or may not have applied them (with offline, a later connect sends
    // them again).
    close() {
      clearTimeout(timer);
      setStatus("closed");
      ws?.close(1000, "closed");
      unwatch?.();
      // Rejected, but not reported as unhandled where nobody awaits it.
      for (const p of pending) {
        p.promise?.catch(() => {});
        p.reject(closed());
      }
    },
  };
  const unwatch = store?.watch?.((e) => emit("error", { code: "offline", message: String(e?.message ?? e) }));

  // Over a copy: a listener may unsubscribe (itself or another) as it runs.
  // A listener that throws is reported as uncaught (as an EventTarget's
  // is), and neither the others nor the document's own work are cut short.
  const emit = (event, ...args) => {
    for (const fn of [...handlers[event]])
      try {
        fn(...args);
      } catch (e) {
        queueMicrotask(() => {
          throw e;
        });
      }
  };
  // True when the frame went (a WebSocket's send() itself returns nothing).
  const send = (f) => ws?.readyState === 1 && (ws.send(JSON.stringify(f)), true);
  // The version the server is at, at least: a snapshot arriving in parts
  // has its version before the state.
  const known = () => Math.max(doc.version, parts?.version ?? -1);
  // A write's since is the version known when it first went: it was
  // applied after that, if at all (the expired rule counts from there).
  const transmit = (p) => send(p.frame) && (p.sent || (p.since = known()), (p.sent = true), (p.on = ws), save());
  let presenceOn = null; // the socket our presence went on last
  const sayPresence = () => send({ type: "presence", data: me }) && (presenceOn = ws);
  const save = () =>
    store?.save(url, { version: doc.version, state: server, paths: held, pending: pending.map(({ frame, at, since, sent }) => ({ frame, at, since, sent })) });
  function setStatus(s) {
    if (doc.status !== s) emit("status", (doc.status = s));
  }

  // The document: the server's state with every pending patch on top.
  function rebuild(info = {}) {
    doc.state = pending.reduce((s, p) => merge(s, p.frame.patch), server);
    save();
    emit("change", doc.state, { version: doc.version, ...info });
  }

  // A committed write at version v: applied in order (true), duplicates
  // skipped, a gap starts over. With paths, versions skip the writes that
  // touched none of them: a change frame names the one before (prev).
  function step(v, patch, prev) {
    if (v <= doc.version) return false;
    if (held ? prev > doc.version : v !== doc.version + 1) return resync(), false;
    // With paths, only their part (an ack's patch is the whole write).
    const list = entries(held);
    server = list ? list.reduce(trim, merge(server, part(patch, list))) : merge(server, patch);
    doc.version = v;
    return true;
  }

  function advance(v, patch, info, prev) {
    if (step(v, patch, prev ?? v - 1)) rebuild({ ...info, patch });
  }

  function take(mid) {
    const i = pending.findIndex((p) => p.mid === mid);
    return i < 0 ? undefined : pending.splice(i, 1)[0];
  }

  // Says hello, one at a time: a second waits for the first's answer (or
  // the paths frame's, which brings a snapshot too). A state held for other
  // paths than these is not caught up: a snapshot.
  function hello(since) {
    if (asking || repathing) return;
    asked = paths;
    asking = send({ type: "hello", ...(since >= 0 && same(held, paths) && { since }), ...(paths && { paths }) });
  }

  // The paths frame: answered by a snapshot of the paths now named. One
  // hello or paths frame is out at a time: paths set meanwhile are asked
  // for once it is answered.
  function repath() {
    if (asking || repathing || same(held, paths)) return;
    asked = paths;
    repathing = send({ type: "paths", paths: paths ?? [""] });
  }

  // Once a hello or paths frame is answered: what the joined socket still
  // needs, a snapshot after a gap, or the paths set meanwhile.
  function next() {
    if (joined) doc.version < 0 ? hello(-1) : repath();
  }

  // A gap in the versions: start over with a snapshot.
  function resync() {
    doc.version = -1;
    hello(-1);
  }

  // A write sent before that may be past the server's idempotency window:
  // the server could no longer tell its retry from a new write, so it is
  // not sent blind. (One never sent is safe to send at any age.)
  function expired(p) {
    const margin = 60000; // clock skew between this client and the server
    return p.sent && window && (Date.now() - p.at > window.ms - margin || (p.since >= 0 && known() - p.since >= window.writes));
  }

  function onFrame(f) {
    switch (f.type) {
      case "snapshot":
        // A large one comes in parts: the pieces of its state's JSON text.
        if (f.text !== undefined) {
          if (f.part === 0) parts = { version: f.version, text: [] };
          if (!parts || parts.version !== f.version || parts.text.length !== f.part) {
            parts = null;
            asking = false;
            return resync();
          }
          parts.text.push(f.text);
          if (f.more) break;
          f = { ...f, state: JSON.parse(parts.text.join("")) };
          parts = null;
        }
        asking = false;
        repathing = false;
        reasked = 0;
        server = f.state;
        held = asked;
        doc.version = f.version;
        rebuild({ snapshot: true });
        next(); // paths set while it was asked for
        break;
      case "changes":
        asking = false;
        reasked = 0;
        if (doc.version >= 0 && f.changes.length && f.changes[0].version > doc.version + 1) return resync();
        for (const c of f.changes) advance(c.version, c.patch, { actor: c.actor });
        next();
        break;
      case "peers":
        doc.peers = Object.fromEntries(f.peers.map((p) => [p.peer, p.data]));
        window = f.keys ?? window;
        emit("presence", doc.peers);
        if (!joined) {
          joined = true;
          attempt = 0;
          setStatus("open");
          for (const p of [...pending])
            if (!expired(p)) transmit(p); // again, with the same mids
            else {
              take(p.mid);
              p.reject(Object.assign(new Error("this write was sent before and is older than the server's idempotency window: it is not sent again, since a retry could apply it twice; the state shown is the server's"), { code: "expired" }));
              rebuild({ reject: p.mid });
            }
          if (me !== null) sayPresence();
          next(); // paths set while the hello was out
        }
        break;
      case "change":
        advance(f.version, f.patch, { actor: f.actor }, f.prev);
        break;
      case "reset":
        server = {};
        doc.version = f.version;
        rebuild({ reset: true });
        break;
      case "ack": {
        const first = pending[0]?.mid === f.mid;
        const p = take(f.mid);
        if (!p) break;
        // What came before it came first. The oldest write of a whole
        // document, acked in order, leaves the state as it was: not merged
        // again (with many pending, that would cost each ack all of them).
        if (step(f.version, p.frame.patch, -1) && first && !held) {
          save();
          emit("change", doc.state, { version: doc.version, ack: f.mid });
        } else rebuild({ ack: f.mid });
        p.resolve(f.version);
        break;
      }
      case "reject": {
        // The socket's token ended: nothing was applied, and the server
        // closes the socket; the write stays pending and goes again, with
        // its mid, once a fresh token has reconnected.
        if (f.error?.code === "invalid_token") break;
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
        if (f.error?.code === "rate_limited") {
          // Later, not never: the frame it names again, or the hello.
          const p = f.mid && pending.find((q) => q.mid === f.mid);
          const again = p ? () => transmit(p) : repathing ? () => ((repathing = false), next()) : asking ? () => ((asking = false), hello(doc.version)) : null;
          const on = ws; // (not on a later socket: it says its own hello)
          if (again) setTimeout(() => ws === on && again(), f.error.retry_after_ms ?? 1000);
        } else if (repathing) {
          // Refused: the socket keeps the paths it had, and so does this
          // client (not asked for again and again).
          repathing = false;
          paths = held;
          next();
        } else if (asking && !reasking) {
          // Perhaps the hello's answer (a snapshot cut off, a failed read,
          // paths whose part is too large): asked again in a second,
          // doubling up to maxDelay while it fails, unless answered
          // meanwhile. One timer however many errors come meanwhile.
          const on = ws;
          reasking = setTimeout(() => {
            reasking = null;
            if (asking && ws === on) {
              asking = false;
              hello(doc.version);
            }
          }, Math.min(Math.max(max, 1000), 1000 * 2 ** reasked++));
        }
        if (!f.mid) parts = null; // a snapshot cut off: its parts are dropped
        emit("error", f.error);
    }
  }

  // What was kept: the server's state at its version, then the writes
  // still pending (older than any made since connect()), sent again with
  // their mids once joined.
  function restore(r) {
    // A state kept for other paths is not this one's (the hello asks anew).
    if (doc.version < 0 && r.version >= 0 && same(r.paths ?? null, paths)) {
      held = paths;
      server = r.state;
      doc.version = r.version;
    }
    const noop = () => {};
    pending.unshift(...r.pending.map((p) => ({ ...p, mid: p.frame.mid, resolve: noop, reject: noop })));
    rebuild({ restored: true });
  }

  async function open() {
    if (restoring) {
      const r = await restoring;
      restoring = null;
      if (r) restore(r);
    }
    joined = false;
    asking = false;
    repathing = false;
    parts = null;
    clearTimeout(reasking); // an older socket's
    reasking = null;
    reasked = 0;
    const u = url.replace(/^http/, "ws");
    let token;
    try {
      token = typeof options.token === "function" ? await options.token() : options.token;
    } catch (e) {
      emit("error", { code: "token", message: String(e?.message ?? e) });
      return retry();
    }
    if (doc.status === "closed") return;
    const sock = (ws = token ? new WS(u, ["sync.v1", `bearer.${token}`]) : new WS(u));
    // The protocol's keepalive: answered without waking the server's object.
    const ping = setInterval(() => sock.readyState === 1 && sock.send("ping"), options.ping ?? 30000);
    sock.onopen = () => hello(doc.version);
    sock.onmessage = (e) => {
      if (e.data !== "pong") onFrame(JSON.parse(e.data));
    };
    // Once per socket: some clients (Node 22's) report a failed connection
    // with an error and no close.
    let over = false;
    sock.onerror = sock.onclose = (e) => {
      clearInterval(ping);
      if (over || doc.status === "closed") return;
      over = true;
      setStatus("reconnecting");
      if (e?.code === 1009) tooBig(sock);
      // The token ended (4001 token_expired, 4002 key_revoked): a new one
      // at once; else exponential backoff with full jitter.
      if (e?.code === 4001 || e?.code === 4002) timer = setTimeout(open, 0);
      else retry();
    };
  }

  // The server closed sock on a frame over its size limit (1009): the
  // largest frame this client sent on it, which would be sent again
  // after every reconnect, is dropped: a write rejects payload_too_large,
  // a presence is cleared, with an error event.
  function tooBig(sock) {
    const size = (f) => new TextEncoder().encode(JSON.stringify(f)).length; // bytes, as the server counts
    const big = pending.filter((p) => p.on === sock).reduce((a, p) => (a && size(a.frame) >= size(p.frame) ? a : p), null);
    const error = (what) => Object.assign(new Error(`the server closed the socket (1009): ${what} is over its frame size limit, and is not sent again`), { code: "payload_too_large" });
    if (me !== null && presenceOn === sock && (!big || size({ type: "presence", data: me }) > size(big.frame))) {
      me = null;
      return emit("error", error("this client's presence"));
    }
    if (!big) return;
    take(big.mid);
    rebuild({ reject: big.mid });
    big.reject(error("this write"));
  }

  function retry() {
    timer = setTimeout(open, Math.random() * Math.min(max, min * 2 ** attempt++));
  }

  // After the caller's synchronous code: handlers registered right after
  // connect() hear everything, even a token function's error.
  queueMicrotask(open);
  return doc;
}
