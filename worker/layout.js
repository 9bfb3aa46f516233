// The byte layouts that cross the C/JS boundary, written once on the JS side.
// C asserts the same offsets with _Static_assert (src/pipeline.h for
// cw_result, plugins/sdk/cwp.h for cwp_out). The glue, the tests and the
// bench all read results through this module and nothing else.
// The one encoder and decoder of the glue.
export const text = new TextDecoder();
export const utf8 = new TextEncoder();

// cw_result: little-endian u32 fields; a slice is a (pointer, length) pair.
export const RESULT = {
  status: 0,
  head: 4,
  body: 12,
  action: 20,
  ask: 24,
  input: 32,
  request_id: 40,
  log: 48,
  keep: 56,
  frames: 60,
};

// Reads the cw_result at r in memory (a WebAssembly.Memory). Strings are
// decoded, byte slices copied: nothing returned points into wasm memory.
export function readResult(memory, r) {
  const v = new DataView(memory.buffer);
  const u32 = (o) => v.getUint32(r + o, true);
  const bytes = (o) => new Uint8Array(memory.buffer, u32(o), u32(o + 4)).slice();
  const str = (o) => (u32(o + 4) ? text.decode(new Uint8Array(memory.buffer, u32(o), u32(o + 4))) : "");
  return {
    status: u32(RESULT.status),
    head: str(RESULT.head),
    body: bytes(RESULT.body),
    action: u32(RESULT.action),
    ask: str(RESULT.ask),
    input: bytes(RESULT.input),
    requestId: str(RESULT.request_id),
    log: str(RESULT.log),
    keep: u32(RESULT.keep),
    frames: bytes(RESULT.frames),
  };
}

// A result's socket operations (src/pipeline.h CW_FRAME_*): records of a u8
// op, a u32 length and that many bytes of text. Returns [{ op, text }].
export function readFrames(bytes) {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = [];
  for (let at = 0; at + 5 <= bytes.length; ) {
    const n = v.getUint32(at + 1, true);
    out.push({ op: bytes[at], text: text.decode(bytes.subarray(at + 5, at + 5 + n)) });
    at += 5 + n;
  }
  return out;
}

// A storage batch (src/store.h): u32 count, then records of u32 statement,
// u32 nparams and the values; a value is a u8 type (0 NULL, 1 INT as i64,
// 2 TEXT as u32 length + UTF-8). Returns [{ stmt, params }].
export function readBatch(bytes) {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  const u32 = () => ((at += 4), v.getUint32(at - 4, true));
  const out = [];
  for (let count = u32(); count > 0; count--) {
    const stmt = u32();
    const params = [];
    for (let n = u32(); n > 0; n--) {
      const type = v.getUint8(at++);
      if (type === 1) {
        params.push(Number(v.getBigInt64(at, true)));
        at += 8;
      } else if (type === 2) {
        const len = u32();
        params.push(text.decode(bytes.subarray(at, at + len)));
        at += len;
      } else {
        params.push(null);
      }
    }
    out.push({ stmt, params });
  }
  return out;
}

// The rows of each statement of a read batch, as C reads them: for each,
// u32 nrows, u32 ncols, then the values row by row. results: an array of
// raw row arrays (cursor.raw()); numbers are integers, strings are text.
export function writeRows(results) {
  // Typed arrays are in the platform's byte order: little-endian wherever
  // Workers run, as C reads them.
  const parts = [];
  const u32 = (x) => parts.push(new Uint8Array(Uint32Array.of(x).buffer));
  for (const rows of results) {
    u32(rows.length);
    u32(rows[0]?.length ?? 0);
    for (const row of rows)
      for (const cell of row) {
        if (cell == null) parts.push([0]);
        else if (typeof cell === "string") {
          const t = utf8.encode(cell);
          parts.push([2]);
          u32(t.length);
          parts.push(t);
        } else parts.push([1], new Uint8Array(BigInt64Array.of(BigInt(cell)).buffer));
      }
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}

// The numbers of the boundary (src/pipeline.h, src/exports.c).
// What a suspended result asks the host for (cw_result.action).
export const ACTION = { none: 0, forward: 1, touch: 2, plugins: 3, call: 4, wait: 5, read: 6, commit: 7, upgrade: 8, accept: 9, peers: 10, hmac: 11 };
// What a frame record asks of the object's sockets (cw_result.frames).
export const FRAME = { sender: 0, others: 1, all: 2, attach: 3, close: 4, join: 5 };
// The status a forward is resumed with when the owner gave no answer.
export const OWNER = { failed: 0, timeout: 2 };
// cw_handle / cw_owner flags.
export const FLAG = { scheduled: 1, waited: 2, rpc: 4 };
// The kinds of cw_limit(kind).
export const LIMIT = { body: 0, field: 1, deadline: 2 };

// cwp_out, a plugin entry point's answer: status, then the body slice.
export const PLUGIN_OUT = { status: 0, body: 4 };

export function readPluginOut(memory, r) {
  const v = new DataView(memory.buffer);
  const p = v.getUint32(r + PLUGIN_OUT.body, true);
  const n = v.getUint32(r + PLUGIN_OUT.body + 4, true);
  return { status: v.getUint32(r + PLUGIN_OUT.status, true), body: new Uint8Array(memory.buffer, p, n).slice() };
}

// Copies bytes into memory at the block alloc(length) returns, reading the
// buffer after the allocation (which may grow it); throws Error(why) when
// alloc gives none. Returns the block.
export function copyIn(memory, alloc, bytes, why) {
  const p = alloc(bytes.length);
  if (!p) throw new Error(why);
  new Uint8Array(memory.buffer, p, bytes.length).set(bytes);
  return p;
}

// An empty byte slice, for answers without a body.
export const EMPTY = new Uint8Array(0);

// The NUL-terminated UTF-8 string at ptr (it may run to the end of memory).
export function cstring(memory, ptr) {
  const mem = new Uint8Array(memory.buffer);
  let end = ptr;
  while (end < mem.length && mem[end]) end++;
  return text.decode(mem.subarray(ptr, end));
}
