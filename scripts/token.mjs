// make token ID=<doc or prefix*> SCOPE=read|write [TTL=3600] [SUB=dev] [KID=...]
//            [READ='/cards,/meta'] [WRITE='/cursors/dev']:
// mints a development token (JWT, HS256) with a key from .dev.vars'
// STATE_KEYS (the first, or KID), for `make dev` and the example app
// (http://127.0.0.1:8787/?doc=<id>#token=<token>). Prints the token.
// READ and WRITE: comma-separated JSON Pointers, the token's paths claim
// ({"read": [...], "write": [...]}); left out, the whole document.
// DEV_VARS=<file> reads another file than .dev.vars.
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const fail = (msg) => {
  console.error(`make token: ${msg}`);
  process.exit(2);
};
const { ID, SCOPE = "write", TTL = "3600", SUB = "dev", KID, READ, WRITE } = process.env;
if (!ID) fail("say ID=<document id>, or a prefix ending in * (ID='team1.*')");
if (SCOPE !== "read" && SCOPE !== "write") fail("SCOPE is read or write");
if (!/^[1-9]\d*$/.test(TTL)) fail("TTL is a number of seconds");
// A pointer: "" or "/" segments, "~" only as ~0 or ~1 (RFC 6901).
const pointers = (name, v) =>
  v.split(",").map((p) => {
    if (p !== "" && (!p.startsWith("/") || /~(?![01])/.test(p))) fail(`${name}: ${JSON.stringify(p)} is not a JSON Pointer (RFC 6901)`);
    return p;
  });
const paths = {};
if (READ !== undefined && READ !== "") paths.read = pointers("READ", READ);
if (WRITE !== undefined && WRITE !== "") paths.write = pointers("WRITE", WRITE);
let vars;
try {
  vars = readFileSync(process.env.DEV_VARS ?? path.join(root, ".dev.vars"), "utf8");
} catch {
  fail("no .dev.vars: cp .dev.vars.example .dev.vars, and set STATE_KEYS");
}
// The last STATE_KEYS line, as wrangler reads .dev.vars (a later line wins).
const line = vars.split("\n").findLast((l) => l.startsWith("STATE_KEYS="));
if (!line) fail(".dev.vars has no STATE_KEYS line");
let keys;
try {
  keys = JSON.parse(line.slice("STATE_KEYS=".length).replace(/^'(.*)'$/, "$1"));
} catch {
  fail("STATE_KEYS in .dev.vars is not JSON");
}
const kid = KID ?? Object.keys(keys)[0];
if (!keys[kid]) fail(`no key ${kid} in STATE_KEYS`);
const now = Math.floor(Date.now() / 1000);
const enc = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
const signed = `${enc({ alg: "HS256", typ: "JWT", kid })}.${enc({ sub: SUB, docs: ID.split(","), scope: SCOPE, iat: now, exp: now + Number(TTL), ...(Object.keys(paths).length && { paths }) })}`;
const mac = createHmac("sha256", Buffer.from(keys[kid], "base64url")).update(signed).digest("base64url");
console.log(`${signed}.${mac}`);
