// An SVG chart of bench/results/latest.json: one panel per measurement,
// one bar per variant. No dependencies.
const LABELS = { this: "this (C)", js: "plain JS", agents: "Agents SDK", go: "Go js/wasm" };
const COLORS = { this: "#2f6fdf", js: "#e8a33d", agents: "#c0504d", go: "#5aa469" };
const ALL = ["this", "js", "agents", "go"];
const LIVE = ["this", "js", "agents"];

const kib = (v) => (v >= 1 << 20 ? `${(v / 2 ** 20).toFixed(2)} MiB` : `${(v / 1024).toFixed(1)} KiB`);
const linear = (v, max, w) => (v / max) * w;
const log10 = (v, max, w) => (Math.log10(Math.max(v, 1)) / Math.log10(max)) * w;

export function renderChart(r) {
  const W = 760;
  const rowH = 22;
  const left = 110;
  const barMax = W - left - 150;
  const cs = r.cold_start;
  const panels = [
    { title: "Upload size, gzip -9 (log scale)", names: ALL, value: (n) => r.size[n].gzip_bytes, label: kib, scale: log10 },
    { title: "Cold start: workerd spawn to first 200 PATCH, median", names: ALL, value: (n) => cs.end_to_end_ms[n].median, label: (v) => `${v} ms`, scale: linear },
    { title: "Cold start: first PATCH alone after the socket listens, median", names: ALL, value: (n) => cs.first_request_ms[n].median, label: (v) => `${v} ms`, scale: linear },
    { title: "In-engine: whole upload + first request (Go: core path)", names: ALL, value: (n) => (cs.isolate_full_ms[n] ?? cs.isolate_ms[n]).total, label: (v) => `${v} ms`, scale: linear },
    ...["1k", "64k", "1m"].map((size) => ({ title: `PATCH req/s, ${size} state (wrk)`, names: LIVE, value: (n) => r.sweep[n].patch[size].rps, label: (v) => `${Math.round(v)}/s`, scale: linear })),
    ...["1k", "64k", "1m"].map((size) => ({ title: `GET req/s, ${size} state (wrk)`, names: LIVE, value: (n) => r.sweep[n].get[size].rps, label: (v) => `${Math.round(v)}/s`, scale: linear })),
    { title: "Fan-out, 64 subscribers on 64 KB: changes/s to all", names: LIVE, value: (n) => r.fanout[n][64].changes_per_s, label: (v) => `${v}/s`, scale: linear },
    { title: "Fan-out, 64 subscribers on 64 KB: wire bytes per change per subscriber (log)", names: LIVE, value: (n) => r.fanout[n][64].bytes_per_change, label: (v) => `${v} B`, scale: log10 },
    { title: "Fan-out, 64 subscribers on 64 KB: delivery p99", names: LIVE, value: (n) => r.fanout[n][64].p99_ms, label: (v) => `${v} ms`, scale: linear },
    { title: "Wake from hibernation: frame to broadcast, median", names: LIVE, value: (n) => r.wake[n].ms, label: (v) => `${v} ms`, scale: linear },
  ];
  let y = 30;
  const parts = [];
  for (const p of panels) {
    const max = Math.max(...p.names.map(p.value), 1e-9);
    parts.push(`<text x="10" y="${y}" font-weight="bold">${p.title}</text>`);
    y += 8;
    for (const n of p.names) {
      const v = p.value(n);
      const w = Math.max(2, p.scale(v, max, barMax));
      parts.push(`<text x="10" y="${y + 15}">${LABELS[n]}</text>`);
      parts.push(`<rect x="${left}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 7}" fill="${COLORS[n]}"/>`);
      parts.push(`<text x="${(left + w + 6).toFixed(1)}" y="${y + 15}">${p.label(v)}</text>`);
      y += rowH;
    }
    y += 20;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
${parts.join("\n")}
</svg>
`;
}
