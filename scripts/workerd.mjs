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

// Writes <dir>/config.capnp for the bundle in outdir, listening on port.
// vars: the text bindings (default: WORKER_ENV local, as wrangler dev).
export function config(outdir, dir, port, vars = { WORKER_ENV: "local" }) {
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
    ${Object.entries(vars).map(([k, v]) => `(name = ${JSON.stringify(k)}, text = ${JSON.stringify(String(v))}),`).join("\n    ")}
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
