// A process's CPU time from /proc: user + system, in µs.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

const TICK_US = 1e6 / Number(execFileSync("getconf", ["CLK_TCK"]).toString());

// Of the whole process (all its threads), or of one thread (tid).
export function cpuUs(pid, tid = null) {
  const f = readFileSync(tid === null ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) * TICK_US;
}
