// Memory per socket: workerd's resident set before and after `sockets`
// sockets join one document of a served variant, each with the variant's
// hello. Node's client negotiates permessage-deflate, as browsers do, so
// each socket carries the runtime's compression state too; every variant
// pays that alike. The first socket opens before the first reading, so the
// object, its code and the document are in memory on both sides of it.
import { readFileSync } from "node:fs";
import { seed } from "./fanout.mjs";
import { openSocket } from "./protocol.mjs";
import { listening, prepare, stop } from "../lib/serve.mjs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rssKib = (pid) => Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]);

export async function socketMemory(upload, protocol, { sockets = 250, tag = "sockets" } = {}) {
  const { port, base, start } = await prepare(upload, tag);
  const proc = start();
  const open = [];
  try {
    await listening(port, proc);
    await seed(base, "sockets", 1024);
    open.push(await openSocket(base, protocol, "sockets"));
    await sleep(500);
    const before = rssKib(proc.p.pid);
    for (let i = 1; i < sockets; i++) open.push(await openSocket(base, protocol, "sockets"));
    await sleep(1000);
    const after = rssKib(proc.p.pid);
    return { sockets, rss_before_kib: before, rss_after_kib: after, rss_kib_per_socket: Number(((after - before) / (sockets - 1)).toFixed(1)) };
  } finally {
    for (const ws of open) ws.close();
    await stop(proc);
  }
}
