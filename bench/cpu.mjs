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
// with the product's vars), each optionally followed by @ and V8 flags
// separated by commas, for that variant's processes alone (e.g.
// this@--wasm-tiering-budget=1000). Seeds a 1 KB state (BYTES=65536 for
// another size, as make bench's sweep seeds it); a PATCH is wrk's
// ~100-byte merge patch with Prefer: return=minimal; URL=<path> times
// another route (e.g. URL=/health with M=GET).
// GC=1 adds V8's garbage collections over the rounds (--trace-gc-nvp):
// main-thread pause µs per request, by kind (s: scavenge, mc: mark-compact,
// ms: minor mark-sweep), and KiB allocated per request. Reading the trace
// (and the log lines) from workerd's stdout adds CPU to every variant, so
// compare GC=1 figures with each other only.
// Two workerd processes serving the same upload differ by up to 4% in CPU
// per request (measured: 639 against 658 µs over 30 rounds each), as much
// as the levers this is for; so with P > 1 each variant runs in P
// processes, served at once and interleaved, and the figure is the median
// of the processes' medians, with each process's listed.
import { seed } from "./live/fanout.mjs";
import { listening, prepare, stop } from "./lib/serve.mjs";
import { uploadOf } from "./lib/variants.mjs";
import { script, wrkCpu } from "./lib/wrk.mjs";

const M = process.env.M ?? "PATCH";
const R = Number(process.env.R ?? 6);
const S = Number(process.env.S ?? 2);
const C = Number(process.env.C ?? 1);
const P = Number(process.env.P ?? 1);
const BYTES = Number(process.env.BYTES ?? 1024);
const URL_PATH = process.env.URL ?? `/state/w${BYTES}`;
const GC = process.env.GC === "1";
const names = process.argv.slice(2);
if (!names.length) throw new Error("usage: node bench/cpu.mjs this|js|agents|dir:<upload>...");
const served = [];
try {
  // Process k of every variant before process k + 1 of any.
  const order = Array.from({ length: P }, () => names).flat();
  for (const [i, name] of order.entries()) {
    const [variant, flags] = name.split("@");
    const v8Flags = [...(flags ? flags.split(",") : []), ...(GC ? ["--trace-gc-nvp"] : [])];
    const { port, base, start } = await prepare(uploadOf(variant), `cpu-${i}`, { v8Flags });
    const proc = start({ stdout: GC });
    served.push({ name, base, proc, rounds: [], gc: {}, allocated: 0, requests: 0 });
    await listening(port, proc);
    await seed(base, `w${BYTES}`, BYTES);
  }
  const round = async (s, seconds, counted = true) => {
    const pid = s.proc.p.pid;
    const args = [`-t${Math.min(C, 2)}`, `-c${C}`, `-d${seconds}s`, `${s.base}${URL_PATH}`];
    if (M === "PATCH") args.unshift("-s", script);
    const at = GC ? s.proc.stdout().length : 0;
    const { requests: n, all, main, rps } = await wrkCpu(pid, args);
    const result = { all, main, rps };
    if (GC && counted) {
      await new Promise((r) => setTimeout(r, 50)); // the trace's last lines
      for (const line of s.proc.stdout().slice(at).split("\n")) {
        const pause = /"pause":([\d.]+)/.exec(line);
        if (!pause) continue;
        const kind = /"gc":"(\w+)"/.exec(line)?.[1] ?? "?";
        s.gc[kind] = (s.gc[kind] ?? 0) + Number(pause[1]) * 1000;
        s.allocated += Number(/"allocated":(\d+)/.exec(line)?.[1] ?? 0);
      }
      s.requests += n;
    }
    return result;
  };
  for (const s of served) await round(s, 1, false); // warm: compile, tier up
  for (let r = 0; r < R; r++) for (const s of r % 2 ? [...served].reverse() : served) s.rounds.push(await round(s, S));
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
  if (GC) {
    const mine = served.filter((s) => s.name === name);
    const n = mine.reduce((t, s) => t + s.requests, 0);
    const kinds = [...new Set(mine.flatMap((s) => Object.keys(s.gc)))].sort();
    const pauses = kinds.map((k) => `${k} ${(mine.reduce((t, s) => t + (s.gc[k] ?? 0), 0) / n).toFixed(1)}`).join(", ");
    console.log(`  GC pause µs per request: ${pauses || "none"}; KiB allocated per request ${(mine.reduce((t, s) => t + s.allocated, 0) / n / 1024).toFixed(1)}`);
  }
}
