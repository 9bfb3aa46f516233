// End to end against real `wrangler dev` processes and real HTTP.
//
//   main:     wrangler dev -c wrangler.toml -c plugins/wrangler.toml
//             -c examples/consumer/wrangler.toml
//   consumer: wrangler dev -c examples/consumer/wrangler.toml  (its HTTP face;
//             its STATE_SYNC binding reaches main through the dev registry)
//
// Both use a private dev registry and persistence directory under build/, so
// a developer's own `make dev` is never touched. Appends "e2e <passed>
// <failed>" to the results file given as argv[2].
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { freePort } from "../../scripts/free-port.mjs";
import path from "node:path";
import { devServers, expect, reporter } from "../lib/dev.mjs";
import { authSteps } from "./auth.mjs";
import { liveSteps } from "./live.mjs";

const results = process.argv[2];
const root = path.resolve(import.meta.dirname, "../..");
const work = path.join(root, "build/e2e");
const { start: startIn, stop, killHard, allLogs } = devServers(work);
const start = (name, args, port) => startIn(name, args, port, root);
const { step, fail, finish } = reporter("e2e");

async function json(res) {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`not JSON (${res.status}): ${text.slice(0, 200)}`);
  }
}

function patch(base, id, body, headers = {}) {
  return fetch(`${base}/state/${id}`, {
    method: "PATCH",
    headers: { "content-type": "application/merge-patch+json", ...headers },
    body: JSON.stringify(body),
  });
}

