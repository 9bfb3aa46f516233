// Live sync end to end: real sockets (Node 22's WebSocket) against wrangler
// dev, the client library (client/sync.js) as a user runs it, and a restart
// of wrangler dev in the middle of a session. Called by run.mjs with its
// running server.
import { readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
// The client as served (make builds it from client/sync.js).
import { connect } from "../../build/public/sync.js";
import { expect } from "../lib/dev.mjs";

const root = path.resolve(import.meta.dirname, "../..");

const wsUrl = (base, id) => `${base.replace(/^http/, "ws")}/state/${id}/live`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A raw protocol socket: frames as they arrive, next(pred) waits for one.
export function socket(base, id) {
  const ws = new WebSocket(wsUrl(base, id));
  const frames = [];
  const seen = [];
  let close = null;
  ws.addEventListener("message", (e) => {
    const f = e.data === "pong" ? "pong" : JSON.parse(e.data);
    frames.push(f);
    seen.push(f);
  });
  ws.addEventListener("close", (e) => (close = { code: e.code, reason: e.reason }));
  const until = async (ok, ms, what) => {
    const end = Date.now() + ms;
    for (;;) {
      const v = ok();
      if (v !== undefined) return v;
      if (Date.now() > end) throw new Error(`${what} (closed: ${JSON.stringify(close)}; frames ${JSON.stringify(frames).slice(0, 300)})`);
      await sleep(20);
    }
  };
  return {
    ws,
    seen,
    opened: () => until(() => (ws.readyState === 1 ? true : close ? false : undefined), 10000, "no open"),
    send: (f) => ws.send(typeof f === "string" ? f : JSON.stringify(f)),
    next(pred = () => true, ms = 5000) {
      return until(
        () => {
          const i = frames.findIndex(pred);
          return i >= 0 ? frames.splice(0, i + 1).pop() : undefined;
        },
        ms,
        "no frame",
      );
    },
    closed: (ms = 5000) => until(() => close ?? undefined, ms, "not closed"),
  };
}

async function joined(base, id, since) {
  const s = socket(base, id);
  expect(await s.opened(), "the socket did not open");
  s.send(since === undefined ? { type: "hello" } : { type: "hello", since });
  const first = await s.next();
  const peers = await s.next();
  return { s, first, peers };
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// An upgrade request by hand (fetch cannot send one): the raw answer.
function rawUpgrade(base, path) {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(port), hostname);
    let buf = "";
    s.on("data", (d) => (buf += d));
    s.on("end", () => resolve(buf));
    s.on("error", reject);
    s.write(
      `GET ${path} HTTP/1.1\r\nhost: ${hostname}:${port}\r\nupgrade: websocket\r\nconnection: Upgrade, close\r\n` +
        "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n",
    );
    setTimeout(() => (s.destroy(), resolve(buf)), 5000);
  });
}

// A WebSocket client by hand, to send what no WebSocket API sends: a text
// frame whose bytes are not UTF-8. frame(opcode, bytes) sends one masked
// frame; next() gives the next text frame the server sent, parsed.
function byHand(base, path) {
  const { hostname, port } = new URL(base);
  const s = net.connect(Number(port), hostname);
  let buf = Buffer.alloc(0);
  let upgraded = false;
  const frames = [];
  s.on("data", (d) => {
    buf = Buffer.concat([buf, d]);
    if (!upgraded) {
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      upgraded = /^HTTP\/1\.1 101/.test(buf.subarray(0, end).toString());
      buf = buf.subarray(end + 4);
    }
    while (buf.length >= 2) {
      let n = buf[1] & 127;
      let at = 2;
      if (n === 126) (n = buf.readUInt16BE(2)), (at = 4);
      if (buf.length < at + n) break;
      if ((buf[0] & 15) === 1) frames.push(JSON.parse(buf.subarray(at, at + n).toString()));
      buf = buf.subarray(at + n);
    }
  });
  s.write(
    `GET ${path} HTTP/1.1\r\nhost: ${hostname}:${port}\r\nupgrade: websocket\r\nconnection: Upgrade\r\n` +
      "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n",
  );
  return {
    frame(opcode, bytes) {
      const mask = Buffer.from([1, 2, 3, 4]);
      const head = bytes.length < 126 ? Buffer.from([0x80 | opcode, 0x80 | bytes.length]) : Buffer.from([0x80 | opcode, 0x80 | 126, bytes.length >> 8, bytes.length & 255]);
      s.write(Buffer.concat([head, mask, Buffer.from(bytes.map((b, i) => b ^ mask[i % 4]))]));
    },
    async next(ms = 5000) {
      const end = Date.now() + ms;
      while (!frames.length && Date.now() < end) await sleep(20);
      if (!frames.length) throw new Error("no frame");
      return frames.shift();
    },
    close: () => s.destroy(),
  };
}

