// Plain-JavaScript baseline: the same service as the C module, written the
// way a careful JS developer would, so that the bench compares C-in-wasm
// plus glue against JS, not one design against another:
//   - the same validation and limits (strict JSON with duplicate keys,
//     depth and container limits; sizes in UTF-8 bytes; ids; media type);
//   - a prototype-safe RFC 7386 merge;
//   - the same storage design: members as rows, a journal with retention,
//     the document kept in memory and checked against the stored version;
//   - live sync over hibernatable WebSockets with the patch broadcast
//     (protocol 1's hello, patch, ack, change), in worker.js.
// A benchmark fixture: it never ships in the product. The owner runs on any
// SQL function (sql(query, ...params) -> rows as arrays), so bench/engine
// can time it in Node with node:sqlite.
const ID = /^[A-Za-z0-9._~-]{1,128}$/;
const MEDIA = new Set(["application/merge-patch+json", "application/json"]);
export const LIMITS = { body: 1 << 20, depth: 64, containers: 65536, state: 4 << 20, member: 1800000, journal: 1000, journalBytes: 4 << 20 };
const utf8 = new TextEncoder();

export function rid() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

export function error(status, code, message, requestId) {
  return { status, body: JSON.stringify({ error: { code, message, request_id: requestId } }) };
}

// UTF-8 length of a string without encoding it.
export function bytes(s) {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) n += c >= 0x800 ? (c >= 0xd800 && c < 0xdc00 ? 1 : 2) : 1;
    if (c >= 0xd800 && c < 0xdc00) i++;
  }
  return n;
}

// JSON.parse, plus what it does not check: duplicate keys, nesting and
// container limits. Throws Error(message).
export function parseStrict(text) {
  const v = JSON.parse(text);
  let depth = 0;
  let containers = 0;
  const keys = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // a string: skip it; a key when a ':' follows
      let j = i + 1;
      while (text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c ? 2 : 1;
      let k = j + 1;
      while (k < text.length && text.charCodeAt(k) <= 0x20) k++;
      if (text.charCodeAt(k) === 0x3a) {
        const raw = text.slice(i + 1, j);
        const key = raw.includes("\\") ? JSON.parse(text.slice(i, j + 1)) : raw;
        const set = keys[keys.length - 1];
        if (set.has(key)) throw new Error(`duplicate key: "${key.slice(0, 48)}"`);
        set.add(key);
      }
      i = j;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > LIMITS.depth) throw new Error(`nesting is deeper than ${LIMITS.depth} levels`);
      if (++containers > LIMITS.containers) throw new Error(`more than ${LIMITS.containers} arrays and objects`);
      keys.push(c === 0x7b ? new Set() : null);
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
      keys.pop();
    }
  }
  return v;
}

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