async function main() {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const mainPort = await freePort();
  // Operator tokens the way a developer sets them: a .dev.vars file.
  const devVars = path.join(work, "dev.vars");
  writeFileSync(devVars, "METRICS_TOKEN=e2e-metrics\nWARMUP_TOKEN=e2e-warmup\n");
  const mainArgs = ["-c", "wrangler.toml", "-c", "plugins/wrangler.toml", "-c", "examples/consumer/wrangler.toml", "--env-file", devVars, "--test-scheduled"];
  let main = await start("main", mainArgs, mainPort);
  const id = `e2e-${Date.now().toString(36)}`;

  await step("server_timing_cold_on_first_response_then_warm", async () => {
    const t = main.first.timing ?? "";
    expect(main.first.status === 200, `first status ${main.first.status}`);
    expect(/^cold, instantiate;dur=\d+\.\d{3}, init;dur=\d+\.\d{3}, config;dur=\d+\.\d{3}, first-request;dur=\d+\.\d{3}$/.test(t), `first: ${t}`);
    const second = await fetch(`${main.base}/health`);
    expect(second.headers.get("server-timing") === "warm", `second: ${second.headers.get("server-timing")}`);
  });

  const M = { authorization: "Bearer e2e-metrics" };
  const W = { authorization: "Bearer e2e-warmup" };
  const plugins = async () => (await json(await fetch(`${main.base}/plugins`, { headers: M }))).plugins;

  await step("plugins_listed_and_unloaded_until_use_or_warmup", async () => {
    expect((await fetch(`${main.base}/plugins`)).status === 401, "GET /plugins needs the metrics token");
    const list = await plugins();
    const names = list.map((p) => p.name).sort();
    expect(JSON.stringify(names) === '["schema","select"]', `plugins: ${JSON.stringify(list)}`);
    expect(list.every((p) => p.state === "unloaded" && p.loads === 0), `not all unloaded: ${JSON.stringify(list)}`);
  });

  await step("metrics_401_without_or_with_wrong_token", async () => {
    const none = await fetch(`${main.base}/metrics`);
    const wrong = await fetch(`${main.base}/metrics`, { headers: { authorization: "Bearer nope" } });
    expect(none.status === 401 && wrong.status === 401, `got ${none.status}, ${wrong.status}`);
  });

  await step("metrics_with_token_is_valid_exposition", async () => {
    const res = await fetch(`${main.base}/metrics`, { headers: { authorization: "Bearer e2e-metrics" } });
    const text = await res.text();
    expect(res.status === 200, `status ${res.status}`);
    for (const name of ["cw_startup_phase_seconds", "cw_cold_starts_total", "cw_requests_total", "cw_wasm_memory_bytes", "cw_isolate_uptime_seconds", "cw_build_info"])
      expect(text.includes(`# TYPE ${name} `), `missing ${name}`);
    // promtool (Debian's prometheus, installed by make setup) refuses a
    // family without HELP, among the rest of the format.
    const promtool = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    expect(!promtool.error, `promtool: ${promtool.error?.message}`);
    expect(promtool.status === 0 && !promtool.stdout.trim() && !promtool.stderr.trim(), `promtool: ${promtool.stdout}${promtool.stderr}`);
    const up = Number(/^cw_isolate_uptime_seconds (\S+)$/m.exec(text)?.[1]);
    expect(up >= 0 && up < 3600, `uptime ${up} s`);
  });

  await step("warmup_401_401_200", async () => {
    const post = (h) => fetch(`${main.base}/internal/warmup`, { method: "POST", headers: h });
    const none = await post({});
    const wrong = await post({ authorization: "Bearer e2e-metrics" });
    const ok = await post({ authorization: "Bearer e2e-warmup" });
    const body = await json(ok);
    expect(none.status === 401 && wrong.status === 401 && ok.status === 200, `got ${none.status}, ${wrong.status}, ${ok.status}`);
    expect(body.warmed.durable_objects.every((d) => d.ok) && body.trigger === "http", `body: ${JSON.stringify(body)}`);
    const loaded = (list) => list.length === 2 && list.every((p) => p.state === "loaded" && p.abi === 1 && p.loads === 1);
    expect(loaded(body.warmed.plugins), `warmup report: ${JSON.stringify(body.warmed.plugins)}`);
    expect(loaded(await plugins()), `after warmup: ${JSON.stringify(await plugins())}`);
  });

  await step("cron_trigger_runs_the_warmup", async () => {
    const r = await fetch(`${main.base}/__scheduled?cron=*/5+*+*+*+*`);
    expect(r.status === 200, `__scheduled: ${r.status}`);
    const text = await (await fetch(`${main.base}/metrics`, { headers: { authorization: "Bearer e2e-metrics" } })).text();
    expect(/cw_warmups_total\{trigger="cron"\} 1\n/.test(text), `cron warmups: ${text.match(/cw_warmups_total.*cron.*/)}`);
  });

  await step("health_and_version", async () => {
    const h = await fetch(`${main.base}/health`);
    expect(h.status === 200 && (await json(h)).status === "ok", "health");
    const v = await json(await fetch(`${main.base}/version`));
    expect(v.version && v.commit && v.built_at && v.toolchain, `version: ${JSON.stringify(v)}`);
    // The module is rebuilt when the commit changes, not only its sources.
    const head = spawnSync("git", ["rev-parse", "--verify", "-q", "HEAD"], { cwd: root, encoding: "utf8" });
    const commit = head.status === 0 ? head.stdout.trim() : "unknown";
    expect(v.commit === commit, `version's commit ${v.commit}, the tree's ${commit}`);
  });

  await step("two_patches_give_versions_1_and_2", async () => {
    const r1 = await patch(main.base, id, { a: 1, nested: { x: 1 } });
    const b1 = await json(r1);
    expect(r1.status === 200 && b1.version === 1 && r1.headers.get("etag") === '"1"', `first: ${JSON.stringify(b1)}`);
    const r2 = await patch(main.base, id, { b: 2, nested: { x: null, y: 2 } });
    const b2 = await json(r2);
    expect(r2.status === 200 && b2.version === 2, `second: ${JSON.stringify(b2)}`);
    expect(JSON.stringify(b2.state) === JSON.stringify({ a: 1, nested: { y: 2 }, b: 2 }), `merged: ${JSON.stringify(b2.state)}`);
  });

  await step("stale_if_match_is_412_and_changes_nothing", async () => {
    const r = await patch(main.base, id, { c: 3 }, { "if-match": '"1"' });
    const b = await json(r);
    expect(r.status === 412 && b.error.code === "precondition_failed", `got ${r.status} ${JSON.stringify(b)}`);
    expect(!r.headers.has("x-cw-error"), "the owner's error line reached the client");
    // The object decided it; the edge's log line names it.
    const lineOf = () => allLogs.join("").split("\n").find((l) => l.includes(b.error.request_id) && l.includes('"msg":"request"'));
    for (let i = 0; i < 50 && !lineOf(); i++) await new Promise((res) => setTimeout(res, 100));
    const line = lineOf();
    expect(line?.includes('"error":"precondition_failed"') && line.includes('"route":"state.patch"'), `the log line: ${line}`);
    const g = await json(await fetch(`${main.base}/state/${id}`));
    expect(g.version === 2 && g.state.c === undefined, `after 412: ${JSON.stringify(g)}`);
  });

  await step("a_patch_carrying_upgrade_websocket_is_refused_not_answered_as_a_read", async () => {
    const before = (await json(await fetch(`${main.base}/state/${id}`))).version;
    // workerd hands the worker a request with Upgrade: websocket as a GET.
    const { request } = await import("node:http");
    const upgraded = await new Promise((resolve, reject) => {
      const u = new URL(`${main.base}/state/${id}`);
      const r = request({ host: u.hostname, port: u.port, path: u.pathname, method: "PATCH", headers: { upgrade: "websocket", connection: "upgrade", "content-type": "application/json" } }, (res) => {
        let b = "";
        res.on("data", (c) => (b += c)).on("end", () => resolve({ status: res.statusCode, body: b }));
      });
      r.on("error", reject);
      r.end('{"refused":2}');
    });
    expect(upgraded.status === 400 && JSON.parse(upgraded.body).error.code === "bad_request", `PATCH with Upgrade: ${upgraded.status} ${upgraded.body}`);
    const after = await json(await fetch(`${main.base}/state/${id}`));
    expect(after.version === before && after.state.refused === undefined, `written anyway: ${JSON.stringify(after)}`);
  });

  await step("bad_input_is_4xx_json", async () => {
    const r = await fetch(`${main.base}/state/${id}`, { method: "PATCH", headers: { "content-type": "application/json" }, body: "{" });
    expect(r.status === 400 && (await json(r)).error.code === "invalid_json", `got ${r.status}`);
  });

  await step("bad_input_by_hand_gets_the_right_4xx_json_every_time", async () => {
    const P = (body, headers = { "content-type": "application/json" }, path = `/state/${id}-bad`) =>
      fetch(`${main.base}${path}`, { method: "PATCH", headers, body });
    const deep = "[".repeat(100) + "]".repeat(100);
    const cases = [
      ["invalid json", P("{"), 400, "invalid_json"],
      ["trailing bytes", P('{"a":1}x'), 400, "invalid_json"],
      ["invalid utf-8", P(new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d])), 400, "invalid_json"],
      ["duplicate keys", P('{"a":1,"a":2}'), 400, "invalid_json"],
      ["too deep", P(`{"a":${deep}}`), 400, "invalid_json"],
      ["non-object patch", P("[]"), 400, "invalid_patch"],
      ["null patch", P("null"), 400, "invalid_patch"],
      ["string patch", P('"x"'), 400, "invalid_patch"],
      ["no content type", P("{}", {}), 415, "unsupported_media_type"],
      ["text/plain", P("{}", { "content-type": "text/plain" }), 415, "unsupported_media_type"],
      ["malformed if-match", P("{}", { "content-type": "application/json", "if-match": "3" }), 400, "invalid_if_match"],
      ["body over 1 MiB", P(`{"a":"${"x".repeat(2 << 20)}"}`), 413, "payload_too_large"],
      ["bad id chars", fetch(`${main.base}/state/a%20b`), 400, "invalid_id"],
      ["id too long", fetch(`${main.base}/state/${"x".repeat(129)}`), 400, "invalid_id"],
      ["encoded slash", fetch(`${main.base}/state/a%2Fb`), 400, "invalid_id"],
      ["wrong method", fetch(`${main.base}/state/x`, { method: "PUT" }), 405, "method_not_allowed"],
      ["unknown route", fetch(`${main.base}/nope`), 404, "not_found"],
    ];
    const wrong = [];
    for (const [name, p, status, code] of cases) {
      const r = await p;
      const b = await r.json().catch(() => null);
      if (r.status !== status || b?.error?.code !== code || !b?.error?.request_id) wrong.push(`${name}: ${r.status} ${b?.error?.code}`);
    }
    expect(wrong.length === 0, wrong.join("; "));
    const ok = await patch(main.base, `${id}-bad`, { fine: true });
    expect(ok.status === 200 && (await json(ok)).version === 1, "nothing was written by the bad requests");
    expect((await fetch(`${main.base}/health`)).status === 200, "unhealthy after bad input");
  });

  await step("state_survives_wrangler_dev_restart", async () => {
    await stop(main);
    main = await start("main (restarted)", mainArgs, mainPort);
    const g = await json(await fetch(`${main.base}/state/${id}`));
    expect(g.version === 2 && g.state.b === 2, `after restart: ${JSON.stringify(g)}`);
  });

  // The consumer's port is picked only now: the main process (and its
  // restart above) binds random ports of its own, and a port picked early
  // could be taken by then, leaving requests to reach the wrong server.
  const consumer = await start("consumer", ["-c", "examples/consumer/wrangler.toml"], await freePort());
  expect(consumer.first.status === 404 && consumer.p.exitCode === null, `consumer not serving: ${consumer.first.status}`);

  await step("consumer_sync_state_via_service_binding", async () => {
    let r;
    // The registry entry of main can take a moment to be picked up.
    for (let i = 0; i < 20; i++) {
      r = await fetch(`${consumer.base}/sync/${id}`, { method: "POST", body: JSON.stringify({ fromConsumer: true }) });
      if (r.status !== 500 && r.status !== 503) break;
      await new Promise((res) => setTimeout(res, 500));
    }
    const b = await json(r);
    expect(r.status === 200 && b.version === 3 && b.state.fromConsumer === true, `sync: ${r.status} ${JSON.stringify(b)}`);
    const g = await json(await fetch(`${main.base}/state/${id}`));
    expect(g.version === 3 && g.state.fromConsumer === true, `main sees it: ${JSON.stringify(g)}`);
  });

  await step("plugins_over_real_http_and_consumer_rpc", async () => {
    // select: a projection of the state written above.
    const sel = await json(await fetch(`${main.base}/plugins/select/state/${id}?select=fromConsumer,nope`));
    expect(sel.version === 3 && sel.state.fromConsumer === true && sel.missing[0] === "nope", `select: ${JSON.stringify(sel)}`);
    // schema, as wrangler.toml configures it for "profile.": 422 with
    // reasons over HTTP and through the consumer's syncState; then a commit.
    const pid = `profile.${id}`;
    const bad = await patch(main.base, pid, { age: -1, extra: 1 });
    const b = await json(bad);
    expect(bad.status === 422 && b.error.code === "schema_violation" && b.error.reasons.length === 3, `HTTP: ${JSON.stringify(b)}`);
    const r = await fetch(`${consumer.base}/sync/${pid}`, { method: "POST", body: JSON.stringify({ name: "" }) });
    const rb = await json(r);
    expect(r.status === 422 && rb.error.reasons[0].path === "/name", `RPC: ${JSON.stringify(rb)}`);
    const g = await json(await fetch(`${main.base}/state/${pid}`));
    expect(g.version === 0, `nothing committed: ${JSON.stringify(g)}`);
    const ok = await patch(main.base, pid, { name: "Ann", role: "admin", tags: ["a"] });
    expect(ok.status === 200 && (await json(ok)).version === 1, `valid: ${ok.status}`);
    // unload, then the next use loads it again.
    const u = await fetch(`${main.base}/internal/plugins/select/unload`, { method: "POST", headers: W });
    expect(u.status === 200 && (await json(u)).plugins[0].state === "unloaded", `unload: ${u.status}`);
    await fetch(`${main.base}/plugins/select/state/${id}?select=a`);
    const s2 = (await plugins()).find((p) => p.name === "select");
    expect(s2.state === "loaded" && s2.loads === 2, `reloaded: ${JSON.stringify(s2)}`);
  });

  await step("consumer_gets_typed_errors", async () => {
    const r = await fetch(`${consumer.base}/sync/${id}`, { method: "POST", headers: { "if-match": '"1"' }, body: "{}" });
    const b = await json(r);
    expect(r.status === 412 && b.error.code === "precondition_failed", `stale: ${JSON.stringify(b)}`);
    const bad = await fetch(`${consumer.base}/sync/${id}`, { method: "POST", headers: { "if-match": "1" }, body: "{}" });
    expect(bad.status === 400 && (await json(bad)).error.code === "invalid_if_match", `unquoted If-Match: ${bad.status}`);
    const g = await json(await fetch(`${consumer.base}/state/${id}`));
    expect(g.version === 3, `getState: ${JSON.stringify(g)}`);
  });

  await step("consumer_streams_a_state_past_4_mib_and_reads_by_path", async () => {
    const lid = `${id}-large`;
    for (let w = 0; w < 7; w++) {
      const cards = Object.fromEntries(Array.from({ length: 3000 }, (_, j) => [`c${w}_${j}`, { t: "ä".repeat(100), n: 9007199254740993 }]));
      const r = await fetch(`${consumer.base}/sync/${lid}`, { method: "POST", body: JSON.stringify({ cards }).replaceAll('"n":9007199254740992', '"n":9007199254740993') });
      expect(r.status === 200, `write ${w}: ${r.status}`);
    }
    const direct = await (await fetch(`${main.base}/state/${lid}`)).text();
    const via = await fetch(`${consumer.base}/state/${lid}`);
    const text = await via.text();
    expect(via.status === 200 && via.headers.get("etag") === '"7"', `consumer GET: ${via.status} ${via.headers.get("etag")}`);
    let at0 = 0;
    while (at0 < text.length && text[at0] === direct[at0]) at0++;
    expect(Buffer.byteLength(text) > 4 * 1024 * 1024 && text === direct, `the consumer's streamed GET (${text.length} characters) is not the worker's (${direct.length}): from character ${at0}, ${JSON.stringify(text.slice(at0 - 80, at0 + 80))} against ${JSON.stringify(direct.slice(at0 - 80, at0 + 80))}`);
    const at = await fetch(`${consumer.base}/state/${lid}?path=${encodeURIComponent("/cards/c3_17/n")}`);
    expect((await at.text()) === `{"id":"${lid}","version":7,"path":"/cards/c3_17/n","state":9007199254740993}`, "a path read through the consumer");
    const none = await fetch(`${consumer.base}/state/${lid}?path=/nope`);
    expect(none.status === 404 && (await json(none)).error.code === "no_such_path", `a missing path: ${none.status}`);
  });

  await step("consumer_forwards_raw_bytes_and_if_match_lists", async () => {
    const cid = `${id}-raw`;
    const text = '{"big":9007199254740993,"neg":-9223372036854775807}';
    const r = await fetch(`${consumer.base}/sync/${cid}`, { method: "POST", body: text });
    expect(r.status === 200 && (await json(r)).version === 1, `raw: ${r.status}`);
    const stored = await (await fetch(`${main.base}/state/${cid}`)).text();
    expect(stored.includes(text), `integers changed on the way: ${stored}`);
    for (const [tag, version] of [['"1"', 2], ['"9", "2"', 3], ["*", 4]]) {
      const u = await fetch(`${consumer.base}/sync/${cid}`, { method: "POST", headers: { "if-match": tag }, body: '{"x":1}' });
      const ub = await json(u);
      expect(u.status === 200 && ub.version === version, `If-Match ${tag}: ${u.status} ${JSON.stringify(ub)}`);
    }
  });

  await step("sync_routes_over_real_http_and_consumer_rpc", async () => {
    const sid = `${id}-sync`;
    const P = (body, headers = {}, q = "") =>
      fetch(`${main.base}/state/${sid}${q}`, { method: "PATCH", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
    expect((await P({ a: 1 }, { "idempotency-key": "e2e-1" })).status === 200, "first write");
    const again = await P({ a: 1 }, { "idempotency-key": "e2e-1" });
    expect(again.status === 200 && again.headers.get("idempotent-replayed") === "true", "replayed");
    expect((await P({ a: { b: 2 } })).status === 200, "second write");
    const clash = await P({ a: 5 }, {}, "?base=1");
    expect(clash.status === 409 && (await json(clash)).error.paths[0] === "/a", `conflict: ${clash.status}`);
    const min = await P({ z: 1 }, { prefer: "return=minimal" });
    expect(JSON.stringify(await json(min)) === JSON.stringify({ id: sid, version: 3 }), "minimal");
    const ch = await json(await fetch(`${main.base}/state/${sid}/changes?since=0`));
    expect(ch.changes.map((c) => c.version).join() === "1,2,3", `changes: ${JSON.stringify(ch)}`);
    // The consumer's RPC: changes, a keyed retry, delete.
    const viaRpc = await json(await fetch(`${consumer.base}/changes/${sid}?since=1`));
    expect(viaRpc.changes.length === 2, `getChanges: ${JSON.stringify(viaRpc)}`);
    const k1 = await json(await fetch(`${consumer.base}/sync/${sid}`, { method: "POST", headers: { "idempotency-key": "c-1" }, body: '{"c":1}' }));
    const r2 = await fetch(`${consumer.base}/sync/${sid}`, { method: "POST", headers: { "idempotency-key": "c-1" }, body: '{"c":1}' });
    const k2 = await json(r2);
    expect(k1.version === 4 && k2.version === 4 && r2.headers.get("idempotent-replayed") === "true", `keyed retry: ${JSON.stringify(k2)}`);
    const gone = await json(await fetch(`${consumer.base}/state/${sid}`, { method: "DELETE", headers: { "if-match": '"4"' } }));
    expect(gone.version === 5, `deleteState: ${JSON.stringify(gone)}`);
    expect((await fetch(`${main.base}/state/${sid}/changes?since=1`)).status === 410, "history is gone after delete");
    const head = await fetch(`${main.base}/state/${sid}`, { method: "HEAD" });
    expect(head.status === 200 && head.headers.get("etag") === '"5"' && (await head.text()) === "", "HEAD");
  });

  // The local row's page: 100 changes unless limit asks, at most
  // changes_limit (1,000), as docs/http.md says; since left out is 0.
  await step("a_changes_page_is_100_unless_limit_asks", async () => {
    const pid = `${id}-page`;
    for (let at = 0; at < 130; at += 10)
      await Promise.all(Array.from({ length: 10 }, (_, i) => fetch(`${main.base}/state/${pid}`, { method: "PATCH", headers: { "content-type": "application/json", prefer: "return=minimal" }, body: JSON.stringify({ [`k${at + i}`]: 1 }) }).then((r) => r.arrayBuffer())));
    const page = await json(await fetch(`${main.base}/state/${pid}/changes?since=0`));
    expect(page.version === 130 && page.changes.length === 100 && page.changes[0].version === 1 && page.changes[99].version === 100, `default page: ${page.changes?.length}`);
    expect((await json(await fetch(`${main.base}/state/${pid}/changes`))).changes.length === 100, "since left out");
    expect((await json(await fetch(`${main.base}/state/${pid}/changes?since=0&limit=5000`))).changes.length === 130, "limit past the page");
    expect((await json(await fetch(`${main.base}/state/${pid}/changes?since=120&limit=3`))).changes.map((c) => c.version).join() === "121,122,123", "limit");
  });

  await step("consumer_answers_byte_for_byte_what_http_on_the_worker_answers", async () => {
    // A public merge-patch case with numbers a JS double cannot hold: they
    // go in as raw bytes and come back as written, from either face.
    const cid = `${id}-exact`;
    const w = await fetch(`${consumer.base}/sync/${cid}`, { method: "POST", body: '{"i": 9007199254740993, "f": -0.0, "e": 1E400}' });
    const wt = await w.text();
    expect(w.status === 200 && wt === `{"id":"${cid}","version":1,"state":{"i":9007199254740993,"f":-0.0,"e":1E400}}`, `write: ${wt}`);
    expect(w.headers.get("etag") === '"1"', `etag ${w.headers.get("etag")}`);
    for (const p of [`/state/${cid}`, `/changes/${cid}?since=0`]) {
      const viaConsumer = await fetch(`${consumer.base}${p}`);
      const direct = await fetch(`${main.base}${p.replace(/^\/changes\/([^?]+)/, "/state/$1/changes")}`);
      const [a, b] = [await viaConsumer.text(), await direct.text()];
      expect(viaConsumer.status === direct.status && a === b, `${p}: ${a} vs ${b}`);
    }
    const err = await fetch(`${consumer.base}/sync/${cid}`, { method: "POST", headers: { "if-match": '"0"' }, body: "{}" });
    expect(err.status === 412 && (await json(err)).error.code === "precondition_failed", `error: ${err.status}`);
  });

  await step("consumer_bad_percent_escape_is_400_json", async () => {
    for (const [method, path] of [["GET", "/state/%zz"], ["POST", "/sync/%E0%A4%A"], ["GET", "/state/%"]]) {
      const r = await fetch(`${consumer.base}${path}`, { method, body: method === "POST" ? "{}" : undefined });
      const b = await json(r);
      expect(r.status === 400 && b.error.code === "invalid_id", `${method} ${path}: ${r.status} ${JSON.stringify(b)}`);
    }
  });

  await step("64_writers_x4_over_real_http_and_via_consumer_rpc", async () => {
    for (const [label, write] of [
      ["http", (cid, key, v) => fetch(`${main.base}/state/${cid}`, { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ [key]: v }) })],
      ["rpc", (cid, key, v) => fetch(`${consumer.base}/sync/${cid}`, { method: "POST", body: JSON.stringify({ [key]: v }) })],
    ]) {
      const cid = `${id}-conc-${label}`;
      const acked = [];
      await Promise.all(
        Array.from({ length: 64 }, async (_, w) => {
          for (let j = 0; j < 4; j++) {
            const r = await write(cid, `w${w}_${j}`, j);
            if (r.status === 200) acked.push((await r.json()).version);
          }
        }),
      );
      const g = await json(await fetch(`${main.base}/state/${cid}`));
      expect(acked.length === 256 && new Set(acked).size === 256, `${label}: ${acked.length} acked, ${new Set(acked).size} distinct`);
      expect(g.version === 256 && Object.keys(g.state).length === 256, `${label}: final ${g.version}, ${Object.keys(g.state).length} keys`);
    }
  });

  await step("16_racers_same_if_match_one_winner", async () => {
    const rid = `${id}-race`;
    await patch(main.base, rid, { start: true });
    const rs = await Promise.all(Array.from({ length: 16 }, (_, i) => patch(main.base, rid, { winner: i }, { "if-match": '"1"' })));
    const st = rs.map((r) => r.status);
    expect(st.filter((s) => s === 200).length === 1 && st.filter((s) => s === 412).length === 15, `statuses ${st}`);
  });

  // Live sync, with the consumer still up for its RPC writes.
  await liveSteps({
    step,
    base: () => main.base,
    consumer: () => consumer.base,
    restart: async (whileDown) => {
      await stop(main);
      await whileDown();
      main = await start("main (restarted, live)", mainArgs, mainPort);
    },
  });

  await stop(consumer);

  await step("sigkill_during_writes_loses_no_acknowledged_write", async () => {
    const kid = `${id}-kill`;
    const acked = new Map(); // key -> version
    const refused = []; // statuses other than 200, before the kill
    let stopWriters = false;
    const writers = Array.from({ length: 8 }, async (_, w) => {
      for (let n = 0; !stopWriters; n++) {
        const key = `k${w}_${n}`;
        try {
          const r = await fetch(`${main.base}/state/${kid}`, {
            method: "PATCH",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ [key]: n }),
            signal: AbortSignal.timeout(5000),
          });
          if (r.status === 200) acked.set(key, (await r.json()).version);
          else refused.push(r.status);
        } catch {
          return; // the server is gone
        }
      }
    });
    // 150 acknowledged writes before the kill, within 60 s: writers that
    // stop, or writes refused for a minute, fail the step instead of waiting
    // forever.
    let writersDone = false;
    Promise.all(writers).then(() => (writersDone = true));
    const until = Date.now() + 60_000;
    while (acked.size < 150) {
      if (writersDone || Date.now() > until) {
        stopWriters = true;
        await Promise.all(writers);
        throw new Error(`${acked.size} of 150 writes acknowledged before the kill; ${refused.length} refused (${[...new Set(refused)].join(", ") || "none"}), ${writersDone ? "the writers stopped" : "60 s passed"}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    await killHard(main);
    stopWriters = true;
    await Promise.all(writers);
    main = await start("main (after SIGKILL)", mainArgs, mainPort);
    const g = await json(await fetch(`${main.base}/state/${kid}`));
    const keys = Object.keys(g.state);
    const missing = [...acked.keys()].filter((k) => !(k in g.state));
    const versions = [...acked.values()];
    expect(missing.length === 0, `${missing.length} acknowledged writes lost, e.g. ${missing.slice(0, 3)}`);
    expect(new Set(versions).size === versions.length, "two acknowledged writes share a version");
    expect(g.version >= Math.max(...versions), `version went back: ${g.version} < ${Math.max(...versions)}`);
    // Each write adds one key, so keys == version means no write was lost or
    // applied twice and versions are contiguous; at most the 8 in-flight
    // writes may have landed without an acknowledgement.
    expect(keys.length === g.version, `${keys.length} keys but version ${g.version}`);
    expect(g.version - acked.size <= 8, `${g.version - acked.size} unacknowledged writes applied`);
    // The journal agrees: one entry per version, each adding its key, and
    // replaying it rebuilds the state.
    const journal = await json(await fetch(`${main.base}/state/${kid}/changes?since=0&limit=1000`));
    const replay = {};
    journal.changes.forEach((c, i) => {
      expect(c.version === i + 1, `journal entry ${i} has version ${c.version}`);
      Object.assign(replay, c.patch);
    });
    expect(journal.changes.length === g.version && journal.version === g.version, `journal ${journal.changes.length} entries, version ${g.version}`);
    expect(JSON.stringify(replay) === JSON.stringify(g.state), "replaying the journal does not give the state");
    for (const [key, v] of acked) expect(journal.changes[v - 1].patch[key] !== undefined, `write ${key} is not journaled at its version ${v}`);
    console.log(`       ${acked.size} acknowledged before SIGKILL; after restart version ${g.version}, ${keys.length} keys, ${journal.changes.length} journal entries`);
  });

  // A document far past what the owner holds whole (4 MiB): built by
  // writes under the body limit, nested; read back streamed and by path;
  // then SIGKILL during a write, and after the restart the state is the
  // one of the writes acknowledged (the one in flight applied whole, or
  // not at all).
  await step("big_document_streams_and_survives_sigkill", async () => {
    const bid = `${id}-big`;
    const merge = (t, p) => {
      if (p === null || typeof p !== "object" || Array.isArray(p)) return p;
      const o = t && typeof t === "object" && !Array.isArray(t) ? { ...t } : {};
      for (const [k, v] of Object.entries(p)) v === null ? delete o[k] : (o[k] = merge(o[k], v));
      return o;
    };
    const write = (i) => ({
      cards: Object.fromEntries(Array.from({ length: 2500 }, (_, j) => [`c${i}_${j}`, { t: `card ${i}/${j} ${"ü".repeat(30)}`, n: j, tags: [i, j], note: "n".repeat(170) }])),
      deep: { [`d${i}`]: { a: { b: { c: { d: { e: { f: { i, s: "\u0007\"" } } } } } } } },
    });
    let model = {};
    const t0 = performance.now();
    for (let i = 0; i < 16; i++) {
      const r = await patch(main.base, bid, write(i), { prefer: "return=minimal" });
      expect(r.status === 200, `write ${i}: ${r.status} ${await r.text()}`);
      model = merge(model, write(i));
    }
    const built = performance.now() - t0;
    const res = await fetch(`${main.base}/state/${bid}`);
    expect(res.headers.get("content-length") === null, "the GET of a document this large is not streamed");
    const text = await res.text();
    expect(Buffer.byteLength(text) > 10 * 1024 * 1024, `only ${Buffer.byteLength(text)} bytes`);
    expect(JSON.stringify(JSON.parse(text)) === JSON.stringify({ id: bid, version: 16, state: model }), "the streamed GET is not the state");
    const at = await json(await fetch(`${main.base}/state/${bid}?path=${encodeURIComponent("/deep/d9/a/b/c/d/e/f")}`));
    expect(JSON.stringify(at) === JSON.stringify({ id: bid, version: 16, path: "/deep/d9/a/b/c/d/e/f", state: { i: 9, s: "\u0007\"" } }), `path read: ${JSON.stringify(at)}`);
    // SIGKILL while a nested write is in flight.
    const last = write(16);
    const inflight = patch(main.base, bid, last).catch(() => null);
    await new Promise((r) => setTimeout(r, 30));
    await killHard(main);
    await inflight;
    main = await start("main (after SIGKILL, big)", mainArgs, mainPort);
    const after = await fetch(`${main.base}/state/${bid}`);
    const g = JSON.parse(await after.text());
    const want = g.version === 17 ? merge(model, last) : model;
    expect(g.version === 16 || g.version === 17, `version ${g.version}`);
    expect(JSON.stringify(g.state) === JSON.stringify(want), `after the restart the state is not that of version ${g.version}`);
    const changes = await json(await fetch(`${main.base}/state/${bid}/changes?since=15`));
    expect(changes.version === g.version, `changes at version ${changes.version}`);
    console.log(`       ${(text.length / 1048576).toFixed(1)} MiB built by 16 writes in ${(built / 1000).toFixed(1)} s; after SIGKILL version ${g.version}`);
  });

  await step("secrets_never_logged", async () => {
    const logs = allLogs.join("");
    expect(logs.includes('"route":"metrics"'), "the request log lines were not captured");
    expect(!logs.includes("e2e-metrics") && !logs.includes("e2e-warmup"), "a token appears in the logs");
  });

  // Document tokens, on a second server with STATE_KEYS.
  await authSteps({ step, root, work });

  await stop(main);
}

try {
  await main();
} catch (e) {
  fail("setup", e);
}
const { passed, failed } = finish();
appendFileSync(results, `e2e ${passed} ${failed}\n`);
process.exit(failed === 0 ? 0 : 1);
