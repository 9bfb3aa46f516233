// wrk at fixed concurrency against one URL: GET, or PATCH with a ~100-byte
// merge patch per request (a counter in it, so each write changes the
// state) and Prefer: return=minimal, as a sync client writes.
import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { cpuUs } from "./proc.mjs";
import { root } from "./variants.mjs";

// The PATCH script, written when this module loads.
export const script = path.join(root, "build/bench/patch.lua");
mkdirSync(path.dirname(script), { recursive: true });
writeFileSync(
  script,
  `wrk.method = "PATCH"
wrk.headers["Content-Type"] = "application/merge-patch+json"
wrk.headers["Prefer"] = "return=minimal"
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, string.format('{"k000001":"%080d","n":%d}', n, n))
end
`,
);

const ms = (s) => {
  const m = s.match(/([\d.]+)(us|ms|s)/);
  return m ? Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2]] : null;
};

export function wrk(url, method, seconds, { connections = 16 } = {}) {
  const args = ["-t2", `-c${connections}`, `-d${seconds}s`, "--latency", "--timeout", "5s"];
  if (method === "PATCH") args.push("-s", script);
  const out = execFileSync("wrk", [...args, url], { encoding: "utf8" });
  const errors = out.match(/Non-2xx or 3xx responses: (\d+)/);
  const socketErrors = out.match(/Socket errors: (.*)/);
  return {
    rps: Number(out.match(/Requests\/sec:\s+([\d.]+)/)[1]),
    p50_ms: ms(out.match(/ 50%\s+(\S+)/)[1]),
    p99_ms: ms(out.match(/ 99%\s+(\S+)/)[1]),
    non_2xx: errors ? Number(errors[1]) : 0,
    ...(socketErrors ? { socket_errors: socketErrors[1] } : {}),
  };
}

// wrk with args against a served process (pid), and that process's CPU
// time over the requests wrk made: { requests, all, main, rps, out }, all
// and main in µs per request (all threads, and the main thread alone).
// Asynchronous, so the caller can read the process's output meanwhile.
const run = promisify(execFile);
export async function wrkCpu(pid, args) {
  const all0 = cpuUs(pid);
  const main0 = cpuUs(pid, pid);
  const { stdout: out } = await run("wrk", args);
  const requests = Number(/(\d+) requests in/.exec(out)[1]);
  return { requests, all: (cpuUs(pid) - all0) / requests, main: (cpuUs(pid, pid) - main0) / requests, rps: Number(/Requests\/sec:\s+(\S+)/.exec(out)[1]), out };
}
