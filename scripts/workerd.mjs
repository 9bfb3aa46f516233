// Serves a dry-run upload (wrangler deploy --dry-run --outdir) with workerd
// directly, no wrangler: the way the runtime itself loads a worker, from a
// generated capnp config with the bundle's modules and a SQLite-backed
// Durable Object namespace on local disk. Used by the bench and the tests.
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
export const WORKERD = path.join(root, "node_modules/@cloudflare/workerd-linux-64/bin/workerd");

export { freePort } from "./free-port.mjs";

// The capnp module list of the bundle in outdir, the entry first; capnp
// resolves embed paths relative to the config file's dir.
function modules(outdir, dir) {
  const files = readdirSync(outdir).filter((f) => /\.(m?js|wasm)$/.test(f) && !f.endsWith(".map"));
  const main = files.find((f) => /\.m?js$/.test(f));
  const rel = (f) => path.relative(dir, path.join(outdir, f));
  return [main, ...files.filter((f) => f !== main)]
    .map((f) => (f.endsWith(".wasm") ? `(name = "${f}", wasm = embed "${rel(f)}")` : `(name = "${f}", esModule = embed "${rel(f)}")`))
    .join(",\n      ");
}

// Writes <dir>/config.capnp for the bundle in outdir, listening on port.
// Options: vars, the text bindings (default: WORKER_ENV local, as wrangler
// dev); plugins, the plugins worker's bundle behind a PLUGINS binding;
// v8Flags, for the process (as --trace-wasm-compilation-times); the
// Durable Object's binding and class (default STATE, StateObject); flags,
// compatibility flags.
export function config(outdir, dir, port, { vars = { WORKER_ENV: "local" }, plugins: pluginsOutdir = null, v8Flags = [], binding = "STATE", className = "StateObject", flags = [] } = {}) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, "do"), { recursive: true });
  const capnp = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "do-disk", disk = (path = "${path.join(dir, "do")}", writable = true)),${
      pluginsOutdir ? `\n    (name = "plugins", worker = (modules = [${modules(pluginsOutdir, dir)}], compatibilityDate = "2026-10-15")),` : ""
    }
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],${
    v8Flags.length ? `\n  v8Flags = [${v8Flags.map((f) => JSON.stringify(f)).join(", ")}],` : ""
  }
);
const worker :Workerd.Worker = (
  modules = [
      ${modules(outdir, dir)}
  ],
  compatibilityDate = "2026-10-15",${flags.length ? `\n  compatibilityFlags = [${flags.map((f) => JSON.stringify(f)).join(", ")}],` : ""}
  bindings = [
    ${Object.entries(vars).map(([k, v]) => `(name = ${JSON.stringify(k)}, text = ${JSON.stringify(String(v))}),`).join("\n    ")}
    (name = "${binding}", durableObjectNamespace = "${className}"),${pluginsOutdir ? `\n    (name = "PLUGINS", service = "plugins"),` : ""}
  ],
  durableObjectNamespaces = [(className = "${className}", uniqueKey = "bench-state", enableSql = true)],
  durableObjectStorage = (localDisk = "do-disk"),
);
`;
  writeFileSync(path.join(dir, "config.capnp"), capnp);
  return path.join(dir, "config.capnp");
}

// The config as workerd's encoded binary form (workerd compile
// --config-only), so that serving it does not parse capnp text: production
// never pays that parse, and a cold-start figure should not either.
export function compile(configPath) {
  const out = configPath.replace(/\.capnp$/, ".bin");
  writeFileSync(out, execFileSync(WORKERD, ["compile", "--config-only", configPath], { maxBuffer: 1 << 28 }));
  return out;
}

// Serves a config (text, or binary from compile()); the process's stderr,
// and stdout when asked (V8's traces go there), are kept.
export function serve(configPath, { stdout = false } = {}) {
  const args = ["serve", ...(configPath.endsWith(".bin") ? ["--binary"] : []), configPath, "--experimental"];
  const p = spawn(WORKERD, args, { stdio: ["ignore", stdout ? "pipe" : "ignore", "pipe"] });
  let err = "";
  let out = "";
  p.stderr.on("data", (d) => (err += d));
  p.stdout?.on("data", (d) => (out += d));
  return { p, stderr: () => err, stdout: () => out };
}

export async function stop(proc) {
  if (proc.p.exitCode !== null) return;
  const done = new Promise((r) => proc.p.once("exit", r));
  proc.p.kill("SIGKILL");
  await done;
}
