// Serves a dry-run upload (wrangler deploy --dry-run --outdir) with workerd
// directly, no wrangler: the way the runtime itself loads a worker, from a
// generated capnp config with the bundle's modules and a SQLite-backed
// Durable Object namespace on local disk. Used by the bench and the tests.
import { spawn } from "node:child_process";
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

// Writes <dir>/config.capnp for the C worker's bundle in outdir, listening
// on port, with the plugins worker's bundle (pluginsOutdir) behind its
// PLUGINS binding when given. vars: the text bindings (default: WORKER_ENV
// local, as wrangler dev).
export function config(outdir, dir, port, vars = { WORKER_ENV: "local" }, pluginsOutdir = null) {
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
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [
      ${modules(outdir, dir)}
  ],
  compatibilityDate = "2026-10-15",
  bindings = [
    ${Object.entries(vars).map(([k, v]) => `(name = ${JSON.stringify(k)}, text = ${JSON.stringify(String(v))}),`).join("\n    ")}
    (name = "STATE", durableObjectNamespace = "StateObject"),${pluginsOutdir ? `\n    (name = "PLUGINS", service = "plugins"),` : ""}
  ],
  durableObjectNamespaces = [(className = "StateObject", uniqueKey = "bench-state", enableSql = true)],
  durableObjectStorage = (localDisk = "do-disk"),
);
`;
  writeFileSync(path.join(dir, "config.capnp"), capnp);
  return path.join(dir, "config.capnp");
}

export function serve(configPath) {
  const p = spawn(WORKERD, ["serve", configPath, "--experimental"], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  p.stderr.on("data", (d) => (err += d));
  return { p, stderr: () => err };
}

export async function stop(proc) {
  if (proc.p.exitCode !== null) return;
  const done = new Promise((r) => proc.p.once("exit", r));
  proc.p.kill("SIGKILL");
  await done;
}
