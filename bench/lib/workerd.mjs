// Serves a variant's dry-run upload with workerd directly (no wrangler), the
// way the runtime itself loads a worker: a generated capnp config with the
// bundle's modules, a SQLite-backed Durable Object namespace on local disk.
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { root } from "./variants.mjs";

export const WORKERD = path.join(root, "node_modules/@cloudflare/workerd-linux-64/bin/workerd");

export { freePort } from "../../scripts/free-port.mjs";

// Writes <dir>/config.capnp for the bundle in outdir, listening on port.
export function config(outdir, dir, port) {
  const files = readdirSync(outdir).filter((f) => /\.(m?js|wasm)$/.test(f) && !f.endsWith(".map"));
  const main = files.find((f) => /\.m?js$/.test(f));
  // capnp resolves embed paths relative to the config file.
  const rel = (f) => path.relative(dir, path.join(outdir, f));
  const modules = [main, ...files.filter((f) => f !== main)]
    .map((f) => (f.endsWith(".wasm") ? `(name = "${f}", wasm = embed "${rel(f)}")` : `(name = "${f}", esModule = embed "${rel(f)}")`))
    .join(",\n      ");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, "do"), { recursive: true });
  const capnp = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "do-disk", disk = (path = "${path.join(dir, "do")}", writable = true)),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [
      ${modules}
  ],
  compatibilityDate = "2026-10-15",
  bindings = [
    (name = "WORKER_ENV", text = "local"),
    (name = "STATE", durableObjectNamespace = "StateObject"),
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
