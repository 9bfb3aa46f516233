// workerd's CPU per warm request, for telling a glue lever's cost from the
// noise of req/s on a shared machine: each variant served at once, wrk in
// alternating rounds, and the process's CPU time (user + system, all
// threads, from /proc) over the requests it answered; the main thread's
// share apart.
//   node bench/cpu.mjs variant...      (environment: M=PATCH|GET, R rounds,
//                                       S seconds each, C connections, P
//                                       processes per variant)
// variant: this, js, agents, or dir:<upload> (a wrangler deploy --dry-run
// --outdir of the product, e.g. one built from a hand-edited glue, served
// with the product's vars). Seeds a 1 KB state; a PATCH is wrk's ~100-byte
// merge patch with Prefer: return=minimal.
// Two workerd processes serving the same upload differ by up to 4% in CPU
// per request (measured: 639 against 658 µs over 30 rounds each), as much
// as the levers this is for; so with P > 1 each variant runs in P
// processes, served at once and interleaved, and the figure is the median
// of the processes' medians, with each process's listed.
import { execFileSync } from "node:child_process";
import { seed } from "./live/fanout.mjs";
import { cpuUs } from "./lib/proc.mjs";
import { listening, prepare, stop } from "./lib/serve.mjs";
import { uploadOf } from "./lib/variants.mjs";
import { script } from "./lib/wrk.mjs";

const M = process.env.M ?? "PATCH";
const R = Number(process.env.R ?? 6);
const S = Number(process.env.S ?? 2);
const C = Number(process.env.C ?? 1);
const P = Number(process.env.P ?? 1);
const names = process.argv.slice(2);
if (!names.length) throw new Error("usage: node bench/cpu.mjs this|js|agents|dir:<upload>...");
const served = [];
try {
  // Process k of every variant before process k + 1 of any.
  const order = Array.from({ length: P }, () => names).flat();
  for (const [i, name] of order.entries()) {
    const u = uploadOf(name);
    const { port, base, start } = await prepare(u, `cpu-${i}`);
    const proc = start();
    served.push({ name, base, proc, rounds: [] });
    await listening(port, proc);
    await seed(base, "w1k", 1024);
  }
  const round = (s, seconds) => {
    const pid = s.proc.p.pid;
    const args = [`-t${Math.min(C, 2)}`, `-c${C}`, `-d${seconds}s`, `${s.base}/state/w1k`];
    if (M === "PATCH") args.unshift("-s", script);
    const all0 = cpuUs(pid);
    const main0 = cpuUs(pid, pid);
    const out = execFileSync("wrk", args).toString();
    const n = Number(/(\d+) requests in/.exec(out)[1]);
    return { all: (cpuUs(pid) - all0) / n, main: (cpuUs(pid, pid) - main0) / n, rps: Number(/Requests\/sec:\s+(\S+)/.exec(out)[1]) };
  };
  for (const s of served) round(s, 1); // warm: compile, tier up
  for (let r = 0; r < R; r++) for (const s of r % 2 ? [...served].reverse() : served) s.rounds.push(round(s, S));
} finally {
  for (const s of served) await stop(s.proc);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (const name of names) {
  const procs = served.filter((s) => s.name === name).map((s) => ({
    all: median(s.rounds.map((x) => x.all)),
    main: median(s.rounds.map((x) => x.main)),
    rps: median(s.rounds.map((x) => x.rps)),
    rounds: s.rounds.map((x) => x.all.toFixed(0)).join("/"),
  }));
  const each = P > 1 ? `; processes ${procs.map((x) => x.all.toFixed(0)).join("/")}` : `; rounds ${procs[0].rounds}`;
  console.log(
    `${M} ${name}: CPU µs per request ${median(procs.map((x) => x.all)).toFixed(0)} (main thread ${median(procs.map((x) => x.main)).toFixed(0)}${each}), req/s ${median(procs.map((x) => x.rps)).toFixed(0)}`,
  );
}
