// `make dev` starts every time: it is run DEV_STARTS times (20 unless set),
// each to the point where the main worker answers GET /health and the
// consumer answers on PORT+1, then stopped. Before the fix in
// scripts/dev.sh, the two wrangler processes raced for one inspector port
// and one of them sometimes died with "Address already in use
// (direct:1:default)". Each run uses its own dev registry and persistence
// directory under build/, so a developer's own `make dev` is not touched,
// and its own two ports (PORT and PORT+1, below the ephemeral range: an
// ephemeral port's neighbour, once in 20 runs in CI, was taken by some
// connection, and the consumer could not listen).
// Appends "devstart <passed> <failed>" to the results file in argv[2].
import { spawn } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { freePortPair } from "../scripts/free-port.mjs";

const results = process.argv[2];
const root = path.resolve(import.meta.dirname, "..");
const work = path.join(root, "build/devstart");
const runs = Number(process.env.DEV_STARTS ?? 20);

async function answers(url, until) {
  while (Date.now() < until) {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
      return r.status;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return 0;
}

async function once(i) {
  const port = await freePortPair();
  const dir = path.join(work, String(i));
  mkdirSync(dir, { recursive: true });
  const env = { ...process.env, CI: "true", WRANGLER_REGISTRY_PATH: path.join(dir, "registry"), PERSIST_TO: path.join(dir, "state") };
  const p = spawn("make", ["--no-print-directory", "dev", `PORT=${port}`], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let log = "";
  p.stdout.on("data", (d) => (log += d));
  p.stderr.on("data", (d) => (log += d));
  const exited = new Promise((r) => p.once("exit", r));
  try {
    const until = Date.now() + 120_000;
    const health = await answers(`http://127.0.0.1:${port}/health`, until);
    const consumer = await answers(`http://127.0.0.1:${port + 1}/state/devstart`, until);
    if (health !== 200) throw new Error(`GET /health answered ${health || "nothing"}`);
    if (consumer !== 200) throw new Error(`the consumer answered ${consumer || "nothing"}`);
    if (/Address already in use/.test(log)) throw new Error("a port was taken twice");
  } catch (e) {
    // scripts/dev.sh writes the consumer's own process to .wrangler-consumer.log.
    const clog = path.join(root, ".wrangler-consumer.log");
    const consumerLog = existsSync(clog) ? readFileSync(clog, "utf8").slice(-3000) : "(no .wrangler-consumer.log)";
    throw new Error(`${e.message}\n--- make dev:\n${log.slice(-3000)}\n--- the consumer's process:\n${consumerLog}`);
  } finally {
    try {
      process.kill(-p.pid, "SIGTERM");
    } catch {}
    const t = setTimeout(() => {
      try {
        process.kill(-p.pid, "SIGKILL");
      } catch {}
    }, 5000);
    await exited;
    clearTimeout(t);
  }
}

rmSync(work, { recursive: true, force: true });
let passed = 0;
let failed = 0;
const t0 = Date.now();
for (let i = 0; i < runs; i++) {
  try {
    await once(i);
    passed += 1;
  } catch (e) {
    failed += 1;
    console.log(`  FAIL devstart.run_${i + 1}: ${e.message}`);
  }
}
const ok = failed === 0;
console.log(`  ${ok ? "ok  " : "FAIL"} devstart.make_dev_answers_health_${runs}_times_out_of_${runs} (${passed} started, ${((Date.now() - t0) / 1000).toFixed(0)} s)`);
console.log(`devstart: ${ok ? 1 : 0} passed, ${ok ? 0 : 1} failed`);
appendFileSync(results, `devstart ${ok ? 1 : 0} ${ok ? 0 : 1}\n`);
process.exit(ok ? 0 : 1);
