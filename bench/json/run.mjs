// JSON throughput: Jansson inside wasm, including the bridge (encode, copy
// in, parse; dump, copy out, decode), against V8's JSON.parse/stringify, for
// ~1 KB, ~64 KB and ~1 MB documents. Prints one JSON array.
import { readFileSync } from "node:fs";

const x = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(new URL("../../build/bench/json.wasm", import.meta.url))), {}).exports;
x._initialize();
x.jb_init(0x9e3779b9);
const utf8 = new TextEncoder();
const text = new TextDecoder();

function doc(target) {
  const items = [];
  let size = 2;
  for (let i = 0; size < target; i++) {
    const item = { id: i, name: `item-${i}`, price: Math.round(i * 37.5) / 100, tags: ["a", "bb", `t${i % 7}`], ok: i % 3 === 0, meta: { depth: i % 5, note: null } };
    size += JSON.stringify(item).length + 1;
    items.push(item);
  }
  return JSON.stringify({ items });
}

function rate(bytes, fn) {
  fn();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 400) {
    fn();
    n++;
  }
  return (bytes * n) / ((performance.now() - t0) / 1000) / 1e6;
}

const out = [];
for (const [label, target] of [["1 KB", 1024], ["64 KB", 65536], ["1 MB", 1 << 20]]) {
  const src = doc(target);
  const bytes = utf8.encode(src).length;
  const obj = JSON.parse(src);
  let handle = 0;
  const parseWasm = () => {
    const b = utf8.encode(src);
    const p = x.jb_alloc(b.length);
    new Uint8Array(x.memory.buffer, p, b.length).set(b);
    if (handle) x.jb_decref(handle);
    handle = x.jb_parse(p, b.length);
    x.jb_free(p);
    if (!handle) throw new Error("jansson could not parse the document");
  };
  const lenp = x.jb_alloc(4);
  const dumpWasm = () => {
    const s = x.jb_dump(handle, lenp);
    const n = new DataView(x.memory.buffer).getUint32(lenp, true);
    const str = text.decode(new Uint8Array(x.memory.buffer, s, n));
    x.jb_free(s);
    if (str.length < 2) throw new Error("empty dump");
  };
  const jp = rate(bytes, parseWasm);
  const vp = rate(bytes, () => JSON.parse(src));
  const js = rate(bytes, dumpWasm);
  const vs = rate(bytes, () => JSON.stringify(obj));
  x.jb_decref(handle);
  x.jb_free(lenp);
  const r = (a) => Number(a.toFixed(1));
  out.push({ size: label, bytes, jansson_parse_mb_s: r(jp), v8_parse_mb_s: r(vp), parse_ratio: Number((jp / vp).toFixed(3)), jansson_serialize_mb_s: r(js), v8_stringify_mb_s: r(vs), serialize_ratio: Number((js / vs).toFixed(3)) });
}
console.log(JSON.stringify(out));
