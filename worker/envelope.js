// Converts between platform shapes and the request envelope / result that
// cross into C (see src/http.h for the wire form). It only moves bytes: every
// decision about them is made in C.
//
// An envelope is { head, body }: the request line and header lines as a
// string, and the body's bytes (or null). It crosses into the module as
// one run of bytes, the head written there directly (layout.js
// writeInputs), and to a Durable Object as it is: no buffer of its own is
// made for it on the way.
import { text, utf8 } from "./layout.js";

// One JSON error line; cause is a thrown value.
export function logError(msg, requestId, cause) {
  console.error(JSON.stringify({ level: "error", msg, request_id: requestId, cause: String(cause) }));
}

function encode(method, target, headers, body) {
  let head = `${method} ${target}\r\n`;
  for (const [name, value] of headers) head += `${name}: ${value}\r\n`;
  return { head: `${head}\r\n`, body: body && body.length ? body : null };
}

// The body as C gets it: all of it when it fits the limit, else none, with
// its size (or limit + 1 when unknown) in content-length, from which C
// answers 413. An oversized body is never copied into the module.
function bounded(headers, bytes, size, limit) {
  if (size <= limit) return { headers, body: bytes };
  return { headers: [...headers.filter(([k]) => k.toLowerCase() !== "content-length"), ["content-length", String(size)]], body: new Uint8Array(0) };
}

// The request target as the platform hands it over: the URL without its
// scheme and authority. No URL parsing, which throws on what clients may
// send (OPTIONS * arrives as "http://host:port*"); C judges the target.
function target(url) {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(url);
  const rest = m ? url.slice(m[0].length) : url;
  const hash = rest.indexOf("#");
  return hash < 0 ? rest : rest.slice(0, hash);
}

// At most max bytes (and the rest of the last chunk) of a body of unknown
// length; then it stops reading, so what lies past the limit is never held.
async function readAtMost(body, max) {
  const reader = body.getReader();
  const chunks = [];
  try {
    for (let size = 0, r; size < max && !(r = await reader.read()).done; size += r.value.length) chunks.push(r.value);
  } finally {
    reader.cancel().catch(() => {});
  }
  return new Uint8Array(await new Blob(chunks).arrayBuffer());
}

// A fetch Request as an envelope. All headers are passed; C picks. A body
// whose Content-Length is over the limit is not read at all; one within it
// is read whole (the platform holds it to its length); one without
// (chunked) is read up to the limit + 1. Only a body within the limit is
// copied into the module.
export async function fromRequest(request, limit) {
  let head = `${request.method} ${target(request.url)}\r\n`;
  let declared = null;
  for (const [name, value] of request.headers) {
    head += `${name}: ${value}\r\n`;
    if (name === "content-length") declared = value;
  }
  if (!request.body) return { head: `${head}\r\n`, body: null };
  const size = /^\d+$/.test(declared) ? Number(declared) : 0;
  if (size > limit) return encode(request.method, target(request.url), bounded([...request.headers], null, size, limit).headers, null);
  let bytes;
  try {
    bytes = declared === null ? await readAtMost(request.body, limit + 1) : new Uint8Array(await request.arrayBuffer());
  } catch {
    // The client went away mid-upload: C answers (and logs) it as its own.
    return encode(request.method, target(request.url), [...request.headers, ["x-cw-unread", "1"]], null);
  }
  if (bytes.length <= limit) return { head: `${head}\r\n`, body: bytes };
  return encode(request.method, target(request.url), bounded([...request.headers], null, bytes.length, limit).headers, null);
}

// value as JSON text in which what JSON cannot carry is written as the
// bare word naming it, where JSON.stringify would write null (a delete) or
// drop it: NaN, Infinity, -Infinity, undefined inside an array, a BigInt
// (with digits, its digits as a number instead), a function, a symbol, an
// invalid Date (its toJSON gives null); a wrapped primitive (new
// Number(NaN)) counts as what it wraps. C refuses
// the words, naming where they are (src/json.h). Undefined object members
// are left out, as JSON.stringify does. A value JSON.stringify cannot write
// at all (a cycle, too deep a nesting, a toJSON that throws) is the word
// unwritable. string(s), when given, is what a string is written as.
function toJson(value, { digits = false, string = null } = {}) {
  const words = [];
  const mark = `\u0000${Math.random().toString(36).slice(2)}:`;
  const word = (w) => mark + (words.push(w) - 1);
  let json;
  try {
    json = JSON.stringify(value, function (key, v) {
      if (v === null && this[key] instanceof Date) return word("Invalid Date");
      if (v instanceof Number || v instanceof String || v instanceof Boolean || v instanceof BigInt) v = v.valueOf();
      const t = typeof v;
      if (t === "number") return Number.isFinite(v) ? v : word(String(v));
      if (t === "bigint") return word(digits ? String(v) : t);
      if (t === "function" || t === "symbol") return word(t);
      if (v === undefined && Array.isArray(this)) return word("undefined");
      return t === "string" && string ? string(v) : v;
    });
  } catch {
    return "unwritable";
  }
  if (json === undefined) return "undefined";
  if (!words.length) return json;
  const quoted = JSON.stringify(mark).slice(1, -1);
  return json.replaceAll(new RegExp(`"${quoted.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&")}(\\d+)"`, "g"), (_, i) => words[i]);
}

