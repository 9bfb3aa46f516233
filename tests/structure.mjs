// The shape of the code, checked: src/ modules include only modules of a
// lower layer (the map in src/README.md), so the module graph stays a DAG; and only
// worker/layout.js reads the module's results out of wasm memory (the
// layout is written once on the JS side); and make help lists every
// target. Appends "structure <passed> <failed>" to argv[2].
import { appendFileSync, existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const results = process.argv[2];
let passed = 0;
let failed = 0;

function step(name, fn) {
  const problems = fn();
  if (problems.length === 0) {
    passed += 1;
    console.log(`  ok   structure.${name}`);
  } else {
    failed += 1;
    console.log(`  FAIL structure.${name}:\n${problems.map((p) => `       ${p}`).join("\n")}`);
  }
}

// src/README.md: "## Layer N: ..." headings, each followed by "- `mod` ..."
// lines, one per module.
const layerOf = new Map();
let layer = null;
for (const line of readFileSync(path.join(root, "src/README.md"), "utf8").split("\n")) {
  const h = line.match(/^## Layer (\d+)/);
  if (h) layer = Number(h[1]);
  const m = line.match(/^- `([a-z_0-9]+)` /);
  if (m && layer !== null) layerOf.set(m[1], layer);
}
const outside = new Set(["jansson", "jansson_config", "jansson_private", "jansson_private_config", "strbuffer", "manifest_table", "buildinfo_gen"]);

step("src_includes_only_lower_layers", () => {
  const problems = [];
  for (const file of readdirSync(path.join(root, "src")).filter((f) => /\.[ch]$/.test(f))) {
    const mod = file.replace(/\.[ch]$/, "");
    if (outside.has(mod)) continue;
    if (!layerOf.has(mod)) {
      problems.push(`${file}: module ${mod} is in no layer of src/README.md`);
      continue;
    }
    const text = readFileSync(path.join(root, "src", file), "utf8");
    for (const [, inc] of text.matchAll(/^#include "([a-z_0-9]+)\.h"/gm)) {
      if (inc === mod || outside.has(inc)) continue;
      if (!layerOf.has(inc)) problems.push(`${file}: includes ${inc}.h, which is in no layer`);
      else if (layerOf.get(inc) >= layerOf.get(mod))
        problems.push(`${file} (layer ${layerOf.get(mod)}) includes ${inc}.h (layer ${layerOf.get(inc)})`);
    }
  }
  return problems;
});

// One module prefix per file (STYLE 2): every function a header of src/
// declares is cw_<module>_<verb> (or cw_<module> itself), so a name says
// which file holds it.
step("each_header_declares_only_its_module_prefix", () => {
  const problems = [];
  for (const file of readdirSync(path.join(root, "src")).filter((f) => f.endsWith(".h"))) {
    const mod = file.slice(0, -2);
    const text = readFileSync(path.join(root, "src", file), "utf8").replace(/\/\*[\s\S]*?\*\//g, "");
    for (const [, name] of text.matchAll(/^(?:[a-z_]+[\s*]+)+?(cw_[a-z0-9_]+)\s*\(/gm))
      if (name !== `cw_${mod}` && !name.startsWith(`cw_${mod}_`)) problems.push(`src/${file} declares ${name}, not cw_${mod}_*`);
  }
  return problems;
});

// A number held as text is a Jansson string underneath (src/json.h): only
// json.c reads Jansson strings, and every other module goes through
// cw_json_string / cw_json_is_number, so no caller takes a number for a
// string (a token's {"sub":1.5} once passed as a sub).
// Every entry of the map is a module that exists, so the map cannot keep a
// module that was renamed or removed.
step("src_map_names_only_modules_that_exist", () =>
  [...layerOf.keys()].filter((m) => !existsSync(path.join(root, "src", `${m}.c`))).map((m) => `src/README.md lists ${m}, but src/${m}.c does not exist`),
);

step("only_json_c_reads_jansson_strings", () => {
  const problems = [];
  for (const file of readdirSync(path.join(root, "src")).filter((f) => /\.[ch]$/.test(f) && f !== "json.c")) {
    const text = readFileSync(path.join(root, "src", file), "utf8");
    for (const [fn] of text.matchAll(/\bjson_(?:string_value|string_length|is_string)\s*\(/g)) problems.push(`${file} calls ${fn.replace(/\s*\($/, "")}; use cw_json_string (json.h)`);
  }
  return problems;
});

step("only_layout_js_reads_results_from_wasm_memory", () => {
  const problems = [];
  const walk = (dir) =>
    (existsSync(path.join(root, dir)) ? readdirSync(path.join(root, dir), { withFileTypes: true }) : []).flatMap((e) =>
      e.isDirectory() ? (e.name === "node_modules" || e.name === "results" ? [] : walk(path.join(dir, e.name))) : [path.join(dir, e.name)],
    );
  for (const file of [...walk("worker"), ...walk("tests"), ...walk("bench"), ...walk("client"), ...walk("examples")].filter((f) => /\.(m?js|ts)$/.test(f))) {
    if (["layout.js", "bridge.js", "plugins.js"].some((f) => file === path.join("worker", f)) || file === path.join("tests", "structure.mjs")) continue;
    const text = readFileSync(path.join(root, file), "utf8");
    const touchesResults = /cw_handle|cw_owner|cw_resume|cw_result/.test(text);
    if (touchesResults && /getUint32|getInt32|new DataView/.test(text)) problems.push(`${file} reads a result's bytes itself; use worker/layout.js`);
    // Any view of a module's memory (reading its size is not one) is the
    // bridge's: bridge.js and layout.js for the core, plugins.js for the
    // plugins worker's modules. Two bench files are the exceptions:
    // bench/eager/entry.js, a measured variant that runs a throwaway
    // instance in global scope, and bench/platform/worker.js, which times
    // the platform's text calls on a memory of its own (no module).
    const exceptions = [path.join("bench", "eager", "entry.js"), path.join("bench", "platform", "worker.js")];
    if (/\bmemory\.buffer\b(?!\.byteLength)/.test(text) && !exceptions.includes(file))
      problems.push(`${file} makes a view of wasm memory; only worker/bridge.js and worker/layout.js may`);
  }
  return problems;
});

// make help prints a "#: <target> <what>" line of the Makefile for each
// target: every .PHONY target has exactly one, and no line names a target
// that is not one.
step("make_help_lists_every_target_once", () => {
  const text = readFileSync(path.join(root, "Makefile"), "utf8");
  const phony = text.match(/^\.PHONY:(.*)$/m)[1].trim().split(/\s+/);
  const listed = [...text.matchAll(/^#: (\S+)\s+\S/gm)].map((m) => m[1]);
  const problems = [];
  for (const t of phony) if (listed.filter((l) => l === t).length !== 1) problems.push(`make help has ${listed.filter((l) => l === t).length} lines for ${t}`);
  for (const t of listed) if (!phony.includes(t)) problems.push(`make help lists ${t}, which is no .PHONY target`);
  return problems;
});

console.log(`structure: ${passed} passed, ${failed} failed`);
appendFileSync(results, `structure ${passed} ${failed}\n`);
process.exit(failed ? 1 : 0);
