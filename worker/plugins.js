// The plugins worker: a worker of its own, which the core reaches through
// its PLUGINS service binding (worker/edge.js), so its modules are decoded
// and compiled in its own isolate, on its first use, and never at the
// core's cold start. Its entry is generated (scripts/plugins.mjs) and hands
// pluginsWorker() this build's plugin modules and the contract module.
//
// This file is the JS half of the plugin ABI (plugins/sdk/cwp.h) and of the
// contract module (exports.c, CW_CONTRACT_MODULE). It instantiates plugin
// modules, reads their contract exports and calls them; everything else is
// C's (src/plugin_registry.h): whether a plugin may be used or must be loaded
// first, the contract check, each plugin's state (unloaded, loaded,
// refused, failed), what is logged and what the registry reports. One
// instance per plugin and isolate is kept until it is unloaded or traps.
import { WorkerEntrypoint } from "cloudflare:workers";
import { copyIn, cstring, readPluginOut, utf8 } from "./layout.js";

// Plugin ABI 1 exports, in the bit order of src/plugin_contract.h CW_PLUGIN_EXPORTS.
const EXPORTS = ["memory", "cwp_abi", "cwp_name", "cwp_version", "cwp_caps", "cwp_alloc", "cwp_route", "cwp_sync"];
// cw_plugin_use's answers (src/plugin_registry.h CW_USE_*).
const USE = { live: 0, load: 1, no: 2 };

export function pluginsWorker(modules, contractModule) {
  const live = new Map(); // name -> the instance's exports
  let contract = null; // the contract module's exports, once instantiated

  // Calls export fn of the contract module with args (strings go in as
  // pointer and length); returns its result, and prints the log lines of
  // what it decided. A failure inside the contract module discards its
  // instance.
  function registry(fn, ...args) {
    const ptrs = [];
    let x;
    try {
      if (!contract) {
        x = new WebAssembly.Instance(contractModule, {}).exports;
        x._initialize();
        contract = x;
      }
      x = contract;
      const flat = args.flatMap((a) => {
        if (typeof a !== "string") return [a];
        const bytes = utf8.encode(a);
        const p = copyIn(x.memory, x.cw_alloc, bytes, "contract module: no memory");
        ptrs.push(p);
        return [p, bytes.length];
      });
      const out = x[fn](...flat);
      const lines = cstring(x.memory, x.cw_plugin_log());
      if (lines) for (const line of lines.split("\n")) console.log(line);
      return out;
    } catch (e) {
      contract = null;
      throw e;
    } finally {
      if (contract) ptrs.forEach((p) => x.cw_dealloc(p));
    }
  }
  const text = (ptr) => (ptr ? cstring(contract.memory, ptr) : null);

  // The live instance of plugin name, instantiating and checking it when
  // C says so. Throws (and keeps nothing) when it cannot be used.
  function load(name) {
    const use = registry("cw_plugin_use", name);
    if (use === USE.no) throw new Error(text(contract.cw_plugin_why()));
    if (use === USE.live && live.has(name)) return live.get(name);
    live.delete(name);
    const module = modules[name];
    // An export counts only with the right kind: memory, else a function.
    const kinds = new Map(WebAssembly.Module.exports(module).map((d) => [d.name, d.kind]));
    const mask = EXPORTS.reduce((m, n, i) => (kinds.get(n) === (i ? "function" : "memory") ? m | (1 << i) : m), 0);
    let x;
    let why;
    try {
      x = new WebAssembly.Instance(module, {}).exports;
    } catch (err) {
      registry("cw_plugin_failed", name, `instantiate: ${err.message}`);
      throw err;
    }
    try {
      // Contract values: an i32 (anything else reads as -1) and strings.
      const has = (n) => typeof x[n] === "function" && x.memory instanceof WebAssembly.Memory;
      const int = (n) => {
        const v = has(n) ? x[n]() : -1;
        return typeof v === "number" && Number.isInteger(v) ? v : -1;
      };
      const str = (n) => (has(n) ? cstring(x.memory, x[n]() >>> 0) : "");
      why = text(registry("cw_plugin_check", name, str("cwp_name").slice(0, 64), str("cwp_version").slice(0, 64), int("cwp_abi"), int("cwp_caps"), mask));
      if (!why) x._initialize?.();
    } catch (err) {
      registry("cw_plugin_failed", name, `contract exports: ${err.message}`);
      throw err;
    }
    if (why) throw new Error(why);
    live.set(name, x);
    return x;
  }

  return class Plugins extends WorkerEntrypoint {
    // CW_ACTION_PLUGINS: "list", "load" (every plugin) or "unload <name>".
    // Answers with the registry entries, as a JSON array.
    registry(op) {
      const [verb, name = ""] = String(op).split(" ");
      if (verb === "load")
        for (const n of Object.keys(modules))
          try {
            load(n);
          } catch {} // recorded in the registry
      if (verb === "unload" && registry("cw_plugin_unload", name)) live.delete(name);
      const report = text(registry("cw_plugin_report", verb === "unload" ? name : ""));
      if (report === null) return { status: 500, body: utf8.encode("the registry is out of memory") };
      return { status: 200, body: utf8.encode(verb === "unload" && !name ? "[]" : report) };
    }

    // CW_ACTION_CALL: runs entry point "<name> <route|sync>" on input. Answers
    // the plugin's status and body; status 1 when it cannot be used, 0 when
    // it trapped (only its instance is dropped), with the reason as body.
    call(what, input) {
      const [name, entry] = String(what).split(" ");
      let x;
      try {
        if (!Object.hasOwn(modules, name) || (entry !== "route" && entry !== "sync")) throw new Error("not in this build");
        x = load(name);
      } catch (err) {
        return { status: 1, body: utf8.encode(err.message) };
      }
      try {
        const p = copyIn(x.memory, x.cwp_alloc, input, "no memory for the input");
        const out = readPluginOut(x.memory, x[`cwp_${entry}`](p, input.length));
        return { status: out.status < 2 ? 2 : out.status, body: out.body };
      } catch (err) {
        const cause = `trap in ${entry}: ${err.message}`;
        live.delete(name);
        registry("cw_plugin_failed", name, cause);
        return { status: 0, body: utf8.encode(cause) };
      }
    }
  };
}
