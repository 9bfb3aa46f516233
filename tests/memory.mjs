// Linear memory stays bounded: 100k mixed requests through the worker as
// shipped (tests/host/workers.mjs: worker/ with the production module, its
// Durable Objects on node:sqlite); memory after 100k, as /metrics reports
// it, must be within 2x of memory after 1k. Appends "memory <passed>
// <failed>" to the file in argv[2].
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { host } from "./host/workers.mjs";

const h = await host();
// The worker's request log lines go nowhere here.
console.log = () => {};
const say = (line) => process.stdout.write(`${line}\n`);

// An envelope-like description as a Request.
function request(text) {
  const [head, body] = text.split("\r\n\r\n");
  const [line, ...headers] = head.split("\r\n");
  const [method, target] = line.split(" ");
  return new Request(`http://host${target}`, {
    method,
    headers: headers.map((h) => h.split(": ")),
    body: method === "PATCH" ? body : undefined,
  });
}
async function memoryBytes() {
  const text = await (await h.fetch(new Request("http://host/metrics"))).text();
  return Number(/^cw_wasm_memory_bytes (\d+)$/m.exec(text)[1]);
}
let seed = 0x9e3779b9;
const rand = (n) => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
};
const H = "content-type: application/merge-patch+json\r\n";

function mixed() {
  const id = `m${rand(50)}`;
  const k = rand(100);
  switch (rand(20)) {
    case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7:
      return `PATCH /state/${id}\r\n${H}\r\n{"k${rand(20)}":"${"x".repeat(rand(200))}","n":${k},"o":{"d":[${k},${rand(9)}]}}`;
    case 8:
      return `PATCH /state/${id}\r\n${H}\r\n{"k${rand(20)}":null}`;
    case 9: case 10: case 11: case 12: case 13:
      return `GET /state/${id}\r\n\r\n`;
    case 14:
      return `PATCH /state/${id}\r\n${H}\r\n{"bad":`;
    case 15:
      return `PATCH /state/${id}\r\n${H}if-match: "${k}"\r\n\r\n{"c":1}`;
    case 16:
      return "GET /health\r\n\r\n";
    case 17:
      return "GET /metrics\r\n\r\n";
    case 18:
      return `DELETE /state/${id}\r\n\r\n`;
    default:
      return `GET /state/..${id}%2F\r\n\r\n`;
  }
}

const statuses = new Map();
let at1k = 0;
for (let i = 1; i <= 100_000; i++) {
  const res = await h.fetch(request(mixed()));
  await res.arrayBuffer();
  statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
  if (i === 1000) at1k = await memoryBytes();
}
const at100k = await memoryBytes();
const ratio = at100k / at1k;
const report = { after_1k_bytes: at1k, after_100k_bytes: at100k, ratio, statuses: Object.fromEntries(statuses) };
mkdirSync("build", { recursive: true });
writeFileSync("build/memory.json", JSON.stringify(report, null, 2) + "\n");
const ok = ratio <= 2 && !statuses.has(500);
say(`  ${ok ? "ok  " : "FAIL"} memory.bounded_over_100k_mixed_requests: ${at1k} bytes after 1k, ${at100k} after 100k (${ratio.toFixed(2)}x); statuses ${JSON.stringify(report.statuses)}`);
say(`memory: ${ok ? 1 : 0} passed, ${ok ? 0 : 1} failed`);
appendFileSync(process.argv[2], `memory ${ok ? 1 : 0} ${ok ? 0 : 1}\n`);
process.exit(ok ? 0 : 1);
