// The byte layouts that cross the C/JS boundary, written once on the JS side.
// C asserts the same offsets with _Static_assert (src/pipeline.h for
// cw_result, src/port.h for cw_cell and cw_port_out, plugins/sdk/cwp.h for
// cwp_out). The glue, the tests and the bench all read them through this
// module and nothing else.
// The one encoder and decoders of the glue. strict refuses what is not
// UTF-8 (it throws): for text the module made, which is always UTF-8, so a
// slip is a failure, never a silent change.
export const text = new TextDecoder();
export const strict = new TextDecoder("utf-8", { fatal: true });
export const utf8 = new TextEncoder();

// The largest final answer's body read as a string; a larger one is read
// as bytes. workerd hands a short string to RPC and a Response for less
// CPU than bytes, and a long one for more: per GET served from the held
// answer, a string costs 16 us less at 1 KB, the same at 16 KB, and 16-20
// us more at 64 KB (bench/cpu.mjs, docs/performance.md).
export const TEXT_MAX = 16384;

// Views of a memory's buffer, made again only for another memory (a new
// instance's) or when it has grown: growing detaches the old buffer, and a
// view of a detached buffer has length 0. Reading memory.buffer on every
// call would cost a lookup of its backing store each time.
let viewed = null;
let current = null; // { u8, u32, f64 } of viewed's buffer
export function views(memory) {
  if (viewed !== memory || current.u8.length === 0) {
    const b = memory.buffer;
    viewed = memory;
    current = { u8: new Uint8Array(b), u32: new Uint32Array(b), f64: new Float64Array(b) };
  }
  return current;
}

// An empty byte slice, for answers without a body.
export const EMPTY = new Uint8Array(0);

// cw_result: u32 fields (a slice is a pointer and a length), hold a double.
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
  flags: 68,
  rpc: 72,
  hold: 80,
};

// Reads the cw_result at r in memory (a WebAssembly.Memory). Strings are
// decoded, byte slices copied, but input: a view of wasm memory, valid only
// until the module runs again (read it at once, or copy it). A final
// answer's body is text (the module writes only UTF-8): a string, strictly
// decoded, up to TEXT_MAX bytes, bytes past it, with its length in bytes;
// a suspended one's (an envelope it built), or the first piece of a
// streamed one, is bytes.
export function readResult(memory, r) {
  const { u8, u32, f64 } = views(memory);
  const w = r >>> 2;
  const str = (o) => (u32[w + o / 4 + 1] ? text.decode(u8.subarray(u32[w + o / 4], u32[w + o / 4] + u32[w + o / 4 + 1])) : "");
  const bytes = (o) => (u32[w + o / 4 + 1] ? u8.slice(u32[w + o / 4], u32[w + o / 4] + u32[w + o / 4 + 1]) : EMPTY);
  const at = u32[w + RESULT.body / 4];
  const length = u32[w + RESULT.body / 4 + 1];
  const asText = !(u32[w + RESULT.action / 4] || u32[w + RESULT.flags / 4] & RESULT_FLAG.stream) && length <= TEXT_MAX;
  return {
    status: u32[w],
    head: str(RESULT.head),
    body: !asText ? bytes(RESULT.body) : length ? strict.decode(u8.subarray(at, at + length)) : "",
    length,
    action: u32[w + RESULT.action / 4],
    ask: str(RESULT.ask),
    input: u8.subarray(u32[w + RESULT.input / 4], u32[w + RESULT.input / 4] + u32[w + RESULT.input / 4 + 1]),
    requestId: str(RESULT.request_id),
    log: str(RESULT.log),
    keep: u32[w + RESULT.keep / 4],
    frames: bytes(RESULT.frames),
    flags: u32[w + RESULT.flags / 4],
    rpc: str(RESULT.rpc),
    hold: f64[(r + RESULT.hold) >>> 3],
  };
}

// The body and frames of the cw_result at r as bytes (copies): a streamed
// answer's next piece, { piece, frames }.
export function readPiece(memory, r) {
  const { u8, u32 } = views(memory);
  const slice = (o) => u8.slice(u32[(r + o) >>> 2], u32[(r + o) >>> 2] + u32[(r + o + 4) >>> 2]);
  return { piece: slice(RESULT.body), frames: slice(RESULT.frames) };
}

// cw_cell: a u32 type, a u32 byte length, a double (an integer, or the
// address of the bytes). A value: null, a number, a string (TEXT) or an
// Uint8Array (BLOB).
export const CELL = { size: 16, type: 0, len: 4, value: 8 };
export const VAL = { null: 0, int: 1, text: 2, blob: 3 };
// cw_port_out: u32 rows, u32 cols, u32 the cells' address.
export const PORT_OUT = { rows: 0, cols: 4, cells: 8 };

// The n cells at p as values. A BLOB is a view of the module's memory,
// valid only until the module runs again (the host hands it to SQLite at
// once, which copies it).
export function readCells(memory, p, n) {
  const { u8, u32, f64 } = views(memory);
  const out = new Array(n);
  for (let i = 0; i < n; i++, p += CELL.size) {
    const type = u32[p >>> 2];
    const v = f64[(p + CELL.value) >>> 3];
    if (type === VAL.int) out[i] = v;
    else if (type === VAL.text) out[i] = text.decode(u8.subarray(v, v + u32[(p >>> 2) + 1]));
    else if (type === VAL.blob) out[i] = u8.subarray(v, v + u32[(p >>> 2) + 1]);
    else out[i] = null;
  }
  return out;
}

