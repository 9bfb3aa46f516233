// Memory a state takes in the module, per MiB of its JSON text: as a Jansson
// tree (what a parse of the whole document would hold) and as member texts
// (what the owner's cache holds, src/doc.h). Uses build/bench/json.wasm,
// which links the product's allocator and JSON code. Two shapes: many small
// members (a document of fields), and one big member (an array of records).
// Prints one JSON line: { "<shape>": { text_bytes, tree_per_mib, members_per_mib } }.
import { readFileSync } from "node:fs";

const x = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(new URL("../../build/bench/json.wasm", import.meta.url))), {}).exports;
x._initialize();
x.jb_init(0x9e3779b9);
const utf8 = new TextEncoder();
const MiB = 1 << 20;

function fields() {
  const o = {};
  for (let i = 0; JSON.stringify(o).length < MiB; i++) o[`k${String(i).padStart(6, "0")}`] = "v".repeat(88);
  return JSON.stringify(o);
}
function records() {
  const items = [];
  for (let i = 0; JSON.stringify(items).length < MiB; i++)
    items.push({ id: i, name: `item-${i}`, price: Math.round(i * 37.5) / 100, tags: ["a", "bb", `t${i % 7}`], ok: i % 3 === 0, meta: { depth: i % 5, note: null } });
  return JSON.stringify({ items });
}

const out = {};
for (const [shape, src] of [["fields", fields()], ["records", records()]]) {
  const b = utf8.encode(src);
  const p = x.jb_alloc(b.length);
  new Uint8Array(x.memory.buffer, p, b.length).set(b);
  const base = x.jb_live();
  const tree = x.jb_parse(p, b.length);
  const treeBytes = x.jb_live() - base;
  x.jb_free(p);
  const before = x.jb_live();
  const members = x.jb_members(tree);
  const memberBytes = x.jb_live() - before;
  x.jb_decref(tree);
  x.jb_decref(members);
  out[shape] = {
    text_bytes: b.length,
    tree_per_mib: Math.round((treeBytes / b.length) * MiB),
    members_per_mib: Math.round((memberBytes / b.length) * MiB),
    wasm_memory_bytes: x.memory.buffer.byteLength,
  };
}
console.log(JSON.stringify(out));
