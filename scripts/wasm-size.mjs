// Size report for a wasm module: raw/gzip bytes, bytes per section, the
// largest functions (names from a copy built with a name section), and the
// imports. Usage: node scripts/wasm-size.mjs stripped.wasm [named.wasm] [--json]
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";

const SECTIONS = ["custom", "type", "import", "function", "table", "memory", "global", "export", "start", "element", "code", "data", "datacount"];

function leb(buf, at) {
  let v = 0, shift = 0, b;
  do {
    b = buf[at++];
    v += (b & 0x7f) * 2 ** shift;
    shift += 7;
  } while (b & 0x80);
  return [v, at];
}

function name(buf, at) {
  const [n, p] = leb(buf, at);
  return [buf.subarray(p, p + n).toString("utf8"), p + n];
}

// `gzip -9` over stdin: the same measure everywhere, with no file name stored.
export function gzip9(buf) {
  return execFileSync("gzip", ["-9", "-c"], { input: buf, maxBuffer: 1 << 28 }).length;
}

export function parse(buf) {
  const out = { sections: [], imports: [], bodies: [], names: new Map(), importedFuncs: 0 };
  let at = 8;
  while (at < buf.length) {
    const id = buf[at];
    const [size, p] = leb(buf, at + 1);
    const end = p + size;
    let label = SECTIONS[id] ?? `id${id}`;
    if (id === 0) {
      const [n] = name(buf, p);
      label = `custom:${n}`;
      if (n === "name") parseNames(buf, p, end, out);
    }
    if (id === 2) {
      let [count, q] = leb(buf, p);
      for (let i = 0; i < count; i++) {
        let mod, field;
        [mod, q] = name(buf, q);
        [field, q] = name(buf, q);
        const kind = buf[q++];
        if (kind === 0) {
          [, q] = leb(buf, q);
          out.importedFuncs++;
        } else if (kind === 1) {
          q += 1;
          const flags = buf[q++];
          [, q] = leb(buf, q);
          if (flags & 1) [, q] = leb(buf, q);
        } else if (kind === 2) {
          const flags = buf[q++];
          [, q] = leb(buf, q);
          if (flags & 1) [, q] = leb(buf, q);
        } else if (kind === 3) q += 2;
        out.imports.push({ module: mod, name: field, kind: ["func", "table", "memory", "global", "tag"][kind] });
      }
    }
    if (id === 10) {
      out.code = buf.subarray(p, end);
      let [count, q] = leb(buf, p);
      for (let i = 0; i < count; i++) {
        const [len, r] = leb(buf, q);
        out.bodies.push(r + len - q);
        q = r + len;
      }
    }
    out.sections.push({ name: label, bytes: end - at });
    at = end;
  }
  return out;
}

function parseNames(buf, p, end, out) {
  let [, q] = name(buf, p);
  while (q < end) {
    const sub = buf[q++];
    const [len, r] = leb(buf, q);
    if (sub === 1) {
      let [count, s] = leb(buf, r);
      for (let i = 0; i < count; i++) {
        let idx, n;
        [idx, s] = leb(buf, s);
        [n, s] = name(buf, s);
        out.names.set(idx, n);
      }
    }
    q = r + len;
  }
}

export function report(strippedPath, namedPath) {
  const buf = readFileSync(strippedPath);
  const info = parse(buf);
  const named = namedPath ? parse(readFileSync(namedPath)) : info;
  const funcs = named.bodies
    .map((bytes, i) => ({ name: named.names.get(i + named.importedFuncs) ?? `func${i + named.importedFuncs}`, bytes }))
    .sort((a, b) => b.bytes - a.bytes);
  return {
    file: strippedPath,
    raw_bytes: buf.length,
    gzip_bytes: gzip9(buf),
    sections: info.sections,
    functions: info.bodies.length,
    largest: funcs.slice(0, 20),
    imports: info.imports,
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const args = process.argv.slice(2).filter((a) => a !== "--json");
  const r = report(args[0], args[1]);
  if (process.argv.includes("--json")) {
    console.log(JSON.stringify(r, null, 2));
  } else {
    console.log(`${r.file}: ${r.raw_bytes} bytes raw, ${r.gzip_bytes} bytes gzip -9, ${r.functions} functions`);
    console.log("\nsections:");
    for (const s of r.sections) console.log(`  ${s.name.padEnd(20)} ${String(s.bytes).padStart(7)}`);
    console.log("\nlargest functions:");
    for (const f of r.largest) console.log(`  ${String(f.bytes).padStart(7)}  ${f.name}`);
    console.log(`\nimports (${r.imports.length}):`);
    for (const i of r.imports) console.log(`  ${i.module}.${i.name} (${i.kind})`);
  }
}
