// The byte layouts that cross the C/JS boundary, written once on the JS side.
// C asserts the same offsets with _Static_assert (src/pipeline.h for
// cw_result, plugins/sdk/cwp.h for cwp_out). The glue, the tests and the
// bench all read results through this module and nothing else.
const text = new TextDecoder();

// cw_result: little-endian u32 fields; a slice is a (pointer, length) pair.
export const RESULT = {
  status: 0,
  head: 4,
  body: 12,
  commit: 20,
  forward: 28,
  request_id: 36,
  log: 44,
  action: 52,
  input: 56,
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
    commit: u32(RESULT.commit + 4) ? str(RESULT.commit) : null,
    forward: str(RESULT.forward),
    requestId: str(RESULT.request_id),
    log: str(RESULT.log),
    action: u32(RESULT.action),
    input: bytes(RESULT.input),
  };
}

// The numbers of the boundary (src/pipeline.h, src/exports.c).
// What a suspended result asks the host for (cw_result.action).
export const ACTION = { none: 0, forward: 1, touch: 2, plugins: 3, call: 4, wait: 5 };
// The status a forward is resumed with when the owner gave no answer.
export const OWNER = { failed: 0, timeout: 2 };
// cw_handle / cw_owner flags.
export const FLAG = { scheduled: 1, waited: 2 };
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

// The NUL-terminated UTF-8 string at ptr (it may run to the end of memory).
export function cstring(memory, ptr) {
  const mem = new Uint8Array(memory.buffer);
  let end = ptr;
  while (end < mem.length && mem[end]) end++;
  return text.decode(mem.subarray(ptr, end));
}
