// Offline persistence for client/sync.js, loaded only by those who use it:
// the last state the server gave (with its version) and every write not
// yet acknowledged (with its mid and creation time), per document and per
// token subject, so that edits made offline survive a reload.
//
//   import { connect } from "./sync.js";
//   import { offline, indexedDBStore } from "./persist.js";
//   const doc = connect(url, { token, offline: offline({ storage: indexedDBStore(), subject: user.id }) });
//
// A storage is { get(key), set(key, value), delete(key) } and, optionally,
// update(key, fn) (set fn(the value) in one transaction), each returning a
// promise; values are structured-cloneable. indexedDBStore() is the
// browser's; memoryStore() keeps them in this process only.
//
// Pages of one subject (two tabs, say) share what is kept: each keeps the
// others' pending writes beside its own, and a page that loads takes them
// all (the server applies each mid once, whoever sends it).

const DAY = 86400000;
const TOMBS = 1000; // settled writes remembered, at most

// Writes go one at a time, the latest record per key only.
export function offline({ storage = memoryStore(), subject = "", onError = (e) => console.error("offline storage:", e) } = {}) {
  const waiting = new Map();
  const saved = new Map(); // key -> the version (and paths) whose state is stored
  const held = new Map(); // key -> the mids this page last saved as pending
  const gone = new Map(); // key -> the mids this page saw settled
  const watchers = new Set(); // told of every failed write, as onError is
  let writing = null;
  const keyOf = (url) => `${subject}\n${url}`;

  async function drain() {
    for (const [key, value] of waiting) {
      waiting.delete(key);
      try {
        if (typeof value !== "function") await storage.set(key, value);
        else if (storage.update) await storage.update(key, value);
        else await storage.set(key, value(await storage.get(key)));
      } catch (e) {
        onError(e);
        for (const fn of [...watchers]) fn(e);
      }
    }
    writing = null;
  }
  function put(key, value) {
    waiting.delete(key); // the latest goes last
    waiting.set(key, value);
    writing ??= Promise.resolve().then(drain);
  }

  return {
    // { version, state, paths, pending: [...] } as last saved (paths: the
    // selective sync's, or null), or undefined.
    async load(url) {
      const key = keyOf(url);
      const [s, all] = await Promise.all([storage.get(`${key}#state`), storage.get(`${key}#pending`)]);
      const p = Array.isArray(all) ? all.filter((w) => !w.settled) : [];
      if (s) saved.set(key, JSON.stringify([s.version, s.paths ?? null]));
      return s || p.length ? { version: s?.version ?? -1, state: s?.state ?? {}, paths: s?.paths ?? null, pending: p } : undefined;
    },
    // The state is written only when its version (or the paths it covers)
    // moved; what is pending, every time it changed.
    save(url, { version, state, paths = null, pending }) {
      const key = keyOf(url);
      const at = JSON.stringify([version, paths]);
      if (version >= 0 && saved.get(key) !== at) {
        saved.set(key, at);
        put(`${key}#state`, { version, state, paths });
      }
      // Merged with what the other pages keep: theirs stay, in the order
      // made; what this page saw settled goes.
      const mine = new Set(pending.map((p) => p.frame.mid));
      const settled = gone.get(key) ?? new Set();
      for (const mid of held.get(key) ?? []) if (!mine.has(mid)) settled.add(mid);
      held.set(key, mine);
      gone.set(key, settled);
      put(`${key}#pending`, (old) => {
        const list = Array.isArray(old) ? old : [];
        const now = Date.now();
        // A settled write stays a day as a tombstone ({ frame: { mid },
        // settled }), so that no page puts it back; one another page sent
        // stays marked sent.
        const tombs = [...list.filter((p) => p.settled && now - p.at < DAY), ...[...settled].map((mid) => ({ frame: { mid }, settled: true, at: now }))].slice(-TOMBS);
        settled.clear();
        const dead = new Set(tombs.map((p) => p.frame.mid));
        const sent = new Set(list.filter((p) => p.sent).map((p) => p.frame?.mid));
        const theirs = list.filter((p) => !p.settled && !mine.has(p.frame?.mid));
        const ours = pending.map((p) => (sent.has(p.frame.mid) && !p.sent ? { ...p, sent: true } : p));
        return [...[...theirs, ...ours].filter((p) => !dead.has(p.frame?.mid)).sort((a, b) => a.at - b.at), ...tombs];
      });
    },
    // fn(error) on every failed write (a document's error event); returns
    // the unwatch.
    watch(fn) {
      watchers.add(fn);
      return () => watchers.delete(fn);
    },
    // Settles once everything saved so far is stored.
    flushed: async () => {
      while (writing) await writing;
    },
    // Forgets the document (on sign-out, say).
    async clear(url) {
      const key = keyOf(url);
      saved.delete(key);
      held.delete(key);
      gone.delete(key);
      await this.flushed();
      await Promise.all([storage.delete(`${key}#state`), storage.delete(`${key}#pending`)]);
    },
  };
}

// In this process only: a Map of structured clones.
export function memoryStore() {
  const map = new Map();
  return {
    get: async (k) => (map.has(k) ? structuredClone(map.get(k)) : undefined),
    set: async (k, v) => void map.set(k, structuredClone(v)),
    update: async (k, fn) => void map.set(k, structuredClone(fn(structuredClone(map.get(k))))),
    delete: async (k) => void map.delete(k),
  };
}

// The browser's IndexedDB: one database (name), one object store.
// Writes are committed with strict durability.
export function indexedDBStore(name = "cw-sync", idb = globalThis.indexedDB) {
  let db;
  const open = () =>
    (db ??= new Promise((resolve, reject) => {
      const r = idb.open(name, 1);
      r.onupgradeneeded = () => r.result.createObjectStore("docs");
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    }));
  const run = async (mode, op) => {
    const t = (await open()).transaction("docs", mode, { durability: "strict" });
    const r = op(t.objectStore("docs"));
    return new Promise((resolve, reject) => {
      t.oncomplete = () => resolve(r.result);
      t.onerror = t.onabort = () => reject(t.error);
    });
  };
  return {
    get: (k) => run("readonly", (s) => s.get(k)),
    set: (k, v) => run("readwrite", (s) => s.put(v, k)),
    // The read and the write in one transaction: another page's waits.
    update: (k, fn) =>
      run("readwrite", (s) => {
        const r = s.get(k);
        r.onsuccess = () => s.put(fn(r.result), k);
        return r;
      }),
    delete: (k) => run("readwrite", (s) => s.delete(k)),
  };
}

// The sub claim of a JWT (unverified: a storage key, not a permission),
// or "" when it has none.
export function subjectOf(token) {
  try {
    const b = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return String(JSON.parse(atob(b)).sub ?? "");
  } catch {
    return "";
  }
}