// A patch as body bytes, { body, value }: raw JSON bytes (Uint8Array, any
// ArrayBuffer view, or ArrayBuffer) are passed as they are and parsed by C
// like an HTTP body, so numbers keep every digit; anything else is written
// as JSON text by toJson, a BigInt as the word bigint (value: true, so C
// names such words). No patch at all is an empty body.
function patchBytes(patch) {
  if (patch instanceof ArrayBuffer) return { body: new Uint8Array(patch), value: false };
  if (ArrayBuffer.isView(patch)) return { body: new Uint8Array(patch.buffer, patch.byteOffset, patch.byteLength), value: false };
  return patch === undefined ? { body: new Uint8Array(0), value: false } : { body: utf8.encode(toJson(patch)), value: true };
}

// A string cut to the field limit + 1 (C refuses what is longer without it
// ever being copied whole), a surrogate pair the cut would split kept
// whole; a lone surrogate stays (JSON.stringify escapes it, C refuses it).
function cut(s, limit) {
  if (s.length <= limit) return s;
  const high = s.charCodeAt(limit) >= 0xd800 && s.charCodeAt(limit) < 0xdc00;
  return s.slice(0, limit + (high ? 2 : 1));
}

// An RPC call as the envelope C makes into the request it stands for
// (src/rpc.h): RPC /rpc/<method>, its id, options and (getChanges) since
// as JSON in x-cw-args, the patch as the body (x-cw-patch: value when
// toJson wrote it from a value, rather than bytes the caller gave). Every value goes as the
// caller gave it, written by toJson (a BigInt as its digits, a number;
// strings cut by cut()), so
// C judges it; but a lone surrogate in the id, which percent-encoding
// cannot write, goes as U+FFFD, which the id grammar refuses (invalid_id).
// A body over the body limit is never copied.
export function fromRpc(method, id, patch, options, since, limits) {
  const named = typeof id === "string" ? cut(id, limits.field).toWellFormed() : id;
  const args = toJson({ id: named, options, since }, { digits: true, string: (s) => cut(s, limits.field) });
  const { body, value } = patchBytes(patch); // none but syncState's: an empty body
  const headers = value ? [["x-cw-args", args], ["x-cw-patch", "value"]] : [["x-cw-args", args]];
  const b = bounded(headers, body, body.length, limits.body);
  return encode("RPC", `/rpc/${method}`, b.headers, b.body);
}

// A socket event as the envelope of C's WS /live route (src/live.h): the
// attachment C gave the socket, the event ("message" or "close"), a
// message's bytes, bounded like a body (a larger frame is stated in
// content-length, and C closes the socket), and a close's code.
export function socketEvent(attachment, event, message, limit, code) {
  const binary = message !== undefined && typeof message !== "string";
  const body = message === undefined ? new Uint8Array(0) : binary ? new Uint8Array(message) : utf8.encode(message);
  const headers = [
    ["x-cw-socket", attachment ?? ""],
    ["x-cw-event", event],
  ];
  if (binary) headers.push(["x-cw-binary", "1"]);
  if (code !== undefined) headers.push(["x-cw-code", String(code)]);
  const b = bounded(headers, body, body.length, limit);
  return encode("WS", "/live", b.headers, b.body);
}

// The request a warmup touch sends to the Durable Object of id (one of the
// ids C listed): a GET of its state.
export function touchRequest(id) {
  return encode("GET", `/state/${encodeURIComponent(id)}`, [], null);
}

// The request the cron trigger runs: the same warmup as POST /internal/warmup.
export function warmupRequest() {
  return encode("POST", "/internal/warmup", [], null);
}

// "name: value\r\n" lines as a Response's headers: a plain object (the
// cheapest form to hand over), or, when a name comes twice, Headers.
export function headersOf(head) {
  const h = {};
  let twice = false;
  for (const line of head.split("\r\n")) {
    const i = line.indexOf(": ");
    if (i <= 0) continue;
    const name = line.slice(0, i);
    if (name in h) twice = true;
    h[name] = line.slice(i + 2);
  }
  if (!twice) return h;
  const all = new Headers();
  for (const line of head.split("\r\n")) {
    const i = line.indexOf(": ");
    if (i > 0) all.append(line.slice(0, i), line.slice(i + 2));
  }
  return all;
}

// A final result as the HTTP response; a 101 carries the socket the
// Durable Object accepted (its client end).
export function toResponse(result) {
  const headers = headersOf(result.head);
  if (result.status === 101) return new Response(null, { status: 101, webSocket: result.socket, headers });
  // A null-body status (204, 205, 304) takes null, not an empty body.
  const none = result.status === 204 || result.status === 205 || result.status === 304;
  return new Response(none ? null : result.body, { status: result.status, headers });
}

// The RPC value: the body's object with the members C gave the call
// ({ ok, status, version?, replayed? }: cw_result.rpc).
//   { ok: true,  status: 200, id, version, state?, changes?, replayed? }
//   { ok: false, status, error: { code, message, request_id } }
// With as "text" the body stays the JSON text C wrote, byte for byte (no
// number is rounded through a JS double): { ok, status, version?,
// replayed?, text }. With as "stream" a successful answer's text is a
// ReadableStream of its bytes instead: { ok, status, version?, stream }
// (read from the document's rows as it is read, for one too large to
// hold whole); a refusal is as with "json". Only a bare 500 (the module
// could not run at all) has no body to merge.
export function toValue(result, as) {
  const value = result.rpc ? JSON.parse(result.rpc) : { ok: false, status: result.status };
  if (result.body instanceof ReadableStream) return { ...value, stream: result.body };
  if (as === "stream" && value.ok) return { ...value, stream: new Blob([result.body]).stream() };
  const body = typeof result.body === "string" ? result.body : text.decode(result.body);
  if (as === "text") return { ...value, text: body };
  return { ...value, ...(body ? JSON.parse(body) : { error: { code: "internal", message: "internal error", request_id: result.requestId ?? "" } }) };
}
