// The plugins worker: a worker of its own, which the core reaches through
// its PLUGINS service binding (worker/edge.js), so its modules are decoded
// and compiled in its own isolate, on its first use, and never at the
// core's cold start. Its entry is generated (scripts/plugins.mjs) and hands
// pluginsWorker() this build's plugin modules and the contract module.
//
// This file is the JS half of the plugin ABI (plugins/sdk/cwp.h) and of the
// contract module (exports.c, CW_CONTRACT_MODULE). Every plugin in the
// manifest has a registry entry; none is instantiated until first use, and
// then one instance per isolate is kept until it is unloaded or traps.
// Decisions are C's: before first use the plugin's exports are read and
// handed to cw_plugin_check (src/contract.c), and a refused plugin is
// dropped whole, never half-loaded.
//   state: unloaded | loaded | refused (contract) | failed (instantiation
//   failed, or its instance trapped and was dropped; the next use retries)
import { WorkerEntrypoint } from "cloudflare:workers";
import { copyIn, cstring, readPluginOut, utf8 } from "./layout.js";

// Plugin ABI 1 exports, in the bit order of src/contract.h CW_PLUGIN_EXPORTS.
const EXPORTS = ["memory", "cwp_abi", "cwp_name", "cwp_version", "cwp_caps", "cwp_alloc", "cwp_route", "cwp_sync"];

export function pluginsWorker(modules, contractModule) {
  const registry = new Map(
    Object.keys(modules).map((name) => [name, { name, version: null, abi: null, state: "unloaded", loads: 0, last_error: null }]),
  );
  const live = new Map(); // name -> the instance's exports
  let contract = null; // the contract module's exports, once instantiated

  // cw_plugin_check: null when accepted, else why the plugin is refused. A
  // failure inside the contract module discards its instance.
  function check(...args) {
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
      const why = x.cw_plugin_check(...flat);
      return why ? cstring(x.memory, why) : null;
    } catch (e) {
      contract = null;
      throw e;
    } finally {
      if (contract) ptrs.forEach((p) => x.cw_dealloc(p));
    }
  }

  function set(e, state, error) {
    live.delete(e.name);
    e.state = state;
    e.last_error = error;
    const level = state === "unloaded" ? "info" : "error";
    console[level](JSON.stringify({ level, msg: `plugin ${state}`, plugin: e.name, state, cause: error }));
  }

  // The live instance of e, instantiating and checking it on first use.
  // Throws (and leaves nothing behind) when the plugin cannot be used.
  function load(e) {
    let x = live.get(e.name);
    if (x) return x;
    if (e.state === "refused") throw new Error(e.last_error);
    const module = modules[e.name];
    // An export counts only with the right kind: memory, else a function.
    const kinds = new Map(WebAssembly.Module.exports(module).map((d) => [d.name, d.kind]));
    const mask = EXPORTS.reduce((m, n, i) => (kinds.get(n) === (i ? "function" : "memory") ? m | (1 << i) : m), 0);
    try {
      x = new WebAssembly.Instance(module, {}).exports;
    } catch (err) {
      set(e, "failed", `instantiate: ${err.message}`);
      throw err;
    }
    let why;
    try {
      // Contract values: an i32 (anything else reads as -1) and strings.
      const has = (n) => typeof x[n] === "function" && x.memory instanceof WebAssembly.Memory;
      const int = (n) => {
        const v = has(n) ? x[n]() : -1;
        return typeof v === "number" && Number.isInteger(v) ? v : -1;
      };
      const str = (n) => (has(n) ? cstring(x.memory, x[n]() >>> 0) : "");
      const abi = int("cwp_abi");
      e.abi = abi < 0 ? null : abi; // shown in GET /plugins even when refused
      e.version = str("cwp_version").slice(0, 64) || null;
      why = check(e.name, str("cwp_name").slice(0, 64), e.version ?? "", abi, int("cwp_caps"), mask);
      if (!why) x._initialize?.();
    } catch (err) {
      set(e, "failed", `contract exports: ${err.message}`);
      throw err;
    }
    if (why) {
      set(e, "refused", why);
      throw new Error(why);
    }
    live.set(e.name, x);
    e.state = "loaded";
    e.loads += 1;
    return x;
  }

  return class Plugins extends WorkerEntrypoint {
    // CW_ACTION_PLUGINS: "list", "load" (every plugin) or "unload <name>".
    // Answers with the registry entries, as a JSON array.
    registry(op) {
      const [verb, name] = String(op).split(" ");
      if (verb === "load")
        for (const e of registry.values())
          try {
            load(e);
          } catch {} // recorded in the entry
      const e = registry.get(name);
      if (verb === "unload" && e && e.state !== "unloaded") set(e, "unloaded", e.last_error);
      const entries = verb === "unload" ? [e].filter(Boolean) : [...registry.values()];
      return { status: 200, body: utf8.encode(JSON.stringify(entries)) };
    }

    // CW_ACTION_CALL: runs entry point "<name> <route|sync>" on input. Answers
    // the plugin's status and body; status 1 when it cannot be used, 0 when
    // it trapped (only its instance is dropped), with the reason as body.
    call(what, input) {
      const [name, entry] = String(what).split(" ");
      const e = registry.get(name);
      let x;
      try {
        if (!e || (entry !== "route" && entry !== "sync")) throw new Error("not in this build");
        x = load(e);
      } catch (err) {
        return { status: 1, body: utf8.encode(err.message) };
      }
      try {
        const p = copyIn(x.memory, x.cwp_alloc, input, "no memory for the input");
        const out = readPluginOut(x.memory, x[`cwp_${entry}`](p, input.length));
        return { status: out.status < 2 ? 2 : out.status, body: out.body };
      } catch (err) {
        set(e, "failed", `trap in ${entry}: ${err.message}`);
        return { status: 0, body: utf8.encode(e.last_error) };
      }
    }
  };
}