// RFC 7386 into a copy; a "__proto__" member is data, never a prototype.
export function merge(target, patch) {
  if (!isObject(patch)) return patch;
  const out = isObject(target) ? { ...target } : {};
  for (const k of Object.keys(patch)) {
    const v = patch[k];
    if (v === null) delete out[k];
    else Object.defineProperty(out, k, { value: merge(out[k], v), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function parseIfMatch(h) {
  if (h === null || h === undefined) return { any: true };
  const v = h.trim();
  if (v === "*") return { star: true };
  const tags = [];
  for (const part of v.split(",")) {
    const p = part.trim();
    if (!p) continue;
    const m = p.match(/^(W\/)?"([^"]*)"$/);
    if (!m) return null;
    if (!m[1]) tags.push(m[2]);
  }
  return tags.length || v === "" ? { tags } : null;
}

// Edge: route and validate, before any object is woken. Returns a final
// answer, { forward: id }, or { live: id } for the upgrade.
export function edge(method, pathname, headers, bodyText, requestId) {
  if (pathname === "/health") {
    if (method !== "GET") return error(405, "method_not_allowed", "method not allowed on this route", requestId);
    return { status: 200, body: JSON.stringify({ status: "ok", version: "baseline-js" }) };
  }
  const m = /^\/state\/([^/]+)(\/live)?$/.exec(pathname);
  if (!m) return error(404, "not_found", "no such route", requestId);
  let id;
  try {
    id = decodeURIComponent(m[1]);
  } catch {
    return error(400, "invalid_id", "id has a malformed percent-escape", requestId);
  }
  if (!ID.test(id) || id === "." || id === "..") return error(400, "invalid_id", "id must be 1-128 characters of [A-Za-z0-9._~-]", requestId);
  if (m[2]) return headers.get("upgrade")?.toLowerCase() === "websocket" ? { live: id } : error(426, "upgrade_required", "open this route with Upgrade: websocket", requestId);
  if (method !== "GET" && method !== "PATCH") return error(405, "method_not_allowed", "method not allowed on this route", requestId);
  if (method === "PATCH") {
    const ct = (headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
    if (!MEDIA.has(ct)) return error(415, "unsupported_media_type", "use Content-Type application/merge-patch+json or application/json", requestId);
    if (bytes(bodyText) > LIMITS.body) return error(413, "payload_too_large", "body is over the size limit", requestId);
    if (!parseIfMatch(headers.get("if-match"))) return error(400, "invalid_if_match", "If-Match must be * or a list of quoted versions", requestId);
    let patch;
    try {
      patch = parseStrict(bodyText);
    } catch (e) {
      return error(400, "invalid_json", `body is not valid JSON: ${e.message}`, requestId);
    }
    if (!isObject(patch)) return error(422, "invalid_patch", "patch must be a JSON object; the state must remain an object", requestId);
  }
  return { forward: id };
}

export const SCHEMA = [
  "CREATE TABLE IF NOT EXISTS meta (k INTEGER PRIMARY KEY CHECK (k = 0), version INTEGER NOT NULL, jcount INTEGER NOT NULL, jbytes INTEGER NOT NULL, jfirst INTEGER NOT NULL)",
  "CREATE TABLE IF NOT EXISTS members (key TEXT NOT NULL UNIQUE, value TEXT NOT NULL, version INTEGER NOT NULL)",
  "CREATE TABLE IF NOT EXISTS journal (version INTEGER PRIMARY KEY, at INTEGER NOT NULL, request_id TEXT NOT NULL, actor TEXT, key TEXT, patch TEXT NOT NULL, size INTEGER NOT NULL)",
];

// The owner of one document: its members in memory (key -> JSON text),
// checked against the stored version on every request. sql: runs one
// statement, returns rows as arrays; tx(fn): runs fn in one transaction.
export function createOwner(sql, tx) {
  let doc = null; // { version, members: Map, size, view }

  function meta() {
    const row = sql("SELECT version, jcount, jbytes, jfirst FROM meta WHERE k = 0")[0];
    return row ? { version: row[0], jcount: row[1], jbytes: row[2], jfirst: row[3] } : { version: 0, jcount: 0, jbytes: 0, jfirst: 1 };
  }

  function load(m) {
    if (doc && doc.version === m.version) return doc;
    const members = new Map();
    let size = 0;
    for (const [k, v] of sql("SELECT key, value FROM members ORDER BY rowid")) {
      members.set(k, v);
      size += bytes(k) + bytes(v);
    }
    return (doc = { version: m.version, members, size, view: null });
  }

  function view(id, d) {
    if (!d.view) {
      let s = `{"id":${JSON.stringify(id)},"version":${d.version},"state":{`;
      let first = true;
      for (const [k, v] of d.members) {
        s += `${first ? "" : ","}${JSON.stringify(k)}:${v}`;
        first = false;
      }
      d.view = `${s}}}`;
    }
    return d.view;
  }

  return {
    get(id) {
      const d = load(meta());
      return { status: 200, etag: `"${d.version}"`, body: view(id, d) };
    },

    // Returns the answer and, when committed, the change frame to send.
    patch(id, headers, bodyText, requestId) {
      const m = meta();
      const d = load(m);
      const im = parseIfMatch(headers.get("if-match"));
      if (im.star ? d.version === 0 : !im.any && !im.tags.includes(String(d.version)))
        return error(412, "precondition_failed", "If-Match does not match the current version", requestId);
      const patch = JSON.parse(bodyText);
      const next = m.version + 1;
      const changed = new Map(); // key -> text, or null to delete
      let size = d.size;
      for (const k of Object.keys(patch)) {
        const old = d.members.get(k);
        const was = old === undefined ? 0 : bytes(k) + bytes(old);
        if (patch[k] === null) {
          if (old !== undefined) changed.set(k, null);
          size -= was;
          continue;
        }
        const v = isObject(patch[k]) && old !== undefined && old[0] === "{" ? merge(JSON.parse(old), patch[k]) : merge(undefined, patch[k]);
        const text = JSON.stringify(v);
        if (bytes(k) + bytes(text) > LIMITS.member) return error(413, "payload_too_large", `member "${k.slice(0, 40)}" would be over the ${LIMITS.member}-byte member limit`, requestId);
        changed.set(k, text);
        size += bytes(k) + bytes(text) - was;
      }
      if (size > LIMITS.state) return error(413, "payload_too_large", `the state would be over the ${LIMITS.state}-byte stored-state limit`, requestId);
      const patchText = JSON.stringify(patch);
      const entry = patchText.length + requestId.length;
      let cut = 0;
      if (m.jcount + 1 > LIMITS.journal || m.jbytes + entry > LIMITS.journalBytes) {
        for (const [, s] of sql("SELECT version, size FROM journal ORDER BY version LIMIT ?", m.jcount)) {
          if (m.jcount + 1 - cut <= LIMITS.journal * 0.9 && m.jbytes + entry <= LIMITS.journalBytes * 0.9) break;
          m.jbytes -= s;
          cut++;
        }
      }
      tx(() => {
        for (const [k, text] of changed)
          if (text === null) sql("DELETE FROM members WHERE key = ?", k);
          else sql("INSERT INTO members VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = excluded.version", k, text, next);
        sql("INSERT INTO journal VALUES (?, ?, ?, ?, ?, ?, ?)", next, Date.now(), requestId, null, null, patchText, entry);
        if (cut) sql("DELETE FROM journal WHERE version < ?", m.jfirst + cut);
        const jfirst = m.jcount === 0 ? next : m.jfirst + cut;
        sql("REPLACE INTO meta VALUES (0, ?, ?, ?, ?)", next, m.jcount + 1 - cut, m.jbytes + entry, jfirst);
      });
      for (const [k, text] of changed)
        if (text === null) d.members.delete(k);
        else d.members.set(k, text);
      d.version = next;
      d.size = size;
      d.view = null;
      const minimal = /(^|[;,\s])return=minimal\b/i.test(headers.get("prefer") ?? "");
      return {
        status: 200,
        etag: `"${next}"`,
        body: minimal ? `{"id":${JSON.stringify(id)},"version":${next}}` : view(id, d),
        minimal,
        change: `{"type":"change","version":${next},"patch":${patchText},"actor":null}`,
        version: next,
      };
    },

    // The snapshot frame a hello gets.
    snapshot(id) {
      const d = load(meta());
      return `{"type":"snapshot",${view(id, d).slice(1)}`;
    },
  };
}
