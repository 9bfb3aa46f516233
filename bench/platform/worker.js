// A fixture for bench/platform.mjs: each request runs one platform
// operation, or a stage of the product as shipped, n times in a loop, so
// the client's clock over n gives its cost inside workerd (timers there
// advance only on I/O, so the worker cannot time itself). The object's
// envelope, fields and flat methods answer at once: a call to one is the
// RPC round trip alone, with the argument and answer shapes named below.
import { edge } from "../../worker/bridge.js";
import { StateObject as Shipped } from "../../worker/state_object.js";
import { createOwner, edge as plainEdge, rid, SCHEMA } from "../baselines/js/logic.js";

const HEAD = "PATCH /state/w1k\r\nhost: 127.0.0.1:8787\r\ncontent-type: application/merge-patch+json\r\nprefer: return=minimal\r\ncontent-length: 99\r\n\r\n";
const TEXT = `{"k000001":"${"0".repeat(79)}1","n":1}`;
const utf8 = new TextEncoder();
const BYTES = utf8.encode(TEXT);
const RID = "0123456789abcdef0123456789abcdef";
const PLAIN_HEADERS = new Headers({ host: "127.0.0.1:8787", "content-type": "application/merge-patch+json", prefer: "return=minimal", "content-length": "99" });
const ANSWER_HEAD = 'etag: "2"\r\npreference-applied: return=minimal\r\n';
const ANSWER_BODY = '{"id":"w1k","version":2}';
// A 1 KB state: ten ~90-byte members.
const SEED = JSON.stringify(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${String(i).padStart(6, "0")}`, "v".repeat(88)])));

// The product's object as shipped, with the plain-JS baseline's owner
// beside it on the same storage (its own tables), and the methods the
// fixture times.
export class StateObject extends Shipped {
  // n PATCHes of a ~100-byte patch (return=minimal) on a 1 KB state through
  // the product's owner stage as the edge calls it (handle), or through the
  // plain-JS baseline's owner and its broadcast, in one call: no fsync
  // between them (one implicit transaction), so this is their CPU alone.
  owner(variant, n) {
    const patch = (i) => `{"k000001":"${String(i).padStart(80, "0")}","n":${i}}`;
    let x = 0;
    if (variant === "shipped") {
      const head = "PATCH /state/w1k\r\ncontent-type: application/merge-patch+json\r\nprefer: return=minimal\r\n\r\n";
      if (!this.seeded) this.handle({ head, body: utf8.encode(SEED) }, "w ", RID);
      this.seeded = true;
      for (let i = 0; i < n; i++) x += this.handle({ head, body: utf8.encode(patch(i)) }, "w ", RID).status;
    } else {
      if (!this.plain) {
        const sql = this.ctx.storage.sql;
        for (const q of SCHEMA) sql.exec(q);
        this.plain = createOwner((q, ...p) => sql.exec(q, ...p).raw().toArray(), (fn) => this.ctx.storage.transactionSync(fn));
        this.plain.patch("w1k", new Map(), SEED, RID);
      }
      const headers = new Map([["prefer", "return=minimal"]]);
      for (let i = 0; i < n; i++) {
        const r = this.plain.patch("w1k", headers, patch(i), RID);
        if (r.change) for (const ws of this.ctx.getWebSockets()) ws.send(r.change);
        x += r.status;
      }
    }
    return x;
  }
  // The product's shape (worker/edge.js to worker/state_object.js).
  envelope(envelope, grant, rid) {
    return { status: 200, head: ANSWER_HEAD, body: ANSWER_BODY, length: 24, socket: null };
  }
  // The plain-JS baseline's shape (bench/baselines/js).
  fields(method, id, headers, body, rid) {
    return { status: 200, etag: '"2"', body: ANSWER_BODY, minimal: true };
  }
  // Flat strings in, an array out.
  flat(head, body, grant, rid) {
    return [200, ANSWER_HEAD, ANSWER_BODY, 24];
  }
}

const text = new TextDecoder();
const memory = new WebAssembly.Memory({ initial: 2 });

export default {
  async fetch(request, env) {
    const q = new URL(request.url).searchParams;
    const n = Number(q.get("n") ?? 1000);
    const u8 = new Uint8Array(memory.buffer);
    utf8.encodeInto(HEAD, u8.subarray(64));
    const stub = env.STATE.get(env.STATE.idFromName("x"));
    let x = 0;
    switch (q.get("op")) {
      case "loop":
        for (let i = 0; i < n; i++) x++;
        break;
      case "decode": // a head out of wasm memory
        for (let i = 0; i < n; i++) x += text.decode(u8.subarray(64, 64 + HEAD.length)).length;
        break;
      case "encodeInto": // a head into wasm memory
        for (let i = 0; i < n; i++) x += utf8.encodeInto(HEAD, u8.subarray(1024)).written;
        break;
      case "timer": // worker/edge.js's deadline around an answer already there
        for (let i = 0; i < n; i++)
          x += await new Promise((resolve) => {
            const t = setTimeout(() => resolve(0), 10000);
            clearTimeout(t);
            resolve(1);
          });
        break;
      case "stub":
        for (let i = 0; i < n; i++) x += env.STATE.get(env.STATE.idFromName(`x${i & 7}`)) ? 1 : 0;
        break;
      case "rpc-envelope":
        for (let i = 0; i < n; i++) x += (await stub.envelope({ head: HEAD, body: BYTES }, "w ", RID)).status;
        break;
      case "rpc-fields":
        for (let i = 0; i < n; i++) x += (await stub.fields("PATCH", "w1k", [["prefer", "return=minimal"]], TEXT, RID)).status;
        break;
      case "rpc-flat":
        for (let i = 0; i < n; i++) x += (await stub.flat(HEAD, TEXT, "w ", RID))[0];
        break;
      case "edge": // the product's edge stage of a PATCH, both crossings, with an owner's answer
        for (let i = 0; i < n; i++) {
          const call = edge(env, { head: HEAD, body: BYTES }, "", 0, 0);
          let r = call.result;
          if (r.action) r = call.resume(200, ANSWER_HEAD, r.keep ? ANSWER_BODY.length : ANSWER_BODY, 0);
          x += r.status;
          call.free();
        }
        break;
      case "edge-js": // the plain-JS baseline's edge work on the same PATCH: its
        // request id, URL and checks, its answer's headers and its log line
        for (let i = 0; i < n; i++) {
          const id = rid();
          const url = new URL("http://127.0.0.1:8787/state/w1k");
          const r = plainEdge("PATCH", url.pathname, PLAIN_HEADERS, TEXT, id);
          const h = { "content-type": "application/json", "x-request-id": id, etag: '"2"', "preference-applied": "return=minimal" };
          x += JSON.stringify({ level: "info", msg: "request", request_id: id, method: "PATCH", route: url.pathname, status: 200 }).length + (r.forward ? 1 : 0) + h.etag.length;
        }
        break;
      case "edge-first": // its first crossing alone
        for (let i = 0; i < n; i++) {
          const call = edge(env, { head: HEAD, body: BYTES }, "", 0, 0);
          x += call.result.action;
          call.free();
        }
        break;
      case "owner-shipped":
      case "owner-js": // n PATCHes in one call to the object: µs per PATCH
        x = await env.STATE.get(env.STATE.idFromName(q.get("op"))).owner(q.get("op").slice(6), n);
        break;
      default:
        return new Response("unknown op", { status: 400 });
    }
    return new Response(String(x));
  },
};