export async function liveSteps({ step, base, consumer, restart }) {
  const id = `live-${Date.now().toString(36)}`;

  // Static assets are served by wrangler dev (the in-workerd tests cannot
  // reach them).
  await step("live_page_and_client_are_served_as_static_assets", async () => {
    const page = await fetch(`${base()}/`);
    const html = await page.text();
    expect(page.status === 200 && /^text\/html/.test(page.headers.get("content-type")) && html.includes('src="./app.js"'), `page: ${page.status}`);
    const client = await fetch(`${base()}/sync.js`);
    // The client as make built it (minified), with its connect export.
    const text = await client.text();
    expect(/javascript/.test(client.headers.get("content-type")) && text === readFileSync(path.join(root, "build/public/sync.js"), "utf8") && /\bas connect\b|export function connect\(/.test(text), "client");
    for (const file of ["order.js", "persist.js", "sw.js"]) {
      const r = await fetch(`${base()}/${file}`);
      expect(r.status === 200 && /javascript/.test(r.headers.get("content-type")) && (await r.text()) === readFileSync(path.join(root, "build/public", file), "utf8"), `${file}: ${r.status}`);
    }
    expect((await fetch(`${base()}/health`)).status === 200, "the worker's routes");
  });

  await step("live_upgrade_426_without_upgrade_101_with_it", async () => {
    const res = await fetch(`${base()}/state/${id}/live`);
    const body = await res.json();
    // (Upgrade: websocket rides along, as the in-workerd test checks; the
    // local proxy drops it, as a hop-by-hop header.)
    expect(res.status === 426 && body.error.code === "upgrade_required", `${res.status} ${JSON.stringify(body)}`);
    const s = socket(base(), id);
    expect(await s.opened(), "no 101");
    s.ws.close(1000);
  });

  await step("live_every_frame_type_over_real_sockets", async () => {
    const a = await joined(base(), id);
    expect(a.first.type === "snapshot" && a.first.version === 0 && same(a.first.state, {}), `snapshot: ${JSON.stringify(a.first)}`);
    expect(same(a.peers, { type: "peers", peers: [], keys: { ms: 86400000, writes: 10000 } }), `peers: ${JSON.stringify(a.peers)}`);
    a.s.send({ type: "presence", data: { name: "a" } });
    const b = await joined(base(), id);
    expect(b.peers.peers.length === 1 && same(b.peers.peers[0].data, { name: "a" }), `b's peers: ${JSON.stringify(b.peers)}`);
    // A socket's write: ack to it, change to the other.
    a.s.send({ type: "patch", mid: "w1", patch: { t: "x" } });
    expect(same(await a.s.next((f) => f.type === "ack"), { type: "ack", mid: "w1", version: 1 }), "ack");
    expect(same(await b.s.next((f) => f.type === "change"), { type: "change", version: 1, patch: { t: "x" }, actor: null }), "change");
    // Over HTTP and through the consumer's RPC: both sockets hear.
    await fetch(`${base()}/state/${id}`, { method: "PATCH", headers: { "content-type": "application/json" }, body: '{"h":1}' });
    await fetch(`${consumer()}/sync/${id}`, { method: "POST", body: '{"r":2}' });
    for (const s of [a.s, b.s]) {
      expect((await s.next((f) => f.type === "change")).version === 2, "HTTP change");
      expect(same((await s.next((f) => f.type === "change")).patch, { r: 2 }), "RPC change");
    }
    // Ping, a bad frame, a binary frame, a reject.
    a.s.send("ping");
    expect((await a.s.next((f) => f === "pong")) === "pong", "no pong");
    a.s.send("{");
    expect((await a.s.next()).error?.code === "bad_frame", "bad frame");
    a.s.ws.send(new Uint8Array([123, 125]));
    expect((await a.s.next()).error?.message === "a frame is a JSON object with a type", "binary frame");
    a.s.send({ type: "patch", mid: "w2", patch: { t: "y" }, ifMatch: 1 });
    expect((await a.s.next()).error?.code === "precondition_failed", "reject");
    // DELETE resets every socket; a close is a leave for the other.
    await fetch(`${base()}/state/${id}`, { method: "DELETE" });
    for (const s of [a.s, b.s]) expect(same(await s.next((f) => f.type === "reset"), { type: "reset", version: 4 }), "reset");
    const peer = b.peers.peers[0].peer;
    a.s.ws.close(4000, "bye");
    expect(same(await b.s.next((f) => f.type === "leave"), { type: "leave", peer }), "leave");
    // The close completes: answered with its code, not cut off (1006).
    expect(same(await a.s.closed(3000), { code: 4000, reason: "" }), "the client's close was not answered");
    // A patch over the body limit is rejected with its mid; a frame over
    // the frame limit (the body's + 4 KiB) closes with 1009.
    b.s.send({ type: "patch", mid: "big", patch: { a: "z".repeat(1 << 20) } });
    const big = await b.s.next((f) => f.mid === "big");
    expect(big.type === "reject" && big.error.code === "payload_too_large", `over the body limit: ${JSON.stringify(big).slice(0, 200)}`);
    b.s.send({ type: "patch", mid: "bigger", patch: { a: "z".repeat((1 << 20) + 4096) } });
    expect((await b.s.closed()).code === 1009, "no 1009");
  });

  await step("live_text_frames_with_invalid_utf8_arrive_replaced_and_binary_ones_are_refused", async () => {
    // workerd decodes a text frame itself and replaces bytes that are not
    // UTF-8 with U+FFFD before the worker sees them; a binary frame reaches
    // C as it is, which refuses them as it refuses them in a body: in a
    // patch frame, a reject naming its mid (other frames: bad_frame).
    const uid = `${id}-utf8`;
    const h = byHand(base(), `/state/${uid}/live`);
    h.frame(1, [...Buffer.from('{"type":"hello"}')]);
    expect((await h.next()).type === "snapshot", "snapshot");
    expect((await h.next()).type === "peers", "peers");
    const cases = [[0xc3, 0x28], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xff]];
    for (const [i, bad] of cases.entries()) {
      const frame = [...Buffer.from(`{"type":"patch","mid":"t${i}","patch":{"s${i}":"`), ...bad, ...Buffer.from('"}}')];
      h.frame(1, frame);
      const ack = await h.next();
      expect(ack.type === "ack" && ack.mid === `t${i}`, `text frame ${bad}: ${JSON.stringify(ack)}`);
      h.frame(2, frame);
      const e = await h.next();
      expect(e.type === "reject" && e.mid === `t${i}` && e.error.code === "invalid_json" && /UTF-8/.test(e.error.message), `binary frame ${bad}: ${JSON.stringify(e)}`);
      h.frame(2, [...Buffer.from('{"type":"presence","data":{"s":"'), ...bad, ...Buffer.from('"}}')]);
      const p = await h.next();
      expect(p.type === "error" && p.error.code === "bad_frame" && /UTF-8/.test(p.error.message), `binary presence frame ${bad}: ${JSON.stringify(p)}`);
    }
    const got = await (await fetch(`${base()}/state/${uid}`)).json();
    expect(got.version === 4 && [0, 1, 2, 3].every((i) => got.state[`s${i}`].includes("\ufffd")), `stored: ${JSON.stringify(got)}`);
    h.close();
  });

  await step("live_catch_up_with_since_and_versions_only_go_up", async () => {
    const lid = `${id}-order`;
    const socks = [(await joined(base(), lid)).s, (await joined(base(), lid)).s];
    const writes = [];
    for (let i = 0; i < 15; i++) {
      writes.push(fetch(`${base()}/state/${lid}`, { method: "PATCH", headers: { "content-type": "application/json" }, body: `{"h${i}":${i}}` }));
      socks[i % 2].send({ type: "patch", mid: `m${i}`, patch: { [`s${i}`]: i } });
    }
    await Promise.all(writes);
    for (const s of socks) await s.next((f) => f.version === 30, 10000);
    for (const s of socks) {
      const v = s.seen.filter((f) => f.type === "change" || f.type === "ack").map((f) => f.version);
      expect(v.length === 30 && v.every((x, i) => x === i + 1), `versions: ${v}`);
    }
    const late = await joined(base(), lid, 25);
    expect(late.first.type === "changes" && same(late.first.changes.map((c) => c.version), [26, 27, 28, 29, 30]), `catch-up: ${JSON.stringify(late.first).slice(0, 200)}`);
    for (const s of [...socks, late.s]) s.ws.close(1000);
  });

  await step("live_socket_limit_is_503_too_many_connections", async () => {
    const lid = `${id}-limit`;
    const socks = [];
    for (let i = 0; i < 256; i++) socks.push(socket(base(), lid));
    const open = await Promise.all(socks.map((s) => s.opened()));
    expect(open.every(Boolean), `${open.filter(Boolean).length} of 256 opened`);
    const res = await rawUpgrade(base(), `/state/${lid}/live`);
    expect(res.startsWith("HTTP/1.1 503") && res.includes('"code":"too_many_connections"'), `257th: ${res.slice(0, 200)}`);
    for (const s of socks) s.ws.close(1000);
  });

  await step("live_client_with_paths_shows_what_a_snapshot_of_its_paths_shows", async () => {
    // Writes by the client and over HTTP that delete and replace the
    // entries' parents, write beside them and outside them; then the
    // client's state against a fresh hello's snapshot of the same paths.
    const lid = `${id}-paths`;
    const paths = ["/cards/c1", "/cards/c2", "/meta", "/deep/a/b", "/tick"];
    // A snapshot's state as docs/live.md defines it, from the whole document.
    const view = (state) => {
      const out = {};
      for (const p of paths) {
        const keys = p.split("/").slice(1);
        let v = state;
        for (const k of keys) v = v && typeof v === "object" && !Array.isArray(v) && Object.hasOwn(v, k) ? v[k] : undefined;
        if (v === undefined) continue;
        let o = out;
        for (const k of keys.slice(0, -1)) o = o[k] ??= {};
        o[keys.at(-1)] = v;
      }
      return out;
    };
    const canon = (v) => JSON.stringify(v, (k, x) => (x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort()) : x));
    const doc = connect(wsUrl(base(), lid), { minDelay: 100, maxDelay: 1000, paths });
    const until = async (ok, what) => {
      for (let i = 0; i < 300 && !ok(); i++) await sleep(50);
      expect(ok(), what);
    };
    await until(() => doc.status === "open", "the client did not open");
    let seed = 7;
    const rnd = (n) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
    const values = () => [null, rnd(9), "s", [rnd(9)], {}, { t: rnd(9) }, { c1: { t: rnd(9) } }, { c2: rnd(9), c3: 1 }, { a: { b: rnd(9) } }, { a: null }];
    const shapes = [
      (v) => ({ cards: { c1: v } }),
      (v) => ({ cards: { c2: v, c4: 1 } }),
      (v) => ({ cards: v }),
      (v) => ({ deep: { a: { b: v } } }),
      (v) => ({ deep: { a: v } }),
      (v) => ({ deep: v }),
      (v) => ({ meta: v }),
      (v) => ({ other: v, cards: { c9: v } }),
    ];
    for (let i = 0; i < 80; i++) {
      const vs = values();
      const patch = shapes[rnd(shapes.length)](vs[rnd(vs.length)]);
      if (rnd(2)) await doc.patch(patch);
      else {
        const r = await fetch(`${base()}/state/${lid}`, { method: "PATCH", headers: { "content-type": "application/merge-patch+json" }, body: JSON.stringify(patch) });
        expect(r.status === 200, `PATCH ${JSON.stringify(patch)}: ${r.status}`);
      }
      // After each write, the client against the document's view.
      await fetch(`${base()}/state/${lid}`, { method: "PATCH", headers: { "content-type": "application/json" }, body: `{"tick":${i}}` });
      await until(() => doc.state.tick === i, `the client did not see tick ${i}`);
      const whole = await (await fetch(`${base()}/state/${lid}`)).json();
      expect(whole.version === doc.version && canon(view(whole.state)) === canon(doc.state), `after ${JSON.stringify(patch)}: client ${doc.version} ${canon(doc.state)}, view ${whole.version} ${canon(view(whole.state))}`);
    }
    await fetch(`${base()}/state/${lid}`, { method: "PATCH", headers: { "content-type": "application/json" }, body: '{"meta":{"done":1}}' });
    await until(() => doc.state.meta?.done === 1, `the client did not see the last write: ${JSON.stringify(doc.state)}`);
    const s = socket(base(), lid);
    expect(await s.opened(), "no socket");
    s.send({ type: "hello", paths });
    const snap = await s.next((f) => f.type === "snapshot");
    expect(snap.version === doc.version && canon(snap.state) === canon(doc.state), `client ${doc.version} ${canon(doc.state)}, snapshot ${snap.version} ${canon(snap.state)}`);
    s.ws.close(1000);
    doc.close();
  });

  await step("live_client_library_reconnects_after_restart_and_applies_an_offline_edit_once", async () => {
    const lid = `${id}-client`;
    const a = connect(wsUrl(base(), lid), { minDelay: 100, maxDelay: 1000 });
    const b = connect(wsUrl(base(), lid), { minDelay: 100, maxDelay: 1000 });
    const until = async (ok, what) => {
      for (let i = 0; i < 300 && !ok(); i++) await sleep(50);
      expect(ok(), what);
    };
    await until(() => a.status === "open" && b.status === "open", "clients did not open");
    expect((await a.patch({ n: 1 })) === 1, "first patch");
    await until(() => b.state.n === 1, "b did not see a's edit");
    let offline;
    await restart(async () => {
      await until(() => a.status === "reconnecting" && b.status === "reconnecting", "clients did not notice the restart");
      offline = a.patch({ offline: true }); // pending while nothing listens
      expect(a.state.offline === true, "not applied optimistically");
    });
    await fetch(`${base()}/state/${lid}`, { method: "PATCH", headers: { "content-type": "application/json" }, body: '{"server":1}' });
    const v = await offline;
    await until(() => a.version === 3 && b.version === 3, `versions ${a.version} ${b.version}`);
    const sorted = (o) => JSON.stringify(Object.fromEntries(Object.entries(o).sort()));
    expect(sorted(a.state) === sorted({ n: 1, offline: true, server: 1 }) && same(b.state, a.state), `states ${JSON.stringify(a.state)} ${JSON.stringify(b.state)}`);
    const changes = await (await fetch(`${base()}/state/${lid}/changes?since=0`)).json();
    expect(changes.changes.filter((c) => c.patch.offline).length === 1 && [2, 3].includes(v), `journal: ${JSON.stringify(changes.changes)}`);
    a.close();
    b.close();
  });
}
