// workerd serving a variant's dry-run upload (scripts/workerd.mjs) for the
// bench: from a compiled (binary) config, as production loads a worker,
// never a text capnp parse on the clock.
import net from "node:net";
import path from "node:path";
import { compile, config, freePort, serve, stop } from "../../scripts/workerd.mjs";
import { root } from "./variants.mjs";

// Resolves once something accepts connections on port.
export async function listening(port, proc, ms = 20000) {
  const t0 = performance.now();
  for (;;) {
    const ok = await new Promise((r) => {
      const s = net.connect(port, "127.0.0.1", () => (s.destroy(), r(true)));
      s.on("error", () => r(false));
    });
    if (ok) return;
    if (proc.p.exitCode !== null || performance.now() - t0 > ms) throw new Error(`workerd did not listen: ${proc.stderr()}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

// Starts workerd on upload (from variants.upload) under build/bench/run/<tag>;
// the config is compiled before the clock of whoever awaits start().
export async function prepare(upload, tag, { v8Flags = [] } = {}) {
  const port = await freePort();
  const cfg = compile(config(upload.outdir, path.join(root, "build/bench/run", tag), port, { ...upload.serve, v8Flags }));
  return { port, base: `http://127.0.0.1:${port}`, start: (opts) => serve(cfg, opts) };
}

// Runs fn(base, proc) against a variant served and listening; stops it after.
export async function serving(upload, tag, fn) {
  const { port, base, start } = await prepare(upload, tag);
  const proc = start();
  try {
    await listening(port, proc);
    return await fn(base, proc);
  } finally {
    await stop(proc);
  }
}
export { stop };

// How long after its socket listens workerd has surely finished starting
// (its global scope evaluated): a second, against the few ms startup takes
// (bench/first-request.mjs).
export const AFTER_STARTUP_MS = 1000;

// One fresh workerd: spawn to listening to the first 200 of request (a
// PATCH by default), with V8 flags if given; returns { spawn_ms,
// listen_ms, first_ms }. workerd accepts connections before it has
// evaluated the worker's global scope (bench/first-request.mjs), so a
// request sent at once waits for the rest of its startup; with wait (ms)
// the request is sent that long after listening, when startup is done,
// and first_ms is the request's own.
export async function coldStart(upload, tag, { path: route = "/state/x", method = "PATCH", body = '{"a":1}', v8Flags = [], wait = 0 } = {}) {
  const { port, base, start } = await prepare(upload, tag, { v8Flags });
  const t0 = performance.now();
  const proc = start();
  try {
    await listening(port, proc);
    const listened = performance.now();
    if (wait) await new Promise((r) => setTimeout(r, wait));
    const t1 = performance.now();
    const res = await fetch(`${base}${route}`, method === "GET" ? {} : { method, headers: { "content-type": "application/json" }, body });
    await res.arrayBuffer();
    const t2 = performance.now();
    if (res.status !== 200) throw new Error(`${tag}: the first ${method} answered ${res.status}`);
    // spawn_ms leaves the wait out.
    return { spawn_ms: t2 - t0 - (t1 - listened), listen_ms: listened - t0, first_ms: t2 - t1 };
  } finally {
    await stop(proc);
  }
}

// V8's compile trace (--trace-wasm-compilation-times) of one fresh
// workerd: wasm functions compiled before the first request (at script
// load) and during it, with the body bytes and compile µs of those compiled
// during it (Liftoff's time grows with the bytes, see docs/performance.md).
export async function compiledFunctions(upload, tag, { path: route = "/state/x", method = "PATCH" } = {}) {
  const { port, base, start } = await prepare(upload, tag, { v8Flags: ["--trace-wasm-compilation-times"] });
  const proc = start({ stdout: true });
  const lines = (from = 0) => proc.stdout().slice(from).split("\n").filter((l) => l.startsWith("Compiled function"));
  const settle = () => new Promise((r) => setTimeout(r, 300));
  try {
    await listening(port, proc);
    await settle();
    const at = proc.stdout().length;
    const before = lines().length;
    const res = await fetch(`${base}${route}`, method === "GET" ? {} : { method, headers: { "content-type": "application/json" }, body: '{"a":1}' });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${tag}: ${res.status}`);
    await settle();
    proc.p.kill("SIGTERM"); // lets workerd flush its trace
    await new Promise((r) => proc.p.once("exit", r));
    const during = lines(at);
    const sum = (re) => during.reduce((s, l) => s + Number(re.exec(l)?.[1] ?? 0), 0);
    return { before, during: during.length, during_bytes: sum(/bodysize (\d+)/), during_us: sum(/took (\d+) /) };
  } finally {
    await stop(proc);
  }
}
