// Real `wrangler dev` processes for the end-to-end and browser suites, and
// their step reporter. Each suite keeps its own dev registry and persistence
// directory under build/, so a developer's own `make dev` is never touched.
import { spawn } from "node:child_process";
import path from "node:path";

// A process group of wrangler dev processes sharing work (a directory).
export function devServers(work) {
  const persist = path.join(work, "state");
  const env = { ...process.env, WRANGLER_REGISTRY_PATH: path.join(work, "registry"), WRANGLER_SEND_METRICS: "false", CI: "true" };
  const procs = new Set();
  const allLogs = []; // every process's output

  // Starts `wrangler dev <args>` on port and waits for GET /health; the
  // first response a fresh process gives is returned as `first`.
  async function start(name, args, port, root) {
    const log = [];
    const p = spawn("wrangler", ["dev", ...args, "--ip", "127.0.0.1", "--port", String(port), "--persist-to", persist], {
      cwd: root,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const keep = (d) => {
      log.push(String(d));
      allLogs.push(String(d));
    };
    p.stdout.on("data", keep);
    p.stderr.on("data", keep);
    procs.add(p);
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      if (p.exitCode !== null) break;
      try {
        // A refused connection retries at once; a request the worker got
        // is waited for (30 s), so the first answer is the worker's first
        // (a cold start on a loaded machine may take seconds).
        const first = await fetch(base + "/health", { signal: AbortSignal.timeout(30_000) });
        return { p, base, log, first: { status: first.status, timing: first.headers.get("server-timing") } };
      } catch {
        await new Promise((r) => setTimeout(r, 300));
      }
    }
    throw new Error(`${name} did not start:\n${log.join("")}`);
  }

  async function signal(proc, sig, escalate) {
    if (!proc || proc.p.exitCode !== null) return;
    const done = new Promise((r) => proc.p.once("exit", r));
    try {
      process.kill(-proc.p.pid, sig);
    } catch {}
    const t = escalate
      ? setTimeout(() => {
          try {
            process.kill(-proc.p.pid, "SIGKILL");
          } catch {}
        }, 5000)
      : null;
    await done;
    clearTimeout(t);
    procs.delete(proc.p);
  }

  const stop = (proc) => signal(proc, "SIGTERM", true);
  const killHard = (proc) => signal(proc, "SIGKILL", false);

  function cleanup() {
    for (const p of procs)
      try {
        process.kill(-p.pid, "SIGKILL");
      } catch {}
  }
  process.on("exit", cleanup);
  process.on("SIGINT", () => process.exit(130));
  return { start, stop, killHard, allLogs, procs, env, persist };
}

// A suite's steps: each runs, and is reported "ok" or "FAIL" under the
// suite's name; finish() prints the closing line and returns the counts.
export function reporter(suite) {
  let passed = 0;
  let failed = 0;
  return {
    async step(name, fn) {
      try {
        await fn();
        passed += 1;
        console.log(`  ok   ${suite}.${name}`);
      } catch (e) {
        failed += 1;
        console.log(`  FAIL ${suite}.${name}: ${e.message}`);
      }
    },
    fail(name, e) {
      failed += 1;
      console.log(`  FAIL ${suite}.${name}: ${e.message}`);
    },
    finish() {
      console.log(`${suite}: ${passed} passed, ${failed} failed`);
      return { passed, failed };
    },
  };
}

export function expect(cond, msg) {
  if (!cond) throw new Error(msg);
}
