// Deploying never ships the local environment. Reads the real configuration
// the way a deploy resolves it (wrangler's own config reader, cross-checked
// against what `wrangler deploy --dry-run` prints for each target), then
// runs each deployable bundle in workerd with the vars it would get and
// proves that staging and production refuse the operator routes when their
// tokens are missing. Appends "deploy <passed> <failed>" to argv[2].
import { execFileSync, spawnSync } from "node:child_process";
import { appendFileSync, readdirSync, rmSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { unstable_readConfig } from "wrangler";
import { config, freePort, serve, stop } from "../scripts/workerd.mjs";

const root = path.resolve(import.meta.dirname, "..");
const PRODUCTION = "c-on-workers";
let passed = 0;
let failed = 0;

async function step(name, fn) {
  try {
    await fn();
    passed += 1;
    console.log(`  ok   deploy.${name}`);
  } catch (e) {
    failed += 1;
    console.log(`  FAIL deploy.${name}: ${e.message}`);
  }
}
function expect(cond, msg) {
  if (!cond) throw new Error(msg);
}

// One deploy target as wrangler resolves it: "" is a bare `wrangler deploy`.
// With the plugins worker's target for the same environment.
function resolve(env) {
  const dryRun = (config, outdir) =>
    rmSync(outdir, { recursive: true, force: true }) ??
    execFileSync("wrangler", ["deploy", "--dry-run", "--outdir", outdir, "-c", config, ...(env ? ["--env", env] : [])], {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    });
  const cfg = unstable_readConfig({ config: path.join(root, "wrangler.toml"), env: env || undefined });
  const outdir = path.join(root, "build/deploy-test", env || "top");
  const workerEnv = dryRun("wrangler.toml", outdir).match(/env\.WORKER_ENV \("([^"]*)"\)/)?.[1];
  const pcfg = unstable_readConfig({ config: path.join(root, "plugins/wrangler.toml"), env: env || undefined });
  const pluginsOutdir = path.join(root, "build/deploy-test", `${env || "top"}-plugins`);
  dryRun("plugins/wrangler.toml", pluginsOutdir);
  const plugins = { name: pcfg.name, workersDev: pcfg.workers_dev, routes: pcfg.routes ?? [], outdir: pluginsOutdir };
  const binding = (cfg.services ?? []).find((s) => s.binding === "PLUGINS")?.service;
  return { env, name: cfg.name, workersDev: cfg.workers_dev, routes: cfg.routes ?? [], vars: cfg.vars, workerEnv, outdir, plugins, binding };
}

async function listening(port) {
  for (let i = 0; i < 2000; i++) {
    const ok = await new Promise((r) => {
      const s = net.connect(port, "127.0.0.1", () => (s.destroy(), r(true)));
      s.on("error", () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`workerd did not listen on ${port}`);
}

// Serves a target's bundle in workerd with its vars (and extra: secrets
// or overrides, none by default).
async function run(target, fn, extra = {}) {
  const port = await freePort();
  const vars = Object.fromEntries(Object.entries({ ...target.vars, ...extra }).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
  const proc = serve(config(target.outdir, path.join(root, "build/deploy-test/run", target.env || "top"), port, { vars, plugins: target.plugins.outdir }));
  try {
    await listening(port);
    return await fn(`http://127.0.0.1:${port}`);
  } finally {
    await stop(proc);
  }
}

const targets = {};
for (const env of ["", "staging", "production"]) targets[env || "top"] = resolve(env);

await step("dry_run_and_config_agree_on_each_target", async () => {
  for (const t of Object.values(targets)) expect(t.workerEnv === t.vars.WORKER_ENV, `${t.env || "top"}: dry run ${t.workerEnv}, config ${t.vars.WORKER_ENV}`);
});

await step("a_bare_deploy_is_never_the_production_worker", async () => {
  const top = targets.top;
  expect(top.name !== PRODUCTION && top.name !== targets.staging.name, `the top level deploys as ${top.name}`);
  expect(top.workerEnv === "local", `the top level runs ${top.workerEnv}`);
  expect(top.workersDev === false && top.routes.length === 0, "the development worker must have no public route");
});

await step("only_the_production_row_runs_under_the_production_name", async () => {
  for (const t of Object.values(targets)) if (t.name === PRODUCTION) expect(t.workerEnv === "production", `${t.name} runs ${t.workerEnv}`);
  expect(targets.production.name === PRODUCTION && targets.production.workerEnv === "production", "env.production");
  expect(targets.staging.workerEnv === "staging", "env.staging");
});

// Each environment's PLUGINS binding names that environment's plugins
// worker, which has no public face: the C worker is its only caller.
await step("each_environment_binds_its_own_private_plugins_worker", async () => {
  const names = new Set();
  for (const t of Object.values(targets)) {
    const where = t.env || "top";
    expect(t.binding === t.plugins.name, `${where}: PLUGINS binds ${t.binding}, the plugins worker is ${t.plugins.name}`);
    expect(t.plugins.workersDev === false && t.plugins.routes.length === 0, `${where}: the plugins worker must have no public route`);
    const shipped = readdirSync(t.plugins.outdir);
    expect(shipped.some((f) => f.endsWith(".plugin.wasm")) && !readdirSync(t.outdir).some((f) => f.endsWith(".plugin.wasm")), `${where}: plugins ship in the plugins worker only`);
    names.add(t.plugins.name);
  }
  expect(names.size === 3, "one plugins worker per environment");
});

await step("make_deploy_refuses_anything_but_staging_or_production", async () => {
  for (const args of [[], ["ENV=local"], ["ENV="], ["ENV=prod"]]) {
    const r = spawnSync("make", ["--no-print-directory", "-s", "deploy", ...args], { cwd: root, encoding: "utf8" });
    expect(r.status !== 0 && /ENV=staging or ENV=production/.test(r.stderr), `make deploy ${args.join(" ")}: exit ${r.status}`);
  }
  const dry = spawnSync("make", ["--no-print-directory", "-s", "deploy", "ENV=staging", "DRY_RUN=1"], { cwd: root, encoding: "utf8" });
  expect(dry.status === 0 && /WORKER_ENV \("staging"\)/.test(dry.stdout + dry.stderr), `make deploy ENV=staging DRY_RUN=1: exit ${dry.status}`);
  // Two uploads, the plugins worker's first: the C worker's names it.
  const out = dry.stdout + dry.stderr;
  const uploads = [...out.matchAll(/Total Upload/g)].map((m) => m.index);
  const binding = out.indexOf("env.PLUGINS (c-on-workers-plugins-staging)");
  expect(uploads.length === 2 && binding > uploads[0], "the plugins worker deploys first, then the C worker");
});

const operator = [
  ["GET", "/metrics"],
  ["GET", "/plugins"],
  ["POST", "/internal/warmup"],
  ["POST", "/internal/plugins/schema/unload"],
];

for (const name of ["staging", "production"])
  await step(`${name}_refuses_operator_and_state_routes_without_their_keys`, async () => {
    await run(targets[name], async (base) => {
      for (const [method, route] of operator)
        for (const auth of [undefined, "Bearer guess"]) {
          const res = await fetch(base + route, { method, headers: auth ? { authorization: auth } : {} });
          const body = await res.json();
          expect(res.status === 401 && body.error.code === "unauthorized", `${method} ${route}: ${res.status}`);
          expect(res.headers.get("www-authenticate")?.startsWith("Bearer"), `${route}: no WWW-Authenticate`);
        }
      // An unset STATE_KEYS is not refused (RPC callers are served): healthy.
      expect((await fetch(base + "/health")).status === 200, "health");
      // Without STATE_KEYS, every state route is closed: it never falls open.
      for (const [method, route] of [["GET", "/state/doc1"], ["PATCH", "/state/doc1"], ["GET", "/state/doc1/changes?since=0"]]) {
        const res = await fetch(base + route, { method, headers: { "content-type": "application/json" }, body: method === "PATCH" ? "{}" : undefined });
        const body = await res.json();
        expect(res.status === 503 && body.error.code === "auth_unconfigured", `${method} ${route}: ${res.status} ${body.error?.code}`);
      }
    });
  });

// A configured value that is refused closes something until it is fixed,
// and /health says which (docs/http.md): 503 config_refused, HEAD alike.
await step("a_refused_configuration_makes_health_503_naming_it", async () => {
  const cases = [
    [{ SYNC_HOOKS: "{\"schema\":" }, "SYNC_HOOKS refused"],
    [{ STATE_KEYS: '{"k1":"too-short"}' }, "STATE_KEYS refused"],
    [{ CORS_ORIGINS: "*" }, "CORS_ORIGINS refused"],
    [{ SYNC_HOOKS: "[]", STATE_KEYS: "[]", CORS_ORIGINS: "https://EXAMPLE.com" }, "SYNC_HOOKS, STATE_KEYS, CORS_ORIGINS refused"],
  ];
  for (const [extra, named] of cases)
    await run(
      targets.production,
      async (base) => {
        const res = await fetch(base + "/health");
        const body = await res.json();
        expect(res.status === 503 && body.error.code === "config_refused" && body.error.message.startsWith(named) && body.error.request_id, `${JSON.stringify(extra)}: ${res.status} ${JSON.stringify(body)}`);
        const head = await fetch(base + "/health", { method: "HEAD" });
        expect(head.status === 503 && (await head.text()) === "", `HEAD: ${head.status}`);
      },
      extra,
    );
});

// One raw HTTP/1.1 exchange, for request forms fetch() cannot send.
function raw(base, head, body = "") {
  const { port } = new URL(base);
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(port), "127.0.0.1");
    let buf = "";
    s.on("data", (d) => (buf += d));
    s.on("end", () => {
      const [top, ...rest] = buf.split("\r\n\r\n");
      resolve({ status: Number(top.split(" ")[1]), head: top.toLowerCase(), body: rest.join("\r\n\r\n") });
    });
    s.on("error", reject);
    s.write(`${head}\r\nhost: 127.0.0.1:${port}\r\nconnection: close\r\n\r\n${body}`);
  });
}

// (In the local bundle, whose state routes are open without STATE_KEYS:
// production's answer 503 auth_unconfigured, as the step above checks.)
await step("odd_request_forms_never_get_a_5xx", async () => {
  await run(targets.top, async (base) => {
    // The asterisk form reaches the worker as "http://host:port*": a JSON 4xx.
    const star = await raw(base, "OPTIONS * HTTP/1.1");
    expect(star.status >= 400 && star.status < 500 && JSON.parse(star.body).error.code, `OPTIONS *: ${star.status} ${star.body}`);
    // A method workerd does not know: the platform's own answer.
    const foo = await raw(base, "FOO /state/x HTTP/1.1");
    expect(foo.status === 501, `FOO: ${foo.status}`);
    const cases = [
      ["GET http://elsewhere.example/health HTTP/1.1", 200],
      ["GET /state/%zz HTTP/1.1", 400],
      ["GET //state/x HTTP/1.1", 404],
      ["HEAD /state/x HTTP/1.1", 200],
      ["DELETE /health HTTP/1.1", 405],
      ["GET /state/x?%zz=%zz HTTP/1.1", 200],
      ["GET /state/x HTTP/1.0", 200],
      // An If-Match with no entity-tag at all is 400 (docs/http.md), never
      // a write without its precondition. (An empty one workerd drops
      // before the worker sees it: as documented, it is then absent.)
      ["PATCH /state/x HTTP/1.1\r\ncontent-type: application/json\r\ncontent-length: 7\r\nif-match: ,", 400, '{"a":1}'],
      ["PATCH /state/x HTTP/1.1\r\ncontent-type: application/json\r\ncontent-length: 7\r\nif-none-match: , ,", 400, '{"a":1}'],
    ];
    for (const [line, status, body] of cases) {
      const r = await raw(base, line, body);
      expect(r.status === status, `${line}: ${r.status} ${r.body.slice(0, 120)}`);
      if (status >= 400) expect(JSON.parse(r.body).error.code, `${line}: no JSON error`);
    }
  });
});

await step("local_opens_metrics_without_a_token_as_documented", async () => {
  await run(targets.top, async (base) => {
    expect((await fetch(base + "/metrics")).status === 200, "local /metrics");
    expect((await fetch(base + "/internal/warmup", { method: "POST" })).status === 401, "the warmup always needs its token");
  });
});

// A body without Content-Length (chunked) is read up to the limit + 1 and
// no further (docs/hardening.md): the 413 comes while the client still has
// most of a 256 MiB body to send, and workerd never holds it.
await step("a_chunked_body_over_the_limit_is_413_before_the_rest_is_sent", async () => {
  await run(targets.top, async (base) => {
    // Over a raw socket: the server may answer and close while the body is
    // still being written, and a write into the closed socket (EPIPE) is
    // then expected, not a failure; what counts is the answer read back.
    const { port } = new URL(base);
    const total = 256 << 20;
    let sent = 0;
    const answer = await new Promise((resolve, reject) => {
      const sock = net.connect(Number(port), "127.0.0.1");
      let got = "";
      let sentAtAnswer = null;
      const done = () => resolve({ got, sentAtAnswer: sentAtAnswer ?? sent });
      sock.on("data", (d) => {
        sentAtAnswer ??= sent;
        got += d;
        if (/\r\n\r\n[\s\S]*\}/.test(got)) sock.destroy(), done();
      });
      sock.on("error", (e) => (got ? done() : e.code === "EPIPE" || e.code === "ECONNRESET" ? null : reject(e)));
      sock.on("close", () => (got ? done() : reject(new Error(`no answer after ${sent} bytes`))));
      sock.write(`PATCH /state/chunked HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n`);
      const chunk = Buffer.concat([Buffer.from(`${(64 << 10).toString(16)}\r\n`), Buffer.alloc(64 << 10, 0x20), Buffer.from("\r\n")]);
      const pump = () => {
        while (sent < total && !got && !sock.destroyed) {
          sent += 64 << 10;
          if (!sock.write(chunk)) return sock.once("drain", pump);
        }
        if (!got && !sock.destroyed) sock.write("0\r\n\r\n");
      };
      pump();
    });
    const [head, body] = answer.got.split("\r\n\r\n");
    const status = Number(head.split(" ")[1]);
    const json = body.slice(body.indexOf("{"), body.lastIndexOf("}") + 1);
    expect(status === 413 && JSON.parse(json).error.code === "payload_too_large", `${status} ${answer.got.slice(0, 300)}`);
    expect(answer.sentAtAnswer < 64 << 20, `the client sent ${answer.sentAtAnswer} bytes before the answer: the body was read past the limit`);
    expect((await fetch(base + "/state/chunked")).status === 200, "the worker stopped answering");
  });
});

// A client that goes away mid-upload (Content-Length 100, 5 bytes sent)
// is its own error: counted 400 under its route, never a 500 or a
// "wasm failure" (docs/hardening.md).
await step("a_client_gone_mid_upload_is_a_400_under_its_route_not_a_500", async () => {
  await run(targets.top, async (base) => {
    const { port } = new URL(base);
    await new Promise((resolve) => {
      const sock = net.connect(Number(port), "127.0.0.1", () => {
        sock.write(`PATCH /state/gone HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"a":`);
        setTimeout(() => (sock.destroy(), resolve()), 300);
      });
      sock.on("error", () => {});
    });
    let metrics = "";
    for (let i = 0; i < 40 && !/route="state\.patch",status="400"/.test(metrics); i++) {
      await new Promise((r) => setTimeout(r, 100));
      metrics = await (await fetch(base + "/metrics")).text();
    }
    const requests = metrics.split("\n").filter((l) => l.startsWith("cw_requests_total{"));
    expect(requests.some((l) => /route="state\.patch",status="400"\} 1$/.test(l)), `no 400 under state.patch: ${requests.join(" | ")}`);
    expect(!requests.some((l) => /status="5\d\d"/.test(l)), `a 5xx was counted: ${requests.join(" | ")}`);
    expect((await fetch(base + "/state/gone")).status === 200, "the worker stopped answering");
  });
});

console.log(`deploy: ${passed} passed, ${failed} failed`);
appendFileSync(process.argv[2], `deploy ${passed} ${failed}\n`);
process.exit(failed ? 1 : 0);