// Writes rows (arrays of values, each row as long as the first) into a
// block from alloc(n) and their shape into the cw_port_out at out. Strings
// are written as TEXT, ArrayBuffers and views as BLOB, numbers as INT.
export function writeRows(memory, alloc, rows, out) {
  const cols = rows.length ? rows[0].length : 0;
  const cells = rows.length * cols;
  let data = 0;
  const enc = new Array(cells);
  for (let r = 0, i = 0; r < rows.length; r++)
    for (let c = 0; c < cols; c++, i++) {
      const v = rows[r][c];
      if (typeof v === "string") data += (enc[i] = utf8.encode(v)).length;
      else if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) data += (enc[i] = new Uint8Array(v.buffer ?? v, v.byteOffset ?? 0, v.byteLength)).length;
    }
  const block = cells ? alloc(cells * CELL.size + data) : 0;
  if (cells && !block) throw new Error("no memory for the rows");
  const { u8, u32, f64 } = views(memory);
  let at = block + cells * CELL.size;
  for (let r = 0, i = 0, p = block; r < rows.length; r++)
    for (let c = 0; c < cols; c++, i++, p += CELL.size) {
      const v = rows[r][c];
      const e = enc[i];
      if (e) {
        u32[p >>> 2] = typeof v === "string" ? VAL.text : VAL.blob;
        u32[(p >>> 2) + 1] = e.length;
        f64[(p + CELL.value) >>> 3] = at;
        u8.set(e, at);
        at += e.length;
      } else if (typeof v === "number" || typeof v === "bigint") {
        u32[p >>> 2] = VAL.int;
        f64[(p + CELL.value) >>> 3] = Number(v);
      } else {
        u32[p >>> 2] = VAL.null;
      }
    }
  u32[(out + PORT_OUT.rows) >>> 2] = rows.length;
  u32[(out + PORT_OUT.cols) >>> 2] = cols;
  u32[(out + PORT_OUT.cells) >>> 2] = block;
}

// A result's frames (src/pipeline.h CW_FRAME_*): records of four u32
// (op, target, code, length) and the bytes, padded to 4. Returns
// [{ op, target, code, bytes }].
export function readFrames(bytes) {
  const out = [];
  const w = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2);
  for (let at = 0; at + 16 <= bytes.length; ) {
    const k = at >>> 2;
    const n = w[k + 3];
    out.push({ op: w[k], target: w[k + 1], code: w[k + 2], bytes: bytes.subarray(at + 16, at + 16 + n) });
    at += 16 + ((n + 3) & ~3);
  }
  return out;
}

// The numbers of the boundary (src/pipeline.h, src/port.h, src/exports.c).
// What a suspended result asks the host for (cw_result.action).
export const ACTION = { none: 0, forward: 1, touch: 2, plugins: 3, call: 4, wait: 5, upgrade: 6, hmac: 7 };
// What a frame record asks of the object's sockets.
export const FRAME = { text: 1, to: 2, close: 3, sender: 0xffffffff, accepted: 0xfffffffe };
// cw_result.flags, and the length a kept answer of no known length is
// resumed with.
export const RESULT_FLAG = { held: 2, stream: 4, unsized: 8 };
export const KEPT_UNSIZED = 0xffffffff;
// The host port's operations past the storage statements, and the flags of
// a listed socket.
export const PORT = { sockets: 100, attach: 101, accept: 102, commit: 103 };

// A PORT.commit batch, as values (readCells): per statement its number,
// its parameter count n and its n parameters. Returns [[statement,
// params]].
export function batchStatements(cells) {
  const out = [];
  for (let i = 0; i < cells.length; ) {
    const n = cells[i + 1];
    out.push([cells[i], cells.slice(i + 2, i + 2 + n)]);
    i += 2 + n;
  }
  return out;
}
export const SOCKET = { open: 1, sender: 2 };
// The status a forward is resumed with when the owner gave no answer.
export const OWNER = { failed: 0, timeout: 2 };
// cw_handle / cw_owner flags, and the stages of cw_failed.
export const FLAG = { scheduled: 1, waited: 2, rpc: 4, socket: 8, accepted: 32 };
export const STAGE = { edge: 1, owner: 2 };
// The kinds of cw_limit(kind).
export const LIMIT = { body: 0, field: 1, deadline: 2, stream: 3, contended: 4, frame: 5 };

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
  views(memory).u8.set(bytes, p);
  return p;
}

// The bytes parts (strings, Uint8Arrays, or null for none) take in UTF-8:
// exactly when every string is ASCII (wide = 1), at most with wide = 3.
export function inputBound(parts, wide) {
  let n = 0;
  for (const p of parts) n += typeof p === "string" ? p.length * wide : p ? p.length : 0;
  return n;
}

// Writes parts one after the other at base (a block of size bytes in
// memory), strings as UTF-8 with encodeInto (no copy of their own).
// Returns [pointer, length] of each, flattened, or null when they did not
// fit (a string was not ASCII; ask for inputBound(parts, 3)).
export function writeInputs(memory, base, size, parts) {
  const { u8 } = views(memory);
  const out = [];
  const end = base + size;
  let at = base;
  for (const p of parts) {
    let n = 0;
    if (typeof p === "string") {
      const r = utf8.encodeInto(p, u8.subarray(at, end));
      if (r.read < p.length) return null;
      n = r.written;
    } else if (p) {
      if (at + p.length > end) return null;
      u8.set(p, at);
      n = p.length;
    }
    out.push(at, n);
    at += n;
  }
  return out;
}


// The NUL-terminated UTF-8 string at ptr (it may run to the end of memory).
export function cstring(memory, ptr) {
  const mem = new Uint8Array(memory.buffer);
  const end = mem.indexOf(0, ptr);
  return text.decode(mem.subarray(ptr, end < 0 ? mem.length : end));
}
