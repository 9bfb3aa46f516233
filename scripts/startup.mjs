// `make startup`: wrangler check startup, then its bundle size and startup
// profile summary. The profile is written to build/startup.cpuprofile.
// Usage: node scripts/startup.mjs [-c config] [--json]
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(import.meta.dirname, "..");
const args = process.argv.slice(2);
const json = args.includes("--json");
const config = args.includes("-c") ? args[args.indexOf("-c") + 1] : "wrangler.toml";
const outfile = path.join(root, "build", json ? `startup-${process.pid}.cpuprofile` : "startup.cpuprofile");

// wrangler (4.155) builds the wrangler.toml of its working directory
// whatever -c says, so it runs in the config's own directory.
export function checkStartup(cfg = config, out = outfile) {
  const r = spawnSync("wrangler", ["check", "startup", "-c", path.basename(cfg), "--outfile", path.resolve(root, out)], {
    cwd: path.dirname(path.resolve(root, cfg)),
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  const text = `${r.stdout}${r.stderr}`;
  const num = (re) => Number(text.match(re)?.[1]);
  return {
    ok: r.status === 0,
    text,
    bundle_kib: num(/Bundle: ([\d.]+) KiB/),
    bundle_gzip_kib: num(/gzip: ([\d.]+) KiB/),
    window_ms: num(/Profile window: ([\d.]+) ms/),
    sampled_ms: num(/Sampled time: ([\d.]+) ms/),
    active_ms: num(/Active: ([\d.]+) ms/),
    gc_ms: num(/including ([\d.]+) ms garbage/),
    idle_ms: num(/Idle: ([\d.]+) ms/),
    samples: num(/Samples: (\d+)/),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const r = checkStartup();
  if (json) {
    const { text, ...rest } = r;
    console.log(JSON.stringify(rest));
  } else {
    if (!r.ok) {
      console.error(r.text);
      process.exit(1);
    }
    console.log("wrangler check startup");
    console.log(`  bundle:         ${r.bundle_kib} KiB / gzip ${r.bundle_gzip_kib} KiB`);
    console.log(`  profile window: ${r.window_ms} ms`);
    console.log(`  sampled:        ${r.sampled_ms} ms (${r.samples} samples)`);
    console.log(`  active CPU:     ${r.active_ms} ms (gc ${r.gc_ms} ms), idle ${r.idle_ms} ms`);
    console.log(`  profile:        ${path.relative(root, outfile)} (open in Chrome DevTools)`);
    console.log("  (measured locally under workerd; Cloudflare's CPUs differ)");
  }
}
